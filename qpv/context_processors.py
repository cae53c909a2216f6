from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def territory(request: HttpRequest) -> dict:
    """The QPV menu of the header, queried only when a template reads it."""
    from qpv.models import QPV

    return {"menu_qpvs": SimpleLazyObject(lambda: list(QPV.objects.for_listing()))}
