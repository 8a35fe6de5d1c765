"""Filter types shared by every app's FilterSets."""

import django_filters


def _is_true(value: str) -> bool:
    return value == "true"


class StrictBooleanFilter(django_filters.TypedChoiceFilter):
    """``true`` or ``false``; anything else is a 400 naming the parameter.

    django-filter's BooleanFilter quietly ignores values it cannot read (``?verified=perhaps``
    returns everything), which hides a client's mistake.
    """

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        kwargs.setdefault("choices", [("true", "true"), ("false", "false")])
        kwargs.setdefault("coerce", _is_true)
        super().__init__(*args, **kwargs)
