"""The project's replacements of Rasa internals, installed by one explicit step: `install()`.

Each patch makes a Rasa call cheaper without changing what it returns (each has its equivalence
test); one makes training cheaper (answer_wording: a reworded FAQ answer retrains nothing). They replace private names of one Rasa version, so `install()` first checks that this
version is the one installed and that every name it replaces or relies on is still there, and
stops with a clear error otherwise, rather than patching something else.

Installed by every process that trains or runs the assistant's model: `python -m bot.patched_rasa`
(used by `make train`, `make run`, the Procfiles, `make test-stories` and the test servers), `cli ask`, and the tests
through the `rasa_patches` fixture. RASA_PATCHES=off switches them all off (plain Rasa).
"""

from __future__ import annotations

import importlib
import logging
import os
from dataclasses import dataclass
from typing import List, Tuple

logger = logging.getLogger(__name__)

RASA_VERSION = "3.6.21"
SWITCH_VARIABLE = "RASA_PATCHES"


class IncompatibleRasa(RuntimeError):
    """The installed Rasa is not the one the patches were written for."""


@dataclass(frozen=True)
class Patch:
    module: str  # in bot.patches, with an install() function
    purpose: str
    # "rasa.module:Class.attribute": what the patch replaces or calls (class-level names only).
    private_names: Tuple[str, ...]


PATCHES = (
    Patch(
        "answer_wording",
        "FAQ answers' wording kept out of the NLU training data (rewording one retrains nothing)",
        (
            "rasa.graph_components.providers.nlu_training_data_provider:NLUTrainingDataProvider.provide",
            "rasa.shared.nlu.training_data.training_data:TrainingData.fingerprint",
            "rasa.shared.nlu.training_data.message:Message.fingerprint",
        ),
    ),
    Patch(
        "action_calls",
        "action server replies checked with validators built once",
        (
            "rasa.core.actions.action:RemoteAction._validate_action_result",
            "rasa.core.actions.action:RemoteAction.action_response_format_spec",
        ),
    ),
    Patch(
        "model_loading",
        "trained models loaded for prediction, without a training step",
        (
            "rasa.utils.tensorflow.models:RasaModel.load",
            "rasa.utils.tensorflow.models:RasaModel.batch_loss",
            "rasa.utils.tensorflow.models:RasaModel.run_inference",
            "rasa.utils.tensorflow.data_generator:RasaBatchDataGenerator.prepare_batch",
        ),
    ),
    Patch(
        "model_calls",
        "trained models called through their built graph",
        (
            "rasa.utils.tensorflow.models:RasaModel._rasa_predict",
            "rasa.utils.tensorflow.models:RasaModel._empty_lists_to_none_in_dict",
        ),
    ),
    Patch(
        "policy_calls",
        "learned policies skipped when the rules decide",
        (
            "rasa.core.processor:DaskGraphRunner",
            "rasa.engine.runner.dask:DaskGraphRunner.run",
            "rasa.core.policies.policy:Policy._prediction",
            "rasa.core.policies.policy:Policy._default_predictions",
        ),
    ),
)

_installed: List[str] = []


def switched_on() -> bool:
    return os.environ.get(SWITCH_VARIABLE, "on").strip().lower() not in ("off", "0", "false", "no")


def _has(private_name: str) -> bool:
    module_name, _, attributes = private_name.partition(":")
    try:
        target = importlib.import_module(module_name)
    except ImportError:
        return False
    for attribute in attributes.split("."):
        if not hasattr(target, attribute):
            return False
        target = getattr(target, attribute)
    return True


def check_rasa() -> None:
    """Raises IncompatibleRasa unless the installed Rasa has everything the patches replace."""
    import rasa

    if rasa.__version__ != RASA_VERSION:
        raise IncompatibleRasa(
            f"Rasa {rasa.__version__} is installed, the patches of bot/patches/ were written for "
            f"Rasa {RASA_VERSION}: check them against the new version (each has its equivalence test) "
            f"and update RASA_VERSION, or set {SWITCH_VARIABLE}=off to run without them."
        )
    missing = [name for patch in PATCHES for name in patch.private_names if not _has(name)]
    if missing:
        raise IncompatibleRasa(f"Rasa {rasa.__version__} lacks what the patches replace: {', '.join(missing)}")


def install() -> List[str]:
    """Installs every patch once per process; returns the names of those installed."""
    if _installed:
        return list(_installed)
    if not switched_on():
        logger.info("Rasa patches switched off (%s=off): Rasa runs unchanged.", SWITCH_VARIABLE)
        return []
    check_rasa()
    for patch in PATCHES:
        importlib.import_module(f"{__name__}.{patch.module}").install()
        _installed.append(patch.module)
        logger.info("Rasa patch installed: %s (%s).", patch.module, patch.purpose)
    return list(_installed)
