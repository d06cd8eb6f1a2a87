"""
The accounts' routes, in three groups mounted by `minbil/urls.py`: `/api/auth/...`,
`/api/co/me...` and the reset page. Every API path also works with a trailing slash.
"""

from django.urls import re_path

from minbil.accounts import pages, views

account = views.AccountViewSet.as_view(
    {"get": "retrieve", "patch": "partial_update", "delete": "destroy"}
)

auth_urlpatterns = [
    re_path(r"^register/?$", views.RegisterView.as_view(), name="auth-register"),
    re_path(r"^token/?$", views.TokenObtainView.as_view(), name="auth-token"),
    re_path(
        r"^token/refresh/?$", views.TokenRefreshRotatingView.as_view(), name="auth-token-refresh"
    ),
    re_path(r"^logout/?$", views.LogoutView.as_view(), name="auth-logout"),
    re_path(r"^logout-all/?$", views.LogoutAllView.as_view(), name="auth-logout-all"),
    re_path(r"^password-reset/?$", views.PasswordResetView.as_view(), name="auth-password-reset"),
    re_path(
        r"^password-reset/confirm/?$",
        views.PasswordResetConfirmView.as_view(),
        name="auth-password-reset-confirm",
    ),
]

account_urlpatterns = [
    re_path(r"^me/?$", account, name="account"),
    re_path(
        r"^me/password/?$",
        views.AccountViewSet.as_view({"post": "change_password"}),
        name="account-password",
    ),
    re_path(
        r"^me/export/?$", views.AccountViewSet.as_view({"get": "export"}), name="account-export"
    ),
]

page_urlpatterns = [
    re_path(r"^reset/?$", pages.reset_password, name="reset-password"),
]
