"""What a channel's `send` returns, and raises when it cannot deliver."""

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class Sent:
    """Where the message went (an address) and the provider's id for it."""

    address: str
    message_id: str


class DeliveryFailed(Exception):
    """
    A channel could not deliver. `transient`: trying again later may succeed (a timeout, a
    4xx reply), not before `retry_after` when the provider said so; otherwise it never will
    (a refused address). `target_gone`: the provider no longer knows the device, which is
    removed. `reason` is short and holds no message content and no secret.
    """

    def __init__(
        self,
        reason: str,
        *,
        transient: bool,
        retry_after: timedelta | None = None,
        target_gone: bool = False,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.transient = transient
        self.retry_after = retry_after
        self.target_gone = target_gone
