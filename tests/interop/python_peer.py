#!/usr/bin/env python3
"""tests/interop/python_peer.py — python3-websockets (Debian's 10.x, asyncio API)
as a real peer of the wscodec examples. Loopback only. websockets offers and
accepts permessage-deflate by default (and compresses every message), so every
mode below runs compressed unless the example was started with --no-deflate.

  python_peer.py client URL                   against echo_server: the echo matrix, pings, three
                                              connections at once, invalid UTF-8 (1007), close 1000,
                                              and close 4000 + reason on a second connection
  python_peer.py limit URL LIMIT              against echo_server --max-message-size LIMIT:
                                              LIMIT bytes echo, LIMIT+1 bytes closes with 1009
  python_peer.py hold URL                     connects, prints `# connected`, and expects a close
                                              frame (1001 or 1000) when the driver stops the server
  python_peer.py server CLIENT_BIN            runs a websockets server on 127.0.0.1:0 and starts
                                              `CLIENT_BIN --echo ws://127.0.0.1:PORT/...` against it:
                                              the matrix, pipelined messages, a ping, close 1000 /
                                              4000 + reason, an abort (exit 1), invalid UTF-8 (1007,
                                              exit 1); then `CLIENT_BIN URL` with lines on stdin
  python_peer.py deflate-client URL PLAN      against echo_server started as PLAN says (default,
                                              window-10-no-context-takeover, stream, no-deflate):
                                              for each client configuration of the plan (websockets'
                                              ClientPerMessageDeflateFactory), the agreed parameters
                                              (or that nothing was agreed), then text and binary,
                                              compressible and random, 0 B to 1 MiB, and a fragmented
                                              message, each echoed byte for byte
  python_peer.py deflate-server CLIENT_BIN    for each server configuration (ServerPerMessageDeflateFactory,
                                              and client flags), a websockets server and
                                              `CLIENT_BIN --echo [FLAGS] URL`: the agreed parameters
                                              (seen by the server and printed by the client), the same
                                              messages, close 1000 and exit 0
  python_peer.py tls-client URL CAFILE        against echo_server --cert --key (wss://, trusting CAFILE):
                                              with and without permessage-deflate, text and binary of
                                              0 B to 4 MiB around the 16 KiB record size, fragmented,
                                              200 pipelined, a ping, close 1000, invalid UTF-8 (1007);
                                              a plain ws:// client refused and the server still serving
  python_peer.py tls-server CLIENT_BIN CERT KEY OTHER_CERT OTHER_KEY
                                              a wss:// websockets server (CERT, for localhost and
                                              127.0.0.1) and `CLIENT_BIN --ca CERT wss://...`: the echo
                                              matrix, by host name, --no-deflate, interactive, an abort
                                              and invalid UTF-8 (exit 1 each); then the
                                              client must refuse (exit 1, "certificate verify failed")
                                              a server it has no --ca for, one trusted through another
                                              CA file, and OTHER_CERT (for another host) though trusted

--cafile FILE: a wss:// URL's server must chain to FILE (PEM), for the modes
that take a URL (tls-client trusts its CAFILE itself).

Prints one line per check: `PASS name` or `FAIL name: why` (names start with
--prefix, default python-client / python-limit / python-server). Exits 1 on
any FAIL. Needs only the Debian package python3-websockets (run it with the
interpreter that has it: /usr/bin/python3 on Debian).
"""
import argparse
import asyncio
import os
import random
import re
import sys
import time

try:
    import websockets
    import websockets.exceptions
except ImportError as e:  # the driver checks this first; keep a clear message anyway
    print(f"FAIL python-peer: python3-websockets is not importable: {e}")
    sys.exit(1)

SIZES = [0, 125, 126, 65535, 65536, 1 << 20, 16 << 20]
FAILED = False


def size_name(n):
    if n >= 1 << 20 and n % (1 << 20) == 0:
        return f"{n >> 20}MiB"
    return str(n)


def report(name, ok, why=""):
    global FAILED
    if ok:
        print(f"PASS {name}", flush=True)
    else:
        FAILED = True
        print(f"FAIL {name}: {why}", flush=True)


def make_binary(n, seed):
    return random.Random(seed).randbytes(n)


def make_text(n, seed):
    """A str whose UTF-8 encoding is exactly n bytes, with 1- to 4-byte characters."""
    rng = random.Random(seed)
    pieces = ["a", "Z", " ", "é", "ß", "€", "中", "😀", "𝄞"]
    out = []
    left = n
    while left > 0:
        if left >= 4:
            ch = rng.choice(pieces)
        else:
            ch = chr(0x61 + rng.randrange(26))
        out.append(ch)
        left -= len(ch.encode())
    s = "".join(out)
    assert len(s.encode()) == n
    return s


def describe(got, want):
    """Why an echo differs from what was sent."""
    if type(got) is not type(want):
        return f"type: sent {type(want).__name__} got {type(got).__name__} ({len(got)} units)"
    g = got.encode() if isinstance(got, str) else got
    w = want.encode() if isinstance(want, str) else want
    if len(g) != len(w):
        return f"length: sent {len(w)} bytes got {len(g)}"
    for i in range(len(w)):
        if g[i] != w[i]:
            return f"byte {i} differs: sent {w[i]:#04x} got {g[i]:#04x}"
    return "differs"


def timeout_for(n):
    return 10 + n / (1 << 20) * 3  # generous: 16 MiB through a pure-Python peer


