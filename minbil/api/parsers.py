"""
The API's parsers (JSON, bounded in depth and in structure; multipart, with parts) and the media
types each operation accepts.

JSON:

- Nesting deeper than `MAX_JSON_DEPTH` is `400 invalid_json` (Python's parser would recurse
  until a `RecursionError`, a 500, at about a thousand levels).
- The JSON around the strings (the body with every string emptied) is held to
  `MAX_JSON_BYTES` even where the body may be larger (`@accepts_upload`): the extra room is
  for a photo's base64 text, not for millions of tiny arrays that take twenty times their size
  in memory once parsed.
- Anything that is not JSON (bad syntax, bad encoding, `NaN`) is `400 invalid_json`.

Both checks run on the body's skeleton, found by a regular expression, before it is parsed.
The body is read from the request stream in steps (`limits.read_at_most`), not through
Django's `request.body`, which Django REST framework's own JSON parser uses.
"""

import json
import re
from collections.abc import Iterable, Mapping
from itertools import accumulate

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

from minbil.api.limits import JSON_LIMIT, PayloadTooLarge, describe_size, read_at_most

MAX_JSON_DEPTH = 32

# A JSON string: quotes around anything but quotes and backslashes, or escapes.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")
_DEPTH_CHANGE = {"[": 1, "{": 1, "]": -1, "}": -1}


class InvalidJSON(ParseError):
    default_code = "invalid_json"
    default_detail = _("The body is not valid JSON.")


class JSONParser(parsers.BaseParser):
    """`application/json`, bounded (see the module's docstring)."""

    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parsers.get_encoding(parser_context)
        length = int(parser_context["request"].META.get("CONTENT_LENGTH") or 0)
        try:
            text = read_at_most(stream, length).decode(encoding)
        except UnicodeDecodeError:
            raise InvalidJSON(
                _("The body is not valid %(encoding)s.") % {"encoding": encoding}
            ) from None
        check_structure(text)
        try:
            return json.loads(text, parse_constant=_refuse_constant)
        except (ValueError, RecursionError) as exc:
            raise InvalidJSON(
                _("The body is not valid JSON: %(reason)s.") % {"reason": exc}
            ) from None


def check_structure(text: str) -> None:
    """Refuses JSON whose structure is too large or too deep, without parsing it."""
    skeleton = _STRING.sub('""', text)
    limit = getattr(settings, JSON_LIMIT)
    if len(skeleton) > limit:
        raise PayloadTooLarge(
            JSON_LIMIT,
            _("Apart from its strings, the JSON body is larger than the %(size)s limit.")
            % {"size": describe_size(limit)},
        )
    depths = accumulate(_DEPTH_CHANGE[bracket] for bracket in _BRACKET.findall(skeleton))
    if max(depths, default=0) > MAX_JSON_DEPTH:
        raise InvalidJSON(
            _("The JSON body is nested deeper than %(depth)d levels.") % {"depth": MAX_JSON_DEPTH}
        )


def _refuse_constant(name: str):
    """`NaN`, `Infinity` and `-Infinity` are not JSON, whatever Python's parser allows."""
    raise ValueError(f"{name} is not a JSON value")


class MultiPartParser(parsers.MultiPartParser):
    """Django REST framework's, refusing a body with no part at all: RFC 2046 requires one, and
    Django would read such a body (or garbage around a closing boundary) as an empty form."""

    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        if not parsed.data and not parsed.files:
            raise ParseError(_("The multipart body has no parts."))
        return parsed


# The parser of each media type an operation may accept.
PARSERS = {"application/json": JSONParser, "multipart/form-data": MultiPartParser}


def parsers_for(media_types: Iterable[str]) -> list[parsers.BaseParser]:
    """Parsers for exactly these media types: a request in any other is `415`."""
    return [PARSERS[media_type]() for media_type in media_types]


def serializer_for(request, inputs: Mapping[str, type]) -> type:
    """The serializer of `inputs` for the request's media type (the first for no body)."""
    media_type = request.content_type.split(";")[0].strip().lower()
    return inputs.get(media_type) or next(iter(inputs.values()))
