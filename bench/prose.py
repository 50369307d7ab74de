"""A corpus of real English prose already on the machine: the paragraphs of Debian's manual pages.

Each paragraph of /usr/share/man/man[1-8] (English pages only) becomes one
document: its first sentence is the title, the paragraph the description.
The roff markup is stripped with a few rules (macros, font and character
escapes); what is left reads as the page reads.

QUERIES were written before looking at any result: what someone hunting
through manual pages for an idea might type, two and three words each.
"""
import gzip
import re
from pathlib import Path

MAN = Path("/usr/share/man")
PER_PAGE = 25

QUERIES = [
    "file permissions", "network interface", "compress archive", "regular expression",
    "environment variable", "terminal colors", "password hash", "disk partition",
    "print queue", "time zone", "signal handler", "memory allocation", "symbolic link",
    "user group", "shell script", "default configuration file", "standard output",
    "error message", "character encoding", "process id", "socket connection", "kernel module",
    "mount filesystem", "http proxy", "ssl certificate", "debug output", "compile source code",
    "library function", "locale settings", "exit status", "command line option", "system call",
    "thread safe", "backup files", "copy directory recursively", "search pattern",
    "floating point number", "random number generator", "sort lines", "unicode string",
    "font size", "keyboard layout", "audio device", "email address", "dns lookup",
    "cron job schedule", "log file rotation", "package manager", "image format conversion",
    "perl module documentation",
]

_ESCAPES = [
    (re.compile(r"\\f(\[[^\]]*\]|\(..|.)"), ""),  # font changes
    (re.compile(r"\\\*(\[[^\]]*\]|\(..|.)"), ""),  # strings
    (re.compile(r"\\\((em|en|hy)"), "-"),
    (re.compile(r"\\\((lq|rq|dq)"), '"'),
    (re.compile(r"\\\((oq|cq|aq)"), "'"),
    (re.compile(r"\\\(..|\\\[[^\]]*\]"), ""),  # other named characters
    (re.compile(r"\\[-]"), "-"),
    (re.compile(r"\\[e\\]"), "\\\\"),
    (re.compile(r"\\s[-+]?\d"), ""),  # size changes
    (re.compile(r"\\[&|^~ 0:%]"), " "),
    (re.compile(r"\\[a-zA-Z]"), ""),
]
_BREAKS = {"PP", "LP", "P", "IP", "TP", "SH", "SS", "HP", "sp", "br", "RS", "RE", "TH", "nf", "fi", "Sh", "Pp"}
_TEXT_MACROS = {"B", "I", "BR", "BI", "IB", "IR", "RB", "RI", "SM", "SB", "Nm", "Ar", "Fl", "Em", "Va", "Xr"}
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


def _clean(line):
    for pattern, replacement in _ESCAPES:
        line = pattern.sub(replacement, line)
    return " ".join(line.split())


def paragraphs(path):
    """(page name, paragraph) for each paragraph of one manual page."""
    try:
        source = gzip.open(path, "rt", encoding="utf-8", errors="replace").read()
    except (OSError, EOFError):
        return
    if source.lstrip().startswith(".so "):
        return  # a link to another page
    name = path.name.split(".")[0]
    words = []
    for raw in source.splitlines():
        if raw.startswith((".", "'")):
            parts = raw[1:].split(None, 1)
            macro = parts[0] if parts else ""
            if macro in _TEXT_MACROS and len(parts) > 1:
                words.append(_clean(parts[1].replace('"', "")))
                continue
            if macro in _BREAKS and words:
                yield name, " ".join(words)
                words = []
            continue
        text = _clean(raw)
        if text:
            words.append(text)
    if words:
        yield name, " ".join(words)


def documents(count):
    """Up to `count` (title, description, page name) of readable prose, always in the same order."""
    import random

    pages = sorted(p for section in range(1, 9) for p in (MAN / f"man{section}").glob("*.gz"))
    random.Random(13).shuffle(pages)  # every kind of page, not the first sections only
    made = 0
    for path in pages:
        kept = 0
        for name, text in paragraphs(path):
            if len(text.split()) < 8 or sum(c.isalpha() for c in text) < len(text) * 0.6:
                continue  # option lists, tables and code are not prose
            title = _SENTENCE.split(text, 1)[0][:120].rsplit(" ", 1)[0] if len(text) > 120 else text
            yield title, text[:4000], name
            made, kept = made + 1, kept + 1
            if made >= count:
                return
            if kept >= PER_PAGE:
                break  # a long page (or a family of generated ones) does not fill the corpus alone
