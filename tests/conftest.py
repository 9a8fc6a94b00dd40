"""Shared test set-up: the project root on sys.path, and the campus catalogue loaded once."""
import sys
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))


@pytest.fixture(scope="session")
def catalogue():
    """The embedded catalogue (actions/data/campuses.csv), without any HTTP source."""
    from actions.catalogue import load_catalogue

    return load_catalogue()
