"""Compiled read queries (config/compiled.py): the same rows as the ORM, the SQL built once a
shape, and builders that would bind a value anywhere but a parameter refused."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.access import caller_scope
from accounts.enums import Role
from accounts.models import School
from config.compiled import CompiledPage, CompiledQuery
from exchange import access, pages
from exchange.models import SupportRequest
from tests.factories import (
    MembershipFactory,
    SchoolFactory,
    SupportRequestFactory,
    TrustCoordinatorMembershipFactory,
    TrustFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def _schools(**parameters):
    return School.objects.filter(urn__in=parameters["urns"]).order_by("urn").values("urn", "name")


def test_rows_are_the_querysets_for_each_value_and_shape():
    schools = SchoolFactory.create_batch(4)
    urns = sorted(school.urn for school in schools)
    compiled = CompiledQuery(_schools)

    for chosen in [(urns[0],), (urns[1],), (urns[0], urns[2]), (urns[1], urns[3]), ()]:
        assert compiled.rows({"urns": chosen}) == list(_schools(urns=chosen))


def test_a_shape_is_built_twice_then_only_run():
    school = SchoolFactory()
    other = SchoolFactory()
    built = []

    def build(**parameters):
        built.append(parameters)
        return _schools(**parameters)

    compiled = CompiledQuery(build)
    compiled.rows({"urns": (school.urn,)})
    with CaptureQueriesContext(connection) as queries:
        rows = compiled.rows({"urns": (other.urn,)})

    assert len(built) == 2  # the two sets of markers, once
    assert rows == [{"urn": other.urn, "name": other.name}]
    assert len(queries) == 1
    assert str(other.urn) in queries[0]["sql"]


def test_a_builder_whose_sql_depends_on_a_value_is_refused():
    def build(*, urn):
        schools = School.objects.filter(urn=urn)
        # Here the value picks the SQL: the two sets of markers give two statements.
        return (schools.filter(is_active=True) if urn % 2 else schools).values("urn")

    with pytest.raises(ValueError, match="depends on the parameters"):
        CompiledQuery(build).rows({"urn": 1})


def test_a_builder_that_drops_a_value_is_refused():
    def build(*, urn, unused):
        return School.objects.filter(urn=urn).values("urn")

    with pytest.raises(ValueError, match="not bound as SQL parameters"):
        CompiledQuery(build).rows({"urn": 1, "unused": 2})


def test_a_builder_that_puts_a_value_in_the_sql_text_is_refused():
    def build(*, urn):
        return School.objects.extra(where=[f"urn <> {int(urn)}"]).values("urn")  # noqa: S610

    with pytest.raises(ValueError, match="depends on the parameters"):
        CompiledQuery(build).rows({"urn": 1})


def test_count_and_slices_are_the_querysets():
    schools = SchoolFactory.create_batch(5)
    urns = tuple(sorted(school.urn for school in schools))
    compiled = CompiledQuery(_schools)
    page = CompiledPage(
        compiled, lambda: CompiledQuery(_schools).count({"urns": urns}), {"urns": urns}
    )

    assert page.count() == len(page) == 5
    assert page[1:3] == list(_schools(urns=urns)[1:3])
    assert page[4:5] == list(_schools(urns=urns)[4:5])
    assert CompiledQuery(_schools).count({"urns": ()}) == 0


@pytest.mark.parametrize("role", ["senco", "coordinator", "stranger", "admin"])
def test_the_compiled_request_rows_are_the_selectors(role):
    school = SchoolFactory(trust=TrustFactory())
    own = SupportRequestFactory.create_batch(2, school=school)
    SupportRequestFactory.create_batch(2)
    user = UserFactory(is_staff=role == "admin")
    if role == "senco":
        MembershipFactory(user=user, school=school, role=Role.SENCO)
    elif role == "coordinator":
        TrustCoordinatorMembershipFactory(user=user, trust=school.trust)
    scope = caller_scope(user=user)
    visible = SupportRequest.objects.filter(access.request_visibility(scope))
    expected = list(pages.support_request_rows(visible.order_by(*pages.REQUEST_ORDERING)))

    page = pages.request_page(scope)
    assert page.count() == len(expected)
    assert page[0 : len(expected) + 1] == expected
    for support_request in [*own, *SupportRequest.objects.exclude(school=school)]:
        row = pages.request_row(scope, support_request.pk)
        seen = [r for r in expected if r["id"] == support_request.pk]
        assert row == (seen[0] if seen else None)
    assert pages.request_row(scope, 2**63) is None
