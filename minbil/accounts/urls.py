from django.urls import re_path

from minbil.accounts import views

# Both `/path` and `/path/` work: the excerpt has no trailing slash.
urlpatterns = [
    re_path(r"^register/?$", views.RegisterView.as_view(), name="auth-register"),
    re_path(r"^token/?$", views.TokenObtainView.as_view(), name="auth-token"),
    re_path(
        r"^token/refresh/?$", views.TokenRefreshRotatingView.as_view(), name="auth-token-refresh"
    ),
]
