from django.urls import path

from . import api, people_api

urlpatterns = [
    path("auth/csrf/", api.csrf, name="api-csrf"),
    path("auth/login/", api.login_view, name="api-login"),
    path("auth/logout/", api.logout_view, name="api-logout"),
    path("me/", api.me, name="api-me"),
    path("me/password/", api.password_change, name="api-password-change"),
    path("accounts/locked/", api.locked_accounts, name="api-locked-accounts"),
    path("accounts/<id:user_id>/unlock/", api.account_unlock, name="api-account-unlock"),
    path("classes/", people_api.classes, name="api-classes"),
    path("classes/<id:class_id>/", people_api.class_detail, name="api-class"),
    path("classes/<id:class_id>/students/", people_api.class_place, name="api-class-students"),
    path("classes/<id:class_id>/login-cards/", people_api.class_login_cards, name="api-class-login-cards"),
    path("classes/<id:class_id>/login-cards.pdf", people_api.class_login_cards_pdf, name="api-class-login-cards-pdf"),
    path("people/<id:user_id>/password/", people_api.person_password_reset, name="api-person-password"),
    path("people/<id:user_id>/photo/", people_api.person_photo, name="api-person-photo"),
    path("rosters/template/", people_api.roster_template, name="api-roster-template"),
    path("rosters/preview/", people_api.roster_preview, name="api-roster-preview"),
    path("rosters/", people_api.roster_import, name="api-rosters"),
]
