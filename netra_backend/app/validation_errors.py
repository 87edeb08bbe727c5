"""422 answers of bounded size: a few errors, each with a short excerpt of the input, never the
input itself (FastAPI's default echoes every invalid value whole, and fails on text that is not
valid Unicode)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

MAX_ERRORS = 10
EXCERPT_CHARS = 80
MAX_MESSAGE_CHARS = 300


def _clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, as ASCII (lone surrogates would not encode)."""
    clipped = text if len(text) <= limit else text[:limit] + "..."
    return clipped.encode("ascii", "backslashreplace").decode("ascii")


def excerpt(value: Any) -> str:
    """A short, safe description of an input value: its start, or its shape."""
    if isinstance(value, str):
        return _clip(value, EXCERPT_CHARS)
    if isinstance(value, dict):
        return f"an object with {len(value)} key(s)"
    if isinstance(value, list | tuple):
        return f"an array of {len(value)} item(s)"
    if isinstance(value, bool | int | float) or value is None:
        return _clip(json.dumps(value), EXCERPT_CHARS)  # a huge int has a long text too
    return _clip(type(value).__name__, EXCERPT_CHARS)


def bounded_errors(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """The first MAX_ERRORS errors with their location, type, message and an input excerpt."""
    shown = []
    for error in errors[:MAX_ERRORS]:
        entry = {
            "type": _clip(str(error.get("type", "")), EXCERPT_CHARS),
            "loc": [
                p if isinstance(p, int) else _clip(str(p), EXCERPT_CHARS)
                for p in list(error.get("loc", ()))[:MAX_ERRORS]
            ],  # fmt: skip
            "msg": _clip(str(error.get("msg", "")), MAX_MESSAGE_CHARS),
        }
        if "input" in error:
            entry["input"] = excerpt(error["input"])
        shown.append(entry)
    return shown


async def bounded_validation_error(request: Request, exc: Exception) -> JSONResponse:
    """The app's RequestValidationError handler: 422 with at most MAX_ERRORS short errors."""
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    return JSONResponse(
        {"detail": bounded_errors(errors), "error_count": len(errors)}, status_code=422
    )
