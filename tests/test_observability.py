"""An outage is said once: one warning when a dependency goes down, one line when it is
back, a gauge in between, and a counter of every failed call."""

import logging

from prometheus_client import REGISTRY

from config.observability import dependency_down, dependency_up, is_down


def gauge(name: str) -> float | None:
    return REGISTRY.get_sample_value("exchange_dependency_down", {"dependency": name})


def failures(name: str) -> float:
    labels = {"dependency": name}
    return REGISTRY.get_sample_value("exchange_dependency_failures_total", labels) or 0


def test_an_outage_is_logged_once_and_its_end_once(caplog):
    with caplog.at_level(logging.INFO, logger="exchange.dependencies"):
        for _ in range(50):
            dependency_down("redis-a", ConnectionRefusedError("redis://:password@host"))
        down_gauge = gauge("redis-a")
        for _ in range(50):
            dependency_up("redis-a")

    messages = [(record.levelname, record.getMessage()) for record in caplog.records]
    assert messages == [
        (
            "WARNING",
            "redis-a is unavailable (ConnectionRefusedError); degrading until it answers again",
        ),
        ("INFO", "redis-a is available again"),
    ]
    assert "password" not in caplog.text
    assert (down_gauge, gauge("redis-a")) == (1.0, 0.0)
    assert failures("redis-a") == 50
    assert not is_down("redis-a")


def test_a_second_outage_is_logged_again(caplog):
    with caplog.at_level(logging.WARNING, logger="exchange.dependencies"):
        dependency_down("postgresql-b")
        dependency_up("postgresql-b")
        dependency_down("postgresql-b")

    assert len(caplog.records) == 2
    assert is_down("postgresql-b")
    dependency_up("postgresql-b")


def test_a_dependency_that_never_failed_costs_nothing(caplog):
    with caplog.at_level(logging.DEBUG, logger="exchange.dependencies"):
        dependency_up("never-down")

    assert caplog.records == []
    assert gauge("never-down") is None
