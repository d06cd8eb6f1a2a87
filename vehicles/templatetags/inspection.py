"""Template filters of the EU-kontroll reminder email."""

import datetime

from django import template
from django.utils import translation

register = template.Library()


@register.filter
def deadline_date(iso: str) -> str:
    """An ISO date as the reader writes it: `18.12.2026` in Norwegian, `2026-12-18` otherwise."""
    date = datetime.date.fromisoformat(iso)
    if translation.get_language() == "nb":
        return date.strftime("%d.%m.%Y")
    return date.isoformat()
