"""Item text loads nothing but the engine's own media, through every door that stores it.

The finding: ``<img src="//elsewhere/...">`` in an item was stored, and the exam page asked
the other site for it (telling it who sits which exam, and when). Now every door refuses such
text with a field error (an import: an error in the item's report, nothing imported), the
sanitiser keeps an image's source only as ``media:NAME``, and a page rendering text stored
before the rule never names another site.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Role
from assess.selectors import form_content
from itembank.models import ImportBatch, Item, ItemVersion, Stimulus, Subject
from itembank.richtext import reference_problems, sanitize_html
from tests.factories import logged_in_client, make_school, make_sitting, make_user

pytestmark = pytest.mark.django_db

MEDIA_ID = "123e4567-e89b-12d3-a456-426614174000"
# Everything a page would load from elsewhere, in each place HTML and SVG/MathML allow it.
FOREIGN = [
    '<img src="//elsewhere.example/x.png">',
    '<img src="https://elsewhere.example/x.png" alt="hình">',
    '<img src="/static/x.png">',
    '<img src="x.png">',
    '<img src="data:image/png;base64,iVBORw0KGgo=">',
    f'<img src="media:{MEDIA_ID}" srcset="//elsewhere.example/x.png 2x">',
    '<video poster="//elsewhere.example/p.jpg"></video>',
    '<audio src="//elsewhere.example/a.mp3"></audio>',
    '<audio><source src="//elsewhere.example/a.mp3"></audio>',
    '<table background="//elsewhere.example/b.png"><tr><td>x</td></tr></table>',
    '<p style="background-image: url(//elsewhere.example/b.png)">x</p>',
    "<style>@import '//elsewhere.example/s.css';</style>",
    '<svg><image href="//elsewhere.example/i.png"/></svg>',
    '<svg><use xlink:href="//elsewhere.example/s.svg#x"/></svg>',
    '<math><mi href="//elsewhere.example/">x</mi></math>',
    '<object data="//elsewhere.example/o.swf"></object>',
    '<iframe src="//elsewhere.example/"></iframe>',
    '<link rel="stylesheet" href="//elsewhere.example/s.css">',
]


@pytest.mark.parametrize("fragment", FOREIGN)
def test_text_that_loads_from_elsewhere_is_refused_and_never_kept(fragment):
    assert reference_problems(fragment), fragment
    assert "elsewhere" not in sanitize_html(fragment) and "x.png" not in sanitize_html(fragment)


def test_the_engines_media_and_links_are_kept():
    assert reference_problems(f'<img src="media:{MEDIA_ID}" alt="a">') == []
    assert sanitize_html(f'<img src="/media/{MEDIA_ID}/" alt="a">') == f'<img src="media:{MEDIA_ID}" alt="a">'
    assert reference_problems(f'<img src="/media/{MEDIA_ID}/">') == []
    # A link loads nothing: it becomes its text, as every element outside the allow-list does.
    assert reference_problems('<a href="https://elsewhere.example/">nguồn</a>') == []
    assert sanitize_html('<a href="https://elsewhere.example/">nguồn</a>') == "nguồn"


@pytest.fixture
def teacher(db):
    Subject.objects.get_or_create(code="toan", defaults={"name": "Toán"})
    return make_user(Role.TEACHER, make_school())


def _item(stem: str, option: str = "Một") -> dict:
    return {
        "subject": "toan",
        "level": "biet",
        "item_type": "single_choice",
        "content": {"stem": stem, "options": [{"id": "A", "text": option}, {"id": "B", "text": "Hai"}], "key": "A"},
    }


def test_the_editors_api_refuses_an_image_from_elsewhere_naming_the_field(teacher):
    client = logged_in_client(teacher)
    for body, field in (
        (_item('Câu hỏi <img src="//elsewhere.example/x.png">'), "stem"),
        (_item("Câu hỏi", '<p style="background:url(https://elsewhere.example/b.png)">Một</p>'), "options"),
    ):
        answer = client.post("/api/items/", body, content_type="application/json")
        assert answer.status_code == 400, answer.content
        error = answer.json()["error"]
        assert error["code"] == "invalid" and "elsewhere.example" in " ".join(error["fields"][field])
        preview = client.post("/api/items/preview/", {**body, "points": "1"}, content_type="application/json")
        assert preview.status_code == 400 and field in preview.json()["error"]["fields"]
    assert Item.objects.count() == 0
    created = client.post(
        "/api/items/", _item(f'<img src="/media/{MEDIA_ID}/" alt="Hình">'), content_type="application/json"
    )
    assert created.status_code == 201
    assert created.json()["versions"][0]["content"]["stem"] == f'<img src="media:{MEDIA_ID}" alt="Hình">'
    version_id = created.json()["versions"][0]["id"]
    changed = client.patch(
        f"/api/item-versions/{version_id}/",
        {"content": _item('<img src="//elsewhere.example/x.png">')["content"]},
        content_type="application/json",
    )
    assert changed.status_code == 400 and "stem" in changed.json()["error"]["fields"]


def test_a_stimulus_refuses_text_that_loads_from_elsewhere(teacher):
    answer = logged_in_client(teacher).post(
        "/api/stimuli/",
        {"title": "Bài đọc", "subject": "toan", "kind": "passage", "body": '<p>Đọc <img src="//elsewhere.example/x">'},
        content_type="application/json",
    )
    assert answer.status_code == 400
    assert "elsewhere.example" in " ".join(answer.json()["error"]["fields"]["body"])
    assert Stimulus.objects.count() == 0


@pytest.mark.parametrize(
    "name, data",
    [
        ("de.gift", b'::C1:: [html]<img src="https://elsewhere.example/x.png"> 1 + 1 = ? {=2 ~3}\n'),
        (
            "de.xml",
            b'<?xml version="1.0"?><quiz><question type="multichoice"><name><text>C1</text></name>'
            b'<questiontext format="html"><text><![CDATA[<p>Xem <img src="//elsewhere.example/x.png"></p>]]></text>'
            b'</questiontext><answer fraction="100"><text>A</text></answer><answer fraction="0"><text>B</text>'
            b"</answer><single>true</single></question></quiz>",
        ),
    ],
)
def test_an_import_refuses_an_item_showing_an_image_from_elsewhere(teacher, name, data):
    client = logged_in_client(teacher)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the reason below is the English message
    upload = client.post("/api/imports/", {"file": SimpleUploadedFile(name, data), "subject": "toan"})
    assert upload.status_code == 201, upload.content
    report = upload.json()["report"]
    assert not report["ok"]
    (item,) = report["items"]
    assert any("image without its file" in error for error in item["errors"]), item["errors"]
    commit = client.post(f"/api/imports/{upload.json()['id']}/commit/")
    assert commit.status_code == 400 and commit.json()["error"]["code"] == "import_rejected"
    assert Item.objects.count() == 0 and ImportBatch.objects.count() == 1


def test_text_stored_before_the_rule_reaches_the_exam_page_without_the_other_site(db):
    """The finding itself: what the exam page gets names no other site, even for an item whose
    text was stored before the doors refused it (written here straight into the row)."""
    sitting = make_sitting(n_items=1, n_students=1)
    version = sitting.form.form_items.get().item_version
    content = {**version.content, "stem": 'Xem hình <img src="//elsewhere.example/x.png" alt="hình">'}
    ItemVersion.objects.filter(pk=version.pk).update(content=content)  # bypasses every door, as old data did
    items = form_content(sitting.form_id)
    assert "elsewhere" not in str(items)
    assert '<img alt="hình">' in items[0]["stem_html"]
