"""`{{ size|file_size }}`: "1,5 Mo", never Django's "Kio" (participation.sizes)."""

from __future__ import annotations

from django import template

from participation.sizes import file_size as _file_size

register = template.Library()


@register.filter(is_safe=True)
def file_size(value) -> str:
    return _file_size(value)
