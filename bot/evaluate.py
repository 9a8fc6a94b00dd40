"""NLU evaluation on the held-out test set: scores per intent and entity, with CI thresholds.

Runs `rasa test nlu` on tests/nlu/, prints the figures and exits non-zero below a threshold.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import List, Optional

from tabulate import tabulate

from bot.processes import MODEL_PATH, PROJECT_ROOT, VENV_BIN
from bot.quality import write_model_stamp

SUMMARY_KEYS = {"accuracy", "micro avg", "macro avg", "weighted avg"}


def per_label_rows(report: dict) -> List[list]:
    return [[label, f"{scores['precision']:.2f}", f"{scores['recall']:.2f}",
             f"{scores['f1-score']:.2f}", scores["support"]]
            for label, scores in sorted(report.items())
            if label not in SUMMARY_KEYS and isinstance(scores, dict) and label != "no_entity"]


def average_f1(report: dict, kind: str) -> float:
    return float(report.get(kind, {}).get("f1-score", 0.0))


def run_rasa_test(test_data: Path, model: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    command = [str(VENV_BIN / "rasa"), "test", "nlu", "--nlu", str(test_data), "--model", str(model),
               "--out", str(out), "--no-plot"]
    subprocess.run(command, cwd=PROJECT_ROOT, check=True)


def print_report(title: str, report: dict) -> None:
    print(f"\n{title}")
    print(tabulate(per_label_rows(report), headers=["label", "precision", "recall", "F1", "support"]))


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="bot evaluate", description=__doc__)
    parser.add_argument("--test-data", default=str(PROJECT_ROOT / "tests" / "nlu"))
    parser.add_argument("--model", default=str(MODEL_PATH))
    parser.add_argument("--out", default=str(PROJECT_ROOT / "results" / "nlu"))
    parser.add_argument("--min-intent-f1", type=float, default=0.90, help="intent macro F1")
    parser.add_argument("--min-entity-f1", type=float, default=0.85, help="entity micro F1")
    parser.add_argument("--skip-run", action="store_true", help="only read an existing report")
    args = parser.parse_args(argv)

    out = Path(args.out)
    if not args.skip_run:
        run_rasa_test(Path(args.test_data), Path(args.model), out)
        write_model_stamp(out, Path(args.model))  # which model the report says was measured
    intents = json.loads((out / "intent_report.json").read_text())
    entities = json.loads((out / "DIETClassifier_report.json").read_text())
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
    if faq_f1 is not None:
        print(f"  FAQ answer macro F1: {faq_f1:.3f}")
    failed = intent_f1 < args.min_intent_f1 or entity_f1 < args.min_entity_f1
    print("  result            : " + ("BELOW THRESHOLD" if failed else "ok"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
