"""The raw baseline for bench/api.py: a bare WSGI app, no Django, that checks the bearer token
the way knox does (the token's first 15 characters select the row, the SHA-512 digest of the
whole token must match, the expiry must lie ahead, the user must be active) and then answers
each benchmarked endpoint with the API's page built by one SQL statement (PostgreSQL JSON
functions). Served by gunicorn with the API's settings: ``gunicorn bench.web.baseline:app``.

It is the limit the API is measured against, not a second implementation: it knows only the
benchmarked URLs and the scope rules of the callers the bench uses.
"""

# ruff: noqa: S608 — the SQL is built from constant fragments; every value is a parameter.
from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import threading
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs, urlencode

import psycopg

DSN = os.environ.get("BENCH_DSN", "")
_local = threading.local()


def connection() -> psycopg.Connection:
    conn = getattr(_local, "conn", None)
    if conn is None or conn.closed:
        conn = psycopg.connect(DSN, autocommit=True)
        conn.execute("SET TIME ZONE 'UTC'")
        _local.conn = conn
    return conn


# --- SQL: the JSON of one support request, one expert, one proposal ----------------------------

SCHOOL = "json_build_object('urn', {s}.urn, 'name', {s}.name, 'kind', {s}.kind)"

REQUEST = (
    "json_build_object("
    "'id', r.id, 'school', " + SCHOOL.format(s="s") + ", 'title', r.title, 'scope', r.scope, "
    "'parental_consent_obtained', r.parental_consent_obtained, "
    "'parental_consent_date', r.parental_consent_date, "
    "'needs', (SELECT coalesce(json_agg(n.code ORDER BY n.position, n.code), '[]') "
    "  FROM exchange_supportrequest_needs rn JOIN exchange_need n ON n.id = rn.need_id "
    "  WHERE rn.supportrequest_id = r.id), "
    "'primary_need', (SELECT code FROM exchange_need WHERE id = r.primary_need_id), "
    "'topics', (SELECT coalesce(json_agg(t.slug ORDER BY t.name, t.id), '[]') "
    "  FROM exchange_supportrequest_topics rt JOIN exchange_topic t ON t.id = rt.topic_id "
    "  WHERE rt.supportrequest_id = r.id), "
    "'phase', r.phase, 'year_groups', r.year_groups, 'sen_status', r.sen_status, "
    "'context', r.context, 'tried_so_far', r.tried_so_far, "
    "'desired_outcome', r.desired_outcome, 'format', r.format, "
    "'staff_attending', r.staff_attending, 'urgency', r.urgency, "
    "'video_acceptable', r.video_acceptable, "
    "'shares_details_with_local_authority', r.shares_details_with_local_authority, "
    "'preferred_windows', (SELECT coalesce(json_agg(json_build_object('date', w.date, "
    "  'start_time', to_char(w.start_time, 'HH24:MI'), "
    "  'end_time', to_char(w.end_time, 'HH24:MI')) ORDER BY w.date, w.start_time, w.id), '[]') "
    "  FROM exchange_preferredwindow w WHERE w.request_id = r.id), "
    "'status', r.status, 'status_changed_at', r.status_changed_at, "
    "'submitted_at', r.submitted_at, 'created_at', r.created_at, 'updated_at', r.updated_at)"
)

# The requests a caller (%(user)s) sees: admins all; else their schools' (staff, SENCO), their
# trusts' schools' (coordinator), and those proposed to them (expert).
REQUEST_SCOPE = (
    "(%(admin)s OR r.id IN ("
    " SELECT id FROM exchange_supportrequest WHERE school_id IN (SELECT school_id "
    "  FROM accounts_membership WHERE user_id = %(user)s AND role IN ('school_staff', 'senco')) "
    " UNION SELECT u.id FROM exchange_supportrequest u JOIN accounts_school us "
    "  ON us.urn = u.school_id WHERE us.trust_id IN (SELECT trust_id FROM accounts_membership "
    "  WHERE user_id = %(user)s AND role = 'trust_coordinator') "
    " UNION SELECT p.request_id FROM matching_proposal p JOIN exchange_expertprofile e "
    "  ON e.id = p.expert_id WHERE e.user_id = %(user)s))"
)

