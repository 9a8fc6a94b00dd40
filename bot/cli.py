"""Command line: `python -m bot COMMAND`: ask, run, evaluate, bench, bench-search, purge, content-check,
report, review-export, review-merge, bench-report."""
from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import sys
import tempfile
import uuid
from pathlib import Path
from typing import List, Optional

from bot.processes import MODEL_PATH, PROJECT_ROOT, VENV_BIN, action_server, is_up

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("LOG_LEVEL", "WARNING")  # counsellors read answers, not Rasa's debug log


# --- ask ---------------------------------------------------------------------------------

def understanding(parse: dict) -> dict:
    """What NLU understood: intent, confidence, entities, the FAQ answer chosen."""
    selectors = parse.get("response_selector") or {}
    selector = selectors.get(parse["intent"]["name"]) or selectors.get("default") or {}
    response = selector.get("response") or {}
    return {
        "intent": parse["intent"]["name"],
        "confidence": parse["intent"].get("confidence") or 0.0,
        "entities": [f"{e['entity']}={e.get('value')}" for e in parse.get("entities", [])],
        "faq_key": response.get("intent_response_key") if parse["intent"]["name"].startswith("faq_") else None,
        "faq_confidence": response.get("confidence"),
    }


def reply_text(message: dict) -> str:
    text = message.get("text") or ""
    custom = message.get("custom")
    if custom and not text:
        text = custom.get("text") or str(custom)
    buttons = message.get("buttons") or []
    if buttons:
        text += "\n  [" + "] [".join(b["title"] for b in buttons) + "]"
    return text


async def ask_questions(questions: List[str], model: Path, action_url: str) -> List[dict]:
    import logging

    from rasa.core.agent import Agent
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.endpoints import EndpointConfig

    configure_logging_and_warnings(logging.WARNING)

    agent = Agent.load(str(model), action_endpoint=EndpointConfig(url=f"{action_url}/webhook"))
    results = []
    for question in questions:
        parse = await agent.parse_message(question)
        replies = await agent.handle_text(question, sender_id=f"ask-{uuid.uuid4().hex}")
        results.append({"question": question, **understanding(parse),
                        "replies": [reply_text(r) for r in replies or []]})
    return results


def print_one(result: dict) -> None:
    print(f"Question   : {result['question']}")
    print(f"Intention  : {result['intent']} ({result['confidence']:.2f})")
    print(f"Entités    : {', '.join(result['entities']) or '-'}")
    if result["faq_key"]:
        print(f"Réponse FAQ: {result['faq_key']} ({result['faq_confidence'] or 0:.2f})")
    print("Réponses   :")
    for reply in result["replies"]:
        print("  > " + reply.replace("\n", "\n    "))


def print_table(results: List[dict]) -> None:
    from tabulate import tabulate

    rows = [[r["question"][:50], r["intent"], f"{r['confidence']:.2f}", ", ".join(r["entities"])[:40],
             r["faq_key"] or "", (r["replies"][0] if r["replies"] else "")[:60].replace("\n", " ")]
            for r in results]
    print(tabulate(rows, headers=["question", "intention", "conf.", "entités", "FAQ", "première réponse"]))


def command_ask(args: argparse.Namespace) -> int:
    if args.file:
        questions = [line.strip() for line in Path(args.file).read_text(encoding="utf-8").splitlines()
                     if line.strip()]
    else:
        questions = [" ".join(args.question)]
    if not questions or not questions[0]:
        print("Donnez une question, ou --file questions.txt", file=sys.stderr)
        return 2
    if not Path(args.model).exists():
        print(f"Pas de modèle entraîné ({args.model}) : lancez d'abord `make train`.", file=sys.stderr)
        return 2
    action_url = args.action_url
    server = None
    if not is_up(f"{action_url}/health"):
        # No action server running: start one for the duration of the command.
        from bot.processes import free_port
        port = free_port()
        server = action_server(port, Path(tempfile.mkdtemp(prefix="ask-")))
        server.start()
        server.wait_until_up()
        action_url = f"http://127.0.0.1:{port}"
    try:
        results = asyncio.run(ask_questions(questions, Path(args.model), action_url))
    finally:
        if server:
            server.stop()
    if args.file:
        print_table(results)
    else:
        print_one(results[0])
    return 0


# --- run -----------------------------------------------------------------------------------

def command_run(args: argparse.Namespace) -> int:
    honcho = str(VENV_BIN / "honcho")
    os.chdir(PROJECT_ROOT)
    os.execv(honcho, [honcho, "start", "-f", str(PROJECT_ROOT / "Procfile")])
    return 0  # not reached


# --- delegated commands ----------------------------------------------------------------------

DELEGATED = {
    "evaluate": "bot.evaluate",
    "bench": "bot.bench",
    "bench-search": "bot.bench_search",
    "purge": "bot.purge",
    "content-check": "bot.content",
    "report": "bot.report",
    "review-export": "bot.review_export",
    "review-merge": "bot.review_merge",
    "bench-report": "bot.bench_report",
}


def main(argv: Optional[List[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in DELEGATED:
        module = importlib.import_module(DELEGATED[argv[0]])
        return module.main(argv[1:]) or 0

    parser = argparse.ArgumentParser(prog="bot", description="Assistant orientation CMQ")
    commands = parser.add_subparsers(dest="command", required=True)
    ask = commands.add_parser("ask", help="ce que l'assistant comprend et répond à une question")
    ask.add_argument("question", nargs="*")
    ask.add_argument("--file", help="un fichier de questions, une par ligne")
    ask.add_argument("--model", default=str(MODEL_PATH))
    ask.add_argument("--action-url", default="http://127.0.0.1:5055")
    ask.set_defaults(handler=command_ask)
    run = commands.add_parser("run", help="lance l'assistant, le serveur d'actions et le site")
    run.set_defaults(handler=command_run)
    for name in DELEGATED:
        commands.add_parser(name, help=f"voir `python -m bot {name} --help`")
    args = parser.parse_args(argv)
    return args.handler(args)
