"""Students' photos for check-in: kept as small upright JPEGs without metadata, uploaded and
removed by the school's administrator, seen by the school's administrators, the exam board and
the proctors of the student's room, and by nobody else (for whom there is no photo)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.utils import translation
from PIL import Image

from accounts import photos
from accounts.models import Role, User
from accounts.permissions import may_see_photo
from proctoring.services import RoomPlan, RoomSpec, room_save, sitting_place
from tests.factories import logged_in_client, make_school, make_sitting, make_user

pytestmark = pytest.mark.django_db

RED, BLUE = (220, 20, 20), (20, 20, 220)
ORIENTATION = 0x0112  # EXIF tag
MAKE = 0x010F  # EXIF tag: the camera's maker


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def picture(width: int, height: int, fmt: str = "JPEG", *, orientation: int | None = None, mode: str = "RGB") -> bytes:
    """An image whose left half is red and right half blue, with EXIF if asked."""
    image = Image.new(mode, (width, height), RED if mode == "RGB" else (*RED, 0))
    image.paste(BLUE if mode == "RGB" else (*BLUE, 255), (width // 2, 0, width, height))
    out = io.BytesIO()
    if orientation is None:
        image.save(out, fmt)
    else:
        exif = Image.Exif()
        exif[ORIENTATION] = orientation
        exif[MAKE] = "Camera of a phone"
        image.save(out, fmt, exif=exif.tobytes())
    return out.getvalue()


def near(colour: tuple[int, ...], expected: tuple[int, int, int]) -> bool:
    return all(abs(a - b) < 40 for a, b in zip(colour[:3], expected, strict=True))


def kept(student: User) -> Image.Image:
    student.refresh_from_db()
    with student.photo.open("rb") as handle:
        image = Image.open(io.BytesIO(handle.read()))
        image.load()
    return image


@pytest.fixture
def school():
    return make_school()


@pytest.fixture
def admin_of(school) -> User:
    return make_user(Role.SCHOOL_ADMIN, school)


@pytest.fixture
def student(school) -> User:
    return make_user(Role.STUDENT, school, first_name="An", last_name="Nguyễn Văn")


# --- what is kept ------------------------------------------------------------------------------


def test_a_photo_is_kept_as_a_small_upright_jpeg_without_metadata(admin_of, student, media_root):
    # A phone's picture, stored sideways with "rotate 90° clockwise to show" (orientation 6).
    upload = picture(1200, 800, orientation=6)
    assert Image.open(io.BytesIO(upload)).getexif()[MAKE] == "Camera of a phone"

    photos.photo_store(by=admin_of, user_id=student.pk, data=upload)

    image = kept(student)
    assert image.format == "JPEG" and image.mode == "RGB"
    assert image.size == (400, 600)  # upright: portrait, 600 px on the long side
    assert near(image.getpixel((200, 20)), RED) and near(image.getpixel((200, 580)), BLUE)  # the left side on top
    assert dict(image.getexif()) == {}  # no orientation left to apply, no camera, no position
    assert student.photo.name.startswith("photos/") and student.photo.name.endswith(".jpg")
    assert (Path(media_root) / student.photo.name).is_file()
    assert student.photo_updated_at is not None


def test_png_and_webp_are_kept_as_jpeg_transparency_on_white_and_small_ones_not_enlarged(admin_of, student):
    photos.photo_store(by=admin_of, user_id=student.pk, data=picture(300, 400, "PNG", mode="RGBA"))
    image = kept(student)
    assert image.format == "JPEG" and image.size == (300, 400)
    assert near(image.getpixel((10, 200)), (255, 255, 255))  # transparent red: the white behind
    assert near(image.getpixel((290, 200)), BLUE)

    photos.photo_store(by=admin_of, user_id=student.pk, data=picture(900, 1800, "WEBP"))
    image = kept(student)
    assert image.format == "JPEG" and image.size == (300, 600)


def test_a_new_photo_replaces_the_old_file_and_removing_it_deletes_it(
    admin_of, student, media_root, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        photos.photo_store(by=admin_of, user_id=student.pk, data=picture(60, 80))
    student.refresh_from_db()
    first = Path(media_root) / student.photo.name
    assert first.is_file()

    with django_capture_on_commit_callbacks(execute=True):
        photos.photo_store(by=admin_of, user_id=student.pk, data=picture(80, 60))
    student.refresh_from_db()
    second = Path(media_root) / student.photo.name
    assert second != first and second.is_file() and not first.exists()

    with django_capture_on_commit_callbacks(execute=True):
        photos.photo_delete(by=admin_of, user_id=student.pk)
    student.refresh_from_db()
    assert not student.photo and student.photo_updated_at is None and not second.exists()
    with django_capture_on_commit_callbacks(execute=True):
        photos.photo_delete(by=admin_of, user_id=student.pk)  # again: nothing to do


# --- what is refused ---------------------------------------------------------------------------


def gif() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, "GIF")
    return out.getvalue()


def too_many_pixels() -> bytes:
    out = io.BytesIO()
    Image.new("1", (8000, 7000)).save(out, "PNG")  # 56 million pixels in a few kilobytes
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"Nguyen Van An, 10A1\n", "Not a photo that can be read: send a JPEG, PNG or WebP image."),
        (picture(40, 40)[:200], "Not a photo that can be read: send a JPEG, PNG or WebP image."),  # cut short
        (gif(), "Not a photo that can be read: send a JPEG, PNG or WebP image."),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "Not a photo that can be read: send a JPEG, PNG or WebP image."),
        (too_many_pixels(), "The photo has too many pixels: at most 50 million."),
    ],
    ids=["empty", "text", "truncated", "gif", "svg", "pixels"],
)
def test_what_is_no_photo_is_refused_with_a_message_for_its_field(admin_of, student, data, message):
    with pytest.raises(ValidationError) as refused:
        photos.photo_store(by=admin_of, user_id=student.pk, data=data)
    assert refused.value.message_dict == {"file": [message]}
    student.refresh_from_db()
    assert not student.photo


def test_a_file_over_the_limit_is_refused(admin_of, student, settings):
    settings.PHOTO_MAX_BYTES = 2 * 1024 * 1024
    big = picture(40, 40) + b"\x00" * (2 * 1024 * 1024)  # a JPEG with trailing bytes Pillow would ignore
    with pytest.raises(ValidationError) as refused:
        photos.photo_store(by=admin_of, user_id=student.pk, data=big)
    assert refused.value.message_dict == {"file": ["The photo is larger than 2 MB."]}


def test_only_a_school_administrator_of_the_students_school_stores_a_photo(school, admin_of, student):
    data = picture(40, 40)
    with pytest.raises(PermissionDenied):
        photos.photo_store(by=make_user(Role.TEACHER, school), user_id=student.pk, data=data)
    with pytest.raises(PermissionDenied):
        photos.photo_store(by=make_user(Role.BOARD, school.parent), user_id=student.pk, data=data)
    with pytest.raises(PermissionDenied):
        photos.photo_store(by=student, user_id=student.pk, data=data)
    with pytest.raises(User.DoesNotExist):  # another school's student does not exist for them
        photos.photo_store(by=make_user(Role.SCHOOL_ADMIN, make_school()), user_id=student.pk, data=data)
    with pytest.raises(PermissionDenied):  # a teacher of their own school has no photo
        photos.photo_store(by=admin_of, user_id=make_user(Role.TEACHER, school).pk, data=data)
    with pytest.raises(PermissionDenied):
        photos.photo_delete(by=make_user(Role.TEACHER, school), user_id=student.pk)
    student.refresh_from_db()
    assert not student.photo

    department_admin = make_user(Role.SCHOOL_ADMIN, school.parent)  # a department's: its schools
    photos.photo_store(by=department_admin, user_id=student.pk, data=data)
    photos.photo_store(by=make_user(Role.ADMIN, None), user_id=student.pk, data=data)
    student.refresh_from_db()
    assert student.photo


# --- the REST door -----------------------------------------------------------------------------


def client_of(user: User):
    """A logged-in client reading the API's messages in English."""
    client = logged_in_client(user)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def put_photo(client, user_id: int, data: bytes, name: str = "anh.jpg"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    body = encode_multipart(BOUNDARY, {"file": SimpleUploadedFile(name, data)})
    return client.put(f"/api/people/{user_id}/photo/", data=body, content_type=MULTIPART_CONTENT)


def test_a_school_administrator_uploads_sees_and_removes_a_photo_through_the_api(
    school, admin_of, student, django_capture_on_commit_callbacks
):
    client = client_of(admin_of)
    url = f"/api/people/{student.pk}/photo/"
    assert client.get(url).status_code == 404  # none yet

    with django_capture_on_commit_callbacks(execute=True):
        response = put_photo(client, student.pk, picture(1200, 1600))
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["id"], body["has_photo"], body["citizen_id"]) == (student.pk, True, "")

    shown = client.get(url)
    assert shown.status_code == 200
    assert shown["Content-Type"] == "image/jpeg"
    assert shown["Cache-Control"] == "private, no-cache"
    assert shown["X-Content-Type-Options"] == "nosniff"
    content = b"".join(shown.streaming_content)
    assert Image.open(io.BytesIO(content)).size == (450, 600)
    again = client.get(url, headers={"If-None-Match": shown["ETag"]})
    assert again.status_code == 304 and not again.content

    # The class's students say whether each has a photo, and their citizen ID number.
    from accounts import services

    school_class = services.class_create(
        by=admin_of, school_id=school.pk, school_year="2026-2027", name="10A1", grade=10
    )
    services.class_place_student(by=admin_of, class_id=school_class.pk, student_id=student.pk)
    User.objects.filter(pk=student.pk).update(citizen_id="001210012345")
    [listed] = client.get(f"/api/classes/{school_class.pk}/").json()["students"]
    assert (listed["has_photo"], listed["citizen_id"]) == (True, "001210012345")

    refused = put_photo(client, student.pk, b"not an image", "anh.txt")
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"] == {
        "file": ["Not a photo that can be read: send a JPEG, PNG or WebP image."]
    }
    assert client.put(url, data=encode_multipart(BOUNDARY, {}), content_type=MULTIPART_CONTENT).status_code == 400

    with django_capture_on_commit_callbacks(execute=True):
        assert client.delete(url).status_code == 204
    assert client.get(url).status_code == 404
    assert client.delete(url).status_code == 204


