"""The code is split by who reads it, in floors: the domain library (orientation/) stands on
nothing of the project and never loads Rasa; the running assistant (bot/, actions/) stands on it and
imports nothing from the operations (ops/), the development tools (devtools/), the command line
(cli/) or the tests."""

import json
import subprocess
import sys

from orientation.paths import PROJECT_ROOT

ORIENTATION_MODULES = [
    "orientation.activities",
    "orientation.campus_themes",
    "orientation.campus_offer",
    "orientation.catalogue",
    "orientation.domain",
    "orientation.domain_facts",
    "orientation.formations",
    "orientation.jobs",
    "orientation.paths",
    "orientation.pay",
    "orientation.places",
    "orientation.search",
    "orientation.sectors",
    "orientation.settings",
    "orientation.sources",
    "orientation.text",
    "orientation.training",
    "orientation.wording",
]
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
    "bot.endpoints",
    "bot.lock_store",
    "bot.tracker_store",
    "actions.campus_actions",
    "actions.context",
    "actions.conversation",
    "actions.forms",
    "actions.replies",
]
TOOLING = ("ops", "devtools", "cli", "tests")
RUNTIME = ("bot", "actions")


def imported_after(code: str) -> list:
    """Top-level packages loaded by a fresh interpreter running `code`."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted({{name.split('.')[0] for name in sys.modules}})))"
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300, check=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_domain_library_stands_on_nothing_of_the_project_and_not_on_rasa():
    imported = set(imported_after("\n".join(f"import {module}" for module in ORIENTATION_MODULES)))
    assert not imported & {*RUNTIME, *TOOLING, "rasa", "rasa_sdk"}


def test_every_module_of_the_domain_library_is_checked():
    modules = {f"orientation.{path.stem}" for path in (PROJECT_ROOT / "orientation").glob("*.py")}
    assert modules - {"orientation.__init__"} == set(ORIENTATION_MODULES)


def test_the_action_server_package_holds_only_what_rasa_sdk_loads():
    """rasa_sdk imports every module of actions/: the domain library lives in orientation/."""
    modules = {path.stem for path in (PROJECT_ROOT / "actions").glob("*.py")} - {"__init__"}
    assert {f"actions.{name}" for name in modules} <= set(RUNTIME_MODULES)


def test_the_running_assistant_imports_no_tooling():
    imports = "\n".join(f"import {module}" for module in RUNTIME_MODULES)
    assert not set(imported_after(imports)) & set(TOOLING)


def test_the_action_server_code_does_not_load_rasa():
    assert "rasa" not in imported_after(
        "import actions.campus_actions, actions.context, actions.conversation, actions.forms, actions.replies"
    )
