from django.urls import path

from . import api

urlpatterns = [
    path("rooms/", api.room_list, name="api-rooms"),
    path("rooms/<id:room_id>/", api.room_detail, name="api-room"),
    path("sittings/<id:sitting_id>/rooms/", api.sitting_rooms, name="api-sitting-rooms"),
    path("sittings/<id:sitting_id>/console/", api.sitting_console, name="api-sitting-console"),
    path("sitting-rooms/", api.sitting_room_list, name="api-sitting-room-list"),
    path("sitting-rooms/<id:sitting_room_id>/", api.sitting_room, name="api-sitting-room"),
    path("sitting-rooms/<id:sitting_room_id>/console/", api.sitting_room_console, name="api-sitting-room-console"),
    path("sitting-rooms/<id:sitting_room_id>/open/", api.sitting_room_open, name="api-sitting-room-open"),
    path("attempts/<id:attempt_id>/seat/", api.attempt_seat, name="api-attempt-seat"),
    path("attempts/<id:attempt_id>/check-in/", api.attempt_check_in, name="api-attempt-check-in"),
]
