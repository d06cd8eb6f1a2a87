from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "minbil.accounts"
    label = "accounts"
    verbose_name = "Accounts"
