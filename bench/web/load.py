"""Serving and loading: gunicorn processes, wrk runs and their figures, and the page check."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from bench.national.limits import ROOT

GUNICORN = ["--workers", "2", "--worker-class", "gthread", "--threads", "4"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(app: str, env: dict[str, str]) -> Any:
    """``gunicorn app`` on a free loopback port (2 workers, gthread, 4 threads); yields the
    base URL once it answers."""
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 — our own server, our own arguments
        [sys.executable, "-m", "gunicorn", app, *GUNICORN, "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2)  # noqa: S310 — loopback
                break
            except urllib.error.HTTPError:
                break  # it answers
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    error = process.stderr.read().decode() if process.stderr else ""
                    raise SystemExit(f"{app} did not start:\n{error[-2000:]}") from None
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


@dataclass(frozen=True)
class Endpoint:
    name: str
    path: str
    token: str
    method: str = "GET"
    body: dict[str, Any] | None = None
    kind: str = "list"  # list, detail or create: which targets apply


def fetch(base: str, endpoint: Endpoint) -> tuple[int, Any]:
    data = json.dumps(endpoint.body).encode() if endpoint.body is not None else None
    request = urllib.request.Request(  # noqa: S310 — loopback
        base + endpoint.path,
        data=data,
        method=endpoint.method,
        headers={"Authorization": f"Bearer {endpoint.token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


ISO_DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d")
# What differs between two creates by design: the new row's id and its clock.
CREATED = {"id", "created_at", "updated_at", "status_changed_at"}


def normalise(value: Any, *, created: bool = False, key: str = "") -> Any:
    """Equal pages normalise to equal values: datetimes as UTC instants (the API writes
    Europe/London with `Z`, PostgreSQL `+00:00`), page links as their path and query, floats
    to 6 places; for a create, the new row's id and timestamps are left out."""
    if isinstance(value, dict):
        return {
            k: normalise(v, created=created, key=k)
            for k, v in value.items()
            if not (created and k in CREATED)
        }
    if isinstance(value, list):
        return [normalise(v, created=created) for v in value]
    if isinstance(value, str) and key in {"next", "previous"}:
        parts = urlsplit(value)
        query = dict(parse_qsl(parts.query))
        if query.get("page") == "1":
            del query["page"]
        return (parts.path, sorted(query.items()))
    if isinstance(value, str) and ISO_DATETIME.match(value):
        return datetime.fromisoformat(value).astimezone(UTC).isoformat()
    if isinstance(value, float):
        return round(value, 6)
    return value


def same_page(api: tuple[int, Any], raw: tuple[int, Any], created: bool) -> str | None:
    """None when both sides gave the same page, else what differs."""
    if api[0] != raw[0]:
        return f"status {api[0]} vs {raw[0]}"
    a, b = normalise(api[1], created=created), normalise(raw[1], created=created)
    if a == b:
        return None
    if isinstance(a, dict) and isinstance(b, dict):
        keys = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
        if "results" in keys and a.get("results") and b.get("results"):
            for x, y in zip(a["results"], b["results"], strict=False):
                if x != y:
                    fields = sorted(k for k in x.keys() | y.keys() if x.get(k) != y.get(k))
                    first = fields[0]
                    return f"an item's {fields}; {first}: {x.get(first)!r} vs {y.get(first)!r}"
        return f"keys {keys}"
    return "values differ"


@dataclass
class Figures:
    """One wrk run."""

    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    raw: str = field(repr=False, default="")


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if match is None:
        raise ValueError(f"wrk latency {text!r}")
    number, unit = match.groups()
    return float(number) * UNITS[unit]


def wrk(base: str, endpoint: Endpoint, seconds: float, connections: int) -> Figures:
    """``wrk --latency`` on the endpoint; errors are socket errors plus non-2xx answers."""
    script = ""
    if endpoint.body is not None:
        script = (
            f'wrk.method = "{endpoint.method}"\n'
            f"wrk.body = {json.dumps(json.dumps(endpoint.body))}\n"
            'wrk.headers["Content-Type"] = "application/json"\n'
        )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        completed = subprocess.run(  # noqa: S603
            [
                shutil.which("wrk") or "wrk",
                "--latency",
                "-t",
                "2",
                "-c",
                str(connections),
                "-d",
                f"{max(1, round(seconds))}s",
                "-H",
                f"Authorization: Bearer {endpoint.token}",
                "-s",
                handle.name,
                base + endpoint.path,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        Path(handle.name).unlink(missing_ok=True)
    text = completed.stdout
    if "Requests/sec" not in text or "Latency Distribution" not in text:
        raise SystemExit(f"wrk gave no figures for {endpoint.name}:\n{text}{completed.stderr}")
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", text, re.MULTILINE))
    if set(latency) != {"50", "99"}:
        raise SystemExit(f"wrk gave no latency distribution for {endpoint.name}:\n{text}")
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text
    )
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    errors = (sum(map(int, socket_errors.groups())) if socket_errors else 0) + (
        int(non_2xx[1]) if non_2xx else 0
    )
    return Figures(
        requests_per_s=float(re.search(r"Requests/sec:\s+([\d.]+)", text)[1]),  # type: ignore[index]
        p50_ms=_ms(latency["50"]),
        p99_ms=_ms(latency["99"]),
        requests=int(re.search(r"(\d+) requests in", text)[1]),  # type: ignore[index]
        errors=errors,
        raw=text,
    )
