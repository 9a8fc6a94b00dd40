"""Find the jobs people name ("je veux être fleuriste", "plâtrier ça me plairait") and their sectors.

Job titles come from France's official job repository (Source : France Travail, ROME v4.60,
Licence Ouverte 2.0), copied into orientation/data/rome/. Each ROME job sheet belongs to a
domaine professionnel (the first 3 characters of its code, e.g. D11); orientation/data/rome/sectors.csv
maps every domaine, and some job sheets as overrides, to Campus sectors and to a training route
(MAPPING.md is the readable version, regenerated with `python -m orientation.jobs --table`).

Matching works on words (normalised: lower case, no accents, no final plural s/x) looked up in
dictionaries of word sequences:
- every title, masculine and feminine ("Boulanger", "Boulangère");
- its short forms, the first words of a title up to any content word ("mécanicien moto" for
  "Mécanicien / Mécanicienne moto poids lourds");
- a word of 6+ letters that is in no title is corrected to a title word one edit away
  ("plattrier", "infographist", "plombié"), keeping its first letter and its ending;
- the title's content words in order, whatever small words are typed or left out between them
  ("technicien traitement des eaux" for "Technicien en traitement des eaux");
- everyday names (everyday_names.csv, reviewed by hand: "mécano", "cuisto", "ATSEM"), each standing
  for one title of the repository, and clipped words no title has ("labo" for "laboratoire").
A job never starts inside a hyphenated name ("Saint-Nazaire") nor at a capitalised word after
"à", "de", "près de"... ("à Mâcon"); capitalised words inside a sentence are not corrected.
A word alone is a job only if it names a trade: words that begin titles in more than
MAX_DOMAINES_FOR_ONE_WORD domaines name a rank or role (chef, agent, technicien, responsable,
conseiller...); a word that only begins titles must also read as a person ("-eur", "-ier", "-iste"...);
and NOT_JOBS_ALONE (people the chatbot talks about: conseiller, professeur, apprenti...; everyday
words such as carrière) never are.
When a sentence names the job a person has and the one sought ("je suis secrétaire et je voudrais
devenir électricienne"), the one sought comes first (sought_first).
When a typed form fits titles of several job sheets ("mécanicien"), one match comes back: its job
has the most common sheet, whose sectors come first, then the other sheets' sectors, most frequent
first (counted in titles).
"""

from __future__ import annotations

import argparse
import csv
import functools
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from orientation.paths import DATA_DIR
from orientation.sectors import load_sectors
from orientation.text import fold_word

ROME_DIR = DATA_DIR / "rome"
APPELLATIONS_CSV = ROME_DIR / "appellations.csv"
METIERS_CSV = ROME_DIR / "metiers.csv"
SECTORS_CSV = ROME_DIR / "sectors.csv"
EVERYDAY_NAMES_CSV = ROME_DIR / "everyday_names.csv"
MAPPING_MD = ROME_DIR / "MAPPING.md"
ATTRIBUTION = "Source : France Travail, ROME v4.60, Licence Ouverte 2.0"
ROUTES = ("campus", "outside")

# A word beginning titles in more domaines than this (of 110) is a rank, not a trade.
MAX_DOMAINES_FOR_ONE_WORD = 8
# Only words this long get typo correction: shorter ones are too close to each other.
MIN_TYPO_LENGTH = 6
EXACT_SCORE = 100.0
SHORT_FORM_PENALTY = 5.0
TYPO_PENALTY = 10.0
# A title found once the small words are set aside ("technicien traitement des eaux" for
# "Technicien en traitement des eaux"), counted like a short form.
LOOSE_PENALTY = 5.0
LOOSE_PREFIX = "~"  # marks such a key: "~technicien traitement eau"
# Clipped words students write inside job names ("technicien de labo"), when no title has them.
CLIPPED_WORDS = {
    "labo": "laboratoire",
    "info": "informatique",
    "compta": "comptabilite",
    "pharma": "pharmaceutique",
    "meca": "mecanique",
    "resto": "restaurant",
}

