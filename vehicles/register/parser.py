"""
From the register's JSON ("enkeltoppslag", vegvesen.md §4-5) to `VehicleData`.

Defensive by design: every field is optional, arrays may be empty, labels are missing at
random, so each value is read through `_path` and checked for its type; anything absent or
malformed becomes `None` instead of an exception. Codes are keyed on `kodeVerdi`; the text
shown is the register's Norwegian `kodeNavn`, then `kodeBeskrivelse`.

What is stored is checked first: the raw payload must be JSON that both databases keep as it
is (finite numbers, no NUL or lone surrogate characters, bounded nesting), and every parsed
value must fit its column (text length, integer range). An answer that does not is the
register's error (`RegisterError`, 502), never ours: nothing is stored and nothing answers 500.
"""

import datetime
import json
import math
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.models import CharField

from vehicles.models import Vehicle
from vehicles.register.errors import RegisterError, VehicleNotFound

# The register's answers nest about 13 levels deep; far deeper is not a vehicle.
MAX_NESTING = 32
# Integers beyond 64 bits fit no column and no float; the register has no such quantity.
MAX_INTEGER = 2**63 - 1
# The same integer ranges on every database (PostgreSQL's), so SQLite refuses what it would.
INTEGER_RANGES = BaseDatabaseOperations.integer_field_ranges

# Labels for the few codes whose meaning is documented, used when the register omits them.
FUEL_LABELS = {"1": "Bensin", "2": "Diesel", "5": "Elektrisk"}
TRANSMISSION_LABELS = {"M": "Manuell", "A": "Automat"}
REGISTRATION_STATUS_LABELS = {
    "REGISTRERT": "Registrert",
    "AVREGISTRERT": "Midlertidig avregistrert",
    "VRAKET": "Vraket",
    "UTFORT": "Utført",
    "UREGISTRERT": "Uregistrert",
}


@dataclass(frozen=True)
class VehicleData:
    """The parsed register data of one vehicle; field names match `vehicles.models.Vehicle`."""

    vin: str | None = None
    make: str | None = None
    model: str | None = None
    model_year: int | None = None
    fuel_type: str | None = None
    color: str | None = None
    first_registered_at: datetime.date | None = None
    first_registered_in_norway_at: datetime.date | None = None
    registration_status: str | None = None
    registration_status_code: str | None = None
    vehicle_group: str | None = None
    vehicle_group_code: str | None = None
    body_type: str | None = None
    engine_power_kw: float | None = None
    engine_displacement_cc: int | None = None
    transmission: str | None = None
    seats: int | None = None
    doors: int | None = None
    length_mm: int | None = None
    width_mm: int | None = None
    height_mm: int | None = None
    curb_weight_kg: int | None = None
    max_total_weight_kg: int | None = None
    max_trailer_weight_braked_kg: int | None = None
    max_trailer_weight_unbraked_kg: int | None = None
    co2_g_per_km: float | None = None
    tyres: list[dict[str, Any]] = field(default_factory=list)
    inspection_required: bool | None = None
    next_inspection_due: datetime.date | None = None
    last_inspection_approved: datetime.date | None = None


def load_payload(body: bytes) -> Any:
    """
    A register body as JSON that can be stored as it is, or `RegisterError`: not JSON (or
    nested beyond Python's recursion limit), `NaN`/`Infinity` (also as `1e400`), integers
    beyond 64 bits, NUL or lone surrogate characters, nesting deeper than `MAX_NESTING`.
    """
    try:
        payload = json.loads(body, parse_constant=_refuse_constant)
    except RecursionError:
        raise RegisterError("the body is nested too deeply to parse") from None
    except ValueError as exc:  # also bad UTF-8 and integers of more than 4300 digits
        raise RegisterError(f"the body is not JSON ({type(exc).__name__})") from None
    _check_storable(payload)
    return payload


def parse_payload(payload: Any) -> VehicleData:
    """
    Parses a whole register answer. "No data" (`feilmelding`, or an empty or missing list)
    raises `VehicleNotFound`; a body that is not the documented object, or data that does
    not fit its column, raises `RegisterError`.
    """
    if not isinstance(payload, dict):
        raise RegisterError("the body is not a JSON object")
    vehicles = payload.get("kjoretoydataListe")
    if payload.get("feilmelding") or not vehicles:
        raise VehicleNotFound()
    if not isinstance(vehicles, list) or not isinstance(vehicles[0], dict):
        raise RegisterError("kjoretoydataListe is not a list of objects")
    data = _parse_vehicle(vehicles[0])
    _check_columns(data)
    return data


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _check_storable(payload: Any) -> None:
    """Walks the payload (without recursion: it may be deep) for what a database refuses."""
    pending = [(payload, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict | list):
            if depth > MAX_NESTING:
                raise RegisterError(f"the body is nested deeper than {MAX_NESTING} levels")
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str):
                    _check_text(key)
                pending.append((item, depth + 1))
        elif isinstance(value, str):
            _check_text(value)
        elif isinstance(value, float) and not math.isfinite(value):
            raise RegisterError("the body has a number that is not finite")
        elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INTEGER:
            raise RegisterError("the body has an integer beyond 64 bits")


