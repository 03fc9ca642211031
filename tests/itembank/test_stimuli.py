"""Shared stimuli through the API: authoring, files and their checks, sharing, freezing,
copies, and the same material above every item that uses it on a form."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.models import Organisation, Role, User
from assess import authoring
from assess import selectors as assess_selectors
from assess.models import Assessment, RecordEntryType
from itembank import services
from itembank.models import ItemVersion, MediaFile, Stimulus, Subject
from itembank.preview import stimulus_view
from tests.factories import make_department, make_school, make_user, release_version

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\x00" * 64
PASSAGE = "<p>Đọc đoạn văn sau: <b>Hà Nội</b> là thủ đô.</p><script>alert(1)</script>"
CHOICES = [{"id": "A", "text": "Đúng"}, {"id": "B", "text": "Sai"}]


@dataclass(frozen=True)
class People:
    school: Organisation
    author: User
    colleague: User
    board: User
    neighbour: User  # a teacher of another school of the same department
    outsider: User  # a teacher of another department
    student: User
    proctor: User


@pytest.fixture
def people(db, tmp_path, settings) -> People:
    settings.MEDIA_ROOT = tmp_path
    settings.MEDIA_IMAGE_MAX_BYTES = 1024
    Subject.objects.get_or_create(code="van", defaults={"name": "Ngữ văn"})
    Subject.objects.get_or_create(code="toan", defaults={"name": "Toán"})
    department = make_department()
    school = make_school(department)
    return People(
        school=school,
        author=make_user(Role.TEACHER, school),
        colleague=make_user(Role.TEACHER, school),
        board=make_user(Role.BOARD, department),
        neighbour=make_user(Role.TEACHER, make_school(department)),
        outsider=make_user(Role.TEACHER, make_school()),
        student=make_user(Role.STUDENT, school),
        proctor=make_user(Role.PROCTOR, school),
    )


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _create(user: User, **fields) -> dict:
    body = {"title": "Bài đọc", "subject": "van", "kind": "passage", "body": PASSAGE, **fields}
    answer = _client(user).post("/api/stimuli/", body, content_type="application/json")
    assert answer.status_code == 201, answer.content
    return answer.json()


def _item(user: User, stimulus_id: int | None, stem: str = "Câu hỏi") -> ItemVersion:
    stimulus = Stimulus.objects.get(pk=stimulus_id) if stimulus_id else None
    return services.item_create(
        by=user,
        subject=Subject.objects.get(code="van"),
        level="biet",
        stimulus=stimulus,
        content={"stem": stem, "options": CHOICES, "key": "A"},
    )


def test_a_teacher_creates_a_passage_its_text_sanitised(people):
    created = _create(people.author, visibility="school")
    stored = Stimulus.objects.get(pk=created["id"])
    assert stored.owner_id == people.school.pk and stored.created_by_id == people.author.pk
    assert "<script>" not in stored.body and "<b>Hà Nội</b>" in stored.body
    assert created["kind"] == "passage" and created["subject"] == "van" and created["visibility"] == "school"
    assert created["html"] == stimulus_view(stored)["html"] and "<b>Hà Nội</b>" in created["html"]
    assert created["media"] is None and created["frozen"] is False and created["editable"] is True
    assert created["used_by"] == 0 and created["owner_name"] == people.school.name
    # A passage needs its text; the model's check answers with the field at fault.
    empty = _client(people.author).post(
        "/api/stimuli/",
        {"title": "Rỗng", "subject": "van", "kind": "table", "body": "  "},
        content_type="application/json",
    )
    assert empty.status_code == 400 and "body" in empty.json()["error"]["fields"]
    unknown = _client(people.author).post(
        "/api/stimuli/",
        {"title": "x", "subject": "su", "kind": "passage", "body": "<p>x</p>"},
        content_type="application/json",
    )
    assert unknown.status_code == 400 and "subject" in unknown.json()["error"]["fields"]


def test_an_image_is_uploaded_with_its_alternative_text_in_the_same_request(people):
    client = _client(people.author)
    answer = client.post(
        "/api/stimuli/",
        {
            "title": "Bản đồ",
            "subject": "van",
            "kind": "image",
            "file": SimpleUploadedFile("ban-do.png", PNG),
            "alt_text": "Bản đồ Việt Nam",
        },
    )
    assert answer.status_code == 201, answer.content
    body = answer.json()
    media = MediaFile.objects.get()
    assert body["media"] == {"id": str(media.pk), "url": media.url, "type": "image/png", "alt_text": "Bản đồ Việt Nam"}
    assert f'src="/media/{media.pk}/"' in body["html"] and 'alt="Bản đồ Việt Nam"' in body["html"]
    assert media.owner_id == people.school.pk
    # An image stored beforehand (POST /api/media/) is used by its id, in JSON.
    reused = _create(people.author, kind="image", body="", media=str(media.pk), title="Bản đồ 2")
    assert reused["media"]["id"] == str(media.pk) and MediaFile.objects.count() == 1


def test_an_image_without_alternative_text_is_refused_and_nothing_is_stored(people):
    client = _client(people.author)
    answer = client.post(
        "/api/stimuli/", {"title": "Hình", "subject": "van", "kind": "image", "file": SimpleUploadedFile("a.png", PNG)}
    )
    assert answer.status_code == 400
    assert "alt_text" in answer.json()["error"]["fields"]
    assert not MediaFile.objects.exists() and not Stimulus.objects.exists()
    # A stored image without one is refused by the model's check, on the media field.
    bare = client.post("/api/media/", {"file": SimpleUploadedFile("a.png", PNG)}).json()
    refused = client.post(
        "/api/stimuli/",
        {"title": "Hình", "subject": "van", "kind": "image", "media": bare["id"]},
        content_type="application/json",
    )
    assert refused.status_code == 400 and "media" in refused.json()["error"]["fields"]
    # Giving it now fills the blank one.
    given = _create(people.author, title="Hình", kind="image", body="", media=bare["id"], alt_text="Một hình vuông")
    assert given["media"]["alt_text"] == "Một hình vuông"


@pytest.mark.parametrize(
    ("kind", "name", "data", "field"),
    [
        ("image", "am-thanh.png", MP3, "file"),  # audio bytes named .png: recognised by the bytes
        ("audio", "hinh.mp3", PNG, "file"),
        ("image", "x.svg", b"<svg onload=alert(1)>", "file"),
        ("image", "big.png", PNG + b"\x00" * 2000, "file"),  # over MEDIA_IMAGE_MAX_BYTES
        ("passage", "hinh.png", PNG, "media"),  # a passage has no file
    ],
)
def test_a_file_of_the_wrong_kind_is_refused(people, kind, name, data, field):
    answer = _client(people.author).post(
        "/api/stimuli/",
        {
            "title": "Sai",
            "subject": "van",
            "kind": kind,
            "body": "<p>x</p>",
            "file": SimpleUploadedFile(name, data),
            "alt_text": "Mô tả",
        },
    )
    assert answer.status_code == 400, answer.content
    assert field in answer.json()["error"]["fields"]
    assert not Stimulus.objects.exists() and not MediaFile.objects.exists()


def test_an_audio_clip_plays_above_the_item(people):
    answer = _client(people.author).post(
        "/api/stimuli/",
        {
            "title": "Bài nghe 1",
            "subject": "van",
            "kind": "audio",
            "body": "<p>Nghe và trả lời.</p>",
            "file": SimpleUploadedFile("nghe.mp3", MP3),
        },
    )
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["media"]["type"] == "audio/mpeg" and body["media"]["alt_text"] == ""
    assert "<audio controls" in body["html"] and 'aria-label="Bài nghe 1"' in body["html"]
    assert "Nghe và trả lời." in body["html"]


def test_sharing_decides_who_finds_and_attaches_a_stimulus(people):
    private = _create(people.neighbour, title="Riêng", visibility="private")
    school = _create(people.neighbour, title="Trường bên", visibility="school")
    department = _create(people.neighbour, title="Cả sở", visibility="department")
    national = _create(people.outsider, title="Toàn quốc", visibility="national")
    mine = _create(people.author, title="Của tôi", visibility="private")
    client = _client(people.author)
    listed = client.get("/api/stimuli/", {"subject": "van"}).json()["results"]
    assert [s["id"] for s in listed] == [mine["id"], national["id"], department["id"]]  # newest first
    assert [s["editable"] for s in listed] == [True, False, False]
    assert client.get("/api/stimuli/", {"subject": "toan"}).json()["results"] == []
    assert [s["id"] for s in client.get("/api/stimuli/", {"q": "quốc"}).json()["results"]] == [national["id"]]
    for hidden in (private, school):
        assert client.get(f"/api/stimuli/{hidden['id']}/").status_code == 404
        refused = client.post(
            "/api/items/",
            {
                "subject": "van",
                "level": "biet",
                "content": {"stem": "x", "options": CHOICES, "key": "A"},
                "stimulus": hidden["id"],
            },
            content_type="application/json",
        )
        assert refused.status_code == 403, refused.content
    attached = client.post(
        "/api/items/",
        {
            "subject": "van",
            "level": "biet",
            "content": {"stem": "x", "options": CHOICES, "key": "A"},
            "stimulus": department["id"],
        },
        content_type="application/json",
    )
    assert attached.status_code == 201, attached.content
    assert attached.json()["versions"][0]["preview"]["stimulus"]["html"] == department["html"]
    # The board of the department oversees the neighbour's school: it sees the school one too.
    board_sees = {s["id"] for s in _client(people.board).get("/api/stimuli/").json()["results"]}
    assert school["id"] in board_sees and private["id"] not in board_sees
    # A private stimulus is its creator's alone, even within the school.
    assert _client(people.colleague).get(f"/api/stimuli/{mine['id']}/").status_code == 404
    # Another organisation's media file cannot be attached by its id.
    foreign = (
        _client(people.outsider)
        .post("/api/media/", {"file": SimpleUploadedFile("b.png", PNG), "alt_text": "Hình"})
        .json()
    )
    stolen = client.post(
        "/api/stimuli/",
        {"title": "Hình", "subject": "van", "kind": "image", "media": foreign["id"]},
        content_type="application/json",
    )
    assert stolen.status_code == 400 and "media" in stolen.json()["error"]["fields"]


def test_who_may_change_a_stimulus(people):
    shared = _create(people.author, visibility="school")
    private = _create(people.author, visibility="private", title="Riêng")
    url = f"/api/stimuli/{shared['id']}/"
    changed = _client(people.colleague).patch(url, {"title": "Bài đọc 1"}, content_type="application/json")
    assert changed.status_code == 200, changed.content
    assert changed.json()["title"] == "Bài đọc 1"
    assert _client(people.board).patch(url, {"title": "Bài đọc 2"}, content_type="application/json").status_code == 200
    department = _create(people.author, visibility="department", title="Cả sở")
    neighbour = _client(people.neighbour)
    assert neighbour.get(f"/api/stimuli/{department['id']}/").json()["editable"] is False
    refused = neighbour.patch(f"/api/stimuli/{department['id']}/", {"title": "x"}, content_type="application/json")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    assert _client(people.author).get(f"/api/stimuli/{private['id']}/").json()["editable"] is True
    moved = _client(people.author).patch(url, {"subject": "toan"}, content_type="application/json")
    assert moved.status_code == 400 and "subject" in moved.json()["error"]["fields"]
    body = _client(people.author).patch(
        url, {"body": "<p>Mới <img src=media:x onerror=alert(1)></p>"}, content_type="application/json"
    )
    assert body.status_code == 200 and "onerror" not in body.json()["html"]


def test_a_stimulus_an_approved_version_uses_is_frozen_and_a_copy_is_editable(people):
    created = _create(people.author)
    url = f"/api/stimuli/{created['id']}/"
    draft = _item(people.author, created["id"])
    # Drafts do not freeze it: the text may still change.
    assert (
        _client(people.author).patch(url, {"title": "Bài đọc (sửa)"}, content_type="application/json").status_code
        == 200
    )
    services.item_version_submit(by=people.author, version_id=draft.pk)
    services.item_version_approve(by=people.colleague, version_id=draft.pk)
    shown = _client(people.author).get(url).json()
    assert shown["frozen"] is True and shown["editable"] is False and shown["used_by"] == 1
    refused = _client(people.author).patch(url, {"body": "<p>Khác</p>"}, content_type="application/json")
    assert refused.status_code == 400
    error = refused.json()["error"]
    assert error["code"] == "frozen" and "copy" in error["message"]
    assert Stimulus.objects.get(pk=created["id"]).body == shown["body"]

    copied = _client(people.colleague).post(f"{url}copy/")
    assert copied.status_code == 201, copied.content
    copy = copied.json()
    assert copy["id"] != created["id"] and copy["frozen"] is False and copy["editable"] is True
    assert copy["html"] == shown["html"] and copy["title"] == shown["title"] and copy["used_by"] == 0
    stored = Stimulus.objects.get(pk=copy["id"])
    assert stored.owner_id == people.school.pk and stored.created_by_id == people.colleague.pk
    edited = _client(people.colleague).patch(
        f"/api/stimuli/{copy['id']}/", {"body": "<p>Đoạn văn đã sửa.</p>"}, content_type="application/json"
    )
    assert edited.status_code == 200 and "đã sửa" in edited.json()["html"]
    assert Stimulus.objects.get(pk=created["id"]).body == shown["body"]  # the original stays
    # Someone of another school copies a department-wide stimulus into their own school.
    department = _create(people.author, visibility="department", title="Cả sở")
    theirs = _client(people.neighbour).post(
        f"/api/stimuli/{department['id']}/copy/", {"title": "Bản của tôi"}, content_type="application/json"
    )
    assert theirs.status_code == 201 and theirs.json()["title"] == "Bản của tôi"
    assert Stimulus.objects.get(pk=theirs.json()["id"]).owner_id == people.neighbour.organisation_id
    assert _client(people.outsider).post(f"/api/stimuli/{department['id']}/copy/").status_code == 404


@pytest.mark.parametrize("role", ["student", "proctor"])
def test_students_and_proctors_have_no_stimuli(people, role):
    created = _create(people.author, visibility="national")
    client = _client(getattr(people, role))
    assert client.get("/api/stimuli/").status_code == 403
    assert client.get(f"/api/stimuli/{created['id']}/").status_code == 403
    body = {"title": "x", "subject": "van", "kind": "passage", "body": "<p>x</p>"}
    assert client.post("/api/stimuli/", body, content_type="application/json").status_code == 403
    assert (
        client.patch(f"/api/stimuli/{created['id']}/", {"title": "y"}, content_type="application/json").status_code
        == 403
    )
    assert client.post(f"/api/stimuli/{created['id']}/copy/").status_code == 403
    assert Stimulus.objects.count() == 1
    assert Client().get("/api/stimuli/").status_code in (401, 403)


def test_writes_need_the_csrf_token(people):
    client = Client(enforce_csrf_checks=True)
    client.force_login(people.author)
    body = {"title": "Bài đọc", "subject": "van", "kind": "passage", "body": "<p>Văn bản</p>"}
    refused = client.post("/api/stimuli/", body, content_type="application/json")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "csrf_failed"
    token = client.get("/api/auth/csrf/").json()["csrf_token"]
    created = client.post("/api/stimuli/", body, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert created.status_code == 201
    url = f"/api/stimuli/{created.json()['id']}/"
    assert client.patch(url, {"title": "x"}, content_type="application/json").status_code == 403
    assert client.post(f"{url}copy/").status_code == 403
    assert Stimulus.objects.count() == 1 and Stimulus.objects.get().title == "Bài đọc"
    assert client.get("/api/stimuli/").status_code == 200  # reads need no token


def test_a_stimulus_used_by_two_items_shows_identically_above_both_on_a_form(people):
    created = _create(people.author, visibility="school")
    others = _item(people.author, None, stem="Câu không dùng ngữ liệu")
    versions = [_item(people.author, created["id"], stem=f"Câu {n}") for n in (1, 2)]
    released = [
        release_version(v, author=people.author, reviewer=people.colleague) for v in [versions[0], others, versions[1]]
    ]
    assessment = Assessment.objects.create(
        title="Kiểm tra đọc hiểu",
        kind=Assessment.Kind.PERIODIC,
        subject=Subject.objects.get(code="van"),
        organisation=people.school,
        duration=timedelta(minutes=45),
        school_year="2026-2027",
        term=1,
        record_entry_type=RecordEntryType.MIDTERM,
        created_by=people.board,
    )
    form = authoring.form_of_versions(by=people.board, assessment=assessment, code="101", item_versions=released)
    first, middle, last = assess_selectors.form_content(form.pk)
    assert first["stimulus"] == last["stimulus"] == {"id": created["id"], "title": "Bài đọc", "html": created["html"]}
    assert middle["stimulus"] is None
    assert first["stem_html"] != last["stem_html"]
    # Now that published versions use it, it is frozen: the form's material cannot drift.
    listed = _client(people.author).get("/api/stimuli/").json()["results"]
    assert [(s["id"], s["frozen"], s["used_by"]) for s in listed] == [(created["id"], True, 2)]


def test_a_draft_stimulus_changes_kind_and_file(people):
    from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

    created = _create(people.author)
    url = f"/api/stimuli/{created['id']}/"
    client = _client(people.author)
    body = encode_multipart(
        BOUNDARY, {"kind": "image", "file": SimpleUploadedFile("so-do.png", PNG), "alt_text": "Sơ đồ"}
    )
    image = client.patch(url, body, content_type=MULTIPART_CONTENT)
    assert image.status_code == 200, image.content
    assert image.json()["kind"] == "image" and image.json()["media"]["alt_text"] == "Sơ đồ"
    # An audio kind with the image still attached is refused by the model's check.
    audio = client.patch(url, {"kind": "audio"}, content_type="application/json")
    assert audio.status_code == 400 and "media" in audio.json()["error"]["fields"]
    back = client.patch(
        url, {"kind": "table", "body": "<table><tr><td>1</td></tr></table>"}, content_type="application/json"
    )
    assert back.status_code == 200 and back.json()["media"] is None and "<table>" in back.json()["html"]
    assert Stimulus.objects.get(pk=created["id"]).media_id is None


def test_the_edit_rule_mirrors_the_items(people):
    from accounts.permissions import scope_of
    from itembank.selectors import can_edit_item
    from itembank.stimuli import user_can_edit_stimulus

    admin = make_user(Role.ADMIN, None)
    for visibility in ("private", "school", "department"):
        stimulus = Stimulus.objects.get(pk=_create(people.author, visibility=visibility, title=visibility)["id"])
        item = _item(people.author, None).item
        item.visibility = visibility
        for user in (people.author, people.colleague, people.board, people.neighbour, people.student, admin):
            assert user_can_edit_stimulus(user, stimulus) == can_edit_item(scope_of(user), item), (visibility, user)
        expected = {"private": [True, False, False], "school": [True, True, True], "department": [True, True, True]}
        assert [user_can_edit_stimulus(u, stimulus) for u in (people.author, people.colleague, people.board)] == (
            expected[visibility]
        )
