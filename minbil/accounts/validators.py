"""Password rules beyond Django's own validators (listed in `AUTH_PASSWORD_VALIDATORS`)."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


class NotOnlyWhitespaceValidator:
    """Refuses a password of nothing but spaces, tabs or line breaks (long enough or not)."""

    message = _("The password cannot consist only of spaces.")

    def validate(self, password: str, user=None) -> None:
        if not password.strip():
            raise ValidationError(self.message, code="password_only_whitespace")

    def get_help_text(self) -> str:
        return str(_("Your password must contain something other than spaces."))
