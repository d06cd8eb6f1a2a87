"""Car owners and staff: one user model, logging in with an email address."""

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Staff who answer owners' questions in the admin: view-only, plus "refresh from register".
# Created with its permissions by vehicles/migrations/0004_support_group.py.
SUPPORT_GROUP = "Support"


class Language(models.TextChoices):
    """The languages of API messages and emails (the codes in the API never change)."""

    NB = "nb", _("Norwegian Bokmål")
    EN = "en", _("English")


class UserManager(BaseUserManager):
    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email: str | None) -> str:
        """Emails are compared case-insensitively, so they are stored in lower case."""
        return (email or "").strip().lower()

    def get_by_natural_key(self, email: str):
        return self.get(email=self.normalize_email(email))

    def create_user(self, email: str, password: str | None = None, **fields) -> "User":
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields) -> "User":
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A MinBil account. The email is the login and is unique regardless of case."""

    # Stored in lower case (see the manager); the functional constraint below also refuses
    # case variants written by any other path.
    email = models.EmailField("email address", max_length=254, unique=True)
    name = models.CharField(max_length=150, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(
        default=False, help_text="Can log in to the admin site (support staff)."
    )
    date_joined = models.DateTimeField(default=timezone.now)
    language = models.CharField(
        max_length=2,
        choices=Language.choices,
        default=Language.EN,
        help_text="Language of the owner's API messages and emails.",
    )
    # Carried as a claim in every access and refresh token; raising it refuses every token
    # issued before (sign-out everywhere, password change or reset).
    token_version = models.PositiveIntegerField(default=0, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        permissions = [
            # Support staff may delete an owner's account (and all their data) from the admin.
            ("delete_account", "Can delete an owner's account and all their data"),
        ]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="accounts_user_email_ci_unique",
                violation_error_message="A user with this email address already exists.",
            ),
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email)
