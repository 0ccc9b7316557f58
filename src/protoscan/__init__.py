"""protoscan: find where the handling of children's cases fell short in Swedish decisions."""

from __future__ import annotations

import logging

from protoscan.document import Document, LabelScore, LegalRef, Metadata, Page, Passage, Section
from protoscan.errors import ProtoscanError

__version__ = "0.1.0"
__all__ = [
    "Document",
    "LabelScore",
    "LegalRef",
    "Metadata",
    "Page",
    "Passage",
    "ProtoscanError",
    "Section",
    "__version__",
]

logging.getLogger(__name__).addHandler(logging.NullHandler())
