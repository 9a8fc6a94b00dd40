"""Shared test set-up: markers by what a test needs, the trained model, the services, the catalogue.

Every test gets one of these markers (pyproject.toml registers them), so that each kind runs alone:
- browser: under tests/browser (Chromium, the web widget);
- model: needs the trained model (the `trained_model` fixture);
- services: needs PostgreSQL and/or Redis (`@pytest.mark.services("postgresql", "redis")`);
- unit: none of these; `make test-fast` runs them.
A test needing an absent service is skipped with the reason, except in CI (CI=true, .ci/run),
where it fails: there, nothing may be left untested.
"""
from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from bot.paths import MODEL_PATH, TESTS_DIR

SERVICES = {"postgresql": ("PostgreSQL", 5432), "redis": ("Redis", 6379)}
NEEDS_MODEL = "trained_model"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def is_listening(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def pytest_collection_modifyitems(config, items):
    browser_dir = TESTS_DIR / "browser"
    for item in items:
        needs = set()
        if browser_dir in Path(item.fspath).parents:
            needs.add("browser")
        if NEEDS_MODEL in item.fixturenames:
            needs.add("model")
        if item.get_closest_marker("services"):
            needs.add("services")
        for marker in needs or {"unit"}:
            item.add_marker(marker)


def pytest_runtest_setup(item):
    for marker in item.iter_markers("services"):
        for name in marker.args:
            label, port = SERVICES[name]
            if not is_listening(port):
                reason = f"{label} is not running on 127.0.0.1:{port} (needed by this test)"
                if in_ci():
                    pytest.fail(f"{reason}: CI runs every test, start {label}.", pytrace=False)
                pytest.skip(reason)


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
    """The embedded catalogue (actions/data/campuses.csv), without any HTTP source."""
    from actions.catalogue import load_catalogue

    return load_catalogue()
