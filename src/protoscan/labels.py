"""The deficiency taxonomy: ids, Swedish names, definitions, legal basis and cue words.

Ids are fixed and ordered; every model, corpus and report uses this order. Section numbers
for the new Socialtjänstlag (2025:400) were read from the statute text itself (3 kap. barns
rättigheter, 14 kap. handläggning och dokumentation, 20 kap. bedömning och utredning av barns
behov av skydd eller stöd, 22 kap. vård utanför det egna hemmet).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ALL_LABELS",
    "CORE_LABELS",
    "DOMAIN_LABELS",
    "LABELS",
    "Label",
    "get_label",
    "validate_labels",
]


@dataclass(frozen=True, slots=True)
class Label:
    id: str
    guideline_id: str
    name_sv: str
    definition: str
    sol_2001: str
    sol_2025: str
    other_basis: str
    cues: tuple[str, ...]
    core: bool

    @property
    def legal_basis(self) -> str:
        """One line naming the requirement in old and new law."""
        parts = [f"SoL (2001:453) {self.sol_2001}" if self.sol_2001 else ""]
        parts.append(f"SoL (2025:400) {self.sol_2025}" if self.sol_2025 else "")
        parts.append(self.other_basis)
        return "; ".join(p for p in parts if p)


LABELS: tuple[Label, ...] = (
    Label(
        id="child_perspective",
        guideline_id="barnperspektiv_saknas",
        name_sv="Barnperspektiv saknas",
        definition=(
            "Barnets bästa har inte bedömts, barnet har inte fått information, barnets åsikter "
            "eller inställning har inte inhämtats eller klarlagts, eller barnet har inte träffats "
            "där lag eller praxis krävde det."
        ),
        sol_2001="1 kap. 2 §, 3 kap. 5 §, 11 kap. 10 §",
        sol_2025="3 kap. 1–3 §§",
        other_basis="LVU 1 § femte stycket och 36 §; barnkonventionen art. 3 och 12; SOSFS 2014:5",
        cues=(
            "barnets bästa",
            "barnets inställning",
            "barnets åsikter",
            "samtal med barnet",
            "samtalat med barnet",
            "talat med barnet",
            "komma till tals",
            "barnperspektiv",
            "barnrättsperspektiv",
            "synliggjort",
            "delaktighet",
            "informerats",
            "träffat barnet",
        ),
        core=True,
    ),
    Label(
        id="reasoning",
        guideline_id="bristfällig_motivering",
        name_sv="Bristfällig motivering",
        definition=(
            "Beslutet saknar skäl eller lagrum, har otydlig eller schablonmässig motivering, eller "
            "är så oklart att innehåll och varaktighet inte går att förstå; även saknad "
            "överklagandehänvisning."
        ),
        sol_2001="11 kap. 1 och 1 a §§",
        sol_2025="14 kap. 2 §, 20 kap. 2 §",
        other_basis=(
            "förvaltningslagen 32 § (motivering) och 33 § (överklagandehänvisning); LVU 14 §"
        ),
        cues=(
            "motivering",
            "motiverat",
            "skälen",
            "skäl för beslutet",
            "lagrum",
            "överklagandehänvisning",
            "överklaga",
            "otydlig",
            "oklart",
            "avgörande",
            "legat till grund",
            "standardformulering",
            "knapphändig",
        ),
        core=True,
    ),
    Label(
        id="documentation",
        guideline_id="bristande_dokumentation",
        name_sv="Bristande dokumentation",
        definition=(
            "Föreskriven dokumentation saknas, är sen, ofullständig eller missvisande: "
            "journalanteckningar, muntliga uppgifter, bedömningar, beslut eller kommunicering "
            "har inte dokumenterats."
        ),
        sol_2001="11 kap. 5 §",
        sol_2025="14 kap. 3 §, 20 kap. 1 § andra stycket",
        other_basis="förvaltningslagen 27 och 31 §§; SOSFS 2014:5",
        cues=(
            "dokumentation",
            "dokumenterats",
            "dokumenterat",
            "journalanteckning",
            "journalanteckningar",
            "antecknats",
            "akten",
            "journalföring",
            "utläsa",
            "framgår inte",
            "nedtecknats",
        ),
        core=True,
    ),
    Label(
        id="violence_investigation",
        guideline_id="underlåtenhet_utreda_våld",
        name_sv="Underlåtenhet att utreda våld",
        definition=(
            "Uppgifter om att barnet utsatts för eller bevittnat våld ledde inte till utredning, "
            "skyddsbedömning eller riskbedömning, eller utredningen lämnade våldet obelyst."
        ),
        sol_2001="11 kap. 1, 1 a och 2 §§",
        sol_2025="14 kap. 2 §, 20 kap. 1–3 §§",
        other_basis=(
            "SOSFS 2014:4 (våld i nära relationer); barnkonventionen art. 19; LVU 2 och 6 §§"
        ),
        cues=(
            "våld",
            "våldet",
            "misshandel",
            "slagen",
            "slagit",
            "bevittnat",
            "hot",
            "hedersrelaterat",
            "övergrepp",
            "riskbedömning",
            "skyddsbedömning",
            "risken för fortsatt våld",
        ),
        core=True,
    ),
    Label(
        id="delay",
        guideline_id="handläggningstid_dröjsmål",
        name_sv="Dröjsmål i handläggningen",
        definition=(
            "Tidsgränser har överskridits eller ärendet har legat stilla: förhandsbedömning över "
            "14 dagar, utredning över fyra månader utan förlängningsbeslut, sen handläggning."
        ),
        sol_2001="11 kap. 1 a och 2 §§",
        sol_2025="20 kap. 2 och 3 §§",
        other_basis="förvaltningslagen 9 §; LVU 7 §",
        cues=(
            "dröjsmål",
            "dröjde",
            "drog ut på tiden",
            "fyra månader",
            "fjorton dagar",
            "14 dagar",
            "förlängning",
            "förlängningsbeslut",
            "utan dröjsmål",
            "skyndsamt",
            "legat stilla",
            "veckor",
            "månader",
        ),
        core=False,
    ),
    Label(
        id="placement_follow_up",
        guideline_id="bristande_uppföljning_placering",
        name_sv="Bristande uppföljning av placering",
        definition=(
            "Ett placerat barn följs inte upp: inga regelbundna besök eller enskilda samtal, "
            "inget övervägande var sjätte månad, ingen vård- eller genomförandeplan, ingen "
            "ansvarig socialsekreterare, omplacering utan förberedelse."
        ),
        sol_2001="6 kap. 7 b, 7 c och 8 §§, 11 kap. 3 §",
        sol_2025="22 kap. 11–13 §§",
        other_basis="LVU 13 §",
        cues=(
            "besök",
            "besökt",
            "familjehemmet",
            "placeringen",
            "övervägande",
            "överväga",
            "genomförandeplan",
            "vårdplan",
            "ansvarig socialsekreterare",
            "omplacering",
            "HVB",
            "följa vården",
        ),
        core=False,
    ),
    Label(
        id="party_information",
        guideline_id="kommunicering_information",
        name_sv="Brister i kommunicering och information",
        definition=(
            "En part har inte informerats eller fått tillfälle att yttra sig: ingen "
            "kommunicering före beslut, vårdnadshavare inte underrättade om utredning, beslut "
            "eller besvärshänvisning inte skickade."
        ),
        sol_2001="11 kap. 2 § (underrättelse)",
        sol_2025="20 kap. 4 §",
        other_basis="förvaltningslagen 25 och 33 §§; SOSFS 2014:5",
        cues=(
            "kommunicerats",
            "kommunicering",
            "yttra sig",
            "underrättats",
            "underrättades",
            "informerats",
            "informerades",
            "vårdnadshavarna",
            "tillfälle att",
        ),
        core=False,
    ),
)

ALL_LABELS: tuple[str, ...] = tuple(label.id for label in LABELS)
CORE_LABELS: tuple[str, ...] = tuple(label.id for label in LABELS if label.core)
DOMAIN_LABELS: tuple[str, ...] = tuple(label.id for label in LABELS if not label.core)
_BY_ID = {label.id: label for label in LABELS}


def get_label(label_id: str) -> Label:
    """Return the label with this id; ``KeyError`` naming the valid ids otherwise."""
    try:
        return _BY_ID[label_id]
    except KeyError:
        raise KeyError(f"unknown label {label_id!r}; valid ids: {', '.join(ALL_LABELS)}") from None


def validate_labels(labels: list[str] | tuple[str, ...]) -> list[str]:
    """Return the unknown ids in ``labels`` (empty when all are valid)."""
    return [label for label in labels if label not in _BY_ID]
