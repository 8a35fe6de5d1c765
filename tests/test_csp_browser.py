"""The Content-Security-Policy holds in a real browser: headless Chromium loads each page a
person opens (admin login, Swagger UI, the browsable API and its login form) from a live
server and its console shows no CSP violation, while Swagger UI still renders the schema's
operations. A stricter policy that the pages break is caught the same way, so the check
itself is known to see violations.

Skipped where Chromium is not installed, except in CI (``CI`` set), which installs it; and
in the PostgreSQL pass, as the pages' policy does not depend on the database (CI's time).
"""

import os
import shutil
import subprocess
import tempfile

import pytest
from django.contrib.auth import login
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path as url_path
from django.utils import timezone
from django.utils.csp import CSP

from accounts.models import User
from config import urls
from exchange.models import Need
from insights.terms import SchoolTerm
from tests.factories import SchoolFactory, UserFactory
from tests.insights.history import insert_history

BROWSER = next(
    (path for name in ("chromium", "chromium-browser") if (path := shutil.which(name))), None
)
if BROWSER is None and not os.environ.get("CI"):
    pytest.skip("Chromium is not installed", allow_module_level=True)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor == "postgresql", reason="Run once, in the SQLite pass."),
]

PAGES = ["/admin/login/", "/api/docs/", "/api/v1/needs", "/api-auth/login/"]
VIOLATION_MARKERS = ("Content Security Policy", "Refused to", "Permissions-Policy")


ADMIN_EMAIL = "csp-admin@example.org"


def _sign_in_as_admin(request: HttpRequest) -> HttpResponse:
    """Test only: signs the browser in, as headless Chromium cannot fill the login form."""
    login(request, User.objects.get(email=ADMIN_EMAIL), "django.contrib.auth.backends.ModelBackend")
    return redirect("/admin/")


urlpatterns = [url_path("test-sign-in", _sign_in_as_admin), *urls.urlpatterns]


def load(url: str) -> tuple[str, list[str]]:
    """The page's DOM once its scripts ran, and what it wrote to the console."""
    assert BROWSER, "CI must install Chromium (.ci/run)"
    with tempfile.TemporaryDirectory() as profile:
        result = subprocess.run(
            [
                BROWSER,
                "--headless",
                "--no-sandbox",  # CI runs as root
                "--disable-gpu",
                "--no-first-run",
                f"--user-data-dir={profile}",
                "--enable-logging=stderr",
                "--v=0",
                "--virtual-time-budget=8000",
                "--dump-dom",
                url,
            ],
            capture_output=True,
            text=True,
            timeout=90,
            check=False,
        )
    console = [line for line in result.stderr.splitlines() if ":CONSOLE" in line]
    return result.stdout, console


def violations(console: list[str]) -> list[str]:
    return [line for line in console if any(marker in line for marker in VIOLATION_MARKERS)]


@pytest.mark.parametrize("path", PAGES)
def test_page_loads_without_csp_violations(live_server, path):
    dom, console = load(live_server.url + path)

    assert dom.strip(), f"{path} did not load"
    assert violations(console) == []


@pytest.mark.urls(__name__)
def test_the_admin_dashboard_loads_without_csp_violations(live_server):
    UserFactory(email=ADMIN_EMAIL, is_staff=True, is_superuser=True)
    # A transactional test starts without the taxonomy's migrated rows.
    Need.objects.get_or_create(
        code="ASD", defaults={"name": "Autism", "broad_area": "communication_interaction"}
    )
    first = SchoolTerm.of(timezone.localdate()) + -9
    insert_history(SchoolFactory(), "ASD", [12, 9, 6] * 3, first=first)

    dom, console = load(live_server.url + "/test-sign-in")

    assert 'class="insights-dashboard"' in dom
    assert dom.count('class="insights-chart"') == 3
    assert violations(console) == []


def test_swagger_ui_renders_the_schema_from_our_own_files(live_server):
    dom, _ = load(live_server.url + "/api/docs/")

    # Operations appear only once Swagger UI's scripts ran and fetched the schema.
    assert 'data-path="/api/v1/auth/token"' in dom
    assert "cdn" not in dom.lower()


def test_a_policy_the_pages_break_is_reported(live_server, settings):
    settings.SECURE_CSP = {**settings.SECURE_CSP, "style-src": [CSP.SELF]}

    _, console = load(live_server.url + "/api/docs/")

    assert any("style" in line for line in violations(console))
