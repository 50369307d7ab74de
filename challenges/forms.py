from wtforms import BooleanField, DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import HiddenInput

from app.auth.forms import TOO_LONG, TagListField
from app.forms import BoundedIntegerField, IdSelectField, KindlingForm, strip_filter
from app.images import ImageField
from app.limits import (
    CHALLENGE_SUMMARY_MAX,
    CHALLENGE_TAG_LIMIT,
    CHALLENGE_TITLE,
    COMMENT_MAX,
    IDEA_DESCRIPTION,
    IDEA_TAG_LIMIT,
    IDEA_TITLE,
)
from challenges.models import FORMATS, MODERATION_POLICIES, PHASE_LABELS
from challenges.services.ideas import REVIEW_DECISIONS

DATE_HINT = "Phases change at midnight UTC on this day."


class ChallengeForm(KindlingForm):
    title = StringField(
        "Title",
        filters=[strip_filter],
        validators=[DataRequired("Give the challenge a title."), Length(min=CHALLENGE_TITLE[0], max=CHALLENGE_TITLE[1],
                    message=f"Use {CHALLENGE_TITLE[0]} to {CHALLENGE_TITLE[1]} characters.")],
        description="A question works well: “How might we …?”",
    )
    summary = StringField(
        "Summary",
        filters=[strip_filter],
        validators=[DataRequired("Summarise the challenge in a sentence."), Length(max=CHALLENGE_SUMMARY_MAX, message=TOO_LONG)],
        description="One or two sentences shown in lists.",
    )
    problem = TextAreaField(
        "Problem statement",
        filters=[strip_filter],
        validators=[DataRequired("Describe the problem."), Length(max=20_000, message=TOO_LONG)],
        description="Markdown: **bold**, *italic*, lists, [links](https://example.org).",
    )
    norms = TextAreaField(
        "Norms",
        filters=[strip_filter],
        validators=[DataRequired("State the rules of engagement participants accept."),
                    Length(max=5_000, message=TOO_LONG)],
        description="Participants accept these once, before their first contribution.",
    )
    tags = TagListField("Tags", limit=CHALLENGE_TAG_LIMIT, description=f"Comma-separated, up to {CHALLENGE_TAG_LIMIT}.")
    format = RadioField("Format", choices=dict(FORMATS), default="challenge",
                        validators=[InputRequired("Choose a format.")])
    is_open = BooleanField("Open challenge: take ideas and votes at the same time")
    moderation_policy = RadioField("Moderation", choices=dict(MODERATION_POLICIES), default="pre_new",
                                   validators=[InputRequired("Choose a moderation policy.")])
    submission_at = DateField("Ideas open", validators=[InputRequired("Give the day ideas open.")],
                              description=DATE_HINT)
    voting_at = DateField("Voting opens", validators=[Optional()],
                          description="Leave empty for an open challenge.")
    review_at = DateField("Review starts", validators=[InputRequired("Give the day the review starts.")])
    results_at = DateField("Results announced", validators=[InputRequired("Give the day results are announced.")])
    closed_at = DateField("Closes", validators=[Optional()], description="Optional.")
    cover_image = ImageField("Cover image", kind="cover",
                             description="Optional. A PNG, JPEG, GIF or WebP image under 5 MB, shown on the "
                                         "challenge page and its card.")
    remove_cover = BooleanField("Remove the cover image")


class PhaseForm(KindlingForm):
    phase = SelectField("Move to phase", choices={k: v for k, v in PHASE_LABELS.items() if k != "draft"})


class IdeaForm(KindlingForm):
    title = StringField(
        "Title",
        filters=[strip_filter],
        validators=[DataRequired("Give your idea a title."),
                    Length(min=IDEA_TITLE[0], max=IDEA_TITLE[1],
                           message=f"Use {IDEA_TITLE[0]} to {IDEA_TITLE[1]} characters.")],
    )
    description = TextAreaField(
        "Description",
        filters=[strip_filter],
        validators=[DataRequired("Describe your idea."),
                    Length(min=IDEA_DESCRIPTION[0], max=IDEA_DESCRIPTION[1],
                           message=f"Use {IDEA_DESCRIPTION[0]} to {IDEA_DESCRIPTION[1]:,} characters.")],
        description="Markdown: **bold**, *italic*, lists, [links](https://example.org).",
    )
    tags = TagListField("Tags", limit=IDEA_TAG_LIMIT, description=f"Comma-separated, up to {IDEA_TAG_LIMIT}.")
    builds_on = IdSelectField("Builds on", choices={}, message="Choose an idea from the list, or none.",
                              description="Optional: the idea in this challenge that yours extends.")
    accept_norms = BooleanField("I have read and accept this challenge’s norms")


class IdeaEditForm(KindlingForm):
    title = IdeaForm.title
    description = IdeaForm.description
    tags = IdeaForm.tags


class CommentForm(KindlingForm):
    body = TextAreaField(
        "Comment",
        filters=[strip_filter],
        validators=[DataRequired("Write something first."),
                    Length(max=COMMENT_MAX, message=f"Keep comments under {COMMENT_MAX:,} characters.")],
    )
    parent_id = BoundedIntegerField(widget=HiddenInput(), message="The comment you reply to does not exist.")
    accept_norms = BooleanField("I have read and accept this challenge’s norms")


class ReviewForm(KindlingForm):
    decision = RadioField("Decision", choices={d: d.replace("_", " ").capitalize() for d in REVIEW_DECISIONS},
                          validators=[InputRequired("Choose a decision.")])
    feedback = TextAreaField("Feedback to the author", filters=[strip_filter],
                             validators=[Length(max=5_000, message=TOO_LONG)])


class EmptyForm(KindlingForm):
    """Buttons that only need the CSRF token."""

