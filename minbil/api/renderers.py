"""The success envelope: `{"data": ..., "meta": {"request_id", "generated_at"}}`."""

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from rest_framework.renderers import JSONRenderer


def build_meta(request: Any) -> dict[str, str]:
    """The `meta` object of every envelope, success or error."""
    request_id = getattr(request, "request_id", None) or str(uuid.uuid4())
    generated_at = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return {"request_id": request_id, "generated_at": generated_at}


@dataclass(frozen=True)
class EncodedData:
    """
    An answer's data already encoded exactly as the renderer encodes it (`of`): a view that
    needs the bytes anyway (conditional GET hashes them) passes them on, and the envelope is
    built around them instead of encoding the data a second time.
    """

    content: bytes

    @classmethod
    def of(cls, data: Any) -> "EncodedData":
        return cls(JSONRenderer().render(data))


class EnvelopeJSONRenderer(JSONRenderer):
    """
    Wraps every JSON answer of the API in the contract's envelope.

    Errors arrive from the exception handler as `{"error": {...}}` and get `meta` added.
    A view whose published body predates the envelope (the notification settings, the JWT
    library's token pair) sets `envelope = False` and is rendered as is.
    """

    def render(self, data, accepted_media_type=None, renderer_context=None):
        renderer_context = renderer_context or {}
        response = renderer_context.get("response")
        request = renderer_context.get("request")
        view = renderer_context.get("view")
        if isinstance(data, EncodedData) and self.get_indent(accepted_media_type or "", {}):
            data = json.loads(data.content)  # a client asked for indented JSON
        if response is not None:
            if response.exception and isinstance(data, dict) and "error" in data:
                data = {"error": data["error"], "meta": build_meta(request)}
            elif getattr(view, "envelope", True) and response.status_code < 400:
                if isinstance(data, EncodedData):
                    meta = super().render(build_meta(request), accepted_media_type)
                    return b'{"data":%s,"meta":%s}' % (data.content, meta)
                data = {"data": data, "meta": build_meta(request)}
        if isinstance(data, EncodedData):
            return data.content
        return super().render(data, accepted_media_type, renderer_context)
