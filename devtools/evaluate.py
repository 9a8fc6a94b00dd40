"""NLU evaluation on the held-out test sets: scores per intent and entity, with CI thresholds.

Runs `rasa test nlu` on tests/nlu/ (written in the style of the training data), then reads the
independent set tests/nlu_students/ (students' and parents' own words, written by someone who never
saw the training data) the way the assistant reads a message: intent accuracy, how often the sector
meant is found (from the trained model, the job repository or the activity list), and how often the
assistant answers another topic with confidence (the worst outcome for a student).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from rasa.shared.nlu.training_data.message import Message
from tabulate import tabulate

from ops.quality import ENTITY_REPORT, write_model_stamp
from orientation.paths import MODEL_PATH, PROJECT_ROOT, VENV_BIN

SUMMARY_KEYS = {"accuracy", "micro avg", "macro avg", "weighted avg"}


def per_label_rows(report: dict) -> List[list]:
    return [
        [label, f"{scores['precision']:.2f}", f"{scores['recall']:.2f}", f"{scores['f1-score']:.2f}", scores["support"]]
        for label, scores in sorted(report.items())
        if label not in SUMMARY_KEYS and isinstance(scores, dict) and label != "no_entity"
    ]


def average_f1(report: dict, kind: str) -> float:
    return float(report.get(kind, {}).get("f1-score", 0.0))


def run_rasa_test(test_data: Path, model: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    command = [
        str(VENV_BIN / "python"),
        "-m",
        "bot.patched_rasa",
        "test",
        "nlu",
        "--nlu",
        str(test_data),
        "--model",
        str(model),
        "--out",
        str(out),
        "--no-plot",
    ]
    subprocess.run(command, cwd=PROJECT_ROOT, check=True)


def print_report(title: str, report: dict) -> None:
    print(f"\n{title}")
    print(tabulate(per_label_rows(report), headers=["label", "precision", "recall", "F1", "support"]))


# Three sets by three writers, none of whom saw the training data or the sets written before;
# thresholds hold for all of them together, figures shown for each.
STUDENTS_SETS = sorted((PROJECT_ROOT / "tests" / "nlu_students").glob("*.yml"))
CONFIDENT = 0.8
FALLBACK_INTENT = "nlu_fallback"


def read_examples(path: Path) -> List[Message]:
    from rasa.shared.nlu.training_data.loading import load_data

    return load_data(str(path)).intent_examples


async def parse_all(messages: List[Message], model: Path) -> List[dict]:
    import logging

    from rasa.core.agent import Agent
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    # The figures, not one debug line per message.
    configure_logging_and_warnings(logging.WARNING)
    configure_structlog(logging.WARNING)
    agent = Agent.load(str(model))
    return [await agent.parse_message(message.get("text")) for message in messages]


def understanding_scores(examples: List[Message], parses: List[dict]) -> Dict[str, float]:
    """Intent accuracy, sector found, and confident wrong answers (share of all messages)."""
    right = confident_wrong = with_sector = sector_found = 0
    for example, parse in zip(examples, parses):
        expected = example.get("intent")
        predicted, confidence = parse["intent"]["name"], parse["intent"].get("confidence") or 0.0
        right += predicted == expected
        confident_wrong += predicted not in (expected, FALLBACK_INTENT) and confidence >= CONFIDENT
        wanted = {e["value"] for e in example.get("entities") or [] if e["entity"] == "sector"}
        if wanted:
            with_sector += 1
            found = {e.get("value") for e in parse.get("entities") or [] if e["entity"] == "sector"}
            sector_found += bool(wanted & found)
    total = max(len(examples), 1)
    return {
        "messages": len(examples),
        "intent accuracy": right / total,
        "sector found": sector_found / max(with_sector, 1),
        "messages with a sector": with_sector,
        "confident wrong answers": confident_wrong / total,
    }


def confusions(examples: List[Message], parses: List[dict], limit: int = 15) -> List[list]:
    rows = [
        [e.get("text")[:60], e.get("intent"), p["intent"]["name"], f"{p['intent'].get('confidence') or 0:.2f}"]
        for e, p in zip(examples, parses)
        if p["intent"]["name"] != e.get("intent")
    ]
    return sorted(rows, key=lambda row: -float(row[3]))[:limit]


def save_students_results(out: Path, examples: List[Message], parses: List[dict], scores: dict, model: Path) -> None:
    """The results in the shape of `rasa test nlu`'s, for the counsellors' report (ops/quality.py)."""
    from sklearn.metrics import classification_report

    expected = [example.get("intent") for example in examples]
    predicted = [parse["intent"]["name"] for parse in parses]
    out.mkdir(parents=True, exist_ok=True)
    report = classification_report(expected, predicted, output_dict=True, zero_division=0)
    errors = [
        {
            "text": example.get("text"),
            "intent": example.get("intent"),
            "intent_prediction": {"name": parse["intent"]["name"], "confidence": parse["intent"].get("confidence")},
        }
        for example, parse in zip(examples, parses)
        if parse["intent"]["name"] != example.get("intent")
    ]
    (out / "intent_report.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    (out / "intent_errors.json").write_text(json.dumps(errors, indent=2, ensure_ascii=False), encoding="utf-8")
    (out / "understanding.json").write_text(json.dumps(scores, indent=2), encoding="utf-8")
    write_model_stamp(out, model)


def evaluate_students(model: Path, args: argparse.Namespace) -> bool:
    """Scores on the independent sets; True when every threshold holds for them together."""
    import asyncio

    examples = {path: read_examples(path) for path in STUDENTS_SETS}
    every_example = [example for path in STUDENTS_SETS for example in examples[path]]
    every_parse = asyncio.run(parse_all(every_example, model))
    parses, start = {}, 0
    for path in STUDENTS_SETS:
        parses[path] = every_parse[start : start + len(examples[path])]
        start += len(examples[path])
    scores = understanding_scores(every_example, every_parse)
    save_students_results(
        Path(args.out).parent / STUDENTS_SETS[0].parent.name, every_example, every_parse, scores, model
    )
    print(f"\nIndependent sets ({len(STUDENTS_SETS)} files, {scores['messages']} messages)")
    print(tabulate(confusions(every_example, every_parse), headers=["message", "expected", "understood", "conf."]))
    for path in STUDENTS_SETS:
        own = understanding_scores(examples[path], parses[path])
        print(
            f"  {path.relative_to(PROJECT_ROOT)} ({own['messages']} messages): intent accuracy"
            f" {own['intent accuracy']:.3f}, sector found {own['sector found']:.3f},"
            f" confident wrong {own['confident wrong answers']:.3f}"
        )
    print(f"  intent accuracy        : {scores['intent accuracy']:.3f} (threshold {args.min_students_intent})")
    print(
        f"  sector found           : {scores['sector found']:.3f} of {scores['messages with a sector']}"
        f" (threshold {args.min_students_sector})"
    )
    print(
        f"  confident wrong answers: {scores['confident wrong answers']:.3f}"
        f" (confidence >= {CONFIDENT}; threshold < {args.max_confident_wrong})"
    )
    return (
        scores["intent accuracy"] >= args.min_students_intent
        and scores["sector found"] >= args.min_students_sector
        and scores["confident wrong answers"] < args.max_confident_wrong
    )


# FAQ questions in students', parents' and official FAQ pages' words, each labelled with the answer
# that says what it asks by someone who read only the answers: which answer a topic's question gets.
FAQ_SETS = sorted((PROJECT_ROOT / "tests" / "nlu_faq").glob("*.yml"))


def chosen_answer(parse: dict) -> Tuple[str, float]:
    """The FAQ answer the assistant gives (`faq_vae/steps`) and its confidence, else the intent."""
    intent = parse["intent"]["name"]
    selectors = parse.get("response_selector") or {}
    response = (selectors.get(intent) or {}).get("response") or {}
    if intent.startswith("faq_") and response.get("intent_response_key"):
        return response["intent_response_key"], float(response.get("confidence") or 0.0)
    return intent, float(parse["intent"].get("confidence") or 0.0)


def faq_scores(expected: List[str], parses: List[dict]) -> Dict[str, Any]:
    """Answer macro F1, the weakest answers, and confident wrong answers: another answer of the
    same topic given with a confidence of CONFIDENT or more (share of all questions)."""
    from sklearn.metrics import classification_report

    chosen = [chosen_answer(parse) for parse in parses]
    predicted = [answer for answer, _ in chosen]
    labels = sorted(set(expected))
    report = classification_report(expected, predicted, labels=labels, output_dict=True, zero_division=0)
    per_answer = {label: report[label]["f1-score"] for label in labels}
    confident_wrong = sum(
        got != want and got.split("/")[0] == want.split("/")[0] and confidence >= CONFIDENT
        for want, (got, confidence) in zip(expected, chosen)
    )
    total = max(len(expected), 1)
    return {
        "questions": len(expected),
        "answer macro F1": sum(per_answer.values()) / max(len(per_answer), 1),
        "per answer": per_answer,
        "topic accuracy": sum(g.split("/")[0] == w.split("/")[0] for w, g in zip(expected, predicted)) / total,
        "confident wrong answers": confident_wrong / total,
        "mistakes": [
            [example_text[:60], want, got, f"{confidence:.2f}"]
            for example_text, want, (got, confidence) in zip(
                (parse.get("text") or "" for parse in parses), expected, chosen
            )
            if got != want
        ],
    }


def evaluate_faq(model: Path, args: argparse.Namespace) -> bool:
    """Scores on the independent FAQ questions; True when the thresholds hold."""
    import asyncio

    examples = [example for path in FAQ_SETS for example in read_examples(path)]
    if not examples:
        return True
    expected = [example.get("intent_response_key") or example.get("intent") for example in examples]
    scores = faq_scores(expected, asyncio.run(parse_all(examples, model)))
    weakest = sorted(scores["per answer"].items(), key=lambda item: item[1])[:8]
    print(f"\nIndependent FAQ questions ({scores['questions']}, {len(scores['per answer'])} answers)")
    mistakes = sorted(scores["mistakes"], key=lambda row: -float(row[3]))[:15]
    print(tabulate(mistakes, headers=["question", "expected", "given", "conf."]))
    print("  weakest answers        : " + ", ".join(f"{name} {f1:.2f}" for name, f1 in weakest))
    print(f"  topic accuracy         : {scores['topic accuracy']:.3f}")
    print(f"  answer macro F1        : {scores['answer macro F1']:.3f} (threshold {args.min_faq_f1})")
    print(f"  weakest answer F1      : {weakest[0][1]:.3f} (threshold {args.min_faq_answer_f1})")
    print(
        f"  confident wrong answers: {scores['confident wrong answers']:.3f}"
        f" (same topic, confidence >= {CONFIDENT}; threshold < {args.max_faq_confident_wrong})"
    )
    return (
        scores["answer macro F1"] >= args.min_faq_f1
        and weakest[0][1] >= args.min_faq_answer_f1
        and scores["confident wrong answers"] < args.max_faq_confident_wrong
    )


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cli evaluate", description=__doc__)
    parser.add_argument("--test-data", default=str(PROJECT_ROOT / "tests" / "nlu"))
    parser.add_argument("--model", default=str(MODEL_PATH))
    parser.add_argument("--out", default=str(PROJECT_ROOT / "results" / "nlu"))
    parser.add_argument("--min-intent-f1", type=float, default=0.90, help="intent macro F1")
    parser.add_argument("--min-entity-f1", type=float, default=0.85, help="entity micro F1")
    parser.add_argument("--skip-run", action="store_true", help="only read an existing report")
    parser.add_argument("--min-students-intent", type=float, default=0.0)
    parser.add_argument("--min-students-sector", type=float, default=0.0)
    parser.add_argument("--max-confident-wrong", type=float, default=1.01)
    parser.add_argument("--min-faq-f1", type=float, default=0.0, help="FAQ answer macro F1, both sets")
    parser.add_argument("--min-faq-answer-f1", type=float, default=0.0, help="the weakest FAQ answer's F1, both sets")
    parser.add_argument("--max-faq-confident-wrong", type=float, default=1.01)
    args = parser.parse_args(argv)

    out = Path(args.out)
    if not args.skip_run:
        run_rasa_test(Path(args.test_data), Path(args.model), out)
        write_model_stamp(out, Path(args.model))  # which model the report says was measured
    intents = json.loads((out / "intent_report.json").read_text())
    entities = json.loads((out / ENTITY_REPORT).read_text())
    selector_path = out / "response_selection_report.json"
    selector = json.loads(selector_path.read_text()) if selector_path.exists() else {}

    print_report("Intentions", intents)
    print_report("Entités", entities)
    if selector:
        print_report("Réponses FAQ (sous-intentions)", selector)

    intent_f1 = average_f1(intents, "macro avg")
    entity_f1 = average_f1(entities, "micro avg")
    faq_f1 = average_f1(selector, "macro avg") if selector else None
    print("\nNLU scores")
    print(f"  intent macro F1   : {intent_f1:.3f} (threshold {args.min_intent_f1})")
    print(f"  intent accuracy   : {intents.get('accuracy', 0):.3f}")
    print(f"  entity micro F1   : {entity_f1:.3f} (threshold {args.min_entity_f1})")
    failed = intent_f1 < args.min_intent_f1 or entity_f1 < args.min_entity_f1
    if faq_f1 is not None:
        weakest_faq = min((row["f1-score"], name) for name, row in selector.items() if "/" in name)
        print(f"  FAQ answer macro F1: {faq_f1:.3f} (threshold {args.min_faq_f1})")
        print(f"  weakest FAQ answer : {weakest_faq[1]} {weakest_faq[0]:.3f} (threshold {args.min_faq_answer_f1})")
        failed = failed or faq_f1 < args.min_faq_f1 or weakest_faq[0] < args.min_faq_answer_f1
    failed = not evaluate_students(Path(args.model), args) or failed
    failed = not evaluate_faq(Path(args.model), args) or failed
    print("  result                 : " + ("BELOW THRESHOLD" if failed else "ok"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
