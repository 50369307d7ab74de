import math
from datetime import datetime

from wtforms import BooleanField, DateField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app import clock
from app.auth.forms import TOO_LONG, TagListField
from app.forms import KindlingForm, strip_filter
from community.models import HOLDUP_METRICS, TARGET_METRICS
from community.services.periods import PERIOD_CHOICES, period_problem
from community.services.plans import GOAL_MAX, GROUP_LIMIT


class ClearDateField(DateField):
    """A date field whose parse error says what to type."""

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            self.data = datetime.strptime(valuelist[0].strip(), "%Y-%m-%d").date()
        except ValueError:
            self.data = None
            raise ValueError("Enter a date as YYYY-MM-DD.") from None


class PlanForm(KindlingForm):
    goal = StringField("Goal", filters=[strip_filter],
                       validators=[DataRequired("Say in a sentence what this challenge's community should achieve."),
                                   Length(max=GOAL_MAX, message=TOO_LONG)],
                       description="One sentence, shown on the challenge page.")
    groups = TagListField("Stakeholder groups", limit=GROUP_LIMIT,
                          description=f"Who you want to reach, comma-separated (up to {GROUP_LIMIT}): "
                                      "mentors, alumni, residents…")

    def __init__(self, *args, metrics=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.metrics = metrics if metrics is not None else TARGET_METRICS  # hold-up targets on hold-ups only

    def target_fields(self):
        return [(metric, label, self[f"{metric}_value"], self[f"{metric}_due"])
                for metric, label in self.metrics.items()]

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        today = clock.now().date()
        self.targets = {}
        for metric, _, value_field, due_field in self.target_fields():
            text = (value_field.data or "").strip()
            if not text and due_field.data is None and not due_field.errors:
                continue
            number = None
            try:
                number = float(text.replace(",", "."))
            except ValueError:
                value_field.errors = list(value_field.errors) + ["Enter a number greater than zero."]
            if number is not None and not (math.isfinite(number) and number > 0):
                value_field.errors = list(value_field.errors) + ["Enter a number greater than zero."]
                number = None
            elif number is not None and metric == "first_time_share" and number > 100:
                value_field.errors = list(value_field.errors) + ["A share is at most 100 %."]
                number = None
            elif number is not None and metric in HOLDUP_METRICS and number != int(number):
                value_field.errors = list(value_field.errors) + ["Count members in whole numbers."]
                number = None
            if due_field.data is None and not due_field.errors:
                due_field.errors = list(due_field.errors) + ["Give the date this target is due."]
            elif due_field.data is not None and due_field.data <= today:
                due_field.errors = list(due_field.errors) + ["Pick a date in the future."]
            if value_field.errors or due_field.errors:
                valid = False
            else:
                self.targets[metric] = (number, due_field.data)
        return valid


for _metric in TARGET_METRICS:
    setattr(PlanForm, f"{_metric}_value", StringField("Target", filters=[strip_filter],
                                                      validators=[Length(max=20, message=TOO_LONG)]))
    setattr(PlanForm, f"{_metric}_due", ClearDateField("Due on", validators=[Optional()]))


class PeriodForm(KindlingForm):
    """The period picker: a GET form, so no CSRF token."""

    class Meta:
        csrf = False

    period = SelectField("Period", choices=dict(PERIOD_CHOICES), default="30")
    start = ClearDateField("From", validators=[Optional()])
    end = ClearDateField("To", validators=[Optional()])

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if valid and self.period.data == "custom":
            problem = period_problem(self.start.data, self.end.data)
            if problem:
                field, message = problem
                self[field].errors = list(self[field].errors) + [message]
                valid = False
        return valid


class DecisionForm(KindlingForm):
    """Confirm the proposed contributor of the month, or replace them with a reason."""

    username = StringField("Replace with (username)", filters=[strip_filter],
                           validators=[Length(max=30, message=TOO_LONG)])
    reason = TextAreaField("Reason for the replacement", filters=[strip_filter],
                           validators=[Length(max=300, message=TOO_LONG)])

    def validate_reason(self, field):
        if self.username.data and not field.data:
            raise ValidationError("Say why you replace the proposal; it is shown with the announcement.")


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        if self.data:
            choices = self.choices.keys() if isinstance(self.choices, dict) else [c[0] for c in self.choices]
            allowed = {str(value) for value in choices}
            if any(str(value) not in allowed for value in self.data):
                raise ValidationError("Choose among the members listed.")


class InviteForm(KindlingForm):
    members = MultiCheckboxField("Members to invite", coerce=int)
    message = TextAreaField("Message", filters=[strip_filter],
                            validators=[DataRequired("Write a short message for the invitation."),
                                        Length(max=500, message=TOO_LONG)])


class AlumniInviteForm(KindlingForm):
    target = SelectField("Invite them to", coerce=int, validators=[DataRequired("Choose a challenge.")])
    message = TextAreaField("Message", filters=[strip_filter],
                            validators=[DataRequired("Write a short message for the invitation."),
                                        Length(max=500, message=TOO_LONG)])


class PreferencesForm(KindlingForm):
    no_invitations = BooleanField("Do not suggest me to challenge owners and do not send me their invitations")


__all__ = ["PlanForm", "PeriodForm", "DecisionForm", "InviteForm", "AlumniInviteForm", "PreferencesForm"]
