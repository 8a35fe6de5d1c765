"""Password guessing: the throttles and the failed-login lockout key on the real client IP
(``TRUSTED_PROXY_COUNT``), and the lockout covers the token endpoint and both login forms."""

import pytest
from axes.models import AccessAttempt
from django.test import Client, RequestFactory
from rest_framework.test import APIClient

from config.client_ip import client_ip
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token"


def obtain(client: APIClient, email: str, password: str, **headers: str):
    return client.post(TOKEN_URL, {"email": email, "password": password}, format="json", **headers)


@pytest.fixture
def strict_login_throttle(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "100/min", "user": "100/min", "auth": "3/min"},
    }
    # The lockout is not what these tests are about.
    settings.AXES_FAILURE_LIMIT = 100


# --- the client's IP ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("trusted", "forwarded_for", "expected"),
    [
        (0, "203.0.113.7", "10.0.0.1"),
        (1, "203.0.113.7", "203.0.113.7"),
        (1, "198.51.100.1, 203.0.113.7", "203.0.113.7"),
        (2, "198.51.100.1, 203.0.113.7, 192.0.2.9", "203.0.113.7"),
        (2, "203.0.113.7", "203.0.113.7"),  # fewer hops than proxies: the leftmost
        (1, "not-an-ip", "10.0.0.1"),
        (1, "", "10.0.0.1"),
        (1, " 2001:db8::1 ", "2001:db8::1"),
    ],
)
def test_client_ip_believes_only_the_trusted_hops(settings, trusted, forwarded_for, expected):
    settings.TRUSTED_PROXY_COUNT = trusted
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded_for)

    assert client_ip(request) == expected


def test_rotating_x_forwarded_for_does_not_escape_the_login_throttle(
    api_client, strict_login_throttle
):
    UserFactory(email="a@example.org")

    statuses = [
        obtain(
            api_client, "a@example.org", "guess", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}"
        ).status_code
        for n in range(5)
    ]

    assert statuses == [401, 401, 401, 429, 429]


def test_behind_one_proxy_the_throttle_keys_on_the_hop_it_appended(
    api_client, settings, strict_login_throttle
):
    settings.TRUSTED_PROXY_COUNT = 1
    UserFactory(email="a@example.org")

    def guess(forwarded_for: str) -> int:
        return obtain(
            api_client, "a@example.org", "guess", HTTP_X_FORWARDED_FOR=forwarded_for
        ).status_code

    # The client forges the left part; our proxy appends the address it saw.
    same_client = [guess(f"192.0.2.{n}, 203.0.113.7") for n in range(4)]
    other_client = guess("203.0.113.8")

    assert same_client == [401, 401, 401, 429]
    assert other_client == 401


# --- the lockout ---------------------------------------------------------------------------------


def test_token_endpoint_locks_out_after_the_failure_limit(api_client, settings):
    settings.AXES_FAILURE_LIMIT = 3
    UserFactory(email="a@example.org")

    statuses = [obtain(api_client, "A@example.org", "guess").status_code for _ in range(3)]
    locked = obtain(api_client, "a@example.org", PASSWORD)

    assert statuses == [401, 401, 429]
    body = locked.json()
    assert locked.status_code == 429
    assert body["code"] == "locked_out"
    assert body["details"]["retry_after"] == 15 * 60
    assert locked["Retry-After"] == "900"
    assert set(body) == {"status", "code", "message", "fields", "details"}
    # Stored in the database, so every web process sees the same count.
    attempt = AccessAttempt.objects.get()
    assert (attempt.username, attempt.ip_address) == ("a@example.org", "127.0.0.1")
    # The attempt during the lockout counted too (and restarted the cool-off).
    assert attempt.failures_since_start == 4


def test_lockout_is_per_email_and_ip(api_client, settings):
    settings.AXES_FAILURE_LIMIT = 2
    UserFactory(email="a@example.org")
    UserFactory(email="b@example.org")
    for _ in range(2):
        obtain(api_client, "a@example.org", "guess")

    other_user = obtain(api_client, "b@example.org", PASSWORD)
    other_ip = obtain(api_client, "a@example.org", PASSWORD, REMOTE_ADDR="192.0.2.50")

    assert other_user.status_code == 201
    assert other_ip.status_code == 201


def test_rotating_x_forwarded_for_does_not_escape_the_lockout(api_client, settings):
    settings.AXES_FAILURE_LIMIT = 2
    UserFactory(email="a@example.org")
    for n in range(2):
        obtain(api_client, "a@example.org", "guess", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")

    response = obtain(api_client, "a@example.org", PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.1")

    assert response.status_code == 429
    assert response.json()["code"] == "locked_out"


def test_a_success_before_the_limit_resets_the_count(api_client, settings):
    settings.AXES_FAILURE_LIMIT = 2
    UserFactory(email="a@example.org")

    obtain(api_client, "a@example.org", "guess")
    assert obtain(api_client, "a@example.org", PASSWORD).status_code == 201
    assert obtain(api_client, "a@example.org", "guess").status_code == 401


@pytest.mark.parametrize("login_url", ["/admin/login/", "/api-auth/login/"])
def test_login_forms_lock_out_after_the_failure_limit(settings, login_url):
    settings.AXES_FAILURE_LIMIT = 3
    UserFactory(email="admin@example.org", is_staff=True, is_superuser=True)
    client = Client()

    def log_in(password: str):
        return client.post(login_url, {"username": "admin@example.org", "password": password})

    statuses = [log_in("guess").status_code for _ in range(3)]
    locked = log_in(PASSWORD)

    # The form redisplays (200) with an error until the limit, then 429.
    assert statuses == [200, 200, 429]
    assert locked.status_code == 429
    assert locked["Retry-After"] == "900"
    assert "_auth_user_id" not in client.session
    # The token endpoint honours the same lockout: one count for every way in.
    assert obtain(APIClient(), "admin@example.org", PASSWORD).status_code == 429


def test_login_form_still_signs_in_below_the_limit(settings):
    UserFactory(email="admin@example.org", is_staff=True, is_superuser=True)
    client = Client()

    response = client.post("/admin/login/", {"username": "admin@example.org", "password": PASSWORD})

    assert response.status_code == 302
    assert client.session["_auth_user_id"]


def test_signing_in_without_a_request_is_not_a_web_login(settings):
    """Scripts and the test client's ``login()`` call ``authenticate()`` without a request."""
    UserFactory(email="script@example.org")

    assert Client().login(email="script@example.org", password=PASSWORD)