def matrix():
    """(name, message or list of fragments) in the order sent."""
    items = []
    for n in SIZES:
        items.append((f"text-{size_name(n)}", make_text(n, n)))
    for n in SIZES:
        items.append((f"binary-{size_name(n)}", make_binary(n, n + 1)))
    items.append(("fragmented-text", ["Hel", "lo, ", "wörld ", "", "€😀", "!"]))
    items.append(("fragmented-binary", [make_binary(1000, 7), b"", make_binary(70000, 8), make_binary(3, 9)]))
    items.append(("fragmented-binary-3MiB", [make_binary(1 << 20, 10 + i) for i in range(3)]))
    return items


def joined(msg):
    if isinstance(msg, list):
        return "".join(msg) if isinstance(msg[0], str) else b"".join(msg)
    return msg


def closed_why(e):
    return f"connection closed: {type(e).__name__}: {e}"


async def echo_one(ws, msg):
    """Sends msg (a list is sent as fragments) and returns (ok, why) for the echo."""
    want = joined(msg)
    n = len(want.encode()) if isinstance(want, str) else len(want)
    await asyncio.wait_for(ws.send(msg), timeout_for(n))
    got = await asyncio.wait_for(ws.recv(), timeout_for(n))
    if got == want and type(got) is type(want):
        return True, ""
    return False, describe(got, want)


async def ping_one(ws, data):
    waiter = await ws.ping(data)
    await asyncio.wait_for(waiter, 10)  # websockets matches the pong's payload to the ping's


def pipelined_messages():
    """200 messages, text and binary, 0 bytes to 2 MiB (about 10 MiB in all)."""
    msgs = []
    for i in range(200):
        n = (0, 1, 125, 126, 1000, 65536, 300000, 2 << 20)[i % 8] if i % 20 == 0 else i * 37 % 5000
        msgs.append(make_text(n, i) if i % 2 else make_binary(n, i))
    return msgs


async def pipelined(ws, msgs):
    """Sends every message, then reads the echoes; (ok, why)."""
    async def reader():
        for i, want in enumerate(msgs):
            got = await ws.recv()
            if got != want or type(got) is not type(want):
                return False, f"message {i}: {describe(got, want)}"
        return True, ""

    read = asyncio.ensure_future(asyncio.wait_for(reader(), 60))
    for m in msgs:
        await ws.send(m)
    return await read


# ----------------------------------------------------------------- client role


CAFILE = None  # --cafile: the certificate a wss:// URL's server must chain to


async def connect(url, **kw):
    """A client connection; websockets offers permessage-deflate unless compression=None."""
    if CAFILE and url.startswith("wss:") and "ssl" not in kw:
        kw["ssl"] = client_tls(CAFILE)
    return await websockets.connect(url, max_size=None, close_timeout=5, ping_interval=None, open_timeout=10,
                                    max_queue=None, **kw)


async def run_client(url, prefix):
    ws = None
    name = f"{prefix}/permessage-deflate-agreed"
    try:
        ws = await connect(url)
        got = agreed_params(ws)
        report(name, got == (False, False, 15, 15),
               f"websockets' default offer: agreed {got} (server nct, client nct, server bits, client bits), "
               f"expected (False, False, 15, 15); Sec-WebSocket-Extensions: {extensions_header(ws)!r}")
    except Exception as e:  # a failed handshake, a refused connection
        report(name, False, f"{type(e).__name__}: {e}")
        ws = await drop(ws)
    for name, msg in matrix():
        full = f"{prefix}/{name}"
        try:
            if ws is None or ws.closed:
                ws = await connect(url)
            ok, why = await echo_one(ws, msg)
            report(full, ok, why)
        except asyncio.TimeoutError:
            report(full, False, "timed out waiting for the echo")
            ws = await drop(ws)
        except websockets.exceptions.ConnectionClosed as e:
            report(full, False, closed_why(e))
            ws = None
        except Exception as e:  # a failed handshake, a refused connection
            report(full, False, f"{type(e).__name__}: {e}")
            ws = await drop(ws)

    for name, data in (("ping", b"ping from python"), ("ping-empty", b""), ("ping-125", bytes(range(125)))):
        full = f"{prefix}/{name}"
        try:
            if ws is None or ws.closed:
                ws = await connect(url)
            await ping_one(ws, data)
            report(full, True)
        except asyncio.TimeoutError:
            report(full, False, "no pong within 10 s")
        except websockets.exceptions.ConnectionClosed as e:
            report(full, False, closed_why(e))
            ws = None
        except Exception as e:  # a failed handshake, a refused connection
            report(full, False, f"{type(e).__name__}: {e}")
            ws = await drop(ws)

    # Pipelined: messages sent back to back before any echo is read, echoed in order.
    name = f"{prefix}/pipelined-200-mixed"
    try:
        if ws is None or ws.closed:
            ws = await connect(url)
        ok, why = await pipelined(ws, pipelined_messages())
        report(name, ok, why)
    except asyncio.TimeoutError:
        report(name, False, "timed out waiting for the echoes")
        ws = await drop(ws)
    except Exception as e:
        report(name, False, closed_why(e) if isinstance(e, websockets.exceptions.ConnectionClosed) else f"{type(e).__name__}: {e}")
        ws = await drop(ws)

    # Three connections at once, each message on its own connection.
    name = f"{prefix}/three-concurrent-connections"
    socks = []
    try:
        socks = [await connect(url) for _ in range(3)]
        for i, s in reversed(list(enumerate(socks))):
            await s.send(f"connection {i}")
        got = [await asyncio.wait_for(s.recv(), 10) for s in socks]
        want = [f"connection {i}" for i in range(3)]
        report(name, got == want, f"sent {want}, got {got}")
    except asyncio.TimeoutError:
        report(name, False, "an echo did not come within 10 s (are connections served one at a time?)")
    except Exception as e:
        report(name, False, closed_why(e) if isinstance(e, websockets.exceptions.ConnectionClosed) else f"{type(e).__name__}: {e}")
    for s in socks:
        try:
            await asyncio.wait_for(s.close(), 5)
        except Exception:
            await drop(s)

    # A text frame that is not UTF-8 (written with the protocol's own frame
    # writer, as the public send() only takes valid str): §8.1, close 1007.
    name = f"{prefix}/invalid-utf8-closes-1007"
    bad = None
    try:
        bad = await connect(url)
        await bad.write_frame(True, 0x1, b"valid, then \xff")
        try:
            got = await asyncio.wait_for(bad.recv(), 10)
            report(name, False, f"the server echoed {got!r} instead of closing")
        except websockets.exceptions.ConnectionClosed:
            rcvd = bad.close_rcvd
            if rcvd is None:
                report(name, False, "the server dropped TCP without a close frame")
            else:
                report(name, rcvd.code == 1007, f"closed with {rcvd.code} {rcvd.reason!r}, expected 1007")
    except Exception as e:
        report(name, False, f"{type(e).__name__}: {e}")
    await drop(bad)

    # Close 1000 on this connection, then 4000 with a reason on a fresh one.
    await close_check(ws, url, prefix + "/close-1000", 1000, "")
    await close_check(None, url, prefix + "/close-4000-reason", 4000, "bye from python ✓")
    await drop(ws)


