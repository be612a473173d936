"""Secret tokens for private links (joining and reset links, review links, experts' links, calendar feeds).

A link's token is shown once, in the link; only its hash is stored, so a copy of the database opens nothing.
SHA-256 without a salt is enough here: a token has 256 random bits, so there is nothing to guess or to look
up in a table (a password, with its few bits, needs a slow salted hash instead).
"""

from __future__ import annotations

import hashlib
import secrets

#: Longer than any token made here: a longer one is refused before any hashing or lookup.
MAX_TOKEN_LENGTH = 64


def new_token() -> str:
    """A fresh 256-bit token, URL-safe (43 characters)."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """The stored form of ``token``: its SHA-256, as 64 hex digits."""
    return hashlib.sha256(token.encode()).hexdigest()
