from django.urls import path, re_path

from . import api

urlpatterns = [
    path("sittings/<id:sitting_id>/marking/", api.sitting_marking, name="api-sitting-marking"),
    path("marking/", api.my_marking, name="api-my-marking"),
    path("marking/<id:plan_id>/next/", api.next_script, name="api-marking-next"),
    # a script's code: letters and digits only (results.marking.CODE_ALPHABET, any case)
    re_path(r"^marking/scripts/(?P<code>[A-Za-z0-9]{1,12})/marks/$", api.script_mark, name="api-script-mark"),
    re_path(r"^marking/scripts/(?P<code>[A-Za-z0-9]{1,12})/release/$", api.script_release, name="api-script-release"),
    path("sittings/<id:sitting_id>/moderation/", api.sitting_moderation, name="api-sitting-moderation"),
    path("sittings/<id:sitting_id>/moderation/preview/", api.moderation_preview, name="api-moderation-preview"),
    path("moderation/<id:change_id>/apply/", api.moderation_apply, name="api-moderation-apply"),
    path("moderation/<id:change_id>/discard/", api.moderation_discard, name="api-moderation-discard"),
    path("attempts/<id:attempt_id>/appeal/", api.attempt_appeal, name="api-attempt-appeal"),
    path("sittings/<id:sitting_id>/appeals/", api.sitting_appeals, name="api-sitting-appeals"),
    path("appeals/<id:appeal_id>/decide/", api.appeal_decide, name="api-appeal-decide"),
    path("sittings/<id:sitting_id>/publication/", api.sitting_publication, name="api-sitting-publication"),
    path("sittings/<id:sitting_id>/publication/review/", api.publication_review, name="api-publication-review"),
    path("sittings/<id:sitting_id>/publication/publish/", api.publication_publish, name="api-publication-publish"),
    path("sittings/<id:sitting_id>/publication/withdraw/", api.publication_withdraw, name="api-publication-withdraw"),
    path("sittings/<id:sitting_id>/calibrations/", api.sitting_calibrations, name="api-sitting-calibrations"),
    path("calibrations/<id:calibration_id>/", api.calibration_detail, name="api-calibration"),
    path("calibrations/<id:calibration_id>/apply/", api.calibration_apply, name="api-calibration-apply"),
    path("sittings/<id:sitting_id>/charts/distribution/", api.chart_distribution, name="api-chart-distribution"),
    path("sittings/<id:sitting_id>/charts/classes/", api.chart_classes, name="api-chart-classes"),
    path("sittings/<id:sitting_id>/charts/schools/", api.chart_schools, name="api-chart-schools"),
    path("sittings/<id:sitting_id>/charts/items/", api.chart_items, name="api-chart-items"),
    path(
        "sittings/<id:sitting_id>/charts/candidates/<id:attempt_id>/",
        api.chart_candidate,
        name="api-chart-candidate",
    ),
    path("sittings/<id:sitting_id>/results/export/", api.results_export, name="api-sitting-results-export"),
    path("sittings/<id:sitting_id>/dif/", api.sitting_dif, name="api-sitting-dif"),
]
