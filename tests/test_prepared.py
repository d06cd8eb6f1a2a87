"""`PreparedQuery`: SQL built once; rows exactly as the queryset's `values_list()` gives them."""

import threading

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext

from minbil.prepared import PreparedQuery, cursor
from tests.factories import UserFactory, VehicleLinkFactory
from vehicles.models import VehicleLink
from vehicles.services import unlink_vehicle

pytestmark = pytest.mark.django_db

COLUMNS = (
    "vehicle__registration_number",
    "is_primary",
    "created_at",
    "vehicle__next_inspection_due",
)


def links_of(user_id):
    return VehicleLink.objects.filter(user_id=user_id).order_by("pk").values_list(*COLUMNS)


def test_rows_are_what_the_queryset_gives_for_each_value():
    first, second = UserFactory(), UserFactory()
    VehicleLinkFactory(user=first, is_primary=True)
    VehicleLinkFactory(user=first)
    VehicleLinkFactory(user=second)
    prepared = PreparedQuery(links_of, user_id=-1)

    for user in (first, second, UserFactory()):
        assert prepared.rows(user_id=user.pk) == [list(row) for row in links_of(user.pk)]
    assert prepared.dicts(user_id=second.pk) == list(
        VehicleLink.objects.filter(user=second).values(*COLUMNS)
    )
    assert prepared.rows(user_id=first.pk)[0][2].tzinfo is not None  # converted as the ORM does


def test_the_sql_is_built_once_per_thread(monkeypatch):
    user = UserFactory()
    built = []
    prepared = PreparedQuery(lambda user_id: built.append(user_id) or links_of(user_id), user_id=-1)

    for _ in range(3):
        prepared.rows(user_id=user.pk)

    def in_another_thread():
        try:
            prepared.rows(user_id=user.pk)
        finally:
            connection.close()  # that thread's own connection

    thread = threading.Thread(target=in_another_thread)
    thread.start()
    thread.join()

    assert built == [-1, -1]


def test_instances_are_model_instances_from_the_row():
    user = UserFactory(name="Kari")
    User = get_user_model()
    fields = [field.attname for field in User._meta.concrete_fields]
    prepared = PreparedQuery(
        lambda user_id: User.objects.filter(pk=user_id).values_list(*fields), user_id=-1
    )

    (found,) = prepared.instances(User, user_id=user.pk)

    assert (found.pk, found.name, found.email, found.check_password("x")) == (
        user.pk,
        "Kari",
        user.email,
        False,
    )
    assert found._state.adding is False


def test_a_placeholder_the_orm_changes_is_refused():
    prepared = PreparedQuery(
        lambda email: get_user_model().objects.filter(email__contains=email).values_list("pk"),
        email="Someone@Example.com",
    )

    with pytest.raises(ImproperlyConfigured, match="email"):
        prepared.rows(email="x@example.com")


def prepared_statements() -> list[str]:
    """The statements PostgreSQL keeps prepared for this connection."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [statement for (statement,) in cursor.fetchall()]


@pytest.fixture
def new_connection(transactional_db):
    """On PostgreSQL only: the test runs on a connection of its own, which has prepared nothing."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's prepared statements (SQLite keeps none)")
    connection.close()
    yield
    connection.close()


def test_postgresql_plans_the_query_once_per_connection(new_connection):
    user = UserFactory()
    VehicleLinkFactory(user=user)
    prepared = PreparedQuery(links_of, user_id=-1)

    runs = [prepared.rows(user_id=user.pk) for _ in range(3)]
    list(links_of(user.pk))  # the ORM's own queries are never prepared

    assert runs == [[list(row) for row in links_of(user.pk)]] * 3
    (statement,) = prepared_statements()
    assert '"user_id" = $1' in statement


def test_a_logged_query_is_logged_with_its_sql():
    user = UserFactory()
    prepared = PreparedQuery(links_of, user_id=-1)

    with CaptureQueriesContext(connection) as queries:
        rows = prepared.rows(user_id=user.pk)

    assert rows == []
    (query,) = queries.captured_queries
    assert f'"user_id" = {user.pk}' in query["sql"]


def test_a_statement_of_fixed_text_is_prepared_too(new_connection):
    with cursor(connection) as prepared:
        prepared.execute("SELECT %s::integer + 1", [41])
        assert prepared.fetchone() == (42,)

    assert prepared_statements() == ["SELECT $1::integer + 1"]


def test_the_unlink_deletes_with_a_prepared_statement(new_connection):
    link = VehicleLinkFactory()

    unlink_vehicle(user=link.user, registration_number=link.vehicle.registration_number)

    assert not VehicleLink.objects.filter(pk=link.pk).exists()
    assert [s for s in prepared_statements() if s.startswith("DELETE")]


def test_postgresql_prepares_nothing_once_turned_off(new_connection, monkeypatch):
    """`DATABASE_PREPARED_STATEMENTS=0`, for a pooler that cannot keep them."""
    # The next connection is made with the option (the fixture closed the last one).
    monkeypatch.setitem(connection.settings_dict["OPTIONS"], "prepare_threshold", None)
    user = UserFactory()
    VehicleLinkFactory(user=user)
    prepared = PreparedQuery(links_of, user_id=-1)

    runs = [prepared.rows(user_id=user.pk) for _ in range(3)]

    assert runs == [[list(row) for row in links_of(user.pk)]] * 3
    assert prepared_statements() == []
