"""`python -m devtools.memory_profile`: where the memory of one Rasa process goes.

Loads the trained model in this process the way `rasa run` does and records the resident memory
(RSS) before and after each step: the Python runtime, Rasa with TensorFlow imported, each
component of the model as Rasa loads it (spaCy's model, the entity and intent models, the answer selector, TED, ...),
then the first messages (TensorFlow builds its prediction graphs on first use) and a steady run of
messages. Ends with the peak (VmHWM). Figures go to docs/production.md ("Where the memory goes").
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from pathlib import Path
from typing import List, Optional, Tuple

import psutil

from bot import patches
from orientation.paths import MODEL_PATH

MESSAGES = [
    "Bonjour",
    "Je cherche un campus dans le numérique près de Rennes",
    "C'est quoi la VAE ?",
    "et en Occitanie ?",
    "Merci beaucoup",
    "je veux devenir fleuriste",
    "comment partir avec Erasmus+ ?",
    "l'apprentissage c'est à partir de quel âge ?",
    "des formations dans le bâtiment à Nantes",
]


def rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


def peak_mb() -> float:
    """VmHWM: the highest RSS this process has had."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Steps:
    def __init__(self) -> None:
        self.rows: List[Tuple[str, float, float]] = []
        self.last = rss_mb()
        self.rows.append(("Python interpreter", self.last, self.last))

    def record(self, name: str) -> None:
        now = rss_mb()
        self.rows.append((name, now - self.last, now))
        self.last = now


def watch_component_loads(steps: Steps) -> None:
    """Records the memory each graph node takes when Rasa loads its component."""
    from rasa.engine.graph import GraphNode

    original = GraphNode._load_component

    def measured(node: GraphNode, **kwargs):
        original(node, **kwargs)
        steps.record(f"  {node._component_class.__name__} ({node._node_name})")

    GraphNode._load_component = measured


async def run(model: Path, messages: int) -> Steps:
    steps = Steps()
    import rasa.core.agent  # noqa: F401  (Rasa's own imports: TensorFlow, Sanic, SQLAlchemy ...)
    import tensorflow  # noqa: F401

    steps.record("Rasa and TensorFlow imported")
    watch_component_loads(steps)
    patches.install()  # as the running assistant does (RASA_PATCHES=off: Rasa's own loading)
    from rasa.core.agent import Agent

    started = time.monotonic()
    agent = Agent.load(str(model))
    steps.record(f"model loaded ({time.monotonic() - started:.1f} s)")
    for text in MESSAGES:
        await agent.parse_message(text)
    steps.record(f"first {len(MESSAGES)} messages parsed")
    for index in range(messages):
        await agent.handle_text(MESSAGES[index % len(MESSAGES)], sender_id=f"memory-{index % 20}")
    steps.record(f"{messages} messages handled (NLU + dialogue)")
    return steps


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=MODEL_PATH)
    parser.add_argument("--messages", type=int, default=200)
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    steps = asyncio.run(run(args.model, args.messages))
    print(f"{'step':62} {'+MB':>8} {'RSS MB':>8}")
    for name, delta, total in steps.rows:
        print(f"{name:62} {delta:8.0f} {total:8.0f}")
    print(f"{'peak RSS (VmHWM)':62} {'':8} {peak_mb():8.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
