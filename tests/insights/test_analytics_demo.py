"""The demo's data gives analytics worth looking at: figures big enough to publish."""

import pytest

from accounts.models import User
from demo.seed import demo_seed

pytestmark = pytest.mark.django_db


def published_cells(table: dict) -> list[int]:
    """The counts published inside the table (not its totals)."""
    return [c for line in table["cells"][:-1] for c in line[:-1] if isinstance(c, int)]


@pytest.mark.parametrize("email", ["coordinator@demo.exchange", "admin@demo.exchange"])
def test_the_demo_coordinator_and_admin_see_published_figures(client_for, email):
    demo_seed(password="exchange-demo")
    client = client_for(User.objects.get(email=email))

    demand = client.get("/api/v1/analytics/demand?rows=need&columns=all").json()
    assert len(published_cells(demand["tables"][0])) >= 3
    unmet = client.get("/api/v1/analytics/unmet?rows=need&columns=region").json()
    reasons = next(t for t in unmet["tables"] if t["name"] == "reasons")
    assert reasons["cells"][-1][-1] != "<5"  # enough unmet demand to publish its total
    flow = client.get("/api/v1/analytics/flow?rows=broad_area").json()
    rate = next(g for g in flow["figures"] if g["name"] == "match_rate")
    assert rate["cells"][-1][0] is not None
    by_need = client.get("/api/v1/analytics/flow?rows=need").json()
    declines = next(t for t in by_need["tables"] if t["name"] == "declines")
    assert len([line[0] for line in declines["cells"][:-1] if isinstance(line[0], int)]) >= 2
    waits = next(g for g in by_need["figures"] if g["name"] == "days_to_first_proposal")
    assert waits["cells"][-1][0] is not None
