"""What a channel's `send` returns, and raises when it cannot deliver."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Sent:
    """Where the message went (an address) and the provider's id for it."""

    address: str
    message_id: str


class DeliveryFailed(Exception):
    """
    A channel could not deliver. `transient`: trying again later may succeed (a timeout, a
    4xx reply); otherwise it never will (a refused address). `reason` is short and holds no
    message content.
    """

    def __init__(self, reason: str, *, transient: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.transient = transient
