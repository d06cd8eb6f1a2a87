"""
Support staff's view of vehicles, owners' links and what each register refresh changed.

Everything that came from the register is read-only for everyone. The one write on a
vehicle, "Refresh from register", is an action that calls the service the API uses and
reports per vehicle; the Support group may run it through its own permission
(`vehicles.refresh_vehicle`) although it may change nothing else.
"""

import datetime
import json

from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.db.models import Count, Q
from django.db.models.fields.files import FieldFile
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from minbil.accounts.admin import UserAdmin
from vehicles import register, services
from vehicles.models import (
    INSPECTION_DUE_SOON_DAYS,
    ChangeSource,
    InspectionReminder,
    InspectionStatus,
    Vehicle,
    VehicleDataChange,
    VehicleLink,
    describe_tyres,
)
from vehicles.plates import plate_search_term
from vehicles.register import RefreshOutcome, RefreshStatus

# One request refreshes at most this many vehicles (each may wait for the register);
# `manage.py refresh_vehicles` is the tool for more.
MAX_VEHICLES_PER_REFRESH = 25
RECENT_CHANGES_SHOWN = 10
EMPTY = "—"


class PlateSearchMixin:
    """
    Also matches the normalised search term against the plate, so `bt 57225`, `bt-57225`
    and `BT57225` all find BT57225 (the default search splits the term on spaces).
    """

    plate_search_field = "registration_number"

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        plate = plate_search_term(search_term)
        if plate:
            results |= queryset.filter(**{f"{self.plate_search_field}__contains": plate})
        return results, may_have_duplicates


class InspectionStatusFilter(admin.SimpleListFilter):
    """`Vehicle.inspection_status` as database conditions, so a page filters in one query."""

    title = "inspection status"
    parameter_name = "inspection"

    def lookups(self, request, model_admin):
        return InspectionStatus.choices

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        today = timezone.localdate()
        soon = today + datetime.timedelta(days=INSPECTION_DUE_SOON_DAYS)
        required = Q(inspection_required=True) | Q(inspection_required__isnull=True)
        conditions = {
            InspectionStatus.OK: required & Q(next_inspection_due__gt=soon),
            InspectionStatus.DUE_SOON: required
            & Q(next_inspection_due__gte=today, next_inspection_due__lte=soon),
            InspectionStatus.OVERDUE: required & Q(next_inspection_due__lt=today),
            InspectionStatus.NOT_REQUIRED: Q(inspection_required=False),
            InspectionStatus.UNKNOWN: required & Q(next_inspection_due__isnull=True),
        }
        condition = conditions.get(self.value())
        return queryset if condition is None else queryset.filter(condition)


class VehicleChangeList(ChangeList):
    """The list never needs the raw register payload, which is the bulk of each row."""

    def get_queryset(self, request, exclude_parameters=None):
        return super().get_queryset(request, exclude_parameters).defer("register_payload")


def thumbnail(file: FieldFile) -> str:
    return format_html('<img src="{}" height="60" alt="">', file.url) if file else EMPTY


def user_link(user) -> str:
    url = reverse("admin:accounts_user_change", args=[user.pk])
    return format_html('<a href="{}">{}</a>', url, user.email)


def vehicle_link(vehicle: Vehicle) -> str:
    url = reverse("admin:vehicles_vehicle_change", args=[vehicle.pk])
    return format_html('<a href="{}">{}</a>', url, vehicle.display_registration_number)


class VehicleLinkInline(admin.TabularInline):
    """On a vehicle's page: who has linked it, under which nickname."""

    model = VehicleLink
    fields = ("owner", "nickname", "is_primary", "photo_thumbnail_preview", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name_plural = "Owners' links"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user").order_by("created_at")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="owner")
    def owner(self, link: VehicleLink) -> str:
        return user_link(link.user)

    @admin.display(description="photo")
    def photo_thumbnail_preview(self, link: VehicleLink) -> str:
        return thumbnail(link.photo_thumbnail)


class UserVehicleLinkInline(admin.TabularInline):
    """On a user's page: the vehicles they have linked (what the owner sees in the app)."""

    model = VehicleLink
    fields = ("plate", "nickname", "is_primary", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name_plural = "Linked vehicles"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("vehicle")
            .defer("vehicle__register_payload")
            .order_by("-is_primary", "-updated_at")
        )

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="plate")
    def plate(self, link: VehicleLink) -> str:
        return vehicle_link(link.vehicle)


