"""A production-like stack on servers of its own, for fault tests and ``bench/race.py``:
one PostgreSQL cluster (a fresh database per stack, copied from a migrated template), and
per stack a redis-server, gunicorn, workers and beat, each started when asked for."""

import http.client
import json
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from celery import Celery

from tests import processes
from tests.processes import Postgres, RedisServer, Service

TEMPLATE = "exchange_faults_template"


def migrated_cluster() -> Postgres:
    """A running PostgreSQL cluster holding a migrated template database."""
    postgres = Postgres()
    postgres.start()
    try:
        with psycopg.connect(postgres.url(), autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {TEMPLATE}")
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
            cwd=processes.ROOT,
            env=processes.production_env(database_url=postgres.url(TEMPLATE), redis_url=""),
            check=True,
            timeout=300,
        )
    except BaseException:
        postgres.remove()
        raise
    return postgres


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: Any
    seconds: float


class Stack:
    """Gunicorn, a worker and beat on a database and a Redis of the test's own."""

    def __init__(self, cluster: Postgres, logs: Path) -> None:
        self.postgres = cluster
        self.database = f"exchange_faults_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(cluster.url(), autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {self.database} TEMPLATE {TEMPLATE}")
        self.redis = RedisServer()
        self.redis.start()
        self.logs = logs
        self.port = processes.free_port()
        self.services: list[Service] = []

    def env(self, **extra: str) -> dict[str, str]:
        return processes.production_env(
            database_url=self.postgres.url(self.database), redis_url=self.redis.url(), **extra
        )

    def _keep(self, service: Service) -> Service:
        self.services.append(service)
        return service

    def gunicorn(self, *, workers: int = 2) -> Service:
        # The outages are under test, not the throttle: the clients' load (hundreds of
        # requests a second with one token) must not turn into 429s.
        env = self.env(THROTTLE_USER="1000000/min")
        web = processes.gunicorn(env, self.logs / "gunicorn.log", port=self.port,
                                 workers=workers)  # fmt: skip
        return self._keep(web)

    def worker(self, name: str = "worker", **extra: str) -> Service:
        # Kept before waiting, so a worker that never gets ready is stopped with the rest.
        worker = self._keep(processes.celery_worker(self.env(**extra), self.logs / f"{name}.log"))
        processes.wait_for(lambda: "ready." in worker.output(), "the worker to be ready")
        return worker

    def beat(self, **extra: str) -> Service:
        return self._keep(processes.celery_beat(self.env(**extra), self.logs / "beat.log"))

    def scene(self, name: str, *args: int) -> Any:
        """Builds data with ``tests/faults/scenes.py``; its queued work is not published."""
        env = {**self.env(), "REDIS_URL": "", "DJANGO_ENV": "development"}
        done = subprocess.run(
            [sys.executable, "-m", "tests.faults.scenes", name, *map(str, args)],
            cwd=processes.ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return json.loads(done.stdout.strip().splitlines()[-1])

    def sql(self, query: str, *params: Any) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.postgres.url(self.database), autocommit=True) as db:
            return db.execute(query, params).fetchall()  # type: ignore[arg-type]

    def value(self, query: str, *params: Any) -> Any:
        return self.sql(query, *params)[0][0]

    def send_task(self, name: str, task_id: str | None = None, **kwargs: Any) -> None:
        """Publishes a task message straight to the broker, as the outbox would."""
        app = Celery(broker=self.redis.url())
        try:
            app.send_task(name, kwargs=kwargs, task_id=task_id)
        finally:
            app.close()

    def api(self, method: str, path: str, token: str | None = None, body: Any = None) -> Answer:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        started = time.monotonic()
        try:
            payload = None if body is None else json.dumps(body)
            connection.request(method, path, body=payload, headers=headers)
            response = connection.getresponse()
            content = response.read()
        finally:
            connection.close()
        seconds = time.monotonic() - started
        parsed = json.loads(content) if content.startswith((b"{", b"[")) else content
        return Answer(response.status, dict(response.getheaders()), parsed, seconds)

    def warm_up(self, token: str) -> None:
        """Every gunicorn worker has loaded the URLs and connected before the fault starts."""
        threads = [
            threading.Thread(target=self.api, args=("GET", "/api/v1/me", token)) for _ in range(8)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def close(self) -> None:
        for service in self.services:  # all at once, they take seconds each
            if service.process is not None:
                service.process.terminate()
        for service in self.services:
            service.wait()
        self.redis.stop()
        if not self.postgres_running():
            self.postgres.start()
        with psycopg.connect(self.postgres.url(), autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {self.database} WITH (FORCE)")

    def postgres_running(self) -> bool:
        try:
            psycopg.connect(self.postgres.url(), connect_timeout=2).close()
        except psycopg.OperationalError:
            return False
        return True


@dataclass(frozen=True)
class RaceOutcome:
    statuses: list[int]
    codes: set[str]
    settled_seconds: float  # from the moment all were sent to the last answer
    overlapping: list[tuple[Any, ...]]  # live sessions of one expert that overlap
    scene: dict[str, Any]  # the bookings sent (tokens, requests) and the two times


def book_at_once(stack: "Stack", burst: int) -> RaceOutcome:
    """``burst`` schools book one expert at overlapping times through gunicorn, all at the
    same moment: every client has connected before a barrier releases them together."""
    scene = stack.scene("race", burst)
    times = scene["times"]
    stack.warm_up(scene["bookings"][0]["token"])
    barrier = threading.Barrier(burst + 1)
    answers: list[tuple[float, int, Any]] = []
    lock = threading.Lock()

    def book(index: int, booking: dict[str, Any]) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=60)
        connection.connect()
        body = json.dumps({"request": booking["request"], "starts_at": times[index % 2]})
        headers = {
            "Content-Type": "application/json",
            "Authorization": f"Bearer {booking['token']}",
        }
        barrier.wait()
        try:
            connection.request("POST", "/api/v1/sessions", body=body, headers=headers)
            response = connection.getresponse()
            parsed = json.loads(response.read())
            with lock:
                answers.append((time.monotonic(), response.status, parsed))
        finally:
            connection.close()

    threads = [
        threading.Thread(target=book, args=(index, booking))
        for index, booking in enumerate(scene["bookings"])
    ]
    for thread in threads:
        thread.start()
    barrier.wait()
    sent = time.monotonic()
    for thread in threads:
        thread.join()
    overlapping = stack.sql(
        """
        SELECT a.id, b.id FROM exchange_session a
        JOIN exchange_session b
          ON a.expert_id = b.expert_id AND a.id < b.id
         AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at
        WHERE a.status IN ('offered', 'confirmed') AND b.status IN ('offered', 'confirmed')
        """
    )
    return RaceOutcome(
        statuses=[status for _, status, _ in answers],
        codes={body.get("code", "") for _, status, body in answers if status >= 400},
        settled_seconds=max(at for at, _, _ in answers) - sent,
        overlapping=overlapping,
        scene=scene,
    )


def book_one_after_another(stack: "Stack", scene: dict[str, Any]) -> float:
    """The baseline for a race, measured in the same run: the same bookings sent again one
    after another (every one refused now). Returns the seconds they took."""
    started = time.monotonic()
    for booking in scene["bookings"]:
        body = {"request": booking["request"], "starts_at": scene["times"][0]}
        assert stack.api("POST", "/api/v1/sessions", booking["token"], body).status == 409
    return time.monotonic() - started
