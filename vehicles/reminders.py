"""
EU-kontroll reminders: which owners are due which reminder, sent through notifications'
public API (`notify_many`) with what to say and the plate as the reference.

Every owner who linked a vehicle with an inspection deadline is reminded when the deadline
is 30 days away or less, again at 7 days or less, and once when it has passed. Each step goes
out once per owner, vehicle and deadline: an `InspectionReminder` row records it, and its
unique constraint (with the notification's unique idempotency key) decides between two runs
at once. A run sends only the step that applies today, so a missed day never causes a burst,
and a changed deadline (the vehicle passed) starts a new series.

Before reminding, vehicles whose register data is older than 7 days are refreshed, within
the batch share of the register's budget, so a deadline already met is not reminded of. When
such a refresh fails (the register is unavailable, its budget is spent, it has no data), the
reminder waits for the next run while it is less than `HOLD_DAYS` late; after that it goes
out from the stored data. A wrong reminder is worse than a late one, but a register outage
must not silence reminders for long.

A run costs a fixed handful of queries per 1 000 due reminders (and the register calls of
the refreshes), whatever the number of vehicles and links.
"""

import datetime
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Case, Exists, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone

from notifications.catalogue import Event
from notifications.services import NotificationRequest, notify_many
from vehicles.models import (
    ChangeSource,
    InspectionReminder,
    ReminderStep,
    Vehicle,
    VehicleLink,
)
from vehicles.register import RefreshStatus, refresh_each

FIRST_REMINDER_DAYS = 30
LAST_REMINDER_DAYS = 7
# Data older than this is refreshed before its owners are reminded.
STALE_AFTER = datetime.timedelta(days=7)
# A reminder waits for a failed refresh until it is this many days late.
HOLD_DAYS = 2
CHUNK = 1000
TEMPLATE = "vehicles/email/inspection_due"
# Temporarily deregistered, scrapped or exported vehicles are not driven: no reminders.
# A vehicle whose status the register did not give is reminded of.
REGISTERED = "REGISTRERT"


@dataclass
class PlannedReminder:
    """One reminder a run sends (or would send, in a dry run)."""

    link: VehicleLink
    step: str

    @property
    def deadline(self) -> datetime.date:
        return self.link.vehicle.next_inspection_due


@dataclass
class ReminderRun:
    """What a run did, for its log line and the command."""

    sent: int = 0
    held: int = 0
    refreshed: int = 0
    refresh_failed: int = 0
    planned: list[PlannedReminder] = field(default_factory=list)

    def describe(self) -> str:
        return (
            f"EU-kontroll reminders: sent {self.sent}, held {self.held} for a failed refresh; "
            f"refreshed {self.refreshed} vehicle(s) first, {self.refresh_failed} not refreshed"
        )


def step_began(step: str, deadline: datetime.date) -> datetime.date:
    """The first day `step` applied to `deadline`."""
    days = {
        ReminderStep.DAYS_30: -FIRST_REMINDER_DAYS,
        ReminderStep.DAYS_7: -LAST_REMINDER_DAYS,
        ReminderStep.OVERDUE: 1,
    }[step]
    return deadline + datetime.timedelta(days=days)


def due_reminders(today: datetime.date) -> QuerySet[VehicleLink]:
    """
    Links whose owner is due a reminder today and has not had it: the step that applies
    (`step`), with no `InspectionReminder` for that owner, vehicle, deadline and step.
    """
    deadline = "vehicle__next_inspection_due"
    step = Case(
        When(**{f"{deadline}__lt": today}, then=Value(ReminderStep.OVERDUE)),
        When(
            **{f"{deadline}__lte": today + datetime.timedelta(days=LAST_REMINDER_DAYS)},
            then=Value(ReminderStep.DAYS_7),
        ),
        default=Value(ReminderStep.DAYS_30),
    )
    issued = InspectionReminder.objects.filter(
        user_id=OuterRef("user_id"),
        vehicle_id=OuterRef("vehicle_id"),
        deadline=OuterRef(deadline),
        step=OuterRef("step"),
    )
    return (
        VehicleLink.objects.filter(
            **{f"{deadline}__lte": today + datetime.timedelta(days=FIRST_REMINDER_DAYS)},
            user__is_active=True,
        )
        .exclude(vehicle__inspection_required=False)
        .filter(
            Q(vehicle__registration_status_code=REGISTERED)
            | Q(vehicle__registration_status_code__isnull=True)
        )
        .annotate(step=step)
        .exclude(Exists(issued))
    )


