# The backend image for docker-compose.dev.yml: `python -m netra_backend` on port 8000, as a
# non-root user, with the backend and its runtime dependencies only (pyproject's [project]
# dependencies; none of the dev tooling). Works with compose v1's builder and BuildKit alike.

# The base: python:3.11-slim, or what compose passes (NETRA_PYTHON_IMAGE: CI's local stand-in).
ARG PYTHON_IMAGE
FROM ${PYTHON_IMAGE:-python:3.11-slim} AS python

# Dependencies in a venv of their own stage, so no wheel or build tool reaches the final image.
FROM python AS dependencies
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# Wheels made on the host where builds cannot reach the package index (`invoke images` on CI);
# when there are any, pip installs from them alone.
COPY ci/wheelhouse/ /wheelhouse/
COPY pyproject.toml /src/
# Only [project] dependencies, read from pyproject (not a build of the project, whose wheel also
# carries the tooling): code edits keep this layer cached.
RUN python -c "import tomllib; print(*tomllib.load(open('/src/pyproject.toml', 'rb'))['project']['dependencies'], sep='\n')" > /src/requirements.txt \
    && python -m venv /opt/netra \
    && if ls /wheelhouse/*.whl >/dev/null 2>&1; then offline="--no-index --find-links /wheelhouse"; fi \
    && /opt/netra/bin/pip install --quiet ${offline:-} -r /src/requirements.txt

FROM python
ENV PATH=/opt/netra/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
COPY --from=dependencies /opt/netra /opt/netra
RUN useradd --create-home --uid 10001 netra \
    && mkdir -p /app/.netra/spool \
    && chown -R netra /app/.netra
WORKDIR /app
# alembic.ini names the migrations as a package resource (script_location = netra_backend.app:alembic)
COPY alembic.ini ./
COPY netra_backend/ netra_backend/
USER netra
EXPOSE 8000
HEALTHCHECK --interval=3s --timeout=5s --start-period=10s --retries=20 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health/ready', timeout=3).status != 200)"]
CMD ["python", "-m", "netra_backend", "--host", "0.0.0.0", "--port", "8000"]
