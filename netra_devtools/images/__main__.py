"""`python -m netra_devtools.images ...`."""

import sys

from netra_devtools.images.cli import main

sys.exit(main())
