"""POST /api/events on a real backend against generated bodies: whatever comes in, the answer is a
202, 400, 413 or 422, never a 500, and the backend logs no traceback."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from netra_devtools.services import faults
from netra_devtools.services.backend import BackendProcess
from tests.fuzz.budget import fuzz
from tests.support.backend import backend_on_fresh_database

ANSWERS = {202, 400, 413, 422}
HEADERS = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def backend(
    postgres_server: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BackendProcess]:
    """A backend spooling to disk (its ClickHouse refuses): the route, the model and the spool."""
    directory = tmp_path_factory.mktemp("fuzz-events")
    with (
        faults.refusing() as (host, port),
        backend_on_fresh_database(
            postgres_server,
            directory,
            CLICKHOUSE_URL=f"http://default:pw@{host}:{port}/netra",
            CLICKHOUSE_SPOOL_DIR=str(directory / "spool"),
            NETRA_MAX_BODY_BYTES="262144",
        ) as process,
    ):
        yield process
    log = process.log_text()
    assert "Traceback" not in log and "Exception in ASGI application" not in log, log[-3000:]


@pytest.fixture(scope="module")
def http(backend: BackendProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=backend.base_url, timeout=10) as client:
        yield client


offsets = st.integers(-(24 * 60 - 1), 24 * 60 - 1).map(lambda m: timezone(timedelta(minutes=m)))
datetimes = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59))
timestamps = st.one_of(
    st.builds(lambda d, tz: d.replace(tzinfo=tz).isoformat(), datetimes, offsets),
    datetimes.map(datetime.isoformat),
    st.builds(
        lambda d: d.isoformat().replace("+00:00", "Z"),
        datetimes.map(lambda d: d.replace(tzinfo=UTC)),
    ),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "now", ""]),
    st.none(),
)
# text that JSON can carry but UTF-8 cannot: lone surrogates
texts = st.text(max_size=120) | st.text(st.characters(categories=["Cs"]), min_size=1, max_size=3)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | texts,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=20,
)
events = st.fixed_dictionaries(
    {"event_type": texts},
    optional={"user_id": texts | st.integers() | st.none(), "timestamp": timestamps,
              "properties": json_values, "extra": json_values},
)  # fmt: skip
bodies = st.one_of(events, st.lists(events, max_size=5), json_values)


def _encode(body: Any) -> bytes:
    """As a client would send it (Python's encoder writes NaN/Infinity, which the server reads)."""
    return json.dumps(body, ensure_ascii=True).encode()


@fuzz(250)
@given(body=bodies)
def test_no_event_body_gives_a_500(http: httpx.Client, body: Any) -> None:
    answer = http.post("/api/events", content=_encode(body), headers=HEADERS)
    assert answer.status_code in ANSWERS, (answer.status_code, answer.text[:500])
    if answer.status_code == 422:
        assert len(answer.content) < 16_384


@fuzz(100)
@given(raw=st.binary(max_size=2000))
def test_no_byte_string_gives_a_500(http: httpx.Client, raw: bytes) -> None:
    answer = http.post("/api/events", content=raw, headers=HEADERS)
    assert answer.status_code in ANSWERS, (answer.status_code, answer.text[:500])


@fuzz(150)
@given(stamp=timestamps)
def test_a_timestamp_is_accepted_only_when_the_table_can_hold_it(
    http: httpx.Client, stamp: Any
) -> None:
    answer = http.post("/api/events", content=_encode({"event_type": "t", "timestamp": stamp}),
                       headers=HEADERS)  # fmt: skip
    assert answer.status_code in (202, 422), answer.text[:500]
    if (
        answer.status_code == 202
        and isinstance(stamp, str)
        and stamp[:1].isdigit()
        and "T" in stamp
    ):
        parsed = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        aware = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        assert datetime(1900, 1, 1, tzinfo=UTC) <= aware <= datetime(2300, 1, 1, tzinfo=UTC)
    if isinstance(stamp, float) and not math.isfinite(stamp):
        assert answer.status_code == 422


@pytest.mark.parametrize("depth", [100, 10_000, 200_000])
def test_deeply_nested_json_is_refused_cleanly(http: httpx.Client, depth: int) -> None:
    body = b'{"event_type": "x", "properties": {"a": ' + b"[" * depth + b"]" * depth + b"}}"
    answer = http.post("/api/events", content=body, headers=HEADERS)
    assert answer.status_code in ANSWERS, answer.text[:300]
