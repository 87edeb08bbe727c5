"""invoke tasks for people: `invoke --list`. Bodies live in netra_devtools/tasks/."""

from invoke import Collection

ns = Collection()
