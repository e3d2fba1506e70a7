"""``python -m neuralpath``: the same command line as the ``neuralpath`` script."""
import sys

from .cli import main

sys.exit(main())
