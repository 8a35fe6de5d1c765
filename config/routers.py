"""The API's router: a malformed id in any path is a 404 before a view runs."""

from rest_framework.routers import SimpleRouter

from config.hostile import INTEGER_LOOKUP_REGEX, TEXT_LOOKUP_REGEX


class Router(SimpleRouter):
    """``SimpleRouter`` without trailing slashes whose lookup segment fits the lookup: digits
    for the primary key (every model's is an integer, so ``…/credentials/abc`` is a 404 and
    not a failed integer conversion), otherwise (a code or slug) any text without a control
    character (a NUL in ``/needs/…`` is a 404, not a PostgreSQL error). A viewset's own
    ``lookup_value_regex`` wins; id prefixes (``experts/(?P<expert_pk>\\d+)/…``) say so
    themselves.
    """

    def __init__(self) -> None:
        super().__init__(trailing_slash="")

    def get_lookup_regex(self, viewset, lookup_prefix: str = "") -> str:  # type: ignore[no-untyped-def]
        lookup_field = getattr(viewset, "lookup_field", "pk")
        lookup_url_kwarg = getattr(viewset, "lookup_url_kwarg", None) or lookup_field
        default = INTEGER_LOOKUP_REGEX if lookup_field in {"pk", "id"} else TEXT_LOOKUP_REGEX
        value = getattr(viewset, "lookup_value_regex", default)
        return f"(?P<{lookup_prefix}{lookup_url_kwarg}>{value})"