class InspectionReminderInline(admin.TabularInline):
    """
    On a vehicle's page: the EU-kontroll reminders issued, per owner, deadline and step (the
    delivery log under Notifications says whether and how each went out).
    """

    model = InspectionReminder
    fields = ("owner", "deadline", "step", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = "EU-kontroll reminders"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user").order_by("-created_at")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="owner")
    def owner(self, reminder: InspectionReminder) -> str:
        return user_link(reminder.user)


# A user's page lists the vehicles they have linked.
UserAdmin.add_inline(UserVehicleLinkInline)


@admin.register(Vehicle)
class VehicleAdmin(PlateSearchMixin, admin.ModelAdmin):
    """
    Register data, read-only for everyone: vehicles are created from the register when an
    owner links a plate and change only by refreshing from it.
    """

    list_display = (
        "plate",
        "make",
        "model",
        "model_year",
        "next_inspection_due",
        "link_count",
        "data_fetched_at",
    )
    list_filter = ("fuel_type", "registration_status", InspectionStatusFilter)
    search_fields = ("registration_number", "vin")
    ordering = ("registration_number",)
    actions = ["refresh_from_register"]
    inlines = [VehicleLinkInline, InspectionReminderInline]
    fieldsets = (
        (
            "Vehicle",
            {
                "fields": (
                    "plate",
                    "vin",
                    "make",
                    "model",
                    "model_year",
                    "fuel_type",
                    "color",
                    "vehicle_group",
                    "body_type",
                )
            },
        ),
        (
            "Registration",
            {
                "fields": (
                    "registration_status",
                    "registration_status_code",
                    "first_registered_at",
                    "first_registered_in_norway_at",
                )
            },
        ),
        (
            "Periodic inspection (EU-kontroll)",
            {
                "fields": (
                    "inspection_required",
                    "next_inspection_due",
                    "inspection_status_label",
                    "last_inspection_approved",
                )
            },
        ),
        (
            "Register data",
            {"fields": ("data_fetched_at", "recent_changes", "created_at", "updated_at")},
        ),
        (
            "Technical data",
            {
                "fields": (
                    "engine_power_kw",
                    "engine_displacement_cc",
                    "transmission",
                    "seats",
                    "doors",
                    "length_mm",
                    "width_mm",
                    "height_mm",
                    "curb_weight_kg",
                    "max_total_weight_kg",
                    "max_trailer_weight_braked_kg",
                    "max_trailer_weight_unbraked_kg",
                    "co2_g_per_km",
                    "tyres_summary",
                ),
                "classes": ("collapse",),
            },
        ),
        (
            "Raw register payload",
            {"fields": ("register_payload_pretty",), "classes": ("collapse",)},
        ),
    )

    def get_readonly_fields(self, request, obj=None):
        return [name for _, options in self.fieldsets for name in options["fields"]]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(link_count=Count("links"))

    def get_changelist(self, request, **kwargs):
        return VehicleChangeList

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_refresh_permission(self, request) -> bool:
        return request.user.has_perm("vehicles.refresh_vehicle")

    @admin.display(description="plate", ordering="registration_number")
    def plate(self, vehicle: Vehicle) -> str:
        return vehicle.display_registration_number

    @admin.display(description="links", ordering="link_count")
    def link_count(self, vehicle: Vehicle) -> int:
        return vehicle.link_count

    @admin.display(description="inspection status")
    def inspection_status_label(self, vehicle: Vehicle) -> str:
        return InspectionStatus(vehicle.inspection_status()).label

    @admin.display(description="tyres and rims")
    def tyres_summary(self, vehicle: Vehicle) -> str:
        return describe_tyres(vehicle.tyres)

    @admin.display(description="recent changes from the register")
    def recent_changes(self, vehicle: Vehicle) -> str:
        changes = list(vehicle.data_changes.all()[: RECENT_CHANGES_SHOWN + 1])
        if not changes:
            return "No refresh has changed anything since the vehicle was first fetched."
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    timezone.localtime(change.fetched_at).strftime("%Y-%m-%d %H:%M"),
                    change.get_source_display(),
                    change.summary,
                )
                for change in changes[:RECENT_CHANGES_SHOWN]
            ),
        )
        url = reverse("admin:vehicles_vehicledatachange_changelist")
        return format_html(
            "<table><thead><tr><th>fetched at</th><th>by</th><th>changes</th></tr></thead>"
            '<tbody>{}</tbody></table><p><a href="{}?vehicle__id__exact={}">{}</a></p>',
            rows,
            url,
            vehicle.pk,
            "Older changes…" if len(changes) > RECENT_CHANGES_SHOWN else "All changes",
        )

    @admin.display(description="payload")
    def register_payload_pretty(self, vehicle: Vehicle) -> str:
        text = json.dumps(vehicle.register_payload, indent=2, ensure_ascii=False)
        return format_html(
            '<pre class="register-payload" style="max-height: 40em; overflow: auto">{}</pre>',
            text,
        )

    @admin.action(description="Refresh from register", permissions=["refresh"])
    def refresh_from_register(self, request, queryset) -> None:
        """
        Refreshes each selected vehicle through `attempt_vehicle_refresh` and reports each.
        A spent quota or an unavailable register ends the run: every further call would
        fail the same way, and each unavailable one waits for its timeouts first.
        """
        vehicles = list(queryset.order_by("registration_number")[: MAX_VEHICLES_PER_REFRESH + 1])
        if len(vehicles) > MAX_VEHICLES_PER_REFRESH:
            self.message_user(
                request,
                f"Select at most {MAX_VEHICLES_PER_REFRESH} vehicles to refresh at once "
                "(manage.py refresh_vehicles refreshes any number). Nothing was refreshed.",
                messages.ERROR,
            )
            return
        for index, vehicle in enumerate(vehicles):
            outcome = register.attempt_vehicle_refresh(vehicle=vehicle, source=ChangeSource.ADMIN)
            self._report(request, outcome)
            if outcome.status in (RefreshStatus.QUOTA_EXHAUSTED, RefreshStatus.UNAVAILABLE):
                left = vehicles[index + 1 :]
                if left:
                    plates = ", ".join(v.display_registration_number for v in left)
                    self.message_user(
                        request, f"Stopped; not refreshed: {plates}.", messages.WARNING
                    )
                break

    def _report(self, request, outcome: RefreshOutcome) -> None:
        plate = outcome.vehicle.display_registration_number
        if outcome.succeeded:
            if outcome.status == RefreshStatus.CHANGED:
                text = f"{plate}: refreshed from the register; changed {outcome.summary}."
            else:
                text = f"{plate}: refreshed from the register; nothing changed."
            self.message_user(request, text, messages.SUCCESS)
            self.log_change(request, outcome.vehicle, f"Refreshed from register: {outcome.summary}")
        elif outcome.status == RefreshStatus.FRESH:
            self.message_user(request, f"{plate}: {outcome.summary}", messages.INFO)
        elif outcome.status == RefreshStatus.NOT_FOUND:
            self.message_user(
                request,
                f"{plate}: no data available in the register (unknown, shielded or "
                "deregistered); the stored data is unchanged.",
                messages.WARNING,
            )
        else:
            self.message_user(
                request,
                f"{plate}: not refreshed. {outcome.summary} The stored data is unchanged.",
                messages.ERROR,
            )


