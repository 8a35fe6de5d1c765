"""Response headers: CSP on every page, Permissions-Policy everywhere, no-store on the API."""

import pytest

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NO_STORE = "max-age=0, no-cache, no-store, must-revalidate, private"


def test_authenticated_api_responses_are_not_stored(client_for):
    response = client_for(UserFactory()).get("/api/v1/me")

    assert response.status_code == 200
    assert response["Cache-Control"] == NO_STORE


def test_token_responses_are_not_stored(api_client):
    user = UserFactory()

    response = api_client.post(
        "/api/v1/auth/token", {"email": user.email, "password": PASSWORD}, format="json"
    )

    assert response.status_code == 201
    assert "no-store" in response["Cache-Control"]


def test_api_errors_are_not_stored_either(api_client):
    assert "no-store" in api_client.get("/api/v1/me")["Cache-Control"]


def test_the_public_schema_may_be_cached(api_client):
    assert "no-store" not in api_client.get("/api/schema/").get("Cache-Control", "")


@pytest.mark.parametrize("path", ["/api/v1/me", "/admin/login/", "/api/docs/", "/healthz"])
def test_every_response_has_a_csp_and_a_permissions_policy(api_client, path):
    response = api_client.get(path)

    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    script_src = next(part for part in policy.split("; ") if part.startswith("script-src "))
    # Our files, plus the page's nonce when a template used it; never inline or eval.
    assert script_src.startswith("script-src 'self'")
    assert "unsafe" not in script_src
    assert "camera=()" in response["Permissions-Policy"]


def test_the_admin_pages_scripts_carry_the_nonce_of_their_policy(client):
    response = client.get("/admin/login/")

    nonce = response["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
    assert f'nonce="{nonce}"' in response.content.decode()
