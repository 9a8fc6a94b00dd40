"""`python -m cli bench`: load benchmark of the REST channel, beside a reference Rasa bot.

What it runs, in one go (about 12 minutes with the defaults, plus a few minutes the first time to
train the reference bot, which is then kept under var/reference-bot/):
1. our assistant (action server + Rasa), fed realistic conversations: greeting, a campus search
   with a town, a FAQ question, a refinement ("et en Occitanie ?"), thanks;
   - one user alone: the latency of each step without queueing;
   - fixed arrival rate (default 10 msg/s): latency p50/p95/p99 under a steady load;
   - N users sending with no pause (default 20): the maximum throughput;
2. the throughput test with messages spread over two Rasa processes sharing the store
   (PostgreSQL + Redis lock store), each to the least busy one as the entry point does, right
   next to the same test on one process, five times over (the order alternating): one vs two
   processes, round by round;
3. a profile (pyinstrument) of a few messages through the same code path, in this process;
4. the reference bot (`rasa init --no-prompt`, Rasa's own example) under the same load.
Peak memory (RSS) of every server process is sampled during the load. Results are printed and
written to var/bench/report-<time>.json; the full profile to var/bench/profile-<time>.html.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import logging
import math
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Deque, Dict, Iterator, List, Optional, Sequence

from bot.preflight import SINGLE_THREAD_ENV
from devtools.processes import Service, running_assistant, scale_out_store_type
from orientation.paths import MODEL_PATH, VAR_DIR, VENV_BIN

REFERENCE_DIR = VAR_DIR / "reference-bot"
OUTPUT_DIR = VAR_DIR / "bench"
REQUEST_TIMEOUT_SECONDS = 30
BENCH_DATABASE = "cmq_bench"

# Realistic conversations: the order a visitor follows, with the spellings people use.
STEPS = ["greeting", "campus search", "FAQ", "refinement", "thanks"]
CONVERSATIONS: List[List[str]] = [
    [
        "Bonjour",
        "Je cherche un campus dans le numérique près de Rennes",
        "C'est quoi la VAE ?",
        "et en Occitanie ?",
        "Merci beaucoup",
    ],
    ["salut", "un campus pour la cuisine vers Lyon", "comment partir avec Erasmus+ ?", "et en Bretagne ?", "merci"],
    [
        "bonsoir",
        "je veux travailler dans l'aéronautique, je suis à Toulouse",
        "l'apprentissage c'est à partir de quel âge ?",
        "et en Île-de-France ?",
        "merci, au revoir",
    ],
    [
        "Bonjour !",
        "des formations dans le bâtiment à Nantes",
        "qui peut faire une VAE ?",
        "et en Occitanie ?",
        "super merci",
    ],
]


# --- load generation -------------------------------------------------------------------------


@dataclass
class Sample:
    latency: float
    error: Optional[str] = None  # HTTP error or no answer in time
    empty: bool = False  # answered, but with no message at all
    step: int = 0  # position in the conversation (STEPS)


@dataclass
class LoadResult:
    mode: str
    duration: float
    samples: List[Sample] = field(default_factory=list)

    @property
    def ok(self) -> List[Sample]:
        return [s for s in self.samples if s.error is None]

    def summary(self) -> Dict[str, Any]:
        latencies = sorted(s.latency for s in self.ok)
        return {
            "messages": len(self.samples),
            "errors": len(self.samples) - len(latencies),
            "empty_replies": sum(1 for s in self.ok if s.empty),
            "msg_per_s": len(latencies) / self.duration if self.duration else 0.0,
            "p50_ms": percentile(latencies, 50) * 1000,
            "p95_ms": percentile(latencies, 95) * 1000,
            "p99_ms": percentile(latencies, 99) * 1000,
            "p50_ms_by_step": {
                name: percentile(sorted(s.latency for s in self.ok if s.step == index), 50) * 1000
                for index, name in enumerate(STEPS)
            },
        }


def percentile(sorted_values: Sequence[float], rank: float) -> float:
    """Nearest-rank percentile; 0 for no values."""
    if not sorted_values:
        return 0.0
    index = max(0, min(len(sorted_values) - 1, math.ceil(rank / 100 * len(sorted_values)) - 1))
    return sorted_values[index]


@dataclass
class Conversation:
    sender: str
    script: List[str]
    position: int = 0

    @property
    def finished(self) -> bool:
        return self.position >= len(self.script)


class Traffic:
    """Hands out conversations and sends each message to the Rasa process with the fewest
    unanswered messages (turns break ties), as the scale-out entry point does (nginx least_conn):
    a process slowed down for a moment gets less work instead of holding users up."""

    def __init__(self, run_id: str, urls: Sequence[str]) -> None:
        self.run_id = run_id
        # Each test starts new conversations: reusing a sender of an earlier test would make its
        # conversation longer, and every message of it slower, test after test.
        self.sender_prefix = f"bench-{run_id}-{uuid.uuid4().hex[:6]}"
        self.in_flight = {url: 0 for url in urls}
        self.turns = itertools.count()
        self.scripts = itertools.cycle(CONVERSATIONS)
        self.counter = itertools.count()

    def new_conversation(self) -> Conversation:
        return Conversation(f"{self.sender_prefix}-{next(self.counter)}", list(next(self.scripts)))

    @contextlib.contextmanager
    def next_url(self) -> Iterator[str]:
        urls = list(self.in_flight)
        turn = next(self.turns)
        url = min(urls, key=lambda u: (self.in_flight[u], (urls.index(u) - turn) % len(urls)))
        self.in_flight[url] += 1
        try:
            yield url
        finally:
            self.in_flight[url] -= 1


async def send(session, url: str, sender: str, text: str) -> Sample:
    import aiohttp

    started = time.perf_counter()
    try:
        async with session.post(
            f"{url}/webhooks/rest/webhook",
            json={"sender": sender, "message": text},
            timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_SECONDS),
        ) as response:
            replies = await response.json(content_type=None)
            error = None if response.status == 200 else f"HTTP {response.status}"
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as failure:
        error, replies = type(failure).__name__, None
    return Sample(time.perf_counter() - started, error, empty=error is None and not replies)


async def say_next(session, traffic: Traffic, conversation: Conversation, samples: List[Sample]) -> None:
    step = conversation.position
    text = conversation.script[step]
    conversation.position += 1
    with traffic.next_url() as url:
        sample = await send(session, url, conversation.sender, text)
    sample.step = step
    samples.append(sample)


def client_session(connections: int):
    import aiohttp

    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=connections))


async def fixed_rate(traffic: Traffic, rate: float, duration: float) -> LoadResult:
    """Open loop: a message every 1/rate s whatever the answers' speed (no coordinated omission).
    Each goes to a conversation whose previous message was answered, or to a new one."""
    result = LoadResult("fixed_rate", duration)
    idle: Deque[Conversation] = deque()

    async def one_message(conversation: Conversation) -> None:
        await say_next(session, traffic, conversation, result.samples)
        if not conversation.finished:
            idle.append(conversation)

    async with client_session(1000) as session:
        loop = asyncio.get_running_loop()
        start = loop.time()
        tasks = []
        for index in itertools.count():
            due = start + index / rate
            if due >= start + duration:
                break
            await asyncio.sleep(max(0.0, due - loop.time()))
            conversation = idle.popleft() if idle else traffic.new_conversation()
            tasks.append(asyncio.create_task(one_message(conversation)))
        await asyncio.gather(*tasks)
    return result


async def closed_loop(traffic: Traffic, users: int, duration: float) -> LoadResult:
    """N users, each sending its next message as soon as the previous one is answered."""
    samples: List[Sample] = []

    async with client_session(users + 4) as session:
        loop = asyncio.get_running_loop()
        start = loop.time()
        deadline = start + duration

        async def user() -> None:
            while loop.time() < deadline:
                conversation = traffic.new_conversation()
                while not conversation.finished and loop.time() < deadline:
                    await say_next(session, traffic, conversation, samples)

        await asyncio.gather(*(user() for _ in range(users)))
        elapsed = loop.time() - start
    return LoadResult("max_throughput", elapsed, samples)


async def scale_out_rounds(
    traffic_for: Callable[[Sequence[str]], Traffic],
    urls: Sequence[str],
    services: Sequence[Service],
    users: int,
    seconds: float,
    rounds: int,
) -> Dict[str, Any]:
    """Throughput of one process and of all of them, `rounds` times in a row. The speed of a
    shared machine drifts during a run by more than 10 %: the ratio of each round compares two
    tests run back to back, which of the two goes first alternates from round to round (a steady
    drift then favours neither), and the median of the rounds is the figure to quote."""
    measured = []
    for index in range(rounds):
        this_round = {}
        tests = [("one", urls[:1]), ("all", urls)]
        for label, targets in tests if index % 2 == 0 else tests[::-1]:
            cpu: Dict[str, float] = {}
            async with cpu_usage(services, cpu):
                result = await closed_loop(traffic_for(targets), users, seconds)
            this_round[label] = {**result.summary(), **cpu}
        one, every = this_round["one"]["msg_per_s"], this_round["all"]["msg_per_s"]
        measured.append({**this_round, "first": tests[index % 2][0], "ratio": every / one if one else 0.0})
    return {"processes": len(urls), "rounds": measured, "median_ratio": statistics.median(r["ratio"] for r in measured)}


async def warm_up(traffic: Traffic, urls: Sequence[str]) -> None:
    """One full conversation per process: first messages load lazy parts of the model."""
    async with client_session(4) as session:
        for url in urls:
            for script in CONVERSATIONS[:2]:
                sender = f"bench-{traffic.run_id}-warmup-{uuid.uuid4().hex[:6]}"
                for text in script:
                    await send(session, url, sender, text)


# --- memory and CPU --------------------------------------------------------------------------


def _process_tree(pid: int) -> list:
    import psutil

    process = psutil.Process(pid)
    return [process, *process.children(recursive=True)]


def cpu_seconds(pids: Sequence[int]) -> float:
    """User + system CPU time of these processes and their children."""
    import psutil

    total = 0.0
    for pid in pids:
        try:
            total += sum(sum(p.cpu_times()[:2]) for p in _process_tree(pid))
        except psutil.Error:
            pass
    return total


def own_cpu_seconds() -> float:
    """This process only (the servers are its children)."""
    import psutil

    return sum(psutil.Process().cpu_times()[:2])


def machine_busy_seconds() -> float:
    import psutil

    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


@contextlib.asynccontextmanager
async def cpu_usage(services: Sequence[Service], into: Dict[str, float]):
    """Cores used during the block: by each server, by this load generator, by everything else
    (PostgreSQL and Redis, and other jobs on a shared machine)."""
    servers = {service.name: service.process.pid for service in services if service.process is not None}
    started = (
        time.perf_counter(),
        {name: cpu_seconds([pid]) for name, pid in servers.items()},
        own_cpu_seconds(),
        machine_busy_seconds(),
    )
    yield into
    elapsed = time.perf_counter() - started[0]
    by_service = {name: (cpu_seconds([pid]) - started[1][name]) / elapsed for name, pid in servers.items()}
    used_servers = sum(by_service.values())
    used_client = (own_cpu_seconds() - started[2]) / elapsed
    used_machine = (machine_busy_seconds() - started[3]) / elapsed
    into.update(
        cpu_cores_servers=used_servers,
        cpu_cores_by_server=by_service,
        cpu_cores_load_generator=used_client,
        cpu_cores_other=max(0.0, used_machine - used_servers - used_client),
    )


class PeakMemory:
    """Peak memory of each service: its processes' RSS sampled every half second, and the kernel's
    own record of each process's peak (VmHWM), which catches what falls between samples."""

    def __init__(self, services: Sequence[Service]) -> None:
        self.services = list(services)
        self.peak_mb: Dict[str, float] = {service.name: 0.0 for service in services}
        self._task: Optional[asyncio.Task] = None

    @staticmethod
    def rss_mb(pid: int) -> float:
        import psutil

        try:
            return sum(p.memory_info().rss for p in _process_tree(pid)) / 2**20
        except psutil.Error:
            return 0.0

    @staticmethod
    def vmhwm_mb(pid: int) -> float:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            return 0.0
        kilobytes = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")), 0)
        return kilobytes / 1024

    def sample(self) -> None:
        for service in self.services:
            if service.process is not None:
                pid = service.process.pid
                peak = max(self.rss_mb(pid), self.vmhwm_mb(pid))
                self.peak_mb[service.name] = max(self.peak_mb[service.name], peak)

    async def _run(self) -> None:
        while True:
            self.sample()
            await asyncio.sleep(0.5)

    @contextlib.asynccontextmanager
    async def watching(self):
        self._task = asyncio.create_task(self._run())
        try:
            yield self
        finally:
            self._task.cancel()
            self.sample()


