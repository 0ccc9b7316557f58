# ruff: noqa: E501  (one paragraph per line, as cleaned text has them)
"""Invented Swedish documents for the structure tests (no real case; names are pseudonyms).

Each text follows the layout of its genre (annotation guide §7): a JO decision with
letterhead and run-in "Beslutet i korthet", an IVO tillsyn decision, a municipal
förhandsbedömning under the 2025 law, and a municipal lex Sarah investigation.
"""

from __future__ import annotations

JO_DECISION = """BESLUT

Justitieombudsmannen Erik Nymansson

Datum 2019-05-03
Dnr 1234-2018

Sid 1 (3)

Allvarlig kritik mot Socialnämnden i Gnesta kommun för att en utredning om ett barn inleddes först efter fem månader

Beslutet i korthet: Socialnämnden fick i mars 2018 en orosanmälan om en pojke född 2011. Nämnden inledde utredning först efter fem månader. JO riktar allvarlig kritik mot nämnden för att utredningen inte inleddes utan dröjsmål.

Anmälan

I en anmälan till JO klagade AA på att socialtjänsten i Gnesta kommun inte hade agerat när hennes son BB, född 2011, berättat om våld i hemmet.

Utredning

JO lånade in och granskade akten. Därefter remitterades anmälan till Socialnämnden i Gnesta kommun för yttrande. Nämnden anförde i remissvaret bl.a. följande:

Anmälan från skolan kom in den 12 mars 2018. En skyddsbedömning gjordes samma dag. Beslut om att inleda utredning fattades först den 20 augusti 2018, dvs. efter drygt fem månader.

Rättslig reglering

Enligt 11 kap. 1 § socialtjänstlagen (2001:453), SoL, ska socialnämnden utan dröjsmål inleda en utredning av det som har kommit till nämndens kännedom och som kan föranleda någon åtgärd av nämnden. Av 11 kap. 1 a § SoL framgår att ett beslut om att inleda eller inte inleda utredning ska fattas inom fjorton dagar.

JO:s bedömning

Nämnden fattade beslut om att inleda utredning drygt fem månader efter att anmälan kom in. Det är en mycket lång tid. Jag ser allvarligt på att barnets situation inte utreddes trots att det fanns uppgifter om våld. Nämnden förtjänar allvarlig kritik för sin handläggning.

Vad AA i övrigt har anfört ger inte anledning till någon ytterligare åtgärd eller något uttalande från min sida.

Ärendet avslutas.
"""

IVO_DECISION = """BESLUT
2015-02-10
Dnr 8.5-29206/2014

Inspektionen för vård och omsorg
Avdelning öst

Socialnämnden i Borås kommun
501 80 Borås

Tillsyn av socialnämndens uppföljning av barn som är placerade i familjehem

Ärendet

Inspektionen för vård och omsorg (IVO) har granskat hur Socialnämnden i Borås kommun följer upp vården av barn som är placerade i familjehem.

IVO:s beslut

IVO bedömer att nämnden inte har säkerställt att den socialsekreterare som ansvarar för barnets ärende regelbundet besöker barnet och samtalar enskilt med barnet. IVO har i tillsynen funnit brister i nämndens uppföljning.

IVO:s utredning

IVO har tagit del av akterna i tio ärenden och intervjuat ansvariga socialsekreterare. I fyra av tio ärenden framgår inte att barnet har fått samtala enskilt med sin socialsekreterare.

IVO:s bedömning

Enligt 6 kap. 7 b § socialtjänstlagen (2001:453) ska den socialsekreterare som ansvarar för barnets ärende regelbundet besöka barnet. Av utredningen framgår att detta inte har skett i fyra ärenden.

Krav på åtgärder

Socialnämnden i Borås kommun ska senast den 15 maj 2015 redovisa vilka åtgärder som har vidtagits för att säkerställa att barn i familjehem får enskilda samtal med sin socialsekreterare.

Beslutet har fattats av avdelningschef CC. Inspektör DD har varit föredragande.
"""

FORHANDSBEDOMNING = """Individ- och familjeomsorgen
Socialnämnden i Västerås stad

FÖRHANDSBEDÖMNING
Datum: 2026-01-14
Dnr: SN 2026/0132
Handläggare: Socialsekreterare EE

Aktualisering

Den 2 januari 2026 inkom en orosanmälan från förskolan gällande flickan FF, född 2021. Av anmälan framgår att FF vid flera tillfällen har kommit till förskolan hungrig och med blåmärken på armarna, bl.a. den 18 december 2025.

Skyddsbedömning

En skyddsbedömning gjordes samma dag som anmälan inkom. Bedömningen var att FF inte var i behov av omedelbart skydd. Skyddsbedömningen dokumenterades enl. gällande rutin.

Förhandsbedömning

Vårdnadshavarna har kontaktats per telefon. Mamman uppger att blåmärkena uppkommit vid lek. FF har inte hörts.

Bedömning

Det finns uppgifter om att FF kan ha utsatts för våld. Socialtjänsten bedömer att en utredning behöver inledas för att klarlägga FF:s behov av skydd eller stöd.

Beslut

Utredning inleds enligt 20 kap. 2 § socialtjänstlagen (2025:400).

Beslutsfattare: Enhetschef GG
"""

LEX_SARAH = """Utredning enligt lex Sarah

Vård- och omsorgsförvaltningen, Mönsterås kommun
Datum 2023-09-28
Dnr VON 2023/45

Rapport

Den 4 september 2023 rapporterade en personal på HVB-hemmet Linden ett missförhållande enligt 14 kap. 3 § SoL. Rapporten gällde en pojke, född 2008, som lämnats utan tillsyn under en natt.

Händelsen

Under natten mellan den 2 och 3 september fanns ingen vaken nattpersonal på boendet. Pojken lämnade boendet och återfanns av polis på morgonen.

Orsaker

Utredningen visar brister i rutiner för bemanning. Schemat hade inte uppdaterats efter en sjukskrivning m.m. Ansvarig chef hade inte informerats.

Konsekvenser

Pojken utsattes för en påtaglig risk för skada.

Åtgärder

Rutinen för bemanning har reviderats. All personal har fått information om rutinen.

Ställningstagande

Händelsen bedöms vara ett allvarligt missförhållande. Anmälan görs till Inspektionen för vård och omsorg (IVO) enligt 14 kap. 7 § SoL.
"""

ALL_TEXTS = {
    "jo": JO_DECISION,
    "ivo": IVO_DECISION,
    "forhandsbedomning": FORHANDSBEDOMNING,
    "lex_sarah": LEX_SARAH,
}
