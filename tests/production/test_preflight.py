"""Scale-out start-up: an unreachable PostgreSQL or Redis stops the start with a clear message."""

import os
import socket
import subprocess
import sys
import time

import pytest
import yaml

from bot.paths import PROJECT_ROOT

POSTGRES = {
    "type": "SQL",
    "dialect": "postgresql",
    "url": "127.0.0.1",
    "port": 5432,
    "username": "postgres",
    "db": "test",
}
REDIS = {"type": "redis", "url": "127.0.0.1", "port": 6379, "db": 1}


def closed_port() -> int:
    """A port nothing listens on (bound then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def preflight(tmp_path, *args, **sections):
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(yaml.safe_dump(sections), encoding="utf-8")
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "bot.preflight", "--endpoints", str(endpoints), *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result, time.monotonic() - started


@pytest.mark.services("postgresql", "redis")
def test_reachable_services_pass(tmp_path):
    result, _ = preflight(tmp_path, tracker_store=POSTGRES, lock_store=REDIS)
    assert result.returncode == 0, result.stderr


@pytest.mark.services("redis")
def test_postgresql_down_stops_the_start_with_a_clear_message(tmp_path):
    port = closed_port()
    result, elapsed = preflight(tmp_path, tracker_store={**POSTGRES, "port": port}, lock_store=REDIS)
    assert result.returncode == 1
    assert "PostgreSQL injoignable" in result.stderr
    assert f"127.0.0.1:{port}" in result.stderr
    assert "tracker_store" in result.stderr
    assert elapsed < 30


@pytest.mark.parametrize("lock_type", ["redis", "deploy.lock_store.AtomicRedisLockStore"])
@pytest.mark.services("postgresql")
def test_redis_down_stops_the_start_with_a_clear_message(tmp_path, lock_type):
    port = closed_port()
    result, elapsed = preflight(tmp_path, tracker_store=POSTGRES, lock_store={**REDIS, "type": lock_type, "port": port})
    assert result.returncode == 1
    assert "Redis injoignable" in result.stderr
    assert f"127.0.0.1:{port}" in result.stderr
    assert elapsed < 30


def test_both_down_are_both_reported(tmp_path):
    result, _ = preflight(
        tmp_path, tracker_store={**POSTGRES, "port": closed_port()}, lock_store={**REDIS, "port": closed_port()}
    )
    assert result.returncode == 1
    assert "PostgreSQL" in result.stderr and "Redis" in result.stderr


def test_run_does_not_start_rasa_when_a_service_is_down(tmp_path):
    result, elapsed = preflight(
        tmp_path, "--run", "--port", str(closed_port()), tracker_store={**POSTGRES, "port": closed_port()}
    )
    assert result.returncode == 1
    assert "Rasa server" not in result.stdout + result.stderr
    assert elapsed < 30


def test_an_unset_secret_is_reported(tmp_path):
    result, _ = preflight(tmp_path, tracker_store={**POSTGRES, "password": "${CMQ_UNSET_VARIABLE_FOR_TEST}"})
    assert result.returncode == 1
    assert "CMQ_UNSET_VARIABLE_FOR_TEST" in result.stderr


@pytest.mark.services("postgresql", "redis")
def test_the_scale_out_profile_endpoints_pass_here():
    endpoints = PROJECT_ROOT / "deploy" / "endpoints.yml"
    env = {"TRACKER_DB_USER": "postgres", "TRACKER_DB_PASSWORD": "", "REDIS_PASSWORD": ""}
    result = subprocess.run(
        [sys.executable, "-m", "bot.preflight", "--endpoints", str(endpoints)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **env},
    )
    assert result.returncode == 0, result.stderr
