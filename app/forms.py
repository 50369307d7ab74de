"""The base form: every text field refuses characters no person types."""
import re
import unicodedata

from flask_wtf import FlaskForm
from wtforms import FieldList, FormField, StringField, TextAreaField

_ALLOWED_CONTROLS = {"\n", "\r", "\t"}


def unprintable(text, multiline):
    for char in text:
        if multiline and char in _ALLOWED_CONTROLS:
            continue
        category = unicodedata.category(char)
        # Cc: control (NUL breaks PostgreSQL), Cs: lone surrogate (not UTF-8),
        # Co/Cn: private or unassigned code points.
        if category in ("Cc", "Cs", "Co", "Cn"):
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


class KindlingForm(FlaskForm):
    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        for field in _fields(self):
            if isinstance(field, (StringField, TextAreaField)) and isinstance(field.data, str):
                if unprintable(field.data, isinstance(field, TextAreaField)):
                    field.errors = list(field.errors) + ["Remove the control or invisible characters."]
                    valid = False
            if field.errors and isinstance(field.errors, list):
                field.errors[:] = [_human(field, message) for message in field.errors]
        return valid


def strip_filter(value):
    return value.strip() if isinstance(value, str) else value


def int_arg(value):
    """`request.args.get(name, type=int_arg)`: a whole number a database column can hold, else the default."""
    number = int(value)
    if not -(2**31) < number < 2**31:
        raise ValueError("out of range")
    return number
