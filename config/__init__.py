from . import ids
from .celery import app as celery_app

# ``<id:...>`` in every urls.py and websocket route: registered before any of them is read.
ids.register()

__all__ = ["celery_app"]
