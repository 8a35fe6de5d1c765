"""Finding resources: text search (ranked on PostgreSQL, a plain match elsewhere), the tag
filters, and a fixed query count on every list."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from library.models import Resource
from tests.postgres import postgres_only

pytestmark = pytest.mark.django_db


def found(client, **params) -> list[str]:
    response = client.get("/api/v1/resources", params)
    assert response.status_code == 200, response.content
    return [row["title"] for row in response.json()["results"]]


@pytest.fixture
def three(library, write, publish):
    """Three approved resources: "sensory" in a body, in a summary, in a title."""
    in_body = publish(
        write(
            library.expert.user,
            title="Lunchtime routines",
            summary="Quieter dining halls.",
            body="A sensory break before lunch helps.",
            needs=["SEMH"],
            topics=["unstructured-times"],
            phases=["secondary"],
        )
    )
    in_summary = publish(
        write(
            library.expert.user,
            title="Movement breaks",
            summary="Short sensory circuits between lessons.",
            body="Three minutes, twice a morning.",
            needs=["ASD"],
            phases=["primary"],
            evidence_level="research_backed",
            citation="Smith, J. (2021). Movement and attention. J. Ed. Psych. 3(2).",
        )
    )
    in_title = publish(
        write(
            library.expert.user,
            title="Sensory regulation in the classroom",
            summary="A toolkit.",
            body="Start with the environment.",
            needs=["ASD", "SLCN"],
            topics=["sensory-regulation"],
            phases=["primary", "secondary"],
        )
    )
    return in_body, in_summary, in_title


def test_search_puts_a_title_match_first_and_finds_summary_and_body_matches(
    library, client_for, three
):
    titles = found(client_for(library.outsider), search="sensory")

    assert titles == [
        "Sensory regulation in the classroom",
        "Movement breaks",
        "Lunchtime routines",
    ]
    assert found(client_for(library.outsider), search="toolkit") == [
        "Sensory regulation in the classroom"
    ]
    assert found(client_for(library.outsider), search="nothing-like-this") == []


@postgres_only("Ranked full-text search runs on PostgreSQL")
def test_postgresql_ranks_a_title_match_above_a_body_match_and_stems_words(
    library, client_for, three
):
    # "regulating" stems to the same lexeme as "regulation" (English configuration); the
    # body match on "regulation" alone ranks below the title's.
    Resource.objects.filter(title="Lunchtime routines").update(body="Self-regulation at lunch.")

    titles = found(client_for(library.outsider), search="regulating")

    assert titles == ["Sensory regulation in the classroom", "Lunchtime routines"]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'library_resource_search_gin'"
        )
        assert "USING gin (search_vector)" in cursor.fetchone()[0]


def test_filters_by_need_topic_phase_and_evidence_level(library, client_for, three):
    reader = client_for(library.outsider)

    assert found(reader, need="ASD") == ["Sensory regulation in the classroom", "Movement breaks"]
    assert found(reader, topic="unstructured-times") == ["Lunchtime routines"]
    assert found(reader, phase="secondary") == [
        "Sensory regulation in the classroom",
        "Lunchtime routines",
    ]
    assert found(reader, evidence_level="research_backed") == ["Movement breaks"]
    assert found(reader, need="ASD", phase="secondary", search="sensory") == [
        "Sensory regulation in the classroom"
    ]
    bad = reader.get("/api/v1/resources", {"phase": "university"})
    assert bad.status_code == 400
    assert "phase" in bad.json()["fields"]


def count_queries(client, path: str, params: dict | None = None) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, params or {})
    assert response.status_code == 200, response.content
    return len(queries)


def resource_with_everything(library, write, publish, client_for, index: int) -> dict:
    resource = write(
        library.expert.user,
        title=f"Resource {index}",
        session=library.session.pk,
        needs=["ASD", "SEMH"],
        topics=["sensory-regulation", "visual-timetables"],
    )
    publish(resource)
    client_for(library.outsider).post(f"/api/v1/resources/{resource['id']}/helpful")
    client_for(library.outsider).post(
        f"/api/v1/resources/{resource['id']}/reports", {"reason": "x"}
    )
    return resource


@pytest.mark.parametrize(
    "path",
    ["/api/v1/resources", "/api/v1/requests/{request}/resources", "/api/v1/resource-reports"],
)
def test_lists_run_a_fixed_number_of_queries(library, client_for, write, publish, path):
    path = path.format(request=library.request.pk)
    reader = client_for(library.admin if "reports" in path else library.senco)
    resource_with_everything(library, write, publish, client_for, 0)
    one = count_queries(reader, path)

    for index in (1, 2):
        resource_with_everything(library, write, publish, client_for, index)
    three = count_queries(reader, path)

    assert reader.get(path).json()["count"] == 3
    assert one == three


def test_the_search_list_runs_a_fixed_number_of_queries(library, client_for, write, publish):
    reader = client_for(library.outsider)
    resource_with_everything(library, write, publish, client_for, 0)
    one = count_queries(reader, "/api/v1/resources", {"search": "resource", "need": "ASD"})

    for index in (1, 2):
        resource_with_everything(library, write, publish, client_for, index)

    assert count_queries(reader, "/api/v1/resources", {"search": "resource", "need": "ASD"}) == one
