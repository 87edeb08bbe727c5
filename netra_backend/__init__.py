"""netra_backend: the FastAPI service of the development stack."""