# --- the bots under test ---------------------------------------------------------------------


def store_options(store: str) -> Dict[str, Optional[dict]]:
    if store == "sqlite":
        return {"tracker_store": None, "lock_store": None}
    return {
        "tracker_store": {
            "type": scale_out_store_type("tracker_store"),
            "dialect": "postgresql",
            "url": "127.0.0.1",
            "port": 5432,
            "username": os.environ.get("TRACKER_DB_USER", "postgres"),
            # Rasa reads it from the environment: never written in the endpoints file.
            "password": "${TRACKER_DB_PASSWORD}" if os.environ.get("TRACKER_DB_PASSWORD") else None,
            "db": BENCH_DATABASE,
            "login_db": "test",
        },
        "lock_store": {
            "type": scale_out_store_type("lock_store"),
            "url": "127.0.0.1",
            "port": 6379,
            "db": 1,
            "key_prefix": "cmqbench",
        },
    }


def reference_model(log: Callable[[str], None]) -> Path:
    """The model of `rasa init --no-prompt`, trained once and kept under var/reference-bot/."""
    models = sorted((REFERENCE_DIR / "models").glob("*.tar.gz"))
    if models:
        return models[-1]
    log("Training the reference bot (rasa init --no-prompt), once: a few minutes...")
    REFERENCE_DIR.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [str(VENV_BIN / "rasa"), "init", "--no-prompt", "--init-dir", str(REFERENCE_DIR)],
        cwd=REFERENCE_DIR,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return sorted((REFERENCE_DIR / "models").glob("*.tar.gz"))[-1]


