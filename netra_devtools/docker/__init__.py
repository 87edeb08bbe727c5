"""Docker for the dev tools: engine detection (sockets, pipes, contexts) and log sources."""

from __future__ import annotations

from netra_devtools.docker.detect import (
    Attempt,
    Candidate,
    Detection,
    EngineNotFound,
    candidates,
    detect,
    probe,
)

__all__ = ["Attempt", "Candidate", "Detection", "EngineNotFound", "candidates", "detect", "probe"]
