"""Several Rasa processes share conversations safely: PostgreSQL tracker store, Redis lock store."""

import json
import os
import re
import shlex
import shutil
import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from devtools.processes import (
    Assistant,
    Service,
    action_server,
    free_port,
    is_up,
    scale_out_store_type,
    started,
    write_endpoints,
)
from orientation.paths import NGINX_CONF, SCALE_OUT_PROCFILE
from orientation.settings import load_settings
from tests.production.dependencies import postgresql_engine

DATABASE = "cmq_scale_test"
POSTGRES = {
    "type": scale_out_store_type("tracker_store"),
    "dialect": "postgresql",
    "url": "127.0.0.1",
    "port": 5432,
    "username": "postgres",
    "db": DATABASE,
    "login_db": "test",
}
LOCK_STORE_TYPE = scale_out_store_type("lock_store")
pytestmark = pytest.mark.services("postgresql", "redis")
CONVERSATION = ["Bonjour", "je cherche un campus", "le numérique", "en Bretagne", "merci"]
USERS = 10


@pytest.fixture(scope="module")
def run_id():
    return uuid.uuid4().hex[:8]


def procfile_command(name: str, endpoints: Path, port: int) -> list:
    """A Rasa line of deploy/Procfile, with this test's endpoints file and port."""
    lines = dict(
        line.split(": ", 1)
        for line in (SCALE_OUT_PROCFILE).read_text().splitlines()
        if line and not line.startswith("#")
    )
    command = shlex.split(lines[name].replace("deploy/endpoints.yml", str(endpoints)))
    command[command.index("--port") + 1] = str(port)
    return command


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, trained_model, run_id):
    """The scale-out profile as deploy/Procfile starts it (preflight, then rasa run), on free ports."""
    workdir = tmp_path_factory.mktemp("scale")
    lock_store = {"type": LOCK_STORE_TYPE, "url": "127.0.0.1", "port": 6379, "db": 1, "key_prefix": f"scale{run_id}"}
    action_port, rasa_ports = free_port(), [free_port(), free_port()]
    endpoints = write_endpoints(workdir / "endpoints.yml", action_port, POSTGRES, lock_store)
    services = [action_server(action_port, workdir / "logs")] + [
        Service(
            f"Rasa server :{port}",
            procfile_command(name, endpoints, port),
            f"http://127.0.0.1:{port}/webhooks/rest/",
            workdir / "logs" / f"rasa-{port}.log",
        )
        for name, port in zip(("rasa1", "rasa2"), rasa_ports)
    ]
    try:
        with started(services):
            urls = [f"http://127.0.0.1:{port}" for port in rasa_ports]
            yield Assistant(urls[0], f"http://127.0.0.1:{action_port}", services, workdir, urls)
    finally:
        engine = database()
        with engine.begin() as connection:
            connection.execute(sa.text("DELETE FROM events WHERE sender_id LIKE :run"), {"run": f"scale-{run_id}-%"})
        engine.dispose()


def database() -> sa.engine.Engine:
    return postgresql_engine(DATABASE)


def stored_events(sender: str) -> list:
    engine = database()
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT data FROM events WHERE sender_id = :sender ORDER BY id"), {"sender": sender}
        ).all()
    engine.dispose()
    return [json.loads(data) for (data,) in rows]


def turns(events: list) -> list:
    """[(user text, number of bot messages that followed it)] in stored order."""
    found = []
    for event in events:
        if event["event"] == "user":
            found.append([event["text"], 0])
        elif event["event"] == "bot" and found:
            found[-1][1] += 1
    return [tuple(turn) for turn in found]


def converse(cluster, sender: str, first_process: int) -> None:
    """One conversation, each message to the other process than the previous one."""
    for step, text in enumerate(CONVERSATION):
        url = cluster.rasa_urls[(first_process + step) % len(cluster.rasa_urls)]
        assert cluster.say(sender, text, timeout=60, rasa_url=url)


def test_interleaved_conversations_keep_every_event_in_order(cluster, run_id):
    senders = [f"scale-{run_id}-user{index}" for index in range(USERS)]
    with ThreadPoolExecutor(max_workers=USERS) as pool:
        for outcome in [pool.submit(converse, cluster, sender, index % 2) for index, sender in enumerate(senders)]:
            outcome.result(timeout=300)

    for sender in senders:
        events = stored_events(sender)
        assert [text for text, _ in turns(events)] == CONVERSATION, sender
        assert all(answers > 0 for _, answers in turns(events)), sender
        stamps = [event["timestamp"] for event in events]
        assert stamps == sorted(stamps), sender
    # The conversation really crossed processes: the form went on after switching.
    assert any("Où cherchez-vous" in (event.get("text") or "") for event in stored_events(senders[0]))


