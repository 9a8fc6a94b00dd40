"""Runs the processes of a Procfile under supervisord, so that each one comes back when it dies.

`make run` (Procfile) and `make run-scale` (deploy/Procfile) start the assistant this way: the
Procfiles stay the one list of processes, this module says how they are supervised.

- A process that dies (a crash, `kill -9`, out of memory) is started again at once; the others go on.
- A process that dies within START_SECONDS of its start did not start: supervisord tries again
  after 1 s, then 2 s, 3 s... and after START_RETRIES such failures leaves it stopped, logging
  "gave up: NAME entered FATAL state, too many start retries too quickly". A broken process
  (PostgreSQL missing, a bad configuration) thus never restarts in a tight loop.
- A process left FATAL that way is started again FATAL_RETRY_SECONDS later by a small event
  listener of the same supervisord (`watchdog`), with the same back-off and number of attempts,
  and so on until it starts: once its cause is gone (PostgreSQL back, a full disk emptied), the
  service comes back by itself. A process stopped on purpose (`supervisorctl stop`) stays stopped.
- Ctrl-C (or SIGTERM to supervisord) stops every process, each with its own process group, and
  waits STOP_SECONDS before killing one that does not stop.

`python -m ops.supervision [PROCFILE] [--log-dir DIR]`; the configuration it generates is written
to var/supervisor/ (`supervisorctl -c var/supervisor/Procfile/supervisord.conf status` shows the
processes of `make run`).
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import threading
import time
from pathlib import Path
from typing import Dict, List, Optional

from orientation.paths import PROCFILE, PROJECT_ROOT, SUPERVISOR_DIR, VENV_BIN

RUN_DIR = SUPERVISOR_DIR
# Longer than the preflight checks of a Rasa line (3 s each), so that one failing is a failed start.
START_SECONDS = 10
# 1 + 2 + ... + 8 s of back-off: PostgreSQL or Redis restarting at the same time has 36 s to come back.
START_RETRIES = 8
# Rasa writes the turn it is answering before it exits.
STOP_SECONDS = 20
# A process that supervisord gave up on is started again after this pause (seconds).
FATAL_RETRY_SECONDS = 60
WATCHDOG = "watchdog"
LOG_BYTES = 10_000_000
LOG_BACKUPS = 5


def read_procfile(path: Path) -> Dict[str, str]:
    """{name: shell command} of the `name: command` lines, in their order."""
    programs = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, command = line.split(":", 1)
            programs[name.strip()] = command.strip()
    return programs


def program_command(shell_command: str) -> str:
    """The shell runs the line (Procfile lines use `&&`, `$PWD`) and is replaced by the program,
    so that supervisord's pid and signals are the program's own. A line of several commands
    says `exec` itself before its last one (see the balancer of deploy/Procfile)."""
    if not any(operator in shell_command for operator in ("&", "|", ";")):
        shell_command = f"exec {shell_command}"
    # supervisord expands %(...)s in its values.
    return "/bin/sh -c " + shlex.quote(shell_command).replace("%", "%%")


def section(title: str, values: Dict[str, object]) -> str:
    return "\n".join([f"[{title}]", *(f"{key}={value}" for key, value in values.items())]) + "\n"


def supervisord_config(
    programs: Dict[str, str],
    run_dir: Path,
    log_dir: Optional[Path] = None,
    start_seconds: int = START_SECONDS,
    start_retries: int = START_RETRIES,
    directory: Path = PROJECT_ROOT,
    fatal_retry_seconds: Optional[float] = None,
) -> str:
    """A supervisord configuration running `programs` ({name: shell command}); their output goes to
    supervisord's own (a terminal) unless `log_dir` is given (one rotated file per process)."""
    socket = run_dir / "supervisor.sock"
    parts = [
        section(
            "supervisord",
            {
                "nodaemon": "true",
                "logfile": (log_dir or run_dir) / "supervisord.log",
                "logfile_maxbytes": LOG_BYTES,
                "logfile_backups": LOG_BACKUPS,
                "pidfile": run_dir / "supervisord.pid",
                "childlogdir": log_dir or run_dir,
            },
        ),
        section("unix_http_server", {"file": socket, "chmod": "0700"}),
        section("supervisorctl", {"serverurl": f"unix://{socket}"}),
        section(
            "rpcinterface:supervisor",
            {"supervisor.rpcinterface_factory": "supervisor.rpcinterface:make_main_rpcinterface"},
        ),
    ]
    for name, command in programs.items():
        if log_dir:
            logging = {
                "stdout_logfile": log_dir / f"{name}.log",
                "stdout_logfile_maxbytes": LOG_BYTES,
                "stdout_logfile_backups": LOG_BACKUPS,
            }
        else:
            logging = {"stdout_logfile": "/dev/stdout", "stdout_logfile_maxbytes": 0}
        parts.append(
            section(
                f"program:{name}",
                {
                    "command": program_command(command),
                    "directory": directory,
                    "autostart": "true",
                    "autorestart": "true",
                    "startsecs": start_seconds,
                    "startretries": start_retries,
                    "stopsignal": "TERM",
                    "stopwaitsecs": STOP_SECONDS,
                    "stopasgroup": "true",
                    "killasgroup": "true",
                    "redirect_stderr": "true",
                    **logging,
                },
            )
        )
    parts.append(watchdog_section(FATAL_RETRY_SECONDS if fatal_retry_seconds is None else fatal_retry_seconds, log_dir))
    return "\n".join(parts)


