"""The assistant judged on whole conversations: the independent multi-turn set, turn by turn.

    python -m cli evaluate-conversations [--set tests/multiturn/conversations.yml] [--min-turn-success 0.93]

The set (tests/multiturn/) was written by people who saw neither the training data nor the
stories: each turn says what the user must read (`say_any`, `say_all`, `campus_any`), what must
not appear (`say_none`) and, where unambiguous, the topic (`intent`). The assistant runs as it does
for users (the trained model in this process, the real action server beside it); each
conversation has its own sender, so nothing carries over from one to the next.

Reported: turn success, conversations fully right, fallback rate per turn and confident wrong
turns (a failed turn answered on another topic at 0.8 or more), with the failures listed in
results/conversations/failures.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import yaml

from devtools.processes import action_server, free_port, started
from orientation.paths import MODEL_PATH, PROJECT_ROOT
from orientation.text import strip_accents

DEFAULT_SET = PROJECT_ROOT / "tests" / "multiturn" / "conversations.yml"
RESULTS_DIR = PROJECT_ROOT / "results" / "conversations"
CONFIDENT = 0.8
# The assistant's replies that say it did not understand.
FALLBACK_RESPONSES = {"text_fallback", "utter_default", "utter_ask_rephrase", "text_channel_no_answer"}
FALLBACK_INTENTS = {"nlu_fallback"}
CHECKS = ("say_any", "say_all", "say_none", "campus_any", "intent")
# Intents that lead to the same behaviour: a value given outside the search form ("design à Paris",
# "peu importe") starts or refines the search, as a search request does.
FILLED_ANSWER = re.compile(r"text_faq_[a-z_]+?__")
SEARCH_RESULTS = ("text_search_found", "text_formations_found", "text_formations_nearest")
SAME_BEHAVIOUR = {"inform": "search_campus", "no_preference": "search_campus"}


def folded(text: str) -> str:
    """Lower case without accents, as the set's keywords are written."""
    return strip_accents(text.lower()).replace("’", "'")


@dataclass
class Turn:
    user: str
    expect: Dict[str, Any]


@dataclass
class Conversation:
    id: str
    about: str
    turns: List[Turn]


def read_set(path: Path) -> List[Conversation]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    conversations = []
    for item in raw.get("conversations") or []:
        turns = [Turn(str(t["user"]), {k: t[k] for k in CHECKS if t.get(k)}) for t in item["turns"]]
        conversations.append(Conversation(str(item["id"]), str(item.get("about", "")), turns))
    return conversations


@dataclass
class Observed:
    """What one turn showed the user and how the assistant read it."""

    text: str
    intent: str
    confidence: float
    responses: List[str] = field(default_factory=list)  # response names uttered (utter_faq_vae/funding, text_…)

    @property
    def topics(self) -> List[str]:
        """The FAQ topics answered: "faq_vae" for utter_faq_vae/funding, "faq_apprenticeship" for
        text_faq_apprenticeship__pay_at_age (an answer an action fills in for one case), and
        "search_campus" when campuses or formations were listed."""
        topics = [name[len("utter_") :].split("/")[0] for name in self.responses if "/" in name]
        topics += [name[len("text_") :].split("__")[0] for name in self.responses if FILLED_ANSWER.match(name)]
        # Campuses or formations listed: a search, whatever intent NLU read ("Nous sommes à Metz").
        return topics + ["search_campus" for name in self.responses if name.startswith(SEARCH_RESULTS)][:1]

    @property
    def fell_back(self) -> bool:
        return self.intent in FALLBACK_INTENTS or bool(FALLBACK_RESPONSES & set(self.responses))


def message_text(data: Dict[str, Any]) -> str:
    parts = [data.get("text") or ""]
    custom = data.get("custom") or {}
    if isinstance(custom, dict):
        parts.append(str(custom.get("text") or ""))
        parts += [str(b.get("title", "")) for b in custom.get("buttons") or []]
    parts += [str(b.get("title", "")) for b in data.get("buttons") or []]
    return "\n".join(part for part in parts if part)


def observed_turn(events: Sequence[Any]) -> Observed:
    from rasa.shared.core.events import BotUttered, UserUttered

    user = next((e for e in reversed(events) if isinstance(e, UserUttered)), None)
    intent = (user.intent or {}) if user else {}
    texts, responses = [], []
    for event in events:
        if isinstance(event, BotUttered):
            texts.append(message_text({"text": event.text, **(event.data or {})}))
            name = (event.metadata or {}).get("utter_action")
            if name:
                responses.append(str(name))
    return Observed("\n".join(texts), str(intent.get("name") or "?"), float(intent.get("confidence") or 0.0), responses)


@dataclass
class Verdict:
    ok: bool
    problems: List[str]
    confident_wrong: bool


def judge(turn: Turn, seen: Observed) -> Verdict:
    text = folded(seen.text)
    expect = turn.expect
    problems = []
    any_of = [folded(word) for word in expect.get("say_any", [])]
    if any_of and not any(word in text for word in any_of):
        problems.append(f"none of {any_of}")
    missing = [w for w in (folded(word) for word in expect.get("say_all", [])) if w not in text]
    if missing:
        problems.append(f"missing {missing}")
    unwanted = [w for w in (folded(word) for word in expect.get("say_none", [])) if w in text]
    if unwanted:
        problems.append(f"unwanted {unwanted}")
    campuses = [folded(name) for name in expect.get("campus_any", [])]
    if campuses and not any(name in text for name in campuses):
        problems.append(f"no campus of {campuses}")
    asked_intent = expect.get("intent")
    wanted_intent = SAME_BEHAVIOUR.get(asked_intent, asked_intent) if asked_intent else None
    answered = [SAME_BEHAVIOUR.get(topic, topic) for topic in seen.topics or [seen.intent]]
    if wanted_intent and wanted_intent not in answered:
        problems.append(f"intent {seen.intent} ({seen.confidence:.2f}), answered {answered}, not {wanted_intent}")
    other_topic = wanted_intent is not None and wanted_intent not in answered and not seen.fell_back
    confident_wrong = bool(problems) and other_topic and seen.confidence >= CONFIDENT
    return Verdict(not problems, problems, confident_wrong)


