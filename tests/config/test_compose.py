"""The deployment files agree with the settings: docker-compose.yml, .env.example, nginx.

No Docker engine runs here; these tests read the files. The variables the application reads
are found by parsing config/settings.py, so a variable added there fails these tests until
docker-compose.yml passes it on and .env.example documents it.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent.parent
SETTINGS = ROOT / "config" / "settings.py"
COMPOSE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
NGINX = ROOT / "deploy" / "nginx.conf"
DOCKERFILE = ROOT / "Dockerfile"

APP_SERVICES = {"migrate", "web", "worker", "beat"}
# One-shot (migrate) or with nothing to ask (beat answers no remote control).
NO_HEALTHCHECK = {"migrate", "beat"}
# The image fixes where the application writes (/app/var, the only writable folder).
NOT_PASSED_TO_CONTAINERS = {"DATA_DIR"}
ENV_READERS = {"env_bool", "env_int", "env_list", "env_str"}


@cache
def settings_variables() -> frozenset[str]:
    """Names config/settings.py reads: os.environ.get/os.getenv/os.environ[...] and env_* calls."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(SETTINGS.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and node.args:
            name = ast.unparse(node.func)
            if name in {"os.environ.get", "os.getenv"} or name in ENV_READERS:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    names.add(first.value)
        elif isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ":
            if isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
                names.add(node.slice.value)
    return frozenset(names)


@cache
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def services() -> dict[str, dict]:
    return compose()["services"]


def environment(service: dict) -> dict[str, str | None]:
    """A service's environment, from either the mapping or the list form."""
    env = service.get("environment") or {}
    if isinstance(env, dict):
        return env
    return {item.split("=", 1)[0]: (item.split("=", 1)[1] if "=" in item else None) for item in env}


def env_example_assignments() -> list[tuple[int, str]]:
    """(line index, name) of every NAME=value line of .env.example, commented out or not."""
    lines = ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
    found = []
    for index, line in enumerate(lines):
        match = re.match(r"^#?\s*([A-Z][A-Z0-9_]*)=", line)
        if match:
            found.append((index, match.group(1)))
    return found


def nginx_block(text: str, opening: str | int) -> str:
    """The block that starts with the text ``opening`` or at that offset (braces matched)."""
    start = opening if isinstance(opening, int) else text.index(opening)
    depth = 0
    for position in range(text.index("{", start), len(text)):
        depth += {"{": 1, "}": -1}.get(text[position], 0)
        if depth == 0:
            return text[start : position + 1]
    raise AssertionError(f"unclosed block {opening!r}")


def command_line(service: dict) -> str:
    command = service.get("command", "")
    return " ".join(command) if isinstance(command, list) else command


# --- the variables --------------------------------------------------------------------------


def test_settings_scan_finds_the_variables() -> None:
    # If the scan broke (say, settings switched to another helper), every test below that
    # compares against it would pass vacuously.
    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "DEBUG", "ALLOWED_HOSTS", "WS_TIME_PUSH_SECONDS"} <= (
        settings_variables()
    )


def test_app_services_are_the_ones_built_from_the_dockerfile() -> None:
    built = {name for name, service in services().items() if "build" in service}
    assert built == APP_SERVICES
    images = {services()[name].get("image") for name in APP_SERVICES}
    assert len(images) == 1, f"the app services should share one image, got {images}"


@pytest.mark.parametrize("name", sorted(APP_SERVICES))
def test_app_services_set_only_variables_settings_reads(name: str) -> None:
    unknown = set(environment(services()[name])) - settings_variables()
    assert not unknown, f"{name} sets {sorted(unknown)}, which config/settings.py never reads"


@pytest.mark.parametrize("name", sorted(APP_SERVICES))
def test_app_services_pass_on_every_variable_settings_reads(name: str) -> None:
    # Otherwise a variable documented in .env.example would silently not reach the container.
    missing = settings_variables() - NOT_PASSED_TO_CONTAINERS - set(environment(services()[name]))
    assert not missing, f"{name} does not pass {sorted(missing)} from .env to the container"


def test_secret_key_must_come_from_the_users_env_file() -> None:
    for name in APP_SERVICES:
        value = environment(services()[name])["SECRET_KEY"]
        assert re.fullmatch(r"\$\{SECRET_KEY:\?[^}]+\}", value), f"{name}: SECRET_KEY is {value!r}"


def test_app_services_use_the_bundled_postgres_and_redis() -> None:
    for name in APP_SERVICES:
        env = environment(services()[name])
        assert env["DATABASE_URL"].startswith("postgresql://") and "@postgres:5432/" in env["DATABASE_URL"]
        assert env["REDIS_URL"].startswith("redis://redis:6379/")


def test_every_settings_variable_is_documented_in_env_example() -> None:
    listed = {name for _, name in env_example_assignments()}
    missing = settings_variables() - listed
    assert not missing, f".env.example does not list {sorted(missing)}"


def test_env_example_lists_nothing_stale_and_comments_every_variable() -> None:
    lines = ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
    compose_text = COMPOSE.read_text(encoding="utf-8")
    for index, name in env_example_assignments():
        used = name in settings_variables() or f"${{{name}" in compose_text
        assert used, f".env.example lists {name}, which neither settings nor docker-compose.yml uses"
        above = lines[index - 1] if index else ""
        assert above.startswith("#") and not re.match(r"^#?\s*[A-Z][A-Z0-9_]*=", above), (
            f".env.example: {name} has no comment above it"
        )


def test_env_example_requires_the_secret_key_empty() -> None:
    # Copied as is, compose must stop and ask for a key rather than run with a known one.
    assert re.search(r"^SECRET_KEY=$", ENV_EXAMPLE.read_text(encoding="utf-8"), re.MULTILINE)


