"""What POST /api/events promises is written where clients read it: the OpenAPI document."""

from __future__ import annotations

from netra_backend.app.main import create_app


def test_openapi_says_what_202_and_503_promise() -> None:
    responses = create_app().openapi()["paths"]["/api/events"]["post"]["responses"]
    assert "fsync'd in this replica's spool" in responses["202"]["description"]
    refused = responses["503"]["description"]
    assert "Nothing was kept" in refused and "Retry-After" in refused
