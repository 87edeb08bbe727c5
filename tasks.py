"""invoke tasks for people: `invoke --list`. Each is made from its tool's cli in netra_devtools/."""

from netra_devtools.tasks import collection

ns = collection()
