from django.urls import path

from . import api

urlpatterns = [
    path("jobs/<uuid:job_id>/", api.job_detail, name="api-job"),
    path("jobs/<uuid:job_id>/file/", api.job_file, name="api-job-file"),
]
