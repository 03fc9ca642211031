from django.urls import path, re_path

from proctoring.consumers import ConsoleConsumer

from .consumers import AttemptConsumer, UnknownPathConsumer

websocket_urlpatterns = [
    path("ws/attempts/<id:attempt_id>/", AttemptConsumer.as_asgi()),
    path("ws/consoles/rooms/<id:sitting_room_id>/", ConsoleConsumer.as_asgi()),
    path("ws/consoles/sittings/<id:sitting_id>/", ConsoleConsumer.as_asgi()),
    re_path(r"^.*$", UnknownPathConsumer.as_asgi()),
]
