"""invoke tasks for people: `invoke --list`. Bodies live in netra_devtools/tasks/."""

from invoke import Collection

from netra_devtools.tasks import analytics, backend, doctor, ports, stack
from netra_devtools.tasks.introspect import introspect
from netra_devtools.tasks.migrate import migrate

ns = Collection()
ns.add_task(stack.dev)
ns.add_task(stack.down)
ns.add_task(stack.reset)
ns.add_task(stack.logs)
ns.add_task(stack.health)
ns.add_task(backend.serve)
ns.add_task(doctor.doctor)
ns.add_task(introspect)
ns.add_task(migrate)
ns.add_task(ports.fix_port, name="fix-port")
ns.add_task(ports.check_port, name="check-port")
ns.add_task(analytics.spool)
ns.add_task(analytics.check_clickhouse, name="check-clickhouse")