# Two columns, the count and the page's results as JSON text.
REQUEST_LIST = (
    "SELECT (SELECT count(*) FROM exchange_supportrequest r "
    "  JOIN accounts_school s ON s.urn = r.school_id WHERE " + REQUEST_SCOPE + "), "
    "(SELECT coalesce(json_agg(page.j ORDER BY page.created_at DESC, page.id DESC), "
    "  '[]') FROM (SELECT r.id, r.created_at, " + REQUEST + " AS j "
    "  FROM exchange_supportrequest r JOIN accounts_school s ON s.urn = r.school_id "
    "  WHERE " + REQUEST_SCOPE + " ORDER BY r.created_at DESC, r.id DESC "
    "  LIMIT %(limit)s OFFSET %(offset)s) page)::text"
)

REQUEST_DETAIL = (
    "SELECT " + REQUEST + "::text FROM exchange_supportrequest r "
    "JOIN accounts_school s ON s.urn = r.school_id WHERE r.id = %(id)s AND " + REQUEST_SCOPE
)

FORMATS = ("observation_visit", "consultation", "staff_training", "video_call")
PHASES = ("early_years", "primary", "secondary", "post_16")


def _flags(prefix: str, values: Iterable[str]) -> str:
    cases = ", ".join(f"CASE WHEN x.{prefix}{v} THEN '{v}' END" for v in values)
    return f"to_json(array_remove(ARRAY[{cases}]::text[], NULL))"


EXPERT = (
    "json_build_object('id', x.id, 'school', " + SCHOOL.format(s="xs") + ", 'bio', x.bio, "
    "'formats', " + _flags("offers_", FORMATS) + ", 'phases', " + _flags("serves_", PHASES) + ", "
    "'age_min', x.age_min, 'age_max', x.age_max, 'max_travel_km', x.max_travel_km, "
    "'sessions_per_week', x.sessions_per_week, 'sessions_per_month', x.sessions_per_month, "
    "'days_per_term', x.days_per_term, "
    "'specialisms', (SELECT coalesce(json_agg(json_build_object('need', n.code, "
    "  'topic', t.slug, 'level', sp.level) ORDER BY sp.id), '[]') FROM exchange_specialism sp "
    "  LEFT JOIN exchange_need n ON n.id = sp.need_id "
    "  LEFT JOIN exchange_topic t ON t.id = sp.topic_id WHERE sp.expert_id = x.id), "
    "'credentials', (SELECT coalesce(json_agg(json_build_object('id', c.id, 'kind', c.kind, "
    "  'title', c.title, 'awarded_on', c.awarded_on, 'status', c.status, "
    "  'verified_at', c.verified_at) ORDER BY c.id), '[]') FROM exchange_credential c "
    "  WHERE c.expert_id = x.id), "
    "'is_verified', x.is_verified, 'is_paused', x.is_paused, "
    "'accepting_work', x.is_verified AND NOT x.is_suspended AND NOT x.is_paused, "
    "'safeguarding_current', coalesce(x.safeguarding_expires_on >= "
    "  (now() AT TIME ZONE 'Europe/London')::date, false), "
    "'distance_km', round((d.m / 1000)::numeric, 1))"
)

