from django.urls import path

from . import api, import_api, stimulus_api

urlpatterns = [
    path("items/", api.items, name="api-items"),
    path("items/preview/", api.item_preview, name="api-item-preview"),
    path("items/near-duplicates/", api.item_near_duplicates, name="api-item-near-duplicates"),
    path("items/template.xlsx", import_api.excel_template, name="api-items-template"),
    path("review-queue/", api.review_queue, name="api-review-queue"),
    path("bank/meta/", api.bank_meta, name="api-bank-meta"),
    path("imports/", import_api.import_upload, name="api-imports"),
    path("imports/<uuid:batch_id>/commit/", import_api.import_commit_view, name="api-import-commit"),
    path("exports/", import_api.export, name="api-exports"),
    path("media/", api.media_upload, name="api-media"),
    path("stimuli/", stimulus_api.stimulus_list, name="api-stimuli"),
    path("stimuli/<id:stimulus_id>/", stimulus_api.stimulus_detail, name="api-stimulus"),
    path("stimuli/<id:stimulus_id>/copy/", stimulus_api.stimulus_copy, name="api-stimulus-copy"),
    path("items/<id:item_id>/", api.item_detail, name="api-item"),
    path("items/<id:item_id>/versions/", api.item_versions, name="api-item-versions"),
    path("item-versions/<id:version_id>/", api.version_detail, name="api-item-version"),
    path("item-versions/<id:version_id>/submit/", api.version_submit, name="api-item-version-submit"),
    path("item-versions/<id:version_id>/approve/", api.version_approve, name="api-item-version-approve"),
    path(
        "item-versions/<id:version_id>/request-changes/",
        api.version_request_changes,
        name="api-item-version-request-changes",
    ),
    path("item-versions/<id:version_id>/publish/", api.version_publish, name="api-item-version-publish"),
    path("item-versions/<id:version_id>/retire/", api.version_retire, name="api-item-version-retire"),
    path("item-versions/<id:version_id>/history/", api.version_history, name="api-item-version-history"),
    path("item-versions/<id:version_id>/diff/", api.version_diff, name="api-item-version-diff"),
    path("item-versions/<id:version_id>/calibration/", api.version_calibration, name="api-item-version-calibration"),
]
