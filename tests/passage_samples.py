"""A small hand-written labelled set for classifier tests (not the corpus)."""

from __future__ import annotations

from dataclasses import replace

from protoscan.corpus.schema import CorpusPassage

_ROWS = [
    ("Nämnden har inte talat med barnet innan beslutet fattades.", ["child_perspective"]),
    ("Barnets inställning har inte klarlagts i utredningen.", ["child_perspective"]),
    ("Någon bedömning av barnets bästa framgår inte av beslutet.", ["child_perspective"]),
    ("Beslutet saknar motivering och lagrum anges inte.", ["reasoning"]),
    ("Det framgår inte vilka omständigheter som legat till grund för beslutet.", ["reasoning"]),
    ("Överklagandehänvisning saknas i beslutet om umgängesbegränsning.", ["reasoning"]),
    ("Samtalet med modern har inte dokumenterats i akten.", ["documentation"]),
    ("Det finns inga journalanteckningar från hembesöket.", ["documentation"]),
    ("Skyddsbedömningen har varken daterats eller dokumenterats.", ["documentation"]),
    (
        "Trots uppgifterna om att pojken blivit slagen inleddes ingen utredning.",
        ["violence_investigation"],
    ),
    ("Risken för fortsatt våld mot barnen har inte bedömts.", ["violence_investigation"]),
    ("Förhandsbedömningen tog sju veckor, vilket är för lång tid.", ["delay"]),
    ("Utredningen pågick i sju månader utan något beslut om förlängning.", ["delay"]),
    (
        "Socialsekreteraren har inte besökt flickan i familjehemmet på ett år.",
        ["placement_follow_up"],
    ),
    ("Vårdnadshavarna fick inte tillfälle att yttra sig innan beslutet.", ["party_information"]),
    ("Handläggaren har haft två enskilda samtal med barnet.", []),
    ("Enligt 11 kap. 10 § SoL ska barnet ges möjlighet att framföra sina åsikter.", []),
    ("JO finner inte skäl att kritisera nämnden.", []),
    ("Av dokumentationen framgår att utredning inleddes samma dag.", []),
    ("Anmälaren anser att socialtjänsten inte lyssnat på barnet.", []),
]


def sample_passages(split: str = "train") -> list[CorpusPassage]:
    return [
        CorpusPassage(id=f"s{i}", text=text, labels=tuple(labels), doc_id=f"d{i}", split=split)
        for i, (text, labels) in enumerate(_ROWS)
    ]


def split_samples() -> list[CorpusPassage]:
    """The sample set three times over: train, dev and test (distinct ids and documents)."""
    return [
        replace(p, id=f"{split}-{p.id}", doc_id=f"{split}-{p.doc_id}", split=split)
        for split in ("train", "dev", "test")
        for p in sample_passages()
    ]


def criticism_and_rule_rows(
    topics: dict[tuple[str, ...], tuple[str, ...]],
) -> list[CorpusPassage]:
    """For each topic phrase, criticism in one wording and a rule in another: a finding where
    the topic has labels, criticism of something else (``other_deficiency``) where it has none.
    """
    towns = ("Ale", "Bjuv", "Eda", "Gnosjö")
    rows: list[CorpusPassage] = []
    for labels, phrases in topics.items():
        stance = "finding" if labels else "other_deficiency"
        for i, phrase in enumerate(phrases * 4):
            key = f"{labels[0] if labels else 'other'}-{i}"
            criticism = f"Nämnden i {towns[i % 4]} brast i fråga om {phrase} i ärende {i}."
            rule = f"Enligt lagen ska {phrase} beaktas, paragraf {i}."
            rows.append(CorpusPassage(key + "-c", criticism, labels, stance=stance, group=key))
            rows.append(CorpusPassage(key + "-r", rule, (), stance="rule", group=key))
    return rows