async def drop(ws):
    if ws is not None:
        ws.transport.abort()
    return None


async def close_check(ws, url, name, code, reason):
    try:
        if ws is None or ws.closed:
            ws = await connect(url)
            ok, why = await echo_one(ws, "before close")
            if not ok:
                report(name, False, f"echo before close: {why}")
                return
        start = time.monotonic()
        await asyncio.wait_for(ws.close(code, reason), 15)
        took = time.monotonic() - start
        rcvd = ws.close_rcvd
        if rcvd is None:
            report(name, False, "no close frame received from the server (1006)")
        elif rcvd.code != code:
            report(name, False, f"sent close {code} {reason!r}, server answered {rcvd.code} {rcvd.reason!r}")
        elif rcvd.reason not in ("", reason):
            report(name, False, f"server answered code {rcvd.code} with an unrelated reason {rcvd.reason!r}")
        elif took > 4:
            report(name, False, f"server echoed {rcvd.code} but did not close TCP for {took:.1f} s")
        else:
            report(name, True)
    except asyncio.TimeoutError:
        report(name, False, "close handshake timed out")
    except Exception as e:
        report(name, False, closed_why(e) if isinstance(e, websockets.exceptions.ConnectionClosed) else f"{type(e).__name__}: {e}")


# ----------------------------------------------------------------- limit check


async def run_limit(url, prefix, limit):
    name = f"{prefix}/at-limit-{limit}"
    try:
        ws = await connect(url)
        ok, why = await echo_one(ws, make_binary(limit, 3))
        report(name, ok, why)
        await ws.close()
    except Exception as e:
        report(name, False, f"{type(e).__name__}: {e}")

    name = f"{prefix}/over-limit-{limit + 1}-closes-1009"
    try:
        ws = await connect(url)
        await ws.send(make_binary(limit + 1, 4))
        try:
            got = await asyncio.wait_for(ws.recv(), 10)
            report(name, False, f"the server echoed {len(got)} units instead of closing")
        except websockets.exceptions.ConnectionClosed:
            rcvd = ws.close_rcvd
            if rcvd is None:
                report(name, False, "the server dropped TCP without a close frame")
            elif rcvd.code != 1009:
                report(name, False, f"closed with {rcvd.code} {rcvd.reason!r}, expected 1009")
            else:
                report(name, True)
        await drop(ws)
    except Exception as e:
        report(name, False, f"{type(e).__name__}: {e}")


# ----------------------------------------------------------------- hold


async def run_hold(url, prefix):
    """Connects, echoes once, prints `# connected` and waits for the server to
    close the connection (the driver sends it SIGTERM): a close frame must come."""
    name = f"{prefix}/closed-by-server-on-shutdown"
    try:
        ws = await connect(url)
        ok, why = await echo_one(ws, "hold")
        if not ok:
            report(name, False, f"echo: {why}")
            return
        print("# connected", flush=True)
        try:
            got = await asyncio.wait_for(ws.recv(), 30)
            report(name, False, f"unexpected message {got!r}")
        except websockets.exceptions.ConnectionClosed:
            rcvd = ws.close_rcvd
            if rcvd is None:
                report(name, False, "the server dropped TCP without a close frame")
            else:
                report(name, rcvd.code in (1000, 1001), f"closed with {rcvd.code} {rcvd.reason!r}, expected 1001 (or 1000)")
        await drop(ws)
    except asyncio.TimeoutError:
        report(name, False, "the server did not close the connection within 30 s")
    except Exception as e:
        report(name, False, f"{type(e).__name__}: {e}")


# ----------------------------------------------------------------- server role


class Scenario:
    """What the server does with one `client --echo` connection."""

    def __init__(self, prefix, close_code, close_reason, full_matrix, abort=False, kind="echo"):
        self.prefix = prefix
        self.close_code = close_code
        self.close_reason = close_reason
        self.full_matrix = full_matrix
        self.abort = abort
        self.kind = kind  # echo, invalid-utf8 (client --echo) or interactive (client without --echo)
        self.connected = asyncio.Event()


