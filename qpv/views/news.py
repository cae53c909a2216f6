"""News of the neighbourhoods ("actualités du quartier"): public lists and pages, staff writing.

Public: every published news item, metropole-wide (filter by QPV) or on a QPV's page (its own news
and the metropole-wide ones). An item not published yet (a draft, or scheduled later) is a 404,
except for the staff who may publish it, who see it as a preview.

Staff: `qpv.publish_news` on the item's QPV (referents of the commune, coordinators); on None for
metropole-wide news, which only coordinators publish. Everyone else gets a 403, visitors the login.
"""

from __future__ import annotations

from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_safe

from participation.datacache import public_page
from participation.dates import date_format
from participation.http import AuthenticatedHttpRequest
from participation.scopes import get_object_for, require_perm
from participation.storage import stored_file_response
from participation.uploads import accepts_upload
from qpv.forms import NewsFilterForm, NewsForm
from qpv.models import QPV, NewsItem, NewsItemQuerySet
from qpv.services import news as services
from qpv.services.news import NewsError
from qpv.shortcuts import qpv_or_404

NEWS_PER_PAGE = 12
STAFF_NEWS_PER_PAGE = 50


def _published() -> NewsItemQuerySet:
    return (
        NewsItem.objects.published().select_related("qpv__commune").order_by("-published_at", "-pk")
    )


# Public -------------------------------------------------------------------------------------------


@require_GET
@public_page("news")
def news(request: HttpRequest) -> HttpResponse:
    # The header's menu lists the same QPV: one query serves the menu and the filter.
    qpvs = list(QPV.objects.for_listing())
    form = NewsFilterForm(request.GET, qpvs=qpvs)
    page_obj = Paginator(form.filter(_published()), NEWS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "qpv/news_list.html",
        {
            "form": form,
            "page_obj": page_obj,
            "qpv": None,
            "selected_qpv": form.selected_qpv,
            "menu_qpvs": qpvs,
        },
        status=400 if form.errors else 200,
    )


@require_GET
@public_page("news")
def qpv_news(request: HttpRequest, slug: str) -> HttpResponse:
    qpv = get_object_or_404(QPV.objects.select_related("commune"), slug=slug)
    page_obj = Paginator(_published().for_qpv(qpv), NEWS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "qpv/news_list.html",
        {"form": None, "page_obj": page_obj, "qpv": qpv, "selected_qpv": None},
    )


def _visible_news_or_404(request: HttpRequest, pk: int) -> tuple[NewsItem, bool, bool]:
    """The item, whether it is public, whether the user may publish it; 404 when they may not see it."""
    item = get_object_or_404(NewsItem.objects.select_related("qpv__commune"), pk=pk)
    now = timezone.now()
    is_public = item.is_published and item.published_at is not None and item.published_at <= now
    can_publish = request.user.has_perm("qpv.publish_news", item.qpv)
    if not is_public and not can_publish:
        # Not "forbidden": the page does not tell that an unpublished item exists.
        raise Http404
    return item, is_public, can_publish


@require_GET
def news_item(request: HttpRequest, pk: int) -> HttpResponse:
    item, is_public, can_publish = _visible_news_or_404(request, pk)
    return render(
        request,
        "qpv/news_item.html",
        {"news": item, "is_public": is_public, "can_publish": can_publish},
    )


# Stored images were re-encoded by us (qpv/services_news.py): the extension names their format.
NEWS_IMAGE_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
}


