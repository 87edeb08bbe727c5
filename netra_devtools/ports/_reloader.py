"""What a process is, from its module or entry point: a reloader or supervisor that restarts the
process holding the port (uvicorn, watchfiles, werkzeug, Django's autoreload, nodemon, ...).

Never from words in a command line: a shell whose script merely mentions `--reload` is a shell.
"""

from __future__ import annotations

# entry point (the module after `python -m`, a console script, a node script) → what it is
RESPAWNERS = {
    "uvicorn": "uvicorn",
    "watchfiles": "watchfiles",
    "watchgod": "watchgod",
    "hupper": "hupper",
    "watchmedo": "watchmedo",
    "gunicorn": "gunicorn",
    "hypercorn": "hypercorn",
    "flask": "werkzeug",
    "nodemon": "nodemon",
}
# Modules whose `python -m` name differs from the console script's.
_MODULES = {"watchdog.watchmedo": "watchmedo", "werkzeug.serving": "werkzeug"}
# werkzeug and Django restart by running their own command again with this set in the child.
RUN_MAIN_VARIABLES = ("WERKZEUG_RUN_MAIN", "RUN_MAIN")
_PYTHON_OPTIONS_WITH_VALUE = {"-X", "-W", "--check-hash-based-pycs"}


def _program(path: str) -> str:
    """`/venv/bin/uvicorn` → "uvicorn"; `nodemon.js` → "nodemon"; `python3.11.exe` → "python3.11"."""
    name = path.replace("\\", "/").rsplit("/", 1)[-1].lower()
    for suffix in (".exe", "-script.py", ".py", ".js", ".cmd"):
        name = name.removesuffix(suffix)
    return name


def _is_interpreter(program: str, names: tuple[str, ...]) -> bool:
    return any(program == n or program.startswith(n) and program[len(n) :][:1] in "0123456789.w"
               for n in names)  # fmt: skip


def entry_point(cmdline: list[str]) -> str:
    """The module or script a process runs ("" for `python -c`, a bare interpreter or nothing)."""
    if not cmdline:
        return ""
    first = cmdline[0]
    if first.startswith("gunicorn:"):  # gunicorn renames its processes ("gunicorn: master [app]")
        return "gunicorn"
    program = _program(first.split()[0])
    if _is_interpreter(program, ("python", "pypy", "py")):
        return _python_entry(cmdline[1:])
    if _is_interpreter(program, ("node", "nodejs")):
        script = next((a for a in cmdline[1:] if not a.startswith("-")), "")
        return _program(script)
    return program


def _python_entry(args: list[str]) -> str:
    skip = False
    for i, arg in enumerate(args):
        if skip:
            skip = False
        elif arg == "-m" and i + 1 < len(args):
            module = args[i + 1]
            return _MODULES.get(module, module.split(".")[0])
        elif arg == "-c" or arg == "-":
            return ""
        elif arg in _PYTHON_OPTIONS_WITH_VALUE:
            skip = True
        elif not arg.startswith("-"):
            return _program(arg)
    return ""


def respawner(
    parent_cmdline: list[str], child_cmdline: list[str], child_env: dict[str, str] | None
) -> str:
    """What `parent` is when it restarts `child` once that exits ("" when it is not known to).

    Known reloaders and supervisors by their entry point; werkzeug and Django's autoreload (which
    any script can use) by their protocol: the child runs the parent's own program again, with
    WERKZEUG_RUN_MAIN or RUN_MAIN set to "true" in its environment.
    """
    entry = entry_point(parent_cmdline)
    if entry in RESPAWNERS:
        return RESPAWNERS[entry]
    restarted = child_env is not None and any(
        child_env.get(name) == "true" for name in RUN_MAIN_VARIABLES
    )
    if restarted and entry and entry == entry_point(child_cmdline):
        return "werkzeug/django autoreload"
    return ""
