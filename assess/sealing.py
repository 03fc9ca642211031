"""The sealed form: a waiting candidate's page holds its questions before the start, unreadable.

A start storm pushes every candidate's started state at once; with the questions in it, that
is some 30 KB per candidate to build, encode and send in the seconds everyone waits for. So a
candidate waiting for the start (scheduled or checked in) whose page can decrypt receives its
form beforehand, encrypted with AES-256-GCM under a key of the sitting and the form; the start
then carries only the key (``docs/protocol.md``, the sealed form).

- The key is the server's: an HMAC of the deployment's ``SECRET_KEY`` over the sitting and the
  form (Django's ``salted_hmac``), never stored, never sent before the attempt runs.
- A form whose items open section by section is never sealed: one key would open them all.
- The ciphertext is built once per process and form (a random nonce each time it is built:
  each is a new encryption of the same, frozen, form).
- Whoever holds the key of a started attempt could read a waiting candidate's sealed copy of
  the same form; that is what a candidate already started could tell them of its screen.

A page asks for it with ``?seal=aes-gcm`` on the websocket's URL: browsers decrypt with Web
Crypto, which they give to pages served over HTTPS (or from localhost) only. A page without
it gets its questions with the start, as before.
"""

from __future__ import annotations

import base64
import functools
import json
import os
from datetime import datetime

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.utils.crypto import salted_hmac

from . import sections, selectors, statuses

ALGORITHM = "aes-gcm"  # what a page asks for, and the only one there is
_SALT = "assess.sealing.form"


def form_key(sitting_id: int, form_id: int) -> bytes:
    """The 256-bit key of a form in a sitting (the same on every process: derived, not kept)."""
    return salted_hmac(_SALT, f"{sitting_id}:{form_id}", algorithm="sha256").digest()


def sealable(status: str, form_id: int | None) -> bool:
    """Whether a candidate's form may go out sealed now: before its start, whole forms only."""
    return status in statuses.NOT_STARTED and form_id is not None and not sections.form_sections(form_id)


@functools.lru_cache(maxsize=256)
def sealed(sitting_id: int, form_id: int) -> dict[str, str]:
    """The form's items (as ``attempt_state`` gives them) as JSON, encrypted under its key:
    ``{"alg", "iv", "data"}``, the nonce and the ciphertext (with its tag) in base64."""
    plain = json.dumps(list(selectors.form_content(form_id)), ensure_ascii=False, separators=(",", ":"))
    nonce = os.urandom(12)
    data = AESGCM(form_key(sitting_id, form_id)).encrypt(nonce, plain.encode(), None)
    return {"alg": ALGORITHM, "iv": _b64(nonce), "data": _b64(data)}


def key_text(sitting_id: int, form_id: int) -> str:
    """The key as the start sends it (base64)."""
    return _b64(form_key(sitting_id, form_id))


def unseal(seal: dict[str, str], key: str) -> list[dict]:
    """The items of a sealed form (what a page does; the tests and the load generator use it)."""
    plain = AESGCM(base64.b64decode(key)).decrypt(base64.b64decode(seal["iv"]), base64.b64decode(seal["data"]), None)
    return json.loads(plain)


def started(waiting: dict, *, sitting_id: int, form_id: int, deadline: str, large_text: bool, now: datetime) -> dict:
    """The state of an attempt just started by its room, from the waiting state its page holds
    the sealed form with and the start's event (``events.StatusChanged``): what
    ``selectors.attempt_state`` reads then, without reading it (nothing but the clock and the
    status changed: no answer can come before the start), the key in place of the items."""
    remaining = max(0, int((datetime.fromisoformat(deadline) - now).total_seconds() * 1000))
    state = {
        **{name: value for name, value in waiting.items() if name not in ("sealed", "items")},
        "status": statuses.IN_PROGRESS,
        "submit_reason": None,
        "server_time": now.isoformat(),
        "deadline": deadline,
        "remaining_ms": remaining,
        "large_text": large_text,
        "answers": {},
        "flags": [],
        "checked": {},
        "unseal": key_text(sitting_id, form_id),
    }
    summary = waiting["attempt"]
    state["attempt"] = {
        **summary,
        "status": statuses.IN_PROGRESS,
        "deadline": deadline,
        "remaining_ms": remaining,
        "sitting": {**summary["sitting"], "open": True},
    }
    return state


def opened(state: dict, *, sitting_id: int, form_id: int) -> dict:
    """A state of the running attempt (``selectors.attempt_state``) for a page holding its
    sealed form: the key in place of the items."""
    return {
        **{name: value for name, value in state.items() if name != "items"},
        "unseal": key_text(sitting_id, form_id),
    }


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