def watchdog_section(pause: float, log_dir: Optional[Path]) -> str:
    """The event listener that starts FATAL processes again after `pause` seconds."""
    if log_dir:
        logging: Dict[str, object] = {
            "stderr_logfile": log_dir / f"{WATCHDOG}.log",
            "stderr_logfile_maxbytes": LOG_BYTES,
            "stderr_logfile_backups": LOG_BACKUPS,
        }
    else:
        logging = {"stderr_logfile": "/dev/stdout", "stderr_logfile_maxbytes": 0}
    return section(
        f"eventlistener:{WATCHDOG}",
        {
            # stdout is the event protocol's channel: the listener speaks on stderr.
            "command": f"{VENV_BIN / 'python'} -m ops.supervision --restart-fatal-after {pause:g}",
            "directory": PROJECT_ROOT,
            "events": "PROCESS_STATE_FATAL",
            "autostart": "true",
            "autorestart": "true",
            "stopsignal": "TERM",
            **logging,
        },
    )


def restart_later(name: str, pause: float) -> None:
    """Starts `name` again after `pause` seconds if it is still FATAL (in a thread of its own:
    each has its own XML-RPC connection)."""
    from supervisor import childutils
    from supervisor.xmlrpc import Faults

    time.sleep(pause)
    supervisor = childutils.getRPCInterface(os.environ).supervisor
    try:
        if supervisor.getProcessInfo(name)["statename"] != "FATAL":
            return  # started or stopped by hand meanwhile
        print(
            f"{name} : nouvel essai de démarrage après {pause:g} s (abandonné par supervisord).",
            file=sys.stderr,
            flush=True,
        )
        supervisor.startProcess(name, False)
    except Exception as error:  # noqa: BLE001 - the listener must go on for the other processes
        if getattr(error, "faultCode", None) != Faults.ALREADY_STARTED:
            print(f"{name} : nouvel essai impossible ({error}).", file=sys.stderr, flush=True)


def watch_fatal(pause: float) -> int:
    """supervisord event listener: each process entering FATAL is started again after `pause` s."""
    from supervisor import childutils

    while True:
        headers, payload = childutils.listener.wait(sys.stdin, sys.stdout)
        if headers.get("eventname") == "PROCESS_STATE_FATAL":
            process = childutils.get_headers(payload.split("\n", 1)[0])
            name = f"{process['groupname']}:{process['processname']}"
            print(f"{name} abandonné par supervisord : nouvel essai dans {pause:g} s.", file=sys.stderr, flush=True)
            threading.Thread(target=restart_later, args=(name, pause), daemon=True).start()
        childutils.listener.ok(sys.stdout)


def profile_name(procfile: Path) -> str:
    """`Procfile` -> "Procfile", `deploy/Procfile` -> "deploy-Procfile": one folder each, so that both
    profiles can run side by side."""
    try:
        return "-".join(procfile.relative_to(PROJECT_ROOT).parts)
    except ValueError:
        return "-".join(procfile.parts[-2:])


def write_config(procfile: Path, log_dir: Optional[Path]) -> Path:
    run_dir = RUN_DIR / profile_name(procfile)
    run_dir.mkdir(parents=True, exist_ok=True)
    if log_dir:
        log_dir.mkdir(parents=True, exist_ok=True)
    config = run_dir / "supervisord.conf"
    config.write_text(supervisord_config(read_procfile(procfile), run_dir, log_dir), encoding="utf-8")
    return config


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ops.supervision", description="lance les processus d'un Procfile sous supervisord"
    )
    parser.add_argument("procfile", nargs="?", type=Path, default=PROCFILE)
    parser.add_argument("--log-dir", type=Path, help="un journal par processus (sinon tout s'affiche dans le terminal)")
    parser.add_argument("--restart-fatal-after", type=float, metavar="SECONDS", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.restart_fatal_after is not None:
        return watch_fatal(args.restart_fatal_after)
    procfile = args.procfile.resolve()
    config = write_config(procfile, args.log_dir and args.log_dir.resolve())
    supervisord = str(VENV_BIN / "supervisord")
    os.chdir(PROJECT_ROOT)
    os.execv(supervisord, [supervisord, "--nodaemon", "--configuration", str(config)])
    return 0  # not reached


if __name__ == "__main__":
    raise SystemExit(main())
