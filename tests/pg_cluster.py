"""Run a command against a private, throwaway PostgreSQL cluster:

    python -m tests.pg_cluster COMMAND [ARGS…]

initdb into a temporary folder, start it on 127.0.0.1 and a free port, run COMMAND with
INSPECTION_TEST_DATABASE_URL set, then stop the cluster and remove the folder. As root, the
server runs as the `postgres` user (PostgreSQL refuses to run as root).
"""

from __future__ import annotations

import os
import secrets
import shutil
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


def main(command: list[str]) -> int:
    if not command:
        sys.exit(__doc__)
    root = Path(tempfile.mkdtemp(prefix="inspection-pg-"))
    data, password = root / "data", secrets.token_hex(16)
    pwfile = root / "pw"
    pwfile.write_text(password)
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(pwfile, "postgres")
    port = free_port()
    started = False
    try:
        subprocess.run(as_server_user([
            tool("initdb"), "-D", str(data), "-U", "postgres", "--auth-local=peer",
            "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", f"--pwfile={pwfile}",
        ]), check=True, stdout=subprocess.DEVNULL)  # fmt: skip
        options = (f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={root} "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off")  # fmt: skip
        subprocess.run(as_server_user([
            tool("pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start",
        ]), check=True, stdout=subprocess.DEVNULL)  # fmt: skip
        started = True
        url = f"postgresql+psycopg://postgres:{password}@127.0.0.1:{port}/postgres"
        print(f"PostgreSQL on 127.0.0.1:{port} ({data})", flush=True)
        began = time.monotonic()
        result = subprocess.run(command, env={**os.environ, "INSPECTION_TEST_DATABASE_URL": url})
        print(f"command took {time.monotonic() - began:.0f} s on PostgreSQL", flush=True)
        return result.returncode
    finally:
        if started:
            subprocess.run(as_server_user([tool("pg_ctl"), "-D", str(data), "-m", "fast", "-w",
                                           "stop"]), stdout=subprocess.DEVNULL)  # fmt: skip
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