def reference_credentials(workdir: Path) -> Path:
    """Rasa's own REST channel, as the reference bot ships it."""
    path = workdir / "reference-credentials.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("rest:\n", encoding="utf-8")
    return path


# --- profile ---------------------------------------------------------------------------------

# Which frames are "stages" a message goes through, by class-name ending and method.
PROFILE_STAGES = [
    (("Classifier", "Featurizer", "Tokenizer", "Extractor", "Selector", "Mapper", "NLP"), ("process",)),
    (("Policy", "Ensemble"), ("predict_action_probabilities", "combine_predictions_from_kwargs")),
    (("Action",), ("run",)),
    (("TrackerStore",), ("save", "retrieve", "retrieve_full_tracker")),
    (("LockStore",), ("lock", "issue_ticket", "save_lock", "get_lock", "delete_lock")),
    (("",), ("mask_personal_data", "clean_text")),
]


def stage_of(frame) -> Optional[str]:
    class_name = frame.class_name or ""
    for endings, functions in PROFILE_STAGES:
        if frame.function in functions and class_name.endswith(endings):
            return f"{class_name}.{frame.function}".lstrip(".")
    return None


def stage_frames(root) -> Dict[str, list]:
    """The frames of each stage, outermost only (no double counting of nested stages)."""
    found: Dict[str, list] = {}

    def visit(frame) -> None:
        stage = stage_of(frame)
        if stage:
            found.setdefault(stage, []).append(frame)
            return
        for child in frame.children:
            visit(child)

    visit(root)
    return found


