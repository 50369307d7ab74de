from wtforms import BooleanField, PasswordField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, ValidationError

from app.forms import KindlingForm, strip_filter
from app.images import ImageField
from app.limits import BIO_MAX, DISPLAY_NAME_MAX, EMAIL_MAX, PASSWORD_MAX, PROFILE_TAG_LIMIT, USERNAME_MAX
from app.tags import TagError, parse_tags

TOO_LONG = "Use at most %(max)d characters."


class RegisterForm(KindlingForm):
    username = StringField(
        "Username",
        filters=[strip_filter],
        validators=[DataRequired("Choose a username."), Length(max=USERNAME_MAX, message=TOO_LONG)],
        description="3–30 letters, digits, dots, dashes or underscores. Shown in your profile address.",
    )
    email = StringField(
        "E-mail",
        filters=[strip_filter],
        validators=[
            DataRequired("Enter your e-mail address."),
            Length(max=EMAIL_MAX, message=TOO_LONG),
            Email("Enter a valid e-mail address, like name@example.org."),
        ],
    )
    password = PasswordField(
        "Password",
        validators=[DataRequired("Choose a password."), Length(max=PASSWORD_MAX, message=TOO_LONG)],
        description="At least 10 characters, and not a common password.",
    )

    # The account rules run here as well as in services.register_user (which scripts call), so a form with
    # several problems names each beside its field at once rather than one per try.
    def validate_username(self, field):
        from app.auth.services import username_problem

        if not field.errors and (problem := username_problem(field.data or "")):
            raise ValidationError(problem)

    def validate_password(self, field):
        from app.auth.passwords import password_problem

        if not field.errors and (problem := password_problem(field.data or "", username=self.username.data or "",
                                       email=self.email.data or "")):
            raise ValidationError(problem)


class LoginForm(KindlingForm):
    login = StringField(
        "Username or e-mail",
        filters=[strip_filter],
        validators=[DataRequired("Enter your username or e-mail."), Length(max=EMAIL_MAX, message=TOO_LONG)],
    )
    password = PasswordField(
        "Password", validators=[DataRequired("Enter your password."), Length(max=PASSWORD_MAX, message=TOO_LONG)]
    )
    remember = BooleanField("Remember me on this device")


class TagListField(StringField):
    """Comma-separated tags; `data` is the list of clean names."""

    def __init__(self, *args, limit=PROFILE_TAG_LIMIT, **kwargs):
        super().__init__(*args, **kwargs)
        self.limit = limit
        self.tag_names = []

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return ", ".join(self.data or [])

    def process_formdata(self, valuelist):
        self.data = valuelist[0] if valuelist else ""

    def pre_validate(self, form):
        try:
            self.data = parse_tags(self.data if isinstance(self.data, str) else ", ".join(self.data or []), self.limit)
        except TagError as error:
            raise ValidationError(str(error)) from error


class ProfileForm(KindlingForm):
    display_name = StringField(
        "Display name", filters=[strip_filter], validators=[Length(max=DISPLAY_NAME_MAX, message=TOO_LONG)]
    )
    bio = TextAreaField(
        "About you",
        filters=[strip_filter],
        validators=[Length(max=BIO_MAX, message=f"Keep it under {BIO_MAX} characters.")],
    )
    skills = TagListField("Skills", description="Comma-separated, e.g. design, python, fundraising.")
    interests = TagListField("Interests", description="Comma-separated, e.g. energy, housing, food.")
    avatar_image = ImageField("Avatar picture", kind="avatar",
                              description="Optional. A PNG, JPEG, GIF or WebP image under 5 MB; without one, "
                                          "your initials are shown.")
    remove_avatar = BooleanField("Remove my picture and show my initials")
