"""
The API docs in a real browser, with every request off this server refused (offline), under
their content-security policy: the page must render with nothing refused by the policy.
"""

import pytest

from tests.e2e.conftest import ARTIFACTS_DIR

pytestmark = pytest.mark.e2e


@pytest.fixture
def offline_page(live_app, page):
    """The page, with every request that leaves the app's own server refused and recorded."""
    leaving: list[str] = []

    def only_local(route):
        if route.request.url.startswith(live_app.base_url):
            route.continue_()
        else:
            leaving.append(route.request.url)
            route.abort()

    page.route("**/*", only_local)
    page.leaving = leaving
    page.refused_by_policy = []
    page.on(
        "console",
        lambda message: (
            "Content Security Policy" in message.text
            and page.refused_by_policy.append(message.text)
        ),
    )
    return page


def test_swagger_ui_shows_every_operation_offline(live_app, offline_page):
    from playwright.sync_api import expect

    ARTIFACTS_DIR.mkdir(exist_ok=True)
    offline_page.goto(f"{live_app.base_url}/api/docs")

    operations = offline_page.locator(".opblock")
    expect(operations).to_have_count(29)
    expect(offline_page.locator(".opblock-tag-section")).to_have_count(6)
    link = offline_page.locator(".opblock-post", has_text="Link a vehicle").first
    link.locator(".opblock-summary").click()
    expect(link).to_contain_text("multipart/form-data")
    expect(link).to_contain_text("BT57225")
    offline_page.screenshot(path=ARTIFACTS_DIR / "api-docs-swagger.png", full_page=False)
    assert offline_page.leaving == []
    assert offline_page.refused_by_policy == []


def test_redoc_renders_offline(live_app, offline_page):
    from playwright.sync_api import expect

    ARTIFACTS_DIR.mkdir(exist_ok=True)
    offline_page.goto(f"{live_app.base_url}/api/redoc")

    expect(offline_page.get_by_text("MinBil car-owner API").first).to_be_visible()
    expect(
        offline_page.get_by_text("Link a vehicle (fetched from Statens vegvesen if new)").first
    ).to_be_attached()
    offline_page.screenshot(path=ARTIFACTS_DIR / "api-docs-redoc.png", full_page=False)
    assert offline_page.leaving == []
    # The one thing the policy refuses, on purpose: ReDoc's "API docs by Redocly" logo.
    assert [
        refused
        for refused in offline_page.refused_by_policy
        if not refused.startswith("Loading the image 'https://cdn.redoc.ly/")
    ] == []
