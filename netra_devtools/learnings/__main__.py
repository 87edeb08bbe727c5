"""`python -m netra_devtools.learnings [check|introspect] ...` (alone: check the catalog)."""

import sys

from netra_devtools.learnings.cli import main

sys.exit(main())
