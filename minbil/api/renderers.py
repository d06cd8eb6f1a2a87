"""The success envelope: `{"data": ..., "meta": {"request_id", "generated_at"}}`."""

import uuid
from datetime import UTC, datetime
from typing import Any

from rest_framework.renderers import JSONRenderer


def build_meta(request: Any) -> dict[str, str]:
    """The `meta` object of every envelope, success or error."""
    request_id = getattr(request, "request_id", None) or str(uuid.uuid4())
    generated_at = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return {"request_id": request_id, "generated_at": generated_at}


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
        if response is not None:
            if response.exception and isinstance(data, dict) and "error" in data:
                data = {"error": data["error"], "meta": build_meta(request)}
            elif getattr(view, "envelope", True) and response.status_code < 400:
                data = {"data": data, "meta": build_meta(request)}
        return super().render(data, accepted_media_type, renderer_context)
