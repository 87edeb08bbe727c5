"""The clickhouse stand-in's entry point: ClickHouse's HTTP interface on 0.0.0.0:8123 over chdb.

It reads the official image's variables that docker-compose.dev.yml sets: CLICKHOUSE_USER (only
`default` is served), CLICKHOUSE_PASSWORD and CLICKHOUSE_DB (only `default`). Data lives in
/var/lib/clickhouse, the image's volume.
"""

import os
import sys

from clickhouse_http import PASSWORD_ENV, ClickHouseStartError, serve

DATA_DIR = "/var/lib/clickhouse"
PORT = 8123


def main() -> int:
    """Serve until SIGTERM; exit 2 on settings this stand-in does not serve, 1 if it cannot start."""
    for name in ("CLICKHOUSE_USER", "CLICKHOUSE_DB"):
        if os.environ.get(name, "default") not in ("", "default"):
            print(f"error: {name}: this stand-in serves `default` only", file=sys.stderr)
            return 2
    os.environ[PASSWORD_ENV] = os.environ.get("CLICKHOUSE_PASSWORD", "")
    print(f"serving ClickHouse HTTP on 0.0.0.0:{PORT} from {DATA_DIR} (chdb)", flush=True)
    try:
        serve(DATA_DIR, PORT, host="0.0.0.0")
    except ClickHouseStartError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
