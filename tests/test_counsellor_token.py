"""Where the counsellors' access token comes from, and how it is checked."""

from bot.counsellor import configured_token, token_is_valid, understanding


def test_the_environment_wins_then_the_file(monkeypatch, tmp_path):
    token_file = tmp_path / "counsellor-token"
    token_file.write_text("from-file\n", encoding="utf-8")
    monkeypatch.setenv("COUNSELLOR_TOKEN_FILE", str(token_file))
    monkeypatch.setenv("COUNSELLOR_TOKEN", "from-env")
    assert configured_token() == "from-env"
    monkeypatch.delenv("COUNSELLOR_TOKEN")
    assert configured_token() == "from-file"


def test_the_file_named_in_school_settings(monkeypatch, tmp_path):
    token_file = tmp_path / "counsellor-token"
    token_file.write_text("from-settings", encoding="utf-8")
    settings = tmp_path / "school.yml"
    settings.write_text(f"counsellor_view:\n  token_file: {token_file}\n", encoding="utf-8")
    monkeypatch.delenv("COUNSELLOR_TOKEN", raising=False)
    monkeypatch.delenv("COUNSELLOR_TOKEN_FILE", raising=False)
    monkeypatch.setenv("SCHOOL_SETTINGS", str(settings))
    assert configured_token() == "from-settings"


def test_no_token_or_an_unreadable_file_means_the_view_is_off(monkeypatch, tmp_path):
    monkeypatch.delenv("COUNSELLOR_TOKEN", raising=False)
    monkeypatch.setenv("COUNSELLOR_TOKEN_FILE", str(tmp_path / "missing"))
    assert configured_token() is None
    assert not token_is_valid("anything", None)
    assert not token_is_valid("", "")


def test_only_the_exact_token_is_valid():
    assert token_is_valid("s3cret", "s3cret")
    assert not token_is_valid("s3cret ", "s3cret")
    assert not token_is_valid(None, "s3cret")
    assert not token_is_valid(["s3cret"], "s3cret")


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
