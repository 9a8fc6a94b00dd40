"""Command line: `python -m cli COMMAND`: ask, run, evaluate, bench, bench-search, purge, content-check,
report, review-export, review-merge, bench-report.

Outside the runtime package (bot/): it drives operations (ops/) and development tools (devtools/),
which the running assistant never imports."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import importlib
import os
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Dict, List, Mapping, Optional

from devtools.processes import action_server, is_up
from orientation.paths import MODEL_PATH, PROCFILE, PROJECT_ROOT

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("LOG_LEVEL", "WARNING")  # counsellors read answers, not Rasa's debug log


# --- ask ---------------------------------------------------------------------------------

DEFAULT_RASA_URL = "http://127.0.0.1:5005"
ASK_TIMEOUT_SECONDS = 30


class AskRefused(RuntimeError):
    """The running assistant refused the counsellor token: the message says what to do."""


def reply_text(message: dict) -> str:
    text = message.get("text") or ""
    custom = message.get("custom")
    if custom and not text:
        text = custom.get("text") or str(custom)
    buttons = message.get("buttons") or []
    if buttons:
        text += "\n  [" + "] [".join(b["title"] for b in buttons) + "]"
    return text


def result_of(question: str, understood: Optional[dict], replies: List[dict]) -> dict:
    understood = understood or {"intent": "?", "confidence": 0.0, "entities": [], "faq": None}
    return {"question": question, **understood, "replies": [reply_text(r) for r in replies]}


def ask_running_assistant(questions: List[str], rasa_url: str, token: str) -> List[dict]:
    """Fast path: the running assistant answers over REST, with what it understood (counsellor token)."""
    import requests

    from bot.counsellor import TOKEN_HEADER

    results = []
    for question in questions:
        response = requests.post(
            f"{rasa_url}/webhooks/rest/webhook",
            timeout=ASK_TIMEOUT_SECONDS,
            headers={TOKEN_HEADER: token},
            json={"sender": f"ask-{uuid.uuid4().hex}", "message": question},
        )
        if response.status_code == 403:
            raise AskRefused(response.json().get("error") or "Code d'accès conseiller refusé.")
        response.raise_for_status()
        replies = response.json()
        understood = next((r["understanding"] for r in replies if r.get("understanding")), None)
        results.append(result_of(question, understood, replies))
    return results


def silence_rasa_logging() -> None:
    """Counsellors read answers: no debug log, no libraries' deprecation or retracing notices."""
    import logging
    import warnings

    # Libraries reset the warning filters while loading: drop the notices where they are shown.
    warnings.showwarning = lambda *args, **kwargs: None
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    configure_logging_and_warnings(logging.WARNING)
    configure_structlog(logging.WARNING)  # Rasa's structured log ignores the logging levels
    for name in ("rasa", "matplotlib", "urllib3"):
        logging.getLogger(name).setLevel(logging.WARNING)
    for name in ("tensorflow", "absl"):
        logging.getLogger(name).setLevel(logging.ERROR)


async def ask_questions(questions: List[str], model: Path, action_url: str) -> List[dict]:
    """Slow path, when no assistant runs: loads the model in this process."""
    silence_rasa_logging()
    from rasa.core.agent import Agent
    from rasa.utils.endpoints import EndpointConfig

    from bot import patches
    from bot.counsellor import understanding

    patches.install()  # the model runs as in the running assistant

    agent = Agent.load(str(model), action_endpoint=EndpointConfig(url=f"{action_url}/webhook"))
    results = []
    for question in questions:
        parse = await agent.parse_message(question)
        replies = await agent.handle_text(question, sender_id=f"ask-{uuid.uuid4().hex}")
        results.append(result_of(question, understanding(parse), replies or []))
    return results


def entities_text(result: dict) -> str:
    return ", ".join(f"{e['entity']}={e.get('value')}" for e in result["entities"])


def expired_answers(today: Optional[dt.date] = None) -> Dict[str, dt.date]:
    """FAQ answer key -> its `valid_until`, for the answers past it (content/answers.yml). An
    unreadable register marks nothing: `make content-check` reports it."""
    from ops.content import answers_expired

    try:
        return {answer["answer"]: answer["valid_until"] for answer in answers_expired(today or dt.date.today())}
    except Exception:  # noqa: BLE001 - the answer is still shown, unmarked
        return {}


MONTHS = "janvier février mars avril mai juin juillet août septembre octobre novembre décembre".split()


def french_day(day: dt.date) -> str:
    return f"{'1er' if day.day == 1 else day.day} {MONTHS[day.month - 1]} {day.year}"


def faq_line(faq: dict, expired: Mapping[str, dt.date]) -> str:
    """The FAQ answer chosen, with a warning when its rule is past its `valid_until`."""
    line = f"Réponse FAQ: {faq['key']} ({faq['confidence']:.2f})"
    valid_until = expired.get(faq["key"])
    if valid_until is not None:
        line += f" — à revoir : règle valable jusqu'au {french_day(valid_until)}"
    return line


def print_one(result: dict, expired: Optional[Mapping[str, dt.date]] = None) -> None:
    print(f"Question   : {result['question']}")
    print(f"Intention  : {result['intent']} ({result['confidence']:.2f})")
    print(f"Entités    : {entities_text(result) or '-'}")
    if result["faq"]:
        print(faq_line(result["faq"], expired or {}))
    print("Réponses   :")
    for reply in result["replies"]:
        print("  > " + reply.replace("\n", "\n    "))