EXPERT_NEAR = (
    "WITH o AS (SELECT easting, northing FROM accounts_school WHERE urn = %(near)s), "
    "page AS (SELECT x.id, d.m, " + EXPERT + " AS j FROM exchange_expertprofile x "
    "  JOIN accounts_school xs ON xs.urn = x.school_id CROSS JOIN o, "
    "  LATERAL (SELECT sqrt(power(xs.easting::float - o.easting, 2) "
    "    + power(xs.northing::float - o.northing, 2)) AS m) d "
    "  WHERE %(admin)s OR (x.is_verified AND NOT x.is_suspended) OR x.user_id = %(user)s "
    "   OR x.school_id IN (SELECT school_id FROM accounts_membership "
    "    WHERE user_id = %(user)s AND role = 'senco') "
    "  ORDER BY d.m ASC NULLS LAST, x.id LIMIT %(limit)s OFFSET %(offset)s) "
    "SELECT (SELECT count(*) FROM exchange_expertprofile x WHERE %(admin)s "
    "  OR (x.is_verified AND NOT x.is_suspended) OR x.user_id = %(user)s "
    "  OR x.school_id IN (SELECT school_id FROM accounts_membership "
    "   WHERE user_id = %(user)s AND role = 'senco')), "
    "(SELECT coalesce(json_agg(page.j ORDER BY page.m ASC NULLS LAST, page.id), "
    "  '[]') FROM page)::text"
)

# The proposals of one request the caller sees, best first: the request's readers see them
# all, an expert their own.
PROPOSALS = (
    "SELECT coalesce(json_agg(json_build_object("
    "'id', p.id, 'request', " + REQUEST + ", "
    "'expert', json_build_object('id', x.id, 'school', " + SCHOOL.format(s="xs") + ", "
    "  'bio', x.bio), "
    "'status', p.status, 'rank', p.rank, 'score', p.score, 'summary', p.summary, "
    "'breakdown', p.breakdown, 'delivery_format', p.delivery_format, "
    "'distance_km', p.distance_km, 'policy_version', pol.version, 'expires_at', p.expires_at, "
    "'decided_at', p.decided_at, 'decline_reason', p.decline_reason, "
    "'decline_reason_code', p.decline_reason_code, "
    "'created_at', p.created_at) ORDER BY p.rank, p.id), '[]')::text "
    "FROM matching_proposal p JOIN exchange_supportrequest r ON r.id = p.request_id "
    "JOIN accounts_school s ON s.urn = r.school_id "
    "JOIN exchange_expertprofile x ON x.id = p.expert_id "
    "JOIN accounts_school xs ON xs.urn = x.school_id "
    "JOIN matching_matchingpolicy pol ON pol.id = p.policy_id "
    "WHERE p.request_id = %(id)s AND " + REQUEST_SCOPE
)

SESSION = (
    "json_build_object('id', se.id, 'request', se.request_id, 'request_title', r.title, "
    "'school', " + SCHOOL.format(s="s") + ", 'expert', se.expert_id, 'expert_name', eu.full_name, "
    "'expert_school', " + SCHOOL.format(s="xs") + ", 'status', se.status, "
    "'starts_at', se.starts_at, 'ends_at', se.ends_at, 'format', se.format, "
    "'location', se.location, 'video_link', se.video_link, "
    "'attendees', (SELECT coalesce(json_agg(json_build_object('full_name', au.full_name, "
    "  'email', au.email) ORDER BY au.email), '[]') FROM exchange_session_attendees a "
    "  JOIN accounts_user au ON au.id = a.user_id WHERE a.session_id = se.id), "
    "'offered_until', se.offered_until, 'confirmed_at', se.confirmed_at, "
    "'cancelled_at', se.cancelled_at, 'cancel_reason', se.cancel_reason, "
    "'sequence', se.sequence, "
    "'changes', (SELECT coalesce(json_agg(json_build_object('kind', c.kind, "
    "  'changed_at', c.changed_at, 'reason', c.reason, 'is_late', c.is_late, "
    "  'previous_starts_at', c.previous_starts_at, 'previous_ends_at', c.previous_ends_at) "
    "  ORDER BY c.changed_at, c.id), '[]') FROM exchange_sessionchange c "
    "  WHERE c.session_id = se.id), "
    "'ics_url', '/api/v1/sessions/' || se.id || '/ics')"
)

