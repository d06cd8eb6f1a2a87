"""
Writes on accounts: sign-up, profile, sign-in tokens, sign-out (one device or everywhere),
password change and reset, and deletion.

Signing out everywhere raises the user's token version (every access and refresh token
issued before is refused at once, see `tokens.py`) and blacklists every outstanding refresh
token. A password change or reset does the same.
"""

import contextlib
import datetime
import logging
from dataclasses import dataclass
from typing import Any

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext_lazy as _
from kombu.exceptions import OperationalError as BrokerError
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from minbil.accounts import signout
from minbil.accounts.models import Language
from minbil.accounts.tokens import AccountRefreshToken
from minbil.errors import Conflict, DomainError
from minbil.mail import send_email

User = get_user_model()
UNSET: Any = object()
logger = logging.getLogger(__name__)


class EmailTaken(Conflict):
    code = "email_taken"
    message = _("An account with this email address already exists.")


class InvalidPassword(DomainError):
    """A wrong current password, or a new one Django's validators refuse; names the field."""

    code = "validation_error"
    message = _("The password is not accepted.")


class InvalidResetToken(DomainError):
    code = "invalid_token"
    message = _("This password reset link is wrong, already used or expired.")


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str


def register_user(
    *, email: str, password: str, name: str = "", language: str = Language.EN
) -> User:
    """Creates a car-owner account. The unique index decides races between two sign-ups."""
    try:
        with transaction.atomic():
            return User.objects.create_user(
                email=email, password=password, name=name, language=language
            )
    except IntegrityError as exc:
        raise EmailTaken(details={"email": [EmailTaken.message]}) from exc


def issue_tokens(*, user) -> TokenPair:
    """A new access and refresh token pair for one device, carrying the token version."""
    refresh = AccountRefreshToken.for_user(user)
    return TokenPair(access=str(refresh.access_token), refresh=str(refresh))


def update_profile(
    *,
    user,
    name: str = UNSET,
    language: str = UNSET,
    email: str = UNSET,
    current_password: str | None = None,
) -> User:
    """
    Changes only what is given. A new email needs the current password and stays unique
    regardless of case (`409 email_taken`); nothing changes when anything is refused.
    """
    changed = []
    if email is not UNSET and email != user.email:
        check_current_password(user=user, password=current_password, field="current_password")
        user.email = email
        changed.append("email")
    for field, value in (("name", name), ("language", language)):
        if value is not UNSET and value != getattr(user, field):
            setattr(user, field, value)
            changed.append(field)
    if changed:
        try:
            with transaction.atomic():
                user.save(update_fields=changed)
        except IntegrityError as exc:
            user.refresh_from_db(fields=changed)
            raise EmailTaken(details={"email": [EmailTaken.message]}) from exc
    return user


def sign_out(*, refresh: str, device_token: str = "") -> None:
    """
    Blacklists one refresh token, and with the app's `device_token` the other apps forget
    that device (notifications stop pushing to it). A refresh token that is malformed,
    expired, unknown or already blacklisted is no error: the device is signed out either way.
    """
    with contextlib.suppress(TokenError):
        AccountRefreshToken(refresh).blacklist()
    if device_token:
        signout.signed_out_device(token=device_token)


@transaction.atomic
def sign_out_everywhere(*, user) -> None:
    """
    Refuses every access and refresh token issued to the user so far (their version is
    now stale) and blacklists each outstanding refresh token, in two queries and one
    insert whatever their number; the other apps forget the user's devices.
    """
    User.objects.filter(pk=user.pk).update(token_version=F("token_version") + 1)
    user.refresh_from_db(fields=["token_version"])
    outstanding = OutstandingToken.objects.filter(
        user=user, expires_at__gt=timezone.now(), blacklistedtoken__isnull=True
    ).values_list("pk", flat=True)
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token_id=pk) for pk in outstanding], ignore_conflicts=True
    )
    signout.signed_out_everywhere(user=user)


