"""Engagement plans: the owner's goal, the groups to reach, numeric targets with dates."""
import math

from sqlalchemy import delete, select

from app import clock, permissions
from app.extensions import db
from community.models import HOLDUP_METRICS, TARGET_METRICS, EngagementPlan, EngagementTarget
from community.services import holdups

GOAL_MAX = 300
GROUP_LIMIT = 10


class PlanError(ValueError):
    def __init__(self, field, message):
        super().__init__(message)
        self.field = field
        self.message = message


def get_plan(challenge_id):
    return db.session.get(EngagementPlan, challenge_id)


def metrics_for(challenge):
    """{metric: label} an owner may set on this challenge: hold-up targets only on hold-ups."""
    holdup = challenge.format == "holdup"
    return {metric: label for metric, label in TARGET_METRICS.items() if holdup or metric not in HOLDUP_METRICS}


def get_targets(challenge_id):
    rows = db.session.scalars(select(EngagementTarget).where(EngagementTarget.challenge_id == challenge_id))
    order = list(TARGET_METRICS)
    return sorted(rows, key=lambda t: order.index(t.metric) if t.metric in order else len(order))


def save_plan(user, challenge, goal, groups, targets):
    """`targets`: {metric: (value, due_on)}; a metric left out has no target. Flushes, never commits."""
    if not permissions.can_edit_plan(user, challenge):
        raise PermissionError("Only the challenge's owner edits its plan.")
    today = clock.now().date()
    allowed = metrics_for(challenge)
    for metric, (value, due_on) in targets.items():
        if metric in HOLDUP_METRICS and metric not in allowed:
            raise PlanError(metric, "Registration and attendance targets are for hold-ups only.")
        if metric not in allowed:
            raise PlanError(metric, "Unknown target.")
        if value is None or not math.isfinite(value) or value <= 0:
            raise PlanError(f"{metric}_value", "Use a number greater than zero.")
        if metric == "first_time_share" and value > 100:
            raise PlanError(f"{metric}_value", "A share is at most 100 %.")
        if metric in HOLDUP_METRICS and value != int(value):
            raise PlanError(f"{metric}_value", "Count members in whole numbers.")
        if due_on is None or due_on <= today:
            raise PlanError(f"{metric}_due", "Pick a date in the future.")
    plan = get_plan(challenge.id)
    if plan is None:
        plan = EngagementPlan(challenge_id=challenge.id)
        db.session.add(plan)
    plan.goal = goal.strip()[:GOAL_MAX]
    plan.groups = ", ".join(groups[:GROUP_LIMIT])
    plan.updated_at = clock.now()
    plan.updated_by_id = user.id
    db.session.execute(delete(EngagementTarget).where(EngagementTarget.challenge_id == challenge.id))
    for metric, (value, due_on) in targets.items():
        db.session.add(EngagementTarget(challenge_id=challenge.id, metric=metric, value=value, due_on=due_on))
    db.session.flush()
    return plan


def target_progress(targets, current):
    """Each target with the current figure and how far along it is (0–100), for the dashboard.

    `current`: {metric: value or None}. For response time lower is better: met when at or under."""
    rows = []
    for target in targets:
        value = current.get(target.metric)
        if value is None:
            percent = 0
        elif target.metric == "response_hours":
            percent = 100 if value <= target.value else round(100 * target.value / value)
        else:
            percent = min(100, round(100 * value / target.value))
        rows.append({
            "metric": target.metric, "label": TARGET_METRICS[target.metric], "target": target.value,
            "due_on": target.due_on, "current": value, "percent": percent,
            "days_left": (target.due_on - clock.now().date()).days,
            "definition": holdups.DEFINITIONS.get(target.metric, ""),
        })
    return rows
