"""The ASGI app: `create_app()`, and `app` for uvicorn (`netra_backend.app.main:app`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError

from netra_backend.app.body_limit import BodySizeLimit
from netra_backend.app.config import Settings
from netra_backend.app.routes import events, health, spool_admin, users
from netra_backend.app.startup_module import lifespan
from netra_backend.app.validation_errors import bounded_validation_error


@asynccontextmanager
async def _lifespan_with_admin_token(app: FastAPI) -> AsyncIterator[None]:
    """The service's lifespan, then the admin token beside the spool it opened."""
    async with lifespan(app):
        spool_admin.issue_admin_token(app)
        try:
            yield
        finally:
            spool_admin.withdraw_admin_token(app)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; Settings are read at startup (lifespan) unless given here."""
    app = FastAPI(title="netra_backend", lifespan=_lifespan_with_admin_token)
    app.state.settings = settings
    app.state.admin_token = None
    app.add_middleware(BodySizeLimit)  # NETRA_MAX_BODY_BYTES, 413 while the body streams
    app.add_exception_handler(RequestValidationError, bounded_validation_error)
    app.include_router(health.router)
    app.include_router(events.router)
    app.include_router(users.router)
    app.include_router(spool_admin.router)
    return app


app = create_app()
