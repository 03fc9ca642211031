from django.urls import path

from . import api, blueprint_api

urlpatterns = [
    path("me/attempts/", api.my_attempts, name="api-my-attempts"),
    path("attempts/<id:attempt_id>/", api.attempt_detail, name="api-attempt"),
    path("sittings/", api.sittings, name="api-sittings"),
    path("sittings/<id:sitting_id>/results/", api.sitting_results, name="api-sitting-results"),
    path("students/<id:student_id>/record/", api.student_record, name="api-student-record"),
    path("items/<id:item_id>/usage/", api.item_usage, name="api-item-usage"),
    path("blueprints/", blueprint_api.blueprint_list, name="api-blueprints"),
    path("blueprints/<id:blueprint_id>/", blueprint_api.blueprint_detail, name="api-blueprint"),
    path(
        "blueprints/<id:blueprint_id>/availability/",
        blueprint_api.blueprint_availability,
        name="api-blueprint-availability",
    ),
]
