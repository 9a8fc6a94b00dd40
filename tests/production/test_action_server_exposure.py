"""The action server as every profile starts it (bot/action_server.py): on 127.0.0.1 only, bodies
and inflated bodies bounded, no CORS, and with ACTION_SERVER_TOKEN set nothing answered without it."""

from __future__ import annotations

import json
import shlex
import socket
import subprocess
import sys
import time
import zlib
from typing import Iterator, Optional

import pytest
import requests

from bot import action_server as launcher
from devtools.processes import action_server, free_port, started
from orientation.paths import PROCFILE, PROJECT_ROOT, SCALE_OUT_PROCFILE

TOKEN = "test-action-server-token-5b1e"


def outside_address() -> Optional[str]:
    """An address of this machine other people could reach (not loopback), if it has one."""
    candidates = []
    try:
        candidates += subprocess.run(["hostname", "-I"], capture_output=True, text=True, timeout=10).stdout.split()
    except (OSError, subprocess.SubprocessError):
        pass
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the outgoing address
            candidates.append(probe.getsockname()[0])
        except OSError:
            pass
    return next((address for address in candidates if ":" not in address and not launcher.is_loopback(address)), None)


def action_call(action: str = "action_greet", **tracker) -> dict:
    state = {"sender_id": "exposure", "slots": {}, "latest_message": {}, "events": [], **tracker}
    return {"next_action": action, "sender_id": "exposure", "tracker": state, "domain": {}, "version": "3.6.21"}


def post(url: str, body: bytes, **headers) -> requests.Response:
    return requests.post(url, data=body, headers={"Content-Type": "application/json", **headers}, timeout=30)


@pytest.fixture(scope="module")
def default_server(tmp_path_factory) -> Iterator[str]:
    """Started as the Procfiles and the tests start it, no token."""
    port = free_port()
    with started([action_server(port, tmp_path_factory.mktemp("actions") / "logs")]):
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def token_server(tmp_path_factory) -> Iterator[str]:
    """With ACTION_SERVER_TOKEN, on this machine's outside address when it has one (the case of an
    action server on another host), else on 127.0.0.1."""
    host, port = outside_address() or "127.0.0.1", free_port()
    service = action_server(port, tmp_path_factory.mktemp("actions-token") / "logs")
    service.command += ["--host", host]
    service.env = {launcher.TOKEN_ENV: TOKEN}
    service.health_url = f"http://{host}:{port}/health"
    with started([service]):
        yield f"http://{host}:{port}"


def test_every_profile_starts_the_action_server_through_the_launcher_on_its_default_address():
    for procfile in (PROCFILE, SCALE_OUT_PROCFILE):
        lines = dict(line.split(": ", 1) for line in procfile.read_text().splitlines() if line and line[0] != "#")
        command = shlex.split(lines["actions"])
        assert command[1:3] == ["-m", "bot.action_server"], procfile
        assert "--host" not in command and "0.0.0.0" not in lines["actions"], procfile
    assert action_server(5055, PROJECT_ROOT).command[1:3] == ["-m", "bot.action_server"]
    assert launcher.argument_parser().parse_args([]).host == "127.0.0.1"


def test_it_does_not_accept_connections_on_the_machines_outside_address(default_server):
    address = outside_address()
    if address is None:
        pytest.skip("this machine has no address besides loopback")
    port = int(default_server.rsplit(":", 1)[1])
    assert requests.get(f"{default_server}/health", timeout=10).json() == {"status": "ok"}
    with pytest.raises(OSError):
        socket.create_connection((address, port), timeout=5).close()


