"""The exchange's domain constants, each written once and imported wherever it is needed
(models, selectors, the pure scoring and slot-finding modules)."""

from zoneinfo import ZoneInfo

# Every school day, term date and session time is reasoned about in England's civil time
# (stored in UTC); ``settings.TIME_ZONE`` is the same zone.
LONDON_TZID = "Europe/London"
LONDON = ZoneInfo(LONDON_TZID)

# The farthest an expert may say they travel for a visit, and so the farthest any
# in-person candidate can be from the requesting school.
MAX_TRAVEL_KM = 300


def accepts_work(*, is_verified: bool, is_suspended: bool, is_paused: bool) -> bool:
    """An expert takes new work when verified, not suspended by an admin, and not paused by
    themselves. ``ExpertProfile.objects.accepting_work()`` is the same rule in SQL."""
    return is_verified and not is_suspended and not is_paused
