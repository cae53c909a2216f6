from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from participation.easy_read import EASY_READ_MAX_LENGTH
from participation.scopes import Reach, ScopedQuerySet


class CommuneQuerySet(ScopedQuerySet):
    # The communes where a user holds a permission: `visible_to(user, perm)` (participation.scopes).
    reach = Reach(communes=("pk",))


class Commune(models.Model):
    insee_code = models.CharField(_("INSEE code"), max_length=5, unique=True)
    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)

    objects = CommuneQuerySet.as_manager()

    class Meta:
        verbose_name = _("commune")
        verbose_name_plural = _("communes")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class NPNRU(models.TextChoices):
    NONE = "", _("No urban renewal project")
    REGIONAL = "regional", _("NPNRU of regional interest")
    NATIONAL = "national", _("NPNRU of national interest")


class QPVQuerySet(ScopedQuerySet):
    # The QPV where a user holds a permission: `visible_to(user, perm)` (participation.scopes).
    reach = Reach(qpv="pk", communes=("commune",))

    def for_listing(self) -> QPVQuerySet:
        return self.select_related("commune").order_by("commune__name", "name")

    def npnru(self) -> QPVQuerySet:
        return self.exclude(npnru=NPNRU.NONE)


class QPV(models.Model):
    """A priority neighbourhood of the city policy (quartier prioritaire de la politique de la ville)."""

    code_2024 = models.CharField(
        _("2024 code"),
        max_length=9,
        blank=True,
        help_text=_("Official code of the 2024 geography (QN037xxx); may be filled in later."),
    )
    code_2015 = models.CharField(_("2015 code"), max_length=9, blank=True)
    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    commune = models.ForeignKey(
        Commune, on_delete=models.PROTECT, related_name="qpvs", verbose_name=_("commune")
    )
    npnru = models.CharField(
        _("urban renewal (NPNRU)"), max_length=10, choices=NPNRU.choices, blank=True
    )
    description = models.TextField(_("description"), blank=True)
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)

    objects = QPVQuerySet.as_manager()

    class Meta:
        verbose_name = _("QPV")
        verbose_name_plural = _("QPV")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["code_2024"], condition=~Q(code_2024=""), name="qpv_code_2024_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("qpv_page", kwargs={"slug": self.slug})


class OrganisationKind(models.TextChoices):
    VILLE = "ville", _("City")
    METROPOLE = "metropole", _("Métropole")
    ETAT = "etat", _("State service")
    BAILLEUR = "bailleur", _("Social landlord")
    CENTRE_SOCIAL = "centre_social", _("Social centre")
    EVS = "evs", _("Social life space (EVS)")
    ASSOCIATION = "association", _("Association")
    CONSEIL_CITOYEN = "conseil_citoyen", _("Citizens' council")
    COLLECTIF = "collectif", _("Residents' collective")
    AUTRE = "autre", _("Other")


class OrganisationQuerySet(ScopedQuerySet):
    # The organisations a correspondent speaks for (qpv.answer_for_organisation).
    reach = Reach(organisation="pk")
    view_perm = "qpv.answer_for_organisation"

    def active(self) -> OrganisationQuerySet:
        return self.filter(is_active=True)


class Organisation(models.Model):
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=OrganisationKind.choices)
    qpvs = models.ManyToManyField(
        QPV, related_name="organisations", blank=True, verbose_name=_("QPV served")
    )
    contact_email = models.EmailField(_("contact email"), blank=True)
    website = models.URLField(_("website"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    answer_delay_days = models.PositiveSmallIntegerField(
        _("answer delay (days)"),
        default=30,
        help_text=_("Days this organisation has to answer a question addressed to it."),
    )

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["name", "kind"], name="organisation_unique")]

    def __str__(self) -> str:
        return self.name


class Follow(models.Model):
    """A resident follows a QPV: its new meetings reach them in a weekly digest."""

    user = models.ForeignKey(
        "participation.User",
        on_delete=models.CASCADE,
        related_name="follows",
        verbose_name=_("user"),
    )
    qpv = models.ForeignKey(
        QPV, on_delete=models.CASCADE, related_name="follows", verbose_name=_("QPV")
    )
    created_at = models.DateTimeField(_("followed since"), auto_now_add=True)
    last_digest_at = models.DateTimeField(_("last digest sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("follow")
        verbose_name_plural = _("follows")
        constraints = [models.UniqueConstraint(fields=["user", "qpv"], name="follow_unique")]

    def __str__(self) -> str:
        return f"{self.user} → {self.qpv}"


class NewsItemQuerySet(ScopedQuerySet):
    # Staff see the news they may publish (qpv.publish_news): a QPV's, or the metropole's (no QPV).
    reach = Reach(qpv="qpv", communes=("qpv__commune",))
    view_perm = "qpv.publish_news"

    def published(self, now=None) -> NewsItemQuerySet:
        from django.utils import timezone

        return self.filter(is_published=True, published_at__lte=now or timezone.now())

    def for_qpv(self, qpv) -> NewsItemQuerySet:
        """A QPV's news: its own and the metropole-wide ones."""
        return self.filter(models.Q(qpv=qpv) | models.Q(qpv__isnull=True))


class NewsItem(models.Model):
    """News of the neighbourhood ("actualités du quartier"), or metropole-wide when no QPV."""

    qpv = models.ForeignKey(
        QPV,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="news",
        verbose_name=_("QPV"),
        help_text=_("Empty: news of the whole metropole."),
    )
    title = models.CharField(_("title"), max_length=200)
    body_markdown = models.TextField(_("text (Markdown)"), max_length=20000)
    easy_read = models.CharField(
        _("easy-read summary"), max_length=EASY_READ_MAX_LENGTH, blank=True
    )
    # Rendered from Markdown and sanitised (nh3) when saved: templates output it as it is.
    body_html = models.TextField(editable=False, blank=True)
    image = models.ImageField(_("image"), upload_to="news/%Y/%m/", blank=True, max_length=200)
    image_alt = models.CharField(
        _("image description (alt text)"),
        max_length=250,
        blank=True,
        help_text=_("Required with an image: what it shows, for people who cannot see it."),
    )
    is_published = models.BooleanField(_("published"), default=False)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    author = models.ForeignKey(
        "participation.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = NewsItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("news item")
        verbose_name_plural = _("news")
        ordering = ["-published_at", "-pk"]
        indexes = [
            models.Index(fields=["is_published", "published_at"], name="news_published"),
            models.Index(fields=["qpv", "published_at"], name="news_qpv_published"),
        ]
        constraints = [
            models.CheckConstraint(
                name="news_image_has_alt", condition=Q(image="") | ~Q(image_alt="")
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from django.urls import reverse as url

        return url("qpv:news_item", kwargs={"pk": self.pk})
