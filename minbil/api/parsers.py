"""
The API's JSON parser: Django REST framework's, bounded in depth and in structure.

- Nesting deeper than `MAX_JSON_DEPTH` is `400 invalid_json` (Python's parser would recurse
  until a `RecursionError`, a 500, at about a thousand levels).
- The JSON around the strings (the body with every string emptied) is held to
  `MAX_JSON_BYTES` even where the body may be larger (`@accepts_upload`): the extra room is
  for a photo's base64 text, not for millions of tiny arrays that take twenty times their size
  in memory once parsed.
- Anything that is not JSON (bad syntax, bad encoding, `NaN`) is `400 invalid_json`.

Both checks run on the body's skeleton, found by a regular expression, before it is parsed.
"""

import json
import re
from itertools import accumulate

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

from minbil.api.limits import JSON_LIMIT, PayloadTooLarge, describe_size

MAX_JSON_DEPTH = 32

# A JSON string: quotes around anything but quotes and backslashes, or escapes.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")
_DEPTH_CHANGE = {"[": 1, "{": 1, "]": -1, "}": -1}


class InvalidJSON(ParseError):
    default_code = "invalid_json"
    default_detail = _("The body is not valid JSON.")


class JSONParser(parsers.JSONParser):
    """`application/json`, bounded (see the module's docstring)."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})
        try:
            text = stream.read().decode(encoding)
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