@require_safe
def news_image(request: HttpRequest, pk: int) -> FileResponse:
    """A news item's image, to whoever may see the item, with a content type we chose.

    Uploaded files are never served from a public media folder: each goes through a view that checks
    who asks and names the type, and the browser is told not to guess it nor run anything in it.
    """
    item, is_public, _can_publish = _visible_news_or_404(request, pk)
    content_type = NEWS_IMAGE_TYPES.get(Path(item.image.name or "").suffix.lower())
    if content_type is None:
        raise Http404("This news item has no image.")
    response = stored_file_response(item.image, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "public, max-age=300" if is_public else "private, no-store"
    return response


# Staff --------------------------------------------------------------------------------------------


@login_required
@require_GET
def staff_news(request: HttpRequest) -> HttpResponse:
    # The news the user may publish (qpv.publish_news): their QPV's, and the metropole's for
    # coordinators. Publishing nowhere: the page is not theirs.
    qpvs = list(QPV.objects.for_listing().visible_to(request.user, "qpv.publish_news"))
    can_publish_metropole = request.user.has_perm("qpv.publish_news", None)
    if not (qpvs or can_publish_metropole):
        raise PermissionDenied
    items = (
        NewsItem.objects.visible_to(request.user)
        .select_related("qpv__commune", "author")
        .order_by("-created_at", "-pk")
    )
    page = Paginator(items, STAFF_NEWS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "qpv/news_staff.html",
        {
            "page": page,
            "items": page.object_list,
            "now": timezone.now(),
            "qpvs": qpvs,
            "can_publish_metropole": can_publish_metropole,
        },
    )


def _render_form(
    request: HttpRequest, form: NewsForm, *, qpv: QPV | None, news: NewsItem | None, status: int
) -> HttpResponse:
    return render(
        request,
        "qpv/news_form.html",
        {
            "form": form,
            "qpv": qpv,
            "news": news,
            # A file input cannot be filled again: say so when the form comes back with errors.
            "image_lost": bool(form.is_bound and form.errors and request.FILES.get("image")),
        },
        status=status,
    )


def _add_error(form: NewsForm, error: NewsError) -> None:
    field = error.code if error.code in form.fields else None
    form.add_error(field, error)


@login_required
@require_http_methods(["GET", "POST"])
@accepts_upload
def news_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A news item of the QPV given as ?qpv=slug, or metropole-wide without it."""
    slug = request.GET.get("qpv", "")
    qpv = qpv_or_404(slug) if slug else None
    require_perm(request, "qpv.publish_news", qpv)
    if request.method == "POST":
        form = NewsForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                item = services.news_create(
                    qpv=qpv,
                    title=data["title"],
                    body_markdown=data["body_markdown"],
                    easy_read=data["easy_read"],
                    image=data["image"],
                    image_alt=data["image_alt"],
                    publication=form.publication_choice,
                    by=request.user,
                )
            except NewsError as error:
                _add_error(form, error)
            else:
                messages.success(request, _published_message(item))
                return redirect(item)
        return _render_form(request, form, qpv=qpv, news=None, status=400)
    return _render_form(request, NewsForm(), qpv=qpv, news=None, status=200)


@login_required
@require_http_methods(["GET", "POST"])
@accepts_upload
def news_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item = get_object_for(
        request, NewsItem.objects.select_related("qpv__commune"), "qpv.publish_news", pk=pk
    )
    if request.method == "POST":
        form = NewsForm(request.POST, request.FILES, news=item)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.news_update(
                    news=item,
                    title=data["title"],
                    body_markdown=data["body_markdown"],
                    easy_read=data["easy_read"],
                    image=data["image"],
                    remove_image=data.get("remove_image", False),
                    image_alt=data["image_alt"],
                    publication=form.publication_choice,
                    by=request.user,
                )
            except NewsError as error:
                # The service checks everything before it changes the instance.
                _add_error(form, error)
            else:
                messages.success(request, _published_message(item))
                return redirect(item)
        return _render_form(request, form, qpv=item.qpv, news=item, status=400)
    return _render_form(request, NewsForm(news=item), qpv=item.qpv, news=item, status=200)


def _published_message(item: NewsItem) -> str:
    if not item.is_published:
        return _("The news is saved as a draft: it is not shown on the site.")
    assert item.published_at is not None  # a published item has its date (news_create/update)
    if item.published_at > timezone.now():
        return _("The news is saved: it will be published on %(date)s.") % {
            "date": date_format(timezone.localtime(item.published_at), "SHORT_DATETIME_FORMAT")
        }
    return _("The news is published.")
