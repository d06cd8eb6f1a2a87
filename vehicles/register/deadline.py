"""The time one request may spend on the register, all steps included."""

import time


class Deadline:
    """A point on the monotonic clock, `seconds` from now."""

    def __init__(self, seconds: float) -> None:
        self.expires_at = time.monotonic() + seconds

    def remaining(self) -> float:
        return max(0.0, self.expires_at - time.monotonic())

    @property
    def expired(self) -> bool:
        return self.remaining() == 0.0
