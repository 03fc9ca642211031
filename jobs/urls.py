from django.urls import path

from . import api

urlpatterns = [
    path("jobs/<uuid:job_id>/", api.job_detail, name="api-job"),
]
