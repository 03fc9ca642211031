from django.urls import path, re_path

from . import api

urlpatterns = [
    path("records/classes/", api.class_list, name="api-records-classes"),
    path("records/classes/<id:class_id>/", api.class_record, name="api-records-class"),
    path("records/classes/<id:class_id>/events/", api.class_events, name="api-records-events"),
    path("records/classes/<id:class_id>/comments/", api.comment_put, name="api-records-comments"),
    path("records/classes/<id:class_id>/close/", api.semester_close, name="api-records-close"),
    path("records/classes/<id:class_id>/reopen/", api.semester_reopen, name="api-records-reopen"),
    path("records/classes/<id:class_id>/subjects/<id:subject_id>/", api.gradebook, name="api-records-gradebook"),
    path(
        "records/classes/<id:class_id>/subjects/<id:subject_id>/entries/",
        api.entry_create,
        name="api-records-entries",
    ),
    path("records/entries/<id:entry_id>/", api.entry_correct, name="api-records-entry"),
    path("records/entries/<id:entry_id>/remove/", api.entry_remove, name="api-records-entry-remove"),
    path("records/rules/", api.rules, name="api-records-rules"),
]

urlpatterns += [
    path("records/students/<id:student_id>/transcript/", api.transcript, name="api-records-transcript"),
    path(
        "records/students/<id:student_id>/transcript/issue/", api.transcript_issue, name="api-records-transcript-issue"
    ),
    re_path(
        r"^records/transcripts/(?P<serial>HB-[0-9]{4}-[0-9]{6,12})/pdf/$",
        api.transcript_pdf,
        name="api-records-transcript-pdf",
    ),
    path("records/transcripts/verify/", api.transcript_verify, name="api-records-transcript-verify"),
]

urlpatterns += [
    path("records/classes/<id:class_id>/export/", api.class_export, name="api-records-class-export"),
    path("records/statistics/", api.statistics, name="api-records-statistics"),
    path("records/education-export/", api.education_export, name="api-records-education-export"),
]

urlpatterns += [
    path("records/classes/<id:class_id>/primary/", api.primary_record, name="api-records-primary"),
    path("records/classes/<id:class_id>/levels/", api.level_put, name="api-records-levels"),
]
