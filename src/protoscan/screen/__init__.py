"""The lawyers' room: screening a draft decision about a child before it is issued.

``report`` builds the ``ScreenReport`` (passage findings, absence checks, readability);
``checks`` holds the absence checks, one module per check family over one ``Check``
contract; ``readability`` gives LIX, long sentences and unexplained abbreviations.

May import: ``document``, ``errors``, ``labels``, ``privacy``, ``findings``, ``ingest``,
``structure`` and ``classify`` (through a classifier passed in). Never ``render``, ``cli``,
``web``, ``batch`` or ``training``: those import this package, not the other way round.

The report's API is re-exported here, so ``from protoscan.screen import screen_document``
keeps working.
"""

from __future__ import annotations

from protoscan.screen.report import *  # noqa: F403  (the report's API is the package's)
from protoscan.screen.report import __all__ as __all__
