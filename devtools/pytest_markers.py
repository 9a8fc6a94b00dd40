"""Markers by what a test needs, given by tests/conftest.py (pyproject.toml registers them):
- browser: under tests/browser (Chromium, the web widget);
- server: under tests/production (starts servers, supervisors or the action server as processes);
- model: needs the trained model (asks for the `trained_model` fixture);
- services: needs PostgreSQL and/or Redis (`@pytest.mark.services("postgresql", "redis")`);
- unit: none of these; `make test-fast` runs them.
A test needing an absent service is skipped with the reason, except in CI (CI=true, .ci/run),
where it fails: there, nothing may be left untested.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Iterable

import pytest

from orientation.paths import TESTS_DIR

SERVICES = {"postgresql": ("PostgreSQL", 5432), "redis": ("Redis", 6379)}
MODEL_FIXTURE = "trained_model"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def is_listening(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def needs_of(item: pytest.Item) -> set:
    needs = set()
    folders = Path(str(item.fspath)).parents
    if TESTS_DIR / "browser" in folders:
        needs.add("browser")
    if TESTS_DIR / "production" in folders:
        needs.add("server")
    if MODEL_FIXTURE in getattr(item, "fixturenames", ()):
        needs.add("model")
    if item.get_closest_marker("services"):
        needs.add("services")
    return needs or {"unit"}


def require_services(names: Iterable[str]) -> None:
    """Skips the running test when a service is absent; fails it in CI."""
    for name in names:
        label, port = SERVICES[name]
        if not is_listening(port):
            reason = f"{label} is not running on 127.0.0.1:{port} (needed by this test)"
            if in_ci():
                pytest.fail(f"{reason}: CI runs every test, start {label}.", pytrace=False)
            pytest.skip(reason)


def pytest_collection_modifyitems(config: pytest.Config, items: list) -> None:
    for item in items:
        for marker in needs_of(item):
            item.add_marker(marker)


def pytest_runtest_setup(item: pytest.Item) -> None:
    for marker in item.iter_markers("services"):
        require_services(marker.args)
