from typing import Any

from django import template

from accounts.access import caller_scope
from insights.dashboard import dashboard

register = template.Library()


@register.inclusion_tag("insights/dashboard.html", takes_context=True)
def insights_dashboard(context: template.Context) -> dict[str, Any]:
    """The dashboard's figures for the admin signed in (the admin index asks only staff)."""
    return dashboard(caller_scope(user=context["request"].user))
