"""Forms of the news pages: the public QPV filter and the staff's writing form.

The rules (alt text with an image, the image's type and size, the Markdown's sanitising) live in
qpv.services.news; these forms shape the input, and the views put the service's refusal on the
field it is about. Alt text is also checked here, so that it is reported with the other errors.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from participation.contract import contract_end, in_contract, outside_contract_error
from participation.easy_read import EasyReadField
from qpv.models import QPV, NewsItem, NewsItemQuerySet
from qpv.services.news import MAX_IMAGE_BYTES, Publication

DRAFT = "draft"
NOW = "now"
LATER = "later"
DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
# With and without seconds: browsers send either for datetime-local.
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]


def _style(form: forms.Form) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.RadioSelect | forms.CheckboxInput):
            continue
        if isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select")
        else:
            widget.attrs.setdefault("class", "form-control")


class NewsFilterForm(forms.Form):
    """The QPV filter of the metropole-wide list: a QPV's news and the metropole-wide ones."""

    qpv = forms.ChoiceField(label=_("Neighbourhood"), required=False)

    def __init__(self, data=None, *, qpvs: Sequence[QPV], **kwargs) -> None:
        super().__init__(data, **kwargs)
        groups: dict[str, list[tuple[str, str]]] = {}
        for qpv in qpvs:
            groups.setdefault(qpv.commune.name, []).append((qpv.slug, qpv.name))
        cast(forms.ChoiceField, self.fields["qpv"]).choices = [
            ("", _("All neighbourhoods")),
            *groups.items(),
        ]
        self.qpvs_by_slug = {qpv.slug: qpv for qpv in qpvs}
        _style(self)

    @property
    def selected_qpv(self) -> QPV | None:
        if not self.is_bound or not self.is_valid() or not self.cleaned_data["qpv"]:
            return None
        return self.qpvs_by_slug[self.cleaned_data["qpv"]]

    def filter(self, news: NewsItemQuerySet) -> NewsItemQuerySet:
        qpv = self.selected_qpv
        return news.for_qpv(qpv) if qpv is not None else news


class NewsForm(forms.Form):
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        error_messages={"required": _("Give the news a title.")},
    )
    body_markdown = forms.CharField(
        label=_("Text"),
        max_length=20000,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text=_(
            "Markdown: **bold**, *italics*, “- ” at the start of a line for a list, “## ” for a "
            "heading, [text of the link](https://…) for a link. Images, scripts and styles in the "
            "text are removed."
        ),
        error_messages={"required": _("Write the text of the news.")},
    )
    easy_read = EasyReadField()
    image = forms.FileField(
        label=_("Image (optional)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        help_text=_("JPEG, PNG or WebP, 3 MB at most."),
    )
    remove_image = forms.BooleanField(label=_("Remove the current image"), required=False)
    image_alt = forms.CharField(
        label=_("Description of the image (alt text)"),
        max_length=250,
        required=False,
        help_text=_(
            "Required with an image: say what it shows, for people who cannot see it "
            "(e.g. “Residents planting the shared garden”)."
        ),
    )
    publication = forms.ChoiceField(
        label=_("Publication"),
        widget=forms.RadioSelect,
        choices=[
            (DRAFT, _("Draft: not shown on the site")),
            (NOW, _("Published now")),
            (LATER, _("Published at a later date")),
        ],
        initial=NOW,
        error_messages={"required": _("Choose when to publish.")},
    )
    publish_at = forms.DateTimeField(
        label=_("Publication date and time"),
        required=False,
        widget=DATETIME_WIDGET,
        input_formats=DATETIME_FORMATS,
        help_text=_("Paris time. Only for a publication at a later date."),
        error_messages={"invalid": _("Enter a valid date and time.")},
    )

    def __init__(self, data=None, files=None, *, news: NewsItem | None = None, **kwargs):
        self.news = news
        if news is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_for(news)
        super().__init__(data, files, **kwargs)
        # The widget's own "clear" checkbox is replaced by remove_image (one way, labelled).
        self.fields["image"].widget = forms.FileInput(
            attrs={"accept": "image/jpeg,image/png,image/webp"}
        )
        if news is None or not news.image:
            del self.fields["remove_image"]
        else:
            self.fields["image"].label = _("Replace with another image (optional)")
        self.fields["publish_at"].widget.attrs.update(
            min=timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            max=f"{contract_end().isoformat()}T23:59",
        )
        _style(self)

    @staticmethod
    def initial_for(news: NewsItem) -> dict:
        now = timezone.now()
        if not news.is_published:
            publication = DRAFT
        elif news.published_at and news.published_at > now:
            publication = LATER
        else:
            publication = NOW
        return {
            "title": news.title,
            "body_markdown": news.body_markdown,
            "easy_read": news.easy_read,
            "image_alt": news.image_alt,
            "publication": publication,
            "publish_at": (timezone.localtime(news.published_at) if publication == LATER else None),
        }

    def clean_image(self):
        image = self.cleaned_data.get("image")
        # The size is checked before anything reads the file (the service checks the content).
        if image is not None and image.size > MAX_IMAGE_BYTES:
            raise forms.ValidationError(_("The image is too large: 3 MB at most."))
        return image

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        image = cleaned.get("image")
        keeps_image = (
            self.news is not None and bool(self.news.image) and not cleaned.get("remove_image")
        )
        lacks_alt = not cleaned.get("image_alt", "").strip()
        if (image or keeps_image) and lacks_alt and "image" not in self.errors:
            self.add_error(
                "image_alt",
                _("An image needs its description (alt text), for people who cannot see it."),
            )
        if cleaned.get("publication") == LATER:
            publish_at = cleaned.get("publish_at")
            if publish_at is None and "publish_at" not in self.errors:
                self.add_error("publish_at", _("Choose the date and time of publication."))
            elif publish_at is not None and publish_at <= timezone.now():
                self.add_error(
                    "publish_at",
                    _("This date is past: choose a later one, or publish now."),
                )
            elif publish_at is not None and not in_contract(publish_at):
                self.add_error("publish_at", outside_contract_error())
        return cleaned

    @property
    def publication_choice(self) -> Publication:
        choice = self.cleaned_data["publication"]
        at: datetime | None = self.cleaned_data.get("publish_at") if choice == LATER else None
        return Publication(publish=choice != DRAFT, at=at)
