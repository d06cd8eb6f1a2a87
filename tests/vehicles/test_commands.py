"""`vehicle_lookup`, `refresh_vehicles` and `seed_demo`, run through `call_command`."""

import datetime
import io
import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from responses import matchers

from minbil.accounts.models import SUPPORT_GROUP
from notifications.catalogue import DEFAULTS
from notifications.selectors import effective_preferences
from notifications.services import update_preferences
from tests.factories import UserFactory, VehicleFactory
from tests.vehicles.conftest import API_KEY, REGISTER_URL, sample, store_sample
from vehicles.models import Vehicle, VehicleDataChange, VehicleLink
from vehicles.services import unlink_vehicle

pytestmark = pytest.mark.django_db

User = get_user_model()


def run(*args, stdout=None) -> str:
    out = stdout or io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def run_failing(*args) -> tuple[str, str]:
    """Output and error message of a command that must exit non-zero."""
    out = io.StringIO()
    with pytest.raises(CommandError) as failure:
        call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue(), str(failure.value)


class TerminalOutput(io.StringIO):
    def isatty(self) -> bool:
        return True


def for_plate(plate: str):
    return [matchers.query_param_matcher({"kjennemerke": plate})]


def ago(**kwargs) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(**kwargs)


def renewed(name: str, deadline: str) -> dict:
    payload = sample(name)
    payload["kjoretoydataListe"][0]["periodiskKjoretoyKontroll"]["kontrollfrist"] = deadline
    return payload


# --- vehicle_lookup -----------------------------------------------------------------------------


def test_lookup_prints_the_parsed_fields_as_a_table_and_stores_nothing():
    out = run("vehicle_lookup", "bt 57225")

    assert out.startswith("Register: sandbox")
    assert re.search(r"^plate +BT 57225$", out, re.M)
    assert re.search(r"^make +VOLKSWAGEN$", out, re.M)
    assert re.search(r"^next inspection due +2027-03-18$", out, re.M)
    assert re.search(r"^tyres +215/55R17 94V on 7JX17; 235/45R18 98W on 8JX18$", out, re.M)
    assert not Vehicle.objects.exists()


def test_lookup_json_prints_only_the_raw_payload():
    out = run("vehicle_lookup", "EL12345", "--json")

    assert json.loads(out) == sample("EL12345")


def test_lookup_against_the_live_register(live_register):
    live_register.get(REGISTER_URL, json=sample("KH45678"), match=for_plate("KH45678"))

    out = run("vehicle_lookup", "kh-45678")

    assert out.startswith("Register: live (register.test")
    assert re.search(r"^next inspection due +2026-05-31$", out, re.M)
    assert API_KEY not in out


def test_lookup_of_an_invalid_plate_fails_without_calling_the_register(live_register):
    _, error = run_failing("vehicle_lookup", "not a plate!")

    assert "'not a plate!' is not a valid plate" in error
    assert not live_register.calls


@pytest.mark.parametrize(
    "mock_kwargs, message",
    [
        ({"json": sample("not_available")}, "No data available for 'AB 12345' in the register"),
        ({"status": 404}, "No data available"),
        (
            {"status": 429, "headers": {"Retry-After": "3600"}},
            "The register's daily look-up quota is used up; it resets in 1 h 0 min.",
        ),
        ({"status": 503}, "The vehicle register is not answering right now"),
        ({"status": 403}, "The vehicle register answered with an error."),
    ],
)
def test_lookup_failures_are_one_clear_sentence_and_a_non_zero_exit(
    live_register, mock_kwargs, message
):
    live_register.get(REGISTER_URL, **mock_kwargs)

    out, error = run_failing("vehicle_lookup", "AB 12345")

    assert message in error
    assert API_KEY not in error + out


# --- refresh_vehicles ---------------------------------------------------------------------------


@pytest.fixture
def fleet():
    """Four vehicles whose refresh order is fixed by the rules, created out of order."""
    today = timezone.localdate()
    return {
        "routine_newer": VehicleFactory(registration_number="AA10001", data_fetched_at=ago(days=2)),
        "due_soon": VehicleFactory(
            registration_number="AA10002",
            data_fetched_at=ago(days=1),
            next_inspection_due=today + datetime.timedelta(days=30),
        ),
        "never": VehicleFactory(registration_number="AA10003", data_fetched_at=None),
        "routine_older": VehicleFactory(registration_number="AA10004", data_fetched_at=ago(days=9)),
        "overdue": VehicleFactory(
            registration_number="AA10005",
            data_fetched_at=ago(days=3),
            next_inspection_due=today - datetime.timedelta(days=30),
        ),
    }


