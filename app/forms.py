"""The base form: every text field refuses characters no person types."""
import unicodedata

from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField

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


class KindlingForm(FlaskForm):
    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        for field in self:
            if isinstance(field, (StringField, TextAreaField)) and isinstance(field.data, str):
                if unprintable(field.data, isinstance(field, TextAreaField)):
                    field.errors = list(field.errors) + ["Remove the control or invisible characters."]
                    valid = False
        return valid


def strip_filter(value):
    return value.strip() if isinstance(value, str) else value


def int_arg(value):
    """`request.args.get(name, type=int_arg)`: a whole number a database column can hold, else the default."""
    number = int(value)
    if not -(2**31) < number < 2**31:
        raise ValueError("out of range")
    return number
