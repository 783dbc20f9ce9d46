"""A throwaway PostgreSQL server for tests: initdb + pg_ctl in a temporary folder, on loopback, random port.

PostgreSQL refuses to run as root, so under root the server runs as the ``postgres`` user (Debian's
package creates it). ``server()`` skips the calling test, saying why, where PostgreSQL or the psycopg
driver is not installed (CI installs both: .ci/run and requirements-dev.txt).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest


def binaries() -> Path | None:
    """The folder with initdb and pg_ctl: on PATH, or Debian's /usr/lib/postgresql/<version>/bin."""
    on_path = shutil.which("pg_ctl")
    if on_path and shutil.which("initdb"):
        return Path(on_path).parent
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[-3]))
    return Path(found[-1]).parent if found else None


def skip_reason() -> str | None:
    if binaries() is None:
        return "PostgreSQL is not installed (Debian: apt-get install postgresql; CI's .ci/run installs it)"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "the psycopg driver is not installed (pip install 'autograd-course[postgres]')"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no 'postgres' user to run the server as"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def as_server_user(cmd: list[str]) -> list[str]:
    """PostgreSQL will not run as root: under root, run ``cmd`` as the ``postgres`` user."""
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@contextmanager
def server():
    """Start a server; yields a function that creates a fresh database and returns its SQLAlchemy URL."""
    why = skip_reason()
    if why:
        pytest.skip(why)
    bin_dir, base = binaries(), Path(tempfile.mkdtemp(prefix="autograder-pg-"))
    data, port = base / "data", free_port()
    if os.geteuid() == 0:
        os.chown(base, pwd.getpwnam("postgres").pw_uid, -1)
    run = lambda *cmd: subprocess.run(as_server_user([str(bin_dir / cmd[0]), *cmd[1:]]), check=True,  # noqa: E731
                                      capture_output=True, text=True, timeout=120)
    try:
        # trust on loopback is fine for a server that lives in a temp folder for one test session
        run("initdb", "-D", str(data), "-U", "grader", "--auth=trust", "-E", "UTF8", "--locale=C")
        options = f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        run("pg_ctl", "-D", str(data), "-o", options, "-l", str(base / "server.log"), "-w", "-t", "60", "start")
        try:
            yield lambda name: create_database(port, name)
        finally:
            run("pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop")
    finally:
        shutil.rmtree(base, ignore_errors=True)


def create_database(port: int, name: str) -> str:
    import psycopg

    with psycopg.connect(f"host=127.0.0.1 port={port} user=grader dbname=postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql+psycopg://grader@127.0.0.1:{port}/{name}"
