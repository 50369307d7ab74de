from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from app.auth.models import EMAIL_MAX
from app.auth.passwords import PASSWORD_MAX
from app.forms import KindlingForm, strip_filter

TOO_LONG = "Use at most %(max)d characters."


class PasswordChangeForm(KindlingForm):
    current_password = PasswordField(
        "Current password",
        validators=[DataRequired("Enter your current password."), Length(max=PASSWORD_MAX, message=TOO_LONG)],
    )
    password = PasswordField(
        "New password",
        validators=[DataRequired("Choose a new password."), Length(max=PASSWORD_MAX, message=TOO_LONG)],
        description="At least 10 characters, and not a common password. Your other sessions end.",
    )


class ResetRequestForm(KindlingForm):
    login = StringField(
        "Username or e-mail",
        filters=[strip_filter],
        validators=[DataRequired("Enter your username or e-mail."), Length(max=EMAIL_MAX, message=TOO_LONG)],
    )


class ResetForm(KindlingForm):
    password = PasswordField(
        "New password",
        validators=[DataRequired("Choose a new password."), Length(max=PASSWORD_MAX, message=TOO_LONG)],
        description="At least 10 characters, and not a common password.",
    )
