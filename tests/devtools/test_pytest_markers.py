"""A test needing PostgreSQL or Redis is skipped when the service is absent, and fails in CI."""

import pytest

from devtools import pytest_markers


@pytest.fixture
def nothing_listens(monkeypatch):
    monkeypatch.setattr(pytest_markers, "is_listening", lambda port, host="127.0.0.1": False)


def test_an_absent_service_skips_the_test_with_the_reason(nothing_listens, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="PostgreSQL is not running on 127.0.0.1:5432"):
        pytest_markers.require_services(["postgresql"])


def test_in_ci_an_absent_service_fails_the_test(nothing_listens, monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="Redis is not running"):
        pytest_markers.require_services(["redis"])


def test_running_services_let_the_test_run(monkeypatch):
    monkeypatch.setattr(pytest_markers, "is_listening", lambda port, host="127.0.0.1": True)
    monkeypatch.setenv("CI", "true")
    pytest_markers.require_services(["postgresql", "redis"])
