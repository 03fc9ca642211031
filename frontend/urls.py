from django.contrib.auth import views as auth_views
from django.urls import path

from . import assessment_views, collusion_views, proctor_views, room_views, student_views, subject_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", views.PasswordChangeView.as_view(), name="password-change"),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="frontend/password_change_done.html"),
        name="password-change-done",
    ),
    path("accounts/locked/", views.locked_accounts, name="locked-accounts"),
    path("accounts/locked/<id:user_id>/unlock/", views.locked_account_unlock, name="locked-account-unlock"),
    path("people/", views.people, name="people"),
    path("people/classes/<id:class_id>/", views.people_class, name="people-class"),
    path("people/classes/<id:class_id>/login-cards/", views.people_login_cards, name="people-login-cards"),
    path(
        "people/classes/<id:class_id>/students/<id:user_id>/password/",
        views.people_password_reset,
        name="people-password-reset",
    ),
    path("rooms/", room_views.rooms, name="rooms"),
    path("exam/", student_views.exam_list, name="exam-list"),
    path("exam/<id:attempt_id>/", views.exam_page, name="exam"),
    path("exam/attempts/<id:attempt_id>/review/", student_views.attempt_review, name="exam-review"),
    path("board/", views.board, name="board"),
    path("board/sittings/<id:sitting_id>/", views.board_sitting, name="board-sitting"),
    path("board/sittings/<id:sitting_id>/console/", proctor_views.board_console, name="board-console"),
    path("board/sittings/<id:sitting_id>/collusion/", collusion_views.board_collusion, name="board-collusion"),
    path("proctor/", proctor_views.proctor_rooms, name="proctor-rooms"),
    path("proctor/rooms/<id:sitting_room_id>/", proctor_views.proctor_room, name="proctor-room"),
    path("bank/", views.bank_list, name="bank-list"),
    path("bank/items/new/", views.bank_item_new, name="bank-item-new"),
    path("bank/items/<id:item_id>/", views.bank_item, name="bank-item"),
    path("bank/review/", views.bank_review, name="bank-review"),
    path("bank/blueprints/", views.bank_blueprints, name="bank-blueprints"),
    path("bank/blueprints/new/", views.bank_blueprint_new, name="bank-blueprint-new"),
    path("bank/blueprints/<id:blueprint_id>/", views.bank_blueprint, name="bank-blueprint"),
    path("bank/import/", views.bank_import, name="bank-import"),
    path("bank/subjects/", subject_views.bank_subjects, name="bank-subjects"),
    path("assessments/", assessment_views.assessments, name="assessments"),
    path("assessments/<id:assessment_id>/", assessment_views.assessment_page, name="assessment"),
    path("assessments/forms/<id:form_id>/preview/", assessment_views.form_preview, name="form-preview"),
]