def test_an_upload_over_the_limit_is_refused_before_it_is_read(admin_of, student, settings, monkeypatch):
    settings.PHOTO_MAX_BYTES = 1024 * 1024

    def unread(**kwargs):
        raise AssertionError("the upload was read")

    monkeypatch.setattr(photos, "photo_store", unread)
    response = put_photo(client_of(admin_of), student.pk, picture(300, 300) + b"\x00" * (1024 * 1024))
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"file": ["The photo is larger than 1 MB."]}


def test_who_may_not_upload_through_the_api(school, student):
    data = picture(40, 40)
    assert put_photo(logged_in_client(make_user(Role.TEACHER, school)), student.pk, data).status_code == 403
    assert put_photo(logged_in_client(make_user(Role.PROCTOR, school)), student.pk, data).status_code == 403
    assert put_photo(logged_in_client(student), student.pk, data).status_code == 403
    other_admin = logged_in_client(make_user(Role.SCHOOL_ADMIN, make_school()))
    assert put_photo(other_admin, student.pk, data).status_code == 404
    assert other_admin.delete(f"/api/people/{student.pk}/photo/").status_code == 404
    assert put_photo(other_admin, 10**12, data).status_code == 404
    student.refresh_from_db()
    assert not student.photo


# --- who sees it -------------------------------------------------------------------------------


