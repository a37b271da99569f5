"""``python -m deepseekapi_core.cli``: the ``deepseekapi`` command."""

import sys

from ._main import main

sys.exit(main())
