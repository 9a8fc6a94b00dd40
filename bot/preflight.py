"""Checks that the services named in an endpoints file answer, before Rasa starts.

Without it, Rasa waits forever for an unreachable PostgreSQL (it retries every 5 s) and only finds
out that Redis is down at the first message. With it, the process stops at once with a message
that says what is missing and where it is configured.

    python -m bot.preflight --endpoints deploy/endpoints.yml                # check only
    python -m bot.preflight --endpoints deploy/endpoints.yml --run --port 5006 --cpu 0

`--run` then replaces itself with `rasa run`: the school's allowed origins (school.yml,
web.allowed_origins) become its CORS list, and Rasa's HTTP API stays off (no --enable-api).
`--cpu N` keeps the N-th Rasa process of the scale-out profile on a core of its own.

It also warns when a disk the assistant writes to has less than LOW_DISK_MB free (the temporary
folder, where Rasa unpacks the model at each start, and var/, where the default profile keeps
conversations and logs), and refuses `--run` only when the model cannot be unpacked there.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from orientation.paths import CREDENTIALS_PATH, ENDPOINTS_PATH, MODEL_PATH, PROJECT_ROOT, VAR_DIR, VENV_BIN

CHECK_TIMEOUT_SECONDS = 3
# Below this much free space a start-up check and `make report` warn (MB of 10^6 bytes).
LOW_DISK_MB = 500
# Room left beside the unpacked model for Rasa's other temporary files.
UNPACK_MARGIN_MB = 20
# One thread per Rasa process: with several processes on a small machine, TensorFlow's own thread
# pools would make them fight over the same cores.
SINGLE_THREAD_ENV = {
    "TF_INTER_OP_PARALLELISM_THREADS": "1",
    "TF_INTRA_OP_PARALLELISM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
}


def rasa_cpu(index: int) -> Optional[int]:
    """The core for the `index`-th Rasa process of the scale-out profile (None on one core).

    A Rasa process hands each message from thread to thread (event loop, TensorFlow, database
    worker), one at a time. Left free, the scheduler often wakes the next thread on the core the
    other process is using and leaves its own core idle for a moment: with two processes on two
    cores, 0.12 to 0.19 core stayed idle under full load. One core per process removes that idle
    time; the other services (PostgreSQL, Redis, the action server) still run on either core.
    """
    cores = sorted(os.sched_getaffinity(0))
    return cores[index % len(cores)] if len(cores) > 1 else None


class ConfigurationError(RuntimeError):
    """The endpoints file cannot be read as it is (missing file, unset variable...)."""


def read_section(endpoints: Path, section: str):
    """One section of an endpoints file as Rasa reads it (${VARIABLES} expanded), or None."""
    from rasa.utils.endpoints import read_endpoint_config

    if not endpoints.exists():
        raise ConfigurationError(f"fichier introuvable : {endpoints}")
    try:
        return read_endpoint_config(str(endpoints), section)
    except Exception as error:  # noqa: BLE001 - Rasa raises several types for an unset variable
        raise ConfigurationError(f"{endpoints} illisible ({section}) : {error}") from error


def sql_url(tracker_store, working_db: bool = True):
    """SQLAlchemy URL of an SQL tracker store, built the way Rasa builds it.

    A relative SQLite path is taken from the project root, where `rasa run` is started.
    `working_db=False` gives the `login_db` Rasa first connects to, when one is set.
    """
    from rasa.core.tracker_store import SQLTrackerStore

    options = dict(tracker_store.kwargs)
    dialect = options.get("dialect", "sqlite")
    db = options.get("db", "rasa.db")
    if dialect == "sqlite" and db and not Path(db).is_absolute():
        db = str(PROJECT_ROOT / db)
    login_db = None if working_db else options.get("login_db")
    return SQLTrackerStore.get_db_url(
        dialect,
        tracker_store.url,
        options.get("port"),
        db,
        options.get("username"),
        options.get("password"),
        login_db,
        options.get("query"),
    )


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0].rstrip(".")


def quiet_library_warnings() -> None:
    """Rasa's dependencies print deprecation warnings on import: they would bury our message.
    (Rasa adds its own warning filters on import, so filters alone are not enough.)"""
    warnings.showwarning = lambda *args, **kwargs: None
    os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")


def is_sql_tracker_store(tracker_store) -> bool:
    """Rasa's `SQL` store or a subclass named after it (bot/tracker_store.py)."""
    kind = (tracker_store.type or "").lower() if tracker_store else ""
    return kind == "sql" or kind.endswith("sqltrackerstore")


