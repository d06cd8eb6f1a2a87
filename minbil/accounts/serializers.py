"""Input and output shapes of the auth and account endpoints."""

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework_simplejwt.exceptions import AuthenticationFailed
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer, TokenRefreshSerializer
from rest_framework_simplejwt.settings import api_settings

from minbil.accounts.models import Language
from minbil.accounts.tokens import AccountRefreshToken, check_token_version
from minbil.api.fields import (
    StrictCharField,
    StrictEmailField,
    StrictTypeMixin,
    UtcDateTimeField,
)

User = get_user_model()


class LanguageField(StrictTypeMixin, serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=Language.choices, **kwargs)


def password_field(**kwargs) -> StrictCharField:
    """A password as typed: never trimmed (a password of spaces is the validators' call)."""
    return StrictCharField(max_length=128, trim_whitespace=False, write_only=True, **kwargs)


class RegisterInputSerializer(serializers.Serializer):
    email = StrictEmailField(max_length=254)
    password = password_field()
    name = StrictCharField(max_length=150, required=False, allow_blank=True, default="")
    language = LanguageField(
        required=False,
        help_text="`nb` or `en`; by default the request's language (`Accept-Language`).",
    )

    def validate_email(self, value: str) -> str:
        return User.objects.normalize_email(value)

    def validate(self, attrs: dict) -> dict:
        # Django's validators, including "too similar to the email/name".
        candidate = User(email=attrs["email"], name=attrs.get("name", ""))
        try:
            validate_password(attrs["password"], user=candidate)
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"password": list(exc.messages)}) from exc
        attrs.setdefault("language", _request_language())
        return attrs


def _request_language() -> str:
    """The active language (from Accept-Language) when it is one of ours, else English."""
    active = translation.get_language() or ""
    return active if active in Language.values else Language.EN


class UserOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    email = serializers.EmailField(read_only=True)
    name = serializers.CharField(read_only=True)


class ProfileOutputSerializer(UserOutputSerializer):
    language = serializers.ChoiceField(
        choices=Language.choices, read_only=True, help_text="Language of messages and emails."
    )
    date_joined = UtcDateTimeField(read_only=True)


class ProfileInputSerializer(serializers.Serializer):
    name = StrictCharField(max_length=150, required=False, allow_blank=True)
    language = LanguageField(required=False)
    email = StrictEmailField(max_length=254, required=False)
    current_password = password_field(
        required=False, help_text="Required to change the email address."
    )

    def validate_email(self, value: str) -> str:
        return User.objects.normalize_email(value)

    def validate(self, attrs: dict) -> dict:
        if "email" in attrs and "current_password" not in attrs:
            raise serializers.ValidationError(
                {"current_password": [_("Enter your current password to change the email.")]}
            )
        return attrs


class PasswordChangeInputSerializer(serializers.Serializer):
    current_password = password_field()
    new_password = password_field()


class PasswordInputSerializer(serializers.Serializer):
    password = password_field(help_text="The account's current password.")


class TokenRefreshBodySerializer(serializers.Serializer):
    refresh = StrictCharField()


class LogoutInputSerializer(TokenRefreshBodySerializer):
    device_token = StrictCharField(
        max_length=512,
        required=False,
        default="",
        help_text=(
            "This app installation's push token (as registered with `POST /api/co/devices`): "
            "the device stops getting push notifications."
        ),
    )


class PasswordResetInputSerializer(serializers.Serializer):
    email = StrictEmailField(max_length=254)


class PasswordResetConfirmInputSerializer(serializers.Serializer):
    uid = StrictCharField(max_length=64)
    token = StrictCharField(max_length=128)
    new_password = password_field()


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField(help_text="JWT access token, short-lived.")
    refresh = serializers.CharField(help_text="JWT refresh token; rotated on every refresh.")


class DetailOutputSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What happened, in the user's language.")


class TokenObtainInputSerializer(TokenObtainPairSerializer):
    """simplejwt's token pair, with credentials that must be strings and our token class."""

    token_class = AccountRefreshToken

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[self.username_field] = StrictCharField(write_only=True)
        self.fields["password"] = StrictCharField(write_only=True, trim_whitespace=False)


class TokenRefreshInputSerializer(TokenRefreshSerializer):
    """
    simplejwt's refresh with rotation, where a refresh token works exactly once, whatever
    the concurrency (the blacklist insert decides, see `AccountRefreshToken.blacklist`),
    and only while its version is current. A deleted or inactive user answers `401`.
    """

    refresh = StrictCharField()
    token_class = AccountRefreshToken

    def validate(self, attrs: dict) -> dict:
        refresh = self.token_class(attrs["refresh"])  # signature, expiry, type, blacklist
        user = User.objects.filter(pk=refresh.get(api_settings.USER_ID_CLAIM)).first()
        if user is None or not api_settings.USER_AUTHENTICATION_RULE(user):
            raise AuthenticationFailed(
                self.error_messages["no_active_account"], "no_active_account"
            )
        check_token_version(refresh, user)
        with transaction.atomic():
            refresh.blacklist(user)
            access = str(refresh.access_token)
            refresh.set_jti()
            refresh.set_exp()
            refresh.set_iat()
            refresh.record_outstanding(user)
        return {"access": access, "refresh": str(refresh)}