async def run_conversations(conversations: List[Conversation], model: Path, action_url: str) -> List[dict]:
    from rasa.core.agent import Agent
    from rasa.utils.endpoints import EndpointConfig

    from bot import patches
    from cli.commands import silence_rasa_logging

    silence_rasa_logging()
    patches.install()  # the model runs as in the running assistant
    agent = Agent.load(str(model), action_endpoint=EndpointConfig(url=f"{action_url}/webhook"))
    results = []
    for conversation in conversations:
        sender = f"eval-{uuid.uuid4().hex}"
        turns = []
        for turn in conversation.turns:
            before = len((await agent.processor.get_tracker(sender)).events)
            await agent.handle_text(turn.user, sender_id=sender)
            events = list((await agent.processor.get_tracker(sender)).events)[before:]
            seen = observed_turn(events)
            verdict = judge(turn, seen)
            turns.append(
                {
                    "user": turn.user,
                    "ok": verdict.ok,
                    "problems": verdict.problems,
                    "confident_wrong": verdict.confident_wrong,
                    "fell_back": seen.fell_back,
                    "intent": seen.intent,
                    "confidence": round(seen.confidence, 3),
                    "responses": seen.responses,
                    "reply": seen.text,
                }
            )
        results.append({"id": conversation.id, "about": conversation.about, "turns": turns})
    return results


def figures(results: List[dict]) -> Dict[str, float]:
    turns = [turn for conversation in results for turn in conversation["turns"]]
    count = max(1, len(turns))
    return {
        "conversations": len(results),
        "turns": len(turns),
        "turn_success": sum(t["ok"] for t in turns) / count,
        "conversations_right": sum(all(t["ok"] for t in c["turns"]) for c in results) / max(1, len(results)),
        "fallback_rate": sum(t["fell_back"] for t in turns) / count,
        "confident_wrong": sum(t["confident_wrong"] for t in turns) / count,
    }


def by_category(results: List[dict]) -> Dict[str, str]:
    groups: Dict[str, List[dict]] = {}
    for conversation in results:
        groups.setdefault(conversation["about"] or "?", []).extend(conversation["turns"])
    return {about: f"{sum(t['ok'] for t in turns)}/{len(turns)}" for about, turns in sorted(groups.items())}


def failures_markdown(results: List[dict]) -> str:
    lines = ["# Conversation turns that went wrong", ""]
    for conversation in results:
        if all(turn["ok"] for turn in conversation["turns"]):
            continue
        lines.append(f"## {conversation['id']} ({conversation['about']})")
        for turn in conversation["turns"]:
            mark = "ok " if turn["ok"] else "NO "
            lines.append(f"- {mark} « {turn['user']} » → {turn['intent']} {turn['confidence']}")
            if not turn["ok"]:
                lines.append(f"  - {'; '.join(turn['problems'])}")
                reply = turn["reply"].replace("\n", " / ")[:300]
                lines.append(f"  - reply: {reply}")
        lines.append("")
    return "\n".join(lines)


def evaluate(set_path: Path, model: Path) -> List[dict]:
    conversations = read_set(set_path)
    with tempfile.TemporaryDirectory() as workdir:
        port = free_port()
        with started([action_server(port, Path(workdir) / "logs")]):
            return asyncio.run(run_conversations(conversations, model, f"http://127.0.0.1:{port}"))


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cli evaluate-conversations", description=__doc__.split("\n")[0])
    parser.add_argument("--set", type=Path, default=DEFAULT_SET)
    parser.add_argument("--model", type=Path, default=MODEL_PATH)
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    parser.add_argument("--min-turn-success", type=float, default=0.0)
    parser.add_argument("--min-conversations-right", type=float, default=0.0)
    parser.add_argument("--max-confident-wrong", type=float, default=1.0)
    args = parser.parse_args(argv)

    results = evaluate(args.set, args.model)
    scores = figures(results)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    (args.out / "failures.md").write_text(failures_markdown(results), encoding="utf-8")
    print(f"Conversations: {scores['conversations']}, turns: {scores['turns']}")
    print(f"Turn success: {scores['turn_success']:.3f}  (min {args.min_turn_success})")
    print(f"Conversations fully right: {scores['conversations_right']:.3f}  (min {args.min_conversations_right})")
    print(f"Fallback rate per turn: {scores['fallback_rate']:.3f}")
    print(f"Confident wrong turns: {scores['confident_wrong']:.3f}  (max {args.max_confident_wrong})")
    for about, score in by_category(results).items():
        print(f"  {score:>7}  {about}")
    print(f"Failures: {args.out / 'failures.md'}")
    failed = (
        scores["turn_success"] < args.min_turn_success
        or scores["conversations_right"] < args.min_conversations_right
        or scores["confident_wrong"] > args.max_confident_wrong
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
