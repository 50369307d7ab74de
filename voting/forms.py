from wtforms import Form, IntegerField
from wtforms.fields import FieldList, FormField
from wtforms.validators import NumberRange, Optional

from app.forms import KindlingForm
from voting.services.dots import DOT_BUDGET_RANGE
from voting.services.milestones import LADDER_MAX_STEPS


class StepForm(Form):
    """One rung; both boxes empty means "no rung here"."""

    supporters = IntegerField("Supporters", validators=[Optional(), NumberRange(min=1, max=10_000_000,
                              message="Give a number of supporters from 1 to 10,000,000.")])
    days = IntegerField("Days", validators=[Optional(), NumberRange(min=1, max=3_650,
                        message="Give between 1 and 3,650 days.")])


class LadderForm(KindlingForm):
    steps = FieldList(FormField(StepForm), min_entries=LADDER_MAX_STEPS, max_entries=LADDER_MAX_STEPS)

    def filled_steps(self):
        """The rungs given, in order, and None; or None and what is wrong."""
        steps = []
        for number, row in enumerate(self.steps, start=1):
            supporters, days = row.form.supporters.data, row.form.days.data
            if supporters is None and days is None:
                continue
            if supporters is None or days is None:
                return None, f"Milestone {number}: give both the supporters and the days."
            steps.append((supporters, days))
        if not steps:
            return None, "Give at least one milestone."
        return steps, None


class DotRoundForm(KindlingForm):
    budget = IntegerField(
        "Dots per participant", default=3,
        validators=[NumberRange(min=DOT_BUDGET_RANGE[0], max=DOT_BUDGET_RANGE[1],
                                message=f"Give between {DOT_BUDGET_RANGE[0]} and {DOT_BUDGET_RANGE[1]} dots.")],
    )
