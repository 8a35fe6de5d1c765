"""An oversized body under real gunicorn: a 413 in the error format, and the connection still
serves the client's next request (gunicorn drains only 64 KiB of an unread body itself)."""

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(params=["sync", "gthread"])
def server(request) -> Iterator[int]:
    """gunicorn as the Dockerfile runs it (sync workers), and with keep-alive (gthread)."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    command = [str(GUNICORN), "config.wsgi:application", "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", "1", "--worker-class", request.param, "--keep-alive", "5"]
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("gunicorn did not start")
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_an_oversized_sign_in_is_413_and_the_connection_serves_the_next_request(server):
    connection = http.client.HTTPConnection("127.0.0.1", server, timeout=10)
    body = b'{"email": "' + b"x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1) + b'"}'

    connection.request("POST", "/api/v1/auth/token", body, {"Content-Type": "application/json"})
    response = connection.getresponse()
    refused = json.loads(response.read())

    assert response.status == 413
    assert refused["code"] == "request_too_large"
    assert set(refused) == {"status", "code", "message", "fields", "details"}
    # Either the server said it will close (sync workers), and a new connection works, or it
    # kept the connection alive, and the next request on it is answered.
    if response.getheader("Connection", "").lower() == "close":
        connection.close()
    connection.request("GET", "/healthz")
    again = connection.getresponse()
    assert again.status == 200
    assert json.loads(again.read()) == {"status": "ok"}
    connection.close()
