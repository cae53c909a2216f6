"""Fill untranslated entries of locale/fr/LC_MESSAGES/django.po from a {msgid: msgstr} Python file.

Usage: python scripts/fill_catalogue.py FILE.py [FILE.py ...] — each defines FR (and optionally PLURALS).
Only empty entries are filled; fuzzy flags of filled entries are removed. Needs polib.
"""

import runpy
import sys
from pathlib import Path

import polib

PO = Path(__file__).resolve().parent.parent / "locale" / "fr" / "LC_MESSAGES" / "django.po"


def main(*sources: str) -> None:
    singular: dict[str, str] = {}
    plurals: dict[str, list[str]] = {}
    for source in sources:
        data = runpy.run_path(source)
        singular.update(data.get("FR", {}))
        plurals.update(data.get("PLURALS", {}))
    po = polib.pofile(str(PO), wrapwidth=0)
    po.metadata_is_fuzzy = False
    po.header = "French catalogue of Quartiers en dialogue (msgids in English)."
    po.metadata["Project-Id-Version"] = "Quartiers en dialogue"
    po.metadata["Language-Team"] = "Quartiers en dialogue <dev@quartiers-en-dialogue.local>"
    po.metadata["Language"] = "fr"
    po.metadata["Plural-Forms"] = "nplurals=2; plural=(n > 1);"
    po.metadata["Content-Type"] = "text/plain; charset=UTF-8"
    missing = []
    for entry in po:
        if entry.obsolete:
            continue
        # makemessages pre-fills new msgids by fuzzy matching with old ones: those guesses are
        # replaced whenever the translation file has the msgid.
        fuzzy = "fuzzy" in entry.flags
        # An entry with a context is keyed "context\x04msgid", as gettext itself does.
        key = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
        if entry.msgid_plural:
            if key in plurals and (fuzzy or not all(entry.msgstr_plural.values())):
                entry.msgstr_plural = dict(enumerate(plurals[key]))
        elif (fuzzy or not entry.msgstr) and key in singular:
            entry.msgstr = singular[key]
        if "fuzzy" in entry.flags and key in {**singular, **plurals}:
            entry.flags.remove("fuzzy")
            entry.previous_msgid = None
            entry.previous_msgid_plural = None
            entry.previous_msgctxt = None
        if not entry.translated():
            missing.append(key)
    po.save()
    for msgid in missing:
        print(f"untranslated: {msgid!r}")
    print(f"{len(po.translated_entries())} translated, {len(missing)} missing")


if __name__ == "__main__":
    main(*sys.argv[1:])
