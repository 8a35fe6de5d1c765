"""CSV for the analytics tables: a header row, then one line per row key and the totals;
DfE's ``c`` on suppressed cells. Errors stay in the one JSON error format."""

import csv
import io
from typing import Any

from drf_orjson_renderer.renderers import ORJSONRenderer
from rest_framework.renderers import BaseRenderer


class CSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: dict[str, Any] | None = None,
    ) -> bytes:
        response = (renderer_context or {}).get("response")
        if (response is not None and response.status_code >= 400) or not isinstance(data, list):
            if response is not None:
                response["Content-Type"] = "application/json"
            return ORJSONRenderer().render(data, "application/json", renderer_context)
        out = io.StringIO()
        csv.writer(out, lineterminator="\r\n").writerows(data)
        return out.getvalue().encode(self.charset)
