"""``python -m tagregistry.demo``."""

import sys

from tagregistry.demo.run import main

sys.exit(main())
