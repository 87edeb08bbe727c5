"""netra-devtools: the library behind every script, invoke task and nox session."""

__version__ = "0.1.0"