def hot_spots(frames: list, count: int = 3) -> List[str]:
    """Where the time of a stage goes: the functions with the most self time under it."""
    self_times: Dict[str, float] = {}

    def visit(frame) -> None:
        for child in frame.children:
            if child.is_synthetic:  # pyinstrument's "[self]" (computing) and "[await]" (waiting)
                waiting = " waiting" if child.function == "[await]" else ""
                where = f"{frame.function} ({Path(frame.file_path or '?').name}){waiting}"
                self_times[where] = self_times.get(where, 0.0) + child.time
            else:
                visit(child)

    for frame in frames:
        visit(frame)
    total = sum(self_times.values()) or 1.0
    top = sorted(self_times.items(), key=lambda item: -item[1])[:count]
    return [f"{name} {seconds / total:.0%}" for name, seconds in top]


def quiet_rasa_logs() -> None:
    """Loading an agent in this process would otherwise print Rasa's debug log of every message."""
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    configure_logging_and_warnings(logging.WARNING)
    configure_structlog(logging.WARNING)


async def profile_messages(endpoints: Path, messages: int, html_path: Path) -> Dict[str, Any]:
    """Runs `messages` messages through our REST channel code and the agent, in this process."""
    from pyinstrument import Profiler
    from rasa.core.agent import load_agent
    from rasa.core.utils import AvailableEndpoints

    from bot import patches
    from bot.channels import IncomingMessage, RestChannel

    quiet_rasa_logs()
    patches.install()
    # The servers' threading settings, so that the profile shows where their time goes.
    os.environ.update(SINGLE_THREAD_ENV)
    agent = await load_agent(model_path=str(MODEL_PATH), endpoints=AvailableEndpoints.read_endpoints(str(endpoints)))
    channel = RestChannel()
    traffic = Traffic(f"profile{uuid.uuid4().hex[:6]}", [""])
    warm = traffic.new_conversation()
    for text in warm.script:
        await channel.answer(agent.handle_message, IncomingMessage(warm.sender, text))
    profiler = Profiler(interval=0.001, async_mode="enabled")
    done = 0
    started = time.perf_counter()
    profiler.start()
    while done < messages:
        conversation = traffic.new_conversation()
        for text in conversation.script[: messages - done]:
            await channel.answer(agent.handle_message, IncomingMessage(conversation.sender, text))
            done += 1
    profiler.stop()
    wall = time.perf_counter() - started
    html_path.parent.mkdir(parents=True, exist_ok=True)
    html_path.write_text(profiler.output_html(), encoding="utf-8")
    root = profiler.last_session.root_frame()
    frames = stage_frames(root) if root else {}
    seconds = {name: sum(frame.time for frame in found) for name, found in frames.items()}
    top = sorted(seconds, key=lambda name: -seconds[name])[:12]
    # One task does all the work, so the stages' shares are of the wall-clock time.
    return {
        "messages": messages,
        "ms_per_message": wall / messages * 1000,
        "stages": [
            {
                "stage": name,
                "share": seconds[name] / wall,
                "ms_per_message": seconds[name] / messages * 1000,
                "hot_spots": hot_spots(frames[name]) if index < 3 else [],
            }
            for index, name in enumerate(top)
        ],
        "html": str(html_path),
    }


