"""Users on PostgreSQL: create and get, with validation."""

from __future__ import annotations

import re
from datetime import datetime

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.exc import IntegrityError, OperationalError

from netra_backend.app.db.database_manager import DatabaseManager
from netra_backend.app.db.models import User

router = APIRouter(prefix="/api/users", tags=["users"])
# Deliberately simple: one "@", a dot in the domain, no spaces (email-validator is not a dependency).
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class UserIn(BaseModel):
    """What a client sends to create a user."""

    email: str = Field(max_length=320)
    full_name: str | None = Field(default=None, max_length=200)

    @field_validator("email")
    @classmethod
    def _valid_email(cls, value: str) -> str:
        value = value.strip().lower()
        if not _EMAIL.match(value):
            raise ValueError("not an email address")
        return value


class UserOut(BaseModel):
    """A user as the API returns it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    full_name: str | None
    is_active: bool
    created_at: datetime


def _db(request: Request) -> DatabaseManager:
    db: DatabaseManager | None = getattr(request.app.state, "db", None)
    if db is None:
        raise HTTPException(503, detail="starting: database not initialised")
    return db


@router.post("", status_code=201, response_model=UserOut)
def create_user(request: Request, body: UserIn) -> User:
    """Create a user; 409 when the email is taken, 503 when PostgreSQL is away."""
    try:
        with _db(request).session() as session:
            user = User(email=body.email, full_name=body.full_name)
            session.add(user)
            session.flush()
            session.refresh(user)
            return user
    except IntegrityError:
        raise HTTPException(409, detail=f"a user with email {body.email} exists") from None
    except OperationalError:
        raise HTTPException(503, detail="database unavailable") from None


@router.get("/{user_id}", response_model=UserOut)
def get_user(request: Request, user_id: int) -> User:
    """One user by id; 404 when there is none."""
    try:
        with _db(request).session() as session:
            user = session.get(User, user_id)
    except OperationalError:
        raise HTTPException(503, detail="database unavailable") from None
    if user is None:
        raise HTTPException(404, detail=f"no user {user_id}")
    return user
