"""Forms of the moderation desk, the flag control, appeals and watched words."""
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length
from wtforms.widgets import HiddenInput

from app.forms import BoundedIntegerField, KindlingForm, strip_filter
from app.limits import APPEAL_MESSAGE, FLAG_NOTE_MAX, NOTE_MAX, SUSPENSION_DAYS
from moderation.models import WATCH_ACTIONS


def _choices(pairs):
    return [SelectChoice(str(value), label) for value, label in pairs]


class ActionForm(KindlingForm):
    """Every item action: which fields matter depends on the action."""

    # Checked by the service, which names the reasons it accepts.
    reason = StringField("Reason", validators=[Length(max=30)])
    note = TextAreaField("Note for the author", filters=[strip_filter], validators=[Length(max=NOTE_MAX)])
    tags = StringField("Tags", filters=[strip_filter], validators=[Length(max=300)],
                       description="Comma-separated, at most 5.")
    target_id = BoundedIntegerField("Merge into idea number", message="Give the number of an idea, like 42.")
    case_id = BoundedIntegerField(widget=HiddenInput())
    seen_status = StringField(validators=[Length(max=20)])
    # A pending edit's id and version as the moderator read them (issue 14, item 7).
    edit_id = BoundedIntegerField(widget=HiddenInput())
    edit_version = BoundedIntegerField(widget=HiddenInput())


class FlagForm(KindlingForm):
    reason = StringField("Why?", validators=[Length(max=30)])
    note = TextAreaField("Details", filters=[strip_filter], validators=[Length(max=FLAG_NOTE_MAX)],
                         description="Required for “Other”.")


class AppealForm(KindlingForm):
    message = TextAreaField("Why should the moderators look again?", filters=[strip_filter],
                            validators=[Length(max=APPEAL_MESSAGE[1])],
                            description="You may appeal once; a moderator who reads it decides.")


class SuspendForm(KindlingForm):
    days = SelectField("Duration", choices=_choices((d, f"{d} day{'s' if d > 1 else ''}") for d in SUSPENSION_DAYS),
                       coerce=int, validate_choice=False, default=7)
    reason = TextAreaField("Reason (the member sees it)", filters=[strip_filter], validators=[Length(max=NOTE_MAX)])


class LiftForm(KindlingForm):
    note = TextAreaField("Note", filters=[strip_filter], validators=[Length(max=NOTE_MAX)])


class WatchedWordForm(KindlingForm):
    pattern = StringField("Word or pattern", filters=[strip_filter], validators=[Length(max=200)])
    is_regex = BooleanField("It is a regular expression")
    action = SelectField("When a post contains it", choices=_choices(WATCH_ACTIONS.items()),
                         validate_choice=False)
    message = StringField("Message shown when blocked (optional)", filters=[strip_filter],
                          validators=[Length(max=300)])


class AppointForm(KindlingForm):
    username = StringField("Username", filters=[strip_filter], validators=[Length(max=30)])