# --- phases ----------------------------------------------------------------------------------


async def measure(
    assistant_services: Sequence[Service],
    traffic_for: Callable[[Sequence[str]], Traffic],
    urls: Sequence[str],
    args: argparse.Namespace,
    log: Callable[[str], None],
    scale: bool,
) -> Dict[str, Any]:
    memory = PeakMemory(assistant_services)
    one = [urls[0]]
    await warm_up(traffic_for(one), urls if scale else one)
    async with memory.watching():
        log(f"  one user alone for {args.alone_seconds:g} s (latency without queueing)...")
        alone = await closed_loop(traffic_for(one), 1, args.alone_seconds)
        log(f"  fixed rate {args.rate:g} msg/s for {args.latency_seconds:g} s...")
        latency = await fixed_rate(traffic_for(one), args.rate, args.latency_seconds)
        log(f"  {args.users} users without pause for {args.throughput_seconds:g} s...")
        cpu_one: Dict[str, float] = {}
        async with cpu_usage(assistant_services, cpu_one):
            throughput = await closed_loop(traffic_for(one), args.users, args.throughput_seconds)
        results = {
            "one_user": alone.summary(),
            "fixed_rate": latency.summary(),
            "max_throughput": {**throughput.summary(), **cpu_one},
        }
        if scale:
            log(f"  1 and 2 Rasa processes, {args.scale_rounds} times {args.throughput_seconds:g} s each...")
            results["scale_out"] = await scale_out_rounds(
                traffic_for, urls, assistant_services, args.users, args.throughput_seconds, args.scale_rounds
            )
    results["peak_rss_mb"] = memory.peak_mb
    return results


def measure_ours(args: argparse.Namespace, run_id: str, workdir: Path, log: Callable[[str], None]) -> Dict[str, Any]:
    scale = args.store == "postgresql" and not args.no_scale
    with running_assistant(
        workdir / "ours", **store_options(args.store), rasa_processes=2 if scale else 1, rasa_env=SINGLE_THREAD_ENV
    ) as assistant:
        log(f"Our assistant ({len(assistant.rasa_urls)} Rasa process(es) up)")
        results = asyncio.run(
            measure(assistant.services, lambda urls: Traffic(run_id, urls), assistant.rasa_urls, args, log, scale)
        )
        if not args.no_profile:
            log(f"  profiling {args.profile_messages} messages in-process...")
            html = OUTPUT_DIR / f"profile-{run_id}.html"
            results["profile"] = asyncio.run(
                profile_messages(assistant.workdir / "endpoints.yml", args.profile_messages, html)
            )
    return results