def test_simultaneous_messages_of_one_user_are_handled_one_after_the_other(cluster, run_id):
    """Both processes receive a message of the same conversation at the same moment: the lock
    makes one wait, so both messages are stored, each followed by its own answers."""
    texts = ["Bonjour", "c'est quoi la VAE ?"]
    senders = [f"scale-{run_id}-twice{index}" for index in range(6)]
    with ThreadPoolExecutor(max_workers=2 * len(senders)) as pool:
        outcomes = [
            pool.submit(cluster.say, sender, text, 60, url)
            for sender in senders
            for text, url in zip(texts, cluster.rasa_urls)
        ]
        assert all(outcome.result(timeout=180) for outcome in outcomes)

    for sender in senders:
        stored = turns(stored_events(sender))
        assert sorted(text for text, _ in stored) == sorted(texts), sender
        assert all(answers > 0 for _, answers in stored), sender


def test_cors_allows_only_the_school_origins(cluster):
    allowed = load_settings().allowed_origins[0]
    for origin, expected in ((allowed, allowed), ("https://another-site.example", None)):
        response = requests.post(
            f"{cluster.rasa_urls[0]}/webhooks/rest/webhook",
            json={"sender": "cors", "message": "Bonjour"},
            headers={"Origin": origin},
            timeout=60,
        )
        assert response.headers.get("Access-Control-Allow-Origin") == expected


def thread_cores(pid: int) -> list:
    """The cores each thread of a process may run on."""
    return [os.sched_getaffinity(int(thread)) for thread in os.listdir(f"/proc/{pid}/task")]


def test_each_rasa_process_and_all_its_threads_stay_on_a_core_of_its_own(cluster):
    if len(os.sched_getaffinity(0)) < 2:
        pytest.skip("one core: nothing to share out")
    cores = [thread_cores(service.process.pid) for service in cluster.services[1:]]
    assert all(len(threads) > 1 for threads in cores)  # TensorFlow and the event loop, at least
    first, second = ({core for allowed in threads for core in allowed} for threads in cores)
    assert len(first) == len(second) == 1 and first != second


@pytest.fixture
def balancer(cluster, tmp_path):
    """deploy/nginx.conf in front of this cluster's processes, on a free port."""
    nginx = shutil.which("nginx")
    if not nginx:
        pytest.fail("nginx is not installed: run `make balancer-deps`")
    ports = [url.rsplit(":", 1)[1] for url in cluster.rasa_urls]
    listen = free_port()
    config = (NGINX_CONF).read_text(encoding="utf-8")
    config = config.replace("127.0.0.1:5005", f"127.0.0.1:{listen}")
    config = config.replace("127.0.0.1:5006", f"127.0.0.1:{ports[0]}").replace(
        "127.0.0.1:5007", f"127.0.0.1:{ports[1]}"
    )
    assert not re.search(r"127\.0\.0\.1:500[567]\b", config)
    for folder in ("logs", "tmp"):
        (tmp_path / folder).mkdir()
    (tmp_path / "nginx.conf").write_text(config, encoding="utf-8")
    process = subprocess.Popen(
        [nginx, "-p", f"{tmp_path}/", "-c", str(tmp_path / "nginx.conf"), "-g", "daemon off;"], stderr=subprocess.PIPE
    )
    url = f"http://127.0.0.1:{listen}"
    for _ in range(50):
        if is_up(f"{url}/webhooks/rest/"):
            break
        if process.poll() is not None:
            pytest.fail(f"nginx did not start: {process.stderr.read().decode()}")
        time.sleep(0.2)
    yield url
    process.terminate()
    process.wait(10)


# Last of the module: it leaves the second process stopped (restarting it would cost a model load).
def test_the_balancer_spreads_conversations_and_survives_a_process_going_down(cluster, balancer, run_id):
    sender = f"scale-{run_id}-balanced"
    for text in CONVERSATION[:3]:
        assert cluster.say(sender, text, timeout=60, rasa_url=balancer)
    refused = requests.post(
        f"{balancer}/webhooks/rest/webhook",
        data=b"x" * 300_000,
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert refused.status_code == 413

    cluster.rasa_services[1].stop()
    for text in CONVERSATION[3:]:
        assert cluster.say(sender, text, timeout=60, rasa_url=balancer)
    assert [text for text, _ in turns(stored_events(sender))] == CONVERSATION