@pytest.fixture
def placed():
    """A sitting of two candidates in two rooms of one seat each, a proctor named for each room."""
    sitting = make_sitting(n_students=2)
    school = sitting.organisation
    keeper = make_user(Role.SCHOOL_ADMIN, school)
    rooms = [
        room_save(by=keeper, organisation_id=school.pk, spec=RoomSpec(name=name, rows=1, columns=1))
        for name in ("P1", "P2")
    ]
    proctors = [make_user(Role.PROCTOR, school) for _room in rooms]
    sitting_place(
        by=sitting.created_by,
        sitting_id=sitting.pk,
        plan=[
            RoomPlan(room_id=room.pk, proctor_ids=(proctor.pk,)) for room, proctor in zip(rooms, proctors, strict=True)
        ],
    )
    attempts = list(sitting.attempts.select_related("student", "room__room").order_by("room__room__name"))
    assert [a.room.room.name for a in attempts] == ["P1", "P2"]
    for attempt in attempts:
        photos.photo_store(by=keeper, user_id=attempt.student_id, data=picture(30, 40))
    return sitting, keeper, [a.student for a in attempts], proctors


def test_the_schools_administrators_the_board_and_the_proctor_of_the_room_see_a_photo(placed):
    sitting, keeper, (first, second), (first_proctor, second_proctor) = placed
    school = sitting.organisation
    allowed = {
        "school administrator": keeper,
        "department's administrator": make_user(Role.SCHOOL_ADMIN, school.parent),
        "exam board": make_user(Role.BOARD, school.parent),
        "platform administrator": make_user(Role.ADMIN, None),
        "proctor of the room": first_proctor,
    }
    refused = {
        "proctor of another room": second_proctor,
        "proctor of no room": make_user(Role.PROCTOR, school),
        "teacher": make_user(Role.TEACHER, school),
        "the student": first,
        "another student": second,
        "another school's administrator": make_user(Role.SCHOOL_ADMIN, make_school()),
        "another department's board": make_user(Role.BOARD, make_school().parent),
    }
    for who, viewer in allowed.items():
        assert may_see_photo(viewer, first), who
        response = logged_in_client(viewer).get(f"/api/people/{first.pk}/photo/")
        assert response.status_code == 200 and response["Content-Type"] == "image/jpeg", who
    for who, viewer in refused.items():
        assert not may_see_photo(viewer, first), who
        response = logged_in_client(viewer).get(f"/api/people/{first.pk}/photo/")
        assert response.status_code == 404, who
        assert response.json()["error"]["code"] == "not_found"
    assert may_see_photo(second_proctor, second) and not may_see_photo(first_proctor, second)
    assert logged_in_client(keeper).get(f"/api/people/{keeper.pk}/photo/").status_code == 404  # no student
    assert not may_see_photo(keeper, keeper)


def test_seeing_photos_costs_no_query_but_for_proctors(placed, django_assert_num_queries):
    sitting, keeper, students, (proctor, _other) = placed
    board = make_user(Role.BOARD, sitting.organisation.parent)
    may_see_photo(board, students[0])  # the scope, once per user object
    may_see_photo(proctor, students[0])
    with django_assert_num_queries(0):
        assert all(may_see_photo(board, student) for student in students)
    with django_assert_num_queries(2):
        assert [may_see_photo(proctor, student) for student in students] == [True, False]
