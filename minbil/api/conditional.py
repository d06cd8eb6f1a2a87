"""
Conditional GET for the answers the apps fetch on every start (the vehicle list and detail,
the notification settings): a strong `ETag` of the answer's data, and `304 Not Modified`
without a body when the client already holds it.

The tag is a hash of the `data` part only (of the whole body where there is no envelope):
`meta` carries the request id and the time, which differ on every answer. A signed photo URL
is part of the data, so the tag changes when a URL's expiry moves on: the client then gets
fresh URLs. `Cache-Control: private, no-cache` lets the app keep the answer and makes it ask
every time (a write on another device shows at once); shared caches never keep it.
"""

import hashlib

from django.http import HttpResponseNotModified
from django.utils.http import parse_etags
from rest_framework.response import Response

from minbil.api.renderers import EncodedData

CACHE_CONTROL = "private, no-cache"


def conditional_response(request, data) -> Response | HttpResponseNotModified:
    """`200` with `data`, its `ETag` and `Cache-Control`; `304` if `If-None-Match` has the tag."""
    encoded = EncodedData.of(data)  # encoded once: for the tag, then as the answer's data
    etag = _tag(encoded)
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
    if _matches(request.headers.get("If-None-Match", ""), etag):
        not_modified = HttpResponseNotModified()
        for name, value in headers.items():
            not_modified[name] = value
        return not_modified
    return Response(encoded, headers=headers)


def etag_of(data) -> str:
    """
    A strong tag: the hash of the data's JSON as the answer carries it. The views build their
    data in a fixed order, so the same data always gives the same tag (no key sorting needed).
    """
    return _tag(EncodedData.of(data))


def _tag(encoded: EncodedData) -> str:
    return f'"{hashlib.blake2b(encoded.content, digest_size=16).hexdigest()}"'


def _matches(if_none_match: str, etag: str) -> bool:
    """RFC 9110's weak comparison, as If-None-Match uses: `W/"x"` matches `"x"`; `*` any."""
    tags = parse_etags(if_none_match)
    return tags == ["*"] or etag in (tag.removeprefix("W/") for tag in tags)
