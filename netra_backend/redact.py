"""Masking secrets before anything is printed or logged."""

from __future__ import annotations

import re

# The password may itself contain "@": it ends at the last "@" before the host.
_URL_PASSWORD = re.compile(
    r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.\-]*://)(?P<user>[^:/@\s]*):(?P<pw>[^\s]*?)@"
    r"(?=[^@\s/?#]*(?:[/?#\s]|$))"
)
MASK = "***"


def mask_url(url: str) -> str:
    """Return `url` with the password of every userinfo part replaced by ***."""
    return _URL_PASSWORD.sub(lambda m: f"{m['scheme']}{m['user']}:{MASK}@", url)


def mask_secrets(text: str, secrets: tuple[str, ...] = ()) -> str:
    """Mask URL passwords in `text`, and every literal secret given."""
    masked = mask_url(text)
    for secret in secrets:
        if secret:
            masked = masked.replace(secret, MASK)
    return masked
