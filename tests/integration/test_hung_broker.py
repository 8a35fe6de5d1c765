"""A broker that accepts connections and never answers must not hang or fail a request.

The "broker" here is a real TCP socket that swallows everything: the true outside boundary
is faked at the network, and everything of ours (the API, the outbox, Celery's publishing
with our transport options) runs for real.
"""

import socket
import threading
from collections.abc import Iterator

import pytest
from kombu import pools as kombu_pools

from accounts.enums import Role
from config.celery import app as celery_app
from exchange.models import OutboxMessage, SupportRequest
from tests.factories import MembershipFactory, SupportRequestFactory

SOCKET_TIMEOUT = 0.5


def _forget_connections() -> None:
    # kombu keeps connection and producer pools in process-wide registries keyed by the
    # broker URL: closing one in place would leave a closed pool for the next test that
    # publishes to the same URL, so empty the registries instead.
    kombu_pools.reset()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def hung_broker() -> Iterator[None]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted: list[socket.socket] = []

    def swallow() -> None:
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            accepted.append(connection)

    threading.Thread(target=swallow, daemon=True).start()
    conf = celery_app.conf
    saved = (conf.broker_url, conf.task_always_eager, dict(conf.broker_transport_options))
    conf.broker_url = f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    conf.task_always_eager = False
    conf.broker_transport_options = {
        **conf.broker_transport_options,
        "socket_timeout": SOCKET_TIMEOUT,
        "socket_connect_timeout": SOCKET_TIMEOUT,
    }
    _forget_connections()  # connect afresh, to the hung broker
    try:
        yield
    finally:
        conf.broker_url, conf.task_always_eager, conf.broker_transport_options = saved
        _forget_connections()
        server.close()
        for connection in accepted:
            connection.close()


@pytest.mark.django_db
def test_submitting_while_the_broker_hangs_succeeds_and_keeps_the_task_in_the_outbox(
    hung_broker, client_for, django_capture_on_commit_callbacks
):
    senco = MembershipFactory(role=Role.SENCO)
    support_request = SupportRequestFactory(school=senco.school, needs=["ASD"])

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(senco.user).post(
            f"/api/v1/requests/{support_request.pk}/submit", {}, format="json"
        )

    assert response.status_code == 200
    assert SupportRequest.objects.get(pk=support_request.pk).status == "submitted"
    message = OutboxMessage.objects.get()
    assert message.task_name == "matching.propose_for_request"
    assert message.kwargs == {"support_request_id": support_request.pk}
    assert message.published_at is None
    assert message.attempts == 1
    assert "Timeout" in message.last_error
