"""The one masking function: URL passwords, secret parameters, environment secrets, whole tokens."""

from __future__ import annotations

import pytest

from netra_backend.redact import env_secrets, mask_secrets, mask_url, url_secrets
from netra_devtools import redact as devtools_redact

NO_ENV: dict[str, str] = {}


def test_devtools_re_exports_the_backends_function() -> None:
    assert devtools_redact.mask_secrets is mask_secrets and devtools_redact.mask_url is mask_url


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("postgresql://app:s3cr@t!@db:5432/x", "postgresql://app:***@db:5432/x"),
        ("postgresql://app@db/x?password=hunter2", "postgresql://app@db/x?password=***"),
        (
            "postgresql://app@db/x?sslmode=require&sslpassword=k3y&application_name=n",
            "postgresql://app@db/x?sslmode=require&sslpassword=***&application_name=n",
        ),
        ("http://default:@ch:8123/default", "http://default:***@ch:8123/default"),
        (
            "http://ch:8123/default?user=u&PASSWORD=x#frag",
            "http://ch:8123/default?user=u&PASSWORD=***#frag",
        ),
        ("chdb:///var/lib/netra", "chdb:///var/lib/netra"),
    ],
)
def test_mask_url_masks_userinfo_and_secret_parameters(url: str, masked: str) -> None:
    assert mask_url(url) == masked


def test_a_query_password_never_reaches_the_output() -> None:
    text = '{"reason": "cannot connect to postgresql://app@db/x?password=Zr7-long"}'
    assert "Zr7-long" not in mask_secrets(text, env=NO_ENV)


def test_keyword_strings_and_env_style_pairs_are_masked() -> None:
    text = "invalid dsn: host=db password='a b c' dbname=x; PGPASSWORD=Qq1 psql"
    masked = mask_secrets(text, env=NO_ENV)
    assert masked == "invalid dsn: host=db password=*** dbname=x; PGPASSWORD=*** psql"


def test_a_short_password_masks_whole_tokens_only() -> None:
    text = 'connection to "db" failed: attempt 3: password p rejected (p)'
    masked = mask_secrets(text, secrets=["p"], env=NO_ENV)
    assert masked == 'connection to "db" failed: attempt 3: password *** rejected (***)'


def test_a_password_equal_to_the_user_name_leaves_the_user_name_readable() -> None:
    url = "postgresql://app:app@db:5432/netra"
    text = f'{url}: FATAL: password authentication failed for user "app"'
    masked = mask_secrets(text, env=NO_ENV)
    assert masked == (
        'postgresql://app:***@db:5432/netra: FATAL: password authentication failed for user "app"'
    )
    assert url_secrets(url) == set()  # nothing to hunt in free text: the name shows anyway


def test_environment_secrets_are_masked_wherever_they_stand_alone() -> None:
    env = {
        "DATABASE_URL": "postgresql://app:Kx9%40long@db/netra",
        "CLICKHOUSE_PASSWORD": "ch-Secret",
        "HOME": "/root",
    }
    assert env_secrets(env) == {"Kx9%40long", "Kx9@long", "ch-Secret"}
    text = "auth failed with Kx9@long, then ch-Secret. Home is /root"
    assert mask_secrets(text, env=env) == "auth failed with ***, then ***. Home is /root"


def test_a_secret_variable_holding_a_url_like_value_is_masked_whole() -> None:
    # the variable's name says it holds a secret: `://` in its value does not make it a URL
    env = {"CLICKHOUSE_PASSWORD": "s3://x-ch"}
    assert env_secrets(env) == {"s3://x-ch"}
    assert mask_secrets("rejected: s3://x-ch too", env=env) == "rejected: *** too"


def test_placeholder_passwords_are_not_hunted_in_prose() -> None:
    env = {"POSTGRES_PASSWORD": "postgres", "DATABASE_URL": "postgresql://u:postgres@h/d"}
    text = '{"postgres:connection": "pass"} postgresql://u:postgres@h/d'
    assert mask_secrets(text, env=env) == '{"postgres:connection": "pass"} postgresql://u:***@h/d'


def test_a_secret_shown_json_escaped_is_masked_too() -> None:
    masked = mask_secrets('{"detail": "bad \\"q\\"uote"}', secrets=['"q"uote'], env=NO_ENV)
    assert "quote" not in masked


def test_the_process_environment_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NETRA_TEST_API_TOKEN", "tok-123-abc")
    assert mask_secrets("sent tok-123-abc") == "sent ***"
