"""seed_demo leaves enough history for the projection's model, visible to a newcomer."""

import io

import pytest
from django.core.management import call_command
from django.test import Client

from accounts.models import User

pytestmark = pytest.mark.django_db


def test_seed_demo_history_makes_the_projection_use_the_model(client_for):
    call_command("seed_demo", "--password", "pw-for-tests", stdout=io.StringIO())
    admin = User.objects.get(email="admin@demo.exchange")

    results = client_for(admin).get("/api/v1/analytics/projection", {"page_size": 25}).json()

    methods = {(s["need"]["code"], s["method"]) for s in results["results"] if not s["suppressed"]}
    assert ("ASD", "overdispersed_poisson") in methods
    assert ("SEMH", "seasonal_naive") in methods
    asd = next(s for s in results["results"] if s["method"] == "overdispersed_poisson")
    assert asd["history_terms"] == 12
    assert asd["backtest"]["forecasts"] > 0
    assert asd["exposure_pupils"] > 0  # the sample's DfE statistics cover the demo LA
    # The demo's LA officer reads it too: the history is in their LA.
    officer = User.objects.get(email="la@demo.exchange")
    theirs = client_for(officer).get("/api/v1/analytics/projection").json()["results"]
    assert ("ASD", "overdispersed_poisson") in {(s["need"]["code"], s["method"]) for s in theirs}
    # And the dashboard shows it.
    browser = Client()
    browser.force_login(admin)
    assert "(overdispersed poisson)" in browser.get("/admin/").content.decode()
