"""`python -m glue.cli`."""

import sys

from glue.cli import main

sys.exit(main())
