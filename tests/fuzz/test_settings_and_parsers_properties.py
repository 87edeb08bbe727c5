"""Settings, the port and address parsers, netsh's port ranges and the URL masker against generated
input: a value is accepted as what it says, or refused with the error the contract names."""

from __future__ import annotations

import argparse
import contextlib
import os
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netra_backend.app.config import SettingsError, load_settings
from netra_backend.cli import ip_address, port_number
from netra_backend.redact import MASK, mask_secrets, mask_url
from netra_devtools.ports._windows import parse_excluded_ranges
from tests.fuzz.budget import fuzz

VARIABLES = ("NETRA_ENV", "DATABASE_URL", "CLICKHOUSE_URL", "NETRA_PORT", "NETRA_MAX_BODY_BYTES",
             "CLICKHOUSE_SPOOL_MAX_ROWS", "HEALTH_INTERVAL_S", "CLICKHOUSE_REQUIRED")  # fmt: skip


@pytest.fixture
def no_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings read only what an example sets: no .env, none of this machine's variables."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(("NETRA_", "CLICKHOUSE_", "DB_", "HEALTH_")) or name == "DATABASE_URL":
            monkeypatch.delenv(name)


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


env_text = st.text(st.characters(exclude_characters="\x00", exclude_categories=["Cs"]), max_size=60)
passwords = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=16)
urls = st.builds(
    lambda scheme, user, pw, host, port, db: (
        f"{scheme}://{user}:{quote(pw, safe='')}@{host}:{port}/{db}"
    ),
    st.sampled_from(
        ["postgresql", "postgres", "postgresql+psycopg2", "mysql", "http", "https", "chdb"]
    ),
    st.from_regex(r"[a-z]{1,8}", fullmatch=True),
    passwords,
    st.sampled_from(["db", "127.0.0.1", "[::1]", "", "h:x"]),
    st.sampled_from(["5432", "0", "99999", "x", ""]),
    st.from_regex(r"[a-z]{0,8}", fullmatch=True),
)
values = st.dictionaries(st.sampled_from(VARIABLES), urls | env_text, max_size=5)


@fuzz(300)
@given(env=values)
def test_settings_load_or_name_the_variable_in_one_masked_line(
    no_dotenv: None, env: dict[str, str]
) -> None:
    with _environment(env):
        try:
            settings = load_settings()
        except SettingsError as exc:
            message = str(exc)
            assert "\n" not in message and message.split(":")[0].split()[0].isupper(), message
            words = set(re.split(r"[\s\"'(),;=]+", message))
            for value in env.values():
                if "://" in value and "@" in value:
                    password = value.split("://", 1)[1].rsplit("@", 1)[0].partition(":")[2]
                    assert f":{password}@" not in message and password not in words, message
            assert exc.exit_code == 2
            return
    assert 1 <= settings.netra_port <= 65535 and settings.netra_max_body_bytes >= 1024
    assert settings.database_url.startswith("postgresql")


@fuzz(400)
@given(text=st.text(max_size=12) | st.integers(-10, 70000).map(str))
def test_port_number_takes_ascii_digits_in_range_or_refuses(text: str) -> None:
    digits = text.strip()
    valid = digits.isascii() and digits.isdigit() and 1 <= int(digits) <= 65535
    try:
        port = port_number(text)
    except argparse.ArgumentTypeError:
        assert not valid
    else:
        assert valid and port == int(digits)


@fuzz(300)
@given(text=st.text(max_size=45) | st.ip_addresses().map(str))
def test_ip_address_accepts_addresses_only(text: str) -> None:
    try:
        address = ip_address(text)
    except argparse.ArgumentTypeError:
        return
    import ipaddress

    assert str(ipaddress.ip_address(address)) == address


netsh_lines = st.lists(
    st.one_of(
        st.text(max_size=30),
        st.builds(
            lambda a, b, star: f"{a} {b}{' *' if star else ''}",
            st.integers(-5, 70000),
            st.integers(-5, 70000),
            st.booleans(),
        ),  # fmt: skip
        st.sampled_from(["Start Port    End Port", "----------    --------", "¹ ²", "٨٠ ٩٠"]),
    ),
    max_size=12,
)


@fuzz(300)
@given(lines=netsh_lines)
def test_netsh_ranges_parse_any_output_into_valid_ranges(lines: list[str]) -> None:
    for found in parse_excluded_ranges("\n".join(lines)):
        assert 1 <= found.start <= found.end <= 65535


@fuzz(300)
@given(text=st.text(max_size=200), password=passwords)
def test_masking_any_text_never_fails_and_is_stable(text: str, password: str) -> None:
    once = mask_url(text)
    assert mask_url(once) == once
    secretly = mask_secrets(f"{text} postgresql://u:{quote(password, safe='')}@h/d", env={})
    assert f"u:{MASK}@h/d" in secretly and mask_secrets(secretly, env={}) == secretly
