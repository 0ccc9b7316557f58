"""Imported once by the scan's fork server, before any worker starts, so that every worker
begins with spaCy in memory — loaded the way protoscan loads it, without thinc importing
torch (:func:`protoscan.structure.segment.import_spacy`)."""

from protoscan.structure.segment import import_spacy

import_spacy()

import spacy.lang.sv  # noqa: E402,F401  (the Swedish tokenizer data, seconds to import)