# An admin's sessions starting in [after, before): two columns, the count and the results.
SESSIONS = (
    "SELECT (SELECT count(*) FROM exchange_session se WHERE %(admin)s "
    "  AND se.starts_at >= %(after)s AND se.starts_at < %(before)s), "
    "(SELECT coalesce(json_agg(page.j ORDER BY page.starts_at, page.id), '[]') "
    "  FROM (SELECT se.id, se.starts_at, " + SESSION + " AS j FROM exchange_session se "
    "  JOIN exchange_supportrequest r ON r.id = se.request_id "
    "  JOIN accounts_school s ON s.urn = r.school_id "
    "  JOIN exchange_expertprofile x ON x.id = se.expert_id "
    "  JOIN accounts_user eu ON eu.id = x.user_id "
    "  JOIN accounts_school xs ON xs.urn = x.school_id "
    "  WHERE %(admin)s AND se.starts_at >= %(after)s AND se.starts_at < %(before)s "
    "  ORDER BY se.starts_at, se.id LIMIT %(limit)s OFFSET %(offset)s) page)::text"
)

CREATE = (
    "WITH r AS (INSERT INTO exchange_supportrequest (title, scope, parental_consent_obtained, "
    "  phase, year_groups, sen_status, context, tried_so_far, desired_outcome, format, "
    "  staff_attending, urgency, video_acceptable, shares_details_with_local_authority, "
    "  status, status_changed_at, created_at, "
    "  updated_at, created_by_id, primary_need_id, school_id) "
    "  SELECT %(title)s, %(scope)s, false, %(phase)s, %(year_groups)s::jsonb, %(sen_status)s, "
    "  %(context)s, %(tried_so_far)s, %(desired_outcome)s, %(format)s, 1, %(urgency)s, true, "
    "  false, "
    "  'draft', now(), now(), now(), %(user)s, n.id, m.school_id "
    "  FROM exchange_need n, accounts_membership m WHERE n.code = %(primary_need)s "
    "  AND m.user_id = %(user)s AND m.role IN ('school_staff', 'senco') LIMIT 1 RETURNING *), "
    "links AS (INSERT INTO exchange_supportrequest_needs (supportrequest_id, need_id) "
    "  SELECT r.id, n.id FROM r, exchange_need n WHERE n.code = ANY(%(needs)s)) "
    "SELECT json_build_object('id', r.id, 'school', " + SCHOOL.format(s="s") + ", "
    "'title', r.title, 'scope', r.scope, 'parental_consent_obtained', "
    "r.parental_consent_obtained, 'parental_consent_date', r.parental_consent_date, "
    "'needs', (SELECT json_agg(n.code ORDER BY n.position, n.code) FROM exchange_need n "
    "  WHERE n.code = ANY(%(needs)s)), 'primary_need', %(primary_need)s, 'topics', '[]'::json, "
    "'phase', r.phase, 'year_groups', r.year_groups, 'sen_status', r.sen_status, "
    "'context', r.context, 'tried_so_far', r.tried_so_far, "
    "'desired_outcome', r.desired_outcome, 'format', r.format, "
    "'staff_attending', r.staff_attending, 'urgency', r.urgency, "
    "'video_acceptable', r.video_acceptable, "
    "'shares_details_with_local_authority', r.shares_details_with_local_authority, "
    "'preferred_windows', '[]'::json, "
    "'status', r.status, 'status_changed_at', r.status_changed_at, "
    "'submitted_at', r.submitted_at, 'created_at', r.created_at, "
    "'updated_at', r.updated_at)::text FROM r JOIN accounts_school s ON s.urn = r.school_id"
)


# --- the app ------------------------------------------------------------------------------------

AUTH = (
    "SELECT t.digest, t.expiry > now() OR t.expiry IS NULL, u.id, u.is_active, u.is_staff "
    "FROM knox_authtoken t JOIN accounts_user u ON u.id = t.user_id WHERE t.token_key = %s"
)


def authenticate(conn: psycopg.Connection, header: str) -> tuple[int, bool] | None:
    """Knox's check: the token's first 15 characters find the candidates, the digest
    decides; an expired token or an inactive user is refused."""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    digest = hashlib.sha512(token.encode()).hexdigest()
    for stored, live, user_id, active, staff in conn.execute(AUTH, (token[:15],)).fetchall():
        if hmac.compare_digest(stored, digest):
            return (user_id, staff) if live and active else None
    return None


