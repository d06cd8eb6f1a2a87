"""The OpenAPI schema: committed, exact, and served with offline docs."""

import base64
import io
import json
import re
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import call_command
from PIL import Image

from notifications.catalogue import EVENTS, FIRST_RELEASE_EVENTS
from vehicles.plates import INPUT_PATTERN, MAX_INPUT_LENGTH

pytestmark = pytest.mark.django_db

COMMITTED = Path(settings.BASE_DIR) / "openapi.yaml"


def generated_schema() -> str:
    out = StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    return out.getvalue()


def test_committed_schema_matches_the_code():
    assert COMMITTED.read_text(encoding="utf-8") == generated_schema(), (
        "openapi.yaml is stale: run `make schema` and commit the result"
    )


@pytest.fixture(scope="module")
def schema() -> dict:
    return yaml.safe_load(COMMITTED.read_text(encoding="utf-8"))


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_operation_ids_are_stable_and_readable(schema):
    ids = {(path, method): op["operationId"] for path, method, op in operations(schema)}

    assert ids == {
        ("/api/auth/register", "post"): "auth_register",
        ("/api/auth/token", "post"): "auth_token",
        ("/api/auth/token/refresh", "post"): "auth_token_refresh",
        ("/api/auth/logout", "post"): "auth_logout",
        ("/api/auth/logout-all", "post"): "auth_logout_all",
        ("/api/auth/password-reset", "post"): "auth_password_reset",
        ("/api/auth/password-reset/confirm", "post"): "auth_password_reset_confirm",
        ("/api/co/me", "get"): "account_retrieve",
        ("/api/co/me", "patch"): "account_update",
        ("/api/co/me", "delete"): "account_delete",
        ("/api/co/me/password", "post"): "account_change_password",
        ("/api/co/me/export", "get"): "account_export",
        ("/api/co/settings/notifications", "get"): "notification_settings_retrieve",
        ("/api/co/settings/notifications", "put"): "notification_settings_update",
        ("/api/co/settings/notifications", "patch"): "notification_settings_partial_update",
        ("/api/co/vehicles", "get"): "vehicles_list",
        ("/api/co/vehicles", "post"): "vehicles_link",
        ("/api/co/vehicles", "delete"): "vehicles_unlink",
        ("/api/co/vehicles/{reg}", "get"): "vehicles_retrieve",
        ("/api/co/vehicles/{reg}", "put"): "vehicles_update",
        ("/api/co/vehicles/{reg}", "patch"): "vehicles_partial_update",
        ("/api/co/vehicles/{reg}", "delete"): "vehicles_unlink_by_path",
        ("/api/co/vehicles/refresh/{reg}", "post"): "vehicles_refresh",
        ("/api/co/vehicles/set-primary", "post"): "vehicles_set_primary",
        ("/api/co/devices", "get"): "devices_list",
        ("/api/co/devices", "post"): "devices_register",
        ("/api/co/devices/{token}", "delete"): "devices_remove",
        ("/api/internal/notifications", "post"): "internal_notifications_send",
        ("/api/internal/notifications/{notification_id}", "get"): "internal_notifications_status",
    }


