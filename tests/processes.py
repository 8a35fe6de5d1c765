"""Real server processes that tests start, break and stop: a PostgreSQL cluster of their
own (``initdb``/``pg_ctl`` from ``PG_BIN`` or ``/usr/lib/postgresql/*/bin``), a
``redis-server`` on a free port, gunicorn serving ``config.wsgi``, a Celery worker and beat.
Never the shared services: every server here has its own data directory and port."""

import contextlib
import glob
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WAIT_SECONDS = 60


def wait_for(condition: Callable[[], bool], what: str, *, timeout: float = WAIT_SECONDS) -> float:
    """Polls ``condition`` until it holds; returns how long that took in seconds."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if condition():
            return time.monotonic() - started
        time.sleep(0.1)
    raise AssertionError(f"Timed out after {timeout} s waiting for {what}.")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def postgres_bin() -> Path | None:
    """The PostgreSQL server binaries, or ``None`` when this machine has none."""
    if os.environ.get("PG_BIN"):
        return Path(os.environ["PG_BIN"])
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
        key=lambda path: int(Path(path).parts[-3]),
    )
    return Path(found[-1]).parent if found else None


def have_servers() -> bool:
    return postgres_bin() is not None and shutil.which("redis-server") is not None


class Postgres:
    """A throw-away PostgreSQL cluster on a free port, trusting local connections."""

    def __init__(self) -> None:
        bin_dir = postgres_bin()
        assert bin_dir is not None, "no PostgreSQL binaries"
        self.bin = bin_dir
        self.port = free_port()
        self.data = Path(tempfile.mkdtemp(prefix="exchange-faults-pg-"))
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-N")

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin / program), *args]
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            shutil.chown(self.data, "postgres")
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=WAIT_SECONDS)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            "pg_ctl", "-D", str(self.data), "-o", options, "-l", f"{self.data}/log", "-w", "start"
        )

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            self.stop()
        shutil.rmtree(self.data, ignore_errors=True)


class RedisServer:
    """A ``redis-server`` of its own that a test can stop, start again, hang and resume."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                str(shutil.which("redis-server")),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        wait_for(lambda: _accepts(self.port), "redis-server to listen")

    def stop(self) -> None:
        """Gone: connections are refused."""
        if self.process is not None:
            self.process.send_signal(signal.SIGCONT)  # a hung server cannot exit
            self.process.terminate()
            self.process.wait(timeout=WAIT_SECONDS)
            self.process = None

    def hang(self) -> None:
        """Hung: connections are accepted (by the kernel) and never answered."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"


def production_env(*, database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    """The environment of a production-like process of the Exchange."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_ENV": "production",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "LOG_LEVEL": "WARNING",
        "PYTHONWARNINGS": "ignore",
        **extra,
    }


class Service:
    """A process of the Exchange (gunicorn, a worker, beat) logging to a file."""

    def __init__(self, args: Sequence[str], env: dict[str, str], log: Path) -> None:
        self.args = list(args)
        self.env = env
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> "Service":
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                self.args, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT
            )
        return self

    def kill(self) -> None:
        """SIGKILL: no chance to clean up or acknowledge anything."""
        assert self.process is not None
        self.process.kill()
        self.process.wait()
        self.process = None

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        self.wait()

    def wait(self) -> None:
        """Waits for a process told to stop; kills it if it takes too long."""
        if self.process is None:
            return
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def gunicorn(env: dict[str, str], log: Path, *, port: int, workers: int = 2) -> Service:
    service = Service(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--timeout",
            "60",
        ],
        env,
        log,
    ).start()
    wait_for(lambda: _accepts(port), "gunicorn to listen")
    return service


def celery_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "celery", "-A", "config", *args]


def celery_worker(env: dict[str, str], log: Path, *, loglevel: str = "INFO") -> Service:
    """One worker that runs one task at a time (``solo``), started on whatever is queued.
    The worker logs through ``settings.LOGGING`` (config/celery.py), so its level is
    ``LOG_LEVEL``: INFO by default, for the "ready." line and each task's outcome."""
    return Service(
        celery_command(
            "worker",
            "--pool=solo",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            f"--loglevel={loglevel}",
        ),
        {**env, "LOG_LEVEL": loglevel},
        log,
    ).start()


def celery_beat(env: dict[str, str], log: Path) -> Service:
    schedule = log.with_suffix(".schedule")
    return Service(
        celery_command("beat", "--loglevel=INFO", f"--schedule={schedule}"),
        {**env, "LOG_LEVEL": "INFO"},
        log,
    ).start()
