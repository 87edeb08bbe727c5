# The backend image for docker-compose.dev.yml: `python -m netra_backend` on port 8000.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first, so code edits do not reinstall them. The build copies the project files
# the wheel ships (netra_devtools/paths.py PACKAGED_FILES) with tools/build_package_data.py.
COPY pyproject.toml README.md alembic.ini docker-compose.dev.yml ./
COPY SPEC SPEC
COPY tools/build_package_data.py tools/build_package_data.py
COPY netra_backend/__init__.py netra_backend/__init__.py
COPY netra_devtools/__init__.py netra_devtools/paths.py netra_devtools/
RUN python -m pip install .

COPY . .
RUN python -m pip install --no-deps . \
    && useradd --create-home --uid 10001 netra \
    && mkdir -p /app/.netra/spool \
    && chown -R netra /app/.netra

USER netra
EXPOSE 8000
CMD ["python", "-m", "netra_backend", "--host", "0.0.0.0", "--port", "8000"]
