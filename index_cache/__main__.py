"""``python -m poncho.index_cache build -o DIR ...``: the builder's command line (:mod:`.build.cli`)."""

import sys

from .build.cli import main

sys.exit(main())
