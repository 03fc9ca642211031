from django.urls import path

from . import api

urlpatterns = [
    path("items/", api.items, name="api-items"),
    path("items/<int:item_id>/", api.item_detail, name="api-item"),
    path("items/<int:item_id>/versions/", api.item_versions, name="api-item-versions"),
    path("item-versions/<int:version_id>/", api.version_detail, name="api-item-version"),
    path("item-versions/<int:version_id>/publish/", api.version_publish, name="api-item-version-publish"),
]
