"""Who may read analytics, and over which schools.

Every analytics figure (demand, supply, flow, unmet demand, outcomes, projections) is
computed over the schools the caller may see figures for; no one else reads analytics.

- platform admins: every school.
- trust coordinators: their trusts' schools.
- local-authority officers: their local authorities' schools (``School.local_authority``).
- a user who is both sees the union.

Figures never name pupils or staff; small counts are suppressed (``insights.suppression``).
"""

from django.db.models import Q

from accounts.access import CallerScope


def reads_analytics(scope: CallerScope) -> bool:
    """Admins, trust coordinators and local-authority officers read analytics; school
    staff, SENCOs and experts do not."""
    return scope.is_admin or bool(scope.trust_ids) or bool(scope.local_authority_ids)


def analytics_schools(scope: CallerScope, prefix: str = "") -> Q:
    """The schools whose figures the caller reads. ``prefix`` applies the rule across a
    relation (``"school__"`` on requests, ``"request__school__"`` on sessions)."""
    if scope.is_admin:
        return Q()
    return Q(**{f"{prefix}trust_id__in": scope.trust_ids}) | Q(
        **{f"{prefix}local_authority_id__in": scope.local_authority_ids}
    )
