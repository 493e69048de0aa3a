import sys

from poncho.cli import main

sys.exit(main())