def faq_cell(faq: Optional[dict], expired: Mapping[str, dt.date]) -> str:
    if not faq:
        return ""
    return f"{faq['key']} (à revoir)" if faq["key"] in expired else faq["key"]


def print_table(results: List[dict], expired: Optional[Mapping[str, dt.date]] = None) -> None:
    from tabulate import tabulate

    rows = [
        [
            r["question"][:50],
            r["intent"],
            f"{r['confidence']:.2f}",
            entities_text(r)[:40],
            faq_cell(r["faq"], expired or {}),
            (r["replies"][0] if r["replies"] else "")[:60].replace("\n", " "),
        ]
        for r in results
    ]
    print(tabulate(rows, headers=["question", "intention", "conf.", "entités", "FAQ", "première réponse"]))


def read_questions(args: argparse.Namespace) -> List[str]:
    if args.file:
        return [line.strip() for line in Path(args.file).read_text(encoding="utf-8").splitlines() if line.strip()]
    return [" ".join(args.question).strip()]


def ask_in_process(questions: List[str], model: Path, action_url: str) -> List[dict]:
    server = None
    if not is_up(f"{action_url}/health"):
        # No action server running: start one for the duration of the command.
        from devtools.processes import free_port

        port = free_port()
        server = action_server(port, Path(tempfile.mkdtemp(prefix="ask-")))
        server.start()
        server.wait_until_up()
        action_url = f"http://127.0.0.1:{port}"
    try:
        return asyncio.run(ask_questions(questions, model, action_url))
    finally:
        if server:
            server.stop()


def command_ask(args: argparse.Namespace) -> int:
    from bot.counsellor import token_for_ask

    questions = read_questions(args)
    if not questions or not questions[0]:
        print("Donnez une question, ou --file questions.txt", file=sys.stderr)
        return 2
    token = token_for_ask()
    running = is_up(f"{args.rasa_url}/webhooks/rest/")
    try:
        if running and token:
            results = ask_running_assistant(questions, args.rasa_url, token)
        else:
            if running:
                print(
                    "L'assistant tourne, mais sans COUNSELLOR_TOKEN je charge le modèle moi-même (plus lent).",
                    file=sys.stderr,
                )
            if not Path(args.model).exists():
                print(f"Pas de modèle entraîné ({args.model}) : lancez d'abord `make train`.", file=sys.stderr)
                return 2
            results = ask_in_process(questions, Path(args.model), args.action_url)
    except AskRefused as refusal:
        print(f"{refusal} (COUNSELLOR_TOKEN doit être celui de l'assistant lancé)", file=sys.stderr)
        return 2
    except OSError as error:  # requests' errors are OSErrors: the assistant stopped or timed out
        print(f"L'assistant lancé ({args.rasa_url}) n'a pas répondu : {error}", file=sys.stderr)
        return 1
    expired = expired_answers() if any(result["faq"] for result in results) else {}
    if args.file:
        print_table(results, expired)
    else:
        print_one(results[0], expired)
    return 0


# --- run -----------------------------------------------------------------------------------


def command_run(args: argparse.Namespace) -> int:
    from bot.counsellor import configured_token, local_token_file

    os.chdir(PROJECT_ROOT)
    if configured_token() is None:  # a token of this machine, so that `cli ask` is answered quickly
        os.environ["COUNSELLOR_TOKEN_FILE"] = str(local_token_file())
    # Each process restarted when it dies (ops/supervision.py).
    os.execv(sys.executable, [sys.executable, "-m", "ops.supervision", str(PROCFILE)])
    return 0  # not reached


# --- delegated commands ----------------------------------------------------------------------

DELEGATED = {
    "evaluate": "devtools.evaluate",
    "evaluate-conversations": "devtools.evaluate_conversations",
    "evaluate-formations": "devtools.evaluate_formations",
    "bench": "devtools.bench",
    "bench-search": "devtools.bench_search",
    "purge": "ops.purge",
    "content-check": "ops.content",
    "report": "ops.report",
    "review-export": "ops.review_export",
    "review-merge": "ops.review_merge",
    "bench-report": "devtools.bench_report",
}


def main(argv: Optional[List[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in DELEGATED:
        module = importlib.import_module(DELEGATED[argv[0]])
        return module.main(argv[1:]) or 0

    parser = argparse.ArgumentParser(prog="python -m cli", description="Assistant orientation CMQ")
    commands = parser.add_subparsers(dest="command", required=True)
    ask = commands.add_parser("ask", help="ce que l'assistant comprend et répond à une question")
    ask.add_argument("question", nargs="*")
    ask.add_argument("--file", help="un fichier de questions, une par ligne")
    ask.add_argument("--model", default=str(MODEL_PATH))
    ask.add_argument("--action-url", default="http://127.0.0.1:5055")
    ask.add_argument(
        "--rasa-url", default=DEFAULT_RASA_URL, help="assistant lancé à interroger (rapide, avec COUNSELLOR_TOKEN)"
    )
    ask.set_defaults(handler=command_ask)
    run = commands.add_parser("run", help="lance l'assistant, le serveur d'actions et le site")
    run.set_defaults(handler=command_run)
    for name in DELEGATED:
        commands.add_parser(name, help=f"voir `python -m cli {name} --help`")
    args = parser.parse_args(argv)
    return args.handler(args)