def listed_plates(out: str) -> list[str]:
    return re.findall(r"^  (AA \d{5})", out, re.M)


def test_dry_run_lists_the_most_urgent_first_and_fetches_nothing(fleet, live_register):
    before = list(Vehicle.objects.values())

    out = run("refresh_vehicles", "--dry-run")

    assert listed_plates(out) == ["AA 10003", "AA 10005", "AA 10002", "AA 10004", "AA 10001"]
    assert "AA 10003   never fetched" in out
    assert "AA 10005   inspection deadline" in out
    assert "Dry run: nothing fetched; would refresh 5, skipped 0." in out
    assert not live_register.calls
    assert list(Vehicle.objects.values()) == before


def test_dry_run_honours_limit_stale_after_and_plates(fleet):
    out = run("refresh_vehicles", "--dry-run", "--stale-after", "2.5", "--limit", "2")

    # Fetched within 2.5 days: AA10001 and AA10002 are fresh; AA10004 is beyond the limit.
    assert listed_plates(out) == ["AA 10003", "AA 10005"]
    assert "2 vehicle(s) fetched within the last 2.5 day(s): skipped." in out
    assert "--limit 2: 1 due vehicle(s) left for later." in out
    assert "would refresh 2, skipped 3." in out

    out = run("refresh_vehicles", "--dry-run", "--plate", "aa 10001", "--plate", "AA-10004")
    assert listed_plates(out) == ["AA 10004", "AA 10001"]


def test_refresh_counts_changed_and_unchanged_and_records_the_changes(live_register):
    moved = store_sample("KH45678")
    same = store_sample("BT57225")
    live_register.get(
        REGISTER_URL, json=renewed("KH45678", "2028-05-31"), match=for_plate("KH45678")
    )
    live_register.get(REGISTER_URL, json=sample("BT57225"), match=for_plate("BT57225"))

    out = run("refresh_vehicles")

    assert "KH 45678   changed: next inspection due 2026-05-31 → 2028-05-31" in out
    assert "BT 57225   unchanged" in out
    assert out.rstrip().endswith("refreshed 2 (changed 1, unchanged 1), failed 0, skipped 0")
    record = VehicleDataChange.objects.get()
    assert record.vehicle == moved
    assert record.source == "command"
    assert record.changes == {"next_inspection_due": {"old": "2026-05-31", "new": "2028-05-31"}}
    same.refresh_from_db()
    assert same.data_fetched_at > ago(minutes=1)


def test_vehicles_fetched_within_the_minimum_age_are_skipped(live_register, settings):
    settings.REGISTER_REFRESH_MIN_AGE_SECONDS = 600
    store_sample("BT57225", data_fetched_at=ago(minutes=4))
    store_sample("KH45678")
    live_register.get(REGISTER_URL, json=sample("KH45678"), match=for_plate("KH45678"))

    planned = run("refresh_vehicles", "--dry-run")
    out = run("refresh_vehicles")

    assert re.search(
        r"^  BT 57225 .*within the refresh minimum age: will be skipped$", planned, re.M
    )
    assert "BT 57225   skipped: Fetched 4 min ago; not fetched again within 10 min." in out
    assert "refreshed 1 (changed 0, unchanged 1), failed 0, skipped 1" in out
    assert len(live_register.calls) == 1


def test_batch_refreshes_stop_at_their_share_of_the_daily_budget(live_register, settings):
    settings.REGISTER_DAILY_BUDGET = 4
    settings.REGISTER_BATCH_SHARE = 0.5
    for plate in ("AA10001", "AA10002", "AA10003"):
        VehicleFactory(registration_number=plate, data_fetched_at=ago(days=1))
    live_register.get(REGISTER_URL, json=sample("BT57225"))

    out, error = run_failing("refresh_vehicles")

    assert "Stopped at AA 10003: Batch refreshes have used their share of today's register " in out
    assert "Done 2 of 3; 1 left, run again after the reset." in out
    assert error == "The register's quota ran out; 1 vehicle(s) not refreshed."
    assert len(live_register.calls) == 2


