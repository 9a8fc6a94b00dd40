"""`make content-check` as a counsellor sees it: each kind of failure shown on a small bad fixture,
the answers due soon listed, and a malformed register reported by answer name, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Dict, Tuple

import pytest
import yaml

from ops.content import main
from orientation.paths import PROJECT_ROOT

TODAY = "2026-12-02"
LINK = "https://www.service-public.fr/particuliers/vosdroits/F2918"
GOOD_TEXT = f"L'apprentissage, c'est un diplôme et un contrat de travail.\nEn savoir plus : {LINK}"
GOOD_ENTRY = {"checked": "2026-11-20", "sources": [{"url": LINK}]}


def write_fixture(
    tmp_path: Path,
    text: str = GOOD_TEXT,
    entry: object = None,
    extra_entries: Dict[str, object] = None,
    withdrawn: list = None,
) -> Tuple[Path, Path]:
    domain = tmp_path / "domain.yml"
    domain.write_text(
        yaml.safe_dump(
            {"version": "3.1", "responses": {"utter_faq_apprenticeship/what_is": [{"text": text}]}}, allow_unicode=True
        ),
        encoding="utf-8",
    )
    answers = {"faq_apprenticeship/what_is": GOOD_ENTRY if entry is None else entry}
    answers.update(extra_entries or {})
    register = tmp_path / "answers.yml"
    # Dates stay strings in the fixture, as a counsellor may type them wrongly.
    register.write_text(
        yaml.safe_dump({"answers": answers, "withdrawn": withdrawn or []}, allow_unicode=True), encoding="utf-8"
    )
    return domain, register


def run_check(capsys, domain: Path, register: Path, today: str = TODAY) -> Tuple[int, str]:
    code = main(["--domain", str(domain), "--register", str(register), "--today", today])
    return code, capsys.readouterr().out


def test_a_sourced_recent_short_answer_passes(tmp_path, capsys):
    code, out = run_check(capsys, *write_fixture(tmp_path))
    assert code == 0, out
    assert "1 réponses vérifiées, 0 problème(s)" in out


@pytest.mark.parametrize(
    "entry, expected",
    [
        ({"checked": "2026-11-20", "sources": []}, "aucune source"),
        ({"checked": "2025-11-30", "sources": [{"url": LINK}]}, "plus de 12 mois"),
        ({"checked": "2026-11-20", "valid_until": "2026-12-01", "sources": [{"url": LINK}]}, "date dépassée"),
        ({"checked": "2026-11-20", "sources": [{"url": "https://www.onisep.fr/"}, {"url": LINK}]}, "page d'accueil"),
        (
            {"checked": "2026-11-20", "sources": [{"url": "https://travail-emploi.gouv.fr/le-cpf"}]},
            "n'est pas parmi ses sources",
        ),
    ],
    ids=["no source", "checked over a year ago", "past valid until", "home page source", "link shown not a source"],
)
def test_each_register_failure_names_the_answer(tmp_path, capsys, entry, expected):
    code, out = run_check(capsys, *write_fixture(tmp_path, entry=entry))
    assert code == 1
    assert "ERREUR faq_apprenticeship/what_is : " in out and expected in out, out


def test_an_answer_missing_from_the_register_has_no_source(tmp_path, capsys):
    domain, register = write_fixture(tmp_path)
    register.write_text("answers: {}\n", encoding="utf-8")
    code, out = run_check(capsys, domain, register)
    assert code == 1 and "faq_apprenticeship/what_is : absente du registre" in out


def test_an_answer_over_90_words_fails(tmp_path, capsys):
    long_text = " ".join(["mot"] * 86) + f"\nEn savoir plus : {LINK}"  # 86 + 5 = 91 words
    code, out = run_check(capsys, *write_fixture(tmp_path, text=long_text))
    assert code == 1 and "91 mots (au plus 90)" in out


def test_a_link_to_a_home_page_in_the_text_fails(tmp_path, capsys):
    text = "Voir le site https://www.onisep.fr pour tout savoir.\nEn savoir plus : " + LINK
    code, out = run_check(capsys, *write_fixture(tmp_path, text=text))
    assert code == 1 and "dans le texte, lien vers une page d'accueil" in out
    text = "Voir https://europass.europa.eu/fr.\nEn savoir plus : " + LINK
    code, out = run_check(capsys, *write_fixture(tmp_path, text=text))
    assert code == 1 and "https://europass.europa.eu/fr" in out


def test_an_answer_that_states_a_withdrawn_rule_fails(tmp_path, capsys):
    text = f"L'État verse 500 € pour le permis des apprentis.\nEn savoir plus : {LINK}"
    withdrawn = [{"pattern": "500 ?€[^.]*permis", "reason": "aide au permis supprimée en 2026"}]
    code, out = run_check(capsys, *write_fixture(tmp_path, text=text, withdrawn=withdrawn))
    assert code == 1 and "énonce une règle supprimée : aide au permis supprimée en 2026" in out


def test_answers_due_within_60_days_are_listed_without_failing(tmp_path, capsys):
    entry = {"checked": "2026-01-15", "valid_until": "2026-12-31", "sources": [{"url": LINK}]}
    code, out = run_check(capsys, *write_fixture(tmp_path, entry=entry))
    assert code == 0, out
    due = out.split("À relire dans les 60 jours")[1]
    assert "2026-12-31  faq_apprenticeship/what_is  (fin de validité de la règle)" in due
    assert LINK in due
    # The yearly re-reading is due too once the check date comes within 60 days of it.
    code, out = run_check(capsys, *write_fixture(tmp_path, entry={**entry, "valid_until": None}), today="2026-12-20")
    assert "2027-01-15  faq_apprenticeship/what_is  (relecture annuelle)" in out


@pytest.mark.parametrize(
    "entry, extra, expected",
    [
        (
            {"checked": "2026-13-45", "sources": [{"url": LINK}]},
            {},
            "faq_apprenticeship/what_is : checked: « 2026-13-45 » n'est pas une date",
        ),
        (
            {"checked": "2026-11-20", "valid_until": "bientôt", "sources": [{"url": LINK}]},
            {},
            "faq_apprenticeship/what_is : valid_until: « bientôt » n'est pas une date",
        ),
        (
            {"checked": "2026-11-20", "sources": [{"url": "www.service-public.fr/vosdroits/F2918"}, {"url": LINK}]},
            {},
            "faq_apprenticeship/what_is : adresse sans http(s)://",
        ),
        (
            GOOD_ENTRY,
            {"faq_apprenticeship/salary": GOOD_ENTRY},
            "faq_apprenticeship/salary : réponse inconnue du domaine",
        ),
        ({"checked": "2026-11-20", "sources": [{"link": LINK}]}, {}, "faq_apprenticeship/what_is : source illisible"),
        ("2026-11-20", {}, "faq_apprenticeship/what_is : l'entrée doit donner checked et sources"),
    ],
    ids=[
        "unparseable date",
        "unparseable valid until",
        "missing URL scheme",
        "unknown answer key",
        "source without url",
        "entry not a mapping",
    ],
)
def test_a_malformed_entry_fails_with_the_answer_name_and_the_problem(tmp_path, capsys, entry, extra, expected):
    code, out = run_check(capsys, *write_fixture(tmp_path, entry=entry, extra_entries=extra))
    assert code == 1 and expected in out, out


def test_an_unreadable_register_is_a_message_not_a_traceback(tmp_path):
    domain, register = write_fixture(tmp_path)
    register.write_text("answers:\n  faq_apprenticeship/what_is: [unclosed\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "cli", "content-check", "--domain", str(domain), "--register", str(register)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "ERREUR registre : registre illisible" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_the_assistant_answers_pass_the_content_check_on_new_years_day(capsys):
    """The real answers and register, rehearsed on 2 January 2027: sourced, short, re-read within a
    year, and none past its date once the rules of 1 January have changed."""
    code = main(["--today", "2027-01-02"])
    out = capsys.readouterr().out
    assert code == 0, out


def test_a_valid_until_before_the_check_date_fails(tmp_path, capsys):
    entry = {"checked": "2026-11-20", "valid_until": "2026-10-01", "sources": [{"url": LINK}]}
    code, out = run_check(capsys, *write_fixture(tmp_path, entry=entry))
    assert code == 1
    assert "ERREUR faq_apprenticeship/what_is : valid_until (2026-10-01) avant checked (2026-11-20)" in out


def test_a_checked_date_in_the_future_fails(tmp_path, capsys):
    entry = {"checked": "2026-12-25", "sources": [{"url": LINK}]}
    code, out = run_check(capsys, *write_fixture(tmp_path, entry=entry))
    assert code == 1 and "ERREUR faq_apprenticeship/what_is : vérifiée le 2026-12-25, une date à venir" in out


def test_two_answers_resting_on_the_same_only_page_fail_both(tmp_path, capsys):
    domain, register = write_fixture(tmp_path, extra_entries={"faq_apprenticeship/age": GOOD_ENTRY})
    content = yaml.safe_load(domain.read_text(encoding="utf-8"))
    content["responses"]["utter_faq_apprenticeship/age"] = [{"text": GOOD_TEXT}]
    domain.write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")
    code, out = run_check(capsys, domain, register)
    assert code == 1
    assert (
        f"ERREUR faq_apprenticeship/age : sa seule source est aussi la seule de faq_apprenticeship/what_is : {LINK}"
        in out
    )
    assert "ERREUR faq_apprenticeship/what_is : sa seule source est aussi la seule de faq_apprenticeship/age" in out


def test_an_answer_past_its_date_says_what_to_do_in_one_line(tmp_path, capsys):
    entry = {"checked": "2026-11-20", "valid_until": "2026-12-31", "sources": [{"url": LINK}]}
    code, out = run_check(capsys, *write_fixture(tmp_path, entry=entry), today="2027-01-01")
    assert code == 1
    line = next(line for line in out.splitlines() if line.startswith("ERREUR faq_apprenticeship/what_is"))
    assert "2026-12-31" in line and "relire ses sources" in line and "valid_until à jour" in line


def test_make_content_check_rehearses_a_date():
    rehearsed = subprocess.run(
        ["make", "--no-print-directory", "content-check", "TODAY=2026-12-02"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
    )
    assert "(au 2026-12-02)" in rehearsed.stdout, rehearsed.stdout + rehearsed.stderr
