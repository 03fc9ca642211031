"""The project's hasher, counting the hashes it computes (the hashing itself is real)."""

from __future__ import annotations

from accounts.hashers import Argon2idPasswordHasher


class CountingArgon2idHasher(Argon2idPasswordHasher):
    computed = 0

    def encode(self, password, salt):
        type(self).computed += 1
        return super().encode(password, salt)

    def verify(self, password, encoded):
        type(self).computed += 1
        return super().verify(password, encoded)
