"""Parsing the register's payloads: the three samples, and everything that may be missing."""

import datetime

import pytest

from tests.vehicles.conftest import sample
from vehicles.register import RegisterError, VehicleNotFound, parse_payload


def technical(payload: dict) -> dict:
    return payload["kjoretoydataListe"][0]["godkjenning"]["tekniskGodkjenning"]["tekniskeData"]


def test_plug_in_hybrid_is_parsed_without_adding_motor_powers():
    data = parse_payload(sample("BT57225"))

    assert data.vin == "WVWSYNTH0ME000001"
    assert (data.make, data.model) == ("VOLKSWAGEN", "PASSAT VARIANT GTE")
    assert data.fuel_type == "Bensin/Elektrisk"
    assert data.engine_power_kw == 115.0  # the combustion engine, not 115 + 85
    assert data.engine_displacement_cc == 1395
    assert data.transmission == "Automat"
    assert data.color == "Grå"
    assert data.body_type == "Stasjonsvogn (AC)"
    assert (data.vehicle_group, data.vehicle_group_code) == ("Personbil", "M1")
    assert (data.registration_status, data.registration_status_code) == ("Registrert", "REGISTRERT")
    # Used import: first registered abroad in 2021, in Norway in 2022.
    assert data.first_registered_at == datetime.date(2021, 3, 18)
    assert data.first_registered_in_norway_at == datetime.date(2022, 9, 6)
    assert data.model_year == 2021
    assert (data.seats, data.doors) == (5, 5)
    assert (data.length_mm, data.width_mm, data.height_mm) == (4775, 1832, 1506)
    assert (data.curb_weight_kg, data.max_total_weight_kg) == (1797, 2270)
    assert (data.max_trailer_weight_braked_kg, data.max_trailer_weight_unbraked_kg) == (1600, 750)
    assert data.co2_g_per_km == 31.0  # WLTP weighted combined, the figure for plug-ins
    assert data.inspection_required is True
    assert data.next_inspection_due == datetime.date(2027, 3, 18)
    assert data.last_inspection_approved == datetime.date(2025, 2, 26)
    assert data.tyres == [
        {
            "axles": [
                {
                    "axle": axle,
                    "tyre_size": "215/55R17",
                    "load_index": "94",
                    "speed_rating": "V",
                    "rim_size": "7JX17",
                    "rim_offset": "40",
                    "twin": False,
                }
                for axle in (1, 2)
            ]
        },
        {
            "axles": [
                {
                    "axle": axle,
                    "tyre_size": "235/45R18",
                    "load_index": "98",
                    "speed_rating": "W",
                    "rim_size": "8JX18",
                    "rim_offset": "43",
                    "twin": False,
                }
                for axle in (1, 2)
            ]
        },
    ]


def test_electric_car_has_no_displacement_and_uses_the_one_hour_rating():
    data = parse_payload(sample("EL12345"))

    assert data.vin == "WVWSYNTH0EW000002"
    assert (data.make, data.model, data.model_year) == ("VOLKSWAGEN", "E-GOLF", 2014)
    assert data.fuel_type == "Elektrisk"
    assert data.engine_power_kw == 85.0
    assert data.engine_displacement_cc is None
    assert data.co2_g_per_km == 0.0  # NEDC era
    assert (data.max_trailer_weight_braked_kg, data.max_trailer_weight_unbraked_kg) == (0, 0)
    assert data.tyres[1]["axles"][0]["tyre_size"] == "205/55R16 M+S"
    assert data.next_inspection_due == datetime.date(2028, 5, 22)


def test_diesel_suv_with_missing_labels_and_a_passed_deadline():
    data = parse_payload(sample("KH45678"))

    assert data.vin == "JTMSYNTH00D000045"
    assert (data.make, data.model, data.model_year) == ("TOYOTA", "RAV4", 2016)
    assert data.fuel_type == "Diesel"
    assert data.engine_power_kw == 110.0
    assert data.engine_displacement_cc == 2231
    assert data.transmission == "Manuell"
    assert data.color == "Sølv"
    assert data.co2_g_per_km == 149.0
    assert (data.curb_weight_kg, data.max_total_weight_kg) == (1620, 2200)
    assert data.next_inspection_due == datetime.date(2026, 5, 31)
    assert data.last_inspection_approved == datetime.date(2024, 5, 21)


