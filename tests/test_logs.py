"""Django's ``django.request`` lines: a 5xx is logged, an expected 4xx is not."""

import logging

import pytest

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def request_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "django.request"]


@pytest.mark.parametrize(
    ("path", "status"),
    [("/api/v1/requests/999999", 404), ("/api/v1/requests?page_size=x", 400)],
)
def test_a_4xx_is_not_logged(client_for, caplog, path, status):
    with caplog.at_level(logging.DEBUG, logger="django.request"):
        response = client_for(UserFactory()).get(path)

    assert response.status_code == status
    assert request_lines(caplog) == []


def test_a_5xx_is_logged_as_an_error(client_for, caplog, monkeypatch):
    def boom(**_: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("exchange.apis.requests.caller_scope", boom)
    with caplog.at_level(logging.DEBUG, logger="django.request"):
        response = client_for(UserFactory()).get("/api/v1/requests")

    assert response.status_code == 500
    assert [(r.levelno, r.status_code) for r in request_lines(caplog)] == [(logging.ERROR, 500)]
