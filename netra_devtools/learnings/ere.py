"""Export RE2 signature patterns as POSIX ERE for GNU `grep -E -f` (the benchmark's anchor).

Supports the subset the catalog uses: literals and escapes, classes, `(?:...)`, `(?i)` and
`(?i:...)`, quantifiers, `\\d \\s \\S \\w \\W \\b`. Anything else raises UnsupportedPattern, so a
pattern that cannot be exported is caught by the catalog checks, not by a wrong benchmark.
"""

from __future__ import annotations

from collections.abc import Iterable

from netra_devtools.errors import NetraDevtoolsError

_ERE_SPECIAL = set(".[]()*+?{}|^$\\")
_GNU_ESCAPES = {"s": r"\s", "S": r"\S", "w": r"\w", "W": r"\W", "b": r"\b", "B": r"\B"}
_CLASS_ESCAPES = {"d": "0-9", "s": "[:space:]", "w": "[:alnum:]_"}


class UnsupportedPattern(NetraDevtoolsError, ValueError):
    """The pattern uses RE2 syntax this exporter does not translate to ERE."""


def _fold(char: str, ignore_case: bool) -> str:
    if ignore_case and char.isalpha() and char.lower() != char.upper():
        return f"[{char.lower()}{char.upper()}]"
    return char


def _class(pattern: str, start: int, ignore_case: bool) -> tuple[str, int]:
    """Translate the bracket expression starting at `start`; returns (ERE, index after it)."""
    i = start + 1
    negate = pattern.startswith("^", i)
    i += negate
    items: list[str] = []
    close_bracket = dash = caret = False
    first = True
    while i < len(pattern) and (pattern[i] != "]" or first):
        char = pattern[i]
        first = False
        if char == "\\":
            i += 1
            esc = pattern[i] if i < len(pattern) else ""
            if esc in _CLASS_ESCAPES:
                items.append(_CLASS_ESCAPES[esc])
            elif esc == "]":
                close_bracket = True
            elif esc == "-":
                dash = True
            elif esc == "^":
                caret = True
            elif esc and not esc.isalnum():
                items.append(esc)
            else:
                raise UnsupportedPattern(f"escape \\{esc} inside a class in {pattern!r}")
        elif char == "]":
            close_bracket = True
        elif char == "[":
            raise UnsupportedPattern(f"nested class syntax in {pattern!r}")
        else:
            items.append(char)
            if ignore_case and char.isalpha():
                items.append(char.swapcase())
        i += 1
    if i >= len(pattern):
        raise UnsupportedPattern(f"unterminated class in {pattern!r}")
    body = ("]" if close_bracket else "") + "".join(items) + ("^" if caret else "")
    body += "-" if dash else ""
    if not body:
        raise UnsupportedPattern(f"empty class in {pattern!r}")
    return "[" + ("^" if negate else "") + body + "]", i + 1


def to_ere(pattern: str) -> str:
    """One RE2 pattern as an equivalent POSIX ERE with GNU extensions."""
    out: list[str] = []
    ignore_case = [False]  # a stack: (?i: ... ) scopes push, ')' pops
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("(?i)", i):
            ignore_case[-1] = True
            i += 4
        elif pattern.startswith("(?i:", i):
            ignore_case.append(True)
            out.append("(")
            i += 4
        elif pattern.startswith("(?:", i):
            ignore_case.append(ignore_case[-1])
            out.append("(")
            i += 3
        elif pattern.startswith("(?", i):
            raise UnsupportedPattern(f"group flags at {i} in {pattern!r}")
        elif char == "(":
            ignore_case.append(ignore_case[-1])
            out.append("(")
            i += 1
        elif char == ")":
            if len(ignore_case) > 1:
                ignore_case.pop()
            out.append(")")
            i += 1
        elif char == "[":
            translated, i = _class(pattern, i, ignore_case[-1])
            out.append(translated)
        elif char == "\\":
            esc = pattern[i + 1] if i + 1 < len(pattern) else ""
            if esc == "d":
                out.append("[0-9]")
            elif esc in _GNU_ESCAPES:
                out.append(_GNU_ESCAPES[esc])
            elif esc in _ERE_SPECIAL:
                out.append("\\" + esc)
            elif esc and not esc.isalnum():
                out.append(esc)
            else:
                raise UnsupportedPattern(f"escape \\{esc} in {pattern!r}")
            i += 2
        else:
            out.append(_fold(char, ignore_case[-1]))
            i += 1
    return "".join(out)


def export_patterns(patterns: Iterable[str]) -> str:
    """A `grep -E -f` pattern file: one ERE per line."""
    return "".join(to_ere(p) + "\n" for p in patterns)
