"""
What other apps do when an owner signs out. Accounts never imports them: they register
here from their `AppConfig.ready()` (notifications forgets the app's push devices).

    register_sign_out(device=forget_device, everywhere=forget_devices)

`device(token=...)` runs when an app signs out with its device token (`POST
/api/auth/logout`); `everywhere(user=...)` when the owner signs out everywhere, in the same
transaction (logout-all, a password change or reset). Deleting an account deletes what
belongs to it through its foreign keys.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class SignOutHooks:
    device: Callable[..., None]
    everywhere: Callable[..., None]


_hooks: list[SignOutHooks] = []


def register_sign_out(*, device: Callable[..., None], everywhere: Callable[..., None]) -> None:
    """Adds an app's sign-out steps (registering the same again is a no-op)."""
    hooks = SignOutHooks(device=device, everywhere=everywhere)
    if hooks not in _hooks:
        _hooks.append(hooks)


def signed_out_device(*, token: str) -> None:
    for hooks in _hooks:
        hooks.device(token=token)


def signed_out_everywhere(*, user) -> None:
    for hooks in _hooks:
        hooks.everywhere(user=user)
