"""`python -m cli review-merge`: a counsellor's reviewed examples go into the right block of the
right topic file of data/nlu/, and a wrong file is refused with a clear message (exit code 2),
leaving the training data untouched. Runs on a copy of data/, domain.yml and the test sets."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rasa.shared.nlu.training_data.loading import load_data

from ops.training_data import read_examples
from orientation.paths import DOMAIN_PATH, PROJECT_ROOT, TESTS_DIR, TRAINING_DATA_DIR

REVIEW_HEADER = 'version: "3.1"\nnlu:\n'


@pytest.fixture
def project(tmp_path) -> Path:
    """A copy of the files review-merge reads and writes."""
    shutil.copytree(TRAINING_DATA_DIR, tmp_path / "data")
    shutil.copy(DOMAIN_PATH, tmp_path / "domain.yml")
    for folder in ("nlu", "nlu_students", "nlu_faq"):
        if (TESTS_DIR / folder).exists():
            shutil.copytree(TESTS_DIR / folder, tmp_path / "tests" / folder)
    return tmp_path


def review_file(folder: Path, *entries, name: str = "review.yml") -> Path:
    body = "".join(f"- intent: {intent}\n  examples: |\n    - {text}\n" for intent, text in entries)
    path = folder / name
    path.write_text(REVIEW_HEADER + body, encoding="utf-8")
    return path


def merge(project: Path, review: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "cli",
            "review-merge",
            str(review),
            "--data",
            str(project / "data"),
            "--domain",
            str(project / "domain.yml"),
            "--tests",
            str(project / "tests"),
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def snapshot(project: Path) -> dict:
    return {path: path.read_bytes() for path in sorted((project / "data").rglob("*.yml"))}


def first_example(path: Path, intent: str) -> str:
    return next(example.text for example in read_examples(path) if example.intent == intent)


def test_examples_are_appended_to_the_block_of_their_intent_and_nothing_else_changes(project):
    vae = project / "data" / "nlu" / "vae.yml"
    chitchat = project / "data" / "nlu" / "chitchat.yml"
    before_vae, before_chitchat = vae.read_text(encoding="utf-8"), chitchat.read_text(encoding="utf-8")
    review = review_file(
        project,
        ("faq_vae/steps", "par quoi je commence pour monter mon dossier de vae"),
        ("greet", "hello la compagnie"),
        ("ignore", "asdfgh"),
        ("TO_REVIEW", "pas encore relu"),
    )

    result = merge(project, review)

    assert result.returncode == 0, result.stderr
    assert "2 exemple(s) ajouté(s), 1 ignoré(s), 1 encore à relire" in result.stdout
    assert "make train" in result.stdout
    added_vae = [line for line in vae.read_text(encoding="utf-8").splitlines() if line not in before_vae.splitlines()]
    assert added_vae == ["    - par quoi je commence pour monter mon dossier de vae"]
    # Only that line was added, inside the faq_vae/steps block (the file is not reformatted).
    assert vae.read_text(encoding="utf-8").replace(added_vae[0] + "\n", "", 1) == before_vae
    steps = [e.text for e in read_examples(vae) if e.intent == "faq_vae/steps"]
    assert steps[-1] == "par quoi je commence pour monter mon dossier de vae"
    assert [e.text for e in read_examples(chitchat) if e.intent == "greet"][-1] == "hello la compagnie"
    assert len(chitchat.read_text(encoding="utf-8").splitlines()) == len(before_chitchat.splitlines()) + 1
    # Rasa still reads the files, with the new examples under their intents.
    messages = load_data(str(vae)).intent_examples
    assert any(
        m.get("text") == "par quoi je commence pour monter mon dossier de vae"
        and m.get("intent_response_key") == "faq_vae/steps"
        for m in messages
    )


@pytest.mark.parametrize(
    "content, expected",
    [
        ("nlu:\n- intent: greet\n  examples: |\n    - salut\n  - oops: [\n", "n'est pas du YAML valide (ligne"),
        ("- juste une liste\n", "pas de liste « nlu: »"),
        ("nlu:\n- intent: greet\n", "l'entrée n° 1 doit avoir « intent: » et « examples: | »"),
    ],
)
def test_a_corrupt_review_file_is_refused_clearly(project, content, expected):
    review = project / "review.yml"
    review.write_text(content, encoding="utf-8")
    before = snapshot(project)
    result = merge(project, review)
    assert result.returncode == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(project) == before


def test_a_missing_review_file_is_refused_clearly(project):
    result = merge(project, project / "absent.yml")
    assert result.returncode == 2
    assert "Fichier de relecture illisible" in result.stderr and "Traceback" not in result.stderr


def test_unknown_intent_duplicate_and_test_phrasing_are_refused_and_nothing_is_written(project):
    duplicate = first_example(project / "data" / "nlu" / "vae.yml", "faq_vae/eligibility")
    test_phrasing = first_example(project / "tests" / "nlu" / "faq_vae.yml", "faq_vae/eligibility")
    review = review_file(
        project,
        ("faq_vae/stpes", "comment on fait pour se lancer"),
        ("faq_vae/eligibility", duplicate.upper()),
        ("faq_vae/eligibility", test_phrasing),
        ("faq_vae", "la vae c'est pour moi ?"),
        ("greet", "coucou la team orientation"),
        ("greet", "Coucou  la team orientation"),
    )
    before = snapshot(project)

    result = merge(project, review)

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "Rien n'a été ajouté" in result.stderr
    assert "intention inconnue « faq_vae/stpes » (vouliez-vous dire faq_vae/steps" in result.stderr
    assert "déjà un exemple de faq_vae/eligibility dans data/nlu/vae.yml" in result.stderr
    assert "phrase du jeu de test tests/nlu/faq_vae.yml" in result.stderr
    assert "« faq_vae » a plusieurs réponses : écrivez la réponse voulue" in result.stderr
    assert "en double dans le fichier de relecture" in result.stderr
    assert snapshot(project) == before


def test_an_example_still_holding_personal_data_is_refused_without_showing_it(project):
    review = review_file(
        project,
        ("greet", "bonjour je m'appelle Léa Moreau"),
        ("faq_vae/steps", "comment monter ma vae, rappelez-moi au 06 12 34 56 78"),
        ("greet", "coucou c'est [nom masqué]"),  # already masked: nothing personal left
    )
    before = snapshot(project)

    result = merge(project, review)

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "Rien n'a été ajouté" in result.stderr
    assert (
        "« bonjour je m'appelle [nom masqué] » (greet) : contient encore des données personnelles (nom et prénom)"
        in result.stderr
    )
    assert "« comment monter ma vae, rappelez-moi au [téléphone masqué] » (faq_vae/steps)" in result.stderr
    assert "numéro de téléphone" in result.stderr
    assert "Léa Moreau" not in result.stderr and "06 12 34 56 78" not in result.stderr
    assert "coucou c'est" not in result.stderr
    assert snapshot(project) == before


def test_a_test_phrasing_with_other_final_punctuation_is_still_refused(project):
    test_phrasing = first_example(project / "tests" / "nlu" / "faq_vae.yml", "faq_vae/eligibility")
    review = review_file(project, ("faq_vae/eligibility", test_phrasing.rstrip(" ?!.") + " ?!"))
    before = snapshot(project)
    result = merge(project, review)
    assert result.returncode == 2
    assert "phrase du jeu de test tests/nlu/faq_vae.yml" in result.stderr
    assert snapshot(project) == before