def measure_reference(
    args: argparse.Namespace, run_id: str, workdir: Path, log: Callable[[str], None]
) -> Dict[str, Any]:
    model = reference_model(log)
    credentials = reference_credentials(workdir)
    with running_assistant(
        workdir / "reference",
        model=model,
        credentials=credentials,
        rasa_env=SINGLE_THREAD_ENV,
        **store_options(args.store),
    ) as assistant:
        log(f"Reference bot ({model.name})")
        rasa_only = assistant.rasa_services
        return asyncio.run(
            measure(rasa_only, lambda urls: Traffic(f"{run_id}ref", urls), assistant.rasa_urls, args, log, scale=False)
        )


def delete_bench_conversations(args: argparse.Namespace, run_id: str) -> None:
    if args.store != "postgresql":
        return
    import sqlalchemy as sa

    options = store_options(args.store)["tracker_store"]
    url = sa.engine.URL.create(
        "postgresql",
        options["username"],
        os.environ.get("TRACKER_DB_PASSWORD") or None,
        options["url"],
        options["port"],
        BENCH_DATABASE,
    )
    engine = sa.create_engine(url)
    with contextlib.suppress(sa.exc.SQLAlchemyError), engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM events WHERE sender_id LIKE :prefix"), {"prefix": f"bench-{run_id}%"})
    engine.dispose()


# --- report ----------------------------------------------------------------------------------


def ratio(ours: float, reference: float) -> str:
    return f"{ours / reference:.2f}x" if reference else "-"


