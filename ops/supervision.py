"""Runs the processes of a Procfile under supervisord, so that each one comes back when it dies.

`make run` (Procfile) and `make run-scale` (deploy/Procfile) start the assistant this way: the
Procfiles stay the one list of processes, this module says how they are supervised.

- A process that dies (a crash, `kill -9`, out of memory) is started again at once; the others go on.
- A process that dies within START_SECONDS of its start did not start: supervisord tries again
  after 1 s, then 2 s, 3 s... and after START_RETRIES such failures leaves it stopped, logging
  "gave up: NAME entered FATAL state, too many start retries too quickly". A broken process
  (PostgreSQL missing, a bad configuration) thus never restarts in a tight loop.
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
from pathlib import Path
from typing import Dict, List, Optional

from bot.paths import PROJECT_ROOT, VENV_BIN

RUN_DIR = PROJECT_ROOT / "var" / "supervisor"
# Longer than the preflight checks of a Rasa line (3 s each), so that one failing is a failed start.
START_SECONDS = 10
# 1 + 2 + ... + 8 s of back-off: PostgreSQL or Redis restarting at the same time has 36 s to come back.
START_RETRIES = 8
# Rasa writes the turn it is answering before it exits.
STOP_SECONDS = 20
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
    return "\n".join(parts)


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
    parser.add_argument("procfile", nargs="?", type=Path, default=PROJECT_ROOT / "Procfile")
    parser.add_argument("--log-dir", type=Path, help="un journal par processus (sinon tout s'affiche dans le terminal)")
    args = parser.parse_args(argv)
    procfile = args.procfile.resolve()
    config = write_config(procfile, args.log_dir and args.log_dir.resolve())
    supervisord = str(VENV_BIN / "supervisord")
    os.chdir(PROJECT_ROOT)
    os.execv(supervisord, [supervisord, "--nodaemon", "--configuration", str(config)])
    return 0  # not reached


if __name__ == "__main__":
    raise SystemExit(main())
