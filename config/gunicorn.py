"""gunicorn hooks (``gunicorn -c python:config.gunicorn``) for Prometheus's multiprocess
mode: with ``PROMETHEUS_MULTIPROC_DIR`` set, each worker keeps its metrics in files there
and ``/metrics`` adds them up (``config/metrics.py``). The directory is emptied when the
server starts, so a restart does not add yesterday's counts, and a dead worker's live
gauges are retired."""

import os
from pathlib import Path
from typing import Any

from prometheus_client import multiprocess


def _metrics_dir() -> Path | None:
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    return Path(path) if path else None


def on_starting(server: Any) -> None:
    directory = _metrics_dir()
    if directory is not None:
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.db"):
            stale.unlink()


def child_exit(server: Any, worker: Any) -> None:
    if _metrics_dir() is not None:
        multiprocess.mark_process_dead(worker.pid)
