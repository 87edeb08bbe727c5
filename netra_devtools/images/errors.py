"""What building or loading a stand-in image can fail with."""

from __future__ import annotations

from netra_devtools.errors import NetraDevtoolsError


class ImageError(NetraDevtoolsError, RuntimeError):
    """Base of the images tool's errors; the message is one line for people."""


class ToolMissing(ImageError):
    """A program the build needs is not installed; the message names the install command."""


class ImageBuildError(ImageError):
    """A build step failed; the message carries its last output lines."""


class NotCached(ImageError):
    """Loading only (no build) was asked, and the cache holds no tar for these inputs."""
