"""One stack per run folder: a lock file naming its holder."""

import errno
import fcntl
import json
import os
from pathlib import Path
from typing import Any

from inkwell_devstack.errors import AlreadyRunning


class RunLock:
    """An exclusive ``flock`` on ``<run dir>/stack.lock``, held for the stack's lifetime.

    The kernel drops it when the process dies, however it dies, so it never goes stale.
    """

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd

    @classmethod
    def acquire(cls, path: Path, info: dict[str, Any]) -> "RunLock":
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise
            holder = cls.holder(fd)
            os.close(fd)
            raise AlreadyRunning(describe_holder(holder, path)) from None
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps(info).encode())
        return cls(path, fd)

    @staticmethod
    def holder(fd: int) -> dict[str, Any]:
        os.lseek(fd, 0, os.SEEK_SET)
        raw = os.read(fd, 65536)
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}

    def release(self) -> None:
        if self._fd is None:
            return
        os.ftruncate(self._fd, 0)
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None


def describe_holder(holder: dict[str, Any], path: Path) -> str:
    pid = holder.get("pid", "?")
    gateway = holder.get("gateway", "?")
    return (
        f"an Inkwell stack is already running from this folder (pid {pid}, gateway {gateway}).\n"
        f"  Stop it with Ctrl-C in its terminal (or `kill {pid}`), or run a second one on other "
        "ports: INKWELL_PORT_BASE=9000 make dev.\n"
        f"  (lock: {path})"
    )
