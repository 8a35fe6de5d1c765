"""Serializer building blocks shared by every app."""

from typing import Any

from rest_framework import serializers
from rest_framework.fields import empty


class WholeWhenNested(serializers.Serializer):
    """A nested item is always validated whole, even inside a partial (PATCH) parent.

    DRF's ``partial`` reaches every field through ``self.root``, so in a PATCH a nested
    item's required fields quietly become optional and an incomplete item reaches the
    database. ``partial`` means "leave out top-level fields you do not change"; an item the
    client does send replaces the old one and must be complete, exactly as on POST.
    """

    def run_validation(self, data: Any = empty) -> Any:
        if self.root is not self and getattr(self.root, "partial", False):
            whole = type(self)(data=data, context=self.context)
            whole.is_valid(raise_exception=True)
            return whole.validated_data
        return super().run_validation(data)
