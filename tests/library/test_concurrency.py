"""Racing writes on real PostgreSQL: two admins moderating at once, and a double click on
"helpful"."""

from exchange.models import Notification
from library.models import HelpfulMark, Resource
from tests.factories import UserFactory
from tests.postgres import Call, race, racing


@racing
def test_two_admins_rejecting_at_once_one_wins_and_the_author_is_told_once(library, write):
    # Whichever order the two arrive in, a rejected resource cannot be rejected again: with
    # a read-then-write both would have seen "pending" and both written.
    resource = write(library.expert.user)
    Resource.objects.filter(pk=resource["id"]).update(status="pending")
    path = f"/api/v1/resources/{resource['id']}/reject"
    other_admin = UserFactory(is_staff=True)

    answers = race(
        [
            Call(library.admin, path, {"reason": "First."}),
            Call(other_admin, path, {"reason": "Second."}),
        ]
    )

    assert sorted(answer.status for answer in answers) == [200, 409]
    winner = next(a for a in answers if a.status == 200)
    loser = next(a for a in answers if a.status == 409)
    assert loser.body["details"]["current_status"] == "rejected"
    assert Resource.objects.get().rejection_reason == winner.body["rejection_reason"]
    assert Notification.objects.filter(kind="resource_rejected").count() == 1


@racing
def test_a_double_click_on_helpful_counts_once(library, write, publish):
    resource = publish(write(library.expert.user))
    path = f"/api/v1/resources/{resource['id']}/helpful"

    answers = race([Call(library.outsider, path) for _ in range(4)])

    assert sorted(a.status for a in answers) == [200, 200, 200, 201]
    assert HelpfulMark.objects.count() == 1
