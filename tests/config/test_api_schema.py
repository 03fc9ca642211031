"""The REST API's OpenAPI schema (/api/schema/) and its documentation page (/api/docs/).

The schema is generated from the views and their serializers (drf-spectacular); it must be
valid, generated without a single warning, and hold every REST endpoint of the site. Only
logged-in staff read it. tests/config/test_api_fuzz.py fuzzes the API from it.
"""

from __future__ import annotations

import json

import pytest
import yaml
from django.conf import settings
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.models import Role
from tests.factories import logged_in_client, make_school, make_user

pytestmark = pytest.mark.django_db


def test_the_schema_is_valid_and_generated_without_a_warning(tmp_path):
    # Fails (SchemaGenerationError) on any warning: a view whose answers no serializer describes,
    # a name given twice, a path parameter of unknown type.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    schema = yaml.safe_load((tmp_path / "schema.yaml").read_text())
    assert schema["openapi"].startswith("3.")


def _api_routes(resolver: URLResolver | None = None, prefix: str = "") -> list[tuple[str, object]]:
    routes = []
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            routes += _api_routes(entry, route)
        elif isinstance(entry, URLPattern) and route.startswith("api/"):
            routes.append((route, entry.callback))
    return routes


def test_every_rest_endpoint_is_a_documented_view():
    """A view under /api/ that is not a REST framework view would be left out of the schema."""
    from config import schema as schema_views

    undocumented = [
        route
        for route, callback in _api_routes()
        if getattr(callback, "cls", None) is None and callback is not schema_views.docs
    ]
    assert undocumented == []


@pytest.mark.parametrize(
    "role, status",
    [(None, 401), (Role.STUDENT, 403)]
    + [(role, 200) for role in (Role.TEACHER, Role.PROCTOR, Role.BOARD, Role.SCHOOL_ADMIN, Role.ADMIN)],
)
def test_logged_in_staff_read_the_schema(client, role, status):
    if role is not None:
        school = make_school()
        client = logged_in_client(make_user(role, school if role != Role.BOARD else school.parent))
    response = client.get("/api/schema/?format=json")
    assert response.status_code == status
    if status == 200:
        assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
        paths = json.loads(response.content)["paths"]
        assert "/api/items/" in paths and "/api/auth/login/" in paths and "/api/schema/" not in paths
    else:
        assert response.json()["error"]["code"] == {401: "not_authenticated", 403: "forbidden"}[status]


def test_the_schema_is_yaml_unless_json_is_asked_for():
    client = logged_in_client(make_user(Role.TEACHER, make_school()))
    response = client.get("/api/schema/")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.oai.openapi")
    assert yaml.safe_load(response.content)["info"]["title"]


def test_the_schema_is_generated_once_per_language_and_served_from_memory(monkeypatch):
    """Generating walks every view (about half a second): a second reader gets the same schema
    without a second walk; another language gets its own."""
    from drf_spectacular.generators import SchemaGenerator

    from config.schema import SchemaView

    monkeypatch.setattr(SchemaView, "generated", {})
    walks: list[str] = []
    generate = SchemaGenerator.get_schema

    def counted(self, *args, **kwargs):
        walks.append("walk")
        return generate(self, *args, **kwargs)

    monkeypatch.setattr(SchemaGenerator, "get_schema", counted)
    school = make_school()
    first, second = (
        logged_in_client(make_user(Role.TEACHER, school)),
        logged_in_client(make_user(Role.BOARD, school.parent)),
    )
    answers = [
        first.get("/api/schema/?format=json"),
        second.get("/api/schema/?format=json"),
        second.get("/api/schema/"),
    ]
    assert [r.status_code for r in answers] == [200, 200, 200] and len(walks) == 1
    assert json.loads(answers[0].content) == json.loads(answers[1].content) == yaml.safe_load(answers[2].content)
    first.cookies.load({settings.LANGUAGE_COOKIE_NAME: "en"})
    english = first.get("/api/schema/?format=json")
    assert english.status_code == 200 and len(walks) == 2
    assert json.loads(english.content)["paths"].keys() == json.loads(answers[0].content)["paths"].keys()
    for lang in ("xx", "1", "en-us", "vi"):  # unknown languages are the default one's schema
        assert second.get("/api/schema/?format=json", {"lang": lang}).status_code == 200
    for version in ("2", "x" * 200):  # one API, one schema: no version makes another
        assert second.get("/api/schema/?format=json", {"version": version}).status_code == 200
    assert len(walks) == 2 and sorted(SchemaView.generated) == ["en", "vi"]


def test_every_error_answer_has_the_one_error_shape():
    client = logged_in_client(make_user(Role.TEACHER, make_school()))
    schema = json.loads(client.get("/api/schema/?format=json").content)
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for status, answer in operation["responses"].items():
                if int(status) >= 400:
                    ref = answer["content"]["application/json"]["schema"]["$ref"]
                    assert ref == "#/components/schemas/Error", (method, path, status)


def test_the_docs_page_is_for_staff_and_loads_only_the_sites_own_files(client):
    anonymous = client.get("/api/docs/")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")
    assert logged_in_client(make_user(Role.STUDENT, make_school())).get("/api/docs/").status_code == 403

    staff = logged_in_client(make_user(Role.TEACHER, make_school()))
    page = staff.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "<style" not in html and "<script>" not in html  # no inline style or script (CSP)
    policy = page["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "img-src 'self' data:" in policy
    script = staff.get("/api/docs/?script=")
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in script.content.decode()


def test_other_pages_keep_the_strict_image_policy():
    page = logged_in_client(make_user(Role.TEACHER, make_school())).get("/bank/")
    assert "data:" not in page["Content-Security-Policy"]
