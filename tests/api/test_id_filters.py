"""Id and URN filters on every list endpoint: a value that is not a whole number in the signed
64-bit range is a 400 naming the parameter, never a database error."""

import pytest

pytestmark = pytest.mark.django_db

ID_FILTERS = [
    ("/api/v1/proposals", "request"),
    ("/api/v1/sessions", "expert"),
    ("/api/v1/sessions", "school"),
    ("/api/v1/sessions", "request"),
    ("/api/v1/experts", "school"),
    ("/api/v1/experts", "near"),
    ("/api/v1/requests", "school"),
]
OUT_OF_RANGE = ["99999999999999999999999", str(2**63), str(-(2**63) - 1)]


@pytest.mark.parametrize(("path", "param"), ID_FILTERS)
@pytest.mark.parametrize("value", [*OUT_OF_RANGE, "1.5", "abc"])
def test_an_id_filter_outside_the_64_bit_range_or_not_whole_is_a_400(
    client_for, admin_user, path, param, value
):
    response = client_for(admin_user).get(path, {param: value})

    assert response.status_code == 400, response.content
    body = response.json()
    assert (body["status"], body["code"]) == (400, "invalid")
    assert list(body["fields"]) == [param]


@pytest.mark.parametrize(
    ("path", "param"), [(path, param) for path, param in ID_FILTERS if param != "near"]
)
@pytest.mark.parametrize("value", [str(2**63 - 1), str(-(2**63))])
def test_an_id_filter_at_the_edge_of_the_64_bit_range_finds_nothing(
    client_for, admin_user, path, param, value
):
    response = client_for(admin_user).get(path, {param: value})

    assert response.status_code == 200, response.content
    assert response.json()["count"] == 0