def check_tracker_store(tracker_store, endpoints: Path) -> Optional[str]:
    """None when the conversation store is usable, else what is wrong."""
    if not is_sql_tracker_store(tracker_store):
        return None
    import sqlalchemy

    url = sqlalchemy.engine.make_url(sql_url(tracker_store, working_db=False))
    if url.get_backend_name() == "sqlite":
        folder = Path(url.database or ".").parent
        if not os.access(folder, os.W_OK):
            return f"SQLite : le dossier {folder} n'existe pas ou n'est pas accessible en écriture."
        return None
    connect_args = {"connect_timeout": CHECK_TIMEOUT_SECONDS} if url.get_backend_name() == "postgresql" else {}
    engine = sqlalchemy.create_engine(url, connect_args=connect_args)
    try:
        with engine.connect() as connection:
            connection.execute(sqlalchemy.text("SELECT 1"))
    except Exception as error:  # noqa: BLE001 - driver errors differ by database
        name = "PostgreSQL" if url.get_backend_name() == "postgresql" else url.get_backend_name()
        return (
            f"{name} injoignable ({url.host}:{url.port or 'port par défaut'}, base « {url.database} ») : "
            f"{_first_line(error)}. Démarrez-le ou corrigez tracker_store dans {endpoints}."
        )
    finally:
        engine.dispose()
    return None


def check_lock_store(lock_store, endpoints: Path) -> Optional[str]:
    """None when the lock store is usable (or in memory), else what is wrong."""
    kind = (lock_store.type or "").lower() if lock_store else ""
    if kind != "redis" and not kind.endswith("redislockstore"):
        return None
    import redis

    options = lock_store.kwargs
    host, port, db = lock_store.url or "localhost", int(options.get("port") or 6379), int(options.get("db") or 1)
    client = redis.Redis(
        host=host,
        port=port,
        db=db,
        password=options.get("password") or None,
        ssl=bool(options.get("use_ssl")),
        socket_connect_timeout=CHECK_TIMEOUT_SECONDS,
        socket_timeout=CHECK_TIMEOUT_SECONDS,
    )
    try:
        client.ping()
    except redis.RedisError as error:
        return (
            f"Redis injoignable ({host}:{port}, base {db}) : {_first_line(error)}. "
            f"Démarrez Redis ou corrigez lock_store dans {endpoints}."
        )
    finally:
        client.close()
    return None


def problems(endpoints: Path) -> List[str]:
    """Everything that would stop Rasa from keeping conversations safely, in French."""
    try:
        tracker_store = read_section(endpoints, "tracker_store")
        lock_store = read_section(endpoints, "lock_store")
    except ConfigurationError as error:
        return [str(error)]
    found = [check_tracker_store(tracker_store, endpoints), check_lock_store(lock_store, endpoints)]
    return [problem for problem in found if problem]


def counsellor_token_problems() -> List[str]:
    """A counsellor token too short to protect the counsellor view stops the start."""
    from bot.counsellor import WeakTokenError, check_token_strength

    try:
        check_token_strength()
    except WeakTokenError as error:
        return [str(error)]
    return []


def megabytes(size: int) -> str:
    return f"{size / 1_000_000:,.0f} Mo".replace(",", " ")


def unpacked_size(model: Path) -> int:
    """Bytes the model takes once unpacked: the size of the tar inside its gzip file, which the
    gzip trailer gives without reading the file (modulo 4 GiB: never under the packed size)."""
    with open(model, "rb") as packed:
        packed.seek(-4, os.SEEK_END)
        tar_size = int.from_bytes(packed.read(4), "little")
    return max(tar_size, model.stat().st_size)


def model_space_problem(model: Path, temp_dir: Optional[Path] = None) -> Optional[str]:
    """None when the model can be unpacked in the temporary folder (TMPDIR), else what is wrong."""
    folder = Path(temp_dir or tempfile.gettempdir())
    needed = unpacked_size(model) + UNPACK_MARGIN_MB * 1_000_000
    free = shutil.disk_usage(folder).free
    if free >= needed:
        return None
    return (
        f"pas assez d'espace disque dans {folder} pour décompresser le modèle : il faut {megabytes(needed)}, "
        f"{megabytes(free)} libres. Libérez de la place ou choisissez un autre dossier temporaire (TMPDIR)."
    )