def change_password(*, user, current_password: str, new_password: str) -> TokenPair:
    """
    Sets a new password after checking the current one and Django's validators, signs out
    every session, and returns a new token pair for the device that asked.
    """
    check_current_password(user=user, password=current_password, field="current_password")
    validate_new_password(user=user, password=new_password, field="new_password")
    with transaction.atomic():
        _set_password_and_sign_out(user, new_password)
        return issue_tokens(user=user)


def check_current_password(*, user, password: str | None, field: str) -> None:
    """`InvalidPassword` naming `field` unless `password` is the user's password."""
    if not password or not user.check_password(password):
        message = _("The password is wrong.")
        raise InvalidPassword(message, details={field: [message]})


def validate_new_password(*, user, password: str, field: str) -> None:
    """Django's password validators (`AUTH_PASSWORD_VALIDATORS`), as `InvalidPassword`."""
    try:
        password_validation.validate_password(password, user=user)
    except DjangoValidationError as exc:
        raise InvalidPassword(details={field: list(exc.messages)}) from exc


# --- Password reset ----------------------------------------------------------------------------


def request_password_reset(*, email: str) -> None:
    """
    Queues a reset email (`send_password_reset_email`, on the job engine) for the active
    account with this email, if there is one; the caller answers the same either way. A job
    broker that cannot be reached is logged: the owner may simply ask again.
    """
    from minbil.accounts.tasks import send_password_reset  # the task calls this module

    user_id = (
        User.objects.filter(email=User.objects.normalize_email(email), is_active=True)
        .values_list("pk", flat=True)
        .first()
    )
    if user_id is None:
        return
    try:
        send_password_reset.delay(user_id)
    except BrokerError as exc:
        logger.error("Password reset email for user %s not queued: %s", user_id, exc)


def send_password_reset_email(*, user_id: int) -> bool:
    """
    Emails the account a reset link (`PASSWORD_RESET_URL`, Django's token generator) in its
    language; False when the account is gone or inactive by now. Raises `EmailNotSent`
    when the email backend fails (logged there, never with the link).
    """
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return False
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    sent_at = timezone.now()
    context = {
        "name": user.name,
        "email": user.email,
        "link": settings.PASSWORD_RESET_URL.format(uid=uid, token=token),
        "sent_at": sent_at,
        "expires_at": sent_at + datetime.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT),
    }
    send_email(
        to=user.email,
        template="accounts/email/password_reset",
        context=context,
        language=user.language,
    )
    return True


def user_for_reset(*, uid: str, token: str) -> User:
    """The user a reset link is for, or `InvalidResetToken` (wrong, used or expired)."""
    try:
        pk = int(force_str(urlsafe_base64_decode(uid)))
    except (TypeError, ValueError, OverflowError, UnicodeDecodeError):
        raise InvalidResetToken() from None
    user = User.objects.filter(pk=pk, is_active=True).first()
    if user is None or not default_token_generator.check_token(user, token):
        raise InvalidResetToken()
    return user


def confirm_password_reset(*, uid: str, token: str, new_password: str) -> User:
    """
    Sets the new password of a valid reset link and signs out every session. The link
    then stops working (the token is bound to the password it replaced).
    """
    user = user_for_reset(uid=uid, token=token)
    validate_new_password(user=user, password=new_password, field="new_password")
    with transaction.atomic():
        _set_password_and_sign_out(user, new_password)
    return user


def _set_password_and_sign_out(user, password: str) -> None:
    user.set_password(password)
    user.save(update_fields=["password"])
    sign_out_everywhere(user=user)


# --- Deletion ----------------------------------------------------------------------------------


def delete_own_account(*, user, password: str) -> None:
    """The owner's own deletion: the password first, then `delete_account`."""
    check_current_password(user=user, password=password, field="password")
    delete_account(user=user)


@transaction.atomic
def delete_account(*, user) -> None:
    """
    Deletes the user and everything stored about them: their vehicle links (whose photo
    files go after the commit), notification preferences, refresh tokens and admin
    login records. The shared vehicle records stay. Every token of the user is refused from
    then on (its user no longer exists). Used by the API and by support in the admin.
    """
    OutstandingToken.objects.filter(user=user).delete()  # their blacklist rows go with them
    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        model.objects.filter(username=user.email).delete()
    user.delete()
