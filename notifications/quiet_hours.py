"""
Quiet hours: wall-clock times in Europe/Oslo (`22:00` to `07:00`, over midnight when the end
is earlier than the start) during which a push waits for the end.

The end is computed as a wall-clock time on the right Oslo date and only then converted to
an instant, so it stays at 07:00 across a daylight-saving change (adding hours to an instant
would land at 06:00 or 08:00). An end that does not exist (02:30 on the night the clocks go
forward) is the instant after the gap; one that exists twice (the night they go back) is
the first.
"""

import datetime
from zoneinfo import ZoneInfo

OSLO = ZoneInfo("Europe/Oslo")


def quiet_until(
    now: datetime.datetime, start: datetime.time, end: datetime.time
) -> datetime.datetime | None:
    """When the quiet hours around `now` end (an aware instant), or `None` outside them."""
    local = now.astimezone(OSLO)
    time = local.time().replace(tzinfo=None)
    if start < end:
        inside = start <= time < end
        end_date = local.date()
    else:  # over midnight: from start until end the next morning
        inside = time >= start or time < end
        end_date = local.date() + datetime.timedelta(days=1 if time >= start else 0)
    if not inside:
        return None
    return datetime.datetime.combine(end_date, end, tzinfo=OSLO).astimezone(datetime.UTC)
