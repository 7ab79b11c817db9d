"""Run a command against a private, throwaway PostgreSQL cluster:

    python -m tests.pg_cluster COMMAND [ARGS…]

initdb into a temporary folder, start it on 127.0.0.1 and a free port, run COMMAND with
INSPECTION_TEST_DATABASE_URL set, then stop the cluster and remove the folder. As root, the
server runs as the `postgres` user (PostgreSQL refuses to run as root).

The cluster is stopped and the folder removed however this ends: the command's exit, Ctrl+C, or
SIGTERM / SIGHUP (a CI job's timeout, a closed terminal). On a signal the command is asked to
stop first (SIGTERM, then SIGKILL after a grace period), and the exit status is 128 + the
signal's number, as a shell reports a process killed by it (143 for SIGTERM).
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


def tool(name: str) -> str:
    for folder in BIN_DIRS:
        if (folder / name).exists():
            return str(folder / name)
    found = shutil.which(name)
    if not found:
        sys.exit(f"{name} not found: apt-get install -y postgresql")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def as_server_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
COMMAND_GRACE_S = 10  # for the command to stop on SIGTERM before it is killed
PG_CTL_TIMEOUT_S = "30"


class Stopped(SystemExit):
    """Raised in the main thread by SIGTERM or SIGHUP, so `finally` blocks run as on Ctrl+C."""

    def __init__(self, signum: int):
        super().__init__(128 + signum)
        self.signum = signum


def _ignore_stop_signals() -> None:
    """From the first stop on, a second signal must not cut the clean-up short (every wait in
    it is bounded)."""
    for signum in (*STOP_SIGNALS, signal.SIGINT):
        signal.signal(signum, signal.SIG_IGN)


def _stopped(signum: int, _frame: object) -> None:
    _ignore_stop_signals()
    raise Stopped(signum)


def _stop_command(child: subprocess.Popen, *, interrupted: bool) -> None:
    """After Ctrl+C the command got SIGINT from the terminal too: give it time to finish its
    own clean-up. After SIGTERM/SIGHUP pass a SIGTERM on. Kill it if it hangs."""
    _ignore_stop_signals()
    if child.poll() is None and not interrupted:
        child.terminate()
    try:
        child.wait(timeout=COMMAND_GRACE_S)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


def main(command: list[str]) -> int:
    if not command:
        sys.exit(__doc__)
    for signum in STOP_SIGNALS:
        signal.signal(signum, _stopped)
    root = Path(tempfile.mkdtemp(prefix="inspection-pg-"))
    data, password = root / "data", secrets.token_hex(16)
    try:
        pwfile = root / "pw"
        pwfile.write_text(password)
        if os.geteuid() == 0:
            shutil.chown(root, "postgres")
            shutil.chown(pwfile, "postgres")
        port = free_port()
        subprocess.run(
            as_server_user(
                [
                    tool("initdb"),
                    "-D",
                    str(data),
                    "-U",
                    "postgres",
                    "--auth-local=peer",
                    "--auth-host=scram-sha-256",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                    f"--pwfile={pwfile}",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        options = (
            f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={root} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        subprocess.run(
            as_server_user(
                [
                    tool("pg_ctl"),
                    "-D",
                    str(data),
                    "-o",
                    options,
                    "-l",
                    str(root / "log"),
                    "-w",
                    "-t",
                    PG_CTL_TIMEOUT_S,
                    "start",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        url = f"postgresql+psycopg://postgres:{password}@127.0.0.1:{port}/postgres"
        print(f"PostgreSQL on 127.0.0.1:{port} ({data})", flush=True)
        began = time.monotonic()
        child = None
        # A stop arriving while Popen runs would leave a started command unknown to us (and
        # holding our output open): hold the signals until `child` is set. The command itself
        # starts with the signals as they were.
        held = signal.pthread_sigmask(signal.SIG_BLOCK, {*STOP_SIGNALS, signal.SIGINT})
        try:
            child = subprocess.Popen(
                command,
                env={**os.environ, "INSPECTION_TEST_DATABASE_URL": url},
                preexec_fn=lambda: signal.pthread_sigmask(signal.SIG_SETMASK, held),
            )
            signal.pthread_sigmask(signal.SIG_SETMASK, held)  # a stop that came meanwhile: now
            returncode = child.wait()
        except BaseException as stop:  # a stop signal or Ctrl+C: the command, then the cluster
            signal.pthread_sigmask(signal.SIG_SETMASK, held)
            if child is not None:
                _stop_command(child, interrupted=isinstance(stop, KeyboardInterrupt))
            raise
        print(f"command took {time.monotonic() - began:.0f} s on PostgreSQL", flush=True)
        return returncode
    except Stopped as stopped:
        print(
            f"pg_cluster: stopped by {signal.Signals(stopped.signum).name}; stopping "
            "PostgreSQL and removing its folder",
            file=sys.stderr,
            flush=True,
        )
        raise
    finally:
        _ignore_stop_signals()
        # postmaster.pid exists from the server's start to its stop, also when a signal came
        # while `pg_ctl start` was still waiting for it.
        if (data / "postmaster.pid").exists():
            subprocess.run(
                as_server_user(
                    [
                        tool("pg_ctl"),
                        "-D",
                        str(data),
                        "-m",
                        "fast",
                        "-w",
                        "-t",
                        PG_CTL_TIMEOUT_S,
                        "stop",
                    ]
                ),
                stdout=subprocess.DEVNULL,
            )
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
