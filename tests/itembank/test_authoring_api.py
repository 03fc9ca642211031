"""The authoring calls behind the editor: live preview, near-duplicates, review queue,
vocabulary, search, media and stimuli."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client, override_settings

from accounts.models import Role
from itembank import services
from itembank.models import MediaFile, Stimulus, Subject, Topic
from itembank.preview import student_preview
from tests.factories import make_school, make_user

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
TRUE_FALSE = {
    "stem": "Cho hàm số $y = x^3 - 3x$.",
    "statements": [{"id": c, "text": f"Mệnh đề {c}"} for c in "abcd"],
    "keys": {"a": True, "b": False, "c": True, "d": False},
}


@pytest.fixture
def people(db):
    school = make_school()
    Subject.objects.get_or_create(code="toan", defaults={"name": "Toán"})
    return {
        "author": make_user(Role.TEACHER, school),
        "colleague": make_user(Role.TEACHER, school),
        "outsider": make_user(Role.TEACHER, make_school()),
        "student": make_user(Role.STUDENT, school),
    }


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_live_preview_is_the_student_view_and_holds_no_key(people):
    client = _client(people["author"])
    answer = client.post(
        "/api/items/preview/",
        {"item_type": "true_false_group", "content": TRUE_FALSE, "points": "1"},
        content_type="application/json",
    )
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert [s["id"] for s in body["preview"]["statements"]] == list("abcd")
    assert "<math" in body["preview"]["stem_html"]
    dumped = json.dumps(body["preview"])
    assert "keys" not in dumped and not re.search(r":\s*(true|false)\b", dumped)  # no truth value leaves
    assert "a" in body["key_summary"]
    # The same content saved and put on a form gives the same bytes as the preview.
    version = services.item_create(
        by=people["author"],
        subject=Subject.objects.get(code="toan"),
        level="hieu",
        item_type="true_false_group",
        content=TRUE_FALSE,
    )
    saved = student_preview(version)
    assert saved["stem_html"] == body["preview"]["stem_html"] and saved["statements"] == body["preview"]["statements"]


def test_live_preview_reports_each_field_at_fault(people):
    client = _client(people["author"])
    broken = {**TRUE_FALSE, "keys": {"a": True}}
    answer = client.post(
        "/api/items/preview/", {"item_type": "true_false_group", "content": broken}, content_type="application/json"
    )
    assert answer.status_code == 400
    assert "keys" in answer.json()["error"]["fields"]
    unknown = client.post(
        "/api/items/preview/", {"item_type": "riddle", "content": {}}, content_type="application/json"
    )
    assert unknown.status_code == 400 and "item_type" in unknown.json()["error"]["fields"]


def test_near_duplicates_warn_within_the_subject(people):
    subject = Subject.objects.get(code="toan")
    stem = "Tính đạo hàm của hàm số y bằng x mũ ba trừ ba x cộng một tại điểm x bằng hai"
    options = [{"id": "A", "text": "9"}, {"id": "B", "text": "3"}]
    first = services.item_create(
        by=people["author"], subject=subject, level="biet", content={"stem": stem, "options": options, "key": "A"}
    )
    client = _client(people["colleague"])
    similar = {"stem": stem.replace("hai", "ba"), "options": options, "key": "A"}
    found = client.post(
        "/api/items/near-duplicates/",
        {"subject": "toan", "item_type": "single_choice", "content": similar},
        content_type="application/json",
    ).json()["results"]
    assert [r["id"] for r in found] == [first.item_id] and found[0]["similarity"] >= 0.6
    unrelated = {"stem": "Thủ đô của nước Pháp là thành phố nào trên bản đồ châu Âu", "options": options, "key": "A"}
    none = client.post(
        "/api/items/near-duplicates/",
        {"subject": "toan", "item_type": "single_choice", "content": unrelated},
        content_type="application/json",
    ).json()["results"]
    assert none == []
    itself = client.post(
        "/api/items/near-duplicates/",
        {"subject": "toan", "item_type": "single_choice", "content": similar, "exclude_item": first.item_id},
        content_type="application/json",
    ).json()["results"]
    assert itself == []


def test_review_queue_lists_what_a_colleague_may_review_never_ones_own(people):
    subject = Subject.objects.get(code="toan")
    version = services.item_create(
        by=people["author"], subject=subject, level="biet", item_type="true_false_group", content=TRUE_FALSE
    )
    services.item_version_submit(by=people["author"], version_id=version.pk)
    assert _client(people["author"]).get("/api/review-queue/").json()["results"] == []
    assert _client(people["outsider"]).get("/api/review-queue/").json()["results"] == []
    queue = _client(people["colleague"]).get("/api/review-queue/").json()["results"]
    assert [(row["version"], row["item_type"]) for row in queue] == [(version.pk, "true_false_group")]
    assert queue[0]["submitted_at"] and "Mệnh đề a" in queue[0]["text"]


def test_meta_lists_subjects_with_their_topic_trees_and_levels(people):
    subject = Subject.objects.get(code="toan")
    chapter = Topic.objects.create(subject=subject, name="Chương 1", kind=Topic.Kind.CHAPTER)
    Topic.objects.create(subject=subject, name="Bài 1", kind=Topic.Kind.LESSON, parent=chapter)
    meta = _client(people["author"]).get("/api/bank/meta/").json()
    topics = next(s for s in meta["subjects"] if s["code"] == "toan")["topics"]
    assert {(t["name"], t["kind"], t["parent"]) for t in topics} == {
        ("Chương 1", "chapter", None),
        ("Bài 1", "lesson", chapter.pk),
    }
    assert [level["code"] for level in meta["levels"]] == ["biet", "hieu", "van_dung"]
    assert len(meta["item_types"]) == 9


@override_settings(
    COGNITIVE_LEVELS=[("nb", "Nhận biết"), ("th", "Thông hiểu"), ("vd", "Vận dụng"), ("vdc", "Vận dụng cao")]
)
def test_cognitive_levels_are_configurable(people):
    client = _client(people["author"])
    assert [level["code"] for level in client.get("/api/bank/meta/").json()["levels"]] == ["nb", "th", "vd", "vdc"]
    item = {"subject": "toan", "level": "vdc", "item_type": "true_false_group", "content": TRUE_FALSE}
    assert client.post("/api/items/", item, content_type="application/json").status_code == 201
    refused = client.post("/api/items/", {**item, "level": "biet"}, content_type="application/json")
    assert refused.status_code == 400 and "level" in refused.json()["error"]["fields"]


def test_search_filters_and_pages(people):
    subject = Subject.objects.get(code="toan")
    for n in range(30):
        services.item_create(
            by=people["author"],
            subject=subject,
            level="biet" if n % 2 else "hieu",
            content={
                "stem": f"Hàm số thứ {n}",
                "options": [{"id": "A", "text": "1"}, {"id": "B", "text": "2"}],
                "key": "A",
            },
        )
    client = _client(people["colleague"])
    page = client.get("/api/items/", {"q": "ham so", "level": "biet"}).json()
    assert page["count"] == 15 and page["pages"] == 1 and all(r["level"] == "biet" for r in page["results"])
    everything = client.get("/api/items/", {"q": "HÀM SỐ"}).json()
    assert everything["count"] == 30 and everything["pages"] == 2 and len(everything["results"]) == 25
    assert client.get("/api/items/", {"q": "ham so", "page": 2}).json()["results"][-1]["latest"]["status"] == "draft"
    assert client.get("/api/items/", {"level": "x" * 50}).status_code == 400
    assert client.get("/api/items/", {"page": "0"}).status_code == 400
    assert client.get("/api/items/", {"q": "&|!():*'"}).status_code == 200


def test_media_upload_checks_the_bytes_and_serves_only_signed_in_users(people, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    settings.MEDIA_IMAGE_MAX_BYTES = 1024
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = _client(people["author"])
    stored = client.post("/api/media/", {"file": SimpleUploadedFile("hình 1.png", PNG), "alt_text": "Đồ thị"})
    assert stored.status_code == 201, stored.content
    body = stored.json()
    assert body["type"] == "image/png" and body["ref"].startswith("media:")
    again = client.post("/api/media/", {"file": SimpleUploadedFile("copy.png", PNG)})
    assert again.json()["id"] == body["id"] and MediaFile.objects.count() == 1  # same bytes, stored once
    for name, data in [("x.png", b"<svg onload=alert(1)>"), ("x.png", b"<html>"), ("big.png", PNG + b"\x00" * 2000)]:
        refused = client.post("/api/media/", {"file": SimpleUploadedFile(name, data)})
        assert refused.status_code == 400, (name, refused.content)
    served = _client(people["student"]).get(body["url"])
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert served["X-Content-Type-Options"] == "nosniff" and b"".join(served.streaming_content) == PNG
    assert Client().get(body["url"]).status_code == 302  # anonymous: to the login page
    assert _client(people["student"]).post("/api/media/", {"file": SimpleUploadedFile("a.png", PNG)}).status_code == 403


def test_a_stimulus_is_shown_above_each_item_that_uses_it(people, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    from itembank.media import media_store

    subject = Subject.objects.get(code="toan")
    school = people["author"].organisation
    image = media_store(by=people["author"], owner_id=school.pk, name="do-thi.png", data=PNG, alt_text="Đồ thị hàm số")
    passage = Stimulus.objects.create(
        owner=school,
        subject=subject,
        title="Đồ thị",
        kind=Stimulus.Kind.IMAGE,
        media=image,
        created_by=people["author"],
    )
    passage.full_clean()
    versions = [
        services.item_create(
            by=people["author"],
            subject=subject,
            level="biet",
            stimulus=passage,
            content={"stem": f"Câu {n}", "options": [{"id": "A", "text": "1"}, {"id": "B", "text": "2"}], "key": "A"},
        )
        for n in (1, 2)
    ]
    views = [student_preview(v) for v in versions]
    assert views[0]["stimulus"] == views[1]["stimulus"]
    assert (
        f'src="/media/{image.pk}/"' in views[0]["stimulus"]["html"]
        and 'alt="Đồ thị hàm số"' in views[0]["stimulus"]["html"]
    )
    # A stimulus the author may not see cannot be attached.
    other = Stimulus.objects.create(
        owner=people["outsider"].organisation,
        subject=subject,
        title="Bài đọc",
        kind=Stimulus.Kind.PASSAGE,
        body="<p>Văn bản</p>",
        created_by=people["outsider"],
        visibility="school",
    )
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.item_create(
            by=people["author"],
            subject=subject,
            level="biet",
            stimulus=other,
            content={"stem": "x", "options": [{"id": "A", "text": "1"}, {"id": "B", "text": "2"}], "key": "A"},
        )


def test_an_image_stimulus_needs_alternative_text(people, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    from django.core.exceptions import ValidationError

    from itembank.media import media_store

    school = people["author"].organisation
    image = media_store(by=people["author"], owner_id=school.pk, name="a.png", data=PNG)
    stimulus = Stimulus(
        owner=school,
        subject=Subject.objects.get(code="toan"),
        title="Hình",
        kind="image",
        media=image,
        created_by=people["author"],
    )
    with pytest.raises(ValidationError) as raised:
        stimulus.full_clean()
    assert "media" in raised.value.message_dict
