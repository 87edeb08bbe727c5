"""The `rows` layout's timestamps: what the spool ships as text is the instant the columns
layout ships as ticks, whatever form the timestamp came in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from netra_backend.app.analytics.schema import _stamp_text, _ticks, event_rows_text

instants = st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(2299, 12, 30),
                        timezones=st.just(UTC))  # fmt: skip
offsets = st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))


def _from_ticks(ticks: int) -> str:
    return (datetime(1970, 1, 1) + timedelta(milliseconds=ticks)).isoformat(" ", "milliseconds")


@given(instant=instants, offset=offsets)
def test_every_form_of_a_timestamp_gives_the_text_of_its_ticks(
    instant: datetime, offset: timezone
) -> None:
    forms = [
        instant,  # as the route validates it
        instant.isoformat(),  # as the route writes it
        instant.astimezone(offset).isoformat(),
        instant.isoformat().replace("+00:00", "Z"),
        _ticks(instant),
    ]
    expected = _from_ticks(_ticks(instant))
    assert [_stamp_text(form) for form in forms] == [expected] * len(forms)


def test_rows_are_json_arrays_in_column_order_separated_by_commas() -> None:
    rows = [{"event_id": "a", "event_type": "t", "user_id": None, "properties": {"k": "é"},
             "timestamp": "2026-01-02T03:04:05.678999+00:00"},
            {"event_id": "b", "event_type": "t\ud800", "user_id": 7, "properties": "{}",
             "timestamp": "2026-01-02T03:04:05+00:00"}]  # fmt: skip
    assert event_rows_text(rows) == (
        b'["a","t",null,"{\\"k\\": \\"\\\\u00e9\\"}","2026-01-02 03:04:05.678"],'
        b'["b","t\xed\xa0\x80","7","{}","2026-01-02 03:04:05.000"]'
    )


def test_event_ids_are_distinct_version_4_uuids() -> None:
    import uuid

    from netra_backend.app.routes.events import event_ids

    ids = event_ids(1000)
    assert len(set(ids)) == 1000
    assert all(uuid.UUID(i).hex == i and uuid.UUID(i).version == 4 for i in ids)
    assert {uuid.UUID(i).variant for i in ids} == {uuid.RFC_4122}
