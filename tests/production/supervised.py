"""A profile started as `make run` starts it (ops/supervision.py), on free ports, for the restart tests."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional

import requests

from devtools.processes import is_up
from ops.supervision import START_RETRIES, read_procfile, supervisord_config
from orientation.paths import PROJECT_ROOT, VENV_BIN

# How soon the assistant must answer again after one of its processes is killed. RESTART_ANSWER_SECONDS
# overrides it (e.g. while the model takes longer than this to load).
ANSWER_AGAIN_SECONDS = float(os.environ.get("RESTART_ANSWER_SECONDS", "30"))
# Rasa processes loading their model side by side on a busy 2-core machine took over 4 minutes.
LOAD_TIMEOUT_SECONDS = 600
LOG_TIME = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) ")


def programs_of(procfile: Path, replacements: Dict[str, str], only: Optional[List[str]] = None) -> Dict[str, str]:
    """The lines of a Procfile with each `replacements` key replaced (ports, endpoints file)."""
    programs = {}
    for name, command in read_procfile(procfile).items():
        if only is None or name in only:
            for old, new in replacements.items():
                command = command.replace(old, new)
            programs[name] = command
    return programs


@dataclass
class Supervised:
    config: Path
    log_dir: Path
    supervisord: subprocess.Popen

    def control(self, *args: str) -> str:
        return subprocess.run(
            [str(VENV_BIN / "supervisorctl"), "-c", str(self.config), *args], capture_output=True, text=True, timeout=30
        ).stdout.strip()

    def pid(self, name: str) -> int:
        """0 while the process is not running."""
        output = self.control("pid", name)
        return int(output) if output.isdigit() else 0

    def state(self, name: str) -> str:
        return self.control("status", name).split()[1]

    def kill(self, name: str) -> int:
        """SIGKILL, as a crash or `kill -9` would; returns the pid killed."""
        pid = self.pid(name)
        assert pid, f"{name} is not running"
        os.kill(pid, signal.SIGKILL)
        return pid

    def log(self) -> str:
        return (self.log_dir / "supervisord.log").read_text(encoding="utf-8", errors="replace")

    def log_times(self, pattern: str) -> List[float]:
        """The times (s since the epoch) of supervisord's log lines containing `pattern`."""
        import datetime

        times = []
        for line in self.log().splitlines():
            match = LOG_TIME.match(line)
            if match and pattern in line:
                stamp = datetime.datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S,%f")
                times.append(stamp.timestamp())
        return times


@contextlib.contextmanager
def supervised(workdir: Path, programs: Dict[str, str], start_retries: int = START_RETRIES) -> Iterator[Supervised]:
    """supervisord running `programs` with the project's supervision settings; stopped on exit."""
    run_dir, log_dir = workdir / "run", workdir / "logs"
    run_dir.mkdir(parents=True, exist_ok=True)
    log_dir.mkdir(parents=True, exist_ok=True)
    config = run_dir / "supervisord.conf"
    config.write_text(supervisord_config(programs, run_dir, log_dir, start_retries=start_retries), encoding="utf-8")
    output = open(log_dir / "supervisord.out", "ab")
    process = subprocess.Popen(
        [str(VENV_BIN / "supervisord"), "--nodaemon", "--configuration", str(config)],
        cwd=PROJECT_ROOT,
        stdout=output,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    running = Supervised(config, log_dir, process)
    try:
        wait_until(lambda: (run_dir / "supervisor.sock").exists(), 30, "supervisord did not start")
        yield running
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(90)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        output.close()


def wait_until(condition: Callable[[], object], timeout: float, failure: str = "", pause: float = 0.5) -> float:
    """Seconds until `condition()` is true; fails after `timeout`."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"{failure} (after {timeout:.0f} s)")
        time.sleep(pause)
    return time.monotonic() - started


def wait_until_up(supervisor: Supervised, urls: List[str], timeout: float = LOAD_TIMEOUT_SECONDS) -> None:
    def up(url: str) -> bool:
        if "FATAL" in supervisor.control("status"):
            raise AssertionError(f"supervisord gave up on a process: see {supervisor.log_dir}")
        return is_up(url)

    for url in urls:
        wait_until(lambda url=url: up(url), timeout, f"{url} did not answer")


def say(rasa_url: str, sender: str, text: str, timeout: float = 60) -> list:
    response = requests.post(
        f"{rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=timeout
    )
    response.raise_for_status()
    return response.json()


def text_of(replies: list) -> str:
    return "\n".join(reply.get("text") or "" for reply in replies)


def new_sender(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@dataclass
class BackgroundLoad:
    """Visitors chatting all along: each keeps one conversation and counts the messages answered."""

    rasa_url: str
    users: int = 2
    pause_seconds: float = 0.3
    answered: Dict[str, int] = field(default_factory=dict)
    failures: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)

    def _chat(self, sender: str) -> None:
        messages = ["Bonjour", "c'est quoi la VAE ?", "merci"]
        step = 0
        while not self._stop.is_set():
            try:
                say(self.rasa_url, sender, messages[step % len(messages)], timeout=60)
                self.answered[sender] += 1
            except requests.RequestException:
                self.failures += 1  # the process answering is down: the visitor tries again
                time.sleep(1)
            step += 1
            time.sleep(self.pause_seconds)

    @contextlib.contextmanager
    def running(self) -> Iterator["BackgroundLoad"]:
        threads = []
        for _ in range(self.users):
            sender = new_sender("load")
            self.answered[sender] = 0
            threads.append(threading.Thread(target=self._chat, args=(sender,), daemon=True))
        for thread in threads:
            thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            for thread in threads:
                thread.join(90)