def format_report(report: Dict[str, Any]) -> str:
    from tabulate import tabulate

    ours, reference = report["ours"], report.get("reference")
    settings = report["settings"]
    lines = [
        f"REST channel benchmark, {report['date']} ({os.cpu_count()} cores, store: {settings['store']})",
        f"fixed rate: {settings['rate']:g} msg/s for {settings['latency_seconds']:g} s; "
        f"max throughput: {settings['users']} users without pause for {settings['throughput_seconds']:g} s",
        "",
    ]
    rows = []
    for step in STEPS:
        value = ours["one_user"]["p50_ms_by_step"][step]
        ref = reference["one_user"]["p50_ms_by_step"][step] if reference else None
        rows.append(
            [
                f"one user: p50 {step} (ms)",
                f"{value:.0f}",
                "" if ref is None else f"{ref:.0f}",
                ratio(value, ref) if ref is not None else "",
            ]
        )
    for mode, label in (("fixed_rate", "fixed rate"), ("max_throughput", "max throughput")):
        for key, name in (
            ("p50_ms", "p50 (ms)"),
            ("p95_ms", "p95 (ms)"),
            ("p99_ms", "p99 (ms)"),
            ("msg_per_s", "msg/s"),
            ("errors", "errors"),
            ("empty_replies", "empty replies"),
            ("messages", "messages"),
        ):
            value = ours[mode][key]
            ref = reference[mode][key] if reference else None
            rows.append(
                [
                    f"{label}: {name}",
                    f"{value:.1f}" if isinstance(value, float) else value,
                    "" if ref is None else (f"{ref:.1f}" if isinstance(ref, float) else ref),
                    ratio(value, ref) if ref is not None and key not in ("errors", "empty_replies", "messages") else "",
                ]
            )
    ours_rasa = [v for k, v in ours["peak_rss_mb"].items() if k.startswith("Rasa")]
    ref_rasa = [v for k, v in reference["peak_rss_mb"].items()] if reference else []
    rows.append(
        [
            "peak RSS, one Rasa process (MB)",
            f"{ours_rasa[0]:.0f}",
            f"{ref_rasa[0]:.0f}" if ref_rasa else "",
            ratio(ours_rasa[0], ref_rasa[0]) if ref_rasa else "",
        ]
    )
    for name, value in ours["peak_rss_mb"].items():
        if not name.startswith("Rasa"):
            rows.append([f"peak RSS, {name} (MB)", f"{value:.0f}", "", ""])
    lines.append(tabulate(rows, headers=["", "ours", "reference (rasa init)", "ours / reference"]))
    if ours["max_throughput"]["msg_per_s"] < settings["rate"]:
        lines.append(
            f"Note: {settings['rate']:g} msg/s is above what one process of ours serves "
            f"({ours['max_throughput']['msg_per_s']:.1f} msg/s): the fixed-rate latencies include queueing."
        )
    scale_out = ours.get("scale_out")
    if scale_out:
        lines += [
            "",
            f"Scale-out (PostgreSQL tracker store, Redis lock store, messages spread over the processes; "
            f"1 and {scale_out['processes']} Rasa processes, {len(scale_out['rounds'])} rounds, "
            f"which goes first alternating):",
        ]
        for index, measured in enumerate(scale_out["rounds"], 1):
            one, every = measured["one"], measured["all"]
            lines.append(
                f"  round {index}: 1 process {one['msg_per_s']:.1f} msg/s, {scale_out['processes']} processes "
                f"{every['msg_per_s']:.1f} msg/s (p95 {every['p95_ms']:.0f} ms, {one['errors'] + every['errors']} "
                f"errors): {measured['ratio']:.2f}x"
            )
            for label, figures in (("1 process", one), (f"{scale_out['processes']} processes", every)):
                lines.append(
                    f"    CPU with {label}: servers {figures['cpu_cores_servers']:.2f} cores ("
                    + ", ".join(f"{name} {cores:.2f}" for name, cores in figures["cpu_cores_by_server"].items())
                    + f"), load generator {figures['cpu_cores_load_generator']:.2f}, everything else "
                    f"(PostgreSQL, Redis, other jobs) {figures['cpu_cores_other']:.2f}"
                )
        lines.append(f"  median ratio {scale_out['median_ratio']:.2f}x (target >= 1.6x)")
    profile = ours.get("profile")
    if profile:
        lines += [
            "",
            f"Profile of {profile['messages']} messages through the channel and the agent "
            f"({profile['ms_per_message']:.0f} ms per message in one process):",
        ]
        lines.append(
            tabulate(
                [
                    [s["stage"], f"{s['share'] * 100:.0f} %", f"{s['ms_per_message']:.1f}", "; ".join(s["hot_spots"])]
                    for s in profile["stages"]
                ],
                headers=["stage", "share", "ms/message", "most self time inside"],
            )
        )
        lines.append(f"Full profile: {profile['html']}")
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cli bench", description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=10.0, help="messages per second in the latency test")
    parser.add_argument("--latency-seconds", type=float, default=30.0)
    parser.add_argument(
        "--alone-seconds", type=float, default=10.0, help="one user alone first: latency of each step without queueing"
    )
    parser.add_argument("--users", type=int, default=20, help="users without pause in the throughput test")
    parser.add_argument("--throughput-seconds", type=float, default=30.0)
    parser.add_argument(
        "--store",
        choices=["postgresql", "sqlite"],
        default="postgresql",
        help="conversation store of every bot (the scale-out test needs postgresql)",
    )
    parser.add_argument("--no-reference", action="store_true", help="skip the reference bot")
    parser.add_argument("--no-scale", action="store_true", help="skip the two-process test")
    parser.add_argument(
        "--scale-rounds",
        type=int,
        default=5,
        help="rounds of the two-process test (one process and two, in turn first)",
    )
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--profile-messages", type=int, default=20)
    args = parser.parse_args(argv)

    if not MODEL_PATH.exists():
        print(f"Pas de modèle entraîné ({MODEL_PATH}) : lancez d'abord `make train`.", file=sys.stderr)
        return 2
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    run_id = datetime.now().strftime("%Y%m%d%H%M%S")
    workdir = OUTPUT_DIR / f"run-{run_id}"

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    started = time.monotonic()
    report: Dict[str, Any] = {"date": datetime.now().isoformat(timespec="minutes"), "settings": vars(args)}
    try:
        if not args.no_reference:
            reference_model(log)  # trains before any measurement, never during one
        report["ours"] = measure_ours(args, run_id, workdir, log)
        if not args.no_reference:
            report["reference"] = measure_reference(args, run_id, workdir, log)
    finally:
        delete_bench_conversations(args, run_id)
    report["duration_s"] = time.monotonic() - started
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUTPUT_DIR / f"report-{run_id}.json").write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
    print(format_report(report))
    print(f"\nBench took {report['duration_s']:.0f} s; report: {OUTPUT_DIR / f'report-{run_id}.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
