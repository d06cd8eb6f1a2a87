"""Writes on accounts."""

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from minbil.errors import Conflict

User = get_user_model()


class EmailTaken(Conflict):
    code = "email_taken"
    message = "An account with this email address already exists."


def register_user(*, email: str, password: str, name: str = "") -> User:
    """Creates a car-owner account. The unique index decides races between two sign-ups."""
    try:
        with transaction.atomic():
            return User.objects.create_user(email=email, password=password, name=name)
    except IntegrityError as exc:
        raise EmailTaken(details={"email": [EmailTaken.message]}) from exc
