from datetime import timedelta

import pytest
from django.utils import timezone
from knox.models import AuthToken
from rest_framework import exceptions
from rest_framework.test import APIClient

from accounts import services
from config.errors import exception_handler
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token"


def obtain(client: APIClient, email: str, password: str = PASSWORD):
    return client.post(TOKEN_URL, {"email": email, "password": password}, format="json")


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_obtain_returns_a_token_that_authenticates_and_expires(api_client, settings):
    user = UserFactory(email="senco@example.org")

    response = obtain(api_client, "SENCO@Example.org")

    assert response.status_code == 201
    expiry = timezone.datetime.fromisoformat(response.data["expiry"])
    ttl = settings.REST_KNOX["TOKEN_TTL"]
    assert timedelta(0) < expiry - timezone.now() <= ttl
    me = bearer(response.data["token"]).get("/api/v1/me")
    assert me.status_code == 200
    assert me.data["email"] == user.email


def test_obtain_with_a_wrong_password_is_401_in_the_error_format(api_client):
    UserFactory(email="senco@example.org")

    response = obtain(api_client, "senco@example.org", "wrong-password")

    assert response.status_code == 401
    assert response.json() == {
        "status": 401,
        "code": "invalid_credentials",
        "message": "The email address or password is not correct.",
        "fields": {},
        "details": {},
    }
    assert AuthToken.objects.count() == 0


def test_inactive_user_cannot_obtain_a_token(api_client):
    UserFactory(email="left@example.org", is_active=False)

    assert obtain(api_client, "left@example.org").status_code == 401


def test_obtain_with_missing_fields_lists_each_field(api_client):
    response = api_client.post(TOKEN_URL, {"email": "not-an-email"}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["fields"]["email"] == [
        {"code": "invalid", "message": "Enter a valid email address."}
    ]
    assert body["fields"]["password"][0]["code"] == "required"
    assert body["message"] == "email: Enter a valid email address. (and 1 more)"


def test_refresh_rotates_the_token(api_client):
    UserFactory(email="a@example.org")
    old = obtain(api_client, "a@example.org").data["token"]

    response = bearer(old).post("/api/v1/auth/token/refresh")

    assert response.status_code == 201
    new = response.data["token"]
    assert new != old
    assert bearer(new).get("/api/v1/me").status_code == 200
    assert bearer(old).get("/api/v1/me").status_code == 401
    assert bearer(old).post("/api/v1/auth/token/refresh").status_code == 401


def test_revoke_ends_only_the_current_token(api_client):
    UserFactory(email="a@example.org")
    laptop = obtain(api_client, "a@example.org").data["token"]
    phone = obtain(api_client, "a@example.org").data["token"]

    response = bearer(laptop).post("/api/v1/auth/token/revoke")

    assert response.status_code == 204
    assert bearer(laptop).get("/api/v1/me").status_code == 401
    assert bearer(phone).get("/api/v1/me").status_code == 200


def test_revoke_all_ends_every_token_of_the_user(api_client):
    UserFactory(email="a@example.org")
    other_user = UserFactory(email="b@example.org")
    tokens = [obtain(api_client, "a@example.org").data["token"] for _ in range(3)]
    other = obtain(api_client, other_user.email).data["token"]

    assert bearer(tokens[0]).post("/api/v1/auth/token/revoke-all").status_code == 204

    assert [bearer(t).get("/api/v1/me").status_code for t in tokens] == [401, 401, 401]
    assert bearer(other).get("/api/v1/me").status_code == 200


def test_an_expired_token_is_refused_and_deleted(api_client):
    UserFactory(email="a@example.org")
    token = obtain(api_client, "a@example.org").data["token"]
    AuthToken.objects.update(expiry=timezone.now() - timedelta(seconds=1))

    response = bearer(token).get("/api/v1/me")

    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"
    assert response["WWW-Authenticate"] == "Bearer"
    assert AuthToken.objects.count() == 0


def test_token_limit_per_user_revokes_the_oldest(api_client, settings):
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_LIMIT_PER_USER": 2}
    UserFactory(email="a@example.org")
    first, second, third = (obtain(api_client, "a@example.org").data["token"] for _ in range(3))

    assert bearer(first).get("/api/v1/me").status_code == 401
    assert bearer(second).get("/api/v1/me").status_code == 200
    assert bearer(third).get("/api/v1/me").status_code == 200


@pytest.mark.parametrize("url", ["/api/v1/me", "/api/v1/schools", "/api/v1/trusts"])
def test_endpoints_require_credentials(api_client, url):
    response = api_client.get(url)

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_a_garbage_token_is_401(api_client):
    response = bearer("not-a-real-token").get("/api/v1/me")

    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_login_is_throttled_more_strictly(api_client, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "100/min", "user": "100/min", "auth": "3/min"},
    }
    UserFactory(email="a@example.org")

    statuses = [obtain(api_client, "a@example.org", "guess").status_code for _ in range(4)]

    assert statuses == [401, 401, 401, 429]
    response = obtain(api_client, "a@example.org")
    body = response.json()
    assert response.status_code == 429
    assert body["code"] == "throttled"
    assert 0 < body["details"]["retry_after"] <= 60
    assert response["Retry-After"] == str(body["details"]["retry_after"])


def test_authenticated_users_are_throttled(client_for, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "100/min", "user": "2/min", "auth": "100/min"},
    }
    client = client_for(UserFactory())

    statuses = [client.get("/api/v1/me").status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


def test_anonymous_users_are_throttled(api_client, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "2/min", "user": "100/min", "auth": "100/min"},
    }
    UserFactory(email="a@example.org")

    statuses = [obtain(api_client, "a@example.org").status_code for _ in range(3)]

    assert statuses == [201, 201, 429]


def test_a_revoked_token_is_authentication_failed_like_an_unknown_one(api_client):
    UserFactory(email="a@example.org")
    token = obtain(api_client, "a@example.org").data["token"]
    bearer(token).post("/api/v1/auth/token/revoke")

    response = bearer(token).get("/api/v1/me")

    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_a_refresh_that_lost_the_race_is_token_revoked():
    """Two refreshes of one token both authenticate; the second to delete it gets
    ``token_revoked`` (the only place that code is returned)."""
    user = UserFactory()
    instance, _ = AuthToken.objects.create(user=user)
    AuthToken.objects.filter(digest=instance.digest).delete()  # the other refresh won

    with pytest.raises(exceptions.AuthenticationFailed) as lost:
        services.token_refresh(token=instance)

    response = exception_handler(lost.value, {})
    assert response.status_code == 401
    assert response.data["code"] == "token_revoked"
    assert AuthToken.objects.filter(user=user).count() == 0
