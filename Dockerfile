# The application image: Daphne (web), Celery worker and Celery beat all run from it;
# docker-compose.yml picks the command. Configuration comes from the environment only
# (config/settings.py; every variable is listed in .env.example).

# --- translations: compile the .po catalogues with GNU gettext, kept out of the final image
FROM python:3.11-slim AS messages
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY locale/ locale/
RUN find locale -name '*.po' -exec sh -c 'msgfmt --check-format -o "${1%.po}.mo" "$1"' _ {} \;

# --- the application
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MPLCONFIGDIR=/tmp/matplotlib

RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin app
WORKDIR /app

# Dependencies first: this layer is rebuilt only when requirements.txt changes.
# Every pinned package ships a manylinux wheel for CPython 3.11: no compiler needed.
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
COPY --from=messages /src/locale/ locale/
# var/ (DATA_DIR) is the only place the application writes: the Celery beat schedule.
RUN mkdir -p /app/var && chown app:app /app/var

USER app
EXPOSE 8000
# --proxy-headers: the client address comes from nginx's X-Forwarded-For (deploy/nginx.conf
# sets it to the address nginx saw), so lab network ranges work behind the proxy.
CMD ["python", "-m", "config.serve", "--port", "8000", "--host", "0.0.0.0", "--proxy-headers"]
