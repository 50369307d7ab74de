from wtforms import PasswordField
from wtforms.validators import DataRequired, Length

from app.auth.forms import LoginForm
from app.auth.passwords import PASSWORD_MAX
from app.forms import KindlingForm

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
    login = LoginForm.login


class ResetForm(KindlingForm):
    password = PasswordField(
        "New password",
        validators=[DataRequired("Choose a new password."), Length(max=PASSWORD_MAX, message=TOO_LONG)],
        description="At least 10 characters, and not a common password.",
    )
