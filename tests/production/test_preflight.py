"""Start-up checks: an unreachable PostgreSQL or Redis stops the start with a clear message; low free
disk is warned, and a model that cannot be unpacked stops the start (on a real 2 MB filesystem)."""

import os
import socket
import subprocess
import sys
import time

import pytest
import yaml

from orientation.paths import PROJECT_ROOT, SCALE_OUT_ENDPOINTS
from tests.production.dependencies import small_filesystem

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


@pytest.mark.parametrize("lock_type", ["redis", "bot.lock_store.AtomicRedisLockStore"])
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
    endpoints = SCALE_OUT_ENDPOINTS
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


@pytest.fixture
def tiny_disk(tmp_path):
    """A 2 MB filesystem of its own (tmpfs; needs root), unmounted afterwards."""
    with small_filesystem(tmp_path / "tiny", "2m") as folder:
        yield folder


def packed_model(path, unpacked_bytes: int):
    """A gzip file that unpacks to `unpacked_bytes` (zeros compress to almost nothing)."""
    import gzip

    with gzip.open(path, "wb") as packed:
        packed.write(b"\0" * unpacked_bytes)
    return path


def test_the_unpacked_size_of_the_model_is_read_from_its_gzip_trailer(tmp_path, trained_model):
    import tarfile

    from bot.preflight import unpacked_size

    assert unpacked_size(packed_model(tmp_path / "model.tar.gz", 3_000_000)) == 3_000_000
    with tarfile.open(trained_model) as tar:
        contents = sum(member.size for member in tar.getmembers())
    assert contents <= unpacked_size(trained_model) < contents * 1.1 + 1_000_000


def test_low_free_disk_is_warned_once_per_disk(tiny_disk):
    from bot.preflight import low_disk_warnings

    (tiny_disk / "sub").mkdir()
    warnings = low_disk_warnings([tiny_disk, tiny_disk / "sub"])
    assert len(warnings) == 1 and str(tiny_disk) in warnings[0] and "seuil 500 Mo" in warnings[0]
    assert low_disk_warnings([tiny_disk], threshold_mb=1) == []


def test_run_refuses_to_start_when_the_model_cannot_be_unpacked(tmp_path, tiny_disk):
    model = packed_model(tmp_path / "model.tar.gz", 5_000_000)
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(
        yaml.safe_dump({"tracker_store": {"type": "SQL", "dialect": "sqlite", "db": str(tmp_path / "c.db")}}),
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, "-m", "bot.preflight", "--endpoints", str(endpoints), "--run", "--model", str(model)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "TMPDIR": str(tiny_disk)},
    )
    assert result.returncode == 1
    assert "Attention : disque presque plein" in result.stderr
    assert f"pas assez d'espace disque dans {tiny_disk} pour décompresser le modèle" in result.stderr
    from bot.preflight import model_space_problem

    assert model_space_problem(packed_model(tmp_path / "small.tar.gz", 100_000), tmp_path) is None
