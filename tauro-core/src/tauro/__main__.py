"""``python -m tauro``, and the file ``spark-submit`` runs: ``spark-submit [options]
.../tauro/__main__.py run pipeline.yaml`` (``tauro submit-args`` prints the whole command)."""

from __future__ import annotations

import os
import sys

if not __package__:
    # Run as a file (spark-submit): Python put this package's own folder first on sys.path,
    # where its modules would shadow top-level ones; Tauro is imported as a package instead.
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]

from tauro.cli import main

if __name__ == "__main__":
    main(prog_name="tauro")
