"""Concurrent clients that POST analytics events, each event with the test's own id in `user_id`,
and remember what the backend answered for every id: 202 (acknowledged: must be stored exactly
once), 503 (refused: the client was told), or no answer (the backend died mid-request: stored
once or not at all). What ClickHouse holds is then compared with that, id by id."""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class Posters:
    """`clients` threads posting batches of 1..max_batch events to `base_url` until stopped."""

    base_url: str
    tag: str
    clients: int = 8
    seed: int = 0
    max_batch: int = 20
    pause_s: float = 0.0  # between one client's posts: a light load where the machine is shared
    acked: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    unanswered: list[str] = field(default_factory=list)
    refusals: list[dict[str, Any]] = field(default_factory=list)  # 503 bodies and Retry-After
    unexpected: list[str] = field(default_factory=list)
    unreachable: int = 0  # posts never sent: nothing listened (a backend restarting)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> Posters:
        """Start posting (returns at once)."""
        for index in range(self.clients):
            thread = threading.Thread(target=self._run, args=(index,), daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        """Stop posting and wait for the clients' last answers."""
        self._stop.set()
        for thread in self._threads:
            thread.join(30)

    def _run(self, index: int) -> None:
        rng = random.Random(self.seed * 1000 + index)
        sequence = 0
        with httpx.Client(base_url=self.base_url, timeout=15, trust_env=False) as http:
            while not self._stop.is_set():
                count = rng.randint(1, self.max_batch)
                ids = [f"{self.tag}-{self.seed}-{index}-{sequence + i}" for i in range(count)]
                sequence += count
                events = [{"event_type": self.tag, "user_id": i, "properties": {"c": index}}
                          for i in ids]  # fmt: skip
                try:
                    answer = http.post("/api/events", json=events)
                except httpx.ConnectError:  # not listening (restarting): never sent
                    self.unreachable += 1
                    time.sleep(0.1)
                    continue
                except httpx.HTTPError:  # sent, and the backend died before it answered
                    self.unanswered.extend(ids)
                    continue
                if answer.status_code == 202 and answer.json() == {"accepted": count}:
                    self.acked.extend(ids)
                elif answer.status_code == 503:
                    self.refused.extend(ids)
                    retry_after = answer.headers.get("Retry-After")
                    self.refusals.append({**answer.json(), "retry_after": retry_after})
                    time.sleep(0.05)
                else:
                    self.unexpected.append(f"{answer.status_code}: {answer.text[:200]}")
                self._stop.wait(self.pause_s)


def stored_counts(client: Any, tag: str) -> dict[str, int]:
    """Rows per id of event type `tag` in ClickHouse (plain counts: no FINAL, no DISTINCT)."""
    result = client.query(
        "SELECT user_id, count() FROM events WHERE event_type = {t:String} GROUP BY user_id",
        parameters={"t": tag},
    )
    return {str(user): int(count) for user, count in result.result_rows}


def compare(posters: Posters, counts: dict[str, int]) -> dict[str, list[str]]:
    """Ids acknowledged but not stored (lost), stored more than once (doubled), or stored though
    never sent (strangers); a refused id that was stored counts as a stranger too."""
    maybe = set(posters.unanswered)
    known = set(posters.acked) | maybe
    return {
        "lost": [i for i in posters.acked if counts.get(i, 0) == 0],
        "doubled": sorted(i for i, count in counts.items() if count > 1),
        "strangers": sorted(i for i in counts if i not in known),
    }