def test_a_failure_on_one_vehicle_is_reported_and_the_run_goes_on(live_register):
    store_sample("BT57225")
    store_sample("KH45678", data_fetched_at=ago(days=5))  # first: overdue inspection
    live_register.get(REGISTER_URL, json=sample("not_available"), match=for_plate("KH45678"))
    live_register.get(REGISTER_URL, json=sample("BT57225"), match=for_plate("BT57225"))

    out, error = run_failing("refresh_vehicles")

    assert "KH 45678   failed: No data available" in out
    assert "BT 57225   unchanged" in out
    assert "refreshed 1 (changed 0, unchanged 1), failed 1, skipped 0" in out
    assert error == "1 of 2 vehicle(s) could not be refreshed."


def test_a_spent_quota_stops_the_run_and_reports_what_is_left(live_register):
    store_sample("KH45678", data_fetched_at=ago(days=3))
    store_sample("BT57225", data_fetched_at=ago(days=2))
    store_sample("EL12345", data_fetched_at=ago(days=1))
    live_register.get(REGISTER_URL, json=sample("KH45678"), match=for_plate("KH45678"))
    live_register.get(
        REGISTER_URL, status=429, headers={"Retry-After": "600"}, match=for_plate("BT57225")
    )

    out, error = run_failing("refresh_vehicles")

    assert (
        "Stopped at BT 57225: The register's daily look-up quota is used up; it resets in " in out
    )
    assert "Done 1 of 3; 2 left, run again after the reset." in out
    assert "refreshed 1 (changed 0, unchanged 1), failed 0, skipped 2" in out
    assert error == "The register's quota ran out; 2 vehicle(s) not refreshed."
    assert len(live_register.calls) == 2  # EL12345 was never asked for


def test_a_quota_already_known_to_be_spent_stops_before_any_call(live_register):
    store_sample("BT57225")
    live_register.get(REGISTER_URL, status=429, headers={"Retry-After": "600"})
    run_failing("refresh_vehicles")
    calls = len(live_register.calls)

    out, _ = run_failing("refresh_vehicles")

    assert "Done 0 of 1; 1 left" in out
    assert len(live_register.calls) == calls


def test_plates_are_normalised_and_unknown_ones_skipped(live_register):
    store_sample("BT57225")
    store_sample("EL12345")
    live_register.get(REGISTER_URL, json=sample("BT57225"), match=for_plate("BT57225"))

    out = run("refresh_vehicles", "--plate", "bt 57225", "--plate", "ZZ 99999")

    assert "ZZ99999: not stored (an owner has to link it first); skipped." in out
    assert "refreshed 1 (changed 0, unchanged 1), failed 0, skipped 1" in out
    assert len(live_register.calls) == 1


@pytest.mark.parametrize(
    "args, message",
    [
        (["--plate", "not a plate!"], "Invalid plate."),
        (["--limit", "0"], "must be a whole number of 1 or more"),
        (["--stale-after", "-1"], "must be a number of days"),
    ],
)
def test_bad_arguments_fail_before_anything_is_fetched(live_register, args, message):
    VehicleFactory()

    _, error = run_failing("refresh_vehicles", *args)

    assert message in error
    assert not live_register.calls


def test_a_terminal_gets_a_progress_bar(live_register):
    store_sample("BT57225")
    store_sample("EL12345")
    live_register.get(REGISTER_URL, json=sample("BT57225"), match=for_plate("BT57225"))
    live_register.get(
        REGISTER_URL, json=renewed("EL12345", "2030-01-31"), match=for_plate("EL12345")
    )

    out = run("refresh_vehicles", stdout=TerminalOutput())

    assert "\r[###############...............] 1/2" in out
    assert "\r[##############################] 2/2" in out
    assert "EL 12345   changed: next inspection due 2028-05-22 → 2030-01-31" in out
    assert "BT 57225   unchanged" not in out  # the bar stands for unchanged vehicles
    assert "refreshed 2 (changed 1, unchanged 1), failed 0, skipped 0" in out


def test_plain_output_has_no_carriage_returns():
    store_sample("BT57225")

    assert "\r" not in run("refresh_vehicles")


# --- seed_demo ----------------------------------------------------------------------------------


def passwords_in(out: str) -> dict[str, str]:
    return dict(re.findall(r"^(\S+@minbil\.no)  password: (\S+)$", out, re.M))