def test_it_refuses_to_listen_outside_loopback_without_a_token():
    result = subprocess.run(
        [sys.executable, "-m", "bot.action_server", "--host", "0.0.0.0"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 2
    assert launcher.TOKEN_ENV in result.stderr


def test_an_action_call_is_answered_and_without_cors_headers(default_server):
    answered = requests.post(
        f"{default_server}/webhook", json=action_call(), headers={"Origin": "https://elsewhere.example"}, timeout=30
    )
    assert answered.status_code == 200
    assert answered.json()["responses"]
    assert "Access-Control-Allow-Origin" not in answered.headers


def test_an_oversized_body_gets_413(default_server):
    too_large = b'{"next_action": "action_greet", "padding": "' + b"x" * (launcher.REQUEST_MAX_BYTES + 1) + b'"}'
    refused = post(f"{default_server}/webhook", too_large)
    assert refused.status_code == 413 and refused.json()["error"]
    # the same body streamed in chunks, with no length announced
    streamed = requests.post(
        f"{default_server}/webhook",
        data=(too_large[i : i + 65536] for i in range(0, len(too_large), 65536)),
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert streamed.status_code == 413
    assert "request_body" not in streamed.text


def test_a_compressed_body_is_inflated_only_up_to_the_limit(default_server):
    call = json.dumps(action_call()).encode()
    answered = post(f"{default_server}/webhook", zlib.compress(call), **{"Content-Encoding": "deflate"})
    assert answered.status_code == 200 and answered.json()["responses"]

    # 50 kB that inflate to 64 MB
    bomb = zlib.compress(call[:-1] + b', "padding": "' + b"x" * (64 * 1024 * 1024) + b'"}', 9)
    assert len(bomb) < launcher.REQUEST_MAX_BYTES
    started_at = time.perf_counter()
    refused = post(f"{default_server}/webhook", bomb, **{"Content-Encoding": "deflate"})
    assert refused.status_code == 413 and refused.json()["error"]
    assert time.perf_counter() - started_at < 5

    assert post(f"{default_server}/webhook", b"not deflate", **{"Content-Encoding": "deflate"}).status_code == 400
    # rasa_sdk inflates deflate only: any other encoding (a gzip bomb...) is refused unread
    gzip_bomb = zlib.compressobj(9, zlib.DEFLATED, 31).compress(b"x" * (64 * 1024 * 1024))
    assert post(f"{default_server}/webhook", gzip_bomb, **{"Content-Encoding": "gzip"}).status_code == 415


def test_huge_slot_values_are_answered_at_once(default_server):
    """A tracker is whatever its sender makes it: the actions cut free text before looking it up."""
    huge = "plombier" * 80_000  # 640 kB: three of them stay under the body limit
    calls = [
        action_call("action_campus_details", slots={"campus": huge}),
        action_call("action_describe_sector", latest_message={"entities": [{"entity": "job", "value": huge}]}),
        action_call("action_search_campus", slots={"sector": huge, "area": huge, "level": huge}),
    ]
    for call in calls:
        started_at = time.perf_counter()
        answered = requests.post(f"{default_server}/webhook", json=call, timeout=30)
        assert answered.status_code == 200, (call["next_action"], answered.text[:300])
        assert time.perf_counter() - started_at < 2, call["next_action"]


def test_with_a_token_set_requests_without_it_are_refused(token_server):
    for headers in ({}, {launcher.TOKEN_HEADER: "wrong"}, {launcher.TOKEN_HEADER: TOKEN[:-1]}):
        refused = requests.post(f"{token_server}/webhook", json=action_call(), headers=headers, timeout=30)
        assert refused.status_code == 401, headers
        assert refused.json()["error"]
    assert requests.get(f"{token_server}/actions", timeout=30).status_code == 401
    answered = requests.post(
        f"{token_server}/webhook", json=action_call(), headers={launcher.TOKEN_HEADER: TOKEN}, timeout=30
    )
    assert answered.status_code == 200 and answered.json()["responses"]
    # a supervisor's health check needs no token and learns nothing
    assert requests.get(f"{token_server}/health", timeout=30).json() == {"status": "ok"}


def test_rasa_sends_the_token_from_the_endpoints_file(tmp_path, monkeypatch):
    """The `headers` of action_endpoint (endpoints.yml) go with every call to the action server."""
    from rasa.utils.endpoints import read_endpoint_config

    monkeypatch.setenv(launcher.TOKEN_ENV, TOKEN)
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(
        "action_endpoint:\n"
        '  url: "http://10.0.0.5:5055/webhook"\n'
        "  headers:\n"
        f"    {launcher.TOKEN_HEADER}: ${{{launcher.TOKEN_ENV}}}\n",
        encoding="utf-8",
    )
    assert read_endpoint_config(str(endpoints), "action_endpoint").headers == {launcher.TOKEN_HEADER: TOKEN}
