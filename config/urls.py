from django.contrib import admin
from django.urls import include, path

from itembank import views as bank_views

from . import schema, views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("metrics", views.metrics_view, name="metrics"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("media/<uuid:media_id>/", bank_views.media, name="media"),
    path("api/schema/", schema.schema, name="api-schema"),
    path("api/docs/", schema.docs, name="api-docs"),
    path("api/", include("accounts.urls")),
    path("api/", include("itembank.urls")),
    path("api/", include("assess.urls")),
    path("api/", include("jobs.urls")),
    path("api/", include("proctoring.urls")),
    path("api/", include("results.urls")),
    path("api/", include("records.urls")),
    path("", include("frontend.urls")),
]

# With DEBUG off: the API's JSON error under /api/, a page of the site elsewhere (config/errors.py).
handler400 = "config.errors.bad_request"
handler403 = "config.errors.permission_denied"
handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"
