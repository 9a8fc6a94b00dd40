"""Masks the personal data users type, before NLU sees it and before it is stored or logged.

Pure functions (no Rasa types): the chat channels call `mask_personal_data` on every message, and
`find_personal_data` tells which kinds of personal data a text still holds (review-merge refuses
such an example). What is masked, each kind with its own marker:

- e-mail addresses, also spelled out ("lea point martin arobase gmail point com", "x at free dot fr",
  spaces around the dots or the @);
- phone numbers: every French layout (+33, 0033, spaces, dots, dashes, slashes, several in one
  message, a number followed by a postcode) and international numbers (+44 ..., phonenumbers);
- postal addresses (number, bis/ter, street type and name; "lieu-dit X"): the street and its
  postcode are masked, the town after it is kept ("12 rue des Lilas 35000 Rennes" -> "... Rennes");
- dates of birth after a birth cue ("né le 14/03/2010", "date de naissance : 3 mars 2009");
- French social security numbers (NIR, key checked, Corsica 2A/2B), IBANs (mod-97 checked) and the
  student national identifier (INE), each also without a valid key when the message names it;
- a first and last name after "je m'appelle", "mon nom est", "moi c'est", "je suis", "ma fille",
  "mon fils", a title (Mme, M.) or a signature: capitalised words or known given names only.

What the conversation needs stays: towns, a postcode or département number without a street, an
age ("17 ans"), a plain year ("née en 2009", "en 2027"), event dates without a birth cue, diplomas.

Every pattern is linear: a match can start only where a token starts, repetitions are bounded or
unambiguous, and the wider searches (around an @, after a cue) look at a window of bounded size.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Tuple

import phonenumbers
from stdnum import iban as stdnum_iban
from stdnum.fr import nir as stdnum_nir

EMAIL = "email"
PHONE = "phone"
ADDRESS = "address"
DATE_OF_BIRTH = "date_of_birth"
NIR = "nir"
IBAN = "iban"
INE = "ine"
NAME = "name"

MASKS: Dict[str, str] = {
    EMAIL: "[e-mail masqué]",
    PHONE: "[téléphone masqué]",
    ADDRESS: "[adresse masquée]",
    DATE_OF_BIRTH: "[date de naissance masquée]",
    NIR: "[numéro de sécurité sociale masqué]",
    IBAN: "[IBAN masqué]",
    INE: "[INE masqué]",
    NAME: "[nom masqué]",
}
# What each kind is called in messages to counsellors.
LABELS: Dict[str, str] = {
    EMAIL: "adresse e-mail",
    PHONE: "numéro de téléphone",
    ADDRESS: "adresse postale",
    DATE_OF_BIRTH: "date de naissance",
    NIR: "numéro de sécurité sociale",
    IBAN: "IBAN",
    INE: "numéro INE",
    NAME: "nom et prénom",
}
EMAIL_MASK = MASKS[EMAIL]
PHONE_MASK = MASKS[PHONE]
ADDRESS_MASK = MASKS[ADDRESS]
DATE_OF_BIRTH_MASK = MASKS[DATE_OF_BIRTH]
NIR_MASK = MASKS[NIR]
IBAN_MASK = MASKS[IBAN]
INE_MASK = MASKS[INE]
NAME_MASK = MASKS[NAME]

# French numbers by default; "+44 ..." style numbers of any country are recognised too.
DEFAULT_PHONE_REGION = "FR"

# How far (characters) a cue such as "IBAN" or "numéro de sécu" may stand before the number, and
# the widest text looked at around an @ (an e-mail address is at most 254 characters long).
CUE_WINDOW = 40
EMAIL_SIDE_WINDOW = 100


@dataclass(frozen=True)
class Found:
    start: int
    end: int
    category: str


def plain(word: str) -> str:
    """Lower case, without accents, with a straight apostrophe: "Léa" -> "lea"."""
    decomposed = unicodedata.normalize("NFKD", word.lower().replace("’", "'"))
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _cue_before(cue: "re.Pattern[str]", text: str, start: int) -> bool:
    return cue.search(text, max(0, start - CUE_WINDOW), start) is not None


# ---------------------------------------------------------------------------------------------
# E-mail addresses. Found from their "@" (or "arobase", "at", "(at)"): the local part is read
# backwards from it, the domain forwards, each within EMAIL_SIDE_WINDOW characters.

EMAIL_AT = re.compile(
    r"@|[(\[]\s?(?:at|arobase)\s?[)\]]|(?<=\s)(?:arobase|arobaze|at)(?=\s)",
    re.IGNORECASE,
)
# The local part, on the reversed text: spaces, then words joined by ".", " . " or " point ".
EMAIL_LOCAL_REVERSED = re.compile(
    r"\s{0,3}(?<![\w%+-])[\w%+-]{1,64}(?:(?:\s{0,3}\.\s{0,3}|\s{1,3}(?:tniop|tod)\s{1,3})[\w%+-]{1,64}){0,8}",
    re.IGNORECASE,
)
EMAIL_DOMAIN_COMPACT = re.compile(r"\s?(?<![\w-])[\w-]{1,63}(?:\.[\w-]{1,63}){1,6}")
EMAIL_DOMAIN_SPACED = re.compile(
    r"\s{0,3}(?<![\w-])[\w-]{1,63}(?:(?:\s{0,3}\.\s{0,3}|\s{1,3}(?:point|dot)\s{1,3})[\w-]{1,63}){1,6}",
    re.IGNORECASE,
)
EMAIL_DOMAIN_SEPARATOR = re.compile(r"\s{0,3}\.\s{0,3}|\s{1,3}(?:point|dot)\s{1,3}", re.IGNORECASE)
TOP_LEVEL_DOMAINS = frozenset(
    "com fr net org eu info biz pro edu gouv bzh paris io me co be ch lu ca uk de es it pt nl ie re "
    "nc pf gp mq gf yt pm wf ma dz tn sn ci cm mg".split()
)


def _email_domain_end(text: str, start: int, spelled_at: bool) -> Optional[int]:
    """Where the domain after an @ ends, or None when there is no domain there."""
    end = min(len(text), start + EMAIL_SIDE_WINDOW)
    compact = EMAIL_DOMAIN_COMPACT.match(text, start, end)
    if compact:
        labels = compact.group().strip().split(".")
        # Drop trailing labels until the last one is a top-level domain ("a@b.fr.42" -> "a@b.fr").
        while len(labels) > 1 and not (labels[-1].isalpha() and len(labels[-1]) >= 2):
            labels.pop()
        if len(labels) > 1 and (not spelled_at or labels[-1].lower() in TOP_LEVEL_DOMAINS):
            return compact.start() + compact.group().index(labels[0]) + len(".".join(labels))
    spaced = EMAIL_DOMAIN_SPACED.match(text, start, end)
    if not spaced:
        return None
    # The domain ends after the first top-level domain (and the ones right after: "gouv point fr").
    domain_end = None
    position = spaced.start()
    pieces = EMAIL_DOMAIN_SEPARATOR.split(spaced.group())
    offset = spaced.group().index(pieces[0].strip()) if pieces[0].strip() else 0
    position += offset
    for index, label in enumerate(pieces):
        label = label.strip()
        label_end = position + len(label)
        if index > 0 and label.lower() in TOP_LEVEL_DOMAINS:
            domain_end = label_end
        elif domain_end is not None:
            break
        separator = EMAIL_DOMAIN_SEPARATOR.match(text, label_end)
        if separator is None:
            break
        position = separator.end()
    return domain_end


def find_emails(text: str) -> List[Found]:
    found: List[Found] = []
    reversed_text: Optional[str] = None
    for at in EMAIL_AT.finditer(text):
        if found and at.start() < found[-1].end:
            continue
        spelled = at.group() != "@"
        domain_end = _email_domain_end(text, at.end(), spelled)
        if domain_end is None:
            continue
        if reversed_text is None:
            reversed_text = text[::-1]
        start_in_reversed = len(text) - at.start()
        local = EMAIL_LOCAL_REVERSED.match(
            reversed_text, start_in_reversed, min(len(text), start_in_reversed + EMAIL_SIDE_WINDOW)
        )
        if local is None or not local.group().strip():
            continue
        start = at.start() - len(local.group())
        if found and start < found[-1].end:
            continue
        found.append(Found(start, domain_end, EMAIL))
    return found


# ---------------------------------------------------------------------------------------------
# IBAN, NIR and INE: long identifiers, found before phone numbers (they contain digit runs that
# look like one).

IBAN_CUE = re.compile(r"(?=[ibvcIBVC])(?<!\w)(?:iban|rib|bic|virement|compte bancaire)(?!\w)", re.IGNORECASE)
IBAN_CANDIDATE = re.compile(
    r"(?=[A-Za-z])(?<![\w])[A-Za-z]{2}\d{2}(?:[ -]?[0-9A-Za-z]{4}){2,7}(?:[ -]?[0-9A-Za-z]{1,3})?(?![\w])"
)


def find_ibans(text: str) -> List[Found]:
    found = []
    for match in IBAN_CANDIDATE.finditer(text):
        # Positions of the characters of the compact form, to try shorter ends (a word typed
        # right after the number may have been taken as its last group).
        positions = [match.start() + index for index, char in enumerate(match.group()) if char.isalnum()]
        compact = "".join(text[position] for position in positions).upper()
        ends = [len(compact)] + [
            index for index in range(len(compact) - 1, 14, -1) if positions[index] - positions[index - 1] > 1
        ]
        valid = next((end for end in ends if stdnum_iban.is_valid(compact[:end])), None)
        if valid is None and _cue_before(IBAN_CUE, text, match.start()):
            digits_end = max(index + 1 for index, char in enumerate(compact) if char.isdigit())
            valid = max((end for end in ends if end <= digits_end), default=None)
        if valid is not None:
            found.append(Found(match.start(), positions[valid - 1] + 1, IBAN))
    return found


NIR_CUE = re.compile(
    r"(?=[sSnNiIcC])(?<!\w)(?:s[ée]cu|s[ée]curit[ée]\s{1,3}sociale|nir|insee|carte\s{1,3}vitale|ss|num[ée]ro\s{1,3}de\s{1,3}ss)(?!\w)",
    re.IGNORECASE,
)
# Sex, year, month, département (2A/2B for Corsica), commune and order (3 + 3), key (2).
NIR_CANDIDATE = re.compile(
    r"(?=[1-478])(?<![\w])[1-478](?:[ .-]?\d){4}[ .-]?(?:\d[ .-]?\d|2[ .-]?[ABab])(?:[ .-]?\d){6}(?:[ .-]?\d[ .-]?\d)?(?![\w])"
)


def find_nirs(text: str) -> List[Found]:
    found = []
    for match in NIR_CANDIDATE.finditer(text):
        compact = "".join(char for char in match.group() if char.isalnum()).upper()
        if (len(compact) == 15 and stdnum_nir.is_valid(compact)) or _cue_before(NIR_CUE, text, match.start()):
            found.append(Found(match.start(), match.end(), NIR))
    return found


INE_CUE = re.compile(r"(?=[iI])(?<!\w)(?:ine|identifiant\s{1,3}national(?:\s{1,3}[ée]l[èe]ve)?)(?!\w)", re.IGNORECASE)
# 10 digits and a letter, or 9 digits and 2 letters (the national student identifier).
INE_PATTERN = re.compile(r"(?=\d)(?<![\w])\d{9}(?:\d[A-Za-z]|[A-Za-z]{2})(?![\w])")
# After the cue "INE": any code of 9 to 12 letters and digits with at least 6 digits.
INE_CODE = re.compile(r"(?=[0-9A-Za-z])(?<![\w])[0-9A-Za-z]{9,12}(?![\w])")


def find_ines(text: str) -> List[Found]:
    found = [Found(match.start(), match.end(), INE) for match in INE_PATTERN.finditer(text)]
    for cue in INE_CUE.finditer(text):
        code = INE_CODE.search(text, cue.end(), min(len(text), cue.end() + CUE_WINDOW))
        if code and sum(char.isdigit() for char in code.group()) >= 6:
            found.append(Found(code.start(), code.end(), INE))
    return found


# ---------------------------------------------------------------------------------------------
# Phone numbers. French layouts by a pattern of our own (phonenumbers' matcher misses "06/12/..."
# and "06 12 34 56 78 35000", and is slow on long digit runs); other countries' numbers, which
# start with + or 00, are checked with phonenumbers (possible length for the country).

FRENCH_PHONE = re.compile(
    r"(?=[+0(])(?<![\d+])(?:(?:\+|00)[ ]?33[ .-]?(?:\(0\)[ .-]?)?|\(?0\)?)[1-9](?:[ .\-/]{0,2}\d){8}(?!\d)"
)
TWO_POSTCODES = re.compile(r"\d{5}\s{1,3}\d{5}")
INTERNATIONAL_PHONE = re.compile(r"(?=[+0])(?<![\w+])(?:\+|00)[1-9](?:[ .\-/]{0,2}(?:\(\d{1,4}\)|\d)){6,15}(?!\d)")
PHONE_SEPARATORS = " .-/"
PHONE_GROUP_END = re.compile(r"\d(?=[ .\-/])")


def _possible_phone(candidate: str) -> bool:
    number = "+" + candidate[2:] if candidate.startswith("00") else candidate
    try:
        return phonenumbers.is_possible_number(phonenumbers.parse(number, None))
    except phonenumbers.NumberParseException:
        return False


def _inside_longer_number(text: str, start: int, end: int, starts: set, ends: set) -> bool:
    """Ten digits in the middle of a longer group of digits ("1 85 05 78 006 084 36", a NIR with a
    wrong key) are not a phone number; the groups of two phone numbers in a row do not count."""
    digits_before = start >= 2 and text[start - 1] in PHONE_SEPARATORS and text[start - 2].isdigit()
    digits_after = end + 1 < len(text) and text[end] in PHONE_SEPARATORS and text[end + 1].isdigit()
    return digits_before and digits_after and (start - 1) not in ends and (end + 1) not in starts


def find_phone_numbers(text: str) -> List[Found]:
    french = [match for match in FRENCH_PHONE.finditer(text) if not TWO_POSTCODES.fullmatch(match.group())]
    starts = {match.start() for match in french}
    stops = {match.end() for match in french}
    found = [
        Found(match.start(), match.end(), PHONE)
        for match in french
        if not _inside_longer_number(text, match.start(), match.end(), starts, stops)
    ]
    taken = [(item.start, item.end) for item in found]
    for match in INTERNATIONAL_PHONE.finditer(text):
        if any(start < match.end() and match.start() < end for start, end in taken):
            continue
        candidate = match.group()
        # The whole candidate, then shorter ones ending at a group (a postcode may follow).
        ends = [len(candidate)] + [group.end() for group in PHONE_GROUP_END.finditer(candidate)][::-1]
        end = next((end for end in ends if _possible_phone(candidate[:end])), None)
        if end is not None:
            found.append(Found(match.start(), match.start() + end, PHONE))
    return found


# ---------------------------------------------------------------------------------------------
# Dates of birth: a birth cue, then a date (digits or words). A year alone stays ("née en 2009").

MONTHS = (
    r"(?:janvier|janv|f[ée]vrier|f[ée]vr|f[ée]v|mars|avril|avr|mai|juin|juillet|juil|ao[ûu]t|"
    r"septembre|sept|octobre|oct|novembre|nov|d[ée]cembre|d[ée]c)\.?"
)
BIRTH_DATE = re.compile(
    r"(?<!\d)(?:\d{1,2}\s?[/.-]\s?\d{1,2}\s?[/.-]\s?\d{2,4}|\d{1,2}\s\d{1,2}\s\d{4}"
    rf"|(?:\d{{1,2}}(?:er)?|premier)\s{{1,3}}{MONTHS}(?:\s{{1,3}}\d{{4}})?|{MONTHS}\s{{1,3}}\d{{4}})(?!\d)",
    re.IGNORECASE,
)
BIRTH_CUE = re.compile(
    r"(?=[ndaNDA])(?<!\w)(?:n[ée]e?s?(?:\s?\(e\))?|date\s{1,3}de\s{1,3}naissance|date\s{1,3}naiss(?:ance)?|ddn|naissance|anniversaire)(?!\w)",
    re.IGNORECASE,
)
# Between the cue and the date (never empty: a word ends the cue): "le", ": le", "c'est le", "à Rennes le".
BIRTH_GAP = re.compile(
    r"(?=[\s:=,-])\s{0,3}(?:[:=,-]\s{0,3})?(?:(?:est|c'est|c’est|c)\s{1,3})?"
    r"(?:(?:[àa]|au)\s{1,3}[A-ZÀ-Ý][\w'’-]{1,30}(?:\s{1,3}[A-ZÀ-Ý][\w'’-]{1,30})?\s{1,3})?"
    r"(?:(?:le|du|en|au|:)\s{1,3})?",
)


def find_birth_dates(text: str) -> List[Found]:
    found = []
    for cue in BIRTH_CUE.finditer(text):
        gap = BIRTH_GAP.match(text, cue.end())
        date = BIRTH_DATE.match(text, gap.end() if gap else cue.end())
        if date:
            found.append(Found(date.start(), date.end(), DATE_OF_BIRTH))
    return found


# ---------------------------------------------------------------------------------------------
# Postal addresses: a number, a street type and up to 7 words of street name, then an optional
# postcode; the town after the postcode is not part of it.

STRONG_STREET_TYPES = (
    r"rue|ruelle|avenue|av|ave|boulevard|bd|bld|blvd|bvd|all[ée]e|impasse|imp|quai|chemin|chem|route|rte|"
    r"lieu[- ]dit|lieudit|r[ée]sidence|lotissement|hameau|sentier|venelle|esplanade|promenade|"
    r"rond[- ]point|faubourg|fbg|square|sq|chauss[ée]e"
)
# Also ordinary words ("3 cours de maths", "2 place"): an address only with a capitalised name, a
# postcode after it or an address cue before it.
WEAK_STREET_TYPES = r"cours|place|pl|passage|voie|mail|cit[ée]|villa|domaine|clos|parvis|traverse|mont[ée]e|lev[ée]e"
STREET = re.compile(
    rf"(?=[^\W\d_])(?<![\w])(?P<type>(?P<strong>{STRONG_STREET_TYPES})|{WEAK_STREET_TYPES})\.?(?!\w)",
    re.IGNORECASE,
)
# The number before the street type ("12", "3 bis", "12, rue"), looked for just before it.
STREET_NUMBER = re.compile(r"(?<![\w,.])\d{1,4}(?:\s?(?:bis|ter|quater|[a-dA-D]))?\s{0,3},?\s{0,3}$", re.IGNORECASE)
NUMBERLESS_STREET_TYPES = frozenset({"lieu-dit", "lieu dit", "lieudit", "hameau", "residence", "résidence"})
STREET_WORD = re.compile(r"\s{1,3}([^\W\d_][\w'’-]{0,40})")
POSTCODE_AFTER = re.compile(r"\s{0,3},?\s{0,3}\d{5}(?!\d)")
ADDRESS_CUE = re.compile(r"(?:habit\w*|adresse|domicil\w*|demeur\w*|r[ée]sid\w*|\bvis|\bvit|\bau|\bc'est)\W*$")
ADDRESS_STOP_WORDS = frozenset(
    "a au aux et ou mais pour par je tu il elle on nous vous ils elles mon ma mes ton ta tes son sa ses "
    "notre nos votre vos leur leurs qui que quoi quel quelle est suis sont ai as avons avez ont c ca ce cet "
    "cette svp stp merci pas ne n pres vers dans en avec chez sur depuis pendant donc car si y bonjour bjr "
    "tel telephone portable mail email pourriez pouvez pourrais voudrais voudrait veux veut cherche "
    "cherchons souhaite souhaiterait mais aussi".split()
)
ELIDED_STOP = ("j'", "c'", "qu'", "n'", "m'", "s'", "t'")


def _street_name_end(text: str, position: int) -> Tuple[int, List[str]]:
    words: List[str] = []
    for _ in range(7):
        word = STREET_WORD.match(text, position)
        if not word:
            break
        token = plain(word.group(1))
        if token in ADDRESS_STOP_WORDS or token.startswith(ELIDED_STOP):
            break
        words.append(word.group(1))
        position = word.end()
    return position, words


def find_addresses(text: str) -> List[Found]:
    found: List[Found] = []
    for street in STREET.finditer(text):
        number = STREET_NUMBER.search(text, max(0, street.start() - 16), street.start())
        start = number.start() if number else street.start()
        if found and start < found[-1].end:
            continue
        if number is None and plain(street.group("type")) not in NUMBERLESS_STREET_TYPES:
            continue
        end, words = _street_name_end(text, street.end())
        if not words:
            continue
        postcode = POSTCODE_AFTER.match(text, end)
        if number is None or not street.group("strong"):
            capitalised = next((word[0].isupper() for word in words if plain(word) not in NAME_PARTICLES), False)
            cue = ADDRESS_CUE.search(text, max(0, start - 20), start)
            if not (capitalised or postcode or cue):
                continue
        found.append(Found(start, postcode.end() if postcode else end, ADDRESS))
    return found


# ---------------------------------------------------------------------------------------------
# Names: after a cue, the capitalised words or known given names that follow. A cue that names
# the person ("je m'appelle", "mon nom est") also takes lower-case words that are not ordinary
# French words; the others ("je suis", "ma fille", "moi c'est") need a known given name or two
# capitalised words ("je suis Bretonne" stays).

STRONG_NAME_CUE = (
    r"j(?:e\s{1,3}|['’]\s?|\s?)m['’ ]?\s?appel+e?s?|je\s{1,3}me\s{1,3}nomme|"
    r"mon\s{1,3}(?:nom|pr[ée]nom)(?:\s{1,3}et\s{1,3}(?:nom|pr[ée]nom))?\s{0,3}(?:est|c['’]est|c|:)|"
    r"(?<![\w'’])(?:nom|pr[ée]nom)(?:\s{1,3}et\s{1,3}(?:nom|pr[ée]nom))?\s{0,3}:"
)
WEAK_NAME_CUE = (
    r"je\s{1,3}suis|moi\s{1,3}c['’]?\s?est|moi\s{1,3}c|c['’]est\s{1,3}(?:pour\s{1,3})?(?:ma|mon)\s{1,3}(?:fille|fils)|"
    r"(?:ma|notre)\s{1,3}(?:fille|petite-fille|ni[èe]ce)|(?:mon|notre)\s{1,3}(?:fils|petit-fils|neveu|enfant)|"
    r"(?:maman|papa|m[èe]re|p[èe]re|parent|tuteur|tutrice|responsable\s{1,3}l[ée]gal)\s{1,3}(?:de|d['’])"
)
TITLE_CUE = r"(?:m\.|mr|mme|mlle|monsieur|madame|mademoiselle|cordialement|sign[ée])"
NAME_CUE = re.compile(
    rf"(?=[jmnpcstrJMNPCSTR])(?<![\w'’])(?:(?P<strong>{STRONG_NAME_CUE})|(?P<weak>{WEAK_NAME_CUE})|(?P<title>{TITLE_CUE}))(?![\w])",
    re.IGNORECASE,
)
NAME_WORD = re.compile(r"\s{0,3}(?:[,:]\s{0,3})?([^\W\d_]+(?:[-'’][^\W\d_]+){0,3})(?![\w'’-])")
NAME_NEXT_WORD = re.compile(r"\s{1,3}([^\W\d_]+(?:[-'’][^\W\d_]+){0,3})(?![\w'’-])")
NAME_PARTICLES = frozenset("de du des le la van von da di del della ben ibn al el mac mc saint sainte d' l'".split())
ACRONYMS = frozenset(
    "cap bep bts but dut bac bp bm bma mc cpe cio cfa vae cpf sio mco ndrc melec assp stmg sti2d st2s "
    "stl stav steg cg ci ps pro rncp ine nir iban rib sms".split()
)
# Ordinary French words and what students write (SMS spellings too): never a name.
COMMON_WORDS = frozenset(
    """
    a à ai aie aies ait as au aux avec avoir avons avez ont ans an aussi alors apres après actuellement
    bien bon bonne bonjour bonsoir bjr slt salut cc coucou merci svp stp oui non ok daccord desole
    c ca ça ce cet cette ces cest c'est ceci cela car comme comment combien chez contre
    d de du des dans depuis deja déjà donc dont elle elles en encore entre es est et etre être eu
    fait faire fais faut il ils ici j je jai j'ai jsuis jsp jveux jcherche jvoudrais l la le les leur leurs lui
    m ma mais me mes moi mon meme même n ne ni nous nos notre on ou où par pas pendant peu peut peux plus
    plutot plutôt pour pourquoi pres près puis qu que quel quelle quels quelles qui quoi quand s sa sans se
    ses si son sont sous suis sur t ta te tes toi ton tous tout toute toutes tres très trop tu un une vers
    voila voilà vos votre vous y deja juste vraiment pareil rien personne quelqu quelque quelques
    veux veut voulons voulez veulent voudrais voudrait voudraient aimerais aimerait aimeraient aime aimes
    adore adorent souhaite souhaites souhaitons souhaitez souhaitent souhaiterais souhaiterait cherche
    cherches cherchons cherchez cherchent kiffe hesite hésite pense pensait compte vais va vas allons
    allez vont part pars partir passe passer rentre entre entrer travaille travailler etudie étudie
    habite habitons habitez vit vis demande demandes sais sait savais peux pouvons pouvez pourrais
    pourrait dois doit devrais devrait voulais voulait essaie essaye galere galère appelle appelles
    ne née nee nes nés né inscrit inscrite interesse intéressé interessee intéressée interesses motive
    motivé motivée perdu perdue etudiant étudiant etudiante étudiante eleve élève eleves élèves lyceen
    lycéen lyceenne lycéenne collegien collégien collegienne collégienne apprenti apprentie salarie
    salarié salariee salariée demandeur demandeuse parent parents maman papa mere mère pere père
    prof professeur professeure enseignant enseignante conseiller conseillere conseillère cpe
    majeur majeure mineur mineure nouveau nouvelle seul seule content contente sur sûr sure sûre
    pret prêt prete prête desolee désolée handicape handicapé handicapee handicapée malade
    bac cap bts but dut licence master seconde premiere première terminale troisieme troisième
    quatrieme quatrième college collège lycee lycée campus formation formations alternance
    apprentissage stage vae cpf ecole école fac universite université diplome diplôme metier métier
    reconversion retraite chomage chômage emploi travail boulot entreprise
    madame monsieur mademoiselle mme mlle mr m cordialement bisous
    """.split()
)
# Given names that are also ordinary words: a name only when capitalised.
AMBIGUOUS_GIVEN_NAMES = frozenset(
    "rose marine claire ambre jade ange prune violette capucine olive grace blanche aurore victoire "
    "constance prudence pierre marin france marguerite mila lou margot max noe".split()
)
GIVEN_NAMES = frozenset(
    """
    adam adele adrien agathe agnes ahmed aicha alain albert alexandra alexandre alexis alice alicia aline
    alix amandine amelie amine amir ana anais andre andrea angelique anna anne annie anthony antoine
    antonin apolline arnaud arthur audrey aurelie aurelien axel aya ayoub bastien baptiste beatrice
    benjamin benoit bernard brigitte bruno camille candice capucine carla carole caroline catherine
    cecile celia celine charles charlotte chloe christian christine christophe claire clara clement
    clemence colette coralie corentin cyril cyrielle damien daniel david delphine denis diane dominique
    dylan eden elena eliott elisa elise ella elodie eloise elsa emilie emma emmanuel emmanuelle enzo
    eric erwan estelle esteban ethan eva evan fabien fabrice fanny fatima fatou florence florian franck
    francis francois francoise frederic gabriel gabrielle gael gaelle gaspard genevieve georges gerard
    gilles gregory guillaume gwenaelle gwendal helene henri hugo ibrahim ilyes ines isabelle jacques
    jade jason jean jeanne jennifer jeremy jerome jessica joel johan jonathan jordan joseph josephine
    jules julia julie julien juliette justine karim karima kevin killian kylian laetitia laura laure
    laurence laurent lea leana leo leon leonie lila lina lisa loan lois lola lorenzo lou louane louis
    louise luc lucas lucie lucile ludovic lena lenaig leane leila liam loic loris madeleine mael maelle
    maelys malo manon marc marcel margaux marie marine marion martin martine mathieu mathilde mathis
    matheo mattheo matteo mael maxime maximilien melanie melissa michel micheline michele mickael milo
    mohamed monique morgane myriam nadia nadine nael nathalie nathan nicolas nicole noa noah noam noemie
    nolan oceane olivia olivier oscar patrice patricia patrick paul pauline pascal pascale perrine
    philippe pierre quentin rachel raphael rayan regis remi renee robin romain romane rose ruben ryan
    sabrina sacha salome samuel sandra sandrine sarah sebastien serge simon solene sophie stephane
    stephanie steven suzanne sylvain sylvie tanguy theo thibault thierry thomas timeo tom tristan valentin
    valerie vanessa victor victoria vincent virginie xavier yann yanis yannick yasmine yoann youssef
    yves zoe amaury anatole ambre alba albane aliya alya assia bilal chaima clementine lyna maya mayeul
    nina ninon noelie paloma rafael sarah soan sohan ilan ilyas imran issa jibril kais kenzo lyam marius
    mathys naim nino rayane sofiane soren swann tiago titouan wassim yanis youna zelie enora nolwenn
    soizic goulven gwen katell loeiz maiwenn morgan ronan tudual yuna solenn maewenn elouan mael erell
    """.split()
)
VERB_ENDINGS = ("ait", "aient", "ais", "ions", "iez", "ons", "ez", "ent", "erai", "erait", "eras", "er", "ir")


def _is_given_name(word: str) -> bool:
    parts = plain(word).replace("'", "-").split("-")
    if not all(part in GIVEN_NAMES for part in parts):
        return False
    return word[0].isupper() or plain(word) not in AMBIGUOUS_GIVEN_NAMES


def _capitalised_name(word: str) -> bool:
    """A capitalised word that can be a name: not an ordinary word, not an acronym ("BTS")."""
    key = plain(word)
    return word[0].isupper() and key not in COMMON_WORDS and key not in ACRONYMS


def _lower_case_surname(word: str) -> bool:
    key = plain(word)
    return (
        word.islower()
        and key not in COMMON_WORDS
        and key not in ACRONYMS
        and len(key) > 1
        and not key.endswith(VERB_ENDINGS)
    )


def _name_words(text: str, position: int, strong: bool, weak: bool) -> Optional[Tuple[int, int]]:
    """(start, end) of the name after a cue, or None when what follows is not a name."""
    first = NAME_WORD.match(text, position)
    if not first:
        return None
    start, word = first.start(1), first.group(1)
    if plain(word) in NAME_PARTICLES and word[0].isupper():  # "Mme Le Goff": a particle opens the surname
        following = NAME_NEXT_WORD.match(text, first.end())
        if weak or not following or not _capitalised_name(following.group(1)):
            return None
        first, word = following, following.group(1)
    given = _is_given_name(word) and plain(word) not in COMMON_WORDS
    if not (given or _capitalised_name(word) or (strong and _lower_case_surname(word))):
        return None
    end, position, pending, words = first.end(1), first.end(), False, 1
    for _ in range(5):
        following = NAME_NEXT_WORD.match(text, position)
        if not following:
            break
        next_word = following.group(1)
        key = plain(next_word)
        if key in NAME_PARTICLES and next_word[0].isupper():
            pending, position = True, following.end()  # "Le Goff": a name only if a name follows
            continue
        # A lower-case surname ("enzo martin") only after a given name or a cue that names.
        lower_case_surname = not pending and (strong or given) and _lower_case_surname(next_word)
        if not (lower_case_surname or (_capitalised_name(next_word) and key not in NAME_PARTICLES)):
            break
        end, position, pending, words = following.end(1), following.end(), False, words + 1
    if weak and not given and words == 1:
        return None  # one capitalised word after "je suis": "Bretonne", "Brestois"
    return start, end


def find_names(text: str) -> List[Found]:
    found: List[Found] = []
    for cue in NAME_CUE.finditer(text):
        if found and cue.start() < found[-1].end:
            continue
        strong = cue.group("strong") is not None
        weak = cue.group("weak") is not None
        span = _name_words(text, cue.end(), strong, weak)
        if span:
            found.append(Found(span[0], span[1], NAME))
    return found


# ---------------------------------------------------------------------------------------------

# In this order: each pass reads the text the previous ones masked (masks hold no digit, no @),
# so an IBAN is not also taken for a phone number, nor a street name for a person's name.
DETECTORS: List[Callable[[str], List[Found]]] = [
    find_emails,
    find_ibans,
    find_nirs,
    find_ines,
    find_phone_numbers,
    find_birth_dates,
    find_addresses,
    find_names,
]


def _masked(text: str, found: List[Found]) -> str:
    kept, position = [], 0
    for item in sorted(found, key=lambda item: (item.start, -item.end)):
        if item.start < position:
            continue  # inside a span already masked
        kept.append(text[position : item.start])
        kept.append(MASKS[item.category])
        position = item.end
    kept.append(text[position:])
    return "".join(kept)


def _mask(text: str) -> Tuple[str, List[str]]:
    categories: List[str] = []
    for detector in DETECTORS:
        found = detector(text)
        if found:
            text = _masked(text, found)
            for item in found:
                if item.category not in categories:
                    categories.append(item.category)
    return text, categories


def mask_personal_data(text: str) -> str:
    """The text with each piece of personal data replaced by the marker of its kind (MASKS)."""
    if not text:
        return text
    return _mask(text)[0]


def find_personal_data(text: str) -> List[str]:
    """The kinds of personal data (keys of MASKS) the text holds, in the order they were found."""
    if not text:
        return []
    return _mask(text)[1]


def mask_emails(text: str) -> str:
    return _masked(text, find_emails(text))


def mask_phone_numbers(text: str) -> str:
    return _masked(text, find_phone_numbers(text))


def masked_spans(text: str) -> List[Tuple[int, int]]:
    """Where the markers of masked data stand in a text (NLU must not read them as a search term)."""
    spans: List[Tuple[int, int]] = []
    for marker in set(MASKS.values()):
        start = text.find(marker)
        while start != -1:
            spans.append((start, start + len(marker)))
            start = text.find(marker, start + len(marker))
    return spans
