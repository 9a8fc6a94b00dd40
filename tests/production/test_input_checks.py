"""What the channels accept and refuse, checked without a server."""

import json
import time

import pytest

from bot.channels import (
    EMPTY_MESSAGE_REPLY,
    MAX_BODY_BYTES,
    MAX_MESSAGE_CHARS,
    MAX_RAW_CHARS,
    MAX_SYMBOL_RUN,
    TOO_LONG_REPLY,
    InvalidRequest,
    checked_text,
    clean_text,
    input_problem_reply,
    origin_allowed,
    parse_rest_request,
    technical_problem_reply,
)

JSON = "application/json"


def body(payload) -> bytes:
    return json.dumps(payload).encode()


def test_a_well_formed_request_gives_sender_and_text():
    incoming = parse_rest_request("application/json; charset=utf-8", body({"sender": "abc", "message": "Bonjour"}))
    assert (incoming.sender, incoming.text) == ("abc", "Bonjour")


def test_a_numeric_sender_is_accepted_as_text():
    assert parse_rest_request(JSON, body({"sender": 42, "message": "x"})).sender == "42"


@pytest.mark.parametrize(
    "content_type, raw, status",
    [
        (JSON, b"{not json", 400),
        (JSON, b'{"sender": "a", "message": "\xff\xfe"}', 400),
        (JSON, b"[1, 2]", 400),
        (JSON, b'"just a string"', 400),
        (JSON, b"[" * 10_000, 400),  # nested too deep, yet within the size limit
        (JSON, body({"message": "sans expéditeur"}), 400),
        (JSON, body({"sender": "", "message": "x"}), 400),
        (JSON, body({"sender": None, "message": "x"}), 400),
        (JSON, body({"sender": True, "message": "x"}), 400),
        (JSON, body({"sender": "a\nb", "message": "x"}), 400),
        (JSON, body({"sender": "x" * 500, "message": "x"}), 400),
        (JSON, body({"sender": "a"}), 400),
        (JSON, body({"sender": "a", "message": 12}), 400),
        (JSON, body({"sender": "a", "message": ["x"]}), 400),
        ("text/plain", body({"sender": "a", "message": "x"}), 415),
        (None, body({"sender": "a", "message": "x"}), 415),
        ("application/x-www-form-urlencoded", b"sender=a&message=x", 415),
        (JSON, body({"sender": "a", "message": "x" * MAX_BODY_BYTES}), 413),
    ],
)
def test_malformed_requests_are_refused_with_a_reason(content_type, raw, status):
    with pytest.raises(InvalidRequest) as refused:
        parse_rest_request(content_type, raw)
    assert refused.value.status == status
    assert refused.value.reason


@pytest.mark.parametrize(
    "raw, cleaned",
    [
        ("  Bonjour  ", "Bonjour"),
        ("bon\x00jour\x07 à\ttous\r\n", "bon jour à tous"),
        ("in\u200bfor\u202ematique", "informatique"),
        ("<script>alert('x')</script> les campus", "alert('x') les campus"),
        ('<img src=x onerror="alert(1)">BTS', "BTS"),
        ("je t'aime <3 et 2 < 5 > 1", "je t'aime <3 et 2 < 5 > 1"),
        ("cafe\u0301", "café"),
        ("\ud83d seul", "seul"),
        ("😀🎓", "😀🎓"),
    ],
)
def test_text_is_cleaned_before_nlu(raw, cleaned):
    assert clean_text(raw) == cleaned


def test_empty_and_too_long_messages_get_a_polite_reply():
    assert input_problem_reply("") == EMPTY_MESSAGE_REPLY
    assert input_problem_reply("x" * (MAX_MESSAGE_CHARS + 1)) == TOO_LONG_REPLY
    assert input_problem_reply("x" * MAX_MESSAGE_CHARS) is None


def test_the_apology_points_somewhere_useful():
    apology = technical_problem_reply()
    assert "https://" in apology
    assert "Désolé" in apology


@pytest.mark.parametrize(
    "origin, allowed, expected",
    [
        ("http://localhost:8080", ("http://localhost:8080",), True),
        ("https://evil.example", ("http://localhost:8080",), False),
        (None, ("http://localhost:8080",), True),
        ("https://any.example", ("*",), True),
    ],
)
def test_socketio_origins(origin, allowed, expected):
    assert origin_allowed(origin, allowed) is expected


def test_a_long_run_of_spaces_after_a_bracket_is_handled_at_once():
    """The tag pattern once backtracked over every split of the spaces: 60,000 took seconds."""
    raw = "<" + " " * 60_000
    started = time.perf_counter()
    text, problem = checked_text(raw)
    assert time.perf_counter() - started < 0.05
    assert problem == TOO_LONG_REPLY  # judged on its raw length, before any cleaning


def test_the_largest_text_cleaned_is_cleaned_in_linear_time():
    for raw in ("<" + " " * (MAX_RAW_CHARS - 1), "< /" * (MAX_RAW_CHARS // 3), "<a" + "b" * (MAX_RAW_CHARS - 2)):
        started = time.perf_counter()
        clean_text(raw)
        assert time.perf_counter() - started < 0.05, raw[:10]


def test_a_raw_text_over_the_limit_is_refused_even_if_cleaning_would_shrink_it():
    assert checked_text("<b>" * (MAX_RAW_CHARS // 3 + 1)) == ("", TOO_LONG_REPLY)
    assert checked_text("<b>" + "Bonjour" + "</b>") == ("Bonjour", None)


@pytest.mark.parametrize("tag", ["<b>", "< b >", "</ b>", "< / b>", "<!-- x -->", "<img src=x onerror=alert(1)>"])
def test_every_shape_of_tag_is_still_dropped(tag):
    assert clean_text(f"campus {tag}numérique") == "campus numérique"


def test_a_maximal_message_fits_in_the_largest_body_even_fully_escaped():
    maximal = body({"sender": "s" * 128, "message": "😀" * MAX_MESSAGE_CHARS})
    assert len(maximal) <= MAX_BODY_BYTES
    assert parse_rest_request(JSON, maximal).text == "😀" * MAX_MESSAGE_CHARS


@pytest.mark.parametrize("run", ["€" * 1000, "🙂" * 1000, "(" * 1000, "!?" * 500])
def test_a_long_run_of_symbols_is_cut_to_a_few_before_nlu(run):
    assert clean_text(f"campus {run} numérique") == f"campus {run[:MAX_SYMBOL_RUN]} numérique"


def test_a_few_symbols_in_a_row_are_kept():
    assert clean_text("c'est quoi un BTS ?!?! 🙂🙂🙂") == "c'est quoi un BTS ?!?! 🙂🙂🙂"
