"""`python -m cli review-merge FILE`: adds the reviewed messages of a review file (written by
`review-export`, then edited by a counsellor) to the topic files of data/nlu/.

Each example goes to the file and block that already hold its intent (a FAQ answer such as
faq_vae/steps to the file of the faq_vae answers); lines are appended to that block, the rest of
the file is left as it is. Nothing is written when one example is refused: an intent the domain
does not know, a phrasing already in the training data or in a test set (tests/nlu*/), or a
phrasing that still holds personal data (bot.privacy: a name, a phone number, an e-mail...).
Entries left at TO_REVIEW are skipped; `ignore` drops a message.
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import yaml

from bot.privacy import LABELS, find_personal_data, mask_personal_data
from ops.review_export import IGNORE, TO_REVIEW
from ops.training_data import (
    Example,
    domain_intents,
    example_lines,
    examples_in,
    examples_index,
    normalised,
    read_examples,
    retrieval_answers,
    test_set_files,
    training_files,
)
from orientation.paths import DOMAIN_PATH, TESTS_DIR, TRAINING_DATA_DIR

INTENT_LINE = re.compile(r"^(?P<indent>\s*)- intent:\s*(?P<intent>[^\s#]+)")
EXAMPLES_KEY = re.compile(r"^(?P<indent>\s*)examples:\s*\|")


class ReviewError(Exception):
    """The review file cannot be merged; the message says why, in the counsellor's words."""


@dataclass(frozen=True)
class Reviewed:
    intent: str
    text: str


def read_review(path: Path) -> List[Reviewed]:
    try:
        content = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ReviewError(f"Fichier de relecture illisible : {path} ({error.strerror}).") from error
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" ligne {mark.line + 1}" if mark else ""
        raise ReviewError(
            f"{path} n'est pas du YAML valide ({where.strip() or 'position inconnue'}) : "
            f"{getattr(error, 'problem', None) or error}. Corrigez le fichier puis relancez."
        ) from error
    entries = content.get("nlu") if isinstance(content, dict) else None
    if not isinstance(entries, list):
        raise ReviewError(f"{path} : pas de liste « nlu: » ; ce n'est pas un fichier écrit par review-export.")
    reviewed = []
    for number, item in enumerate(entries, start=1):
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("intent"), str)
            or not isinstance(item.get("examples"), str)
        ):
            raise ReviewError(f"{path} : l'entrée n° {number} doit avoir « intent: » et « examples: | ».")
        reviewed += [Reviewed(item["intent"].strip(), text) for text in example_lines(item["examples"]) if text]
    return reviewed


def intent_problem(intent: str, known: set) -> Optional[str]:
    if intent in known:
        return None
    answers = retrieval_answers(known, intent)
    if answers:
        return (
            f"« {intent} » a plusieurs réponses : écrivez la réponse voulue, par exemple "
            f"{', '.join(answers[:4])}{'…' if len(answers) > 4 else ''}"
        )
    close = difflib.get_close_matches(intent, sorted(known), n=3)
    hint = f" (vouliez-vous dire {' ou '.join(close)} ?)" if close else ""
    return f"intention inconnue « {intent} »{hint} : elle doit figurer dans le domaine (domain.yml)"


def problems_of(
    entries: List[Reviewed], known: set, training: Dict[str, Example], tests: Dict[str, Example], root: Path
) -> List[str]:
    problems: List[str] = []
    seen: Dict[str, str] = {}
    for entry in entries:
        key = normalised(entry.text)
        personal = find_personal_data(entry.text)
        if personal:
            # Named by its masked text: the refusal does not show the personal data again.
            kinds = ", ".join(LABELS[kind] for kind in personal)
            problems.append(
                f"« {mask_personal_data(entry.text)} » ({entry.intent}) : contient encore des données "
                f"personnelles ({kinds}) ; retirez-les de l'exemple ou mettez « ignore »."
            )
            continue
        problem = intent_problem(entry.intent, known)
        if problem is None and key in training:
            existing = training[key]
            problem = f"déjà un exemple de {existing.intent} dans {relative(existing.file, root)}"
        if problem is None and key in tests:
            problem = (
                f"phrase du jeu de test {relative(tests[key].file, root)} : l'apprendre fausserait "
                f"la mesure de la compréhension"
            )
        if problem is None and key in seen:
            problem = f"en double dans le fichier de relecture (déjà pour {seen[key]})"
        seen.setdefault(key, entry.intent)
        if problem:
            problems.append(f"« {entry.text} » : {problem}.")
    return problems


