from django.contrib import admin
from django.urls import include, path

from itembank import views as bank_views

from . import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("media/<uuid:media_id>/", bank_views.media, name="media"),
    path("api/", include("accounts.urls")),
    path("api/", include("itembank.urls")),
    path("api/", include("assess.urls")),
    path("", include("frontend.urls")),
]
