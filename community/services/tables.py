"""The dashboards' tables: one shape for the page, the charts and the CSV exports."""
from dataclasses import dataclass, field

from sqlalchemy import select

from app.auth.models import User
from app.extensions import db
from community.services.insights import DEFINITIONS, monthly

TABLE_NAMES = ("summary", "activity", "diversity", "contributors", "quality", "speed", "funnel", "retention")


@dataclass
class Table:
    name: str
    title: str
    definition: str
    headers: list
    rows: list = field(default_factory=list)


def percent(value):
    return "—" if value is None else f"{100 * value:.1f} %"


def number(value, digits=2):
    if value is None:
        return "—"
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.{digits}f}"


def duration(seconds):
    if seconds is None:
        return "—"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def _change(now, before):
    if now is None or before is None:
        return "—"
    difference = now - before
    return f"{difference:+,.0f}" if float(difference).is_integer() else f"{difference:+,.2f}"


def build_tables(result, previous=None):
    tables = {}
    summary_rows = [
        ("Active participants", "active", number),
        ("New members", "new", number),
        ("Returning members", "returning", number),
        ("Contributions", "contributions", number),
        ("Ideas", "ideas", number),
        ("Comments", "comments", number),
        ("Supports", "supports", number),
        ("Share from first-time members", "first_time_share", percent),
        ("Median time to first response", "response_median_s", duration),
    ]
    headers = ["Figure", "This period"] + (["Previous period", "Change"] if previous else [])
    rows = []
    for label, key, show in summary_rows:
        row = [label, show(result[key])]
        if previous:
            row += [show(previous[key]), _change(result[key], previous[key]) if show is number else
                    _difference_text(result[key], previous[key], show)]
        rows.append(row)
    tables["summary"] = Table("summary", "Summary", DEFINITIONS["active"] + " " + DEFINITIONS["new"] + " "
                              + DEFINITIONS["first_time_share"], headers, rows)

    series = result["series"]
    by_month = len(series) > 92
    points = monthly(series) if by_month else series
    tables["activity"] = Table(
        "activity", "Contributions per " + ("month" if by_month else "day"), DEFINITIONS["per_day"],
        ["Month" if by_month else "Day", "Ideas", "Comments", "Supports",
         "Busiest day's active members" if by_month else "Active members"],
        [[point[0].isoformat()[:7] if by_month else point[0].isoformat(), *point[1:]] for point in points])

    tables["diversity"] = Table("diversity", "Diversity", DEFINITIONS["top10"] + " " + DEFINITIONS["gini"] + " "
                                + DEFINITIONS["skills"], ["Figure", "Value"], [
        ["Share from the top 10 % of contributors", percent(result["top10"])],
        ["Gini coefficient", "—" if result["gini"] is None else f"{result['gini']:.3f}"],
        ["Distinct skills", number(result["distinct_skills"])],
        ["Distinct interests", number(result["distinct_interests"])],
        ["Alumni (members of past challenges)", number(result["alumni"])],
    ])
    names = _names([user_id for user_id, _ in result["top_members"]])
    tables["contributors"] = Table(
        "contributors", "Most active contributors", "Public contributions of the period's ten most active members.",
        ["Member", "Ideas", "Comments", "Supports", "Total"],
        [[names.get(user_id, "?"), *counts, sum(counts)] for user_id, counts in result["top_members"]])
    quality = result["quality"]
    tables["quality"] = Table("quality", "Quality", DEFINITIONS["quality"], ["Figure", "Value"], [
        ["Public ideas submitted", number(quality["ideas"])],
        ["Reached the first milestone", f"{quality['milestone']} ({percent(quality['milestone_share'])})"],
        ["Shortlisted", f"{quality['shortlisted']} ({percent(quality['shortlisted_share'])})"],
        ["Selected", f"{quality['selected']} ({percent(quality['selected_share'])})"],
        ["Supporters per idea", number(quality["supports_per_idea"])],
        ["Ideas that build on another", number(quality["builds_on"])],
    ])
    tables["speed"] = Table("speed", "Speed", DEFINITIONS["speed"], ["Median", "Time"], [
        ["Time to first response", duration(result["response_median_s"])],
        ["Time to a moderation decision", duration(result["decision_median_s"])],
        ["Time from submission to review decision", duration(result["review_median_s"])],
    ])
    funnel = result["funnel"]
    tables["funnel"] = Table("funnel", "Funnel", DEFINITIONS["funnel"], ["Step", "Members"], [
        ["Visitors", "not counted"],
        ["Joined", funnel["registered"]],
        ["First contribution", funnel["first"]],
        ["Second contribution within 30 days", funnel["second"]],
    ])
    width = max((len(c["retained"]) for c in result["cohorts"]), default=0)
    tables["retention"] = Table(
        "retention", "Retention by monthly cohort", DEFINITIONS["retention"],
        ["Cohort", "Members"] + [f"M+{n}" for n in range(1, width + 1)],
        [[c["month"], c["size"], *c["retained"], *[""] * (width - len(c["retained"]))] for c in result["cohorts"]])
    return tables


def _difference_text(now, before, show):
    if now is None or before is None:
        return "—"
    if show is percent:
        return f"{100 * (now - before):+.1f} points"
    return ("+" if now >= before else "−") + show(abs(now - before))


def _names(user_ids):
    if not user_ids:
        return {}
    return {row.id: row.username for row in db.session.execute(
        select(User.id, User.username).where(User.id.in_(user_ids)))}
