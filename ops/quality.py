"""The latest measures of understanding: `python -m cli evaluate` (NLU test sets, one folder of
results each) and `rasa test core` (conversation tests, results/stories).

Each result folder gets a `model.json` stamp saying which model it was measured on:
`python -m ops.quality results/stories` writes it (the Makefile does, after `rasa test core`);
`python -m cli evaluate` writes its own.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import yaml

from ops.conversations import TIMEZONE
from orientation.paths import MODEL_PATH

STAMP_FILE = "model.json"
SUMMARY_KEYS = {"accuracy", "micro avg", "macro avg", "weighted avg"}
STORIES_DIR = "stories"


@dataclass
class ModelStamp:
    file: str
    trained: datetime
    fingerprint: str


def file_fingerprint(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:12]


def modified(path: Path) -> datetime:
    return datetime.fromtimestamp(path.stat().st_mtime, TIMEZONE)


def write_model_stamp(out: Path, model: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    stamp = {"file": model.name, "trained": modified(model).isoformat(), "fingerprint": file_fingerprint(model)}
    (out / STAMP_FILE).write_text(json.dumps(stamp), encoding="utf-8")


def read_model_stamp(folder: Path) -> Optional[ModelStamp]:
    try:
        raw = json.loads((folder / STAMP_FILE).read_text(encoding="utf-8"))
        return ModelStamp(raw["file"], datetime.fromisoformat(raw["trained"]), raw["fingerprint"])
    except (OSError, ValueError, KeyError):
        return None


@dataclass
class Measure:
    """Where a result comes from: when it was measured, on which model."""

    folder: Path
    measured: datetime
    model: Optional[ModelStamp]


def labels_of(report: dict) -> Dict[str, dict]:
    return {
        label: scores
        for label, scores in report.items()
        if label not in SUMMARY_KEYS and isinstance(scores, dict) and label != "no_entity"
    }


def average_f1(report: dict, kind: str) -> Optional[float]:
    scores = report.get(kind)
    return scores.get("f1-score") if isinstance(scores, dict) else None


def read_json(path: Path, default):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return default


@dataclass
class NluResult:
    """One NLU test set's latest evaluation (a folder written by `python -m cli evaluate`)."""

    name: str
    measure: Measure
    intents: dict
    faq_answers: dict
    entities: dict
    intent_errors: List[dict]
    faq_errors: List[dict]
    understanding: dict = field(default_factory=dict)  # independent set: sector found, confident wrong

    @property
    def intent_f1(self) -> Dict[str, float]:
        return {label: scores["f1-score"] for label, scores in sorted(labels_of(self.intents).items())}

    @property
    def faq_f1_by_topic(self) -> Dict[str, Dict[str, float]]:
        topics: Dict[str, Dict[str, float]] = {}
        for label, scores in sorted(labels_of(self.faq_answers).items()):
            topic, _, answer = label.partition("/")
            topics.setdefault(topic, {})[answer or topic] = scores["f1-score"]
        return topics

    def summary(self) -> Dict[str, Optional[float]]:
        return {
            "examples": (self.intents.get("macro avg") or {}).get("support"),
            "intent_accuracy": self.intents.get("accuracy"),
            "intent_macro_f1": average_f1(self.intents, "macro avg"),
            "entity_micro_f1": average_f1(self.entities, "micro avg"),
            "faq_macro_f1": average_f1(self.faq_answers, "macro avg"),
            "errors": len(self.intent_errors) + len(self.faq_errors),
            "sector_found": self.understanding.get("sector found"),
            "confident_wrong": self.understanding.get("confident wrong answers"),
        }

    def confusion(self) -> Tuple[List[str], List[List[int]]]:
        """Intent confusion matrix (rows: expected, columns: predicted) from the report's support
        and every misclassified phrasing (the report itself keeps only the top confusions)."""
        support = {label: int(scores.get("support", 0)) for label, scores in labels_of(self.intents).items()}
        wrong = Counter((error["intent"], error["intent_prediction"]["name"] or "?") for error in self.intent_errors)
        labels = sorted(set(support) | {label for pair in wrong for label in pair})
        index = {label: position for position, label in enumerate(labels)}
        matrix = [[0] * len(labels) for _ in labels]
        for label, count in support.items():
            matrix[index[label]][index[label]] = count - sum(
                n for (expected, _), n in wrong.items() if expected == label
            )
        for (expected, predicted), count in wrong.items():
            matrix[index[expected]][index[predicted]] += count
        return labels, matrix

    def confused_phrasings(self) -> List[dict]:
        """Misclassified test phrasings, the most confidently wrong first."""
        rows = [
            {
                "text": e["text"],
                "expected": e["intent"],
                "predicted": e["intent_prediction"]["name"],
                "confidence": e["intent_prediction"].get("confidence") or 0.0,
            }
            for e in self.intent_errors
        ]
        rows += [
            {
                "text": e["text"],
                "expected": e["intent_response_key_target"],
                "predicted": e["intent_response_key_prediction"]["name"],
                "confidence": e["intent_response_key_prediction"].get("confidence") or 0.0,
            }
            # No answer predicted: the intent was wrong, a confusion already listed above.
            for e in self.faq_errors
            if e["intent_response_key_prediction"].get("name")
        ]
        return sorted(rows, key=lambda row: -row["confidence"])