def test_seed_demo_creates_owner_vehicles_preferences_support_and_admin():
    out = run("seed_demo")

    passwords = passwords_in(out)
    assert set(passwords) == {"demo@minbil.no", "support@minbil.no", "admin@minbil.no"}
    owner = User.objects.get(email="demo@minbil.no")
    assert owner.check_password(passwords["demo@minbil.no"])
    links = VehicleLink.objects.filter(user=owner).select_related("vehicle")
    assert {link.vehicle.registration_number: link.nickname for link in links} == {
        "BT57225": "Familiebilen",
        "EL12345": "",
        "KH45678": "",
    }
    assert links.get(is_primary=True).vehicle.registration_number == "BT57225"
    preferences = effective_preferences(user=owner)
    changed = {
        (event, channel)
        for event, channels in preferences.items()
        for channel, value in channels.items()
        if value != DEFAULTS[event][channel]
    }
    assert changed == {
        ("booking.updated", "email"),
        ("message.new", "email"),
        ("rating.reminder", "push"),
    }
    support = User.objects.get(email="support@minbil.no")
    assert support.is_staff and not support.is_superuser
    assert list(support.groups.values_list("name", flat=True)) == [SUPPORT_GROUP]
    assert support.has_perm("vehicles.refresh_vehicle")
    assert not support.has_perm("vehicles.change_vehiclelink")
    assert User.objects.get(email="admin@minbil.no").is_superuser


def test_seed_demo_is_idempotent_and_keeps_what_the_owner_changed():
    run("seed_demo")
    owner = User.objects.get(email="demo@minbil.no")
    VehicleLink.objects.filter(user=owner, nickname="Familiebilen").update(nickname="Hytta")
    counts = (User.objects.count(), Vehicle.objects.count(), VehicleLink.objects.count())

    out = run("seed_demo")

    assert passwords_in(out) == {}
    assert "demo@minbil.no  exists (password unchanged; --reset-passwords)" in out
    assert (User.objects.count(), Vehicle.objects.count(), VehicleLink.objects.count()) == counts
    assert VehicleLink.objects.filter(user=owner, nickname="Hytta").exists()


def demo_state(owner) -> tuple[dict[str, str], dict]:
    links = VehicleLink.objects.filter(user=owner).select_related("vehicle")
    return (
        {link.vehicle.registration_number: link.nickname for link in links},
        effective_preferences(user=owner),
    )


def test_seed_demo_never_undoes_an_owners_unlink_or_preference_change():
    run("seed_demo")
    owner = User.objects.get(email="demo@minbil.no")
    unlink_vehicle(user=owner, registration_number="EL12345")
    update_preferences(user=owner, changes={"message.new": {"email": True, "push": False}})
    changed = demo_state(owner)

    out = run("seed_demo")

    assert demo_state(owner) == changed
    assert "EL12345" not in changed[0]
    assert changed[1]["message.new"] == {"email": True, "push": False}
    assert "demo@minbil.no  left as it is (--reset restores the demo)" in out


def test_seed_demo_reset_restores_the_demo_state():
    run("seed_demo")
    owner = User.objects.get(email="demo@minbil.no")
    seeded = demo_state(owner)
    unlink_vehicle(user=owner, registration_number="EL12345")
    VehicleLink.objects.filter(user=owner).update(nickname="Renamed")
    update_preferences(user=owner, changes={"booking.accepted": {"push": False}})

    out = run("seed_demo", "--reset")

    assert demo_state(owner) == seeded
    assert passwords_in(out) == {}  # passwords stay unless --reset-passwords


def test_seed_demo_reset_passwords_prints_new_ones():
    run("seed_demo")

    passwords = passwords_in(run("seed_demo", "--reset-passwords"))

    assert len(passwords) == 3
    assert User.objects.get(email="support@minbil.no").check_password(
        passwords["support@minbil.no"]
    )


def test_seed_demo_links_no_sample_vehicle_against_the_live_register(live_register):
    out = run("seed_demo")

    assert "Live register configured: the demo owner gets no sample vehicles." in out
    assert not VehicleLink.objects.exists()
    assert not live_register.calls


def test_seed_demo_makes_an_existing_support_account_staff_in_the_group():
    UserFactory(email="support@minbil.no", is_staff=False)

    run("seed_demo")

    support = User.objects.get(email="support@minbil.no")
    assert support.is_staff
    assert support.groups.filter(name=SUPPORT_GROUP).exists()
