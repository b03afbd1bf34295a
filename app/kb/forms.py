"""Knowledge forms: input shape only; the rules live in the services."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    DateField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, Optional

from app.forms import OneSubmission
from app.kb.models import Audience
from app.kb.services import LANGUAGES


class ArticleForm(FlaskForm):
    version = HiddenField()
    title = StringField("Title", description="The question or problem, in the reader's words.")
    body = TextAreaField(
        "Text",
        description="Markdown: **bold**, lists, `code`, [links](https://…), and images "
        "attached below as ![description](address).",
        render_kw={"rows": 16},
    )
    keywords = StringField("Keywords", description="Other words people use for this.")
    category = SelectField("Category", default="", validate_choice=False)
    language = SelectField(
        "Language",
        choices=[SelectChoice(k, v) for k, v in LANGUAGES.items()],
        default="en",
        validate_choice=False,
    )
    translation_of = StringField(
        "Translation of (article number)",
        validators=[Optional(), Length(max=20)],
        description="Empty for an original. A translation is shown to readers of its language.",
    )
    audience = SelectField(
        "Who may read it",
        choices=[SelectChoice(a.value, a.label) for a in Audience],
        default=Audience.EVERYONE.value,
        validate_choice=False,
    )
    audience_group = SelectField(
        "Group (when the audience is a group)", default="", validate_choice=False
    )
    services = SelectMultipleField("Business services", choices=[], validate_choice=False)
    cis = StringField("Other configuration items", description="Names of CIs, separated by commas.")
    items = SelectMultipleField("Catalog items", choices=[], validate_choice=False)
    review_on = DateField("Review by", validators=[Optional()])


class NewArticleForm(OneSubmission, ArticleForm):
    incident = HiddenField()


class VersionForm(FlaskForm):
    """A state change of an article, on the version the person saw."""

    version = HiddenField()


class FileForm(FlaskForm):
    file = FileField("Image or file")


class VoteForm(FlaskForm):
    helpful = RadioField(
        "Was this helpful?", choices=[SelectChoice("yes", "Yes"), SelectChoice("no", "No")]
    )
    comment = TextAreaField("Comment (optional)", render_kw={"rows": 2})


class SolvedForm(FlaskForm):
    pass


class LinkForm(FlaskForm):
    article = StringField("Article number")


class FlagForm(FlaskForm):
    article = StringField("Article number")
    note = TextAreaField("What is wrong?", render_kw={"rows": 2})
