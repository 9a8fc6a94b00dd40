"""Servers shared by the production tests: started once, on free ports, stopped at the end."""

import pytest

from devtools.processes import running_assistant

# The counsellors' access token of the shared assistant (bot.counsellor).
COUNSELLOR_TOKEN = "test-counsellor-token-0c5e1f"


@pytest.fixture(scope="session")
def counsellor_token():
    return COUNSELLOR_TOKEN


@pytest.fixture(scope="session")
def assistant(tmp_path_factory, trained_model):
    """The default profile (SQLite conversation store), with the project's credentials.yml and
    a counsellor token."""
    with running_assistant(
        tmp_path_factory.mktemp("production"), rasa_env={"COUNSELLOR_TOKEN": COUNSELLOR_TOKEN}
    ) as running:
        yield running