def relative(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def target_file(intent: str, training_examples: List[Example]) -> Path:
    """The file holding the intent's examples; for a new FAQ answer, the file of its topic."""
    for example in training_examples:
        if example.intent == intent:
            return example.file
    topic = intent.split("/")[0] + "/"
    for example in training_examples:
        if example.intent.startswith(topic):
            return example.file
    raise ReviewError(f"Aucun fichier de data/nlu/ ne contient d'exemple de « {intent} » : créez d'abord son bloc.")


def block_end(lines: List[str], intent: str) -> Tuple[Optional[int], str]:
    """Index after the last example of the intent's block, and the indentation of its examples;
    (None, indentation for a new block) when the file has no block for the intent yet."""
    intent_indent = ""
    for start, line in enumerate(lines):
        match = INTENT_LINE.match(line)
        if match:
            intent_indent = match.group("indent")
        if not match or match.group("intent").strip("'\"") != intent:
            continue
        for key_line in range(start + 1, len(lines)):
            if INTENT_LINE.match(lines[key_line]):
                break  # a block without examples: not ours to rewrite
            key = EXAMPLES_KEY.match(lines[key_line])
            if key:
                return examples_end(lines, key_line, len(key.group("indent")))
        break
    return None, intent_indent


def examples_end(lines: List[str], key_line: int, key_indent: int) -> Tuple[int, str]:
    end, indent = key_line + 1, " " * (key_indent + 2)
    for number in range(key_line + 1, len(lines)):
        line = lines[number]
        if not line.strip():
            continue
        current_indent = len(line) - len(line.lstrip())
        if current_indent <= key_indent:
            break
        if end == key_line + 1:
            indent = line[:current_indent]
        end = number + 1
    return end, indent


def with_examples(text: str, intent: str, examples: List[str]) -> str:
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    end, indent = block_end(lines, intent)
    if end is None:  # a FAQ answer with no example yet: a new block at the end of its topic file
        lines += ["\n", f"{indent}- intent: {intent}\n", f"{indent}  examples: |\n"]
        end, indent = len(lines), indent + "    "
    lines[end:end] = [f"{indent}- {example}\n" for example in examples]
    return "".join(lines)


def merge(entries: List[Reviewed], data: Path, domain: Path, tests: Path) -> Dict[Path, List[Reviewed]]:
    """Checks every entry, then appends the accepted ones; returns what went where."""
    root = data.parent
    to_learn = [entry for entry in entries if entry.intent not in (TO_REVIEW, IGNORE)]
    files = training_files(data)
    problems = problems_of(
        to_learn, domain_intents(domain), examples_index(files), examples_index(test_set_files(tests)), root
    )
    if problems:
        raise ReviewError(
            "Rien n'a été ajouté : corrigez ces exemples (ou mettez « ignore »), puis relancez.\n  "
            + "\n  ".join(problems)
        )
    existing = [example for path in files for example in read_examples(path)]
    by_file: Dict[Path, List[Reviewed]] = defaultdict(list)
    for entry in to_learn:
        by_file[target_file(entry.intent, existing)].append(entry)
    updated = {path: updated_text(path, added) for path, added in by_file.items()}
    for path, text in updated.items():
        path.write_text(text, encoding="utf-8")
    return by_file


def updated_text(path: Path, added: List[Reviewed]) -> str:
    """The file with the examples appended, checked to read back with exactly those examples more."""
    text = path.read_text(encoding="utf-8")
    by_intent: Dict[str, List[str]] = defaultdict(list)
    for entry in added:
        by_intent[entry.intent].append(entry.text)
    for intent, examples in by_intent.items():
        text = with_examples(text, intent, examples)
    before = {(example.intent, example.text) for example in read_examples(path)}
    after = {(example.intent, example.text) for example in examples_in(text, path)}
    if after - before != {(entry.intent, entry.text) for entry in added}:
        raise ReviewError(
            f"{path} : la mise en forme du fichier empêche d'y ajouter les exemples ; rien n'a été "
            "écrit. Ajoutez-les à la main."
        )
    return text


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cli review-merge", description=__doc__.split("\n")[0])
    parser.add_argument("file", type=Path, help="le fichier de relecture (écrit par review-export)")
    parser.add_argument("--data", type=Path, default=TRAINING_DATA_DIR)
    parser.add_argument("--domain", type=Path, default=DOMAIN_PATH)
    parser.add_argument("--tests", type=Path, default=TESTS_DIR)
    args = parser.parse_args(argv)
    try:
        entries = read_review(args.file)
        merged = merge(entries, args.data, args.domain, args.tests)
    except ReviewError as error:
        print(error, file=sys.stderr)
        return 2
    left = sum(entry.intent == TO_REVIEW for entry in entries)
    ignored = sum(entry.intent == IGNORE for entry in entries)
    added = sum(len(examples) for examples in merged.values())
    print(f"{added} exemple(s) ajouté(s), {ignored} ignoré(s), {left} encore à relire ({TO_REVIEW}).")
    for path, examples in sorted(merged.items()):
        intents = sorted({example.intent for example in examples})
        print(f"  {relative(path, args.data.parent)} : {len(examples)} ({', '.join(intents)})")
    if added:
        print("Ensuite : make train, puis make report.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