# Never a job when named alone: people the chatbot talks about during orientation, and
# everyday words of the conversation that are also titles (carrière = career, mineur = under 18,
# première = a school year, couleur, capteur = a sensor).
NOT_JOBS_ALONE = frozenset(
    {
        "conseiller",
        "conseillere",
        "professeur",
        "professeure",
        "prof",
        "formateur",
        "formatrice",
        "enseignant",
        "enseignante",
        "apprenti",
        "apprentie",
        "stagiaire",
        "tuteur",
        "tutrice",
        "alternant",
        "alternante",
        "eleve",
        "etudiant",
        "etudiante",
        "parent",
        "carriere",
        "mineur",
        "premier",
        "premiere",
        "second",
        "seconde",
        "couleur",
        "capteur",
        "monsieur",
        "madame",
        "compagnon",  # the Compagnons du devoir: a way to train, not a job
        "compagnonne",
        "garcon",
        "patron",
        "patronne",
    }
)
# A job right after these is the one the person has ("je suis cariste", "il est secrétaire").
CURRENT_JOB_MARKERS = ("suis", "est", "était", "étais", "actuellement")
# Words a short form may not end with, and that are never corrected as typos.
FUNCTION_WORDS = frozenset(
    {
        "de",
        "d",
        "du",
        "des",
        "la",
        "le",
        "les",
        "l",
        "en",
        "a",
        "au",
        "aux",
        "et",
        "ou",
        "pour",
        "sur",
        "dans",
        "par",
        "avec",
        "sans",
        "un",
        "une",
        "autour",
        "apres",
        "avant",
        "depuis",
        "pendant",
        "chez",
        "entre",
        "vers",
        "pres",
    }
)
# A capitalised word after these is a place ("à Mâcon", "près de Poitiers"), not a job.
PLACE_INTRODUCERS = frozenset(
    {"a", "au", "aux", "de", "d", "du", "des", "en", "dans", "vers", "pres", "sur", "le", "la", "les", "l"}
)
# Endings of French nouns for people: lets "mécanicien" stand for "Mécanicien moto" but not
# "second" for "Second de cuisine".
PERSON_ENDINGS = (
    "eur",
    "euse",
    "rice",
    "ier",
    "iere",
    "iste",
    "ien",
    "ienne",
    "aire",
    "logue",
    "ant",
    "ante",
    "ecte",
    "graphe",
    "in",  # laborantin, médecin
    "ine",
    "ot",  # matelot, traminot
    "ote",  # copilote
    "ron",  # forgeron, vigneron
    "ronne",
    "aine",  # capitaine
)

_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Job:
    title: str  # masculine or neutral label: "Fleuriste", "Plâtrier"
    feminine: str  # "Plâtrière", or "" when the title is the same
    code_rome: str  # job sheet: "F1601"
    sheet: str  # the sheet's label
    sectors: Tuple[str, ...]  # Campus sector keys, most relevant first; may be empty
    route: str  # 'campus' | 'outside' (main training path)


@dataclass(frozen=True)
class JobMatch:
    job: Job
    start: int  # character span in the original text
    end: int
    text: str  # as typed
    score: float  # 0-100


@dataclass(frozen=True)
class Destination:
    """Where a domaine or job sheet leads: Campus sectors and training route."""

    sectors: Tuple[str, ...]
    route: str


@dataclass(frozen=True)
class Title:
    masculine: str
    feminine: str
    code_rome: str
    label: str  # as the repository writes it: "Boulanger / Boulangère"


# ---------------------------------------------------------------- words


def words(text: str) -> List[Tuple[str, int, int]]:
    """(folded word, start, end) for each word of the text; hyphens and apostrophes split words."""
    return [(fold_word(m.group()), m.start(), m.end()) for m in _WORD.finditer(text)]


