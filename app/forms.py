"""The base form: every text field refuses characters no person types; whole numbers stay in range."""
import re
import unicodedata

from flask_wtf import FlaskForm
from flask_wtf.csrf import _FlaskFormCSRF
from wtforms import (
    FieldList,
    FormField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.csrf.core import CSRFTokenField
from wtforms.validators import StopValidation

_ALLOWED_CONTROLS = {"\n", "\r", "\t"}
# Zero-width joiner and non-joiner: Persian, Indic scripts and emoji sequences need them in running text.
_JOINERS = {"\u200c", "\u200d"}
# Cc: control (NUL breaks PostgreSQL), Cf: format (zero-width spaces, bidi overrides, BOM, soft hyphen,
# word joiner, tag characters), Cs: lone surrogate, Co/Cn: private or unassigned, Zl/Zp: line and
# paragraph separators (U+2028/2029).
_REFUSED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
# Passwords are never shown, only hashed: a format character in one harms nobody and may be in an old one.
_REFUSED_IN_PASSWORDS = {"Cc", "Cs", "Co", "Cn"}
INVISIBLE_MESSAGE = "Remove the control or invisible characters (such as zero-width or direction marks)."


def unprintable(text, multiline, refused=frozenset(_REFUSED_CATEGORIES)):
    """True when `text` holds a character no person means to type here.

    `multiline`: running text (a description, a comment), where line breaks,
    tabs and the zero-width joiners that some scripts need are allowed."""
    for char in text:
        if multiline and (char in _ALLOWED_CONTROLS or char in _JOINERS):
            continue
        if unicodedata.category(char) in refused:
            return True
    return False


# WTForms' own messages ("Not a valid integer value.", "Invalid Choice: could not
# coerce.") tell a person nothing they can act on: each becomes one about its field.
_LIBRARY_MESSAGES = (
    (re.compile(r"^Not a valid (integer|decimal|float) value\.?$"), "Give “{label}” as a whole number, like 12."),
    (re.compile(r"^Not a valid date value\.?$"), "Give “{label}” as a date, like 2026-12-31."),
    (re.compile(r"^Not a valid datetime value\.?$"), "Give “{label}” as a date and time."),
    (re.compile(r"^(Invalid Choice: could not coerce|Not a valid choice)\.?$"), "Choose one of the options for “{label}”."),
    (re.compile(r"^'.*' is not a valid choice for this field\.?$"), "Choose one of the options for “{label}”."),
    (re.compile(r"^This field is required\.?$"), "Fill in “{label}”."),
    (re.compile(r"^Field cannot be longer than (\d+) characters?\.?$"), "Use at most {0} characters for “{label}”."),
    (re.compile(r"^Field must be at least (\d+) characters? long\.?$"), "Use at least {0} characters for “{label}”."),
    (re.compile(r"^Number must be between (\S+) and (\S+)\.?$"), "Give “{label}” between {0} and {1}."),
)


def _human(field, message):
    for pattern, better in _LIBRARY_MESSAGES:
        found = pattern.match(str(message))
        if found:
            label = field.label.text if field.label and field.label.text else "this field"
            return better.format(*found.groups(), label=label.rstrip("?: "))
    return message


def _fields(form):
    for field in form:
        if isinstance(field, FieldList):
            for entry in field.entries:
                yield from (_fields(entry.form) if isinstance(entry, FormField) else [entry])
        elif isinstance(field, FormField):
            yield from _fields(field.form)
        else:
            yield field


class _TokenWhenShown(CSRFTokenField):
    """The CSRF token is made when the form is rendered, not when it is built.

    Making one puts it in the session, and a session means a cookie: a page
    that builds a form it does not show to a visitor (a hold-up's board or
    agenda, watched by the public) would otherwise set one on every visit
    and be neither cacheable nor cookie-free (issue 13)."""

    def process(self, *args, **kwargs):
        HiddenField.process(self, *args, **kwargs)
        self.current_token = None

    def _value(self):
        if self.current_token is None:
            self.current_token = self.csrf_impl.generate_csrf_token(self)
        return self.current_token


class _CSRFWhenShown(_FlaskFormCSRF):
    field_class = _TokenWhenShown


class KindlingForm(FlaskForm):
    class Meta:
        csrf_class = _CSRFWhenShown

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        for field in _fields(self):
            if isinstance(field, (StringField, TextAreaField)):
                # raw_data: what was typed, before a field (tags, numbers) turned it into something else.
                typed = field.raw_data[0] if field.raw_data and isinstance(field.raw_data[0], str) else field.data
                refused = _REFUSED_IN_PASSWORDS if isinstance(field, PasswordField) else _REFUSED_CATEGORIES
                if isinstance(typed, str) and unprintable(typed, isinstance(field, TextAreaField), refused):
                    if INVISIBLE_MESSAGE not in field.errors:
                        field.errors = list(field.errors) + [INVISIBLE_MESSAGE]
                    valid = False
            if field.errors and isinstance(field.errors, list):
                field.errors[:] = [_human(field, message) for message in field.errors]
        return valid


def strip_filter(value):
    return value.strip() if isinstance(value, str) else value


# Whole numbers: every column holding one is a 32-bit integer; ids start at 1.
INT_MAX = 2**31 - 1
_WHOLE_NUMBER = re.compile(r"^[+-]?[0-9]{1,12}$")


def bounded_int(text, minimum=-INT_MAX, maximum=INT_MAX):
    """`text` as an int within [minimum, maximum]; ValueError otherwise (never OverflowError, never huge)."""
    text = text.strip() if isinstance(text, str) else str(text)
    if not _WHOLE_NUMBER.match(text):
        raise ValueError("not a whole number")
    number = int(text)
    if not minimum <= number <= maximum:
        raise ValueError("out of range")
    return number


def int_arg(value):
    """`request.args.get(name, default, type=int_arg)`: a whole number a database column holds, else the default."""
    return bounded_int(value)


def id_arg(value):
    """`request.args.get(name, type=id_arg)`: a row id (1 and up), else the default."""
    return bounded_int(value, minimum=1)


class _ParsedOnce:
    """A field whose typed text is parsed once by its `parse(text)` (each subclass defines one, raising
    ValueError for what it cannot read); what cannot be parsed is `message`, beside the field."""

    def process_formdata(self, valuelist):
        self.unparsable = False
        self.data = None
        if valuelist and str(valuelist[0]).strip():
            try:
                self.data = self.parse(valuelist[0])
            except ValueError:
                self.unparsable = True

    def pre_validate(self, form):
        if getattr(self, "unparsable", False):
            raise StopValidation(self.message)


class BoundedIntegerField(_ParsedOnce, IntegerField):
    """A whole number between `minimum` and `maximum`, with a message saying so for anything else.

    Empty is None (add DataRequired/InputRequired to insist). Used for every number
    a form takes, so a 400-digit value is a message beside the field, never a 500."""

    def __init__(self, label=None, validators=None, minimum=1, maximum=INT_MAX, message=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.minimum, self.maximum = minimum, maximum
        self.message = message or f"Give a whole number from {minimum:,} to {maximum:,}."

    def parse(self, text):
        return bounded_int(text, self.minimum, self.maximum)


class IdSelectField(_ParsedOnce, SelectField):
    """A choice of row (an idea to build on): the submitted id, or None for "none"; garbage is a message."""

    def __init__(self, label=None, validators=None, message="Choose one from the list.", **kwargs):
        kwargs.setdefault("coerce", int)
        kwargs.setdefault("validate_choice", False)
        super().__init__(label, validators, **kwargs)
        self.message = message

    def parse(self, text):
        return bounded_int(text, 0, INT_MAX) or None
