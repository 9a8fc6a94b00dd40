"""Every regular expression that reads users' text runs in linear time: on an input built to make it
backtrack (a long run of the characters its quantifiers accept, then one that makes the match fail),
the function applying it answers well within BOUND_SECONDS. A quadratic pattern takes seconds on
LONG characters, so a regression fails here instead of stalling the public website.

Inputs are LONG characters where the text is not cut before it reaches the pattern, and CAPPED
(the channels refuse longer messages before NLU and masking see them) where it always is.

AUDITED lists every pattern of orientation/, bot/, actions/ and ops/ with the cases that check it, or why it
never reads users' text; a new or changed pattern fails `test_every_pattern_is_audited` until it is
listed, so that it is considered.
"""

from __future__ import annotations

import ast
import gc
import re
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple, Union

import pytest
import yaml

from orientation.paths import CONFIG_PATH, PROJECT_ROOT, TRAINING_DATA_DIR
from orientation.pay import age_in

BOUND_SECONDS = 0.25
LONG = 60_000
CAPPED = 1_000  # bot.channels.MAX_MESSAGE_CHARS (checked below)
SCANNED_FOLDERS = ("orientation", "bot", "actions", "ops")
RE_FUNCTIONS = {"compile", "sub", "subn", "match", "fullmatch", "search", "findall", "finditer", "split"}