def test_missing_inspection_block_means_not_required():
    payload = sample("BT57225")
    del payload["kjoretoydataListe"][0]["periodiskKjoretoyKontroll"]

    data = parse_payload(payload)

    assert data.inspection_required is False
    assert data.next_inspection_due is None
    assert data.last_inspection_approved is None


def test_inspection_block_without_last_approval_before_the_first_inspection():
    payload = sample("EL12345")
    del payload["kjoretoydataListe"][0]["periodiskKjoretoyKontroll"]["sistGodkjent"]

    data = parse_payload(payload)

    assert data.inspection_required is True
    assert data.last_inspection_approved is None
    assert data.next_inspection_due == datetime.date(2028, 5, 22)


def test_a_vehicle_with_almost_nothing_parses_to_nulls():
    data = parse_payload({"kjoretoydataListe": [{"kjoretoyId": {"kjennemerke": "AB 12345"}}]})

    assert data.vin is None
    assert data.make is None
    assert data.model_year is None
    assert data.fuel_type is None
    assert data.engine_power_kw is None
    assert data.tyres == []
    assert data.inspection_required is False


def test_empty_arrays_and_wrong_types_become_nulls_not_errors():
    payload = sample("KH45678")
    t = technical(payload)
    t["generelt"]["merke"] = []
    t["generelt"]["handelsbetegnelse"] = "not a list"
    t["motorOgDrivverk"]["motor"] = [{"drivstoff": []}, "junk"]
    t["karosseriOgLasteplan"]["antallDorer"] = []
    t["karosseriOgLasteplan"]["rFarge"] = [{}]
    t["dimensjoner"] = None
    t["vekter"]["egenvekt"] = "1620"
    t["vekter"]["tillattTotalvekt"] = True
    t["dekkOgFelg"]["akselDekkOgFelgKombinasjon"] = [{"akselDekkOgFelg": []}, None]
    payload["kjoretoydataListe"][0]["periodiskKjoretoyKontroll"]["kontrollfrist"] = "31.05.2026"

    data = parse_payload(payload)

    assert data.make is None
    assert data.model is None
    assert data.engine_power_kw is None
    assert data.engine_displacement_cc is None
    assert data.fuel_type == "Diesel"  # from the environmental data group instead
    assert data.doors is None
    assert data.color is None
    assert data.length_mm is None
    assert data.curb_weight_kg is None
    assert data.max_total_weight_kg is None
    assert data.tyres == []
    assert data.next_inspection_due is None
    assert data.vin == "JTMSYNTH00D000045"


def test_labels_fall_back_to_the_description_then_the_code():
    payload = sample("KH45678")
    t = technical(payload)
    fuel = t["motorOgDrivverk"]["motor"][0]["drivstoff"][0]["drivstoffKode"]
    del fuel["kodeNavn"], fuel["kodeBeskrivelse"]
    t["karosseriOgLasteplan"]["rFarge"] = [{"kodeBeskrivelse": " Grønn ", "kodeVerdi": "04"}]
    t["motorOgDrivverk"]["girkassetype"] = {"kodeVerdi": "X"}

    data = parse_payload(payload)

    assert data.fuel_type == "Diesel"  # known code 2
    assert data.color == "Grønn"  # stray whitespace trimmed
    assert data.transmission == "X"


def test_model_year_falls_back_to_first_registration_in_norway():
    payload = sample("EL12345")
    del payload["kjoretoydataListe"][0]["godkjenning"]["forstegangsGodkjenning"]

    assert parse_payload(payload).model_year == 2014


@pytest.mark.parametrize(
    "payload",
    [
        {"feilmelding": "OPPLYSNINGER_IKKE_TILGJENGELIGE"},
        {"feilmelding": "KJENNEMERKE_UKJENT", "kjoretoydataListe": []},
        {"kjoretoydataListe": []},
        {},
    ],
)
def test_no_data_answers_raise_vehicle_not_found(payload):
    with pytest.raises(VehicleNotFound):
        parse_payload(payload)


@pytest.mark.parametrize(
    "payload", [[], "text", None, 42, {"kjoretoydataListe": "x"}, {"kjoretoydataListe": [1]}]
)
def test_undocumented_bodies_raise_register_error(payload):
    with pytest.raises(RegisterError):
        parse_payload(payload)
