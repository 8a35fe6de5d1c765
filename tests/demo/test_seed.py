import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import Membership, School, User
from exchange.models import ExpertProfile, ExpertTrackRecord, StatusChange, SupportRequest
from knowledge.models import OutcomeReview
from knowledge.selectors import session_report_for
from matching.models import MatchingRun, Proposal
from scheduling.models import Session

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", "--password", "pw-for-tests", stdout=out)
    return out.getvalue()


def test_seed_demo_builds_every_role_experts_and_requests_and_can_run_again():
    first = seed()
    counts = (
        User.objects.count(),
        Membership.objects.count(),
        ExpertProfile.objects.count(),
        SupportRequest.objects.count(),
        StatusChange.objects.count(),
    )

    second = seed()

    assert "300 created" in first
    assert "300 unchanged" in second
    assert School.objects.count() == 300
    assert (
        User.objects.count(),
        Membership.objects.count(),
        ExpertProfile.objects.count(),
        SupportRequest.objects.count(),
        StatusChange.objects.count(),
    ) == counts
    roles = set(Membership.objects.values_list("role", flat=True))
    assert roles == {"senco", "school_staff", "expert", "trust_coordinator", "la_officer"}
    assert User.objects.filter(is_staff=True).count() == 1
    assert User.objects.get(email="senco@demo.exchange").check_password("pw-for-tests")


def test_seed_demo_la_officer_reads_its_las_requests_with_the_shared_details_only(client_for):
    seed()
    officer = User.objects.get(email="la@demo.exchange")
    senco_school = Membership.objects.get(user__email="senco@demo.exchange").school

    # Every page: the demo's past demand (demo/analytics.py) adds a year of requests.
    client, rows, page = client_for(officer), [], 1
    while True:
        body = client.get("/api/v1/requests", {"page_size": 100, "page": page}).json()
        rows += body["results"]
        if not body["next"]:
            break
        page += 1

    assert rows
    assert {row["school"]["urn"] for row in rows} >= {senco_school.urn}
    for row in rows:
        shared = row["shares_details_with_local_authority"]
        assert (row["context"] is not None) is shared
    assert {row["shares_details_with_local_authority"] for row in rows} == {True, False}
    local = SupportRequest.objects.filter(school__local_authority=senco_school.local_authority)
    assert len(rows) == local.count()


def test_seed_demo_experts_and_requests_are_varied_and_valid():
    seed()

    experts = ExpertProfile.objects.all()
    assert experts.count() == 12
    assert {expert.school.kind for expert in experts} == {"special"}
    assert experts.filter(is_verified=True).count() >= 8
    assert experts.filter(is_verified=False).exists()
    assert all(expert.specialisms.filter(need__isnull=False).exists() for expert in experts)
    assert all(expert.availability_windows.exists() for expert in experts)
    # The past year's demand (demo/analytics.py) is all closed or cancelled; closed: also the
    # years of past requests behind the demand projection (demo/history.py).
    live = SupportRequest.objects.exclude(title__startswith="Earlier request")
    statuses = set(live.values_list("status", flat=True))
    assert statuses == {
        "draft",
        "cancelled",
        "proposed",
        "unmatched",
        "scheduled",
        "completed",
        "closed",
    }
    assert {r.school.kind for r in SupportRequest.objects.all()} == {"mainstream"}
    demo_expert = ExpertProfile.objects.get(user__email="expert@demo.exchange")
    assert demo_expert.is_verified


def test_seed_demo_runs_a_matching_round_that_proposes_explained_experts():
    seed()

    # The latest: an earlier one (20 days ago) left the demo's past demand unmatched.
    history, run = MatchingRun.objects.order_by("started_at")
    assert history.unmatched.filter(request__title__startswith="Earlier request").exists()
    proposed = SupportRequest.objects.filter(status="proposed")
    assert run.status == "succeeded"
    # One of the round's requests was then accepted and booked (see the next test).
    assert run.matched_count == proposed.count() + 1 > 1
    for proposal in Proposal.objects.filter(request__in=proposed):
        assert proposal.summary.startswith("covers ")
        assert proposal.breakdown[0]["criterion"] == "needs"
    assert run.unmatched.count() == SupportRequest.objects.filter(status="unmatched").count()


def test_seed_demo_books_one_session_with_reminders():
    seed()

    [session] = Session.objects.filter(status="confirmed")
    assert session.request.status == "scheduled"
    assert session.request.created_by.email == "senco@demo.exchange"
    assert session.reminders.count() == 2
    assert not Session.objects.filter(status="offered").exists()


def test_seed_demo_holds_past_sessions_with_feedback_reviews_and_gas_scores():
    seed()

    held = Session.objects.filter(status="completed")
    assert held.count() == 4
    assert held.filter(request__created_by__email="senco@demo.exchange").exists()
    for session in held:
        assert set(session.feedback.values_list("side", flat=True)) == {"school", "expert"}
        assert session_report_for(session) is not None
        assert session.starts_at < timezone.now()
    reviews = OutcomeReview.objects.all()
    assert sorted(r.status for r in reviews) == ["completed", "completed", "skipped"]
    # (+1, 0) and (0, +1, +2), unweighted: 50 + 10 / √2.6 and 50 + 30 / √4.8.
    assert sorted(round(r.t_score, 2) for r in reviews if r.t_score) == [56.2, 63.69]
    assert ExpertTrackRecord.objects.filter(feedback_count__gt=0).exists()
    # The matching round ran after the history: its explanations quote the real ratings.
    assert Proposal.objects.filter(
        request__status="proposed", summary__contains="/5 after "
    ).exists()


def test_seed_demo_refuses_to_run_in_production(settings):
    settings.PRODUCTION = True

    with pytest.raises(CommandError, match="not in production"):
        seed()
    assert not User.objects.exists()
