"""DiskSpool under real filesystem faults, in a child process so the limits stay contained."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from netra_devtools.compat import WINDOWS
from tests.support.skips import by_design

pytestmark = by_design(WINDOWS, "RLIMIT_FSIZE is POSIX")

DISK_FULL_CHILD = """
import json, resource, signal, sys
from netra_backend.app.analytics.spool.disk import DiskSpool

def rows(start, count):
    return [{"n": i, "pad": "x" * 200} for i in range(start, start + count)]

signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit fail with EFBIG instead
spool = DiskSpool(sys.argv[1])
spool.spool("events", rows(0, 10))
soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
resource.setrlimit(resource.RLIMIT_FSIZE, (8192, hard))  # the disk is "full" now
spool.spool("events", rows(10, 100))  # must not raise: counted as dropped
resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))  # space again
spool.spool("events", rows(110, 10))
spool.close()
spool = DiskSpool(sys.argv[1])  # a restart reads back exactly what was acknowledged
seen = []
spool.replay(lambda table, batch, batch_id: seen.extend(r["n"] for r in batch))
print(json.dumps({"seen": seen, "status": spool.status()}))
"""


def test_full_disk_drops_and_counts_the_batch_and_later_rows_still_replay(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", DISK_FULL_CHILD, str(tmp_path / "spool")],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["seen"] == list(range(10)) + list(range(110, 120))
    assert result["status"]["dropped_rows"] == 100
    assert "could not write 100 rows" in done.stderr
