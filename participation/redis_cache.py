"""Django's Redis cache backend, without building a redis-py client for every cache call.

`django.core.cache.backends.redis.RedisCacheClient.get_client()` wraps the shared connection pool in
a new `redis.Redis` object at each get, set or incr. With redis-py 8 that object costs as much as
the round trip itself (its response callbacks and event dispatcher are rebuilt each time: 0.42 ms
against 0.35 ms for a GET on the project's 2-core machine), and a cached public page makes two calls
(the data version, then the page). The client holds no connection of its own and is thread-safe:
the pool lends the connections and resets itself in a forked process. One client per pool is kept.
"""

from __future__ import annotations

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient


class RedisCacheClient(DjangoRedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]  # private, not in the stubs
        client = self._clients.get(id(pool))
        if client is None:
            # Two threads may both build one: the second simply replaces the first.
            client = self._clients[id(pool)] = self._client(connection_pool=pool)  # type: ignore[attr-defined]  # idem
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient
