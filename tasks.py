"""invoke tasks for people: `invoke --list`. Bodies live in netra_devtools/tasks/."""

from invoke import Collection

from netra_devtools.tasks import backend

ns = Collection()
ns.add_task(backend.serve)