def folded_words(text: str) -> List[str]:
    return [fold_word(word) for word in _WORD.findall(text)]


def key_of(text: str) -> str:
    return " ".join(folded_words(text))


def split_genders(label: str) -> Tuple[str, str]:
    """ "Infirmier / Infirmière anesthésiste" -> ("Infirmier anesthésiste", "Infirmière anesthésiste").

    ROME writes the masculine words, a slash, then the feminine title from the first word that
    changes ("Artiste Plasticien / Plasticienne"); the words after the feminine ones are shared.
    """
    if " / " not in label:
        return label, ""
    masculine_head, feminine_part = label.split(" / ", 1)
    masculine, feminine = masculine_head.split(), feminine_part.split()
    if masculine_head.lower().endswith(feminine_part.lower()):  # "Homme sage-femme / Sage-femme"
        return masculine_head, feminine_part
    start = _feminine_start(masculine, feminine)
    gendered = len(masculine) - start
    return " ".join(masculine + feminine[gendered:]), " ".join(masculine[:start] + feminine)


def _feminine_start(masculine: Sequence[str], feminine: Sequence[str]) -> int:
    """Index of the masculine word the feminine part starts from: same first letters, else as many words."""
    stem = feminine[0][:3].lower()
    for position, word in enumerate(masculine):
        if word[:3].lower() == stem:
            return position
    return max(len(masculine) - len(feminine), 0)


def head(text: str, word_count: int) -> str:
    """The first word_count words of a title, as written: "Mécanicien / Mécanicienne moto"."""
    spans = list(_WORD.finditer(text))
    return text[: spans[min(word_count, len(spans)) - 1].end()]


# ---------------------------------------------------------------- data


