"""Capacity is never exceeded, even when many people register at the same instant (PostgreSQL)."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection, connections

from dialogue.models import Registration, RegistrationStatus
from dialogue.services.registrations import RegistrationError, registration_create
from tests.dialogue.factories import MeetingFactory
from tests.participation.factories import UserFactory

needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks need PostgreSQL (set DATABASE_URL)"
)


def fire(count: int, make_kwargs) -> tuple[list, list]:
    """Run `count` registrations in threads, each on its own database connection, all at once."""
    barrier = threading.Barrier(count)
    results, errors = [], []
    lock = threading.Lock()

    def worker(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            registration = registration_create(**make_kwargs(index))
            with lock:
                results.append(registration)
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
def test_40_simultaneous_registrations_for_15_seats():
    meeting = MeetingFactory(capacity=15)
    users = UserFactory.create_batch(40)
    results, errors = fire(
        40,
        lambda i: {"meeting": meeting, "user": users[i], "name": f"P{i}", "email": users[i].email},
    )
    assert errors == []
    assert len(results) == 40
    statuses = Counter(
        Registration.objects.filter(meeting=meeting).values_list("status", flat=True)
    )
    assert statuses == {RegistrationStatus.CONFIRMED: 15, RegistrationStatus.WAITLISTED: 25}
    emails = list(Registration.objects.filter(meeting=meeting).values_list("email", flat=True))
    assert len(emails) == len(set(emails)) == 40


@needs_postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_simultaneous_duplicates_make_one_registration():
    meeting = MeetingFactory(capacity=15)
    user = UserFactory()
    results, errors = fire(
        10, lambda i: {"meeting": meeting, "user": user, "name": "Same", "email": user.email}
    )
    assert len(results) == 1
    assert len(errors) == 9
    assert all(isinstance(error, RegistrationError) for error in errors)
    assert {error.code for error in errors} == {"duplicate"}
    assert Registration.objects.filter(meeting=meeting).count() == 1
