"""Settings: environment-dependent timeouts, overrides, placeholder secrets, one-line masked errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from netra_backend.app.config import SettingsError, load_settings

SECRET = "Hunter2-real"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    """Only what a test sets counts: no inherited variables, no .env from the working directory."""
    import os

    for name in list(os.environ):
        if name.startswith(("NETRA_", "CLICKHOUSE_", "DB_", "HEALTH_")) or name == "DATABASE_URL":
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize(
    ("env", "timeout"),
    [("development", 3.0), ("test", 3.0), ("staging", 3.0), ("production", 10.0)],
)
def test_clickhouse_connect_timeout_depends_on_environment(monkeypatch, env, timeout):
    monkeypatch.setenv("NETRA_ENV", env)
    monkeypatch.setenv("DATABASE_URL", f"postgresql://app:{SECRET}@db:5432/netra")
    assert load_settings().connect_timeout_s == timeout


def test_connect_timeout_override_wins_in_production(monkeypatch):
    monkeypatch.setenv("NETRA_ENV", "production")
    monkeypatch.setenv("DATABASE_URL", f"postgresql://app:{SECRET}@db/netra")
    monkeypatch.setenv("CLICKHOUSE_CONNECT_TIMEOUT", "1.5")
    assert load_settings().connect_timeout_s == 1.5


def test_defaults_for_health_retries_and_spool():
    settings = load_settings()
    assert settings.health_interval_s == 2.0
    assert settings.db_connect_retries >= 1 and settings.db_retry_backoff_s > 0
    assert settings.spool_dir == Path(".netra/spool")
    assert settings.clickhouse_spool_max_rows == 1_000_000
    assert settings.clickhouse_spool_max_bytes == 256 * 1024 * 1024
    assert settings.clickhouse_url is None and settings.clickhouse_required is False


def test_environment_variables_override_defaults(monkeypatch):
    monkeypatch.setenv("HEALTH_INTERVAL_S", "0.25")
    monkeypatch.setenv("CLICKHOUSE_SPOOL_DIR", "/var/spool/netra")
    monkeypatch.setenv("CLICKHOUSE_SPOOL_MAX_ROWS", "10")
    monkeypatch.setenv("CLICKHOUSE_REQUIRED", "true")
    settings = load_settings()
    assert settings.health_interval_s == 0.25
    assert settings.spool_dir == Path("/var/spool/netra")
    assert settings.clickhouse_spool_max_rows == 10
    assert settings.clickhouse_required is True


def test_dotenv_file_is_read(tmp_path):
    (tmp_path / ".env").write_text("NETRA_ENV=staging\nDATABASE_URL=postgresql://a:Zq9-x@h/d\n")
    settings = load_settings()
    assert settings.netra_env.value == "staging"
    assert settings.database_url == "postgresql+psycopg2://a:Zq9-x@h/d"


@pytest.mark.parametrize(
    "url",
    ["http://u:p@localhost:8123/netra", "https://u:p@ch.example:8443/netra", "chdb:///tmp/x", ""],
)
def test_clickhouse_url_forms_accepted(monkeypatch, url):
    monkeypatch.setenv("CLICKHOUSE_URL", url)
    assert load_settings().clickhouse_url == (url or None)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DATABASE_URL", f"postgresql://app:{SECRET}@db:port/netra"),
        ("DATABASE_URL", f"mysql://app:{SECRET}@db/netra"),
        ("DATABASE_URL", f"postgresql://app:{SECRET}@/netra"),
        ("CLICKHOUSE_URL", f"tcp://app:{SECRET}@ch:9000/netra"),
        ("CLICKHOUSE_URL", f"http://app:{SECRET}@ch:99999999/netra"),
        ("NETRA_ENV", "prod"),
        ("HEALTH_INTERVAL_S", "soon"),
    ],
)
def test_bad_value_raises_one_masked_line_naming_the_variable(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith(f"{name}:")
    assert "\n" not in message
    assert SECRET not in message


@pytest.mark.parametrize("env", ["test", "staging", "production"])
def test_placeholder_password_refused_outside_development(monkeypatch, env):
    monkeypatch.setenv("NETRA_ENV", env)
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres:postgres@db/netra")
    with pytest.raises(SettingsError, match="^DATABASE_URL: placeholder password"):
        load_settings()


def test_placeholder_password_allowed_in_development(monkeypatch):
    monkeypatch.setenv("CLICKHOUSE_URL", "http://default:changeme@localhost:8123/netra")
    assert load_settings().clickhouse_url


def test_placeholder_clickhouse_password_refused_in_production(monkeypatch):
    monkeypatch.setenv("NETRA_ENV", "production")
    monkeypatch.setenv("DATABASE_URL", f"postgresql://app:{SECRET}@db/netra")
    monkeypatch.setenv("CLICKHOUSE_URL", "http://default:changeme@ch:8123/netra")
    with pytest.raises(SettingsError, match="^CLICKHOUSE_URL:"):
        load_settings()


def test_masked_urls_hide_passwords(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"postgres://app:{SECRET}@db/netra")
    monkeypatch.setenv("CLICKHOUSE_URL", f"http://app:{SECRET}@ch:8123/netra")
    settings = load_settings()
    assert settings.database_url.startswith("postgresql+psycopg2://")
    assert SECRET not in settings.masked_database_url() + settings.masked_clickhouse_url()
    assert settings.secrets() == (SECRET,)  # each secret once


def test_env_example_loads_with_its_defaults(tmp_path):
    from tests.conftest import REPO_ROOT

    (tmp_path / ".env").write_text((REPO_ROOT / ".env.example").read_text())
    settings = load_settings()
    assert settings.connect_timeout_s == 3.0  # empty CLICKHOUSE_CONNECT_TIMEOUT: the default
    assert settings.clickhouse_url is None
    assert settings.spool_dir == Path(".netra/spool")


@pytest.mark.parametrize("where", ["environment", ".env"])
def test_an_empty_database_url_is_refused_naming_it(monkeypatch, tmp_path, where):
    if where == "environment":
        monkeypatch.setenv("DATABASE_URL", " ")
    else:
        (tmp_path / ".env").write_text("DATABASE_URL=\n")
    with pytest.raises(SettingsError, match="^DATABASE_URL is set but empty") as raised:
        load_settings()
    assert raised.value.exit_code == 2


def test_an_unset_database_url_still_means_the_local_default():
    assert load_settings().database_url.endswith("@localhost:5432/netra")


def test_the_body_limit_is_a_few_mib_and_configurable(monkeypatch):
    assert load_settings().netra_max_body_bytes == 4 * 1024 * 1024
    monkeypatch.setenv("NETRA_MAX_BODY_BYTES", "65536")
    assert load_settings().netra_max_body_bytes == 65536
    monkeypatch.setenv("NETRA_MAX_BODY_BYTES", "12")
    with pytest.raises(SettingsError, match="^NETRA_MAX_BODY_BYTES"):
        load_settings()
