"""
An output serializer's answer without its per-request setup.

DRF deep-copies every declared field each time a serializer is made: for the vehicle's detail
(36 fields and the nested tyres, now built by hand: `vehicles.serializers.detail`) that copy
cost more than the rest of the request. The fields of an output serializer keep no state
between calls, so `represent` binds them once per class and runs DRF's own loop
(`Serializer.to_representation`) with them. Method fields (`get_<name>`) are called on a
serializer made for the call (cheap while its fields are not touched), so they see the call's
`context`; other fields must not read the context.
"""

from functools import cache

from rest_framework import serializers
from rest_framework.fields import SkipField


def represent(serializer_class: type[serializers.Serializer], instance, context=None) -> dict:
    """`serializer_class(instance, context=context).data`, field for field."""
    serializer = serializer_class(context=context or {})
    answer = {}
    for field in _readable_fields(serializer_class):
        if isinstance(field, serializers.SerializerMethodField):
            answer[field.field_name] = getattr(serializer, field.method_name)(instance)
            continue
        try:
            attribute = field.get_attribute(instance)
        except SkipField:
            continue
        answer[field.field_name] = None if attribute is None else field.to_representation(attribute)
    return answer


@cache
def _readable_fields(serializer_class: type[serializers.Serializer]) -> tuple:
    return tuple(serializer_class()._readable_fields)
