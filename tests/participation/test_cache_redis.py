"""The Redis cache backend (participation/redis_cache.py): Django's, with one redis-py client per
connection pool instead of one per cache call (issue 9). Needs a real Redis (always set in CI)."""

from __future__ import annotations

import os
import threading

import pytest

from participation.redis_cache import RedisCache

REDIS_URL = os.environ.get("REDIS_URL")
pytestmark = pytest.mark.skipif(
    not REDIS_URL, reason="needs REDIS_URL (a real Redis); always set in CI"
)


@pytest.fixture
def cache():
    backend = RedisCache(REDIS_URL, {"KEY_PREFIX": "test-redis-cache"})
    yield backend
    backend.delete_many(["a", "n", "gone"])


def test_one_client_per_pool_and_the_cache_works(cache):
    first = cache._cache.get_client(write=True)
    assert cache._cache.get_client(write=True) is first
    assert cache._cache.get_client() is first  # one server: reads use the same pool

    cache.set("a", {"page": b"<html>"}, 30)
    assert cache.get("a") == {"page": b"<html>"}
    assert cache.add("n", 1, 30)
    assert cache.incr("n") == 2
    assert cache.get("gone") is None


def test_threads_share_the_client_safely(cache):
    cache.set("n", 0, 30)
    errors = []

    def work():
        try:
            for _ in range(50):
                cache.incr("n")
        except Exception as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert cache.get("n") == 400
