"""Start the action server and Rasa server as child processes and wait until they answer.

Used by the end-to-end tests, the benchmark and `cli ask`. `make run` uses supervisord with the
Procfile instead (ops/supervision.py), which does the same for an interactive session.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence

import requests
import yaml

from bot.preflight import rasa_command, rasa_cpu
from orientation.paths import CREDENTIALS_PATH, MODEL_PATH, PROJECT_ROOT, SCALE_OUT_ENDPOINTS, VENV_BIN

START_TIMEOUT_SECONDS = 240


class StartupError(RuntimeError):
    """A server did not come up; the message says which one and where its log is."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def is_up(url: str, timeout: float = 1.0) -> bool:
    try:
        return requests.get(url, timeout=timeout).status_code < 500
    except requests.RequestException:
        return False


@dataclass
class Service:
    name: str
    command: List[str]
    health_url: str
    log_path: Path
    env: Dict[str, str] = field(default_factory=dict)
    cpu: Optional[int] = None  # the only core the process may run on (see rasa_cpu)
    process: Optional[subprocess.Popen] = None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            self.command,
            cwd=PROJECT_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **self.env},
            start_new_session=True,
            preexec_fn=None if self.cpu is None else self._pin_to_cpu,
        )

    def _pin_to_cpu(self) -> None:
        """Runs in the child before it starts: every thread it creates inherits the core."""
        if self.cpu is not None:
            os.sched_setaffinity(0, {self.cpu})

    def wait_until_up(self, timeout: float = START_TIMEOUT_SECONDS) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise StartupError(f"{self.name} exited with code {self.process.returncode}; see {self.log_path}")
            if is_up(self.health_url):
                return
            time.sleep(0.5)
        raise StartupError(f"{self.name} did not answer within {timeout:.0f} s; see {self.log_path}")

    def stop(self, timeout: float = 20) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def action_server(port: int, log_dir: Path) -> Service:
    """The action server as both Procfiles start it: on 127.0.0.1 only, bounded requests (bot/action_server.py)."""
    return Service(
        name=f"action server :{port}",
        command=[str(VENV_BIN / "python"), "-m", "bot.action_server", "--actions", "actions", "--port", str(port)],
        health_url=f"http://127.0.0.1:{port}/health",
        log_path=log_dir / f"actions-{port}.log",
    )


def scale_out_store_type(section: str) -> str:
    """The `type` of the tracker_store or lock_store of the scale-out profile (deploy/endpoints.yml)."""
    return yaml.safe_load(SCALE_OUT_ENDPOINTS.read_text(encoding="utf-8"))[section]["type"]


def write_endpoints(
    path: Path, action_port: int, tracker_store: Optional[dict] = None, lock_store: Optional[dict] = None
) -> Path:
    config = {
        "action_endpoint": {"url": f"http://127.0.0.1:{action_port}/webhook", "enable_selective_domain": True},
        "tracker_store": tracker_store
        or {"type": "SQL", "dialect": "sqlite", "db": str(path.parent / "conversations.db")},
        "nlg": {"type": "bot.nlg.DatedAnswersGenerator"},
    }
    if lock_store:
        config["lock_store"] = lock_store
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def rasa_server(
    port: int,
    endpoints: Path,
    log_dir: Path,
    model: Path = MODEL_PATH,
    cors: Sequence[str] = ("*",),
    extra_args: Sequence[str] = (),
    credentials: Path = CREDENTIALS_PATH,
    env: Optional[Dict[str, str]] = None,
    cpu: Optional[int] = None,
) -> Service:
    return Service(
        name=f"Rasa server :{port}",
        command=[*rasa_command(endpoints, port, model, credentials, cors, interface=None), *extra_args],
        health_url=f"http://127.0.0.1:{port}/webhooks/rest/",
        log_path=log_dir / f"rasa-{port}.log",
        env=dict(env or {}),
        cpu=cpu,
    )


@dataclass
class Assistant:
    rasa_url: str
    action_url: str
    services: List[Service]
    workdir: Path
    rasa_urls: List[str] = field(default_factory=list)

    @property
    def action_service(self) -> Service:
        return self.services[0]

    @property
    def rasa_services(self) -> List[Service]:
        return self.services[1:]

    def say(self, sender: str, text: str, timeout: float = 30, rasa_url: Optional[str] = None) -> list:
        """Sends one message over the REST channel and returns the bot's replies."""
        response = requests.post(
            f"{rasa_url or self.rasa_url}/webhooks/rest/webhook",
            json={"sender": sender, "message": text},
            timeout=timeout,
        )
        response.raise_for_status()
        return response.json()


@contextlib.contextmanager
def started(services: List[Service]) -> Iterator[List[Service]]:
    """Starts every service, waits until all answer, and stops them (in reverse) on exit."""
    try:
        for service in services:
            service.start()
        for service in services:
            service.wait_until_up()
        yield services
    finally:
        for service in reversed(services):
            service.stop()


@contextlib.contextmanager
def running_assistant(
    workdir: Path,
    *,
    rasa_port: Optional[int] = None,
    action_port: Optional[int] = None,
    model: Path = MODEL_PATH,
    tracker_store: Optional[dict] = None,
    lock_store: Optional[dict] = None,
    rasa_processes: int = 1,
    credentials: Path = CREDENTIALS_PATH,
    rasa_env: Optional[Dict[str, str]] = None,
) -> Iterator[Assistant]:
    """Starts the action server and `rasa_processes` Rasa servers on free ports (unless given),
    all sharing one endpoints file, and stops them on exit. Several Rasa processes need a shared
    tracker store and a Redis lock store; each then gets its own core, as in the scale-out
    profile (deploy/Procfile)."""
    rasa_ports = [rasa_port or free_port()] + [free_port() for _ in range(rasa_processes - 1)]
    action_port = action_port or free_port()
    log_dir = workdir / "logs"
    endpoints = write_endpoints(workdir / "endpoints.yml", action_port, tracker_store, lock_store)
    actions = action_server(action_port, log_dir)
    rasas = [
        rasa_server(
            port,
            endpoints,
            log_dir,
            model=model,
            credentials=credentials,
            env=rasa_env,
            cpu=rasa_cpu(index) if rasa_processes > 1 else None,
        )
        for index, port in enumerate(rasa_ports)
    ]
    services = [actions, *rasas]
    with started(services):
        urls = [f"http://127.0.0.1:{port}" for port in rasa_ports]
        yield Assistant(urls[0], f"http://127.0.0.1:{action_port}", services, workdir, urls)
