from django.urls import re_path

from vehicles.views import VehicleViewSet

collection = VehicleViewSet.as_view(
    {"get": "list_or_detail", "post": "create", "delete": "destroy_by_query"}
)
item = VehicleViewSet.as_view(
    {"get": "retrieve", "put": "update", "patch": "partial_update", "delete": "destroy"}
)
refresh = VehicleViewSet.as_view({"post": "refresh"})
set_primary = VehicleViewSet.as_view({"post": "set_primary"})

# The fixed paths come before `<reg>`; every path also works with a trailing slash.
urlpatterns = [
    re_path(r"^vehicles/?$", collection, name="vehicles"),
    re_path(r"^vehicles/set-primary/?$", set_primary, name="vehicles-set-primary"),
    re_path(r"^vehicles/refresh/(?P<reg>[^/]+)/?$", refresh, name="vehicles-refresh"),
    re_path(r"^vehicles/(?P<reg>[^/]+)/?$", item, name="vehicle"),
]
