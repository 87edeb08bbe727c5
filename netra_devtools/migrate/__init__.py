"""Migrations: `invoke migrate` runs the backend's Alembic revisions on the right database."""
