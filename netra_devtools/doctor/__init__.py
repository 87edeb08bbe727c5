"""`invoke doctor`: checks of the development stack, each with a verdict, a reason and a fix."""

from netra_devtools.doctor.model import Check, CheckResult, Status

__all__ = ["Check", "CheckResult", "Status"]
