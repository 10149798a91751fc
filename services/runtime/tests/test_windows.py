"""Moving windows in memory, and shared by two processes' worth of counters through a real
``redis-server``; an unreachable store counts locally."""

import time
import uuid

import pytest
import time_machine

from inkwell_runtime.settings import redis_url as storage_url
from inkwell_runtime.windows import MovingWindows
from inkwell_testing.redis import free_port, redis_fixture

pytestmark = pytest.mark.anyio
redis_url = redis_fixture()


def key() -> str:
    return uuid.uuid4().hex


async def test_hit_allows_the_limit_then_says_how_long_to_wait() -> None:
    windows = MovingWindows("3/minute", "test", key_prefix="t")
    k = key()

    assert [await windows.hit(k) for _ in range(4)][:3] == [None, None, None]
    wait = await windows.hit(k)
    assert wait is not None and 0 < wait <= 61
    assert await windows.hit(key()) is None  # another key has its own window


async def test_count_and_retry_after_count_without_asking_and_ask_without_counting() -> None:
    windows = MovingWindows("2/minute", "test", key_prefix="t")
    k = key()

    assert await windows.retry_after(k) is None
    assert await windows.retry_after(k) is None  # asking counts nothing
    await windows.count(k)
    await windows.count(k)
    wait = await windows.retry_after(k)
    assert wait is not None and 0 < wait <= 61
    with time_machine.travel(time.time() + 61, tick=False):
        assert await windows.retry_after(k) is None


async def test_two_counters_on_one_redis_share_the_window(redis_url: str) -> None:
    first = MovingWindows("3/minute", "test", redis_url, key_prefix="t")
    second = MovingWindows("3/minute", "test", redis_url, key_prefix="t")
    other_service = MovingWindows("3/minute", "test", redis_url, key_prefix="other")
    k = key()
    try:
        answers = [await (first if i % 2 else second).hit(k) for i in range(4)]
        elsewhere = await other_service.hit(k)
    finally:
        for windows in (first, second, other_service):
            await windows.aclose()

    assert answers[:3] == [None, None, None] and answers[3] is not None
    assert elsewhere is None  # another key prefix is another count
    assert first.shared


async def test_an_unreachable_store_counts_locally() -> None:
    windows = MovingWindows("2/minute", "test", f"redis://127.0.0.1:{free_port()}", key_prefix="t")
    k = key()

    assert [await windows.hit(k) for _ in range(2)] == [None, None]
    assert await windows.hit(k) is not None


def test_only_redis_urls_are_stores() -> None:
    assert storage_url(None) is None
    assert storage_url("  ") is None
    assert storage_url(" redis://r:6379/0 ") == "redis://r:6379/0"
    assert storage_url("rediss://r:6380/1") == "rediss://r:6380/1"
    with pytest.raises(ValueError, match="must be a redis:// or rediss:// URL"):
        storage_url("memcached://m:11211")