# `rasa test nlu` names the entity report after the model's entity extractor (config.yml).
ENTITY_REPORT = "SavedCrfEntityExtractor_report.json"


def read_nlu_result(folder: Path) -> NluResult:
    report = folder / "intent_report.json"
    return NluResult(
        name=folder.name,
        measure=Measure(folder, modified(report), read_model_stamp(folder)),
        intents=read_json(report, {}),
        faq_answers=read_json(folder / "response_selection_report.json", {}),
        entities=read_json(folder / ENTITY_REPORT, {}),
        intent_errors=read_json(folder / "intent_errors.json", []),
        faq_errors=read_json(folder / "response_selection_errors.json", []),
        understanding=read_json(folder / "understanding.json", {}),
    )


def nlu_results(results: Path) -> List[NluResult]:
    """Every NLU test set evaluated so far (results/nlu for tests/nlu, and so on)."""
    folders = sorted(report.parent for report in results.glob("*/intent_report.json"))
    return [read_nlu_result(folder) for folder in folders]


@dataclass
class StoryResult:
    measure: Measure
    total: int
    correct: int
    with_warnings: int
    failed_stories: List[str] = field(default_factory=list)


def failed_story_names(path: Path) -> List[str]:
    try:
        stories = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("stories") or []
    except (OSError, yaml.YAMLError):
        return []
    return [story.get("story", "?") for story in stories if isinstance(story, dict)]


def story_result(results: Path) -> Optional[StoryResult]:
    folder = results / STORIES_DIR
    report = read_json(folder / "story_report.json", None)
    if not isinstance(report, dict) or "conversation_accuracy" not in report:
        return None
    accuracy = report["conversation_accuracy"]
    return StoryResult(
        Measure(folder, modified(folder / "story_report.json"), read_model_stamp(folder)),
        total=accuracy["total"],
        correct=accuracy["correct"],
        with_warnings=accuracy.get("with_warnings", 0),
        failed_stories=failed_story_names(folder / "failed_test_stories.yml"),
    )


def current_model(model: Path = MODEL_PATH) -> Optional[ModelStamp]:
    """The model in use now, to tell whether results were measured on it."""
    if not model.exists():
        return None
    return ModelStamp(model.name, modified(model), file_fingerprint(model))


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ops.quality", description="Notes dans un dossier de résultats le modèle mesuré."
    )
    parser.add_argument("folder", type=Path)
    parser.add_argument("--model", type=Path, default=MODEL_PATH)
    args = parser.parse_args(argv)
    if not args.model.exists():
        print(f"Modèle introuvable : {args.model}", file=sys.stderr)
        return 2
    write_model_stamp(args.folder, args.model)
    return 0


if __name__ == "__main__":
    sys.exit(main())