def repeated(unit: str, length: int = LONG, tail: str = "") -> str:
    """`unit` repeated to `length` characters in all, the last ones being `tail`."""
    body = length - len(tail)
    return (unit * (body // len(unit) + 1))[:body] + tail


# ---------------------------------------------------------------- the functions reading user text


def clean_text(text: str) -> Any:
    from bot.channels import clean_text

    return clean_text(text)


def mask_personal_data(text: str) -> Any:
    from bot.privacy import mask_personal_data

    return mask_personal_data(text)


def respell(text: str) -> Any:
    from bot.nlu_components import respell

    return respell(text, frozenset({"CAP", "BTS", "BP"}))


def upper_words(text: str) -> Any:
    from bot.nlu_components import UPPER_WORD

    return UPPER_WORD.findall(text)


def job_words(text: str) -> Any:
    from orientation.jobs import head, words

    return words(text), head(text, 3)


def normalise(text: str) -> Any:
    from orientation.text import normalise

    return normalise(text)


def criteria_only(text: str) -> Any:
    from bot.policies import only_names_criteria

    return only_names_criteria(text, [{"entity": "location", "start": 0, "end": 4}])


def find_activities(text: str) -> Any:
    from orientation.activities import find_activities

    return find_activities(text)


def find_specialty(text: str) -> Any:
    from orientation.formations import find_specialty

    return find_specialty(text)


def training_mode_asked_in(text: str) -> Any:
    from orientation.training import training_mode_asked

    return training_mode_asked(text, ["apprenticeship"])


def strip_arrondissement(text: str) -> Any:
    from orientation.places import _ARRONDISSEMENT

    return _ARRONDISSEMENT.sub("", text)


def resolve_place(text: str) -> Any:
    from orientation.places import resolve_place

    return resolve_place(text)


def campus_name_prefix(text: str) -> Any:
    from orientation.catalogue import _NAME_PREFIX

    return _NAME_PREFIX.sub("", text, count=1)


def find_campus_by_name(text: str) -> Any:
    from orientation.catalogue import load_catalogue

    return load_catalogue().find_by_name(text)


def review_phrasing(text: str) -> Any:
    from ops.training_data import normalised

    return normalised(text)


def review_merge_lines(text: str) -> Any:
    from ops.review_merge import EXAMPLES_KEY, INTENT_LINE

    return INTENT_LINE.match(text), EXAMPLES_KEY.match(text)


def intent_message(text: str) -> Any:
    """Rasa's own pattern for messages typed as "/intent@0.9{...}" (RegexMessageHandler)."""
    from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader

    return YAMLStoryReader._regex_message_pattern().match(text)


_lookup_featurizer: List[Any] = []


def lookup_features(text: str) -> Any:
    """Rasa's RegexFeaturizer as config.yml sets it, with the alternations it compiles from the
    lookup tables of data/nlu/lookups (towns, départements, regions, campuses) over the message."""
    from rasa.shared.nlu.training_data.message import Message

    if not _lookup_featurizer:
        _lookup_featurizer.extend(build_lookup_featurizer())
    featurizer, tokenizer = _lookup_featurizer
    message = Message.build(text)
    tokenizer.process([message])
    return featurizer.process([message])


def build_lookup_featurizer() -> Tuple[Any, Any]:
    import tempfile

    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.nlu.featurizers.sparse_featurizer.regex_featurizer import RegexFeaturizer
    from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
    from rasa.nlu.utils.pattern_utils import extract_patterns
    from rasa.shared.nlu.training_data.loading import load_data

    config = {**RegexFeaturizer.get_default_config(), **regex_featurizer_settings()}
    patterns = extract_patterns(
        load_data(str(TRAINING_DATA_DIR / "nlu" / "lookups")),
        use_lookup_tables=config["use_lookup_tables"],
        use_regexes=config["use_regexes"],
        use_word_boundaries=config["use_word_boundaries"],
    )
    assert patterns, "the lookup tables give the featurizer its patterns"
    storage = LocalModelStorage(Path(tempfile.mkdtemp()))
    context = ExecutionContext(GraphSchema({}), node_name="regex_featurizer")
    featurizer = RegexFeaturizer(config, storage, Resource("regex_featurizer"), context, known_patterns=patterns)
    return featurizer, WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())


def pipeline() -> List[Dict[str, Any]]:
    return yaml.safe_load((CONFIG_PATH).read_text(encoding="utf-8"))["pipeline"]


def regex_featurizer_settings() -> Dict[str, Any]:
    (settings,) = [component for component in pipeline() if component["name"] == "RegexFeaturizer"]
    return {key: value for key, value in settings.items() if key != "name"}


# ---------------------------------------------------------------- adversarial inputs

CASES = [
    # bot/channels.py: clean_text reads the raw message, before the length check.
    pytest.param(clean_text, "<" + " " * (LONG - 2) + "x", id="channels-tag-open-then-spaces"),
    pytest.param(clean_text, "< /" + " " * (LONG - 4) + "x", id="channels-tag-slash-then-spaces"),
    pytest.param(clean_text, repeated("<a"), id="channels-tags-never-closed"),
    pytest.param(clean_text, repeated(" \t", tail="x"), id="channels-whitespace"),
    pytest.param(criteria_only, repeated("et a"), id="policies-linking-words"),
    pytest.param(age_in, repeated("1 "), id="pay-age-digits-spaces"),
    pytest.param(age_in, repeated("12", tail=" an"), id="pay-age-digits-no-ans"),
    pytest.param(clean_text, repeated("€"), id="channels-symbol-run"),
    pytest.param(clean_text, repeated("(a"), id="channels-symbols-between-letters"),
    # bot/privacy.py: the channels mask a message once it is known to be at most CAPPED characters
    # (and review-merge reads examples of that length), so each detector is checked at CAPPED.
    *[
        pytest.param(mask_personal_data, repeated(unit, CAPPED), id=f"privacy-{name}")
        for name, unit in {
            "email-at-signs": "@",
            "email-spelled-at": "(at) arobase at ",
            "email-local-parts": "a.a.a.@",
            "email-domains": "a@a.",
            "email-spelled": "a point b arobase c point ",
            "iban-groups": "FR76 1234 ",
            "iban-cue": "iban FR76 ",
            "nir-digits": "1",
            "nir-cue": "secu 1 23 45 ",
            "ine-cue": "INE AAAAAAAAA ",
            "phone-french": "06 ",
            "phone-international": "+44 (1) 20 ",
            "phone-both": "+44 20 7946 0958 06 12 34 56 78 ",
            "phone-postcodes": "12345 ",
            "birth-cues": "née le ",
            "birth-place": "née à Rennes le ",
            "birth-dates": "né le 12/12/",
            "birth-month": "née le 1 mars ",
            "street-names": "12 rue des Lilas ",
            "street-numbers": "12 bis ",
            "street-postcodes": "12 rue A 35000 ",
            "street-lieu-dit": "lieu-dit ",
            "address-cue": "j'habite au 3 place de la ",
            "name-cues": "je suis ",
            "name-words": "je m'appelle Aa Bb Cc Dd Ee Ff ",
            "name-hyphens": "je m'appelle Léa-",
            "name-particles": "Mme Le ",
        }.items()
    ],
    # bot/nlu_components.py: DOTTED_LETTERS, SPACED_LETTERS and BAC_PLUS (and the `[\s.]` clean-up).
    pytest.param(respell, repeated("a."), id="respell-dotted-letters"),
    pytest.param(respell, repeated("1"), id="respell-money-digits"),
    pytest.param(respell, repeated("1 ", tail="balle"), id="respell-money-no-word"),
    pytest.param(respell, repeated("a . "), id="respell-dotted-spaced-letters"),
    pytest.param(respell, repeated("a.a.a.a.a.a.a.a1 "), id="respell-dotted-too-many"),
    pytest.param(respell, repeated("a "), id="respell-spaced-letters"),
    pytest.param(respell, repeated("C.A.P et c a p et "), id="respell-spaced-beside-dotted"),
    pytest.param(respell, "bac" + " " * (LONG // 2) + "+" + " " * (LONG // 2 - 4) + "x", id="respell-bac-spaces"),
    pytest.param(respell, repeated("bac + "), id="respell-bac-plus-no-digit"),
    pytest.param(upper_words, repeated("A"), id="nlu-upper-word-run"),
    pytest.param(upper_words, repeated("ABCDEFGH "), id="nlu-upper-word-too-long"),
    # Rasa's regex features over the lookup tables: NLU sees messages of at most CAPPED characters.
    pytest.param(lookup_features, repeated("Ifs ", CAPPED), id="nlu-lookup-tables-short-names"),
    pytest.param(lookup_features, repeated("Saint ", CAPPED), id="nlu-lookup-tables-prefix-of-names"),
    pytest.param(lookup_features, repeated("x", CAPPED), id="nlu-lookup-tables-one-long-word"),
    pytest.param(intent_message, "/" + repeated("a", LONG - 1), id="rasa-intent-message-name"),
    pytest.param(intent_message, "/a@" + repeated("1.", LONG - 3), id="rasa-intent-message-confidence"),
    pytest.param(intent_message, "/a{" + repeated("{", LONG - 3), id="rasa-intent-message-entities"),
    # orientation/jobs.py, orientation/text.py, orientation/activities.py: words of the message.
    pytest.param(job_words, repeated("é-a_'"), id="jobs-words"),
    pytest.param(job_words, repeated("a"), id="jobs-one-long-word"),
    pytest.param(normalise, repeated("é-"), id="text-normalise-punctuation"),
    pytest.param(normalise, repeated("e\u0301"), id="text-normalise-combining-marks"),
    pytest.param(find_activities, repeated("réparer des "), id="activities-words"),
    # orientation/formations.py: the capitals of a request (actions see messages of at most CAPPED characters).
    pytest.param(find_specialty, repeated("A", CAPPED), id="formations-capitals-one-long-word"),
    pytest.param(find_specialty, repeated("BTS A", CAPPED), id="formations-capitals-run"),
    pytest.param(find_specialty, repeated("plombier chauffagiste ", CAPPED), id="formations-long-request"),
    # orientation/training.py: "pas en alternance" in a request.
    pytest.param(training_mode_asked_in, repeated("pas en ", CAPPED), id="training-negation-runs"),
    pytest.param(training_mode_asked_in, repeated("sans ", CAPPED), id="training-negation-no-mode"),
    # orientation/places.py: _ARRONDISSEMENT directly; resolve_place for the inline patterns.
    pytest.param(strip_arrondissement, repeated(" 1"), id="places-arrondissement-digits"),
    pytest.param(strip_arrondissement, repeated(" 12 e arr"), id="places-arrondissement-not-at-end"),
    pytest.param(resolve_place, repeated("1"), id="places-resolve-digits"),
    pytest.param(resolve_place, "code insee " + repeated("a", LONG - 11), id="places-resolve-insee"),
    pytest.param(resolve_place, repeated("29200 "), id="places-resolve-postcodes"),
    # orientation/catalogue.py: _NAME_PREFIX directly; find_by_name as the actions call it.
    pytest.param(campus_name_prefix, "campus" + " " * (LONG - 7) + "x", id="catalogue-prefix-spaces"),
    pytest.param(campus_name_prefix, "le campus de" + " " * (LONG - 13) + "x", id="catalogue-prefix-de-spaces"),
    pytest.param(
        campus_name_prefix,
        "campus" + " " * (LONG // 3) + "metiers" + " " * (LONG // 3) + "et" + " " * (LONG // 3 - 16) + "x",
        id="catalogue-prefix-long-name-spaces",
    ),
    pytest.param(find_campus_by_name, repeated("campus "), id="catalogue-find-by-name"),
    # ops/: messages of the conversations in review exports, and the data files they are merged into.
    pytest.param(review_phrasing, repeated("["), id="review-annotation-brackets"),
    pytest.param(review_phrasing, repeated("[]("), id="review-annotation-entity-never-closed"),
    pytest.param(review_phrasing, repeated("[]{"), id="review-annotation-dict-never-closed"),
    pytest.param(review_phrasing, repeated("[a](b"), id="review-annotation-entity-unclosed-text"),
    pytest.param(review_merge_lines, " " * (LONG - 1) + "x", id="review-merge-indent"),
    pytest.param(review_merge_lines, "- intent:" + " " * (LONG - 10) + "#", id="review-merge-intent-spaces"),
    pytest.param(review_merge_lines, "examples:" + " " * (LONG - 10) + "x", id="review-merge-examples-spaces"),
]

CASE_IDS = {case.id for case in CASES}


@pytest.mark.parametrize("apply, text", CASES)
def test_a_pattern_reading_user_text_runs_in_linear_time(apply: Callable[[str], Any], text: str) -> None:
    apply(text[:100])  # loads the data and compiles the patterns, which is not what is measured
    # No collection pause inside the measure; a full gc.collect() per case would cost more than the
    # cases themselves once Rasa and the indexes are loaded.
    gc.disable()
    try:
        started = time.perf_counter()
        apply(text)
        elapsed = time.perf_counter() - started
    finally:
        gc.enable()
    assert elapsed < BOUND_SECONDS, f"{elapsed:.2f} s on {len(text):,} characters: more than linear time"


def test_the_capped_inputs_are_the_channels_limit() -> None:
    from bot.channels import MAX_MESSAGE_CHARS

    assert CAPPED == MAX_MESSAGE_CHARS


# ---------------------------------------------------------------- every pattern considered

_Audit = Union[Tuple[str, ...], str]
# (file, name the pattern is given, or the pattern itself where it has none) -> the CASES ids
# checking it, or why users' text never reaches it.
AUDITED: Dict[Tuple[str, str], _Audit] = {
    ("bot/channels.py", "HTML_TAG"): (
        "channels-tag-open-then-spaces",
        "channels-tag-slash-then-spaces",
        "channels-tags-never-closed",
    ),
    ("bot/channels.py", "WHITESPACE"): ("channels-whitespace",),
    ("bot/policies.py", "WORD"): ("policies-linking-words",),
    ("orientation/pay.py", "AGE_SAID"): ("pay-age-digits-spaces", "pay-age-digits-no-ans"),
    ("bot/channels.py", "SYMBOL_RUN"): ("channels-symbol-run", "channels-symbols-between-letters"),
    ("bot/privacy.py", "EMAIL_AT"): ("privacy-email-at-signs", "privacy-email-spelled-at"),
    ("bot/privacy.py", "EMAIL_LOCAL_REVERSED"): ("privacy-email-local-parts", "privacy-email-spelled"),
    ("bot/privacy.py", "EMAIL_DOMAIN_COMPACT"): ("privacy-email-domains", "privacy-email-at-signs"),
    ("bot/privacy.py", "EMAIL_DOMAIN_SPACED"): ("privacy-email-spelled", "privacy-email-domains"),
    ("bot/privacy.py", "EMAIL_DOMAIN_SEPARATOR"): ("privacy-email-spelled",),
    ("bot/privacy.py", "IBAN_CUE"): ("privacy-iban-cue",),
    ("bot/privacy.py", "IBAN_CANDIDATE"): ("privacy-iban-groups", "privacy-iban-cue"),
    ("bot/privacy.py", "NIR_CUE"): ("privacy-nir-cue",),
    ("bot/privacy.py", "NIR_CANDIDATE"): ("privacy-nir-digits", "privacy-nir-cue"),
    ("bot/privacy.py", "INE_CUE"): ("privacy-ine-cue",),
    ("bot/privacy.py", "INE_PATTERN"): ("privacy-nir-digits",),
    ("bot/privacy.py", "INE_CODE"): ("privacy-ine-cue",),
    ("bot/privacy.py", "FRENCH_PHONE"): ("privacy-phone-french", "privacy-phone-both"),
    ("bot/privacy.py", "TWO_POSTCODES"): ("privacy-phone-postcodes",),
    ("bot/privacy.py", "INTERNATIONAL_PHONE"): ("privacy-phone-international", "privacy-phone-both"),
    ("bot/privacy.py", "PHONE_GROUP_END"): ("privacy-phone-international", "privacy-phone-both"),
    ("bot/privacy.py", "BIRTH_CUE"): ("privacy-birth-cues", "privacy-birth-place"),
    ("bot/privacy.py", "BIRTH_GAP"): ("privacy-birth-place",),
    ("bot/privacy.py", "BIRTH_DATE"): ("privacy-birth-dates", "privacy-birth-month"),
    ("bot/privacy.py", "STREET"): ("privacy-street-names", "privacy-street-lieu-dit"),
    ("bot/privacy.py", "STREET_NUMBER"): ("privacy-street-numbers", "privacy-street-names"),
    ("bot/privacy.py", "STREET_WORD"): ("privacy-street-names",),
    ("bot/privacy.py", "POSTCODE_AFTER"): ("privacy-street-postcodes",),
    ("bot/privacy.py", "ADDRESS_CUE"): ("privacy-address-cue",),
    ("bot/privacy.py", "NAME_CUE"): ("privacy-name-cues", "privacy-name-words"),
    ("bot/privacy.py", "NAME_WORD"): ("privacy-name-words", "privacy-name-hyphens"),
    ("bot/privacy.py", "NAME_NEXT_WORD"): ("privacy-name-words", "privacy-name-particles"),
    ("bot/nlu_components.py", "DOTTED_LETTERS"): (
        "respell-dotted-letters",
        "respell-dotted-spaced-letters",
        "respell-dotted-too-many",
        "respell-spaced-beside-dotted",
    ),
    ("bot/nlu_components.py", "SPACED_LETTERS"): ("respell-spaced-letters", "respell-spaced-beside-dotted"),
    ("bot/nlu_components.py", "BAC_PLUS"): ("respell-bac-spaces", "respell-bac-plus-no-digit"),
    ("bot/nlu_components.py", "MONEY_SLANG"): ("respell-money-digits", "respell-money-no-word"),
    ("bot/nlu_components.py", "UPPER_WORD"): ("nlu-upper-word-run", "nlu-upper-word-too-long"),
    ("bot/nlu_components.py", r"[\s.]"): ("respell-dotted-spaced-letters",),
    ("orientation/jobs.py", "_WORD"): ("jobs-words", "jobs-one-long-word"),
    ("orientation/text.py", "_NON_ALNUM"): ("text-normalise-punctuation",),
    ("orientation/text.py", "_COMBINING_MARKS"): ("text-normalise-combining-marks",),
    ("orientation/activities.py", "WORD"): ("activities-words",),
    ("orientation/places.py", "_ARRONDISSEMENT"): ("places-arrondissement-digits", "places-arrondissement-not-at-end"),
    ("orientation/formations.py", r"\b[A-Z0-9]{2,}\b"): (
        "formations-capitals-one-long-word",
        "formations-capitals-run",
    ),
    ("orientation/formations.py", "UAI"): "establishment codes of the formation data files",
    ("orientation/training.py", "_NEGATED_APPRENTICESHIP"): ("training-negation-runs", "training-negation-no-mode"),
    ("orientation/places.py", r"(?:code )?insee (\w{5})"): ("places-resolve-insee",),
    ("orientation/places.py", r"\d{1,3}|2a|2b"): ("places-resolve-digits",),
    ("orientation/places.py", r"\d{5}|2[ab]\d{3}"): ("places-resolve-digits", "places-resolve-postcodes"),
    ("orientation/places.py", r"\b\d{5}\b"): ("places-resolve-digits", "places-resolve-postcodes"),
    ("orientation/catalogue.py", "_NAME_PREFIX"): (
        "catalogue-prefix-spaces",
        "catalogue-prefix-de-spaces",
        "catalogue-prefix-long-name-spaces",
        "catalogue-find-by-name",
    ),
    ("orientation/catalogue.py", "_SLUG"): "campus ids of the catalogue CSV",
    ("orientation/catalogue.py", "_URL"): "links of the catalogue CSV",
    ("orientation/catalogue.py", r"\(([^)]*)\)"): "campus names of the catalogue",
    ("ops/training_data.py", "ANNOTATION"): (
        "review-annotation-brackets",
        "review-annotation-entity-never-closed",
        "review-annotation-dict-never-closed",
        "review-annotation-entity-unclosed-text",
    ),
    ("ops/review_merge.py", "INTENT_LINE"): ("review-merge-indent", "review-merge-intent-spaces"),
    ("ops/review_merge.py", "EXAMPLES_KEY"): ("review-merge-indent", "review-merge-examples-spaces"),
    ("ops/review_export.py", "re.escape(place)"): "a place escaped into a literal: no quantifier, linear",
    ("ops/content.py", "URL"): "links of the answers (domain.yml, content register)",
    ("ops/content.py", "READ_MORE"): "answers of domain.yml",
    ("ops/content.py", "LANGUAGE_ROOT"): "language codes of the content register",
    ("ops/content.py", "item['pattern']"): "withdrawn wordings of the content register, read against the answers",
}


def is_re_call(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "re"
        and node.func.attr in RE_FUNCTIONS
        and bool(node.args)
    )


def source_files() -> List[Path]:
    return [
        path
        for folder in SCANNED_FOLDERS
        for path in sorted((PROJECT_ROOT / folder).rglob("*.py"))
        if "web" not in path.relative_to(PROJECT_ROOT).parts
    ]


def patterns_in_sources() -> Dict[Tuple[str, str], int]:
    """(file, key) for every call of a `re` function in orientation/, bot/, actions/ and ops/, with its line. The
    key is the name a compiled pattern is given (`HTML_TAG = re.compile(...)`), else the pattern as
    written (its source text when it is not a plain string)."""
    found: Dict[Tuple[str, str], int] = {}
    for path in source_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        file = path.relative_to(PROJECT_ROOT).as_posix()
        names = {
            id(node.value): node.targets[0].id
            for node in ast.walk(tree)
            if isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and is_re_call(node.value)
            and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Attribute)
            and node.value.func.attr == "compile"
        }
        for node in ast.walk(tree):
            if is_re_call(node):
                assert isinstance(node, ast.Call)
                first = node.args[0]
                pattern = first.value if isinstance(first, ast.Constant) else ast.unparse(first)
                found.setdefault((file, names.get(id(node), str(pattern))), node.lineno)
    return found


def test_every_pattern_is_audited() -> None:
    found = patterns_in_sources()
    unlisted = [
        f"{file}:{line}: {pattern}" for (file, pattern), line in sorted(found.items()) if (file, pattern) not in AUDITED
    ]
    assert not unlisted, "patterns to check for backtracking and list in AUDITED, with a case each:\n" + "\n".join(
        unlisted
    )
    gone = sorted(set(AUDITED) - set(found))
    assert not gone, f"AUDITED lists patterns no longer in the sources: {gone}"


def test_the_patterns_are_applied_through_the_re_module_only() -> None:
    """The scan above sees `re.<function>(...)`: another import would hide a pattern from it."""
    hidden = re.compile(r"^\s*(?:from\s+re\s+import|import\s+regex\b|from\s+regex\b|import\s+re\s+as\b)", re.MULTILINE)
    offenders = [
        path.relative_to(PROJECT_ROOT).as_posix()
        for path in source_files()
        if hidden.search(path.read_text(encoding="utf-8"))
    ]
    assert not offenders


def test_every_pattern_reading_user_text_has_its_cases() -> None:
    for key, audit in AUDITED.items():
        if isinstance(audit, tuple):
            assert audit and set(audit) <= CASE_IDS, (key, set(audit) - CASE_IDS)
        else:
            assert audit.strip(), key


def test_rasa_regex_features_come_from_the_lookup_tables_only() -> None:
    """The pipeline's only regex component is the RegexFeaturizer measured above, and the training
    data gives it no `regex:` pattern of its own: a new one has to be audited like those above."""
    regex_components = {component["name"] for component in pipeline() if "Regex" in component["name"]}
    assert regex_components == {"RegexFeaturizer"}
    for path in sorted((TRAINING_DATA_DIR).rglob("*.yml")):
        items = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu") or []
        assert not [item for item in items if isinstance(item, dict) and "regex" in item], path
