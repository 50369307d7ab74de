from wtforms import Form
from wtforms.fields import FieldList, FormField
from wtforms.validators import InputRequired

from app.forms import BoundedIntegerField, KindlingForm
from app.limits import DOT_BUDGET_RANGE, LADDER_MAX_STEPS


class StepForm(Form):
    """One rung; both boxes empty means "no rung here"."""

    supporters = BoundedIntegerField("Supporters", minimum=1, maximum=10_000_000,
                                     message="Give a number of supporters from 1 to 10,000,000.")
    days = BoundedIntegerField("Days", minimum=1, maximum=3_650, message="Give between 1 and 3,650 days.")


class LadderForm(KindlingForm):
    steps = FieldList(FormField(StepForm), min_entries=LADDER_MAX_STEPS, max_entries=LADDER_MAX_STEPS)

    def filled_steps(self):
        """The rungs given, in order, and None; or None and what is wrong.

        Each problem is also put beside the box it is about, so the person
        sees which row to fix."""
        steps, first_problem = [], None

        def refuse(field, message):
            nonlocal first_problem
            field.errors = list(field.errors) + [message]
            first_problem = first_problem or message

        previous = None
        for number, row in enumerate(self.steps, start=1):
            supporters, days = row.form.supporters.data, row.form.days.data
            if supporters is None and days is None:
                continue
            if supporters is None:
                refuse(row.form.supporters, f"Milestone {number}: give the supporters as well as the days.")
                continue
            if days is None:
                refuse(row.form.days, f"Milestone {number}: give the days as well as the supporters.")
                continue
            if previous is not None and supporters <= previous:
                refuse(row.form.supporters, f"Milestone {number} needs more supporters than the one before it "
                                            f"({previous:,}).")
            previous = supporters
            steps.append((supporters, days))
        if not steps and first_problem is None:
            refuse(self.steps[0].form.supporters, "Give at least one milestone.")
        if first_problem:
            return None, first_problem
        return steps, None


class DotRoundForm(KindlingForm):
    budget = BoundedIntegerField(
        "Dots per participant", default=3, minimum=DOT_BUDGET_RANGE[0], maximum=DOT_BUDGET_RANGE[1],
        validators=[InputRequired(f"Give between {DOT_BUDGET_RANGE[0]} and {DOT_BUDGET_RANGE[1]} dots.")],
        message=f"Give between {DOT_BUDGET_RANGE[0]} and {DOT_BUDGET_RANGE[1]} dots.",
    )