@admin.register(VehicleLink)
class VehicleLinkAdmin(PlateSearchMixin, admin.ModelAdmin):
    """
    Owners' links. Links are made by owners through the API (which enforces the register
    look-up and the per-user limit), so none is added here; deleting one goes through
    the same service as the app's unlink, which hands the primary flag on.
    """

    plate_search_field = "vehicle__registration_number"
    list_display = ("plate", "owner", "nickname", "is_primary", "photo_preview", "created_at")
    list_select_related = ("vehicle", "user")
    list_filter = ("is_primary",)
    search_fields = ("user__email", "vehicle__registration_number")
    ordering = ("-created_at",)
    fields = (
        "owner",
        "plate",
        "nickname",
        "is_primary",
        "photo_large_preview",
        "photo_preview",
        "created_at",
        "updated_at",
    )
    readonly_fields = (
        "owner",
        "plate",
        "is_primary",
        "photo_large_preview",
        "photo_preview",
        "created_at",
        "updated_at",
    )

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("vehicle", "user")
            .defer("vehicle__register_payload")
        )

    def has_add_permission(self, request) -> bool:
        return False

    def delete_model(self, request, obj: VehicleLink) -> None:
        services.unlink_vehicle(user=obj.user, registration_number=obj.vehicle.registration_number)

    def delete_queryset(self, request, queryset) -> None:
        for link in queryset.select_related("vehicle", "user"):
            self.delete_model(request, link)

    @admin.display(description="plate", ordering="vehicle__registration_number")
    def plate(self, link: VehicleLink) -> str:
        return vehicle_link(link.vehicle)

    @admin.display(description="owner", ordering="user__email")
    def owner(self, link: VehicleLink) -> str:
        return user_link(link.user)

    @admin.display(description="thumbnail")
    def photo_preview(self, link: VehicleLink) -> str:
        return thumbnail(link.photo_thumbnail)

    @admin.display(description="photo")
    def photo_large_preview(self, link: VehicleLink) -> str:
        if not link.photo:
            return EMPTY
        return format_html(
            '<a href="{0}"><img src="{0}" style="max-height: 300px" alt=""></a>', link.photo.url
        )


@admin.register(VehicleDataChange)
class VehicleDataChangeAdmin(PlateSearchMixin, admin.ModelAdmin):
    """Every refresh that changed something: when, through what, and from which values."""

    plate_search_field = "vehicle__registration_number"
    list_display = ("fetched_at", "plate", "source", "summary")
    list_select_related = ("vehicle",)
    list_filter = ("source",)
    search_fields = ("vehicle__registration_number",)
    fields = ("plate", "fetched_at", "source", "changes_table")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).defer("vehicle__register_payload")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="plate", ordering="vehicle__registration_number")
    def plate(self, change: VehicleDataChange) -> str:
        return vehicle_link(change.vehicle)

    @admin.display(description="changes")
    def changes_table(self, change: VehicleDataChange) -> str:
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    name,
                    json.dumps(values.get("old"), ensure_ascii=False),
                    json.dumps(values.get("new"), ensure_ascii=False),
                )
                for name, values in change.changes.items()
            ),
        )
        return format_html(
            "<table><thead><tr><th>field</th><th>old</th><th>new</th></tr></thead>"
            "<tbody>{}</tbody></table>",
            rows,
        )