def _read_csv(path: Path) -> List[Dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@functools.lru_cache(maxsize=1)
def load_mapping() -> Dict[str, Tuple[str, Destination, str]]:
    """code (domaine "D11" or job sheet "D1209") -> (label, destination, note)."""
    return {
        row["code"]: (
            row["label"],
            Destination(tuple(key for key in row["sectors"].split(";") if key), row["route"]),
            row["note"],
        )
        for row in _read_csv(SECTORS_CSV)
    }


def destination(code_rome: str) -> Destination:
    mapping = load_mapping()
    return (mapping.get(code_rome) or mapping[code_rome[:3]])[1]


@functools.lru_cache(maxsize=1)
def load_sheets() -> Dict[str, str]:
    return {row["code_rome"]: row["libelle_rome"] for row in _read_csv(METIERS_CSV)}


@functools.lru_cache(maxsize=1)
def load_titles() -> Tuple[Title, ...]:
    return tuple(
        Title(*split_genders(row["title"]), row["code_rome"], row["title"]) for row in _read_csv(APPELLATIONS_CSV)
    )


class JobIndex:
    """Word sequences -> titles, plus the typo corrections of title words."""

    def __init__(self, titles: Sequence[Title]) -> None:
        self.titles = titles
        self.full: Dict[str, Tuple[int, ...]] = {}
        self.short: Dict[str, Tuple[int, ...]] = {}
        self.max_words: Dict[str, int] = {}  # first word -> longest key starting with it
        self.vocabulary: Dict[str, int] = {}  # title word -> number of titles using it
        self.longest_word = 0  # letters of the longest title word (the typo correction's bound)
        self.one_deletion: Dict[str, Tuple[str, ...]] = {}
        self.loose: Dict[str, Tuple[int, ...]] = {}  # content words only -> titles
        self._build()

    def _build(self) -> None:
        full: Dict[str, set] = defaultdict(set)
        short: Dict[str, set] = defaultdict(set)
        vocabulary: Counter = Counter()
        for number, title in enumerate(self.titles):
            for form in filter(None, (title.masculine, title.feminine)):
                tokens = folded_words(form)
                full[" ".join(tokens)].add(number)
                for length in range(1, len(tokens)):
                    if tokens[length - 1] not in FUNCTION_WORDS:
                        short[" ".join(tokens[:length])].add(number)
                vocabulary.update(tokens)
        self.vocabulary = dict(vocabulary)
        self.longest_word = max(map(len, self.vocabulary), default=0)
        self._add_everyday_names(full)
        generic = self._generic_words(full, short)
        self.generic = frozenset(generic)
        self.full = {key: tuple(sorted(ids)) for key, ids in full.items() if key not in generic}
        self.short = {
            key: tuple(sorted(ids))
            for key, ids in short.items()
            if key not in full and key not in generic and (" " in key or key.endswith(PERSON_ENDINGS))
        }
        # Full titles by their content words, for those with small words (the others are their
        # own content key).
        loose: Dict[str, Tuple[int, ...]] = {}
        for key, ids in self.full.items():
            words_of_key = key.split()
            if any(word in FUNCTION_WORDS for word in words_of_key):
                content = loose_key(words_of_key)
                if " " in content:
                    loose[content] = tuple(sorted(set(loose.get(content, ()) + ids)))
        self.loose = loose
        for key in (*self.full, *self.short):
            first, _, _ = key.partition(" ")
            # + 2: room for small words typed but not in the title ("technicienne en efficacité")
            self.max_words[first] = max(self.max_words.get(first, 0), key.count(" ") + 3)
        deletions: Dict[str, set] = defaultdict(set)
        for word in self.vocabulary:
            if len(word) >= MIN_TYPO_LENGTH:
                for variant in _deletions(word):
                    deletions[variant].add(word)
        self.one_deletion = {variant: tuple(sorted(found)) for variant, found in deletions.items()}

    def _add_everyday_names(self, full: Dict[str, set]) -> None:
        """Everyday names of jobs (everyday_names.csv) stand for the repository's title."""
        by_label: Dict[str, set] = defaultdict(set)
        for number, title in enumerate(self.titles):
            by_label[title.label].add(number)
        for row in _read_csv(EVERYDAY_NAMES_CSV):
            full[key_of(row["name"])] = set(by_label[row["title"]])

    def _generic_words(self, full: Dict[str, set], short: Dict[str, set]) -> set:
        """Single words that begin titles in too many domaines, and the orientation words."""
        generic = set(NOT_JOBS_ALONE)
        for key in set(full) | set(short):
            if " " not in key:
                ids = full.get(key, set()) | short.get(key, set())
                if len({self.titles[number].code_rome[:3] for number in ids}) > MAX_DOMAINES_FOR_ONE_WORD:
                    generic.add(key)
        for title in self.titles:  # "cheffe" goes with "chef"
            if title.feminine and folded_words(title.masculine)[0] in generic:
                generic.add(folded_words(title.feminine)[0])
        return generic

    def correct(self, word: str) -> Optional[str]:
        """The title word one edit away from an unknown word (most used first), or None.

        Like most spell checkers, the first letter is trusted. So is the ending, which carries the
        grammar ("former" is a verb, not "formeur"; "officiel" not "officier"), except for a
        forgotten silent e ("infographist") and an -er heard as é ("plombié").
        """
        if word in self.vocabulary or word in FUNCTION_WORDS or len(word) < MIN_TYPO_LENGTH:
            return None
        # Its cost grows with the square of the word's length; a word longer than every title word
        # plus one letter is one edit away from none of them.
        if len(word) > self.longest_word + 1:
            return None
        candidates = set(self.one_deletion.get(word, ()))  # a letter missing
        for variant in _deletions(word):
            if variant in self.vocabulary:
                candidates.add(variant)  # a letter too many
            candidates.update(self.one_deletion.get(variant, ()))  # a letter wrong or swapped
        candidates = {
            candidate
            for candidate in candidates
            if len(candidate) >= MIN_TYPO_LENGTH
            and candidate[0] == word[0]
            and (
                candidate[-2:] == word[-2:] or candidate == word + "e" or (word[-1] == "e" and candidate == word + "r")
            )
            and _edit_distance_at_most_one(word, candidate)
        }
        return max(sorted(candidates), key=self.vocabulary.__getitem__) if candidates else None

    def lookup(self, key: str) -> Tuple[Tuple[int, ...], bool]:
        """(title numbers, is a short form) for a key; full titles first."""
        if key.startswith(LOOSE_PREFIX):
            return self.content_lookup(key[len(LOOSE_PREFIX) :]), False
        if key in self.full:
            return self.full[key], False
        return self.short.get(key, ()), True

    def lookup_loose(self, words: Sequence[str]) -> Tuple[int, ...]:
        """Titles with these content words in this order, whatever small words lie between."""
        if len(words) < 2 or words[-1] in FUNCTION_WORDS:
            return ()
        return self.content_lookup(loose_key(words))

    def content_lookup(self, key: str) -> Tuple[int, ...]:
        """Full titles whose content words are the key's (a title without small words is its own key)."""
        if " " not in key:
            return ()
        return self.loose.get(key) or self.full.get(key, ())


def loose_key(words: Sequence[str]) -> str:
    return " ".join(word for word in words if word not in FUNCTION_WORDS)


def _deletions(word: str) -> Iterable[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _edit_distance_at_most_one(a: str, b: str) -> bool:
    """True for one substitution, insertion, deletion or swap of neighbours (optimal string alignment)."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    prefix = 0
    while prefix < min(len(a), len(b)) and a[prefix] == b[prefix]:
        prefix += 1
    if len(a) == len(b):
        if a[prefix + 1 :] == b[prefix + 1 :]:
            return True
        return a[prefix] == b[prefix + 1] and a[prefix + 1] == b[prefix] and a[prefix + 2 :] == b[prefix + 2 :]
    longer, shorter = (a, b) if len(a) > len(b) else (b, a)
    return longer[prefix + 1 :] == shorter[prefix:]


@functools.lru_cache(maxsize=1)
def get_index() -> JobIndex:
    return JobIndex(load_titles())


# ---------------------------------------------------------------- jobs


@functools.lru_cache(maxsize=4096)
def job_for(key: str) -> Optional[Job]:
    """The job a key names; several job sheets are merged (see the module docstring)."""
    index = get_index()
    numbers, is_short = index.lookup(key)
    if not numbers:
        return None
    titles = [index.titles[number] for number in numbers]
    sheets = Counter(title.code_rome for title in titles)
    code_rome = sheets.most_common(1)[0][0]
    representative = next(title for title in titles if title.code_rome == code_rome)
    masculine, feminine = representative.masculine, representative.feminine
    if is_short:
        word_count = key.count(" ") + 1
        masculine, feminine = head(masculine, word_count), feminine and head(feminine, word_count)
    return Job(
        title=masculine,
        feminine=feminine if key_of(feminine) != key_of(masculine) else "",
        code_rome=code_rome,
        sheet=load_sheets()[code_rome],
        sectors=_main_sheet_first(destination(code_rome).sectors, _sectors_by_frequency(titles)),
        route=_majority_route(titles),
    )


def _sectors_by_frequency(titles: Sequence[Title]) -> Tuple[str, ...]:
    """Union of the titles' sectors: most titles first, then the order of the mapping."""
    counts: Counter = Counter()
    first_seen: Dict[str, Tuple[int, int]] = {}
    for position, title in enumerate(titles):
        for rank, sector in enumerate(destination(title.code_rome).sectors):
            counts[sector] += 1
            first_seen.setdefault(sector, (rank, position))
    return tuple(sorted(counts, key=lambda sector: (-counts[sector], first_seen[sector])))


def _main_sheet_first(main: Tuple[str, ...], merged: Tuple[str, ...]) -> Tuple[str, ...]:
    """The sectors of the job sheet most titles belong to lead: "électricien" is first a building trade."""
    return main + tuple(sector for sector in merged if sector not in main)


def _majority_route(titles: Sequence[Title]) -> str:
    routes = Counter(destination(title.code_rome).route for title in titles)
    return "campus" if routes["campus"] >= routes["outside"] else "outside"


# ---------------------------------------------------------------- matching


def find_jobs(text: str, limit: int = 3) -> List[JobMatch]:
    """The jobs named in a sentence, best first, without overlaps."""
    index = get_index()
    tokens = words(text)
    joined = _joined_to_previous(text, tokens)
    corrected = [
        (word, False) if word in index.vocabulary or _is_proper_noun(text, position, start) else _corrected(index, word)
        for position, (word, start, _) in enumerate(tokens)
    ]
    corrected = [
        (word, typo) if word in index.vocabulary else (CLIPPED_WORDS.get(word, word), typo) for word, typo in corrected
    ]
    places = _place_names(text, tokens)
    candidates = []
    for start in range(len(tokens)):
        if not joined[start] and not places[start]:
            candidate = _longest_at(index, corrected, start)
            if candidate:
                candidates.append(candidate)
    chosen: List[Tuple[float, int, int, str]] = []
    for candidate in sorted(candidates, key=lambda c: (-(c[2] - c[1]), -c[0], c[1])):
        if all(candidate[2] <= other[1] or candidate[1] >= other[2] for other in chosen):
            chosen.append(candidate)
    chosen.sort(key=lambda c: (-c[0], -(c[2] - c[1]), c[1]))
    matches = []
    for score, first, last, key in chosen[:limit]:
        start, end = tokens[first][1], tokens[last - 1][2]
        matches.append(JobMatch(job_for(key), start, end, text[start:end], score))
    return matches


def sought_first(text: str, matches: List[JobMatch]) -> List[JobMatch]:
    """The jobs of a sentence, the one sought before the one the person has: in "je suis
    secrétaire et je voudrais devenir électricienne", électricienne. Order kept otherwise."""
    tokens = words(text)
    markers = {fold_word(marker) for marker in CURRENT_JOB_MARKERS}

    def is_current(match: JobMatch) -> bool:
        before = [word for word, _, end in tokens if end <= match.start][-2:]
        return any(word in markers for word in before)

    return sorted(matches, key=is_current)


def resolve_job(name: str) -> Optional[Job]:
    """The job named alone (an entity value): "fleuriste", "mecanicien moto", "infirmière"."""
    matches = find_jobs(name, limit=1)
    return matches[0].job if matches else None


def _is_proper_noun(text: str, position: int, start: int) -> bool:
    """A capitalised word after the first one ("Poitiers") is a name: typos are not corrected there."""
    return position > 0 and text[start].isupper()


def _place_names(text: str, tokens: Sequence[Tuple[str, int, int]]) -> List[bool]:
    """True for a capitalised word after "à", "de", "près de"...: "Mâcon" in "un campus à Mâcon"."""
    return [
        position > 0 and text[start].isupper() and tokens[position - 1][0] in PLACE_INTRODUCERS
        for position, (_, start, _) in enumerate(tokens)
    ]


def _corrected(index: JobIndex, word: str) -> Tuple[str, bool]:
    correction = index.correct(word)
    return (correction, True) if correction else (word, False)


def _joined_to_previous(text: str, tokens: Sequence[Tuple[str, int, int]]) -> List[bool]:
    """True for a word glued by a hyphen to the previous one: "Nazaire" in "Saint-Nazaire".

    A job may end inside such a compound ("mécanicien-réparateur") but not start there.
    """
    return [
        position > 0 and text[tokens[position - 1][2] : start] == "-" for position, (_, start, _) in enumerate(tokens)
    ]


def _longest_at(index: JobIndex, corrected: Sequence[Tuple[str, bool]], start: int):
    """(score, first, last, key) of the longest key starting at word `start`, or None."""
    longest = min(index.max_words.get(corrected[start][0], 0), len(corrected) - start)
    for length in range(longest, 0, -1):
        span = [word for word, _ in corrected[start : start + length]]
        key = " ".join(span)
        numbers, is_short = index.lookup(key)
        penalty = SHORT_FORM_PENALTY if is_short else 0.0
        if not numbers and index.lookup_loose(span):
            key, penalty = LOOSE_PREFIX + loose_key(span), LOOSE_PENALTY
        elif not numbers:
            continue
        typos = sum(typo for _, typo in corrected[start : start + length])
        return EXACT_SCORE - TYPO_PENALTY * typos - penalty, start, start + length, key
    return None


# ---------------------------------------------------------------- links and review table


def onisep_or_official_url(job: Job) -> str:
    """France Travail's public job sheet (métierscope) for the job's ROME code.

    The URL pattern is the one public services and projects link to (e.g. /fiche-metier/M1855).
    """
    return f"https://candidat.francetravail.fr/metierscope/fiche-metier/{job.code_rome}"


def mapping_table() -> str:
    """MAPPING.md: the mapping of sectors.csv, one row per domaine, then the job-sheet overrides."""
    labels = {key: sector.label for key, sector in load_sectors().items()}
    title_counts = Counter(title.code_rome for title in load_titles())
    domaine_counts = Counter()
    for code, count in title_counts.items():
        domaine_counts[code[:3]] += count
    rows = load_mapping()
    domaines = [code for code in rows if len(code) == 3]
    overrides = [code for code in rows if len(code) == 5]
    lines = [
        "# ROME jobs -> Campus sectors",
        "",
        "Generated from `sectors.csv` by `python -m orientation.jobs --table > orientation/data/rome/MAPPING.md`;",
        "do not edit by hand. To change the mapping, edit `sectors.csv` (one row per domaine professionnel,",
        "first 3 characters of a ROME code, or per job sheet to override its domaine), regenerate this file,",
        "then run `pytest tests/orientation/test_jobs.py`.",
        "",
        "- `sectors`: Campus sector keys (orientation/data/sectors.yml), most relevant first; may be empty.",
        "- `route`: `campus` when the main training path (CAP, bac pro, BTS, BUT, licence pro, engineering",
        "  school, apprenticeship) is campus-type vocational training; `outside` when it lies elsewhere",
        "  (health schools after the bac, medical studies, concours, university, conservatoires...).",
        "",
        f"{ATTRIBUTION}. Titles: `appellations.csv`; job sheets: `metiers.csv`.",
        "",
        "## Domaines professionnels",
        "",
        *_table(rows, domaines, labels, domaine_counts),
        "",
        "## Job sheets overriding their domaine",
        "",
        *_table(rows, overrides, labels, title_counts),
    ]
    return "\n".join(lines) + "\n"


def _table(rows, codes: Sequence[str], labels: Dict[str, str], counts: Counter) -> List[str]:
    lines = ["| code | label | sectors | route | titles | note |", "|---|---|---|---|---|---|"]
    for code in codes:
        label, target, note = rows[code]
        sectors = ", ".join(f"{labels.get(key, key)} (`{key}`)" for key in target.sectors) or "—"
        lines.append(f"| {code} | {label} | {sectors} | {target.route} | {counts[code]} | {note} |")
    return lines


def main(argv: Sequence[str] = ()) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", action="store_true", help="print MAPPING.md")
    parser.add_argument("text", nargs="*", help="a sentence to look jobs up in")
    args = parser.parse_args(list(argv))
    if args.table:
        sys.stdout.write(mapping_table())
        return 0
    for match in find_jobs(" ".join(args.text)):
        print(
            f"{match.text!r} -> {match.job.title} ({match.job.code_rome}, {', '.join(match.job.sectors)}, "
            f"{match.job.route}) score {match.score:.0f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
