"""The admin token: a random secret the backend writes (mode 0600) next to its spool's owner note
at startup, and that `invoke spool` reads from there and sends in `X-Netra-Admin-Token`.

A browser page cannot read the file and cannot send a custom header cross-site without a CORS
preflight, which this app never grants; so the admin endpoints accept no request a page can forge.
"""

from __future__ import annotations

import contextlib
import hmac
import os
import secrets
from pathlib import Path

TOKEN_FILE = "admin-token"
TOKEN_HEADER = "X-Netra-Admin-Token"


def issue_token(directory: Path) -> str:
    """A fresh token, written atomically to `directory/admin-token` readable by its owner only."""
    token = secrets.token_urlsafe(32)
    path = directory / TOKEN_FILE
    temporary = path.with_name(f".{TOKEN_FILE}.{os.getpid()}")
    temporary.unlink(missing_ok=True)  # O_EXCL below: the file is new, so 0600 is its mode
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(descriptor, token.encode("ascii"))
    finally:
        os.close(descriptor)
    os.replace(temporary, path)
    return token


def read_token(directory: Path) -> str | None:
    """The token in `directory` (None when there is none or it cannot be read)."""
    try:
        return (directory / TOKEN_FILE).read_text(encoding="ascii").strip() or None
    except (OSError, UnicodeDecodeError):
        return None


def discard_token(directory: Path) -> None:
    """Remove the token file (at shutdown: a stopped backend accepts nothing anyway)."""
    with contextlib.suppress(OSError):
        (directory / TOKEN_FILE).unlink()


def token_matches(expected: str | None, presented: str | None) -> bool:
    """Constant-time comparison; no token issued means nothing matches."""
    if not expected or not presented:
        return False
    return hmac.compare_digest(expected.encode(), presented.encode("utf-8", "replace"))
