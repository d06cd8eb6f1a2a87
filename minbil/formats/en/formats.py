"""English dates and times as Django's, but with 24-hour clocks (times are Europe/Oslo)."""

TIME_FORMAT = "H:i"
DATETIME_FORMAT = "N j, Y, H:i"
SHORT_DATETIME_FORMAT = "m/d/Y H:i"
