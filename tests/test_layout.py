"""The code is split by who reads it: the running assistant (bot/, actions/) imports nothing from
the operations (ops/), the development tools (devtools/), the command line (cli/) or the tests."""

import json
import subprocess
import sys

from bot.paths import PROJECT_ROOT

RUNTIME_MODULES = [
    "bot.channels",
    "bot.nlu_components",
    "bot.preflight",
    "bot.web_server",
    "bot.patches",
    "bot.patched_rasa",
    "bot.counsellor",
    "bot.privacy",
    "bot.rate_limits",
    "bot.action_server",
    "deploy.lock_store",
    "deploy.tracker_store",
]
TOOLING = ("ops", "devtools", "cli", "tests")


def imported_after(code: str) -> list:
    """Top-level packages loaded by a fresh interpreter running `code`."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted({{name.split('.')[0] for name in sys.modules}})))"
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300, check=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_running_assistant_imports_no_tooling():
    imports = "\n".join(f"import {module}" for module in RUNTIME_MODULES)
    assert not set(imported_after(imports)) & set(TOOLING)


def test_the_action_server_code_does_not_load_rasa():
    assert "rasa" not in imported_after("import actions.campus_actions, actions.settings, actions.sources")
