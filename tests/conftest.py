import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from config import resilience
from config.celery import app as celery_app
from tests.factories import MembershipFactory, UserFactory


@pytest.fixture(autouse=True)
def _fast_passwords_and_clean_cache(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Throttle counters live in the cache; every test starts with none, and with no outage
    # a previous test's failing Redis left in this process.
    resilience.reset()
    cache.clear()
    yield
    cache.clear()
    resilience.reset()


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploaded files (the library's) go to the test's own folder, never the project's."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def client_for():
    """``client_for(user)``: an API client signed in as that user (``None``: anonymous)."""

    def make(user) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def admin_user(db):
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def staff_member(db):
    return MembershipFactory()


@pytest.fixture
def eager_tasks():
    """Tasks the outbox publishes run in-process, as in the demo. Under the PostgreSQL +
    Redis run ``REDIS_URL`` is set and the app is not eager by default."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def unthrottled(settings):
    """For tests that send hundreds of requests; the throttles have their own tests."""
    rates = dict.fromkeys(("anon", "user", "auth"), "100000/min")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