def _page(query: dict[str, list[str]]) -> tuple[int, int]:
    size = min(int(query.get("page_size", ["25"])[0]), 100)
    page = int(query.get("page", ["1"])[0])
    return size, (page - 1) * size


def _links(path: str, query: dict[str, list[str]], count: int, size: int, offset: int) -> dict:
    """DRF's ``next`` and ``previous``: the request's URL with another ``page``."""
    page = offset // size + 1
    rest = urlencode([(k, v) for k, values in query.items() if k != "page" for v in values])

    def link(number: int) -> str:
        return f"http://127.0.0.1{path}?{rest}&page={number}"

    return {
        "next": link(page + 1) if offset + size < count else None,
        "previous": link(page - 1) if page > 1 else None,
    }


def _paged(
    conn: psycopg.Connection,
    sql: str,
    params: dict[str, Any],
    path: str,
    query: dict[str, list[str]],
    size: int,
    offset: int,
) -> bytes:
    """``{"count", "next", "previous", "results"}``: the results as PostgreSQL wrote them."""
    count, results = conn.execute(sql, params).fetchone()  # type: ignore[arg-type, misc]
    head = json.dumps({"count": count, **_links(path, query, count, size, offset)})
    return head[:-1].encode() + b',"results":' + results.encode() + b"}"


def _one(conn: psycopg.Connection, sql: str, params: dict[str, Any]) -> str | None:
    row = conn.execute(sql, params).fetchone()  # type: ignore[arg-type]
    return None if row is None else row[0]


REQUEST_PATH = re.compile(r"^/api/v1/requests/(\d+)$")
PROPOSALS_PATH = re.compile(r"^/api/v1/requests/(\d+)/proposals$")


def handle(environ: dict[str, Any]) -> tuple[str, bytes]:
    conn = connection()
    caller = authenticate(conn, environ.get("HTTP_AUTHORIZATION", ""))
    if caller is None:
        return "401 Unauthorized", b'{"status":401}'
    user, admin = caller
    path, query = environ["PATH_INFO"], parse_qs(environ.get("QUERY_STRING", ""))
    params: dict[str, Any] = {"user": user, "admin": admin}
    if environ["REQUEST_METHOD"] == "POST" and path == "/api/v1/requests":
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = json.loads(environ["wsgi.input"].read(length))
        params.update(
            {
                **{k: body.get(k, "") for k in ("tried_so_far", "urgency")},
                **body,
                "year_groups": json.dumps(body.get("year_groups", [])),
                "urgency": body.get("urgency", "routine"),
            }
        )
        text = _one(conn, CREATE, params)
        return ("201 Created", text.encode()) if text else ("400 Bad Request", b"{}")
    if path == "/api/v1/requests":
        size, offset = _page(query)
        params.update(limit=size, offset=offset)
        return "200 OK", _paged(conn, REQUEST_LIST, params, path, query, size, offset)
    if path == "/api/v1/experts":
        size, offset = _page(query)
        params.update(limit=size, offset=offset, near=int(query["near"][0]))
        return "200 OK", _paged(conn, EXPERT_NEAR, params, path, query, size, offset)
    if path == "/api/v1/sessions" and admin:
        size, offset = _page(query)
        params.update(
            limit=size,
            offset=offset,
            after=query["starts_after"][0],
            before=query["starts_before"][0],
        )
        return "200 OK", _paged(conn, SESSIONS, params, path, query, size, offset)
    if match := PROPOSALS_PATH.match(path):
        params["id"] = int(match[1])
        return "200 OK", (_one(conn, PROPOSALS, params) or "[]").encode()
    if match := REQUEST_PATH.match(path):
        params["id"] = int(match[1])
        text = _one(conn, REQUEST_DETAIL, params)
        return ("200 OK", text.encode()) if text else ("404 Not Found", b'{"status":404}')
    return "404 Not Found", b'{"status":404}'


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    status, body = handle(environ)
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]
