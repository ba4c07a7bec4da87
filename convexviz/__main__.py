"""``python -m convexviz``: see :mod:`convexviz.cli`."""

import sys

from .cli import main

sys.exit(main())
