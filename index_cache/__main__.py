"""``python -m poncho.index_cache build -o DIR ...``"""

import sys

from .cli import main

sys.exit(main())
