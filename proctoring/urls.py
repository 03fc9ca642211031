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
    path("attempts/<id:attempt_id>/pause/", api.attempt_pause, name="api-attempt-pause"),
    path("attempts/<id:attempt_id>/resume/", api.attempt_resume, name="api-attempt-resume"),
    path("attempts/<id:attempt_id>/extend/", api.attempt_extend, name="api-attempt-extend"),
    path("attempts/<id:attempt_id>/void/", api.attempt_void, name="api-attempt-void"),
    path("attempts/<id:attempt_id>/message/", api.attempt_message, name="api-attempt-message"),
    path("sitting-rooms/<id:sitting_room_id>/pause/", api.room_pause, name="api-sitting-room-pause"),
    path("sitting-rooms/<id:sitting_room_id>/resume/", api.room_resume, name="api-sitting-room-resume"),
    path("sitting-rooms/<id:sitting_room_id>/message/", api.room_message, name="api-sitting-room-message"),
    path("sitting-rooms/<id:sitting_room_id>/log/", api.sitting_room_log, name="api-sitting-room-log"),
    path("sittings/<id:sitting_id>/pause/", api.sitting_pause, name="api-sitting-pause"),
    path("sittings/<id:sitting_id>/resume/", api.sitting_resume, name="api-sitting-resume"),
    path("sittings/<id:sitting_id>/message/", api.sitting_message, name="api-sitting-message"),
    path("sittings/<id:sitting_id>/log/", api.sitting_log, name="api-sitting-log"),
]
