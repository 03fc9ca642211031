from django.urls import path

from . import api

urlpatterns = [
    path("me/attempts/", api.my_attempts, name="api-my-attempts"),
    path("attempts/<int:attempt_id>/", api.attempt_detail, name="api-attempt"),
    path("sittings/", api.sittings, name="api-sittings"),
    path("sittings/<int:sitting_id>/results/", api.sitting_results, name="api-sitting-results"),
    path("students/<int:student_id>/record/", api.student_record, name="api-student-record"),
]