def send_inspection_reminders(
    *, today: datetime.date | None = None, dry_run: bool = False
) -> ReminderRun:
    """
    Sends the reminders due today (see the module docstring). A dry run refreshes nothing,
    sends nothing and lists what would be sent in `planned` (from the data as stored).
    """
    today = today or timezone.localdate()
    run = ReminderRun()
    held = set() if dry_run else _refresh_stale_vehicles(today, run)
    last_pk = 0
    while True:
        links = list(
            due_reminders(today)
            .filter(pk__gt=last_pk)
            .select_related("vehicle")
            .only(
                "pk",
                "user_id",
                "nickname",
                "vehicle__registration_number",
                "vehicle__make",
                "vehicle__model",
                "vehicle__next_inspection_due",
            )
            .order_by("pk")[:CHUNK]
        )
        if not links:
            return run
        last_pk = links[-1].pk
        planned = [
            PlannedReminder(link, link.step) for link in links if link.vehicle_id not in held
        ]
        run.held += len(links) - len(planned)
        if dry_run:
            run.planned.extend(planned)
        else:
            run.sent += _send(planned, today)


def _send(planned: list[PlannedReminder], today: datetime.date) -> int:
    """Records the reminders and hands them to notifications in one transaction."""
    with transaction.atomic():
        InspectionReminder.objects.bulk_create(
            [
                InspectionReminder(
                    user_id=p.link.user_id,
                    vehicle_id=p.link.vehicle_id,
                    deadline=p.deadline,
                    step=p.step,
                )
                for p in planned
            ],
            ignore_conflicts=True,
        )
        return len(notify_many([_notification(p, today) for p in planned]))


def _notification(reminder: PlannedReminder, today: datetime.date) -> NotificationRequest:
    link, vehicle, deadline = reminder.link, reminder.link.vehicle, reminder.deadline
    return NotificationRequest(
        user_id=link.user_id,
        event=Event.INSPECTION_DUE,
        idempotency_key=(
            f"{Event.INSPECTION_DUE}:{link.user_id}:{vehicle.pk}:{deadline}:{reminder.step}"
        ),
        template=TEMPLATE,
        context={
            "vehicle": describe_vehicle(link),
            "nickname": link.nickname,
            "plate": vehicle.display_registration_number,
            "make": vehicle.make or "",
            "model": vehicle.model or "",
            "deadline": deadline.isoformat(),
            "days_left": (deadline - today).days,
            "step": reminder.step,
        },
        data={
            "registration_number": vehicle.registration_number,
            "deadline": deadline.isoformat(),
            "step": reminder.step,
        },
        reference=vehicle.registration_number,
    )


def describe_vehicle(link: VehicleLink) -> str:
    """`Familiebilen (BT 57225, VOLKSWAGEN PASSAT)`, or `BT 57225 (VOLKSWAGEN PASSAT)`."""
    vehicle = link.vehicle
    plate = vehicle.display_registration_number
    name = " ".join(part for part in (vehicle.make, vehicle.model) if part)
    if link.nickname:
        return f"{link.nickname} ({', '.join(p for p in (plate, name) if p)})"
    return f"{plate} ({name})" if name else plate


def _refresh_stale_vehicles(today: datetime.date, run: ReminderRun) -> set[int]:
    """
    Refreshes the vehicles with a due reminder whose data is older than `STALE_AFTER`, most
    urgent deadline first, and returns the ids of those whose reminders wait: not refreshed
    (a failure, or the run stopped at a spent budget or an unavailable register) while the
    reminder is less than `HOLD_DAYS` late.
    """
    due = dict(
        due_reminders(today)
        .filter(vehicle__data_fetched_at__lt=timezone.now() - STALE_AFTER)
        .values_list("vehicle_id", "step")
        .distinct()
    )
    stale = list(
        Vehicle.objects.filter(pk__in=due)
        .defer("register_payload")
        .order_by("next_inspection_due", "pk")
    )
    refreshed = set()
    for outcome in refresh_each(stale, source=ChangeSource.JOB):
        if outcome.succeeded or outcome.status == RefreshStatus.FRESH:
            refreshed.add(outcome.vehicle.pk)
        elif outcome.status == RefreshStatus.UNAVAILABLE:
            break  # the next vehicle would wait for the same outage
    run.refreshed = len(refreshed)
    run.refresh_failed = len(stale) - len(refreshed)
    return {
        vehicle.pk
        for vehicle in stale
        if vehicle.pk not in refreshed
        and (today - step_began(due[vehicle.pk], vehicle.next_inspection_due)).days < HOLD_DAYS
    }
