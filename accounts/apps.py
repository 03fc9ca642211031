from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    default = True
    name = "accounts"
    verbose_name = _("People and organisations")

    def ready(self) -> None:
        from . import sessions  # noqa: F401  (connects the receiver that closes sockets at logout)


class PlatformAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with its site for platform administrators only (accounts.admin_site)."""

    default = False  # named in INSTALLED_APPS in place of django.contrib.admin
    default_site = "accounts.admin_site.PlatformAdminSite"
