"""``python -m demos``: run the course demos and write the HTML report."""

import sys

from demos.runner import main

sys.exit(main())
