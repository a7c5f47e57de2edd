"""``python -m zyw_flow``: the ``zyw-flow`` command line."""

import sys

from zyw_flow.cli import main

sys.exit(main())