def _check_text(text: str) -> None:
    if "\x00" in text:
        raise RegisterError("the body has a NUL character")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise RegisterError("the body has a lone surrogate character") from None


def _check_columns(data: VehicleData) -> None:
    """Every parsed value fits its column in `Vehicle`: text length and integer range."""
    for name, value in asdict(data).items():
        column = Vehicle._meta.get_field(name)
        if isinstance(value, str) and isinstance(column, CharField):
            if len(value) > column.max_length:
                raise RegisterError(
                    f"{name} is {len(value)} characters; its column holds {column.max_length}"
                )
        elif isinstance(value, int) and not isinstance(value, bool):
            low, high = INTEGER_RANGES[column.get_internal_type()]
            if not low <= value <= high:
                raise RegisterError(f"{name} is {value}, outside {low}..{high}")


def _parse_vehicle(k: dict) -> VehicleData:
    approval = _path(k, "godkjenning", "tekniskGodkjenning")
    t = _path(approval, "tekniskeData")
    classification = _path(approval, "kjoretoyklassifisering")
    motors = [m for m in _list(_path(t, "motorOgDrivverk", "motor")) if isinstance(m, dict)]
    status = _path(k, "registrering", "registreringsstatus")
    group = _path(classification, "tekniskKode") or _path(t, "generelt", "tekniskKode")
    inspection = k.get("periodiskKjoretoyKontroll")
    first_registered = _date(
        _path(k, "godkjenning", "forstegangsGodkjenning", "forstegangRegistrertDato")
    )
    first_in_norway = _date(_path(k, "forstegangsregistrering", "registrertForstegangNorgeDato"))
    first_registered = first_registered or first_in_norway
    vekter = _path(t, "vekter")

    return VehicleData(
        vin=_str(_path(k, "kjoretoyId", "understellsnummer")),
        make=_str(_path(t, "generelt", "merke", 0, "merke")),
        model=_str(_path(t, "generelt", "handelsbetegnelse", 0)),
        # Not in the register: approximated by the year of first registration anywhere.
        model_year=first_registered.year if first_registered else None,
        fuel_type=_fuel_type(motors, t),
        color=_label(_path(t, "karosseriOgLasteplan", "rFarge", 0)),
        first_registered_at=first_registered,
        first_registered_in_norway_at=first_in_norway,
        registration_status=_label(status, REGISTRATION_STATUS_LABELS),
        registration_status_code=_code(status),
        vehicle_group=_str(_path(classification, "beskrivelse")) or _label(group),
        vehicle_group_code=_code(group),
        body_type=_label(_path(t, "karosseriOgLasteplan", "karosseritype")),
        engine_power_kw=_engine_power(motors),
        engine_displacement_cc=_first(_int(m.get("slagvolum")) for m in motors),
        transmission=_label(_path(t, "motorOgDrivverk", "girkassetype"), TRANSMISSION_LABELS),
        seats=_int(_path(t, "persontall", "sitteplasserTotalt")),
        doors=_int(_path(t, "karosseriOgLasteplan", "antallDorer", 0)),
        length_mm=_int(_path(t, "dimensjoner", "lengde")),
        width_mm=_int(_path(t, "dimensjoner", "bredde")),
        height_mm=_int(_path(t, "dimensjoner", "hoyde")),
        curb_weight_kg=_int(_path(vekter, "egenvekt")),
        max_total_weight_kg=_int(_path(vekter, "tillattTotalvekt")),
        max_trailer_weight_braked_kg=_int(_path(vekter, "tillattTilhengervektMedBrems")),
        max_trailer_weight_unbraked_kg=_int(_path(vekter, "tillattTilhengervektUtenBrems")),
        co2_g_per_km=_co2(t),
        tyres=_tyres(t),
        # No periodic-inspection block means the vehicle has no inspection duty.
        inspection_required=isinstance(inspection, dict),
        next_inspection_due=_date(_path(inspection, "kontrollfrist")),
        last_inspection_approved=_date(_path(inspection, "sistGodkjent")),
    )


