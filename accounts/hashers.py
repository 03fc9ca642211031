"""The password hasher, with its cost chosen and written down (docs/security.md).

Argon2id with OWASP's minimum parameters (Password Storage Cheat Sheet): 19 MiB of memory,
two passes, one lane. On this project's 2-core machine one hash takes about 45 ms of one
core (bench/logins.py), against about 350 ms for Django's PBKDF2 at 1,000,000 iterations,
while the memory it needs per guess makes GPU and ASIC cracking of a stolen hash far
costlier than PBKDF2's. The algorithm name stays Django's ``argon2``, so hashes made with
other Argon2 parameters are read and, like PBKDF2 hashes, rewritten with these at the next
successful login (Django's ``must_update``).
"""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idPasswordHasher(Argon2PasswordHasher):
    """Argon2id, m = 19 MiB (19,456 KiB), t = 2, p = 1."""

    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
