"""invoke tasks for people: `invoke --list`. Bodies live in netra_devtools/tasks/."""

from invoke import Collection

from netra_devtools.tasks import stack

ns = Collection()
ns.add_task(stack.dev)
ns.add_task(stack.down)
ns.add_task(stack.reset)
ns.add_task(stack.logs)
ns.add_task(stack.health)
