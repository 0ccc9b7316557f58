"""Statute citations (annotation guide §7.5) and which Socialtjänstlag applies.

``find_legal_refs`` turns ``11 kap. 1 a § andra stycket SoL (2001:453)``, ``6 och 14 §§
LVU``, ``32 § förvaltningslagen``, ``SOSFS 2014:5`` and the OCR variant ``11 kap. l §``
into ``LegalRef`` objects. ``detect_law_version`` tells SoL (2001:453) from SoL (2025:400):
by the SFS number cited, otherwise by the handling dates compared with 1 July 2025.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from protoscan.document import LegalRef

__all__ = [
    "LAW_VERSIONS",
    "NEW_SOL_IN_FORCE",
    "SFS_LAWS",
    "detect_law_version",
    "find_dates",
    "find_legal_refs",
]

#: Law keys for the SFS numbers that matter in child-welfare texts.
SFS_LAWS: dict[str, str] = {
    "2001:453": "SoL",
    "2025:400": "SoL",
    "1980:620": "SoL",
    "1990:52": "LVU",
    "2017:900": "FL",
    "1986:223": "FL",
    "1949:381": "FB",
    "2017:725": "KL",
    "1991:900": "KL",
    "2009:400": "OSL",
    "1974:152": "RF",
    "1962:700": "BrB",
    "1942:740": "RB",
    "1993:387": "LSS",
    "1988:870": "LVM",
    "1971:291": "FPL",
    "2010:110": "SFB",
    "2018:1197": "BK",
}

LAW_VERSIONS: tuple[str, ...] = ("SoL2001", "SoL2025", "unknown")
NEW_SOL_IN_FORCE = "2025-07-01"
_OLD_SOL_IN_FORCE = "2002-01-01"

_LAW_NAMES: dict[str, str] = {
    "socialtjänstlag": "SoL",
    "socialtjänstlagen": "SoL",
    "förvaltningslag": "FL",
    "förvaltningslagen": "FL",
    "förvaltningsprocesslagen": "FPL",
    "föräldrabalken": "FB",
    "kommunallagen": "KL",
    "regeringsformen": "RF",
    "brottsbalken": "BrB",
    "rättegångsbalken": "RB",
    "socialförsäkringsbalken": "SFB",
    "offentlighets- och sekretesslagen": "OSL",
    "barnkonventionen": "BK",
}
_ACRONYMS = ("SoL", "LVU", "LVM", "LSS", "FL", "FPL", "FB", "KL", "OSL", "RF", "BrB", "RB", "SFB")
_ORDINALS = {"första": "1", "andra": "2", "tredje": "3", "fjärde": "4", "femte": "5", "sjätte": "6"}

_NUM = r"(?:\d{1,3}|l)"
_SEC = _NUM + r"(?:\s?[a-c](?![a-zåäö]))?"
_LAW = (
    r"(?:" + "|".join(_ACRONYMS) + r")\b"
    r"|(?:SOSFS|HSLF-FS)\s*\d{4}:\d{1,3}"
    r"|offentlighets-\s*och\s+sekretesslag(?:en)?"
    r"|lagen(?=\s*\(\d{4}:\d)"
    r"|(?:socialtjänstlag|[a-zåäö-]*(?:lagen|balken|förordningen)|regeringsformen"
    r"|barnkonventionen)\b"
)
_REF = re.compile(
    r"(?<![\w§.:/-])"
    r"(?:(?P<chapter>" + _NUM + r")\s*kap\.?\s*)?"
    r"(?P<sections>" + _SEC + r"(?:\s*(?:,|och|eller|samt|-|–)\s*" + _SEC + r")*)\s*§§?"
    r"(?:\s*(?P<para>första|andra|tredje|fjärde|femte|sjätte)\s+(?:stycket|st\.))?"
    r"(?:\s*(?:p\.\s*|punkt(?:en)?\s*)?\d{1,2}(?=\s+(?:" + _LAW + r")))?"
    r"(?:\s*(?:i\s+)?(?P<law>" + _LAW + r"))?"
    r"(?:\s*\((?P<sfs>\d{4}:\d{1,4})\))?"
)
_REGULATION = re.compile(r"\b(?P<law>SOSFS|HSLF-FS)\s*(?P<sfs>(?:19|20)\d{2}:\d{1,3})\b")
_NAMED_SFS = re.compile(
    r"(?P<law>(?i:socialtjänstlag|[a-zåäö-]*(?:lagen|balken))|" + "|".join(_ACRONYMS) + r")"
    r"\s*\((?P<sfs>(?:19|20)\d{2}:\d{1,4})\)"
)
_SFS_VERSION = re.compile(r"(?<![\d:])(2001:453|2025:400)(?!\d)")
_SPLIT_SECTIONS = re.compile(r"\s*(?:,|\boch\b|\beller\b|\bsamt\b)\s*")
_SOCIAL_SERVICES = re.compile(
    r"socialtjänst|socialnämnd|\bSoL\b|\bLVU\b|familjenämnd|förhandsbedömning|lex Sarah"
    r"|placera(?:d|t|des)|familjehem|orosanmälan",
    re.IGNORECASE,
)
_DATE_ISO = re.compile(r"\b((?:19|20)\d{2})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])\b")
_MONTHS = (
    "januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september",
    "oktober", "november", "december",
)  # fmt: skip
_DATE_SV = re.compile(
    r"\b([1-9]|[12]\d|3[01])\s+(" + "|".join(_MONTHS) + r")\s+((?:19|20)\d{2})\b",
    re.IGNORECASE,
)


def _law_key(name: str, sfs: str | None) -> str:
    name = re.sub(r"\s+", " ", name.strip())
    if name.startswith("SOSFS"):
        return "SOSFS"
    if name.startswith("HSLF-FS"):
        return "HSLF-FS"
    if name in _ACRONYMS:
        return name
    lowered = name.casefold()
    if lowered == "lagen" or (lowered not in _LAW_NAMES and sfs in SFS_LAWS):
        return SFS_LAWS.get(sfs or "", f"SFS {sfs}" if sfs else name)
    return _LAW_NAMES.get(lowered, lowered)


def _clean_section(raw: str) -> str:
    raw = re.sub(r"\s+", " ", raw.strip()).replace("–", "-")
    raw = re.sub(r"\s*-\s*", "-", raw)
    return re.sub(r"\bl\b", "1", raw)


def _regulation_number(law_text: str) -> str | None:
    match = re.search(r"\d{4}:\d{1,3}", law_text)
    return match.group() if match else None


def find_legal_refs(text: str, *, default_law: str | None = None) -> tuple[LegalRef, ...]:
    """Find statute citations in text.

    Each section in a list (``4, 5 och 8 §§``) becomes its own ``LegalRef``; a range
    (``3–7 §§``) stays one, with ``section="3-7"``. ``paragraph`` is the stycke as a digit
    string. A citation that names no law is kept only when it has a chapter and
    ``default_law`` is given (for a statute's internal references).

    Args:
        text: Any text.
        default_law: The law that bare ``N kap. M §`` citations belong to.

    Returns:
        The citations in text order.

    Example:
        >>> [(r.law, r.chapter, r.section, r.sfs) for r in find_legal_refs(
        ...     "enligt 11 kap. l § SoL (2001:453) och 6 § LVU")]
        [('SoL', '11', '1', '2001:453'), ('LVU', None, '6', None)]
    """
    refs: list[tuple[int, LegalRef]] = []
    covered: list[tuple[int, int]] = []
    for match in _REF.finditer(text):
        law_text, sfs = match.group("law"), match.group("sfs")
        chapter = match.group("chapter")
        if law_text is None and sfs is None and (chapter is None or default_law is None):
            continue
        if law_text is None:
            law = SFS_LAWS.get(sfs, f"SFS {sfs}") if sfs else default_law
        else:
            law = _law_key(law_text, sfs)
            if law in ("SOSFS", "HSLF-FS"):
                sfs = _regulation_number(law_text)
        para = match.group("para")
        raw = match.group().strip()
        for section in _SPLIT_SECTIONS.split(match.group("sections")):
            if section.strip():
                refs.append((match.start(), LegalRef(
                    law=str(law),
                    section=_clean_section(section),
                    chapter=_clean_section(chapter) if chapter else None,
                    paragraph=_ORDINALS.get(para) if para else None,
                    sfs=sfs,
                    raw=raw,
                )))  # fmt: skip
        covered.append(match.span())

    def is_covered(start: int) -> bool:
        return any(s <= start < e for s, e in covered)

    for match in _REGULATION.finditer(text):
        if not is_covered(match.start()):
            refs.append((match.start(), LegalRef(
                law=match.group("law"), section="", sfs=match.group("sfs"), raw=match.group()
            )))  # fmt: skip
    for match in _NAMED_SFS.finditer(text):
        if not is_covered(match.start()):
            sfs = match.group("sfs")
            law = _law_key(match.group("law"), sfs)
            refs.append((match.start(), LegalRef(law=law, section="", sfs=sfs, raw=match.group())))
    refs.sort(key=lambda item: item[0])
    return tuple(ref for _, ref in refs)


def find_dates(text: str) -> list[tuple[int, str]]:
    """Return ``(offset, ISO date)`` for every full date written in text."""
    found = [(m.start(), m.group()) for m in _DATE_ISO.finditer(text)]
    for m in _DATE_SV.finditer(text):
        month = _MONTHS.index(m.group(2).casefold()) + 1
        found.append((m.start(), f"{m.group(3)}-{month:02d}-{int(m.group(1)):02d}"))
    return sorted(found)


def detect_law_version(
    text: str,
    *,
    assessment_text: str = "",
    dates: Iterable[str] | None = None,
) -> str:
    """Say which Socialtjänstlag a document applies.

    The SFS number cited decides: ``(2025:400)`` gives ``"SoL2025"`` and ``(2001:453)``
    gives ``"SoL2001"``; if both are cited, the one cited more often wins, then the one
    cited in the assessment. Without a citation, a social-services text whose handling
    dates all lie on one side of 1 July 2025 gets that side's law (annotation guide §2.3).

    Args:
        text: The document text.
        assessment_text: The text of the assessment section(s), used to break ties.
        dates: ISO dates of the handling; by default every full date in ``text``.

    Returns:
        ``"SoL2001"``, ``"SoL2025"`` or ``"unknown"``.

    Example:
        >>> detect_law_version("enligt 20 kap. 2 § socialtjänstlagen (2025:400)")
        'SoL2025'
    """
    cited = [m.group(1) for m in _SFS_VERSION.finditer(text)]
    new, old = cited.count("2025:400"), cited.count("2001:453")
    if new != old:
        return "SoL2025" if new > old else "SoL2001"
    if new:
        in_assessment = [m.group(1) for m in _SFS_VERSION.finditer(assessment_text)]
        a_new, a_old = in_assessment.count("2025:400"), in_assessment.count("2001:453")
        if a_new != a_old:
            return "SoL2025" if a_new > a_old else "SoL2001"
        return "unknown"
    if not _SOCIAL_SERVICES.search(text):
        return "unknown"
    iso = sorted(dates if dates is not None else (d for _, d in find_dates(text)))
    if not iso:
        return "unknown"
    if iso[0] >= NEW_SOL_IN_FORCE:
        return "SoL2025"
    if _OLD_SOL_IN_FORCE <= iso[-1] < NEW_SOL_IN_FORCE:
        return "SoL2001"
    return "unknown"
