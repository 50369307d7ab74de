"""Hold-up forms. Field names match the services' error fields, so a refusal shows beside its field."""
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.forms import KindlingForm, strip_filter
from challenges.holdups.models import STEP_KINDS
from challenges.holdups.services.board import ACTION_MAX, CLUSTER_NAME_MAX, NOTE_MAX, QUESTION_MAX
from challenges.holdups.services.registration import AUDIENCES, MESSAGE_MAX
from challenges.holdups.services.report import FOLLOW_UP_MAX
from challenges.holdups.services.zones import zone_names

# Long text is checked by the services (and refused beside the field with its length), not cut by the form.
_ROOM = 100_000


class HoldupForm(KindlingForm):
    day = DateField("Date", validators=[InputRequired("Give the day of the session.")])
    at = TimeField("Start time", validators=[InputRequired("Give the start time.")],
                   description="In the time zone below.")
    time_zone = SelectField("Time zone", default="Europe/Paris",
                            validators=[InputRequired("Choose a time zone.")])
    duration_minutes = IntegerField("Duration (minutes)", default=120,
                                    validators=[InputRequired("Give the duration in minutes."),
                                                NumberRange(15, 600, "The session lasts 15 to 600 minutes.")])
    capacity = IntegerField("Capacity (participants)", default=15,
                            validators=[InputRequired("Give the number of seats."),
                                        NumberRange(1, 500, "Capacity is 1 to 500 participants.")],
                            description="Past it, members join a waitlist.")
    place = StringField("Place", filters=[strip_filter], validators=[Length(max=300, message="Use at most 300 characters.")],
                        description="An address. Shown only to registered participants.")
    online_link = StringField("Online link", filters=[strip_filter],
                              validators=[Length(max=500, message="Use at most 500 characters.")],
                              description="A video-call link. Shown only to registered participants.")
    facilitator = StringField("Facilitator (username)", filters=[strip_filter],
                              validators=[Length(max=30, message="Use at most 30 characters.")],
                              description="Leave empty to facilitate yourself.")
    dot_budget = IntegerField("Dots per participant", default=3,
                              validators=[InputRequired("Give the dot budget."),
                                          NumberRange(1, 20, "Give each participant 1 to 20 dots.")])
    public_can_watch = BooleanField("The public may watch the live board (read only)", default=True)
    participants_cluster = BooleanField("Participants may create clusters and move notes")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.time_zone.choices = {name: name for name in zone_names()}


class StepForm(KindlingForm):
    title = StringField("Step", filters=[strip_filter],
                        validators=[DataRequired("Give the step a name."), Length(max=80, message="Use at most 80 characters.")])
    minutes = IntegerField("Minutes", validators=[InputRequired("Give the minutes."),
                                                  NumberRange(1, 240, "A step lasts 1 to 240 minutes.")])
    kind = SelectField("What happens", choices=dict(STEP_KINDS), default="other")


class RegisterForm(KindlingForm):
    accept_norms = BooleanField("I have read and accept the norms")
    credited = BooleanField("Credit me by name in the report", default=True)


class CreditForm(KindlingForm):
    credited = BooleanField("Credit me by name in the report")


class ConsoleForm(KindlingForm):
    from_step = IntegerField("Step", validators=[InputRequired(), NumberRange(0, 1_000)])
    minutes = IntegerField("Minutes", validators=[Optional(), NumberRange(-30, 30, "Add or remove at most 30 minutes.")])


class QuestionForm(KindlingForm):
    body = TextAreaField("Your question", filters=[strip_filter],
                         validators=[DataRequired("Write the question first."), Length(max=_ROOM)],
                         description=f"Up to {QUESTION_MAX} characters.")


class NoteForm(KindlingForm):
    body = TextAreaField("Your note", filters=[strip_filter],
                         validators=[DataRequired("Write the note first."), Length(max=_ROOM)],
                         description=f"One idea per note, up to {NOTE_MAX} characters.")


class ClusterForm(KindlingForm):
    name = StringField("New cluster", filters=[strip_filter],
                       validators=[DataRequired("Name the cluster."), Length(max=_ROOM)],
                       description=f"Up to {CLUSTER_NAME_MAX} characters.")


class MoveForm(KindlingForm):
    cluster_id = SelectField("Move to", coerce=int, validate_choice=False)


class DotForm(KindlingForm):
    target_kind = HiddenField()
    target_id = IntegerField(validators=[InputRequired()])


class ActionForm(KindlingForm):
    what = TextAreaField("What", filters=[strip_filter],
                         validators=[DataRequired("Say what will be done."), Length(max=_ROOM)],
                         description=f"Up to {ACTION_MAX} characters.")
    who_id = SelectField("Who", coerce=int, validate_choice=False,
                         validators=[NumberRange(0, 2**31 - 1, "Choose who does it.")])
    due_on = DateField("By when", validators=[InputRequired("Give the day it is done by.")])
    cluster_id = SelectField("From cluster", coerce=int, validate_choice=False, default=0,
                             validators=[NumberRange(0, 2**31 - 1, "Choose a cluster of this board.")])


class MessageForm(KindlingForm):
    audience = RadioField("To", choices=dict(AUDIENCES), default="registered",
                          validators=[InputRequired("Choose who receives the message.")])
    body = TextAreaField("Message", filters=[strip_filter],
                         validators=[DataRequired("Write the message first."), Length(max=_ROOM)],
                         description=f"Up to {MESSAGE_MAX:,} characters.")


class FollowUpForm(KindlingForm):
    follow_up = TextAreaField("What we did with your ideas", filters=[strip_filter],
                              validators=[DataRequired("Write the follow-up first."), Length(max=_ROOM)],
                              description=f"Markdown, up to {FOLLOW_UP_MAX:,} characters. Participants see it on "
                                          "the report and on their profile.")


class TimeZoneForm(KindlingForm):
    time_zone = SelectField("Your time zone", validators=[InputRequired("Choose a time zone.")])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.time_zone.choices = {name: name for name in zone_names()}
