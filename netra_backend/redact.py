"""Masking secrets before anything is printed or logged: the one masking function, `mask_secrets`.

Three kinds of secret, all replaced by `***`:

- in every URL of the text: the password of its userinfo (it may contain `@`, `:` or `/` unencoded:
  it ends at the last `@` before the host) and the values of secret query parameters
  (`?password=`, `sslpassword=`, `api_key=`, ...); `key=value` pairs outside URLs (libpq's
  `password=... dbname=...`, `PGPASSWORD=...`) the same way;
- the environment's values known to be secrets: variables named `*PASSWORD`, `*SECRET`, `*TOKEN`,
  `*API_KEY`, and the passwords of every URL in the environment (DATABASE_URL, CLICKHOUSE_URL...);
- the secrets a caller passes (e.g. `Settings.secrets()`).

Those values are masked elsewhere in the text as whole tokens only (`attempt` stays `attempt` with
the password `p`): an occurrence counts when whitespace, quotes, brackets or separators such as
`=`, `:` or `,` surround it. A value that is public anyway is not hunted in free text: one equal
to the user name it goes with (`user "app"` stays readable when the password is `app` too) and the
well-known placeholder passwords (`postgres`, `changeme`...), which settings refuse outside
development.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from urllib.parse import unquote

MASK = "***"
# Well-known default passwords: public, so masking them in prose hides nothing and breaks words
# like `postgres:connection`; Settings refuses them outside development.
PLACEHOLDER_PASSWORDS = frozenset(
    {"postgres", "password", "changeme", "change-me", "secret", "example", "placeholder", "default"}
)

_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://\S*")
# userinfo at the start of what follows `scheme://`: the password runs lazily up to the `@` that
# is followed by a host (no further `@`) and then the end of the URL or its path, query, fragment.
_USERINFO = re.compile(r"(?P<user>[^:/@\s]*):(?P<pw>.*?)@(?=[^@/?#]*(?:[/?#]|$))", re.DOTALL)
# A key naming a secret, then `=`, then its value: URL query parameters and keyword strings.
# A quoted value (libpq: password='a b') only right after `=`, so prose with a stray quote after
# "password =" is not read as one value up to the next quote.
_SECRET_PAIR = re.compile(
    r"(?<![\w.\-])(?P<key>[A-Za-z_]*(?:password|passwd|secret|token|api_?key))"
    r"(?:(?P<eq>=)(?P<quoted>'(?:[^'\\\n]|\\.)*'|\"[^\"\n]*\")"
    r"|(?P<eq2>\s*=\s*)(?P<plain>[^\s&#;,'\"<>()\[\]{}]+))",
    re.IGNORECASE,
)
_USER_PAIR = re.compile(
    r"(?<![\w.\-])user(?:name)?\s*=\s*(?P<value>[^\s&#;,'\"<>()\[\]{}]+)", re.IGNORECASE
)
_SECRET_ENV_NAME = re.compile(r"(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY)$", re.IGNORECASE)
_USER_ENV_NAME = re.compile(r"USER(NAME)?$", re.IGNORECASE)
# What may stand right next to a whole token (besides whitespace and the text's edges).
_EDGE = r"\"'`()\[\]{}<>,;:=&?#/@|"
_BEFORE = rf"(?<![^\s{_EDGE}])"
_AFTER = rf"(?=$|[\s{_EDGE}]|[.!](?:[\s{_EDGE}]|$))"


def _bare(value: str) -> str:
    """A keyword value without the quotes libpq allows around it."""
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def _forms(value: str) -> set[str]:
    """A secret as written and percent-decoded (messages may show either)."""
    return {value, unquote(value)} - {""}


def _mask_userinfo(url: str) -> str:
    scheme, _, rest = url.partition("://")
    found = _USERINFO.match(rest)
    if found is None:
        return url
    return f"{scheme}://{found['user']}:{MASK}@{rest[found.end() :]}"


def _pair_value(pair: re.Match[str]) -> str:
    return _bare(pair["quoted"]) if pair["quoted"] is not None else pair["plain"]


def _mask_pairs(text: str) -> str:
    return _SECRET_PAIR.sub(lambda m: f"{m['key']}{m['eq'] or m['eq2']}{MASK}", text)


def _mask_one_url(url: str) -> str:
    return _mask_pairs(_mask_userinfo(url))


def _by_url(text: str, in_url: Callable[[str], str], between: Callable[[str], str]) -> str:
    """`text` with each URL passed through `in_url` and the text between URLs through `between`."""
    parts, position = [], 0
    for url in _URL.finditer(text):
        parts += [between(text[position : url.start()]), in_url(url.group())]
        position = url.end()
    return "".join([*parts, between(text[position:])])


def mask_url(text: str) -> str:
    """`text` with every URL's password and secret parameters replaced by ***, and every
    `password=...`-style pair outside URLs too; the rest stays as it was."""
    return _by_url(text, _mask_one_url, _mask_pairs)


def url_secrets(text: str) -> set[str]:
    """The secret values written in `text`'s URLs and key=value pairs (as written and decoded),
    without those equal to a user name the text gives with them."""
    secrets: set[str] = set()
    users: set[str] = set()
    for url in _URL.finditer(text):
        found = _USERINFO.match(url.group().partition("://")[2])
        if found is not None:
            users |= _forms(found["user"])
            secrets |= _forms(found["pw"])
    for pair in _SECRET_PAIR.finditer(text):
        secrets |= _forms(_pair_value(pair))
    users |= {_bare(m["value"]) for m in _USER_PAIR.finditer(text)}
    return secrets - users


def env_secrets(env: Mapping[str, str] | None = None) -> frozenset[str]:
    """The environment's values known to be secrets: `*PASSWORD`/`*SECRET`/`*TOKEN`/`*API_KEY`
    variables, and the passwords of the URLs it holds (DATABASE_URL, CLICKHOUSE_URL, ...)."""
    env = os.environ if env is None else env
    relevant = tuple(
        (name, value)
        for name, value in env.items()
        if value
        and (_SECRET_ENV_NAME.search(name) or _USER_ENV_NAME.search(name) or "://" in value)
    )
    return _env_secrets(relevant)


@lru_cache(maxsize=32)
def _env_secrets(relevant: tuple[tuple[str, str], ...]) -> frozenset[str]:
    found: set[str] = set()
    users: set[str] = set()  # POSTGRES_USER=app with POSTGRES_PASSWORD=app: `app` is public
    for name, value in relevant:
        if _SECRET_ENV_NAME.search(name):  # a variable named for a secret holds one, `://` or not
            found |= _forms(value.strip())
        elif "://" in value:
            found |= url_secrets(value)
        else:
            users.add(value.strip())
    return frozenset(found - users)


@lru_cache(maxsize=64)
def _token_pattern(secrets: frozenset[str]) -> re.Pattern[str] | None:
    escaped = {json.dumps(s, ensure_ascii=False)[1:-1] for s in secrets}  # as JSON output shows it
    maskable = sorted((secrets | escaped) - PLACEHOLDER_PASSWORDS - {MASK}, key=len, reverse=True)
    if not maskable:
        return None
    return re.compile(_BEFORE + "(?:" + "|".join(map(re.escape, maskable)) + ")" + _AFTER)


def mask_secrets(
    text: str, secrets: Iterable[str] = (), env: Mapping[str, str] | None = None
) -> str:
    """Mask `text` for output: every known secret (given, in the environment, or in the text's own
    URLs and pairs) where it stands as a whole token, then URL passwords, secret parameters and
    pairs. URLs are masked by their structure only, so a host equal to a secret stays readable."""
    known = frozenset(s for s in (*secrets, *env_secrets(env), *url_secrets(text)) if s)
    pattern = _token_pattern(known)
    if pattern is None:
        return mask_url(text)
    return _by_url(
        text,
        lambda url: MASK if url in known else _mask_one_url(url),  # a secret that looks like a URL
        lambda part: _mask_pairs(pattern.sub(MASK, part)),
    )
