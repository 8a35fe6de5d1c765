import pytest

pytestmark = pytest.mark.django_db


def test_the_partner_origin_may_call_the_api(client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://partner.example.org"]

    response = client.options(
        "/api/v1/schools",
        HTTP_ORIGIN="https://partner.example.org",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
    )

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "https://partner.example.org"


def test_other_origins_get_no_cors_headers(client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://partner.example.org"]

    response = client.options(
        "/api/v1/schools",
        HTTP_ORIGIN="https://evil.example.com",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
    )

    assert "Access-Control-Allow-Origin" not in response
