#!/usr/bin/env python3
"""bench/peers/websockets_echo.py — Python websockets (asyncio; Debian 12's
python3-websockets 10.4, or any later release) as a plain echo server, for
scripts/load_bench.sh to measure beside the examples' echo_server. Loopback
only.

  python3 websockets_echo.py [--port N]   127.0.0.1:N (0, the default: the kernel picks)

Prints `listening on ws://127.0.0.1:PORT` once it listens. Every message
comes back with its type; permessage-deflate is off (compression=None).
SIGINT or SIGTERM: exits 0.
"""
import argparse
import asyncio
import signal

import websockets


async def echo(ws, *_path):  # releases before 10.1 pass the path too
    try:
        async for message in ws:  # str for text, bytes for binary: sent back as it came
            await ws.send(message)
    except websockets.ConnectionClosed:  # a client gone without a close: nothing to report
        pass


async def main(port):
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
    async with websockets.serve(echo, "127.0.0.1", port, compression=None, max_size=64 << 20,
                                ping_interval=None) as server:
        print(f"listening on ws://127.0.0.1:{server.sockets[0].getsockname()[1]}", flush=True)
        await stop


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, default=0)
    asyncio.run(main(ap.parse_args().port))
