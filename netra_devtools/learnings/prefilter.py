"""Literals that every match of a signature must contain: the fast engine's prefilter.

A pattern is parsed (Python's own regex parser reads the RE2 subset the catalog uses) and, for
each alternative, the most selective run of literal characters that any match must contain is
chosen; a pattern's literal set is the union over its alternatives. A line without one of those
literals cannot match, so a multi-literal scan over raw bytes finds every candidate line and RE2
confirms each one. When a pattern has no such set (an alternative made only of classes, or syntax
the parser does not read), `required_literals` returns None and the fast engine is not used.

Soundness notes: case-insensitive runs are cut at non-ASCII letters and at k/s (RE2 folds them to
U+212A KELVIN SIGN and U+017F LONG S, a byte scan folds ASCII only); runs never contain a newline
or U+FFFD (what invalid UTF-8 decodes to), so a literal found in cleaned text is in the raw bytes.
"""

from __future__ import annotations

import re
import re._constants as sre  # type: ignore[import-not-found]
import re._parser as sre_parse  # type: ignore[import-not-found]
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

_IGNORECASE = sre.SRE_FLAG_IGNORECASE
_REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT)
MIN_LITERAL_BYTES = 3  # shorter literals would make most lines candidates


@dataclass(frozen=True, order=True)
class Literal:
    """Bytes that must occur in a matching line; `caseless` folds ASCII letters."""

    text: bytes
    caseless: bool


def _usable(char: str, caseless: bool) -> bool:
    if char in "\n\ufffd":
        return False
    return not (caseless and (not char.isascii() or char in "kKsS"))


def _score(literals: frozenset[Literal]) -> tuple[int, int]:
    """Longer shortest literal first, then fewer literals."""
    return min(len(lit.text) for lit in literals), -len(literals)


def _sequence(items: Iterable[tuple[Any, Any]], caseless: bool) -> frozenset[Literal] | None:
    """The best literal set one of this sequence's elements guarantees, or None."""
    candidates: list[frozenset[Literal]] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            candidates.append(frozenset({Literal("".join(run).encode(), caseless)}))
            run.clear()

    for op, arg in items:
        if op is sre.LITERAL and _usable(chr(arg), caseless):
            run.append(chr(arg))
        elif op is sre.AT:
            continue  # zero-width (\b, ^, $): the characters around it stay adjacent
        elif op is sre.SUBPATTERN:
            _, add, remove, body = arg
            inner = (caseless or bool(add & _IGNORECASE)) and not remove & _IGNORECASE
            if inner == caseless and all(
                o is sre.LITERAL and _usable(chr(a), inner) for o, a in body
            ):
                run.extend(chr(a) for _, a in body)
                continue
            flush()
            found = _sequence(body, inner)
            candidates += [found] if found else []
        elif op is sre.BRANCH:
            flush()
            branches = [_sequence(branch, caseless) for branch in arg[1]]
            if all(branches):
                candidates.append(frozenset().union(*branches))  # type: ignore[arg-type]
        elif op in _REPEATS and arg[0] >= 1:
            flush()
            found = _sequence(arg[2], caseless)
            candidates += [found] if found else []
        else:
            flush()
    flush()
    return max(candidates, key=_score) if candidates else None


def required_literals(pattern: str) -> frozenset[Literal] | None:
    """Literals one of which every match of `pattern` contains, or None when there are none."""
    try:
        parsed = sre_parse.parse(pattern)
    except (re.error, ValueError, OverflowError, RecursionError):
        return None
    found = _sequence(list(parsed), bool(parsed.state.flags & _IGNORECASE))
    if found is None or min(len(lit.text) for lit in found) < MIN_LITERAL_BYTES:
        return None
    return found


def literal_table(patterns: Sequence[str]) -> list[Literal] | None:
    """The union of every pattern's literals (sorted), or None if one pattern has none."""
    table: set[Literal] = set()
    for pattern in patterns:
        found = required_literals(pattern)
        if found is None:
            return None
        table |= found
    return sorted(table)
