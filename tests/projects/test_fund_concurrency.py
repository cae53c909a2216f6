"""An envelope is never over-committed, even when the committee's decisions are recorded at the same
instant (PostgreSQL: row locks; CI runs it there)."""

from __future__ import annotations

import threading
from collections import Counter
from decimal import Decimal

import pytest
from django.db import connection, connections

from projects.models import GrantApplication, GrantStatus
from projects.selectors import committed_of
from projects.services.fund import FundError, grant_decide
from tests.participation.factories import UserFactory
from tests.projects.factories import FundEnvelopeFactory, GrantApplicationFactory

needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks need PostgreSQL (set DATABASE_URL)"
)


def fire(count: int, action) -> tuple[list, list]:
    """Run `count` actions in threads, each on its own database connection, all at once."""
    barrier = threading.Barrier(count)
    results, errors = [], []
    lock = threading.Lock()

    def worker(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            result = action(index)
            with lock:
                results.append(result)
        except Exception as error:
            with lock:
                errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results, errors


@needs_postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_20_simultaneous_grants_of_1000_on_an_envelope_of_10000():
    envelope = FundEnvelopeFactory(amount=Decimal("10000.00"))
    applications = GrantApplicationFactory.create_batch(
        20,
        envelope=envelope,
        amount_requested=Decimal("1000.00"),
        budget_lines=[{"label": "Matériel", "amount": "1000.00"}],
    )
    referent = UserFactory()

    results, errors = fire(
        20,
        lambda i: grant_decide(
            application=applications[i], granted=True, amount=Decimal("1000"), by=referent
        ),
    )

    assert len(results) == 10
    assert len(errors) == 10
    assert all(isinstance(error, FundError) for error in errors), errors
    assert {error.code for error in errors} == {"remainder"}
    statuses = Counter(
        GrantApplication.objects.filter(envelope=envelope).values_list("status", flat=True)
    )
    assert statuses == {GrantStatus.GRANTED: 10, GrantStatus.SUBMITTED: 10}
    assert committed_of(envelope.pk) == Decimal("10000.00")


@needs_postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_one_application_decided_at_once_by_ten_people_is_decided_once():
    envelope = FundEnvelopeFactory(amount=Decimal("10000.00"))
    application = GrantApplicationFactory(envelope=envelope, amount_requested=Decimal("1500.00"))
    referent = UserFactory()

    results, errors = fire(
        10,
        lambda i: grant_decide(
            application=application, granted=True, amount=Decimal("1500"), by=referent
        ),
    )

    assert len(results) == 1
    assert len(errors) == 9
    assert {error.code for error in errors} == {"decided"}
    assert committed_of(envelope.pk) == Decimal("1500.00")
