"""The Redis limiter's errors say what is wrong: credentials refused, no such database, TLS
shown as TLS (issue 23, point 19)."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator

import pytest

from deepseekapi_core.accounting._limiter import AccountGate, LimiterUnavailableError, RedisLimiter

from .conftest import RedisServer, free_port
from .helpers import API_KEY, BASE_URL

PASSWORD = "s3cret-redis-pass"


@pytest.fixture
def guarded_redis() -> Iterator[int]:
    """A redis-server on loopback that asks for a password."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    process = subprocess.Popen(
        [*args, "--requirepass", PASSWORD], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        time.sleep(0.3)  # listening by then
        yield port
    finally:
        process.terminate()
        process.wait(10)


def _fail(url: str) -> LimiterUnavailableError:
    gate = AccountGate(RedisLimiter(url), 2, base_url=BASE_URL, api_key=API_KEY)
    with pytest.raises(LimiterUnavailableError) as caught:
        gate.ticket("deepseek-chat", time.sleep).acquire()
    return caught.value


@pytest.mark.parametrize("credentials", ["", ":wrong-password@", "someone:wrong-password@"])
def test_refused_credentials_say_so(guarded_redis: int, credentials: str) -> None:
    error = _fail(f"redis://{credentials}127.0.0.1:{guarded_redis}/0")
    text = str(error)
    assert "credentials" in text and "password" in text
    assert "cannot be reached" not in text and "Start Redis" not in text
    assert "wrong-password" not in text and PASSWORD not in text


def test_a_database_the_server_lacks_says_so(redis_server: RedisServer) -> None:
    text = str(_fail(f"redis://127.0.0.1:{redis_server.port}/99"))
    assert "database 99" in text and "Start Redis" not in text


def test_tls_urls_are_shown_as_tls(redis_server: RedisServer) -> None:
    limiter = RedisLimiter(f"rediss://:hidden@127.0.0.1:{redis_server.port}/3")
    assert repr(limiter).startswith(f"RedisLimiter('rediss://127.0.0.1:{redis_server.port}/3'")
    assert "hidden" not in repr(limiter)
    text = str(_fail(f"rediss://127.0.0.1:{redis_server.port}/0"))
    assert "rediss://" in text
