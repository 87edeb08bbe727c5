"""/health, /health/live and /health/ready as application/health+json; they only read a cache."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

router = APIRouter(tags=["health"])
MEDIA_TYPE = "application/health+json"
NO_STORE = {"Cache-Control": "no-store"}


class HealthResponse(JSONResponse):
    """JSON with the media type of draft-inadarei-api-health-check."""

    media_type = MEDIA_TYPE


def _cached_report(request: Request) -> dict[str, Any]:
    monitor = getattr(request.app.state, "health_monitor", None)
    if monitor is None:
        return {"status": "fail", "checks": {}, "output": "starting: lifespan has not run"}
    report: dict[str, Any] = monitor.report()
    return report


def _answer(report: dict[str, Any]) -> HealthResponse:
    # pass and warn are 2xx, fail is 5xx (draft-inadarei-api-health-check).
    code = 503 if report.get("status") == "fail" else 200
    return HealthResponse(report, status_code=code, headers=NO_STORE)


@router.get("/health", response_class=HealthResponse)
async def health(request: Request) -> HealthResponse:
    """Every check, from the cache the background monitor keeps."""
    return _answer(_cached_report(request))


@router.get("/health/ready", response_class=HealthResponse)
async def ready(request: Request) -> HealthResponse:
    """200 when required dependencies pass (warn if an optional one is down), 503 otherwise."""
    return _answer(_cached_report(request))


@router.get("/health/live", response_class=HealthResponse)
async def live() -> HealthResponse:
    """The process answers; no dependency is consulted."""
    return HealthResponse({"status": "pass"}, headers=NO_STORE)
