"""The mongoeco wire server the dev runner starts (``inkwell_testing.mongo``).

This suite's fixtures use it in process; here, the process itself: it announces its URI when
ready, stops cleanly on SIGTERM, and what it stored survives a restart on the same data dir.
"""

import signal
import sys
from pathlib import Path

import anyio
import pytest
from anyio.streams.text import TextReceiveStream
from pymongo import AsyncMongoClient

from inkwell_testing.mongo import DATA_FILE, main, mongo_wire_server
from preferences_service.mongo import Document

pytestmark = pytest.mark.anyio

STARTUP_LIMIT_SECONDS = 120  # a guard against hanging on a loaded machine, not a timing check


async def test_serves_until_sigterm_and_keeps_its_data(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "inkwell_testing.mongo", "--port", "0"]
    process = await anyio.open_process([*command, "--data-dir", str(tmp_path)])
    try:
        assert process.stdout is not None
        lines = TextReceiveStream(process.stdout)
        with anyio.fail_after(STARTUP_LIMIT_SECONDS):
            ready = await anext(aiter(lines))
        uri = ready.split()[1]
        client: AsyncMongoClient[Document] = AsyncMongoClient(uri)
        async with client:
            await client.inkwell.preferences.insert_one({"user_id": "u-1", "city": "Oslo"})
        process.send_signal(signal.SIGTERM)
        with anyio.fail_after(STARTUP_LIMIT_SECONDS):
            code = await process.wait()
            rest = "".join([chunk async for chunk in lines])
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()

    async with mongo_wire_server(str(tmp_path / DATA_FILE)) as again:
        client = AsyncMongoClient(again)
        async with client:
            found = await client.inkwell.preferences.find_one({}, projection={"_id": False})

    assert ready.startswith("ready: mongodb://127.0.0.1:")
    assert "?directConnection=true" in uri
    assert code == 0
    assert "stopped" in rest
    assert found == {"user_id": "u-1", "city": "Oslo"}


async def test_a_taken_port_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    async with mongo_wire_server(None) as uri:
        port = uri.split(":")[2].split("/")[0]
        code = await anyio.to_thread.run_sync(main, ["--port", port])

    assert code == 1
    assert f"cannot serve on 127.0.0.1:{port}" in capsys.readouterr().err
