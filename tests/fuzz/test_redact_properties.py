"""Masking against arbitrary passwords: one character, equal to the user name, URL-special."""

from __future__ import annotations

import re
from urllib.parse import quote

from hypothesis import assume, given
from hypothesis import strategies as st

from netra_backend.redact import MASK, PLACEHOLDER_PASSWORDS, mask_secrets, mask_url
from tests.fuzz.budget import fuzz

NO_ENV: dict[str, str] = {}
URL_SPECIAL = "@:/?#[]%&=+!$'()*,;~"
# printable, no whitespace: what a password in a URL or an environment variable looks like
password_text = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x7E) | st.sampled_from("éß€中"),
    min_size=1,
    max_size=24,
)
short_or_special = st.text(st.sampled_from(URL_SPECIAL + "apx1"), min_size=1, max_size=3)
passwords = st.one_of(password_text, short_or_special)
users = st.from_regex(r"[a-z][a-z0-9_]{0,11}", fullmatch=True)
MESSAGES = [
    'connection to server at "db.internal" (10.0.0.7), port 5432 failed: FATAL:  password '
    'authentication failed for user "{user}"',
    "could not connect: attempt 3 of 5 failed (timeout expired); will retry in 0.5 s.",
    "ClickHouse at ch:8123 unavailable: HTTPConnectionPool(host='ch', port=8123): Max retries "
    "exceeded with url: /?query=SELECT+1 (Caused by NewConnectionError: [Errno 111] refused)",
    '{"status": "fail", "checks": {"postgres:connection": [{"output": "user {user} ok"}]}}',
]


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text))


@fuzz(300)
@given(user=users, password=st.text(min_size=1, max_size=30), port=st.integers(1, 65535))
def test_an_encoded_password_of_any_text_is_masked_exactly(
    user: str, password: str, port: int
) -> None:
    url = f"postgresql+psycopg2://{user}:{quote(password, safe='')}@db.local:{port}/netra?x=1"
    assert mask_url(url) == f"postgresql+psycopg2://{user}:{MASK}@db.local:{port}/netra?x=1"


@fuzz(300)
@given(user=users, password=passwords)
def test_a_raw_password_with_url_special_characters_is_masked_exactly(
    user: str, password: str
) -> None:
    assume(not set("/?#") & set(password))  # these end a URL's authority: no URL can hold them
    url = f"http://{user}:{password}@ch.local:8123/netra"
    assert mask_url(url) == f"http://{user}:{MASK}@ch.local:8123/netra"
    assert (
        mask_url(f"see {url}, then retry")
        == f"see http://{user}:{MASK}@ch.local:8123/netra, then retry"
    )


@fuzz(300)
@given(password=passwords, key=st.sampled_from(["password", "sslpassword", "PASSWORD", "api_key"]))
def test_a_secret_query_parameter_is_masked_and_the_others_kept(password: str, key: str) -> None:
    value = quote(password, safe="")
    url = f"postgresql://app@db/netra?sslmode=require&{key}={value}&application_name=x"
    masked = mask_url(url)
    assert masked == f"postgresql://app@db/netra?sslmode=require&{key}={MASK}&application_name=x"


@fuzz(400)
@given(password=passwords, message=st.sampled_from(MESSAGES), user=users)
def test_masking_never_cuts_a_word(password: str, message: str, user: str) -> None:
    text = message.replace("{user}", user)
    masked = mask_secrets(text, secrets=[password], env=NO_ENV)
    assert _words(masked) <= _words(text)  # `attem***t` would add `attem` and `t`
    if not set(password) & set(" \"'(),:;=[]{}<>&?#/@|"):
        words = re.split(r"[\s\"'(),;:=\[\]{}<>&?#/@|]+", text)
        assert (password in words) == (MASK in masked) or password in PLACEHOLDER_PASSWORDS


@fuzz(300)
@given(password=passwords)
def test_a_password_standing_alone_in_a_message_is_masked(password: str) -> None:
    assume(password not in PLACEHOLDER_PASSWORDS)
    template = "login refused (password {}): attempt 3 failed; retry with {} later."
    text = template.format(password, password)
    expected = template.format(MASK, MASK)
    assume(password not in _words(template.format("", "")))  # else a word of the template is it
    assume(not set(password) & set("(){};:"))  # the template's own delimiters
    assert mask_secrets(text, secrets=[password], env=NO_ENV) == expected


@fuzz(300)
@given(user=users, message=st.sampled_from(MESSAGES))
def test_a_password_equal_to_the_user_name_masks_only_the_url(user: str, message: str) -> None:
    url = f"postgresql://{user}:{user}@db:5432/netra"
    text = f"{url}: {message.replace('{user}', user)}"
    masked = mask_secrets(text, env={"DATABASE_URL": url})
    assert masked == f"postgresql://{user}:{MASK}@db:5432/netra: {message.replace('{user}', user)}"


@fuzz(300)
@given(password=passwords, user=users)
def test_secrets_in_the_environment_are_masked_in_any_output(password: str, user: str) -> None:
    assume(password != user and password not in PLACEHOLDER_PASSWORDS)
    url = f"postgresql://{user}:{quote(password, safe='')}@db:5432/netra"
    env = {"DATABASE_URL": url, "CLICKHOUSE_PASSWORD": password + "-ch"}
    text = f'error: {password} rejected; {password}-ch too; "{url}"'
    masked = mask_secrets(text, env=env)
    assert (
        masked == f'error: {MASK} rejected; {MASK} too; "postgresql://{user}:{MASK}@db:5432/netra"'
    )
