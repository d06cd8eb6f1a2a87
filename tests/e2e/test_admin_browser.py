"""
The support admin in a real browser: Debian's headless Chromium, driven by Playwright,
against `manage.py runserver` with `seed_demo` data (see `conftest.py`). Screenshots go to
`test-artifacts/` for people to look at.
"""

import pytest

from tests.e2e.conftest import ARTIFACTS_DIR, SUPPORT_EMAIL

pytestmark = pytest.mark.e2e


def log_in_as_support(page, live_app, *, next_path: str) -> None:
    """Logs in as the Support user made by seed_demo, landing on `next_path`."""
    page.goto(f"{live_app.base_url}/admin/login/?next={next_path}")
    page.fill("#id_username", SUPPORT_EMAIL)
    page.fill("#id_password", live_app.support_password)
    page.click("input[type=submit]")


def test_support_finds_a_car_sees_its_owner_and_payload_and_refreshes_it(live_app, page):
    from playwright.sync_api import expect

    ARTIFACTS_DIR.mkdir(exist_ok=True)
    base = live_app.base_url

    log_in_as_support(page, live_app, next_path="/admin/")
    expect(page).to_have_url(f"{base}/admin/")
    # The admin's stylesheets are served (the header is coloured, not transparent).
    header = page.locator("#header")
    expect(header).to_be_visible()
    header_colour = header.evaluate("e => getComputedStyle(e).backgroundColor")
    assert header_colour not in ("rgba(0, 0, 0, 0)", "transparent")

    # Search the way an owner writes the plate.
    page.goto(f"{base}/admin/vehicles/vehicle/")
    page.fill("#searchbar", "bt 57225")
    page.press("#searchbar", "Enter")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("BT 57225")
    changelist_url = page.url

    # The vehicle's page: owner link, raw payload, and no way to save anything.
    rows.first.get_by_role("link", name="BT 57225").click()
    expect(page.locator("#content h1")).to_have_text("View vehicle")
    links = page.locator("#links-group")
    expect(links).to_contain_text("demo@minbil.no")
    expect(links).to_contain_text("Familiebilen")
    payload = page.locator("pre.register-payload")
    page.get_by_role("heading", name="Raw register payload").click()  # a collapsed fieldset
    expect(payload).to_be_visible()
    expect(payload).to_contain_text('"kjoretoydataListe": [')
    expect(page.locator("input[name=_save]")).to_have_count(0)
    expect(page.get_by_role("button", name="Save")).to_have_count(0)
    page.screenshot(path=ARTIFACTS_DIR / "admin-vehicle-support.png", full_page=True)

    # Refresh it from the register with the admin action.
    page.goto(changelist_url)
    page.locator("#result_list tbody tr input.action-select").check()
    page.select_option("select[name=action]", "refresh_from_register")
    page.locator("button[name=index]").click()
    success = page.locator(".messagelist .success")
    expect(success).to_contain_text("BT 57225: refreshed from the register")
    page.screenshot(path=ARTIFACTS_DIR / "admin-refresh-support.png", full_page=True)


def test_support_sees_an_owners_vehicles_and_preferences(live_app, page):
    from playwright.sync_api import expect

    ARTIFACTS_DIR.mkdir(exist_ok=True)
    log_in_as_support(page, live_app, next_path="/admin/accounts/user/")

    page.fill("#searchbar", "demo@minbil")
    page.press("#searchbar", "Enter")
    page.get_by_role("link", name="demo@minbil.no").click()

    expect(page.locator("#content h1")).to_have_text("View user")
    linked = page.locator("#vehicle_links-group")
    for plate in ("BT 57225", "EL 12345", "KH 45678"):
        expect(linked).to_contain_text(plate)
    expect(page.locator(".notification-grid td.changed")).to_have_count(3)
    expect(page.get_by_role("button", name="Save")).to_have_count(0)
    page.screenshot(path=ARTIFACTS_DIR / "admin-user-support.png", full_page=True)
