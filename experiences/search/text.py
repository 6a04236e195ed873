"""What a typed query means before it reaches PostgreSQL: stop words.

The `periscope_fr` configuration drops the Snowball French stop words, but
only as typed: "à" is dropped while "a" (the same word typed without its
accent) reached the stemmer and became a required term, and Snowball's list
has no "les". Here every word whose unaccented lower-case form is a stop word
is removed from the query first, so a stop word is never required, accented
or not; a query made only of stop words becomes no text at all (the page says
so and shows every fiche, as with an empty query).
"""

from __future__ import annotations

import re
import unicodedata

# PostgreSQL's tsearch_data/french.stop (Snowball), plus "les", which it lacks.
_FRENCH_STOP = """
au aux avec ce ces dans de des du elle en et eux il je la le leur lui ma mais me même mes moi mon ne nos notre nous
on ou par pas pour qu que qui sa se ses son sur ta te tes toi ton tu un une vos votre vous c d j l à m n s t y été
étée étées étés étant étante étants étantes suis es est sommes êtes sont serai seras sera serons serez seront serais
serait serions seriez seraient étais était étions étiez étaient fus fut fûmes fûtes furent sois soit soyons soyez
soient fusse fusses fût fussions fussiez fussent ayant ayante ayantes ayants eu eue eues eus ai as avons avez ont
aurai auras aura aurons aurez auront aurais aurait aurions auriez auraient avais avait avions aviez avaient eut
eûmes eûtes eurent aie aies ait ayons ayez aient eusse eusses eût eussions eussiez eussent les
"""


def plain_word(word: str) -> str:
    """Lower case, accents removed ("École" -> "ecole")."""
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


STOP_WORDS = frozenset(plain_word(w) for w in _FRENCH_STOP.split())
WORD = re.compile(r"\w+", re.UNICODE)
# websearch syntax words that are not terms
_OPERATORS = {"or"}


def meaningful_text(query: str) -> str:
    """The query without its stop words (accented or not); "" when nothing else is left.

    Quotes, "-" and "or" are kept, so the websearch syntax means what it did.
    """
    query = " ".join((query or "").split())
    if not query:
        return ""
    kept = WORD.sub(lambda m: " " if plain_word(m.group()) in STOP_WORDS else m.group(), query)
    if not any(plain_word(w) not in _OPERATORS for w in WORD.findall(kept)):
        return ""
    return " ".join(kept.replace("' ", " ").split())
