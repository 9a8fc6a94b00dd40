"""Where the counsellors' access token comes from, and how it is checked."""

import pytest

from bot.counsellor import (
    MIN_TOKEN_CHARS,
    TokenGuard,
    WeakTokenError,
    check_token_strength,
    configured_token,
    token_is_valid,
    understanding,
)


def test_the_environment_wins_then_the_file(monkeypatch, tmp_path):
    token_file = tmp_path / "counsellor-token"
    token_file.write_text("from-file-0123456789abcdefgh\n", encoding="utf-8")
    monkeypatch.setenv("COUNSELLOR_TOKEN_FILE", str(token_file))
    monkeypatch.setenv("COUNSELLOR_TOKEN", "from-env-0123456789abcdefghij")
    assert configured_token() == "from-env-0123456789abcdefghij"
    monkeypatch.delenv("COUNSELLOR_TOKEN")
    assert configured_token() == "from-file-0123456789abcdefgh"


def test_the_file_named_in_school_settings(monkeypatch, tmp_path):
    token_file = tmp_path / "counsellor-token"
    token_file.write_text("from-settings-0123456789abcdef", encoding="utf-8")
    settings = tmp_path / "school.yml"
    settings.write_text(f"counsellor_view:\n  token_file: {token_file}\n", encoding="utf-8")
    monkeypatch.delenv("COUNSELLOR_TOKEN", raising=False)
    monkeypatch.delenv("COUNSELLOR_TOKEN_FILE", raising=False)
    monkeypatch.setenv("SCHOOL_SETTINGS", str(settings))
    assert configured_token() == "from-settings-0123456789abcdef"


def test_no_token_or_an_unreadable_file_means_the_view_is_off(monkeypatch, tmp_path):
    monkeypatch.delenv("COUNSELLOR_TOKEN", raising=False)
    monkeypatch.setenv("COUNSELLOR_TOKEN_FILE", str(tmp_path / "missing"))
    assert configured_token() is None
    assert not token_is_valid("anything", None)
    assert not token_is_valid("", "")


def test_only_the_exact_token_is_valid():
    token = "s3cret-0123456789abcdefghij"
    assert token_is_valid(token, token)
    assert not token_is_valid(token + " ", token)
    assert not token_is_valid(None, token)
    assert not token_is_valid([token], token)


def test_understanding_names_the_faq_answer_only_for_an_faq_intent():
    parse = {
        "text": "c'est quoi la VAE ?",
        "intent": {"name": "faq_vae", "confidence": 0.9},
        "entities": [{"entity": "training_mode", "value": "vae", "start": 0}],
        "response_selector": {"default": {"response": {"intent_response_key": "faq_vae/what_is", "confidence": 0.8}}},
    }
    understood = understanding(parse)
    assert understood["faq"] == {"key": "faq_vae/what_is", "confidence": 0.8}
    assert understood["entities"] == [{"entity": "training_mode", "value": "vae"}]
    parse["intent"]["name"] = "greet"
    assert understanding(parse)["faq"] is None


def test_make_run_makes_a_private_token_that_bot_ask_reads(monkeypatch, tmp_path):
    from bot import counsellor

    monkeypatch.delenv("COUNSELLOR_TOKEN", raising=False)
    monkeypatch.setenv("COUNSELLOR_TOKEN_FILE", str(tmp_path / "missing"))
    monkeypatch.setattr(counsellor, "LOCAL_TOKEN_FILE", tmp_path / "var" / "counsellor-token")
    assert counsellor.token_for_ask() is None  # nothing made yet: cli ask loads the model itself
    made = counsellor.local_token_file()
    assert made.stat().st_mode & 0o777 == 0o600 and len(made.read_text()) >= 32
    assert counsellor.token_for_ask() == made.read_text()
    assert counsellor.local_token_file().read_text() == made.read_text()  # kept across restarts


def test_a_short_token_is_refused_at_start_and_never_accepted(monkeypatch):
    monkeypatch.setenv("COUNSELLOR_TOKEN", "x" * (MIN_TOKEN_CHARS - 1))
    with pytest.raises(WeakTokenError, match="au moins 24"):
        check_token_strength()
    assert not token_is_valid("x" * (MIN_TOKEN_CHARS - 1), configured_token())  # never guessable
    monkeypatch.setenv("COUNSELLOR_TOKEN", "x" * MIN_TOKEN_CHARS)
    check_token_strength()
    assert token_is_valid("x" * MIN_TOKEN_CHARS, configured_token())


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_five_wrong_tokens_in_ten_minutes_pause_that_address_only():
    clock = FakeClock()
    guard = TokenGuard(clock=clock)
    for _ in range(4):
        guard.record_wrong("203.0.113.7")
        clock.now += 60
    assert not guard.paused("203.0.113.7")
    guard.record_wrong("203.0.113.7")
    assert guard.paused("203.0.113.7")
    assert not guard.paused("198.51.100.2")
    clock.now += 601
    assert not guard.paused("203.0.113.7")


def test_wrong_tokens_spread_over_more_than_ten_minutes_do_not_pause():
    clock = FakeClock()
    guard = TokenGuard(clock=clock)
    for _ in range(10):
        guard.record_wrong("203.0.113.7")
        clock.now += 200
    assert not guard.paused("203.0.113.7")


def test_the_start_up_check_refuses_a_short_token_with_what_to_do(monkeypatch, tmp_path, capsys):
    from bot.preflight import main

    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(
        f"tracker_store:\n  type: SQL\n  dialect: sqlite\n  db: {tmp_path / 'c.db'}\n", encoding="utf-8"
    )
    monkeypatch.setenv("COUNSELLOR_TOKEN", "court")
    assert main(["--endpoints", str(endpoints)]) == 1
    said = capsys.readouterr().err
    assert "Démarrage impossible" in said and "au moins 24" in said and "umask 077" in said
    monkeypatch.setenv("COUNSELLOR_TOKEN", "a-long-enough-token-0123456789")
    assert main(["--endpoints", str(endpoints)]) == 0