def _fuel_type(motors: list[dict], t: Any) -> str | None:
    """Every fuel of the vehicle, by code and in the register's order: `Bensin/Elektrisk`."""
    codes = [
        fuel.get("drivstoffKode")
        for motor in motors
        for fuel in _list(motor.get("drivstoff"))
        if isinstance(fuel, dict)
    ]
    if not any(_code(c) for c in codes):  # fall back on the environmental data groups
        groups = _list(_path(t, "miljodata", "miljoOgdrivstoffGruppe"))
        codes = [_path(group, "drivstoffKodeMiljodata") for group in groups]
    labels: dict[str, str] = {}
    for code in codes:
        key, label = _code(code), _label(code, FUEL_LABELS)
        if key and label:
            labels.setdefault(key, label)
    return "/".join(labels.values()) or None


def _engine_power(motors: list[dict]) -> float | None:
    """
    The power of the first motor that states one. A plug-in hybrid lists its combustion
    engine first and an electric motor second; their powers are not additive, so they are
    never summed. Electric motors often state only the one-hour rating (`maksEffektPrTime`).
    """
    for motor in motors:
        for fuel in _list(motor.get("drivstoff")):
            power = _number(_path(fuel, "maksNettoEffekt")) or _number(
                _path(fuel, "maksEffektPrTime")
            )
            if power:
                return power
    return None


def _co2(t: Any) -> float | None:
    """Combined CO₂ in g/km: WLTP weighted (plug-in hybrids), WLTP, then NEDC."""
    results = [
        result
        for group in _list(_path(t, "miljodata", "miljoOgdrivstoffGruppe"))
        for result in _list(_path(group, "forbrukOgUtslipp"))
    ]
    for path in (
        ("wltpKjoretoyspesifikk", "co2VektetKombinert"),
        ("wltpKjoretoyspesifikk", "co2Kombinert"),
        ("co2BlandetKjoring",),
    ):
        value = _first(_number(_path(result, *path)) for result in results)
        if value is not None:
            return value
    return None


def _tyres(t: Any) -> list[dict[str, Any]]:
    """Approved tyre and rim combinations, each with one entry per axle."""
    combinations = []
    for combination in _list(_path(t, "dekkOgFelg", "akselDekkOgFelgKombinasjon")):
        axles = [
            {
                "axle": _int(axle.get("akselId")),
                "tyre_size": _str(axle.get("dekkdimensjon")),
                "load_index": _str(axle.get("belastningskodeDekk")),
                "speed_rating": _str(axle.get("hastighetskodeDekk")),
                "rim_size": _str(axle.get("felgdimensjon")),
                "rim_offset": _str(axle.get("innpress")),
                "twin": axle.get("tvilling") if isinstance(axle.get("tvilling"), bool) else None,
            }
            for axle in _list(_path(combination, "akselDekkOgFelg"))
            if isinstance(axle, dict)
        ]
        if axles:
            combinations.append({"axles": axles})
    return combinations


# --- Tolerant readers --------------------------------------------------------------------


def _path(value: Any, *keys: str | int) -> Any:
    """`value[k1][k2]...`, or None as soon as a key or index is missing or of the wrong type."""
    for key in keys:
        if isinstance(key, int):
            if not isinstance(value, list) or len(value) <= key:
                return None
        elif not isinstance(value, dict):
            return None
        value = value[key] if isinstance(key, int) else value.get(key)
    return value


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _first(values) -> Any:
    return next((v for v in values if v is not None), None)


def _str(value: Any) -> str | None:
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        text = str(value).strip()
        return text or None
    return None


def _int(value: Any) -> int | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return int(value)
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return float(value)
    return None


def _date(value: Any) -> datetime.date | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.date.fromisoformat(value[:10])
    except ValueError:
        return None


def _code(kode: Any) -> str | None:
    """The stable key of a code object (`kodeVerdi`)."""
    return _str(_path(kode, "kodeVerdi"))


def _label(kode: Any, known: dict[str, str] | None = None) -> str | None:
    """The text of a code object: `kodeNavn`, `kodeBeskrivelse`, a known label, the code."""
    if not isinstance(kode, dict):
        return None
    code = _code(kode)
    return (
        _str(kode.get("kodeNavn"))
        or _str(kode.get("kodeBeskrivelse"))
        or (known or {}).get(code or "")
        or code
    )