def test_every_owner_operation_requires_the_bearer_token(schema):
    assert schema["components"]["securitySchemes"]["jwtAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }
    for path, _, operation in operations(schema):
        if path.startswith("/api/co/") or path == "/api/auth/logout-all":
            assert operation["security"] == [{"jwtAuth": []}]
            assert "401" in operation["responses"]
        elif path.startswith("/api/internal/"):
            assert operation["security"] == [{"internalToken": []}]
            assert "401" in operation["responses"]
        else:
            assert operation.get("security", [{}]) == [{}]


def test_the_sender_api_has_its_own_tag_and_security_scheme(schema):
    scheme = schema["components"]["securitySchemes"]["internalToken"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert "bearerFormat" not in scheme  # a service token, not a JWT
    internal = [op for path, _, op in operations(schema) if path.startswith("/api/internal/")]
    assert len(internal) == 2
    assert all(op["tags"] == ["internal notifications"] for op in internal)
    send = next(op for op in internal if op["operationId"] == "internal_notifications_send")
    assert set(send["responses"]) >= {"200", "202", "400", "401", "404", "409", "415", "503"}
    body = schema["components"]["schemas"]["SendNotificationInputRequest"]
    assert set(body["required"]) == {"event", "title", "body", "idempotency_key"}
    assert body["properties"]["idempotency_key"]["pattern"] == "^[!-~]{1,190}$"
    assert body["properties"]["data"]["maxProperties"] == 10


def response_ref(operation, status: str, media: str = "application/json") -> str:
    return operation["responses"][status]["content"][media]["schema"]["$ref"].split("/")[-1]


def test_success_envelopes_carry_the_real_data_shape(schema):
    ops = {op["operationId"]: op for _, _, op in operations(schema)}
    components = schema["components"]["schemas"]

    assert response_ref(ops["vehicles_link"], "201") == "VehicleLinkDetailEnvelope"
    assert response_ref(ops["vehicles_link"], "200") == "VehicleLinkDetailEnvelope"
    detail = components["VehicleLinkDetailEnvelope"]
    assert detail["properties"]["data"]["$ref"].endswith("/VehicleLinkDetail")
    assert detail["properties"]["meta"]["$ref"].endswith("/Meta")
    listing = components["VehicleLinkSummaryListEnvelope"]["properties"]["data"]
    assert listing["type"] == "array"
    assert listing["items"]["$ref"].endswith("/VehicleLinkSummary")
    assert {ref["$ref"].split("/")[-1] for ref in components["VehicleListOrDetail"]["oneOf"]} == {
        "VehicleLinkSummaryListEnvelope",
        "VehicleLinkDetailEnvelope",
    }
    assert response_ref(ops["vehicles_unlink"], "200") == "UnlinkOutputEnvelope"
    assert response_ref(ops["auth_register"], "201") == "UserOutputEnvelope"
    assert response_ref(ops["auth_token"], "200") == "TokenPair"
    assert response_ref(ops["auth_token_refresh"], "200") == "TokenPair"
    assert response_ref(ops["account_retrieve"], "200") == "ProfileOutputEnvelope"
    assert response_ref(ops["account_change_password"], "200") == "TokenPairEnvelope"
    assert response_ref(ops["auth_password_reset"], "202") == "DetailOutputEnvelope"
    export = components["AccountExportEnvelope"]["properties"]["data"]["$ref"].split("/")[-1]
    assert set(components[export]["properties"]) == {
        "account",
        "vehicles",
        "inspection_reminders",
        "notification_preferences",
        "notifications_sent",
        "push_devices",
    }
    for section in ("vehicles", "inspection_reminders", "notifications_sent", "push_devices"):
        assert components[export]["properties"][section]["type"] == "array"


def test_account_deletion_documents_its_password_body(schema):
    delete = schema["paths"]["/api/co/me"]["delete"]
    body = delete["requestBody"]["content"]["application/json"]["schema"]["$ref"]

    assert body.endswith("/PasswordInputRequest")
    assert schema["components"]["schemas"]["PasswordInputRequest"]["required"] == ["password"]


def test_the_export_documents_its_attachment_header(schema):
    ok = schema["paths"]["/api/co/me/export"]["get"]["responses"]["200"]

    assert ok["headers"]["Content-Disposition"]["required"] is True


def test_missing_register_data_is_documented_as_nullable(schema):
    detail = schema["components"]["schemas"]["VehicleLinkDetail"]
    for field in ("make", "vin", "engine_displacement_cc", "next_inspection_due", "image_url"):
        assert detail["properties"][field]["nullable"] is True
    assert set(detail["required"]) >= {"registration_number", "inspection_status", "tyres"}


def test_notification_bodies_list_8_events_by_2_channels(schema):
    components = schema["components"]["schemas"]
    answer = components["PreferencesOutput"]["properties"]["preferences"]
    partial = components["PreferencesInputRequest"]
    events = [
        "booking.requested",
        "booking.accepted",
        "booking.declined",
        "booking.updated",
        "booking.completed",
        "message.new",
        "rating.reminder",
        "inspection.due",  # added since the first release
    ]

    assert answer["required"] == events
    assert partial["additionalProperties"] is False and "required" not in partial
    for event in events:
        assert answer["properties"][event]["required"] == ["email", "push"]
        assert set(partial["properties"][event]["properties"]) == {"email", "push"}
        assert partial["properties"][event]["additionalProperties"] is False


@pytest.mark.parametrize(
    "operation_id, statuses",
    [
        ("auth_register", {"201", "400", "409", "411", "413", "415", "429", "503"}),
        ("auth_token", {"200", "400", "401", "411", "413", "415", "429", "503"}),
        ("vehicles_list", {"200", "304", "400", "401", "404", "503"}),
        (
            "vehicles_link",
            {"200", "201", "400", "401", "404", "409", "411", "413", "415", "429", "502", "503"},
        ),
        ("vehicles_update", {"200", "400", "401", "404", "411", "413", "415", "429", "503"}),
        ("vehicles_unlink", {"200", "400", "401", "404", "503"}),
        ("vehicles_refresh", {"200", "400", "401", "404", "429", "502", "503"}),
        ("vehicles_set_primary", {"200", "400", "401", "404", "411", "413", "415", "503"}),
        ("notification_settings_update", {"200", "400", "401", "411", "413", "415", "503"}),
    ],
)
def test_each_operation_documents_its_error_statuses(schema, operation_id, statuses):
    operation = next(op for _, _, op in operations(schema) if op["operationId"] == operation_id)

    assert set(operation["responses"]) == statuses
    for status in statuses - {"200", "201", "304"}:
        assert response_ref(operation, status) == "ErrorEnvelope"


@pytest.mark.parametrize(
    "operation_id", ["vehicles_list", "vehicles_retrieve", "notification_settings_retrieve"]
)
def test_conditional_gets_document_the_etag_and_the_304(schema, operation_id):
    operation = next(op for _, _, op in operations(schema) if op["operationId"] == operation_id)

    headers = {p["name"] for p in operation["parameters"] if p["in"] == "header"}
    assert "If-None-Match" in headers
    for status in ("200", "304"):
        assert set(operation["responses"][status]["headers"]) == {"ETag", "Cache-Control"}
    assert "content" not in operation["responses"]["304"]


def test_every_operation_documents_503_while_the_database_is_unavailable(schema):
    for _, _, operation in operations(schema):
        unavailable = operation["responses"]["503"]
        assert "`service_unavailable`" in unavailable["description"]
        assert response_ref(operation, "503") == "ErrorEnvelope"


def test_plate_query_parameters_and_request_media_types(schema):
    ops = {op["operationId"]: op for _, _, op in operations(schema)}

    for operation_id in ("vehicles_list", "vehicles_unlink"):
        names = {p["name"] for p in ops[operation_id]["parameters"] if p["in"] == "query"}
        assert names == {"registration_number", "reg"}
    for operation_id in ("vehicles_link", "vehicles_update"):
        content = ops[operation_id]["requestBody"]["content"]
        assert set(content) == {"application/json", "multipart/form-data"}
        multipart = schema["components"]["schemas"][
            content["multipart/form-data"]["schema"]["$ref"].split("/")[-1]
        ]
        assert multipart["properties"]["file"]["format"] == "binary"


def test_the_excerpts_request_examples_are_in_the_schema(schema):
    ops = {op["operationId"]: op for _, _, op in operations(schema)}

    def examples(operation_id):
        content = ops[operation_id]["requestBody"]["content"]["application/json"]
        return [example["value"] for example in content["examples"].values()]

    # The excerpt's `"image": "string_value"` is a placeholder: the examples carry a real
    # photo, so every documented example is a request the API accepts.
    link = next(e for e in examples("vehicles_link") if e.get("nickname") == "string_value")
    update = next(e for e in examples("vehicles_update") if e.get("nickname") == "string_value")
    assert link["registration_number"] == "BT57225"
    for example in (link, update):
        with Image.open(io.BytesIO(base64.b64decode(example["image"], validate=True))) as photo:
            assert photo.format == "PNG"
    assert {"registration_number": "BT57225"} in examples("vehicles_set_primary")
    notification = ops["notification_settings_update"]["requestBody"]["content"]
    seed = notification["application/json"]["examples"]["ExcerptExample"]["value"]
    # Verbatim: the excerpt's seven events, not the catalogue as it has grown since.
    assert seed == {event: {"email": True, "push": True} for event in FIRST_RELEASE_EVENTS}
    assert len(seed) == 7 and set(seed) < set(EVENTS)


def test_schema_endpoint_serves_yaml_and_json(api_client):
    as_yaml = api_client.get("/api/schema")
    as_json = api_client.get("/api/schema?format=json")

    assert as_yaml.status_code == 200
    assert as_yaml["Content-Type"].startswith("application/vnd.oai.openapi")
    assert yaml.safe_load(as_yaml.content)["openapi"].startswith("3.")
    assert as_json.status_code == 200
    assert json.loads(as_json.content)["info"]["title"] == "MinBil car-owner API"


@pytest.mark.parametrize("path", ["/api/docs", "/api/redoc"])
def test_docs_load_their_assets_from_this_server_only(api_client, path):
    page = api_client.get(path)

    assert page.status_code == 200
    html = page.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets, "the page references its scripts"
    for asset in assets:
        assert not asset.startswith(("http:", "https:", "//")), asset
        if asset.startswith("/static/"):
            assert api_client.get(asset).status_code == 200, asset
    assert "cdn" not in html.lower()


@pytest.mark.parametrize("path", ["/api/docs", "/api/redoc"])
def test_docs_run_under_a_strict_content_security_policy(api_client, path):
    page = api_client.get(path)

    policy = dict(
        directive.strip().split(" ", 1) for directive in page["Content-Security-Policy"].split(";")
    )
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == "'self'"
    assert policy["connect-src"] == policy["img-src"].split()[0] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page.content.decode(), re.S)
    assert scripts
    for attributes, body in scripts:  # every script is a file of this server, none inline
        assert 'src="/' in attributes and not body.strip(), attributes


def test_swagger_uis_initialiser_is_served_as_a_script(api_client):
    script = api_client.get("/api/docs?script=")

    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


def test_request_fields_carry_their_rules(schema):
    components = schema["components"]["schemas"]
    link_json, link_form = (
        components["VehicleLinkJsonRequest"],
        components["VehicleLinkMultipartRequest"],
    )

    for body in (link_json, link_form, components["PlateRequest"]):
        assert body["anyOf"] == [{"required": ["registration_number"]}, {"required": ["reg"]}]
        for key in ("registration_number", "reg"):
            assert body["properties"][key]["pattern"] == INPUT_PATTERN
            assert body["properties"][key]["maxLength"] == MAX_INPUT_LENGTH
    assert link_json["properties"]["image"]["format"] == "byte"
    assert link_json["properties"]["nickname"]["maxLength"] == 60
    assert link_form["properties"]["file"]["format"] == "binary"
    assert "image" not in link_form["properties"]  # its other name, described in words
    ops = {op["operationId"]: op for _, _, op in operations(schema)}
    for operation_id in ("vehicles_link", "vehicles_set_primary", "vehicles_update"):
        required = ops[operation_id]["requestBody"].get("required", False)
        assert required is (operation_id != "vehicles_update")
    assert set(ops["vehicles_set_primary"]["requestBody"]["content"]) == {"application/json"}


def test_photo_limits_in_the_schema_come_from_the_settings(settings):
    settings.MAX_IMAGE_BYTES = 3_000_000
    settings.MAX_DECODE_BYTES = 99_000_000

    components = yaml.safe_load(generated_schema())["components"]["schemas"]

    image = components["VehicleLinkJsonRequest"]["properties"]["image"]
    assert image["maxLength"] == 4_000_000  # the base64 length of 3 000 000 bytes
    assert "at most 3000000 bytes" in image["description"]
    assert "99000000 bytes of memory" in image["description"]
    assert "15 MB" not in generated_schema()