# --- the services -----------------------------------------------------------------------------


def test_web_has_no_fixed_host_port_so_it_scales() -> None:
    web = services()["web"]
    assert "ports" not in web, "a host port on web stops `docker compose up --scale web=3`"
    assert "container_name" not in web
    assert "8000" in [str(port) for port in web.get("expose", [])]


def test_services_have_healthchecks() -> None:
    for name, service in services().items():
        if name in NO_HEALTHCHECK:
            continue
        check = service.get("healthcheck")
        assert check and check.get("test") and not check.get("disable"), f"{name} has no healthcheck"
    test_of = {name: " ".join(s["healthcheck"]["test"]) for name, s in services().items() if name not in NO_HEALTHCHECK}
    assert "pg_isready" in test_of["postgres"]
    assert "redis-cli" in test_of["redis"] and "ping" in test_of["redis"]
    assert "/healthz" in test_of["web"]
    assert "inspect ping" in test_of["worker"]


def test_images_and_commands() -> None:
    assert services()["postgres"]["image"].startswith("postgres:16")
    assert services()["redis"]["image"].startswith("redis:7")
    web = command_line(services()["web"])
    assert web == "python -m config.serve --port 8000 --host 0.0.0.0 --proxy-headers"
    assert command_line(services()["worker"]).startswith("celery -A config worker")
    assert command_line(services()["beat"]).startswith("celery -A config beat")
    assert "manage.py migrate" in command_line(services()["migrate"])
    dockerfile = DOCKERFILE.read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim\s*$", dockerfile, re.MULTILINE)
    assert "pip install -r requirements.txt" in dockerfile


def test_app_starts_after_migrations_and_healthy_services() -> None:
    for name in APP_SERVICES - {"migrate"}:
        depends = services()[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully", name
        assert depends["postgres"]["condition"] == "service_healthy", name
        assert depends["redis"]["condition"] == "service_healthy", name
    assert services()["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services()["migrate"].get("restart") == "no"


def test_proxy_serves_on_8080_with_the_nginx_config() -> None:
    proxy = services()["proxy"]
    assert proxy["image"].startswith("nginx:")
    assert any(str(port).endswith("8080}:80") or str(port) == "8080:80" for port in proxy["ports"])
    assert any(volume.startswith("./deploy/nginx.conf:/etc/nginx/conf.d/") for volume in proxy["volumes"])


# --- nginx ------------------------------------------------------------------------------------


def test_nginx_upgrades_websockets_on_ws() -> None:
    text = NGINX.read_text(encoding="utf-8")
    assert re.search(r"map\s+\$http_upgrade\s+\$connection_upgrade\s*\{", text)
    ws = nginx_block(text, "location /ws/")
    assert "proxy_http_version 1.1;" in ws
    assert "proxy_set_header Upgrade $http_upgrade;" in ws
    assert "proxy_set_header Connection $connection_upgrade;" in ws
    assert "proxy_pass http://web;" in ws


def test_nginx_balances_every_web_replica_through_docker_dns() -> None:
    text = NGINX.read_text(encoding="utf-8")
    assert re.search(r"^resolver 127\.0\.0\.11\b", text, re.MULTILINE)
    upstream = nginx_block(text, "upstream web")
    assert "zone " in upstream  # "resolve" needs a shared zone
    assert re.search(r"server web:8000 resolve\b", upstream)


def test_nginx_forwards_host_and_client_address_in_every_proxied_location() -> None:
    # A location that sets any proxy_set_header inherits none from the server block.
    text = NGINX.read_text(encoding="utf-8")
    locations = [nginx_block(text, match.start()) for match in re.finditer(r"^\s*location [^{]+", text, re.MULTILINE)]
    proxied = [block for block in locations if "proxy_pass" in block]
    assert len(proxied) >= 2
    for block in proxied:
        assert "proxy_set_header Host $http_host;" in block, block
        assert "proxy_set_header X-Forwarded-For $remote_addr;" in block, block


def test_nginx_forwards_the_scheme_and_leaves_security_headers_to_the_application() -> None:
    """Behind TLS the application sees HTTPS only through X-Forwarded-Proto, and answers it
    with HSTS; a second HSTS or CSP header from nginx would contradict the settings."""
    text = NGINX.read_text(encoding="utf-8")
    locations = [nginx_block(text, match.start()) for match in re.finditer(r"^\s*location [^{]+", text, re.MULTILINE)]
    for block in (block for block in locations if "proxy_pass" in block):
        assert "proxy_set_header X-Forwarded-Proto $forwarded_proto;" in block, block
    assert not re.search(r"^\s*add_header\s+(Strict-Transport-Security|Content-Security-Policy)", text, re.I | re.M)


def test_nginx_lets_through_the_largest_import_the_application_takes() -> None:
    from itembank.importing import MAX_IMPORT_BYTES

    size = re.search(r"client_max_body_size (\d+)m;", NGINX.read_text())
    assert size is not None and int(size.group(1)) * 1024 * 1024 > MAX_IMPORT_BYTES


# --- metrics (docs/operations.md) -------------------------------------------------------------


def test_each_app_container_keeps_its_metrics_in_a_folder_empty_at_its_start() -> None:
    # Multiprocess mode needs the folder emptied before the processes start: a tmpfs is, at
    # every start of its container.
    for name in APP_SERVICES:
        service = services()[name]
        folder = environment(service)["PROMETHEUS_MULTIPROC_DIR"]
        assert folder and folder in (service.get("tmpfs") or []), name


def test_nginx_keeps_metrics_from_the_public() -> None:
    # Scraped through the proxy, each scrape would reach another replica; nor is it public.
    text = NGINX.read_text(encoding="utf-8")
    block = nginx_block(text, "location = /metrics")
    assert "return 404;" in block and "proxy_pass" not in block
