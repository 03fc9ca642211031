from django.urls import path

from . import api

urlpatterns = [
    path("auth/csrf/", api.csrf, name="api-csrf"),
    path("auth/login/", api.login_view, name="api-login"),
    path("auth/logout/", api.logout_view, name="api-logout"),
    path("me/", api.me, name="api-me"),
]
