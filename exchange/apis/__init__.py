"""The exchange's API: the taxonomy, experts, support requests and notifications. The URL
configuration imports the viewsets from here."""

from exchange.apis.experts import (
    AvailabilityExceptionViewSet,
    AvailabilityWindowViewSet,
    CredentialViewSet,
    ExpertViewSet,
)
from exchange.apis.notifications import NotificationViewSet
from exchange.apis.requests import SupportRequestViewSet
from exchange.apis.taxonomy import NeedViewSet, TopicViewSet

__all__ = [
    "AvailabilityExceptionViewSet",
    "AvailabilityWindowViewSet",
    "CredentialViewSet",
    "ExpertViewSet",
    "NeedViewSet",
    "NotificationViewSet",
    "SupportRequestViewSet",
    "TopicViewSet",
]
