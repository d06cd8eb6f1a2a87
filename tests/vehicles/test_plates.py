"""Registration numbers: normalised before anything else, validated as the contract says."""

import re

import pytest

from vehicles.plates import (
    INPUT_PATTERN,
    MAX_INPUT_LENGTH,
    InvalidRegistrationNumber,
    display_registration_number,
    normalize_registration_number,
)


@pytest.mark.parametrize(
    "raw, canonical",
    [
        ("BT57225", "BT57225"),
        (" bt-57 225 ", "BT57225"),
        ("bt.57.225", "BT57225"),
        ("BT\u00a057225", "BT57225"),  # no-break space
        ("\uff22\uff34\uff15\uff17\uff12\uff12\uff15", "BT57225"),  # full-width letters and digits
        ("el 1234", "EL1234"),  # four-digit series (motorcycles, trailers)
        ("cd 12345", "CD12345"),  # diplomatic
        ("MINBIL", "MINBIL"),  # personalised
        ("å 1", "Å1"),
        ("A\u030a1", "Å1"),  # decomposed Å, composed by NFKC
        ("ÆØÅ", "ÆØÅ"),
        ("12", "12"),
        ("ab 12 345", "AB12345"),
    ],
)
def test_normalisation_gives_the_canonical_form(raw, canonical):
    assert normalize_registration_number(raw) == canonical


@pytest.mark.parametrize(
    "raw",
    [
        "",
        " ",
        "B",
        "AB123456",
        "BT57225X",
        "BT_57225",
        "BT/57225",
        "BT'57225",
        "ÄB12345",
        "<script>",
    ],
)
def test_invalid_plates_are_refused_with_the_contract_code(raw):
    with pytest.raises(InvalidRegistrationNumber) as caught:
        normalize_registration_number(raw)

    assert caught.value.code == "invalid_registration_number"
    assert caught.value.status_code == 400
    assert "registration_number" in caught.value.details


@pytest.mark.parametrize("raw", [None, 57225, ["BT57225"], {"reg": "BT57225"}])
def test_non_strings_are_refused(raw):
    with pytest.raises(InvalidRegistrationNumber):
        normalize_registration_number(raw)


@pytest.mark.parametrize(
    "canonical, display",
    [("BT57225", "BT 57225"), ("EL1234", "EL 1234"), ("MINBIL", "MINBIL"), ("IO12345", "IO12345")],
)
def test_display_form_adds_the_registers_space_to_ordinary_plates(canonical, display):
    assert display_registration_number(canonical) == display


def test_more_than_20_characters_are_refused_however_they_are_spaced():
    assert normalize_registration_number("B T 5 7 2 2 5" + " " * 7) == "BT57225"  # 20

    with pytest.raises(InvalidRegistrationNumber) as caught:
        normalize_registration_number("B T 5 7 2 2 5" + " " * 8)  # 21

    assert caught.value.details == {
        "registration_number": ["At most 20 characters, spaces included."]
    }


SAMPLES = [
    "BT57225",
    " bt-57 225 ",
    "bt.57.225",
    "Æ1",
    "øl 123",
    "åå",
    "A",
    "AB123456",
    "--",
    "B",
    "BT_57225",
    "BT/57225",
    "ÄB12345",
    "",
    "   ",
    "B T\t5\n7",
    "1234567",
    "12345678",
    "A.B",
    "-.-AB-.-",
    "<script>",
    "BT57225®=BT57225",
    "ü12",
    "AB CD EF G",
    "AB CD EF GH",
]


@pytest.mark.parametrize("raw", SAMPLES)
def test_the_schemas_pattern_says_what_normalisation_accepts(raw):
    """The pattern documents the rule: it matches exactly what normalisation accepts."""
    try:
        normalize_registration_number(raw)
        accepted = True
    except InvalidRegistrationNumber:
        accepted = False

    matches = re.fullmatch(INPUT_PATTERN, raw) is not None and len(raw) <= MAX_INPUT_LENGTH

    assert matches == accepted
