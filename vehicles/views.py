"""`/api/co/vehicles`: the owner's vehicles, in the excerpt's shapes."""

from rest_framework import status, viewsets
from rest_framework.response import Response

from minbil.api.conditional import conditional_response
from minbil.api.limits import accepts_upload
from minbil.api.parsers import parsers_for, serializer_for
from minbil.api.representation import represent
from vehicles import services
from vehicles.plates import normalize_registration_number
from vehicles.schema import (
    list_or_detail_schema,
    refresh_schema,
    set_primary_schema,
    unlink_schema,
    vehicle_schema,
)
from vehicles.selectors import get_vehicle_link, vehicle_summaries_for
from vehicles.serializers import (
    LINK_INPUT,
    SET_PRIMARY_INPUT,
    UPDATE_INPUT,
    UnlinkOutputSerializer,
    detail,
    plate_from,
    summaries,
)


@vehicle_schema
class VehicleViewSet(viewsets.ViewSet):
    """
    The collection answers `GET` (list, or one link's detail with `?registration_number=`
    or `?reg=`), `POST` (link) and `DELETE ?reg=` (unlink); `/<reg>` is the RESTful item.
    """

    # The body each action reads, by media type (the schema documents the same tables);
    # any other media type is 415.
    inputs = {
        "create": LINK_INPUT,
        "update": UPDATE_INPUT,
        "partial_update": UPDATE_INPUT,
        "set_primary": SET_PRIMARY_INPUT,
    }

    def initialize_request(self, request, *args, **kwargs):
        request = super().initialize_request(request, *args, **kwargs)
        # The action is known only once the request is made, so its parsers are set here.
        request.parsers = parsers_for(self.inputs.get(self.action, ["application/json"]))
        return request

    def _input(self, request):
        serializer = serializer_for(request, self.inputs[self.action])(data=request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    @list_or_detail_schema
    def list_or_detail(self, request):
        plate = plate_from(request.query_params, required=False)
        if plate is not None:
            link = get_vehicle_link(user=request.user, registration_number=plate)
            return conditional_response(request, detail(link, request))
        return conditional_response(
            request, summaries(vehicle_summaries_for(user=request.user), request)
        )

    @accepts_upload
    def create(self, request):
        link, created = services.link_vehicle(user=request.user, **self._input(request))
        return self._detail(
            request, link, status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )

    def retrieve(self, request, reg: str):
        plate = normalize_registration_number(reg)
        link = get_vehicle_link(user=request.user, registration_number=plate)
        return conditional_response(request, detail(link, request))

    @accepts_upload
    def update(self, request, reg: str):
        plate = normalize_registration_number(reg)
        link = services.update_vehicle_link(
            user=request.user, registration_number=plate, **self._input(request)
        )
        return self._detail(request, link)

    @accepts_upload
    def partial_update(self, request, reg: str):
        return self.update(request, reg)

    def destroy(self, request, reg: str):
        return self._unlink(request, normalize_registration_number(reg))

    @unlink_schema
    def destroy_by_query(self, request):
        return self._unlink(request, plate_from(request.query_params))

    @refresh_schema
    def refresh(self, request, reg: str):
        plate = normalize_registration_number(reg)
        link = services.refresh_vehicle_link(user=request.user, registration_number=plate)
        return self._detail(request, link)

    @set_primary_schema
    def set_primary(self, request):
        link = services.set_primary_vehicle(user=request.user, **self._input(request))
        return self._detail(request, link)

    def _unlink(self, request, plate: str) -> Response:
        result = services.unlink_vehicle(user=request.user, registration_number=plate)
        return Response(represent(UnlinkOutputSerializer, result), status=status.HTTP_200_OK)

    def _detail(self, request, link, status_code: int = status.HTTP_200_OK) -> Response:
        return Response(detail(link, request), status=status_code)
