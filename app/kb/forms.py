"""Knowledge forms: input shape only; the rules live in the services."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
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
    title = StringField(
        _l("Title"), description=_l("The question or problem, in the reader's words.")
    )
    body = TextAreaField(
        _l("Text"),
        description=_l(
            "Markdown: **bold**, lists, `code`, [links](https://…), and images "
            "attached below as ![description](address)."
        ),
        render_kw={"rows": 16},
    )
    keywords = StringField(_l("Keywords"), description=_l("Other words people use for this."))
    category = SelectField(_l("Category"), default="", validate_choice=False)
    language = SelectField(
        _l("Language"),
        choices=[SelectChoice(k, v) for k, v in LANGUAGES.items()],
        default="en",
        validate_choice=False,
    )
    translation_of = StringField(
        _l("Translation of (article number)"),
        validators=[Optional(), Length(max=20)],
        description=_l("Empty for an original. A translation is shown to readers of its language."),
    )
    audience = SelectField(
        _l("Who may read it"),
        choices=[SelectChoice(a.value, _l(a.label)) for a in Audience],
        default=Audience.EVERYONE.value,
        validate_choice=False,
    )
    audience_group = SelectField(
        _l("Group (when the audience is a group)"), default="", validate_choice=False
    )
    services = SelectMultipleField(_l("Business services"), choices=[], validate_choice=False)
    cis = StringField(
        _l("Other configuration items"), description=_l("Names of CIs, separated by commas.")
    )
    items = SelectMultipleField(_l("Catalog items"), choices=[], validate_choice=False)
    review_on = DateField(_l("Review by"), validators=[Optional()])


class NewArticleForm(OneSubmission, ArticleForm):
    incident = HiddenField()


class VersionForm(FlaskForm):
    """A state change of an article, on the version the person saw."""

    version = HiddenField()


class FileForm(FlaskForm):
    file = FileField(_l("Image or file"))


class VoteForm(FlaskForm):
    helpful = RadioField(
        _l("Was this helpful?"),
        choices=[SelectChoice("yes", _l("Yes")), SelectChoice("no", _l("No"))],
    )
    comment = TextAreaField(_l("Comment (optional)"), render_kw={"rows": 2})


class SolvedForm(FlaskForm):
    pass


class LinkForm(FlaskForm):
    article = StringField(_l("Article number"))


class FlagForm(FlaskForm):
    article = StringField(_l("Article number"))
    note = TextAreaField(_l("What is wrong?"), render_kw={"rows": 2})