async def server_session(ws, sc):
    sc.connected.set()
    p = sc.prefix
    if sc.kind == "invalid-utf8":
        # A text frame that is not UTF-8: the client must fail the connection with 1007.
        name = f"{p}/invalid-utf8-closes-1007"
        await ws.write_frame(True, 0x1, b"valid, then \xff")
        try:
            got = await asyncio.wait_for(ws.recv(), 10)
            report(name, False, f"the client echoed {got!r} instead of closing")
        except websockets.exceptions.ConnectionClosed:
            rcvd = ws.close_rcvd
            report(name, rcvd is not None and rcvd.code == 1007,
                   f"closed with {rcvd.code} {rcvd.reason!r}, expected 1007" if rcvd else "the client dropped TCP without a close frame")
        except asyncio.TimeoutError:
            report(name, False, "the client neither echoed nor closed within 10 s")
        return
    if sc.kind == "interactive":
        # Each stdin line arrives as a text message; we answer each; at the end
        # of stdin the client closes with 1000.
        name = f"{p}/interactive-lines-as-text"
        got = []
        try:
            async for m in ws:
                got.append(m)
                await ws.send(f"got: {m}")
        except websockets.exceptions.ConnectionClosed:
            pass
        want = [ln for ln in INTERACTIVE_LINES]
        report(name, got == want, f"stdin lines {want!r}, received {got!r}")
        rcvd = ws.close_rcvd
        report(f"{p}/interactive-closes-1000-at-eof", rcvd is not None and rcvd.code == 1000,
               f"closed with {rcvd.code} {rcvd.reason!r}" if rcvd else "no close frame from the client")
        return
    if sc.abort:
        ok, why = await echo_one(ws, "then the TCP connection drops")
        report(f"{p}/echo-before-abort", ok, why)
        ws.transport.abort()
        return
    if sc.full_matrix:
        got = agreed_params(ws)
        report(f"{p}/permessage-deflate-agreed", got == (False, False, 12, 12),
               f"websockets' default server (window 12 both ways): agreed {got}, expected (False, False, 12, 12); "
               f"Sec-WebSocket-Extensions: {extensions_header(ws)!r}")
    items = matrix() if sc.full_matrix else [("text-small", "hello from the python server")]
    for name, msg in items:
        try:
            ok, why = await echo_one(ws, msg)
            report(f"{p}/{name}", ok, why)
        except asyncio.TimeoutError:
            report(f"{p}/{name}", False, "timed out waiting for the echo")
            ws.transport.abort()
            return
        except websockets.exceptions.ConnectionClosed as e:
            report(f"{p}/{name}", False, closed_why(e))
            return
    if sc.full_matrix:
        try:
            ok, why = await pipelined(ws, pipelined_messages())
            report(f"{p}/pipelined-200-mixed", ok, why)
        except asyncio.TimeoutError:
            report(f"{p}/pipelined-200-mixed", False, "timed out waiting for the echoes")
            ws.transport.abort()
            return
        except websockets.exceptions.ConnectionClosed as e:
            report(f"{p}/pipelined-200-mixed", False, closed_why(e))
            return
        try:
            await ping_one(ws, b"ping from the python server")
            report(f"{p}/ping", True)
        except asyncio.TimeoutError:
            report(f"{p}/ping", False, "no pong within 10 s")
        except websockets.exceptions.ConnectionClosed as e:
            report(f"{p}/ping", False, closed_why(e))
            return
    name = f"{p}/close-{sc.close_code}" + ("-reason" if sc.close_reason else "")
    try:
        await asyncio.wait_for(ws.close(sc.close_code, sc.close_reason), 15)
        rcvd = ws.close_rcvd
        if rcvd is None:
            report(name, False, "the client sent no close frame (1006)")
        elif rcvd.code != sc.close_code:
            report(name, False, f"sent close {sc.close_code} {sc.close_reason!r}, client answered {rcvd.code} {rcvd.reason!r}")
        elif rcvd.reason not in ("", sc.close_reason):
            report(name, False, f"client answered code {rcvd.code} with an unrelated reason {rcvd.reason!r}")
        else:
            report(name, True)
    except asyncio.TimeoutError:
        report(name, False, "close handshake timed out")


INTERACTIVE_LINES = ["hello", "wörld ✓", "third line"]


