from django.urls import path

from . import api

urlpatterns = [
    path("auth/csrf/", api.csrf, name="api-csrf"),
    path("auth/login/", api.login_view, name="api-login"),
    path("auth/logout/", api.logout_view, name="api-logout"),
    path("me/", api.me, name="api-me"),
    path("me/password/", api.password_change, name="api-password-change"),
    path("accounts/locked/", api.locked_accounts, name="api-locked-accounts"),
    path("accounts/<int:user_id>/unlock/", api.account_unlock, name="api-account-unlock"),
]
