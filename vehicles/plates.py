"""
Norwegian registration numbers: one canonical form for storage, look-ups and responses.

Input is normalised before anything else (Unicode NFKC, trim, drop spaces, dashes and dots,
upper case), so `" bt-57 225 "` is `BT57225`. What remains must be 2 to 7 of A-Z, Æ, Ø, Å and
0-9: ordinary series plates, and the personalised, veteran and diplomatic ones (vegvesen.md §6).
"""

import re
import unicodedata

from django.utils.translation import gettext_lazy as _

from minbil.errors import DomainError

_SEPARATORS = re.compile(r"[\s\-.]+")
_CANONICAL = re.compile(r"[A-ZÆØÅ0-9]{2,7}")
# What is accepted, as the API schema states it for the raw input: at most MAX_INPUT_LENGTH
# characters, separators anywhere around 2 to 7 letters and digits, either case. (NFKC comes
# first, so full-width forms are accepted too, which the pattern leaves unsaid.)
MAX_INPUT_LENGTH = 20
INPUT_PATTERN = r"^[\s.\-]*(?:[A-Za-z0-9ÆØÅæøå][\s.\-]*){2,7}$"
# Two series letters (never I, M, O, Q) and 4 or 5 digits: shown with the register's space.
_ORDINARY = re.compile(r"([A-HJ-LNPR-Z]{2})([0-9]{4,5})")


class InvalidRegistrationNumber(DomainError):
    status_code = 400
    code = "invalid_registration_number"
    message = _(
        "A registration number is 2 to 7 letters (A-Z, Æ, Ø, Å) and digits, such as BT 57225."
    )


def normalize_registration_number(raw: object, *, field: str = "registration_number") -> str:
    """The canonical form of `raw`; `InvalidRegistrationNumber` (400) for anything else."""
    if not isinstance(raw, str):
        raise InvalidRegistrationNumber(details={field: [_("Must be a string.")]})
    if len(raw) > MAX_INPUT_LENGTH:
        raise InvalidRegistrationNumber(
            details={
                field: [
                    _("At most %(count)d characters, spaces included.")
                    % {"count": MAX_INPUT_LENGTH}
                ]
            }
        )
    canonical = _SEPARATORS.sub("", unicodedata.normalize("NFKC", raw).strip()).upper()
    if not _CANONICAL.fullmatch(canonical):
        raise InvalidRegistrationNumber(details={field: [InvalidRegistrationNumber.message]})
    return canonical


def display_registration_number(canonical: str) -> str:
    """`BT57225` → `BT 57225` for ordinary plates; other plates are shown as they are."""
    match = _ORDINARY.fullmatch(canonical)
    return f"{match[1]} {match[2]}" if match else canonical


def plate_search_term(raw: str) -> str | None:
    """
    The canonical form of a search term that could be (part of) a plate, so `"bt 57225"` or
    `"bt-572"` finds `BT57225`; None for anything else (an email, a VIN). Never raises.
    """
    try:
        return normalize_registration_number(raw)
    except InvalidRegistrationNumber:
        return None
