from django.conf import settings
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination


class StandardPagination(PageNumberPagination):
    """Page-number pagination; ``page_size`` above the cap is clamped to the cap.

    Malformed values are refused, not quietly replaced: ``page_size`` that is not a whole
    number of at least 1 is a 400 naming it; an empty or malformed ``page`` is a 404, as a
    page past the end is.
    """

    page_size_query_param = "page_size"

    @property
    def page_size(self) -> int:  # type: ignore[override]
        return settings.API_PAGE_SIZE

    @property
    def max_page_size(self) -> int:  # type: ignore[override]
        return settings.API_MAX_PAGE_SIZE

    def get_page_size(self, request) -> int:  # type: ignore[no-untyped-def]
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isascii() or not raw.isdigit() or int(raw) < 1:
            raise ValidationError({self.page_size_query_param: ["Must be a whole number ≥ 1."]})
        return min(int(raw), self.max_page_size)

    def get_page_number(self, request, paginator) -> str:  # type: ignore[no-untyped-def]
        number = request.query_params.get(self.page_query_param)
        if number is not None and not number:
            raise NotFound("Invalid page.")
        return super().get_page_number(request, paginator)
