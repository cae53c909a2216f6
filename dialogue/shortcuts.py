"""Fetch a meeting for a staff page: 404 out of the user's scope, 403 without the permission."""

from __future__ import annotations

from django.http import HttpRequest

from dialogue.models import Meeting
from participation.scopes import get_object_for


def meeting_for(request: HttpRequest, pk: int, perm: str, queryset=None) -> Meeting:
    # The space and its QPV come with the meeting: the permission check then costs no query.
    queryset = queryset if queryset is not None else Meeting.objects.all()
    return get_object_for(request, queryset.select_related("dialogue_space__qpv"), perm, pk=pk)
