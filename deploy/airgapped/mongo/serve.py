"""Serve mongoeco's MongoDB wire protocol on 0.0.0.0 until SIGTERM (the stand-in's PID 1)."""

import argparse
import asyncio
import signal

from mongoeco.engines import SQLiteEngine
from mongoeco.wire import AsyncMongoEcoProxyServer


async def serve(data: str, port: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    engine = SQLiteEngine(data)
    async with AsyncMongoEcoProxyServer(engine=engine, host="0.0.0.0", port=port):  # noqa: S104
        print(f"mongoeco wire server on :{port}, data in {data}", flush=True)
        await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=27017)
    parser.add_argument("--data", default="/data/db/mongoeco.sqlite3")
    args = parser.parse_args()
    asyncio.run(serve(args.data, args.port))


if __name__ == "__main__":
    main()
