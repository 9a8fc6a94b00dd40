"""Shared test set-up: markers by what a test needs (devtools.pytest_markers), the trained model,
the Rasa patches, the campus catalogue."""

from __future__ import annotations

from pathlib import Path

import pytest

from devtools.pytest_markers import pytest_collection_modifyitems, pytest_runtest_setup  # noqa: F401 - hooks
from orientation.paths import MODEL_PATH


@pytest.fixture(scope="session")
def trained_model() -> Path:
    """The model `make train` writes; every test that needs a trained model asks for this."""
    if not MODEL_PATH.exists():
        pytest.fail(f"No trained model ({MODEL_PATH}): run `make train` first.", pytrace=False)
    return MODEL_PATH


@pytest.fixture
def rasa_patches():
    """The project's Rasa patches installed, as in the running assistant (bot.patches)."""
    from bot import patches

    return patches.install()


@pytest.fixture(scope="session")
def catalogue():
    """The embedded catalogue (orientation/data/campuses.csv), without any HTTP source."""
    from orientation.catalogue import load_catalogue

    return load_catalogue()
