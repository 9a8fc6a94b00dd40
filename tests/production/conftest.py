"""Servers shared by the production tests: started once, on free ports, stopped at the end."""
import pytest

from bot.processes import MODEL_PATH, running_assistant


@pytest.fixture(scope="session")
def trained_model():
    if not MODEL_PATH.exists():
        pytest.fail("No trained model: run `make train` first.")
    return MODEL_PATH


@pytest.fixture(scope="session")
def assistant(tmp_path_factory, trained_model):
    """The default profile (SQLite conversation store), with the project's credentials.yml."""
    with running_assistant(tmp_path_factory.mktemp("production")) as running:
        yield running
