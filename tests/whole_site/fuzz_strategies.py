"""Hypothesis strategies of the fuzzing tests (tests/whole_site/test_fuzzing.py): hostile values, and
values each kind of form field accepts.

A field's `Kind` gives two strategies: `valid(world)`, what the form accepts (the text kinds also
accept hostile text: markup, SQL, right-to-left marks... are text like any other), and `hostile()`,
what it should refuse or what tries to break the page: very long strings, NUL bytes, invalid UTF-8,
SQL and HTML injections, wrong types, impossible dates and numbers, several values for one key.

`OMIT` stands for a key left out of the request.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import time, timedelta
from html.parser import HTMLParser

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from hypothesis import strategies as st

OMIT = object()

# Markup that runs script if a page prints it unescaped. Each carries "qd-xss" (or a javascript:
# URL): `injected_markup` looks for the elements and attributes they would create.
XSS_PAYLOADS = [
    '<script>alert("qd-xss")</script>',
    '"><img src=x onerror=alert("qd-xss")>',
    "'><svg/onload=alert('qd-xss')>",
    "\" autofocus onfocus=\"alert('qd-xss')",
    "' autofocus onfocus='alert(\"qd-xss\")",
    "</textarea></title><b id=qd-xss>",
    "<iframe src=//qd-xss.example>",
    # Markdown (news): links and images that would run script, raw HTML.
    "[qd](javascript:alert('qd-xss'))",
    '<a href="javascript:alert(1)">qd-xss</a>',
    "![qd](x\" onerror=\"alert('qd-xss'))",
    "<div style=background:url(javascript:alert(1))>qd-xss</div>",
]
SQL_INJECTIONS = [
    "' OR '1'='1",
    "' OR 1=1 --",
    '" OR ""="',
    "1; DROP TABLE qpv_qpv; --",
    "1' UNION SELECT email, password FROM participation_user --",
    "'); DELETE FROM dialogue_meeting; --",
    "%",
    "_",
    "%%' ESCAPE '\\",
    "\\",
    "\\x00",
    "$$; SELECT pg_sleep(10); $$",
]
UNICODE_TEXTS = [
    "\u202eevil.exe\u202c",  # right-to-left override
    "مرحبا بكم في الحي",  # Arabic, right to left
    "שלום עליכם",  # Hebrew
    "Z̸̡̢͇̟̓a̴̛͎l̷̢͝g̸̰̈́o̵̥͝",  # combining marks
    "👩‍👩‍👧‍👦🏳️‍🌈🇫🇷",  # emoji with joiners and flags
    "𝕳𝖊𝖑𝖑𝖔 𝔀𝓸𝓻𝓵𝓭",  # mathematical letters (outside the BMP)
    "\ufeffBOM\u200b\u200d\u2060",  # invisible characters
    "e\u0301te\u0301 \u00e9t\u00e9",  # decomposed and composed accents
    "Ⅻ ① ² ½ ١٢٣ ߁",  # digits that are not ASCII digits
    "\u2028line\u2029paragraph\r\n\t",  # separators
    "ＡＢＣ＠ｅｘａｍｐｌｅ．ｏｒｇ",  # full width
]
FORMAT_STRINGS = ["%(name)s", "%s%s%s%n", "{0}{1}", "{{ 7*7 }}", "{% debug %}", "${7*7}", "%00"]
NUMBER_TEXTS = [
    "-1",
    "0",
    "-0",
    "1.5",
    "1,5",
    "1e309",
    "-1e309",
    "1E+999999999",
    "NaN",
    "sNaN",
    "Infinity",
    "-Infinity",
    "0x10",
    "2147483648",
    "-2147483649",
    "9223372036854775808",
    "-9223372036854775809",
    "99999999999999999999999999999999",
    "9" * 5000,
    " 7 ",
    "7 000 000,00 €",
    "١٢٣",
    "²",
    "½",
]
DATE_TEXTS = [
    "0000-00-00",
    "0001-01-01",
    "0001-01-01T00:00",
    "9999-12-31",
    "9999-06-30",
    "9999-12-31T23:59",
    "99999-12-31",
    "10000-01-01",
    "-0001-01-01",
    "2026-02-30",
    "2026-13-01",
    "2026-00-10",
    "31/12/9999",
    "01/01/0001",
    "1970-01-01T00:00:00Z",
    "2026-03-29T02:30",  # a time that does not exist in Paris (clocks go forward)
    "2026-10-25T02:30",  # a time that exists twice in Paris (clocks go back)
    "24:00",
    "23:59:60",
    "25:61",
    "-1:00",
    "today",
]
# Dates a form parses but must refuse: outside the Contrat de ville 2024-2030 (participation.contract),
# at its edges' neighbours, or in shapes the French and English forms both read.
OUT_OF_CONTRACT_DATES = [
    "2023-12-31",
    "2031-01-01",
    "1900-01-01",
    "1970-01-01",
    "2100-01-01",
    "31/12/2023",
    "01/01/2031",
    "0001-01-01",
    "9999-12-31",
]
OUT_OF_CONTRACT_MOMENTS = [
    "2023-12-31T23:59",
    "2031-01-01T00:00",
    "0001-01-01T00:00",
    "9999-12-31T23:59",
    "2100-06-01T12:00",
]
# Amounts a form parses but must refuse: nothing, below nothing, above any plausible amount.
HOSTILE_AMOUNTS = [
    "0",
    "0,00",
    "-0,01",
    "-1",
    "-1 500",
    "1 000 000,01",
    "1000001",
    "99 999 999,99",
    "100000000",
    "1e6",
    "0,001",
    "12,345",
]
URL_TEXTS = [
    "javascript:alert('qd-xss')",
    "http://evil.example/",
    "//evil.example/",
    "/\\evil.example",
    "https://exa mple.org/\x00",
    "\r\nSet-Cookie: hacked=1",
    "../../../../etc/passwd",
    "file:///etc/passwd",
    "data:text/html,<script>alert(1)</script>",
]
LONG = 10_001


def _long_strings() -> st.SearchStrategy[str]:
    """Strings of 10 001 to 12 000 characters: a word, emoji or accent repeated."""
    unit = st.sampled_from(["a", "é", "😀", "<b>", "' OR 1=1 ", "9", "\u202e", "x\u0301"])
    return st.builds(
        lambda piece, size: (piece * size)[:size], unit, st.integers(LONG, LONG + 2000)
    )


def _with_nul() -> st.SearchStrategy[str]:
    return st.sampled_from(["\x00", "a\x00b", "\x00" * 3, "sanitas\x00", "1\x00", "2026-01-01\x00"])


def _random_text() -> st.SearchStrategy[str]:
    # Any code point but lone surrogates (no request can carry them), control characters included.
    return st.text(st.characters(exclude_categories=("Cs",)), max_size=60)


def _invalid_utf8() -> st.SearchStrategy[bytes]:
    return st.sampled_from([b"\xff\xfe", b"caf\xe9", b"\xc3\x28", b"\xed\xa0\x80", b"\x80abc"])


def hostile_scalar() -> st.SearchStrategy:
    """One hostile value for a key: a string, or raw bytes that are not UTF-8."""
    return HOSTILE_SCALAR


def _hostile_scalar() -> st.SearchStrategy:
    return st.one_of(
        st.sampled_from(XSS_PAYLOADS),
        st.sampled_from(SQL_INJECTIONS),
        st.sampled_from(UNICODE_TEXTS),
        st.sampled_from(FORMAT_STRINGS),
        st.sampled_from(NUMBER_TEXTS),
        st.sampled_from(DATE_TEXTS),
        st.sampled_from(URL_TEXTS),
        st.sampled_from(["", " ", "\t\n", "on", "true", "False", "None", "null", "[]", "{}"]),
        _long_strings(),
        _with_nul(),
        _invalid_utf8(),
        _random_text(),
    )


def hostile_value() -> st.SearchStrategy:
    """A hostile scalar, or several values for the same key."""
    return HOSTILE_VALUE


HOSTILE_SCALAR = _hostile_scalar()
HOSTILE_VALUE = st.one_of(HOSTILE_SCALAR, st.lists(HOSTILE_SCALAR, min_size=2, max_size=3))


def _accepted_text(max_length: int) -> st.SearchStrategy[str]:
    """Text a CharField takes: hostile in meaning, but no NUL, within the limit, not blank."""
    pieces = st.one_of(
        st.sampled_from(XSS_PAYLOADS),
        st.sampled_from(SQL_INJECTIONS),
        st.sampled_from(UNICODE_TEXTS),
        st.sampled_from(FORMAT_STRINGS),
        st.sampled_from(["Réunion au centre social", "Un jardin partagé", "Ça marche : oui !"]),
        st.text(st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=40),
    )

    def fit(parts: list[str]) -> str:
        return " ".join(parts)[:max_length]

    def usable(text: str) -> bool:
        return bool(text.strip()) and "\x00" not in text

    return st.lists(pieces, min_size=1, max_size=3).map(fit).filter(usable)


# Kinds of fields -----------------------------------------------------------------------------------


class Kind:
    """What a parameter holds; `valid` draws what the form takes, `hostile` what it must survive."""

    required: bool = False

    def valid(self, world) -> st.SearchStrategy:
        raise NotImplementedError

    def hostile(self) -> st.SearchStrategy:
        return hostile_value()

    def maybe_omitted(self, strategy: st.SearchStrategy) -> st.SearchStrategy:
        return strategy if self.required else st.one_of(strategy, st.just(OMIT))


@dataclass(frozen=True)
class Text(Kind):
    max_length: int = 200
    required: bool = False

    def valid(self, world):
        return self.maybe_omitted(_accepted_text(self.max_length))


@dataclass(frozen=True)
class Email(Kind):
    required: bool = False

    def valid(self, world):
        return st.sampled_from(
            [
                "habitante@example.org",
                "prenom.nom+quartier@example.org",
                "o'connor@example.org",
                "x@sub.example.org",
            ]
        )


@dataclass(frozen=True)
class Int(Kind):
    low: int = 0
    high: int = 100
    required: bool = False

    def valid(self, world):
        return self.maybe_omitted(st.integers(self.low, self.high).map(str))


@dataclass(frozen=True)
class Euro(Kind):
    """An amount in euros, typed the French way or the English way."""

    high_cents: int = 100_000
    required: bool = False

    def hostile(self):
        return st.one_of(st.sampled_from(HOSTILE_AMOUNTS), hostile_value())

    def valid(self, world):
        cents = st.integers(1, self.high_cents)
        typed = st.one_of(
            cents.map(lambda c: f"{c // 100}"),
            cents.map(lambda c: f"{c // 100},{c % 100:02d}"),
            cents.map(lambda c: f"{c // 100}.{c % 100:02d}"),
        )
        return self.maybe_omitted(typed)


@dataclass(frozen=True)
class Day(Kind):
    """An ISO date, `low` to `high` days from today."""

    low: int = -30
    high: int = 30
    required: bool = False

    def valid(self, world):
        today = timezone.localdate()
        days = st.integers(self.low, self.high)
        return self.maybe_omitted(days.map(lambda n: (today + timedelta(days=n)).isoformat()))

    def hostile(self):
        # Tomorrow and a year ahead: refused where the date says something already happened.
        today = timezone.localdate()
        ahead = [(today + timedelta(days=n)).isoformat() for n in (1, 366)]
        return st.one_of(st.sampled_from([*OUT_OF_CONTRACT_DATES, *ahead]), hostile_value())


@dataclass(frozen=True)
class Clock(Kind):
    seconds: bool = False
    required: bool = False

    def valid(self, world):
        shape = "%H:%M:%S" if self.seconds else "%H:%M"
        return self.maybe_omitted(st.times().map(lambda moment: moment.strftime(shape)))


@dataclass(frozen=True)
class Moment(Kind):
    """A datetime-local value, `low` to `high` days from today."""

    low: int = -30
    high: int = 30
    required: bool = False

    def valid(self, world):
        today = timezone.localdate()

        def shape(day: int, moment: time) -> str:
            return f"{(today + timedelta(days=day)).isoformat()}T{moment:%H:%M}"

        return self.maybe_omitted(st.builds(shape, st.integers(self.low, self.high), st.times()))

    def hostile(self):
        return st.one_of(st.sampled_from(OUT_OF_CONTRACT_MOMENTS), hostile_value())


@dataclass(frozen=True)
class Choice(Kind):
    """One of `values`, or of what `of(world)` gives (primary keys, slugs of the test's objects)."""

    values: Sequence[str] = ()
    of: Callable | None = None
    required: bool = False

    def valid(self, world):
        values = [str(value) for value in (self.of(world) if self.of else self.values)]
        return self.maybe_omitted(st.sampled_from(values))


@dataclass(frozen=True)
class Flag(Kind):
    """A checkbox: ticked ("on") or not sent."""

    def valid(self, world):
        return st.sampled_from(["on", OMIT, "true", "false"])


@dataclass(frozen=True)
class Raw(Kind):
    """A parameter read as a string: any value is a valid one."""

    examples: Sequence[str] = ()

    def valid(self, world):
        known = [*self.examples, OMIT]
        return st.one_of(st.sampled_from(known), _accepted_text(100))


# Files ---------------------------------------------------------------------------------------------


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def _png_header(width: int, height: int) -> bytes:
    """The signature and the header chunk: what announces the image's size."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)


def _png(width: int = 2, height: int = 2) -> bytes:
    rows = b"".join(b"\x00" + b"\x80\x40\x20" * width for _ in range(height))
    return _png_header(width, height) + _chunk(b"IDAT", zlib.compress(rows)) + _chunk(b"IEND", b"")


SMALL_PNG, PHOTO_PNG = _png(), _png(40, 30)
# A bomb: a few bytes announcing 30 000 × 30 000 pixels.
HUGE_PNG = _png_header(30000, 30000) + _chunk(b"IDAT", zlib.compress(b"\x00" * 1000))
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
HOSTILE_FILE_NAMES = [
    "x" * 300 + ".pdf",
    "../../../../etc/passwd.pdf",
    "a\x00b.pdf",
    "compte-rendu.pdf\x00.exe",
    '"><img src=x onerror=alert("qd-xss")>.pdf',
    "\u202efdp.exe",
    "CON.pdf",
    ".pdf",
    "photo.png",
    "photo.svg",
    "😀.pdf",
]


@dataclass(frozen=True)
class Upload(Kind):
    """A file field: `pdf` or `image` is what the form takes."""

    accepts: str = "pdf"

    def _good(self):
        if self.accepts == "pdf":
            return st.just(("compte-rendu.pdf", PDF, "application/pdf"))
        return st.sampled_from(
            [("photo.png", SMALL_PNG, "image/png"), ("photo.png", PHOTO_PNG, "image/png")]
        )

    def valid(self, world):
        return st.one_of(st.just(OMIT), self._good().map(_upload))

    def hostile(self):
        contents = st.one_of(
            st.binary(max_size=200),
            st.sampled_from(
                [
                    b"",
                    PDF[:5],
                    b"%PDF-" + b"\x00" * 100,
                    SMALL_PNG[:20],
                    b"<svg onload=alert(1)>",
                    b"GIF89a<script>alert(1)</script>",
                    b"\x89PNG\r\n\x1a\n" + b"\xff" * 64,
                    HUGE_PNG,
                ]
            ),
        )
        names = st.one_of(st.sampled_from(HOSTILE_FILE_NAMES), _random_text())
        content_types = st.sampled_from(["application/pdf", "image/png", "text/html", ""])
        files = st.tuples(names, contents, content_types).map(_upload)
        return st.one_of(files, st.sampled_from(["not a file", "\x00"]))


def _upload(spec: tuple[str, bytes, str]) -> SimpleUploadedFile:
    name, content, content_type = spec
    return SimpleUploadedFile(name or "file", content, content_type=content_type)


def fresh(value):
    """A file can be read once: give each request its own copy."""
    if isinstance(value, SimpleUploadedFile):
        return SimpleUploadedFile(value.name, value.file.getvalue(), value.content_type)
    return value


@dataclass
class Drawn:
    """What one example sends, and how it was made (in the failure report)."""

    mode: str
    data: dict = field(default_factory=dict)

    def encoded(self) -> dict:
        return {key: fresh(value) for key, value in self.data.items() if value is not OMIT}


def example_strategy(world, fields: dict[str, Kind]) -> st.SearchStrategy[Drawn]:
    """Examples of a form or a query: every field valid but with hostile text ("accepted"), one
    field hostile and the others valid ("one_hostile"), or each field anything ("chaos")."""
    names = sorted(fields)
    if not names:
        return st.just(Drawn("empty", {}))
    valid = {name: fields[name].valid(world) for name in names}
    hostile = {name: fields[name].hostile() for name in names}
    anything = {name: st.one_of(valid[name], hostile[name], st.just(OMIT)) for name in names}

    def one_hostile(target: str) -> st.SearchStrategy[dict]:
        return st.fixed_dictionaries({**valid, target: hostile[target]})

    return st.one_of(
        st.fixed_dictionaries(valid).map(lambda data: Drawn("accepted", data)),
        st.sampled_from(names).flatmap(one_hostile).map(lambda data: Drawn("one_hostile", data)),
        st.fixed_dictionaries(anything).map(lambda data: Drawn("chaos", data)),
    )


class _InjectionFinder(HTMLParser):
    """Elements and attributes of a page that hostile input created: an event handler or a
    javascript: URL with our marker, a script that holds it, an element named by it."""

    URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "srcdoc"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if self._dangerous(name, value or ""):
                self.found.append(f"<{tag} {name}={value!r}>")
        if tag == "iframe" and "qd-xss" in (dict(attrs).get("src") or ""):
            self.found.append(f"<{tag}>")
        self._script = tag == "script"

    @classmethod
    def _dangerous(cls, name: str, value: str) -> bool:
        if name.startswith("on"):
            return "qd-xss" in value or "alert(" in value
        if name in cls.URL_ATTRIBUTES:
            return value.strip().lower().startswith("javascript:")
        if name == "style":
            return "javascript:" in value.lower()
        return "qd-xss" in name or (name == "id" and value == "qd-xss")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        self._script = False

    def handle_endtag(self, tag: str) -> None:
        self._script = False

    def handle_data(self, data: str) -> None:
        if self._script and "qd-xss" in data:
            self.found.append(f"<script>{data[:80]}")


def injected_markup(body: str) -> list[str]:
    """The markup hostile input created in a page (an empty list for a safe page): escaped text,
    quotes in a paragraph included, creates none."""
    finder = _InjectionFinder()
    finder.feed(body)
    finder.close()
    return finder.found


__all__ = [
    "HOSTILE_AMOUNTS",
    "OMIT",
    "OUT_OF_CONTRACT_DATES",
    "OUT_OF_CONTRACT_MOMENTS",
    "Choice",
    "Clock",
    "Day",
    "Drawn",
    "Email",
    "Euro",
    "Flag",
    "Int",
    "Kind",
    "Moment",
    "Raw",
    "Text",
    "Upload",
    "example_strategy",
    "hostile_scalar",
    "hostile_value",
    "injected_markup",
]
