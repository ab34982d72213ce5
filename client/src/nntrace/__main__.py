"""``python -m nntrace`` runs the command line."""

import sys

from nntrace.cli import main

sys.exit(main())
