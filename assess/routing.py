from django.urls import path, re_path

from .consumers import AttemptConsumer, UnknownPathConsumer

websocket_urlpatterns = [
    path("ws/attempts/<id:attempt_id>/", AttemptConsumer.as_asgi()),
    re_path(r"^.*$", UnknownPathConsumer.as_asgi()),
]
