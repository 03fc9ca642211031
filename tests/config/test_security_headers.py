"""Security headers: the Content-Security-Policy on every page, HSTS on every HTTPS response.

The browser walk (tests/browser/test_csp_browser.py) shows the pages work under the policy;
these tests pin the policy itself, keep inline script and style out of the templates and
scripts, and check HSTS from the environment a deployment sets (BEHIND_TLS_PROXY).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from accounts.models import Role
from tests.factories import make_school, make_user

ROOT = Path(__file__).resolve().parents[2]
POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self'",
    "media-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}


def directives(header: str) -> dict[str, str]:
    return {part.split()[0]: " ".join(part.split()[1:]) for part in header.split(";") if part.strip()}


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/login/", "/exam/", "/bank/", "/board/", "/admin/login/", "/api/me/"])
def test_every_response_carries_the_policy(path):
    client = Client()
    client.force_login(make_user(Role.BOARD, make_school().parent))
    response = client.get(path, follow=True)
    found = directives(response["Content-Security-Policy"])
    for name, value in POLICY.items():
        assert found.get(name) == value, (path, name, found)
    assert "unsafe-inline" not in response["Content-Security-Policy"]


@pytest.mark.django_db
def test_a_media_file_keeps_its_own_stricter_policy(client, media_root):
    from itembank.media import media_store

    teacher = make_user(Role.TEACHER, make_school())
    stored = media_store(
        by=teacher, owner_id=teacher.organisation_id, name="a.png", data=b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    )
    client.force_login(teacher)
    response = client.get(stored.url)
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"


TEMPLATES = sorted((ROOT / "frontend" / "templates").rglob("*.html"))
SCRIPTS = sorted((ROOT / "frontend" / "static").rglob("*.js"))


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_templates_hold_no_inline_script_or_style(path):
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"\son[a-z]+\s*=", text), "inline event handler"
    assert not re.search(r"\sstyle\s*=", text), "inline style attribute"
    assert "javascript:" not in text.lower()
    assert not re.search(r"<style\b", text), "inline style element"
    for tag in re.findall(r"<script\b[^>]*>", text):
        assert "src=" in tag or 'type="application/json"' in tag, tag  # json_script blocks are data


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_scripts_inject_no_inline_script_or_style(path):
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"""setAttribute\(\s*["'](style|on[a-z]+)["']""", text)
    assert not re.search(r"""["'][^"']*\s(style|on[a-z]+)=""", text), "markup with an inline attribute"
    assert "javascript:" not in text.lower()
    assert not re.search(r"\beval\(|new Function\(", text)


PROBE = """
import json, django
django.setup()
from django.test import Client
client = Client()
out = {}
for name, headers in {"http": {}, "https": {"HTTP_X_FORWARDED_PROTO": "https"}}.items():
    response = client.get("/login/", HTTP_HOST="127.0.0.1", **headers)
    out[name] = response.headers.get("Strict-Transport-Security")
print(json.dumps(out))
"""


def hsts(tmp_path, **env: str) -> dict:
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "BEHIND_TLS_PROXY"}}
    clean.update({"DJANGO_SETTINGS_MODULE": "config.settings", "DATA_DIR": str(tmp_path / "var"), **env})
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_hsts_is_sent_behind_the_tls_proxy_and_never_over_plain_http(tmp_path):
    behind = hsts(tmp_path, BEHIND_TLS_PROXY="1")
    assert behind["http"] is None
    assert behind["https"] == "max-age=31536000"
    # Without BEHIND_TLS_PROXY the header a client sends proves nothing: no HSTS.
    assert hsts(tmp_path) == {"http": None, "https": None}
    tuned = hsts(tmp_path, BEHIND_TLS_PROXY="1", HSTS_SECONDS="600", HSTS_INCLUDE_SUBDOMAINS="1")
    assert tuned["https"] == "max-age=600; includeSubDomains"
    assert hsts(tmp_path, BEHIND_TLS_PROXY="1", HSTS_SECONDS="0")["https"] is None
