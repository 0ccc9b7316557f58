"""Sentence boundaries around Swedish legal abbreviations, paragraphs and passage windows."""

from __future__ import annotations

import itertools
import subprocess
import sys

import pytest

from protoscan.errors import ConfigError
from protoscan.structure.segment import (
    SegmentConfig,
    get_nlp,
    split_paragraphs,
    split_passages,
    split_sentences,
)

BOUNDARY_CASES = [
    # Abbreviations that must never end a sentence.
    ("Nämnden har bl.a. brustit i dokumentationen.", 1),
    ("Bl.a. saknades en bedömning av barnets bästa.", 1),
    ("Det gällde t.ex. umgänget med pappan.", 1),
    ("T.ex. framgick inte vem som fattat beslutet.", 1),
    ("Beslutet fattades för sent, dvs. efter fem månader.", 1),
    ("Beslutet fattades för sent, d.v.s. efter fem månader.", 1),
    ("Nämnden gjorde en s.k. förhandsbedömning.", 1),
    ("Placeringen skedde enl. beslut av ordföranden.", 1),
    ("Barnet har inte hörts, jfr JO 2004/05 s. 202.", 1),
    ("Se prop. 2000/01:80 s. 91 om barnets bästa.", 1),
    ("Enligt 11 kap. 1 a § ska beslutet fattas inom fjorton dagar.", 1),
    ("Hon var f.d. familjehemsförälder till pojken.", 1),
    ("Insatsen gäller fr.o.m. den 1 juli 2025 t.o.m. den 31 december 2025.", 1),
    ("Utredningen försenades p.g.a. personalbrist.", 1),
    ("Pojken och flickan är 8 resp. 11 år gamla.", 1),
    ("Skrivelsen ang. umgänge kom in i maj.", 1),
    ("Nämnden fick in tre st. anmälningar om barnet.", 1),
    ("Ärende nr. 5 gällde en placering i familjehem.", 1),
    ("Det rörde sig om ca. 40 ärenden per handläggare.", 1),
    ("JO har uttalat sig om detta i JO 2004/05 s. 202 och senare.", 1),
    ("Mattias R. anförde bl.a. att beslutet var fel.", 1),
    ("Anmälaren L.F. klagade på handläggningen.", 1),
    # Sentences that do end at a law abbreviation or other boundary.
    ("Utredning inleddes enligt 11 kap. 1 § SoL. Nämnden informerade familjen.", 2),
    ("Barnet omhändertogs enligt 6 § LVU. Beslutet underställdes förvaltningsrätten.", 2),
    ("Beslutet saknade motivering enligt 32 § FL. Det är en brist.", 2),
    ("AA berättade att hon hade träffat BB. Hon var rädd.", 2),
    ("Nämnden ansvarar för vård, boende m.m. Barnet placerades i maj.", 2),
    ("Ärenden om umgänge m.m. har handlagts av samma enhet.", 1),
    ("Jag delar uppfattningen om kontakten med L.F. U.O. kan inte undgå kritik.", 2),
    ("Detaljerna framgår av JO 2004/05 s. 202. Ärendet avslutas.", 2),
    ("Vem fattade beslutet? Det framgår inte av akten!", 2),
    # Numbered list items are one sentence each, marker included.
    ("Vi anser att ordföranden har\n1. begränsat insynen.\n2. Inte låtit nämnden besluta.", 3),
]


@pytest.mark.parametrize(("text", "n_sentences"), BOUNDARY_CASES)
def test_sentence_boundaries(text: str, n_sentences: int) -> None:
    spans = split_sentences(text)
    assert len(spans) == n_sentences, [text[s:e] for s, e in spans]
    assert spans[0][0] == 0 and spans[-1][1] == len(text)


def test_sentence_texts_around_law_abbreviation() -> None:
    text = (
        "Enligt 11 kap. 1 § SoL ska nämnden utreda. Se även JO 2004/05 s. 202 f. Ärendet avslutas."
    )
    assert [text[s:e] for s, e in split_sentences(text)] == [
        "Enligt 11 kap. 1 § SoL ska nämnden utreda.",
        "Se även JO 2004/05 s. 202 f.",
        "Ärendet avslutas.",
    ]


def test_numbered_list_items_keep_their_marker() -> None:
    text = "Kraven är:\n1. Nämnden ska utreda.\n2. Barnet ska höras."
    assert [text[s:e] for s, e in split_sentences(text)] == [
        "Kraven är:",
        "1. Nämnden ska utreda.",
        "2. Barnet ska höras.",
    ]


