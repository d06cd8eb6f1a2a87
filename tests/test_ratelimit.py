"""Per-key limits in fixed windows, shared through the cache."""

import pytest

from minbil import ratelimit


@pytest.mark.parametrize(
    ("rate", "expected"),
    [("30/hour", (30, 3600)), ("5/min", (5, 60)), ("10/s", (10, 1)), ("2/day", (2, 86400))],
)
def test_rates_read_as_django_rest_framework_reads_them(rate, expected):
    assert ratelimit.parse_rate(rate) == expected


def test_the_rate_is_counted_per_key_and_the_wait_is_what_is_left_of_the_window(monkeypatch):
    monkeypatch.setattr(ratelimit.time, "time", lambda: 7200 + 1800.5)  # half past, in an hour

    assert [ratelimit.spend("uploads:1", "2/hour") for _ in range(2)] == [None, None]
    assert ratelimit.spend("uploads:1", "2/hour") == 1800
    assert ratelimit.spend("uploads:2", "2/hour") is None  # another key, its own count


def test_a_new_window_starts_from_zero(monkeypatch):
    now = [3600 * 5 + 10.0]
    monkeypatch.setattr(ratelimit.time, "time", lambda: now[0])
    ratelimit.spend("lookups:1", "1/hour")
    assert ratelimit.spend("lookups:1", "1/hour") == 3590

    now[0] += 3590
    assert ratelimit.spend("lookups:1", "1/hour") is None
