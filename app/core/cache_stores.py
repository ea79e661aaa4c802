"""Where kept pages live (app/core/cache.py): in each process's memory, bounded by
size, or in Redis, shared by every process. A store that is down is a cache miss."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from typing import Any

from flask import current_app


class MemoryStore:
    """Least recently used entries first out, bounded by total size."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, tuple[Any, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> Any:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            self._entries.move_to_end(key)
            return entry[0]

    def get_many(self, keys: list[str]) -> list[Any]:
        return [self.get(key) for key in keys]

    def set_many(self, values: dict[str, Any]) -> None:
        for key, value in values.items():
            self.set(key, value, 2 * len(json.dumps(value)) + 200)

    def set(self, key: str, value: Any, size: int) -> None:
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._entries[key] = (value, size)
            self._bytes += size
            while self._bytes > self.max_bytes:
                _key, (_value, dropped) = self._entries.popitem(last=False)
                self._bytes -= dropped

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0


class RedisStore:
    """Shared by every process; entries expire, since old tokens are never asked for again."""

    def __init__(self, url: str, seconds: int) -> None:
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self.seconds = seconds

    def get(self, key: str) -> Any:
        try:
            raw = self.client.get(key)
        except Exception:  # noqa: BLE001 - a cache that is down is a cache miss, not an error page
            current_app.logger.warning("page cache: Redis unavailable", exc_info=True)
            return None
        return json.loads(raw) if raw else None

    def get_many(self, keys: list[str]) -> list[Any]:
        """One round trip for many keys (a page's comment fragments)."""
        if not keys:
            return []
        try:
            raws = self.client.mget(keys)
        except Exception:  # noqa: BLE001
            current_app.logger.warning("page cache: Redis unavailable", exc_info=True)
            return [None] * len(keys)
        return [json.loads(raw) if raw else None for raw in raws]

    def set_many(self, values: dict[str, Any]) -> None:
        try:
            pipe = self.client.pipeline(transaction=False)
            for key, value in values.items():
                pipe.set(key, json.dumps(value), ex=self.seconds)
            pipe.execute()
        except Exception:  # noqa: BLE001
            current_app.logger.warning("page cache: Redis unavailable", exc_info=True)

    def set(self, key: str, value: Any, size: int) -> None:
        try:
            self.client.set(key, json.dumps(value), ex=self.seconds)
        except Exception:  # noqa: BLE001
            current_app.logger.warning("page cache: Redis unavailable", exc_info=True)

    def clear(self) -> None:
        try:
            for key in self.client.scan_iter("agora:page:*"):
                self.client.delete(key)
        except Exception:  # noqa: BLE001
            current_app.logger.warning("page cache: Redis unavailable", exc_info=True)
