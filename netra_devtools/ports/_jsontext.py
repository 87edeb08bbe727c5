"""JSON text for plain data, as `json.dumps` writes it, without importing `json`.

`json` imports `re` (and `re` imports `enum`): ~10 ms of the ~30 ms check-port's whole process
may take to stay within 1.5x of lsof. The C string escaper `_json` is what `json` itself uses.
"""

from __future__ import annotations

from _json import encode_basestring_ascii

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def dumps(value: Any) -> str:
    """`json.dumps(value)` for dicts (string keys), lists, tuples, str, int, float, bool, None."""
    if isinstance(value, str):
        return str(encode_basestring_ascii(value))
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return "NaN" if value != value else ("Infinity" if value > 0 else "-Infinity")
        return float.__repr__(value)
    if isinstance(value, dict):
        items = (f"{encode_basestring_ascii(str(k))}: {dumps(v)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(dumps(v) for v in value) + "]"
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")
