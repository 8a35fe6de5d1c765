import pytest

from config.celery import app as celery_app


@pytest.fixture
def eager_tasks():
    """Tasks the outbox publishes run in-process, as in the demo. Under the PostgreSQL +
    Redis run ``REDIS_URL`` is set and the app is not eager by default."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous
