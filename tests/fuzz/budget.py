"""The fuzz layer's budget: fixed example counts, derandomized, no example database.

The same inputs every run (CI is repeatable, a failure reproduces), and a bounded time: the whole
layer stays within its share of `nox -s tests` (about three minutes on a busy 2-core machine).
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings


def fuzz(max_examples: int, deadline_ms: int | None = 2000) -> settings:
    """Settings for one property: `max_examples` fixed inputs, each under `deadline_ms`."""
    return settings(
        max_examples=max_examples,
        deadline=deadline_ms,
        derandomize=True,
        database=None,
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
