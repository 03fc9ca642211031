from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("exam/", views.exam_list, name="exam-list"),
    path("exam/<int:attempt_id>/", views.exam_page, name="exam"),
    path("board/", views.board, name="board"),
    path("board/sittings/<int:sitting_id>/", views.board_sitting, name="board-sitting"),
]
