from django.urls import path

from . import api

urlpatterns = [
    path("sittings/<id:sitting_id>/marking/", api.sitting_marking, name="api-sitting-marking"),
    path("marking/", api.my_marking, name="api-my-marking"),
    path("marking/<id:plan_id>/next/", api.next_script, name="api-marking-next"),
    path("marking/scripts/<str:code>/marks/", api.script_mark, name="api-script-mark"),
    path("marking/scripts/<str:code>/release/", api.script_release, name="api-script-release"),
]