async def run_server_scenario(client_bin, sc, expect_exit, exit_name, timeout, ssl_ctx=None, host="127.0.0.1", flags=()):
    """Serves one `client` run (over TLS with ssl_ctx: wss://HOST, the client given flags
    such as --ca); returns what the client printed (stdout and stderr), or None."""
    async def handler(ws, path=None):
        try:
            await server_session(ws, sc)
        except Exception as e:
            report(f"{sc.prefix}/session", False, f"{type(e).__name__}: {e}")

    async with websockets.serve(handler, "127.0.0.1", 0, max_size=None, ssl=ssl_ctx,
                                ping_interval=None, close_timeout=5, max_queue=None) as server:
        port = server.sockets[0].getsockname()[1]
        url = f"{'wss' if ssl_ctx else 'ws'}://{host}:{port}/interop?from=python"
        interactive = sc.kind == "interactive"
        argv = [client_bin, *flags, url] if interactive else [client_bin, "--echo", *flags, url]
        proc = await asyncio.create_subprocess_exec(*argv, stdin=asyncio.subprocess.PIPE if interactive else asyncio.subprocess.DEVNULL,
                                                    stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        stdin = "".join(ln + "\n" for ln in INTERACTIVE_LINES).encode() if interactive else None
        try:
            out, err = await asyncio.wait_for(proc.communicate(stdin), timeout)
            if interactive:
                printed = out.decode(errors="replace").splitlines()
                want = [f"got: {ln}" for ln in INTERACTIVE_LINES]
                report(f"{sc.prefix}/interactive-prints-messages", printed == want,
                       f"expected stdout lines {want!r}, got {printed!r}; stderr: {tail(err)}")
            out = (out or b"") + (err or b"")
        except asyncio.TimeoutError:
            proc.kill()
            out, err = await proc.communicate()
            report(exit_name, False, f"client did not exit within {timeout} s; output: {tail(out + err)}")
            return None
        if not sc.connected.is_set():
            report(exit_name, False, f"client never connected (exit {proc.returncode}); output: {tail(out)}")
        elif proc.returncode == expect_exit:
            report(exit_name, True)
        else:
            report(exit_name, False, f"client exited {proc.returncode}, expected {expect_exit}; output: {tail(out)}")
        return out


def tail(out, n=400):
    s = (out or b"").decode(errors="replace").strip().replace("\n", " | ")
    return s[-n:] if s else "(none)"


async def run_server(client_bin, prefix):
    await run_server_scenario(client_bin, Scenario(prefix, 1000, "", True), 0, f"{prefix}/client-exit-0-after-1000", 300)
    await run_server_scenario(client_bin, Scenario(prefix, 4000, "bye from the python server ✓", False), 0,
                              f"{prefix}/client-exit-0-after-4000", 60)
    await run_server_scenario(client_bin, Scenario(prefix, 1000, "", False, abort=True), 1,
                              f"{prefix}/client-exit-1-after-abort", 60)
    await run_server_scenario(client_bin, Scenario(prefix, 1000, "", False, kind="invalid-utf8"), 1,
                              f"{prefix}/client-exit-1-after-invalid-utf8", 60)
    await run_server_scenario(client_bin, Scenario(prefix, 1000, "", False, kind="interactive"), 0,
                              f"{prefix}/interactive-client-exit-0", 60)


# ----------------------------------------------------------- permessage-deflate

DEFLATE_SIZES = [0, 1, 125, 126, 65535, 65536, 1 << 20]


def agreed_params(ws):
    """(server_no_context_takeover, client_no_context_takeover, server_max_window_bits,
    client_max_window_bits) as websockets agreed them, or None without permessage-deflate."""
    for e in ws.extensions:
        if e.name == "permessage-deflate":
            if ws.is_client:
                return (e.remote_no_context_takeover, e.local_no_context_takeover,
                        e.remote_max_window_bits, e.local_max_window_bits)
            return (e.local_no_context_takeover, e.remote_no_context_takeover,
                    e.local_max_window_bits, e.remote_max_window_bits)
    return None


def extensions_header(ws):
    return ws.response_headers.get("Sec-WebSocket-Extensions") if ws.response_headers else None


def compressible_text(n, seed):
    """n bytes of UTF-8 that compress well: words (some with 2- and 3-byte characters) repeated."""
    rng = random.Random(seed)
    words = ["the", "codec", "frame", "café", "naïve", "€uro", "message", "deflate", "window"]
    out = bytearray()
    while len(out) < n:
        out += (rng.choice(words) + " ").encode()
    cut = n
    while cut > 0 and cut < len(out) and out[cut] & 0xC0 == 0x80:  # not inside a character
        cut -= 1
    return (bytes(out[:cut]) + b"q" * (n - cut)).decode()


def compressible_binary(n, seed):
    block = random.Random(seed).randbytes(61)
    return (block * (n // 61 + 1))[:n]


def deflate_groups():
    """{group: [(size, message)]}: text and binary, compressible and random."""
    return {
        "text-compressible": [(n, compressible_text(n, n)) for n in DEFLATE_SIZES],
        "text-random": [(n, make_text(n, n + 2)) for n in DEFLATE_SIZES],
        "binary-compressible": [(n, compressible_binary(n, n + 3)) for n in DEFLATE_SIZES],
        "binary-random": [(n, make_binary(n, n + 4)) for n in DEFLATE_SIZES],
    }


DEFLATE_FRAGMENTS = ["fragmented ", "and compressed: ", compressible_text(70000, 5), "", "€😀 end"]


def params_text(t):
    if t is None:
        return "not agreed"
    return (f"server_max_window_bits={t[2]} client_max_window_bits={t[3]}" + (" server_no_context_takeover" if t[0] else "") +
            (" client_no_context_takeover" if t[1] else ""))


async def deflate_echoes(ws, prefix, groups):
    """One check per group (every size must echo intact) and one for a fragmented message."""
    for group, items in groups.items():
        why = ""
        for n, msg in items:
            try:
                ok, w = await echo_one(ws, msg)
            except asyncio.TimeoutError:
                ok, w = False, "timed out waiting for the echo"
            if not ok:
                why = f"{size_name(n)} bytes: {w}"
                break
        report(f"{prefix}/{group}-0-to-1MiB", not why, why)
        if why and ws.closed:
            return False
    ok, why = await echo_one(ws, DEFLATE_FRAGMENTS)
    report(f"{prefix}/fragmented-text", ok, why)
    return True


def client_factory(kw):
    from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory
    return ClientPerMessageDeflateFactory(**kw)


def server_factory(kw):
    from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory
    return ServerPerMessageDeflateFactory(**kw)


# Against echo_server started per plan: (configuration, ClientPerMessageDeflateFactory
# arguments or None for websockets' default offer, the expected agreement as
# (server nct, client nct, server bits, client bits), or None: not agreed).
DEFLATE_CLIENT_PLANS = {
    "default": [
        ("websockets-default", None, (False, False, 15, 15)),
        ("window-9-no-context-takeover", dict(server_max_window_bits=9, client_max_window_bits=9,
                                              server_no_context_takeover=True, client_no_context_takeover=True),
         (True, True, 9, 9)),
        ("window-12", dict(server_max_window_bits=12, client_max_window_bits=12), (False, False, 12, 12)),
        ("window-15-server-no-context-takeover", dict(server_max_window_bits=15, client_max_window_bits=15,
                                                      server_no_context_takeover=True), (True, False, 15, 15)),
        ("no-client-max-window-bits-client-no-context-takeover",
         dict(client_max_window_bits=None, client_no_context_takeover=True), (False, True, 15, 15)),
    ],
    # echo_server --deflate-window-bits 10 --deflate-no-context-takeover
    "window-10-no-context-takeover": [
        ("websockets-default", None, (True, True, 10, 10)),
        ("window-12", dict(server_max_window_bits=12, client_max_window_bits=12), (True, True, 10, 10)),
    ],
    "stream": [("websockets-default", None, (False, False, 15, 15))],  # echo_server --stream
    "no-deflate": [("websockets-default", None, None)],  # echo_server --no-deflate
}


async def run_deflate_client(url, prefix, plan):
    groups = deflate_groups()
    for config, kw, want in DEFLATE_CLIENT_PLANS[plan]:
        p = f"{prefix}/{config}"
        ws = None
        try:
            ws = await connect(url, **({} if kw is None else {"extensions": [client_factory(kw)], "compression": None}))
            got = agreed_params(ws)
            report(f"{p}/{'not-agreed' if want is None else 'agreed'}", got == want,
                   f"agreed: {params_text(got)}; expected: {params_text(want)}; "
                   f"Sec-WebSocket-Extensions: {extensions_header(ws)!r}")
            if await deflate_echoes(ws, p, groups):
                await asyncio.wait_for(ws.close(), 10)
                report(f"{p}/close-1000", ws.close_rcvd is not None and ws.close_rcvd.code == 1000,
                       f"close frame received: {ws.close_rcvd}")
        except Exception as e:  # a failed handshake, a closed connection
            report(f"{p}/session", False, closed_why(e) if isinstance(e, websockets.exceptions.ConnectionClosed)
                   else f"{type(e).__name__}: {e}")
        await drop(ws)


# (configuration, ServerPerMessageDeflateFactory arguments or None for websockets'
# default, client flags, the expected agreement or None).
DEFLATE_SERVER_PLAN = [
    ("websockets-default", None, [], (False, False, 12, 12)),
    ("window-9-no-context-takeover", dict(server_max_window_bits=9, client_max_window_bits=9,
                                          server_no_context_takeover=True, client_no_context_takeover=True), [],
     (True, True, 9, 9)),
    ("window-15", dict(server_max_window_bits=15, client_max_window_bits=15), [], (False, False, 15, 15)),
    ("no-limits", dict(), [], (False, False, 15, 15)),
    ("client-window-12-no-context-takeover", dict(), ["--deflate-window-bits", "12", "--deflate-no-context-takeover"],
     (True, True, 12, 12)),
    ("client-no-deflate", None, ["--no-deflate"], None),
]

SUMMARY = re.compile(r"permessage-deflate: (?:agreed \(([^)]*)\)|not agreed)")


def client_summary(text):
    """What the client printed about permessage-deflate, as agreed_params() gives it;
    "missing" if it printed nothing about it."""
    m = SUMMARY.search(text)
    if not m:
        return "missing"
    if m.group(1) is None:
        return None
    f = dict(kv.split("=") if "=" in kv else (kv, True) for kv in (x.strip() for x in m.group(1).split(",")))
    return (bool(f.get("server_no_context_takeover")), bool(f.get("client_no_context_takeover")),
            int(f.get("server_max_window_bits", 0)), int(f.get("client_max_window_bits", 0)))


async def run_deflate_server(client_bin, prefix):
    groups = deflate_groups()
    for config, kw, flags, want in DEFLATE_SERVER_PLAN:
        p = f"{prefix}/{config}"
        done = asyncio.Event()

        async def handler(ws, path=None, p=p, want=want):
            try:
                got = agreed_params(ws)
                report(f"{p}/{'not-agreed' if want is None else 'agreed'}", got == want,
                       f"agreed: {params_text(got)}; expected: {params_text(want)}; "
                       f"Sec-WebSocket-Extensions: {extensions_header(ws)!r}")
                if await deflate_echoes(ws, p, groups):
                    await asyncio.wait_for(ws.close(1000), 10)
                    report(f"{p}/close-1000", ws.close_rcvd is not None and ws.close_rcvd.code == 1000,
                           f"close frame received: {ws.close_rcvd}")
            except Exception as e:
                report(f"{p}/session", False, f"{type(e).__name__}: {e}")
            finally:
                done.set()

        extra = {} if kw is None else {"extensions": [server_factory(kw)], "compression": None}
        async with websockets.serve(handler, "127.0.0.1", 0, max_size=None, ping_interval=None, close_timeout=5,
                                    max_queue=None, **extra) as server:
            port = server.sockets[0].getsockname()[1]
            argv = [client_bin, "--echo"] + flags + [f"ws://127.0.0.1:{port}/deflate?config={config}"]
            proc = await asyncio.create_subprocess_exec(*argv, stdin=asyncio.subprocess.DEVNULL,
                                                        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
            try:
                out, err = await asyncio.wait_for(proc.communicate(), 60)
            except asyncio.TimeoutError:
                proc.kill()
                out, err = await proc.communicate()
                report(f"{p}/client-exit-0", False, f"client did not exit within 60 s; output: {tail(out + err)}")
                continue
            if not done.is_set():
                report(f"{p}/client-exit-0", False, f"client never connected (exit {proc.returncode}); output: {tail(out + err)}")
                continue
            report(f"{p}/client-exit-0", proc.returncode == 0, f"exit {proc.returncode}; output: {tail(out + err)}")
            said = client_summary(err.decode(errors="replace"))
            report(f"{p}/client-prints-{'not-agreed' if want is None else 'agreed-parameters'}", said == want,
                   f"the client printed {params_text(said) if said != 'missing' else 'no permessage-deflate line'}, "
                   f"expected {params_text(want)}; stderr: {tail(err)}")


# ------------------------------------------------------------------ TLS (wss://)

TLS_SIZES = [0, 1, 125, 126, 16383, 16384, 16385, 65535, 65536, 1 << 20, 4 << 20]  # around TLS's 16 KiB records


def client_tls(cafile):
    """A client context that trusts only `cafile` and checks the host name (Python's defaults)."""
    import ssl
    return ssl.create_default_context(cafile=cafile)


def server_tls(cert, key):
    import ssl
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    return ctx


async def run_tls_client(url, prefix, cafile):
    """Against echo_server --cert --key: with and without permessage-deflate, text and binary of
    TLS_SIZES (random and compressible) echoed byte for byte, a fragmented message, 200 pipelined
    messages, a ping and close 1000; then a plain ws:// client is refused and the server lives on."""
    ctx = client_tls(cafile)
    groups = {
        "text-random": [(n, make_text(n, n + 11)) for n in TLS_SIZES],
        "text-compressible": [(n, compressible_text(n, n + 12)) for n in TLS_SIZES],
        "binary-random": [(n, make_binary(n, n + 13)) for n in TLS_SIZES],
        "binary-compressible": [(n, compressible_binary(n, n + 14)) for n in TLS_SIZES],
    }
    for config, kw, want in (("deflate", {}, (False, False, 15, 15)), ("no-deflate", {"compression": None}, None)):
        p = f"{prefix}/{config}"
        ws = None
        try:
            ws = await connect(url, ssl=ctx, **kw)
            got = agreed_params(ws)
            report(f"{p}/{'not-agreed' if want is None else 'agreed'}", got == want,
                   f"agreed: {params_text(got)}; expected: {params_text(want)}")
            for group, items in groups.items():
                why = ""
                for n, msg in items:
                    try:
                        ok, w = await echo_one(ws, msg)
                    except asyncio.TimeoutError:
                        ok, w = False, "timed out waiting for the echo"
                    if not ok:
                        why = f"{size_name(n)} bytes: {w}"
                        break
                report(f"{p}/{group}-0-to-4MiB", not why, why)
                if why:
                    raise RuntimeError(f"{group} failed: {why}")
            ok, why = await echo_one(ws, DEFLATE_FRAGMENTS)
            report(f"{p}/fragmented-text", ok, why)
            try:
                ok, why = await pipelined(ws, pipelined_messages())
            except asyncio.TimeoutError:
                ok, why = False, "timed out waiting for the echoes"
            report(f"{p}/pipelined-200-mixed", ok, why)
            try:
                await ping_one(ws, b"ping over TLS")
                report(f"{p}/ping", True)
            except asyncio.TimeoutError:
                report(f"{p}/ping", False, "no pong within 10 s")
            await close_check(ws, url, f"{p}/close-1000", 1000, "")
        except Exception as e:  # a failed TLS or WebSocket handshake, a closed connection
            report(f"{p}/session", False, closed_why(e) if isinstance(e, websockets.exceptions.ConnectionClosed)
                   else f"{type(e).__name__}: {e}")
        await drop(ws)

    name = f"{prefix}/invalid-utf8-closes-1007"
    bad = None
    try:
        bad = await connect(url, ssl=ctx)
        await bad.write_frame(True, 0x1, b"valid, then \xff")
        try:
            got = await asyncio.wait_for(bad.recv(), 10)
            report(name, False, f"the server echoed {got!r} instead of closing")
        except websockets.exceptions.ConnectionClosed:
            rcvd = bad.close_rcvd
            report(name, rcvd is not None and rcvd.code == 1007,
                   f"closed with {rcvd.code} {rcvd.reason!r}, expected 1007" if rcvd else "the server dropped TCP without a close frame")
    except Exception as e:
        report(name, False, f"{type(e).__name__}: {e}")
    await drop(bad)

    name = f"{prefix}/plain-ws-client-refused"
    plain = "ws://" + url.split("://", 1)[1]
    try:
        ws = await connect(plain)
        report(name, False, f"a plain ws:// handshake succeeded on a TLS port ({plain})")
        await drop(ws)
    except Exception as e:
        report(name, not isinstance(e, asyncio.TimeoutError), f"no answer within 10 s: {type(e).__name__}: {e}")
    name = f"{prefix}/serves-after-plain-client"
    try:
        ws = await connect(url, ssl=ctx)
        ok, why = await echo_one(ws, "still serving TLS")
        report(name, ok, why)
        await asyncio.wait_for(ws.close(), 10)
    except Exception as e:
        report(name, False, f"{type(e).__name__}: {e}")


async def run_tls_refusal(client_bin, name, ssl_ctx, flags, want_reason):
    """A wss:// server whose certificate the client must refuse: exit 1, "certificate verify
    failed" and `want_reason` on stderr, and no WebSocket connection at all."""
    sessions = []

    async def handler(ws, path=None):
        sessions.append(ws)

    async with websockets.serve(handler, "127.0.0.1", 0, ssl=ssl_ctx, ping_interval=None, close_timeout=5) as server:
        port = server.sockets[0].getsockname()[1]
        argv = [client_bin, "--echo", *flags, f"wss://127.0.0.1:{port}/refused"]
        proc = await asyncio.create_subprocess_exec(*argv, stdin=asyncio.subprocess.DEVNULL,
                                                    stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        try:
            out, err = await asyncio.wait_for(proc.communicate(), 30)
        except asyncio.TimeoutError:
            proc.kill()
            out, err = await proc.communicate()
            report(name, False, f"client did not exit within 30 s; output: {tail(out + err)}")
            return
        text = err.decode(errors="replace")
        if proc.returncode != 1:
            report(name, False, f"client exited {proc.returncode}, expected 1; output: {tail(out + err)}")
        elif "certificate verify failed" not in text or want_reason not in text:
            report(name, False, f"expected 'certificate verify failed' and {want_reason!r} on stderr; got: {tail(err)}")
        elif sessions:
            report(name, False, "the WebSocket handshake went through although the certificate was refused")
        else:
            report(name, True)


async def run_tls_server(client_bin, prefix, cert, key, other_cert, other_key):
    """`client` against websockets' wss:// server: the echo matrix with --ca CERT (the certificate names
    localhost and 127.0.0.1), by host name, without permessage-deflate and interactive; then certificates
    it must refuse."""
    ctx = server_tls(cert, key)
    ca = ("--ca", cert)
    out = await run_server_scenario(client_bin, Scenario(f"{prefix}/ip", 1000, "", True), 0,
                                    f"{prefix}/ip/client-exit-0-after-1000", 600, ssl_ctx=ctx, flags=ca)
    said = (out or b"").decode(errors="replace")
    report(f"{prefix}/ip/client-prints-tls-version", re.search(r"TLS: TLSv1\.[23] \S+", said) is not None,
           f"no `TLS: TLSv1.x CIPHER` line from the client; output: {tail(out)}")
    await run_server_scenario(client_bin, Scenario(f"{prefix}/localhost", 4000, "bye over TLS ✓", False), 0,
                              f"{prefix}/localhost/client-exit-0-after-4000", 60, ssl_ctx=ctx, host="localhost", flags=ca)
    await run_server_scenario(client_bin, Scenario(f"{prefix}/no-deflate", 1000, "", False), 0,
                              f"{prefix}/no-deflate/client-exit-0", 60, ssl_ctx=ctx, flags=ca + ("--no-deflate",))
    await run_server_scenario(client_bin, Scenario(f"{prefix}/interactive", 1000, "", False, kind="interactive"), 0,
                              f"{prefix}/interactive/client-exit-0", 60, ssl_ctx=ctx, flags=ca)
    await run_server_scenario(client_bin, Scenario(f"{prefix}/abort", 1000, "", False, abort=True), 1,
                              f"{prefix}/abort/client-exit-1", 60, ssl_ctx=ctx, flags=ca)
    await run_server_scenario(client_bin, Scenario(f"{prefix}/invalid-utf8", 1000, "", False, kind="invalid-utf8"), 1,
                              f"{prefix}/invalid-utf8/client-exit-1", 60, ssl_ctx=ctx, flags=ca)
    await run_tls_refusal(client_bin, f"{prefix}/refuses-untrusted-certificate", ctx, (), "self-signed certificate")
    await run_tls_refusal(client_bin, f"{prefix}/refuses-certificate-of-another-ca", ctx, ("--ca", other_cert),
                          "self-signed certificate")
    await run_tls_refusal(client_bin, f"{prefix}/refuses-certificate-for-another-host", server_tls(other_cert, other_key),
                          ("--ca", other_cert), "IP address mismatch")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--prefix")
    ap.add_argument("--cafile", help="for wss:// URLs: trust this certificate (PEM)")
    sub = ap.add_subparsers(dest="mode", required=True)
    c = sub.add_parser("client")
    c.add_argument("url")
    li = sub.add_parser("limit")
    li.add_argument("url")
    li.add_argument("limit", type=int)
    h = sub.add_parser("hold")
    h.add_argument("url")
    s = sub.add_parser("server")
    s.add_argument("client_bin")
    dc = sub.add_parser("deflate-client")
    dc.add_argument("url")
    dc.add_argument("plan", choices=sorted(DEFLATE_CLIENT_PLANS))
    ds = sub.add_parser("deflate-server")
    ds.add_argument("client_bin")
    tc = sub.add_parser("tls-client")
    tc.add_argument("url")
    tc.add_argument("cafile")
    ts = sub.add_parser("tls-server")
    for arg in ("client_bin", "cert", "key", "other_cert", "other_key"):
        ts.add_argument(arg)
    a = ap.parse_args()
    global CAFILE
    CAFILE = a.cafile
    try:
        if a.mode == "client":
            asyncio.run(run_client(a.url, a.prefix or "python-client"))
        elif a.mode == "hold":
            asyncio.run(run_hold(a.url, a.prefix or "python-hold"))
        elif a.mode == "limit":
            asyncio.run(run_limit(a.url, a.prefix or "python-limit", a.limit))
        elif a.mode == "deflate-client":
            asyncio.run(run_deflate_client(a.url, a.prefix or f"python-deflate-client/{a.plan}", a.plan))
        elif a.mode == "tls-client":
            asyncio.run(run_tls_client(a.url, a.prefix or "python-tls-client", a.cafile))
        elif a.mode == "tls-server":
            asyncio.run(run_tls_server(os.path.abspath(a.client_bin), a.prefix or "python-tls-server",
                                       a.cert, a.key, a.other_cert, a.other_key))
        elif a.mode == "deflate-server":
            asyncio.run(run_deflate_server(os.path.abspath(a.client_bin), a.prefix or "python-deflate-server"))
        else:
            asyncio.run(run_server(os.path.abspath(a.client_bin), a.prefix or "python-server"))
    except Exception as e:
        report(f"python-peer/{a.mode}", False, f"unexpected {type(e).__name__}: {e}")
    sys.exit(1 if FAILED else 0)


if __name__ == "__main__":
    main()
