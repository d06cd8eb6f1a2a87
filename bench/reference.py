"""
`make bench-api`'s reference endpoints, served only under `bench.settings` (the app's settings
and URLs, plus these), never by the app itself:

- `/bench/django-constant`: Django's `JsonResponse` of a constant, through the whole middleware.
- `/bench/drf-constant`: a DRF view answering a constant, with the API's authentication
  (`AccountJWTAuthentication`), permission, renderer and exception handler.
- `/bench/values-list`: the owner's list written by hand: the same JWT check, one
  `.values()` query of the columns the list shows, `JsonResponse` (photo names, not URLs).
"""

from django.http import JsonResponse
from django.urls import path
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.response import Response
from rest_framework.views import APIView

from minbil.accounts.authentication import AccountJWTAuthentication
from minbil.urls import urlpatterns as app_urlpatterns
from vehicles.models import VehicleLink
from vehicles.selectors import SUMMARY_COLUMNS  # the columns the app's list reads

CONSTANT = {"ok": True}


def django_constant(request):
    return JsonResponse({"data": CONSTANT})


class DrfConstant(APIView):
    def get(self, request):
        return Response(CONSTANT)


def values_list(request):
    authentication = AccountJWTAuthentication()
    try:
        raw = authentication.get_raw_token(authentication.get_header(request) or b"")
        user = authentication.get_user(authentication.get_validated_token(raw or b""))
    except AuthenticationFailed:
        return JsonResponse({"error": "not authenticated"}, status=401)
    links = (
        VehicleLink.objects.filter(user=user)
        .order_by("-is_primary", "-updated_at", "-pk")
        .values(*SUMMARY_COLUMNS)
    )
    return JsonResponse({"data": list(links)})


urlpatterns = [
    path("bench/django-constant", django_constant),
    path("bench/drf-constant", DrfConstant.as_view()),
    path("bench/values-list", values_list),
    *app_urlpatterns,
]
