"""Masking secrets before anything is printed or logged (the backend's one masking function)."""

from netra_backend.redact import MASK, mask_secrets, mask_url

__all__ = ["MASK", "mask_secrets", "mask_url"]