def test_sentences_of_a_span_are_offsets_into_the_whole_text() -> None:
    text = "Rubrik\n\nFörsta meningen. Andra meningen."
    spans = split_sentences(text, 8, len(text))
    assert [text[s:e] for s, e in spans] == ["Första meningen.", "Andra meningen."]
    assert spans[0][0] == 8


def test_nlp_is_cached() -> None:
    assert get_nlp() is get_nlp()
    assert get_nlp().pipe_names == ["sentencizer", "protoscan_sentence_fixes"]


def test_paragraphs_are_trimmed_offsets_and_skip_letterless_blocks() -> None:
    text = "  Första stycket\nfortsätter här.\n\n\n– – –\n\n  Andra stycket.  \n"
    spans = split_paragraphs(text)
    assert [text[s:e] for s, e in spans] == ["Första stycket\nfortsätter här.", "Andra stycket."]
    assert spans[0] == (2, 32)


def test_paragraphs_leave_out_excluded_spans() -> None:
    text = "Anmälan\nAA klagade på nämnden.\n\nBedömning\nNämnden får kritik."
    headings = [(0, 7), (32, 41)]
    assert [text[s:e] for s, e in split_paragraphs(text, headings)] == [
        "AA klagade på nämnden.",
        "Nämnden får kritik.",
    ]


def test_short_paragraph_is_one_passage() -> None:
    text = "Nämnden inledde ingen utredning. Barnet hördes inte."
    assert split_passages(text) == [(0, len(text))]


def _long_paragraph() -> str:
    sentences = [
        f"Mening {i} beskriver bl.a. hur nämnden handlade ärendet enligt 11 kap. 1 § SoL."
        for i in range(1, 16)
    ]
    return " ".join(sentences)


def test_long_paragraph_becomes_sentence_windows() -> None:
    text = "Rubriken\n\n" + _long_paragraph()
    config = SegmentConfig(max_chars=300, max_sentences=3)
    passages = split_passages(text, config=config)
    assert passages[0] == (0, 8)
    windows = passages[1:]
    assert len(windows) == 5
    for start, end in windows:
        chunk = text[start:end]
        assert len(chunk) <= 300
        assert chunk.startswith("Mening") and chunk.endswith("SoL.")
        assert len(split_sentences(text, start, end)) <= 3
    # Windows are consecutive and cover the paragraph without gaps other than spaces.
    assert windows[0][0] == 10 and windows[-1][1] == len(text)
    for (_, end), (start, _) in itertools.pairwise(windows):
        assert text[end:start] == " "


def test_default_windows_are_at_most_600_chars() -> None:
    text = _long_paragraph() + " " + _long_paragraph()
    passages = split_passages(text)
    assert len(passages) > 1
    assert all(e - s <= 600 for s, e in passages)
    assert all(len(split_sentences(text, s, e)) <= 4 for s, e in passages)


def test_single_sentence_longer_than_limit_is_kept_whole() -> None:
    text = "Nämnden " + "och ".join(["handlade ärendet"] * 60) + "."
    assert split_passages(text, config=SegmentConfig(max_chars=100)) == [(0, len(text))]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_chars": 10}, "`segment.max_chars` must be an integer >= 50; got 10."),
        ({"max_sentences": 0}, "`segment.max_sentences` must be an integer >= 1; got 0."),
        ({"max_chars": 600.0}, "`segment.max_chars` must be an integer >= 50; got 600.0."),
    ],
)
def test_segment_config_validates(kwargs: dict, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        SegmentConfig(**kwargs)
    assert str(info.value) == message


def test_very_long_span_is_split_in_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    from protoscan.structure import segment

    monkeypatch.setattr(segment, "_MAX_CHUNK_CHARS", 100)
    text = "\n".join(f"Rad {i} handlar om barnet." for i in range(40))
    spans = split_sentences(text)
    assert [text[s:e] for s, e in spans] == [f"Rad {i} handlar om barnet." for i in range(40)]


def test_the_pipeline_loads_without_torch_or_spacys_cli() -> None:
    # A fresh interpreter: what get_nlp imports, and that spaCy's CLI still works afterwards.
    code = (
        "import sys; from protoscan.structure.segment import get_nlp; "
        "print([s.text for s in get_nlp()('Se bl.a. 2 kap. SoL. Klart.').sents]); "
        "print(sorted(m for m in ('torch', 'requests', 'httpx', 'weasel', 'spacy.cli') "
        "if m in sys.modules)); "
        "import spacy.cli; print(spacy.cli.info.__module__)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines() == [
        "['Se bl.a. 2 kap. SoL.', 'Klart.']",
        "[]",
        "spacy.cli.info",
    ]
