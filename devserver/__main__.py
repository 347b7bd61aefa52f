"""`python -m devserver [--host 127.0.0.1] [--port 3000] [--allow-network]` (what `make run` runs)."""

import sys

from devserver.app import main

sys.exit(main())
