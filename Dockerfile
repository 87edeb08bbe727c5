# The backend image for docker-compose.dev.yml: `python -m netra_backend` on port 8000.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first, so code edits do not reinstall them.
COPY pyproject.toml README.md ./
COPY netra_backend/__init__.py netra_backend/__init__.py
COPY netra_devtools/__init__.py netra_devtools/__init__.py
RUN python -m pip install .

COPY . .
RUN python -m pip install --no-deps . \
    && useradd --create-home --uid 10001 netra \
    && mkdir -p /app/.netra/spool \
    && chown -R netra /app/.netra

USER netra
EXPOSE 8000
CMD ["python", "-m", "netra_backend", "--host", "0.0.0.0", "--port", "8000"]
