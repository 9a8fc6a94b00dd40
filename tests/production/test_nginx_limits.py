"""deploy/nginx.conf's limits per client address, in front of two stand-ins for the Rasa processes:
a burst gets 429 in JSON, a body too large 413 in JSON, normal use goes through, and the TLS
server it shows is a valid configuration."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator, List, Optional

import pytest
import requests

from devtools.processes import free_port, is_up
from devtools.pytest_markers import in_ci
from orientation.paths import NGINX_CONF

WEBHOOK = "/webhooks/rest/webhook"
# The longest message the channel answers, escaped at worst (ASCII JSON: an emoji is 12 bytes),
# from the longest sender id it accepts.
LONGEST_BODY = json.dumps({"sender": "\U0001f600" * 128, "message": "\U0001f600" * 1000}).encode()


class StandIn(BaseHTTPRequestHandler):
    """Answers every request as Rasa would, at once or after `?slow=1` 1.5 s."""

    protocol_version = "HTTP/1.1"

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        if "slow=1" in self.path:
            time.sleep(1.5)
        body = json.dumps([{"recipient_id": "x", "text": "Bonjour"}]).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args) -> None:
        pass


class Server(ThreadingHTTPServer):
    request_queue_size = 256  # nginx opens a hundred connections at once in a test below
    daemon_threads = True


@pytest.fixture(scope="module")
def stand_ins() -> Iterator[List[int]]:
    servers = [Server(("127.0.0.1", free_port()), StandIn) for _ in range(2)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    yield [server.server_address[1] for server in servers]
    for server in servers:
        server.shutdown()
        server.server_close()


def nginx_binary() -> str:
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if not nginx:
        message = "nginx is not installed: run `make balancer-deps`"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    return nginx


def with_ports(config: str, listen: int, upstreams: List[int]) -> str:
    config = config.replace("127.0.0.1:5005", f"127.0.0.1:{listen}")
    config = config.replace("127.0.0.1:5006", f"127.0.0.1:{upstreams[0]}")
    config = config.replace("127.0.0.1:5007", f"127.0.0.1:{upstreams[1]}")
    assert not re.search(r"127\.0\.0\.1:500[567]\b", config)
    return config


class Balancer:
    def __init__(self, folder: Path, config: str) -> None:
        for name in ("logs", "tmp"):
            (folder / name).mkdir(exist_ok=True)
        self.conf = folder / "nginx.conf"
        self.conf.write_text(config, encoding="utf-8")
        self.command = [nginx_binary(), "-p", f"{folder}/", "-c", str(self.conf)]
        self.process: Optional[subprocess.Popen] = None

    def check(self) -> subprocess.CompletedProcess:
        return subprocess.run([*self.command, "-t"], capture_output=True, text=True, timeout=30)

    def start(self, health_url: str) -> None:
        self.process = subprocess.Popen([*self.command, "-g", "daemon off;"], stderr=subprocess.PIPE)
        for _ in range(50):
            if is_up(health_url):
                return
            if self.process.poll() is not None:
                pytest.fail(f"nginx did not start: {self.process.communicate()[1].decode()}")
            time.sleep(0.1)
        pytest.fail("nginx did not answer")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)


@pytest.fixture
def balancer(stand_ins, tmp_path) -> Iterator[str]:
    """deploy/nginx.conf as it is, on a free port, in front of the stand-ins (fresh limits each test)."""
    listen = free_port()
    running = Balancer(tmp_path, with_ports(NGINX_CONF.read_text(encoding="utf-8"), listen, stand_ins))
    url = f"http://127.0.0.1:{listen}"
    running.start(f"{url}/webhooks/rest/")
    time.sleep(2.1)  # the health checks above used some of this address's budget: let it refill
    yield url
    running.stop()


def post(url: str, body: bytes = b'{"sender": "a", "message": "Bonjour"}', **kwargs) -> requests.Response:
    return requests.post(url, data=body, headers={"Content-Type": "application/json"}, timeout=30, **kwargs)


def assert_french_json_error(response: requests.Response, status: int) -> None:
    assert response.status_code == status
    assert response.headers["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert error and error.isprintable()


def test_the_longest_message_goes_through_and_a_larger_body_gets_413_in_json(balancer):
    assert len(LONGEST_BODY) < 16 * 1024
    answered = post(f"{balancer}{WEBHOOK}", LONGEST_BODY)
    assert answered.status_code == 200 and answered.json()[0]["text"] == "Bonjour"

    refused = post(f"{balancer}{WEBHOOK}", b'{"sender": "a", "message": "' + b"x" * 17_000 + b'"}')
    assert_french_json_error(refused, 413)
    assert "1 000 caractères" in refused.json()["error"]


def test_a_burst_from_one_address_gets_429_in_json_then_the_address_is_served_again(balancer):
    with ThreadPoolExecutor(max_workers=60) as pool:
        responses = list(pool.map(lambda _: post(f"{balancer}{WEBHOOK}"), range(60)))
    statuses = [response.status_code for response in responses]
    assert set(statuses) <= {200, 429}
    # 1 + a burst of 20 pass (half of them slowed down to 10 a second), the rest is refused at once.
    assert 20 <= statuses.count(200) <= 30, statuses
    refused = next(response for response in responses if response.status_code == 429)
    assert_french_json_error(refused, 429)
    assert refused.headers["Retry-After"] == "2"

    time.sleep(2.5)
    assert post(f"{balancer}{WEBHOOK}").status_code == 200


def test_one_request_after_the_other_is_slowed_down_never_refused(balancer):
    """`cli ask --file`, or a person: 40 requests in a row from one address all get answers."""
    started = time.monotonic()
    statuses = [post(f"{balancer}{WEBHOOK}").status_code for _ in range(40)]
    assert statuses == [200] * 40
    assert time.monotonic() - started >= 1.5  # beyond the burst, 10 a second


def test_socketio_handshakes_are_limited_per_address_and_connected_widgets_are_not(balancer):
    handshake = f"{balancer}/socket.io/?EIO=4&transport=polling"
    with ThreadPoolExecutor(max_workers=80) as pool:
        new = list(pool.map(lambda _: requests.get(handshake, timeout=30).status_code, range(80)))
        assert set(new) == {200, 429} and 40 <= new.count(200) <= 50, new
        polls = list(pool.map(lambda _: requests.get(f"{handshake}&sid=abc", timeout=30).status_code, range(80)))
    assert polls == [200] * 80


def test_open_connections_are_limited_per_address(balancer):
    """Widgets already connected (sid) holding their connection: 100 at once per address."""
    url = f"{balancer}/socket.io/?EIO=4&transport=polling&sid=abc&slow=1"
    with ThreadPoolExecutor(max_workers=110) as pool:
        statuses = list(pool.map(lambda _: requests.get(url, timeout=30).status_code, range(110)))
    assert statuses.count(429) >= 10 and statuses.count(200) >= 90, statuses


def uncommented_tls_server(config: str) -> str:
    """The configuration with the commented TLS blocks at the end of the http block turned on."""
    start = config.index("    # server {\n")
    end = config.rindex("}")
    lines = [
        line.replace("    # ", "    ", 1) if line.startswith("    # ") else line
        for line in config[start:end].splitlines()
    ]
    return config[:start] + "\n".join(line for line in lines if line.strip() != "#") + "\n" + config[end:]


def test_the_tls_server_shown_is_a_working_configuration(stand_ins, tmp_path):
    if not shutil.which("openssl"):
        pytest.skip("openssl is not installed")
    key, certificate = tmp_path / "assistant.key", tmp_path / "assistant.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"]
        + ["-addext", "subjectAltName=IP:127.0.0.1"]
        + ["-keyout", str(key), "-out", str(certificate)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    https_port, http_port, listen = free_port(), free_port(), free_port()
    config = uncommented_tls_server(with_ports(NGINX_CONF.read_text(encoding="utf-8"), listen, stand_ins))
    assert "ssl_certificate     /etc/ssl/certs/assistant.example.fr.pem;" in config
    config = (
        config.replace("/etc/ssl/certs/assistant.example.fr.pem", str(certificate))
        .replace("/etc/ssl/private/assistant.example.fr.key", str(key))
        .replace("listen 443 ssl;", f"listen 127.0.0.1:{https_port} ssl;")
        .replace("listen 80;", f"listen 127.0.0.1:{http_port};")
        .replace("listen [::]:443 ssl;\n", "")
        .replace("listen [::]:80;\n", "")
    )
    running = Balancer(tmp_path, config)
    checked = running.check()
    assert checked.returncode == 0, checked.stderr
    running.start(f"http://127.0.0.1:{listen}/webhooks/rest/")
    try:
        secure = requests.post(
            f"https://127.0.0.1:{https_port}{WEBHOOK}",
            json={"sender": "a", "message": "Bonjour"},
            verify=str(certificate),
            timeout=30,
        )
        assert secure.status_code == 200
        assert secure.headers["Strict-Transport-Security"]
        redirected = requests.get(f"http://127.0.0.1:{http_port}/", allow_redirects=False, timeout=30)
        assert redirected.status_code == 301 and redirected.headers["Location"].startswith("https://")
    finally:
        running.stop()