def low_disk_warnings(folders: Optional[Sequence[Path]] = None, threshold_mb: float = LOW_DISK_MB) -> List[str]:
    """One line per disk under `threshold_mb` free among `folders` (default: the temporary folder
    and var/), in French."""
    if folders is None:
        folders = [
            Path(tempfile.gettempdir()),
            VAR_DIR if (VAR_DIR).exists() else PROJECT_ROOT,
        ]
    warnings_found, seen = [], set()
    for folder in folders:
        try:
            device, free = os.stat(folder).st_dev, shutil.disk_usage(folder).free
        except OSError:
            continue
        if device in seen or free >= threshold_mb * 1_000_000:
            continue
        seen.add(device)
        warnings_found.append(
            f"Attention : disque presque plein, {megabytes(free)} libres pour {folder} "
            f"(seuil {megabytes(int(threshold_mb * 1_000_000))}). Conversations, journaux et modèle décompressé "
            f"ont besoin de place : libérez-en (make purge, anciens journaux de var/log)."
        )
    return warnings_found


def rasa_command(
    endpoints: Path,
    port: int,
    model: Path,
    credentials: Path,
    origins: Sequence[str],
    interface: Optional[str] = "127.0.0.1",
) -> List[str]:
    """The command that starts one Rasa server (also the one the tests and benchmarks start);
    interface None: Rasa's default, every interface."""
    command = [str(VENV_BIN / "python"), "-m", "bot.patched_rasa", "run", "--model", str(model)]
    command += ["--interface", interface] if interface else []
    command += [
        "--port",
        str(port),
        "--credentials",
        str(credentials),
        "--endpoints",
        str(endpoints),
    ]
    if origins:
        command += ["--cors", *origins]
    return command


def single_thread_env() -> Dict[str, str]:
    return {name: os.environ.get(name, value) for name, value in SINGLE_THREAD_ENV.items()}


def pin_to_own_core(index: int) -> None:
    """Rasa (after exec) and every thread it starts stay on this process's core."""
    core = rasa_cpu(index)
    if core is not None:
        os.sched_setaffinity(0, {core})
        print(f"Processus Rasa n° {index} sur le cœur {core}.", flush=True)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.preflight", description=__doc__.split("\n")[0])
    parser.add_argument("--endpoints", type=Path, default=ENDPOINTS_PATH)
    parser.add_argument("--run", action="store_true", help="puis lance `rasa run`")
    parser.add_argument("--port", type=int, default=5005)
    parser.add_argument(
        "--interface", default="127.0.0.1", help="adresse d'écoute de Rasa (0.0.0.0 pour l'exposer sans répartiteur)"
    )
    parser.add_argument("--model", type=Path, default=MODEL_PATH)
    parser.add_argument("--credentials", type=Path, default=CREDENTIALS_PATH)
    parser.add_argument(
        "--single-thread",
        action="store_true",
        help="un seul fil de calcul TensorFlow (plusieurs processus Rasa par machine)",
    )
    parser.add_argument(
        "--cpu",
        type=int,
        metavar="N",
        help="rang du processus Rasa : il tourne sur un cœur à lui (profil à plusieurs processus)",
    )
    args = parser.parse_args(argv)
    quiet_library_warnings()

    for warning in low_disk_warnings():
        print(warning, file=sys.stderr, flush=True)
    found = problems(args.endpoints) + counsellor_token_problems()
    if args.run and not args.model.exists():
        found.append(f"pas de modèle entraîné ({args.model}) : lancez `make train`.")
    elif args.run:
        found.append(model_space_problem(args.model) or "")
        found = [problem for problem in found if problem]
    if found:
        for problem in found:
            print(f"Démarrage impossible : {problem}", file=sys.stderr)
        return 1
    print(f"Services prêts ({args.endpoints}).", flush=True)
    if not args.run:
        return 0

    from orientation.settings import load_settings

    command = rasa_command(
        args.endpoints, args.port, args.model, args.credentials, load_settings().allowed_origins, args.interface
    )
    environment = {**os.environ, **(single_thread_env() if args.single_thread else {})}
    if args.cpu is not None:
        pin_to_own_core(args.cpu)
    os.execve(command[0], command, environment)
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main())
