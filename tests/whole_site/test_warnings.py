"""Deprecation warnings fail the test run (`filterwarnings` in pyproject.toml).

A dependency or Django announcing a removal shows up as a failing test on the day of the upgrade,
not as a break on the next one.
"""

from __future__ import annotations

import warnings

import pytest
from django.utils.deprecation import RemovedInDjango60Warning, RemovedInDjango61Warning


@pytest.mark.parametrize(
    "category",
    [
        DeprecationWarning,
        PendingDeprecationWarning,
        RemovedInDjango60Warning,
        RemovedInDjango61Warning,
    ],
)
def test_a_deprecation_warning_is_an_error(category):
    with pytest.raises(category):
        warnings.warn("this call goes away in the next version", category, stacklevel=1)
