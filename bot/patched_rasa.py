"""Rasa's own command line, with the project's patches installed first (bot.patches).

    python -m bot.patched_rasa run --model models/assistant.tar.gz ...
    python -m bot.patched_rasa test core --stories tests ...

Takes the same arguments as `rasa`; every process that serves or tests the model starts here,
so that it runs the model the way production does.
"""

from __future__ import annotations

import logging
import sys
from typing import List, Optional


def main(argv: Optional[List[str]] = None) -> None:
    from rasa.__main__ import main as rasa_main

    from bot import patches

    # Rasa configures logging itself once started; this one line says what was installed.
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    patches.install()
    logging.getLogger().handlers.clear()
    sys.argv = ["rasa", *(sys.argv[1:] if argv is None else argv)]
    rasa_main()


if __name__ == "__main__":
    main()
