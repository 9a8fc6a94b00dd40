"""Content check of the FAQ answers: are they sourced, short, re-read in time and still valid?

Every FAQ answer (domain response `utter_faq_<topic>/<answer>`) has an entry in the content register
`content/answers.yml`: the official pages it rests on, the date a person last checked it and, for a
dated rule, the last day the rule is known to hold. French rules on apprenticeship, the CPF and
Erasmus+ change every January, so the check fails on an answer that is unsourced, not re-read for
12 months or past its "valid until" date, and lists the answers due within 60 days.

`python -m cli content-check [--today YYYY-MM-DD]`: exit 0 when all is well, 1 when an answer
needs work; each problem names the answer, never a stack trace.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple
from urllib.parse import urlsplit

import yaml

from orientation.domain import responses
from orientation.paths import CONTENT_REGISTER, DOMAIN_PATH

REGISTER_PATH = CONTENT_REGISTER
MAX_WORDS = 90
RECHECK_AFTER_MONTHS = 12
DUE_WITHIN_DAYS = 60

ANSWER_PREFIX = "utter_"
URL = re.compile(r"https?://[^\s)>\]]+")
READ_MORE = re.compile(r"^En savoir plus : (\S+)$", re.MULTILINE)
# A site's front page, or its front page in one language ("/fr"), tells nothing specific.
LANGUAGE_ROOT = re.compile(r"^[a-z]{2}(-[a-z]{2})?$")
KNOWN_FIELDS = {"checked", "valid_until", "sources", "note"}


@dataclass(frozen=True)
class Source:
    url: str
    about: str = ""


@dataclass
class Entry:
    """What the register says of one answer; `problems` lists what could not be read."""

    answer: str
    sources: List[Source] = field(default_factory=list)
    checked: Optional[dt.date] = None
    valid_until: Optional[dt.date] = None
    problems: List[str] = field(default_factory=list)


@dataclass(frozen=True)
class Withdrawn:
    """A rule that was abolished or replaced: no answer may state it again."""

    pattern: re.Pattern
    reason: str


@dataclass(frozen=True)
class Due:
    answer: str
    date: dt.date
    reason: str
    sources: Tuple[str, ...]


@dataclass
class Findings:
    problems: List[Tuple[str, str]] = field(default_factory=list)  # (answer, what is wrong)
    due: List[Due] = field(default_factory=list)


# --- reading ----------------------------------------------------------------------------------


def load_answers(domain: Optional[Path] = None) -> Dict[str, str]:
    """FAQ answer key (`faq_vae/steps`) -> the text of its first variant."""
    domain = domain or DOMAIN_PATH
    answers: Dict[str, str] = {}
    for name, variants in responses(domain).items():
        if name.startswith(ANSWER_PREFIX + "faq_") and "/" in name and variants:
            answers[name[len(ANSWER_PREFIX) :]] = variants[0].get("text") or ""
    return answers


def parse_date(value: object, what: str, problems: List[str]) -> Optional[dt.date]:
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        problems.append(f"{what}: « {value} » n'est pas une date (AAAA-MM-JJ)")
        return None


def parse_sources(value: object, problems: List[str]) -> List[Source]:
    if not isinstance(value, list):
        return []
    sources = []
    for item in value:
        if isinstance(item, str):
            sources.append(Source(item))
        elif isinstance(item, dict) and isinstance(item.get("url"), str):
            sources.append(Source(item["url"], str(item.get("about") or "")))
        else:
            problems.append(f"source illisible : {item!r} (attendu : url: https://...)")
    return sources


def parse_entry(answer: str, raw: object) -> Entry:
    entry = Entry(answer)
    if not isinstance(raw, dict):
        entry.problems.append("l'entrée doit donner checked et sources")
        return entry
    unknown = set(raw) - KNOWN_FIELDS
    if unknown:
        entry.problems.append(f"champ inconnu : {', '.join(sorted(unknown))}")
    entry.checked = parse_date(raw.get("checked"), "checked", entry.problems)
    entry.valid_until = parse_date(raw.get("valid_until"), "valid_until", entry.problems)
    entry.sources = parse_sources(raw.get("sources"), entry.problems)
    return entry


def parse_withdrawn(raw: object) -> Tuple[List[Withdrawn], List[str]]:
    rules, problems = [], []
    for item in raw if isinstance(raw, list) else []:
        try:
            rules.append(Withdrawn(re.compile(item["pattern"], re.IGNORECASE), str(item["reason"])))
        except (TypeError, KeyError, re.error) as error:
            problems.append(f"withdrawn : entrée illisible {item!r} ({error})")
    return rules, problems


def load_register(path: Optional[Path] = None) -> Tuple[Dict[str, Entry], List[Withdrawn], List[str]]:
    """Entries by answer key, withdrawn rules, and what made the file unreadable."""
    path = path or REGISTER_PATH
    try:
        content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        return {}, [], [f"registre introuvable : {path}"]
    except yaml.YAMLError as error:
        return {}, [], [f"registre illisible ({path}) : {error}"]
    if not isinstance(content, dict) or not isinstance(content.get("answers") or {}, dict):
        return {}, [], [f"registre illisible ({path}) : attendu « answers: » avec une entrée par réponse"]
    entries = {str(key): parse_entry(str(key), raw) for key, raw in (content.get("answers") or {}).items()}
    withdrawn, problems = parse_withdrawn(content.get("withdrawn"))
    return entries, withdrawn, problems


# --- checking ---------------------------------------------------------------------------------


def word_count(text: str) -> int:
    """Words as a reader sees them on the screen: everything between spaces, the link included."""
    return len(text.split())


def url_problem(url: str) -> Optional[str]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return f"adresse sans http(s):// : {url}"
    path = parts.path.strip("/")
    if (not path or LANGUAGE_ROOT.match(path)) and not parts.query:
        return f"lien vers une page d'accueil, pas vers la page qui répond : {url}"
    return None


def one_year_after(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year + RECHECK_AFTER_MONTHS // 12)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def text_problems(text: str, withdrawn: Iterable[Withdrawn]) -> List[str]:
    problems = []
    words = word_count(text)
    if words > MAX_WORDS:
        problems.append(f"{words} mots (au plus {MAX_WORDS}) : raccourcir ou découper")
    for url in URL.findall(text):
        problem = url_problem(url.rstrip(".,;"))
        if problem:
            problems.append(f"dans le texte, {problem}")
    for rule in withdrawn:
        if rule.pattern.search(text):
            problems.append(f"énonce une règle supprimée : {rule.reason}")
    return problems


def entry_problems(entry: Entry, text: str, today: dt.date) -> List[str]:
    problems = list(entry.problems)
    if not entry.sources:
        problems.append("aucune source")
    problems += [p for p in (url_problem(s.url) for s in entry.sources) if p]
    shown = READ_MORE.search(text)
    if shown and shown.group(1) not in {s.url for s in entry.sources}:
        problems.append(f"le lien « En savoir plus » n'est pas parmi ses sources : {shown.group(1)}")
    if entry.checked is None and not any(p.startswith("checked") for p in problems):
        problems.append("pas de date de vérification (checked)")
    elif entry.checked and entry.checked > today:
        problems.append(f"vérifiée le {entry.checked}, une date à venir")
    elif entry.checked and one_year_after(entry.checked) <= today:
        problems.append(f"vérifiée le {entry.checked} : plus de {RECHECK_AFTER_MONTHS} mois, à relire")
    if entry.valid_until and entry.checked and entry.valid_until < entry.checked:
        problems.append(
            f"valid_until ({entry.valid_until}) avant checked ({entry.checked}) : corriger l'une des deux dates"
        )
    elif entry.valid_until and entry.valid_until < today:
        problems.append(
            f"valable jusqu'au {entry.valid_until}, date dépassée (l'assistant prévient que la règle a pu changer) :"
            " relire ses sources, corriger le texte, puis mettre checked et valid_until à jour"
        )
    return problems


def shared_only_sources(entries: Dict[str, Entry]) -> List[Tuple[str, str]]:
    """Answers resting on one page that is also another answer's only page: each answer must have a
    source that answers its own question."""
    by_url: Dict[str, List[str]] = {}
    for answer, entry in entries.items():
        if len(entry.sources) == 1:
            by_url.setdefault(entry.sources[0].url, []).append(answer)
    return [
        (
            answer,
            f"sa seule source est aussi la seule de {', '.join(o for o in sorted(answers) if o != answer)} : {url}",
        )
        for url, answers in sorted(by_url.items())
        if len(answers) > 1
        for answer in sorted(answers)
    ]


def due_date(entry: Entry) -> Optional[Tuple[dt.date, str]]:
    """The next day the answer must be read again, and why."""
    candidates = []
    if entry.checked:
        candidates.append((one_year_after(entry.checked), "relecture annuelle"))
    if entry.valid_until:
        candidates.append((entry.valid_until, "fin de validité de la règle"))
    return min(candidates) if candidates else None


def check(
    answers: Dict[str, str],
    entries: Dict[str, Entry],
    withdrawn: Sequence[Withdrawn],
    today: dt.date,
    within_days: int = DUE_WITHIN_DAYS,
) -> Findings:
    findings = Findings()
    for answer in sorted(set(entries) - set(answers)):
        findings.problems.append((answer, "réponse inconnue du domaine (clé du registre à corriger)"))
    for answer, text in sorted(answers.items()):
        entry = entries.get(answer) or Entry(answer, problems=["absente du registre : aucune source"])
        problems = text_problems(text, withdrawn)
        problems += entry.problems if answer not in entries else entry_problems(entry, text, today)
        findings.problems += [(answer, problem) for problem in problems]
        due = due_date(entry)
        if due and today <= due[0] <= today + dt.timedelta(days=within_days):
            findings.due.append(Due(answer, due[0], due[1], tuple(s.url for s in entry.sources)))
    findings.problems += [(a, p) for a, p in shared_only_sources(entries) if a in answers]
    findings.problems.sort(key=lambda found: found[0])  # stable: each answer's problems stay in order
    findings.due.sort(key=lambda d: (d.date, d.answer))
    return findings


def answers_due(today: Optional[dt.date] = None, within_days: int = DUE_WITHIN_DAYS) -> List[dict]:
    """The answers to re-read soon, for reports: answer, due date, reason, checked, valid_until, sources."""
    entries, withdrawn, _ = load_register()
    findings = check(load_answers(), entries, withdrawn, today or dt.date.today(), within_days)
    return [
        {
            "answer": d.answer,
            "due": d.date,
            "reason": d.reason,
            "sources": list(d.sources),
            "checked": entries[d.answer].checked,
            "valid_until": entries[d.answer].valid_until,
        }
        for d in findings.due
    ]


def answers_expired(today: Optional[dt.date] = None) -> List[dict]:
    """The answers past their `valid_until` (served with a warning until reviewed): answer,
    valid_until, checked, sources; the oldest first."""
    entries, _, _ = load_register()
    known = load_answers()
    day = today or dt.date.today()
    expired = [e for e in entries.values() if e.answer in known and e.valid_until and e.valid_until < day]
    return [
        {
            "answer": e.answer,
            "valid_until": e.valid_until,
            "checked": e.checked,
            "sources": [s.url for s in e.sources],
        }
        for e in sorted(expired, key=lambda e: (e.valid_until, e.answer))
    ]


# --- command line -----------------------------------------------------------------------------


def print_findings(findings: Findings, register_problems: List[str], today: dt.date, total: int) -> None:
    for problem in register_problems:
        print(f"ERREUR registre : {problem}")
    for answer, problem in findings.problems:
        print(f"ERREUR {answer} : {problem}")
    print(f"\nÀ relire dans les {DUE_WITHIN_DAYS} jours (au {today}) :")
    for due in findings.due:
        print(f"  {due.date}  {due.answer}  ({due.reason})")
        for url in due.sources:
            print(f"              {url}")
    if not findings.due:
        print("  aucune")
    failed = len(findings.problems) + len(register_problems)
    print(f"\n{total} réponses vérifiées, {failed} problème(s), {len(findings.due)} à relire bientôt.")


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cli content-check", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--today",
        type=dt.date.fromisoformat,
        default=dt.date.today(),
        help="la date du contrôle (AAAA-MM-JJ), aujourd'hui par défaut",
    )
    parser.add_argument("--register", type=Path, default=REGISTER_PATH)
    parser.add_argument("--domain", type=Path, default=DOMAIN_PATH)
    args = parser.parse_args(argv)
    entries, withdrawn, register_problems = load_register(args.register)
    answers = load_answers(args.domain)
    findings = check(answers, entries, withdrawn, args.today)
    print_findings(findings, register_problems, args.today, len(answers))
    return 1 if findings.problems or register_problems else 0


if __name__ == "__main__":
    sys.exit(main())
