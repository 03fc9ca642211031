"""ASGI entry point: HTTP through Django, websockets through Channels with session auth.

A websocket handshake must come from the page's own origin, scheme, host and port (or a
trusted one), so no other site and no other port of the same host can open an exam
connection with a student's cookie; a session idle for too long opens nothing, and an open
websocket keeps its session alive (config/middleware.py).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from django.core.asgi import get_asgi_application  # noqa: E402

django_asgi_app = get_asgi_application()

from channels.db import database_sync_to_async  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.sessions import CookieMiddleware, SessionMiddleware  # noqa: E402
from django.conf import settings  # noqa: E402

from assess.routing import websocket_urlpatterns  # noqa: E402
from config.middleware import (  # noqa: E402
    WebsocketLanguageMiddleware,
    WebsocketOriginValidator,
    WebsocketRateLimitGate,
    WebsocketSessionMiddleware,
)
from config.websocket_transport import ReadOnDemand  # noqa: E402

logger = logging.getLogger("config")
logger.info("starting ASGI application: %s", settings.RUNTIME_DESCRIPTION)


class EmbeddedBeat:
    """In the embedded default no Celery beat runs: the server does beat's periodic work itself.

    Started on the first request of the process: submits attempts whose deadline passed while
    nobody was connected (every ``DEADLINE_SWEEP_SECONDS``), scores submitted attempts whose
    scoring was lost (every ``SCORING_SWEEP_SECONDS``), keeps sitting scoring runs moving and
    scores exam sittings that closed (every ``SCORING_RUN_SWEEP_SECONDS``), publishes the results of
    assignments whose window closed when their policy says so (every minute), and deletes
    import uploads nobody will import and the files of old jobs (every
    ``IMPORT_UPLOAD_SWEEP_SECONDS``). With Redis configured, Celery beat
    schedules the same services (``CELERY_BEAT_SCHEDULE``).
    """

    def __init__(self, app) -> None:
        self.app = app
        self.tasks: list[asyncio.Task] = []

    async def __call__(self, scope, receive, send):
        if not self.tasks and scope["type"] in ("http", "websocket"):
            from assess.scoring_runs import scoring_runs_sweep
            from assess.services import attempts_score_stranded, attempts_submit_expired
            from assess.sittings import sittings_release_due
            from itembank.uploads import import_uploads_sweep
            from jobs.services import jobs_sweep

            self.tasks = [
                asyncio.ensure_future(self.every(settings.DEADLINE_SWEEP_SECONDS, attempts_submit_expired, "deadline")),
                asyncio.ensure_future(self.every(settings.SCORING_SWEEP_SECONDS, attempts_score_stranded, "scoring")),
                asyncio.ensure_future(
                    self.every(settings.SCORING_RUN_SWEEP_SECONDS, scoring_runs_sweep, "sitting scoring")
                ),
                asyncio.ensure_future(self.every(60, sittings_release_due, "assignment results")),
                asyncio.ensure_future(
                    self.every(settings.IMPORT_UPLOAD_SWEEP_SECONDS, import_uploads_sweep, "import upload")
                ),
                asyncio.ensure_future(self.every(settings.IMPORT_UPLOAD_SWEEP_SECONDS, jobs_sweep, "job file")),
            ]
        return await self.app(scope, receive, send)

    async def every(self, seconds: int, work, name: str) -> None:
        run = database_sync_to_async(work, thread_sensitive=False)
        while True:
            try:
                done = await run()
                if done:
                    logger.info("%s sweep: %s", name, done)
            except Exception:
                logger.exception("%s sweep failed", name)
            await asyncio.sleep(seconds)


# Channels' AuthMiddlewareStack, with the rate limit's gate before the session is read, and the
# session's rules and its user read in one call (WebsocketSessionMiddleware, in place of
# Channels' AuthMiddleware); outermost, sockets read on demand.
websocket_application = ReadOnDemand(
    WebsocketOriginValidator(
        CookieMiddleware(
            WebsocketRateLimitGate(
                SessionMiddleware(
                    WebsocketSessionMiddleware(WebsocketLanguageMiddleware(URLRouter(websocket_urlpatterns)))
                )
            )
        )
    )
)
application = ProtocolTypeRouter({"http": django_asgi_app, "websocket": websocket_application})
if settings.EMBEDDED_DEADLINE_SWEEPER:
    application = EmbeddedBeat(application)

# Thousands of long-lived consumers make CPython's full collections pause the process;
# moving everything loaded at start-up out of the collector's reach shortens them, and a
# larger first threshold makes collections rarer (FIELD-NOTES; GC_THRESHOLDS, chosen by the
# soak run in bench/RESULTS.md).
gc.collect()
gc.freeze()
gc.set_threshold(*settings.GC_THRESHOLDS)
