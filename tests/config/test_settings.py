"""Settings come from the environment; no variable set gives the embedded default."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, django
from django.conf import settings
django.setup()
print(json.dumps({
    "mode": settings.RUNTIME_MODE,
    "engine": settings.DATABASES["default"]["ENGINE"],
    "db_name": str(settings.DATABASES["default"]["NAME"]),
    "layer": settings.CHANNEL_LAYERS["default"]["BACKEND"],
    "eager": settings.CELERY_TASK_ALWAYS_EAGER,
    "broker": settings.CELERY_BROKER_URL,
    "cache": settings.CACHES["default"]["BACKEND"],
    "debug": settings.DEBUG,
    "description": settings.RUNTIME_DESCRIPTION,
    "sweeper": settings.EMBEDDED_DEADLINE_SWEEPER,
    "pool": settings.DATABASES["default"].get("OPTIONS", {}).get("pool"),
    "conn_max_age": settings.DATABASES["default"].get("CONN_MAX_AGE"),
    "layer_hosts": settings.CHANNEL_LAYERS["default"].get("CONFIG", {}).get("hosts"),
}))
"""

APP_VARIABLES = (
    "DATABASE_URL",
    "REDIS_URL",
    "DEBUG",
    "SECRET_KEY",
    "DATA_DIR",
    "ALLOWED_HOSTS",
    "WS_MAX_MESSAGE_BYTES",
)


def probe(tmp_path, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in APP_VARIABLES}
    clean.update({"DJANGO_SETTINGS_MODULE": "config.settings", "DATA_DIR": str(tmp_path / "var")})
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )


def test_no_variables_give_the_embedded_default(tmp_path):
    result = probe(tmp_path)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["mode"] == "embedded"
    assert found["engine"] == "django.db.backends.sqlite3"
    assert found["db_name"] == str(tmp_path / "var" / "db.sqlite3")
    assert found["layer"] == "channels.layers.InMemoryChannelLayer"
    assert found["eager"] is True and found["sweeper"] is True
    assert found["debug"] is False
    assert "mode=embedded" in found["description"]
    # A secret was generated once, kept private, and is reused.
    key_file = tmp_path / "var" / "secret_key"
    assert key_file.stat().st_mode & 0o077 == 0
    first = key_file.read_text()
    assert probe(tmp_path).returncode == 0 and key_file.read_text() == first


def test_services_switch_together(tmp_path):
    result = probe(
        tmp_path,
        DATABASE_URL="postgresql://u:p@db.example:5432/exams",
        REDIS_URL="redis://cache.example:6379/1",
        SECRET_KEY="x" * 50,
    )
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["mode"] == "services"
    assert found["engine"] == "django.db.backends.postgresql" and found["db_name"] == "exams"
    assert found["layer"] == "config.channel_layer.BoundedRedisChannelLayer"
    assert found["eager"] is False and found["broker"] == "redis://cache.example:6379/1"
    assert found["cache"] == "config.cache.SharedRedisCache"
    assert found["sweeper"] is False
    # a bounded pool of database connections per process, and of Redis connections that waits
    assert found["pool"] == {"min_size": 2, "max_size": 12, "timeout": 20} and found["conn_max_age"] == 0
    [host] = found["layer_hosts"]
    assert host["max_connections"] == 200 and host["pool_timeout"] == 30 and host["socket_timeout"] is None


@pytest.mark.parametrize(
    "env, message",
    [
        ({"DEBUG": "maybe"}, "DEBUG must be a boolean"),
        ({"WS_MAX_MESSAGE_BYTES": "lots"}, "WS_MAX_MESSAGE_BYTES must be an integer"),
        ({"WS_MAX_MESSAGE_BYTES": "10"}, "WS_MAX_MESSAGE_BYTES must be at least"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY must be at least 32 characters"),
        ({"GC_THRESHOLDS": "700,10"}, "GC_THRESHOLDS must be three positive numbers"),
        ({"GC_THRESHOLDS": "a,b,c"}, "GC_THRESHOLDS must be three positive numbers"),
        (
            {"DATABASE_URL": "postgresql://u@db.example/exams", "DB_POOL_MAX_SIZE": "0"},
            "DB_POOL_MAX_SIZE must be at least 1",
        ),
        (
            {"REDIS_URL": "redis://cache.example:6379/1", "REDIS_POOL_TIMEOUT": "soon"},
            "REDIS_POOL_TIMEOUT must be an integer",
        ),
    ],
)
def test_bad_values_fail_clearly(tmp_path, env, message):
    result = probe(tmp_path, **env)
    assert result.returncode != 0
    assert message in result.stderr


def test_debug_only_when_asked(tmp_path):
    assert json.loads(probe(tmp_path, DEBUG="1").stdout)["debug"] is True
