from django.urls import path

from . import api, blueprint_api

urlpatterns = [
    path("me/attempts/", api.my_attempts, name="api-my-attempts"),
    path("attempts/<int:attempt_id>/", api.attempt_detail, name="api-attempt"),
    path("sittings/", api.sittings, name="api-sittings"),
    path("sittings/<int:sitting_id>/results/", api.sitting_results, name="api-sitting-results"),
    path("students/<int:student_id>/record/", api.student_record, name="api-student-record"),
    path("items/<int:item_id>/usage/", api.item_usage, name="api-item-usage"),
    path("blueprints/", blueprint_api.blueprint_list, name="api-blueprints"),
    path("blueprints/<int:blueprint_id>/", blueprint_api.blueprint_detail, name="api-blueprint"),
    path(
        "blueprints/<int:blueprint_id>/availability/",
        blueprint_api.blueprint_availability,
        name="api-blueprint-availability",
    ),
]
