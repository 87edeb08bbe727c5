"""The ASGI app: `create_app()`, and `app` for uvicorn (`netra_backend.app.main:app`)."""

from __future__ import annotations

from fastapi import FastAPI

from netra_backend.app.config import Settings
from netra_backend.app.routes import events, health, spool_admin, users
from netra_backend.app.startup_module import lifespan


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; Settings are read at startup (lifespan) unless given here."""
    app = FastAPI(title="netra_backend", lifespan=lifespan)
    app.state.settings = settings
    app.include_router(health.router)
    app.include_router(events.router)
    app.include_router(users.router)
    app.include_router(spool_admin.router)
    return app


app = create_app()
