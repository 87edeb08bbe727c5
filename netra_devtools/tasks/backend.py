"""invoke serve: run the backend through `python -m netra_backend`, after a pre-flight port check."""

from __future__ import annotations

import sys

from invoke.context import Context
from invoke.exceptions import Exit
from invoke.tasks import task

from netra_devtools.tasks import exit_with


@task(
    help={
        "host": "address to listen on (default NETRA_HOST or 127.0.0.1)",
        "port": "port to listen on (default NETRA_PORT or 8000)",
        "reload": "restart when the code changes (development)",
    }
)
def serve(c: Context, host: str = "", port: str = "", reload: bool = False) -> None:
    """Run the backend on HOST:PORT; says how to free the port when it is taken."""
    import argparse
    import os

    from netra_backend.__main__ import main
    from netra_devtools.cli import ip_address, port_number

    try:
        bind_host = ip_address(host or os.environ.get("NETRA_HOST", "127.0.0.1"))
        bind_port = port_number(port or os.environ.get("NETRA_PORT", "8000"))
    except argparse.ArgumentTypeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise Exit(code=2) from None
    from netra_devtools.ports import port_is_free

    if not port_is_free(bind_port, bind_host):
        print(
            f"error: port {bind_port} on {bind_host} is taken; run "
            f"`invoke fix-port --port {bind_port}` to see who holds it and free it",
            file=sys.stderr,
        )
        raise Exit(code=1)
    argv = ["--host", bind_host, "--port", str(bind_port)] + (["--reload"] if reload else [])
    exit_with(main(argv))
