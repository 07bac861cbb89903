#!/usr/bin/env python3
"""tests/interop/echo_checks.py — byte-level checks of examples/echo_server
through raw sockets on 127.0.0.1 (the python standard library only: the
opening handshake and the masking are done here), so each check sees exactly
which frames come back, in which order, and how TCP ends.

  whole-message echo      a text and a binary message sent in 3 fragments come
                          back as one frame each (FIN, the message's opcode,
                          the fragments' concatenation)
  invalid UTF-8           bad UTF-8 in a text message's 2nd fragment: no data
                          frame at all, close 1007, then end of stream
  ping between fragments  the pong comes before the message's echo
  --stream                a second server started with --stream echoes the
                          fragmented message as fragments
  peer close              close 1000 "bye" is answered with 1000 "bye" and TCP
                          ends within 100 ms (default and --stream)
  compression on the wire  with permessage-deflate offered: a 200 KB text
                          message comes back compressed (RSV1 on its first
                          frame only, far fewer bytes, inflating to the
                          message), a 10-byte one uncompressed (under
                          compress_min_size; --stream compresses it too),
                          a message we compress is
                          inflated and echoed; with --no-deflate the offer is
                          declined and nothing comes back with RSV1
  flood, then read        against --max-message-size 1024: a client that
                          announces a 1 MiB frame, sends 1-4 MiB without
                          reading, then reads, gets close 1009 and then EOF
                          (not a reset: the server lingers) in 100 of 100 runs;
                          again with 300 echoes queued before the flood and a
                          small receive buffer, where a server that closes
                          with unread input resets its close frame away

run_interop.py calls run() from its echo_server section; alone:
  echo_checks.py ECHO_SERVER_BIN [--logs DIR]
"""
import base64
import hashlib
import os
import socket
import struct
import sys
import time
import zlib

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
FLOOD_RUNS = 100


class Closed(Exception):
    """The stream ended (or was reset) before a whole frame arrived."""


def mask(payload, key):
    """payload XOR the repeated 4-byte key (RFC 6455 §5.3)."""
    if not payload:
        return b""
    n = len(payload)
    k = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(k, "big")).to_bytes(n, "big")


def frame(opcode, payload=b"", fin=True, length=None, rsv=0):
    """A masked client frame; `length` overrides the announced payload length."""
    n = len(payload) if length is None else length
    head = bytes([(0x80 if fin else 0) | rsv | opcode])
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + struct.pack("!H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack("!Q", n)
    key = os.urandom(4)
    return head + key + mask(payload, key)


def close_frame(code, reason=b""):
    return frame(0x8, struct.pack("!H", code) + reason)


def handshake_request(port, extensions=None):
    key = base64.b64encode(os.urandom(16))
    ext = b"Sec-WebSocket-Extensions: %s\r\n" % extensions.encode() if extensions else b""
    req = (b"GET /echo HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           b"Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n%s\r\n" % (port, key, ext))
    accept = base64.b64encode(hashlib.sha1(key + GUID).digest())
    return req, accept


class Peer:
    """A raw client connection: frames out, frames in, and how TCP ended."""

    def __init__(self, port, timeout=5.0, extensions=None):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.end = None  # "eof" or "reset" once the stream is over
        self.rsv = 0  # the RSV bits of the last frame next_frame() returned
        req, accept = handshake_request(port, extensions)
        self.sock.sendall(req)
        while b"\r\n\r\n" not in self.buf:
            if not self._fill():
                raise Closed(f"the handshake response did not come ({self.end}): {self.buf[:200]!r}")
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        if not head.startswith(b"HTTP/1.1 101") or b"Sec-WebSocket-Accept: " + accept not in head:
            raise Closed(f"not a 101 with the right accept key: {head[:300]!r}")
        self.head = head.decode(errors="replace")

    def _fill(self):
        """Reads more bytes into buf; False at the end of the stream."""
        if self.end:
            return False
        try:
            data = self.sock.recv(65536)
        except ConnectionResetError:
            self.end = "reset"
            return False
        if not data:
            self.end = "eof"
            return False
        self.buf += data
        return True

    def send(self, data):
        self.sock.sendall(data)

    def next_frame(self):
        """(fin, opcode, payload) of the next server frame; raises Closed at the end."""
        while True:
            b = self.buf
            if len(b) >= 2:
                n = b[1] & 0x7F
                at = 2
                if n == 126 and len(b) >= 4:
                    n, at = struct.unpack("!H", b[2:4])[0], 4
                elif n == 127 and len(b) >= 10:
                    n, at = struct.unpack("!Q", b[2:10])[0], 10
                if (b[1] & 0x7F) < 126 or at > 2:
                    if b[1] & 0x80:
                        raise Closed("the server sent a masked frame")
                    if len(b) >= at + n:
                        self.buf = b[at + n:]
                        self.rsv = b[0] & 0x70
                        return bool(b[0] & 0x80), b[0] & 0x0F, b[at:at + n]
            if not self._fill():
                raise Closed(f"stream ended ({self.end}) with {len(self.buf)} bytes of a frame")

    def frames_until_end(self):
        """Every frame until the stream ends; then self.end says how."""
        out = []
        while True:
            try:
                out.append(self.next_frame())
            except Closed:
                return out

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def describe(frames):
    return [f"{'FIN ' if fin else ''}op{op} {len(p)}B {p[:24]!r}" for fin, op, p in frames]


def close_code(payload):
    return struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None


# ------------------------------------------------------------------ checks


def check_whole(port, check, prefix):
    """A text and a binary message in 3 fragments: one frame each; a ping then proves no more came."""
    cases = (("text", 0x1, [b"Hel", "lo, w\u00f6".encode(), " rld \u20ac!".encode()]),
             ("binary", 0x2, [os.urandom(1000), b"", os.urandom(200000)]))
    for label, op, parts in cases:
        name = f"{prefix}/whole-{label}-message-from-3-fragments"
        p = None
        try:
            p = Peer(port)
            for i, part in enumerate(parts):
                p.send(frame(op if i == 0 else 0x0, part, fin=i == len(parts) - 1))
                time.sleep(0.01)  # separate reads on the server
            p.send(frame(0x9, b"sync"))
            got = [p.next_frame(), p.next_frame()]
            want = [(True, op, b"".join(parts)), (True, 0xA, b"sync")]
            check(name, got == want, f"expected one FIN op{op} frame of {len(want[0][2])} bytes then the pong, got {describe(got)}")
        except (OSError, Closed) as e:
            check(name, False, f"{type(e).__name__}: {e}")
        finally:
            if p:
                p.close()


def check_bad_utf8(port, check, prefix):
    name = f"{prefix}/bad-utf8-in-2nd-fragment-no-echo-1007"
    p = None
    try:
        p = Peer(port)
        p.send(frame(0x1, b"valid start ", fin=False))
        time.sleep(0.01)
        p.send(frame(0x0, b"then \xc3\x28 bad", fin=False))
        time.sleep(0.01)
        try:
            p.send(frame(0x0, b" end", fin=True))
        except OSError:
            pass
        got = p.frames_until_end()
        data = [f for f in got if f[1] in (0x0, 0x1, 0x2)]
        closes = [f for f in got if f[1] == 0x8]
        ok = not data and len(closes) == 1 and close_code(closes[0][2]) == 1007 and got[-1][1] == 0x8 and p.end == "eof"
        check(name, ok, f"expected only a close 1007 then EOF, got {describe(got)} then {p.end}")
    except (OSError, Closed) as e:
        check(name, False, f"{type(e).__name__}: {e}")
    finally:
        if p:
            p.close()


def check_ping_between(port, check, prefix):
    name = f"{prefix}/pong-before-echo-for-ping-between-fragments"
    p = None
    try:
        p = Peer(port)
        p.send(frame(0x1, b"first half, ", fin=False))
        time.sleep(0.01)
        p.send(frame(0x9, b"between"))
        time.sleep(0.01)
        p.send(frame(0x0, b"second half", fin=True))
        got = [p.next_frame(), p.next_frame()]
        want = [(True, 0xA, b"between"), (True, 0x1, b"first half, second half")]
        check(name, got == want, f"expected the pong then one text frame, got {describe(got)}")
    except (OSError, Closed) as e:
        check(name, False, f"{type(e).__name__}: {e}")
    finally:
        if p:
            p.close()


def check_streamed(port, check, prefix):
    name = f"{prefix}/fragmented-message-echoed-as-fragments"
    p = None
    try:
        p = Peer(port)
        parts = [b"one, ", b"two, ", b"three"]
        for i, part in enumerate(parts):
            p.send(frame(0x1 if i == 0 else 0x0, part, fin=i == len(parts) - 1))
            time.sleep(0.02)
        got = []
        while not got or not got[-1][0]:
            got.append(p.next_frame())
        ok = (len(got) >= 2 and got[0][1] == 0x1 and all(f[1] == 0x0 for f in got[1:]) and
              not any(f[0] for f in got[:-1]) and b"".join(f[2] for f in got) == b"".join(parts))
        check(name, ok, f"expected the message in several frames (text, continuations, FIN last), got {describe(got)}")
    except (OSError, Closed) as e:
        check(name, False, f"{type(e).__name__}: {e}")
    finally:
        if p:
            p.close()


def check_peer_close(port, check, prefix, timings):
    """Close 1000 "bye": the reply echoes code and reason, and TCP ends within 100 ms."""
    p = None
    try:
        p = Peer(port)
        p.send(frame(0x1, b"before close"))
        first = p.next_frame()
        start = time.monotonic()
        p.send(close_frame(1000, b"bye"))
        got = p.frames_until_end()
        took = time.monotonic() - start
        timings.append((prefix, took))
        closes = [f for f in got if f[1] == 0x8]
        reply = closes[0][2] if closes else None
        check(f"{prefix}/peer-close-answered-1000", first == (True, 0x1, b"before close") and reply is not None and
              close_code(reply) == 1000 and len(got) == 1,
              f"echo {describe([first])}, then {describe(got)}: expected one close frame with code 1000")
        check(f"{prefix}/peer-close-reason-echoed", reply is not None and reply[2:] == b"bye",
              f"the reply to close 1000 'bye' has reason {reply[2:] if reply is not None else None!r}, expected b'bye'")
        check(f"{prefix}/peer-close-ends-tcp-under-100ms", p.end == "eof" and took < 0.1,
              f"from our close frame to {p.end}: {took * 1000:.1f} ms")
    except (OSError, Closed) as e:
        for n in ("peer-close-answered-1000", "peer-close-reason-echoed", "peer-close-ends-tcp-under-100ms"):
            check(f"{prefix}/{n}", False, f"{type(e).__name__}: {e}")
    finally:
        if p:
            p.close()


def extensions_answer(head):
    """The value of the 101's Sec-WebSocket-Extensions header, or None."""
    for line in head.split("\r\n")[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "sec-websocket-extensions":
            return value.strip()
    return None


def read_message(p):
    """The next data message as (opcode, [(rsv, payload) per frame]); control frames are skipped."""
    frames, op = [], None
    while True:
        fin, o, payload = p.next_frame()
        if o >= 0x8:
            continue
        op = o if op is None else op
        frames.append((p.rsv, payload))
        if fin:
            return op, frames


def deflate_message(data):
    """RFC 7692 §7.2.1: raw DEFLATE, sync flush, the 00 00 ff ff tail removed."""
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    out = c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH)
    assert out.endswith(b"\x00\x00\xff\xff")
    return out[:-4]


def check_deflate_wire(port, check, prefix, streamed=False):
    """permessage-deflate as the bytes show it (the peers' libraries hide RSV1).
    `streamed` (--stream): every echo is compressed, a short one too."""
    name = f"{prefix}/permessage-deflate-on-the-wire"
    p = None
    try:
        p = Peer(port, extensions="permessage-deflate; client_max_window_bits")
        answer = extensions_answer(p.head)
        words = [b"codec ", b"frame ", b"window ", b"deflate ", "café ".encode()]
        big = b"".join(words[i * 7 % 5] for i in range(40000))  # about 250 KB of text that compresses well
        problems = []
        inflater = zlib.decompressobj(-15)  # one for the connection: the server keeps its context (§7.2.3.1)
        if not answer or not answer.startswith("permessage-deflate"):
            problems.append(f"the offer was answered with {answer!r}")
        # 1. Sent plain: the echo comes compressed.
        p.send(frame(0x1, big))
        op, frames = read_message(p)
        wire = b"".join(f[1] for f in frames)
        rsvs = [f[0] for f in frames]
        try:
            plain = inflater.decompress(wire + b"\x00\x00\xff\xff")
        except zlib.error as e:
            plain = f"inflate failed: {e}".encode()
        if op != 0x1 or rsvs[0] != 0x40 or any(rsvs[1:]):
            problems.append(f"echo of {len(big)} B: opcode {op}, RSV bits per frame {rsvs[:6]} (RSV1 on the first frame only)")
        if len(wire) > len(big) // 4:
            problems.append(f"echo of {len(big)} B took {len(wire)} B on the wire")
        if plain != big:
            problems.append(f"the echo inflates to {len(plain)} B that differ from the {len(big)} B sent")
        # 2. Under compress_min_size (32 B): a whole message's echo goes
        # uncompressed; a streamed echo is compressed before its size is known.
        p.send(frame(0x2, b"0123456789"))
        op, frames = read_message(p)
        if streamed:
            wire = b"".join(f[1] for f in frames)
            got = inflater.decompress(wire + b"\x00\x00\xff\xff") if frames[0][0] == 0x40 else wire
            if op != 0x2 or got != b"0123456789":
                problems.append(f"10-byte echo: opcode {op}, frames {frames!r}, inflating to {got!r}")
        elif (op, frames) != (0x2, [(0, b"0123456789")]):
            problems.append(f"10-byte echo: opcode {op}, frames {frames!r}, expected one plain frame")
        # 3. Sent compressed, in two frames: inflated, echoed (compressed again).
        msg = b"".join(words[i % 5] for i in range(3000))
        z = deflate_message(msg)
        p.send(frame(0x2, z[:len(z) // 2], fin=False, rsv=0x40))
        p.send(frame(0x0, z[len(z) // 2:]))
        op, frames = read_message(p)
        wire = b"".join(f[1] for f in frames)
        got = inflater.decompress(wire + b"\x00\x00\xff\xff") if frames[0][0] == 0x40 else wire
        if op != 0x2 or got != msg:
            problems.append(f"compressed {len(msg)} B in two frames: echo opcode {op}, {len(got)} B, equal: {got == msg}")
        check(name, not problems, "; ".join(problems) + f" (answer {answer!r})")
    except (OSError, Closed, zlib.error) as e:
        check(name, False, f"{type(e).__name__}: {e}")
    finally:
        if p:
            p.close()


def check_no_deflate(port, check, prefix):
    """--no-deflate: the offer is declined, and the echo comes plain."""
    name = f"{prefix}/permessage-deflate-declined"
    p = None
    try:
        p = Peer(port, extensions="permessage-deflate; client_max_window_bits")
        answer = extensions_answer(p.head)
        msg = b"no compression here " * 1000
        p.send(frame(0x1, msg))
        op, frames = read_message(p)
        ok = answer is None and op == 0x1 and all(f[0] == 0 for f in frames) and b"".join(f[1] for f in frames) == msg
        check(name, ok, f"answer {answer!r}, echo opcode {op}, RSV bits {[f[0] for f in frames][:6]}")
    except (OSError, Closed) as e:
        check(name, False, f"{type(e).__name__}: {e}")
    finally:
        if p:
            p.close()


def flood_once(port, chunk, total, backlog=b"", rcvbuf=None):
    """Handshake, then `backlog` (whole messages to echo), a 1 MiB binary frame
    header and `total` bytes of masked payload, all sent without reading; then
    reads until the end of the stream. Returns (close code or None, how the
    stream ended: "eof", "reset" or "timeout", how sending ended)."""
    req, _ = handshake_request(port)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        if rcvbuf:  # a small window: the server's output backs up on its side
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        s.settimeout(5)
        s.connect(("127.0.0.1", port))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.sendall(req)  # not waiting for the 101
        head = bytes([0x82, 0x80 | 127]) + struct.pack("!Q", 1 << 20) + b"\x01\x02\x03\x04"  # the key `chunk` is masked with
        s.setblocking(False)
        pending = backlog + head
        sent = 0
        stalled = None
        send_end = "all sent"
        while pending or sent < total:
            if not pending:
                pending = chunk[:min(len(chunk), total - sent)]
            try:
                n = s.send(pending[:1 << 16])
                pending = pending[n:]
                sent += n
                stalled = None
            except BlockingIOError:
                # The server is not reading (or not yet): give it a moment, then stop.
                now = time.monotonic()
                stalled = stalled or now
                if now - stalled > 0.2:
                    send_end = f"stalled after {sent} bytes"
                    break
                time.sleep(0.001)
            except OSError as e:
                send_end = f"{type(e).__name__} after {sent} bytes"
                break
        s.settimeout(5)
        data = bytearray()
        end = "eof"
        while True:
            try:
                d = s.recv(1 << 16)
            except ConnectionResetError:
                end = "reset"
                break
            except socket.timeout:
                end = "timeout"
                break
            if not d:
                break
            data += d
    finally:
        s.close()
    if b"\r\n\r\n" not in data:
        return None, end, send_end
    rest = memoryview(data)[data.index(b"\r\n\r\n") + 4:]
    while len(rest) >= 2:
        n, at = rest[1] & 0x7F, 2
        if n == 126:
            n, at = struct.unpack("!H", rest[2:4])[0], 4
        elif n == 127:
            n, at = struct.unpack("!Q", rest[2:10])[0], 10
        if rest[0] & 0x0F == 0x8:
            return close_code(bytes(rest[at:at + n])), end, send_end
        rest = rest[at + n:]
    return None, end, send_end


def check_flood(port, check, prefix):
    """The flood FLOOD_RUNS times; then, FLOOD_RUNS times, the same after 300
    messages to echo with a 32 KiB receive buffer, so that the server's
    output (the close frame last) is still queued on its side when it is done:
    a close with unread input would reset it away there."""
    chunk = mask(os.urandom(1 << 16), b"\x01\x02\x03\x04")
    backlog = b"".join(frame(0x2, os.urandom(1000)) for _ in range(300))
    for label, extra, rcvbuf in (("flood", b"", None), ("echo-backlog-then-flood", backlog, 32768)):
        got = clean = 0
        whys = []
        start = time.monotonic()
        for i in range(FLOOD_RUNS):
            total = (1 + i % 4) << 20  # 1 to 4 MiB
            try:
                code, end, send_end = flood_once(port, chunk, total, extra, rcvbuf)
            except OSError as e:
                code, end, send_end = None, f"{type(e).__name__}: {e}", ""
            got += code == 1009
            clean += end == "eof" and send_end == "all sent"
            if (code != 1009 or end != "eof") and len(whys) < 3:
                whys.append(f"run {i}: close code {code}, stream ended with {end}, sending: {send_end}")
        took = time.monotonic() - start
        print(f"# {prefix}: {label} then read: {got}/{FLOOD_RUNS} runs got close 1009, "
              f"{clean}/{FLOOD_RUNS} sent everything and read EOF (no reset) ({took:.1f} s)", flush=True)
        check(f"{prefix}/{label}-then-read-gets-close-1009-in-{FLOOD_RUNS}-of-{FLOOD_RUNS}", got == FLOOD_RUNS,
              f"{got}/{FLOOD_RUNS} runs got close 1009; " + "; ".join(whys))
        check(f"{prefix}/{label}-then-read-ends-with-eof-not-reset-in-{FLOOD_RUNS}-of-{FLOOD_RUNS}", clean == FLOOD_RUNS,
              f"{clean}/{FLOOD_RUNS} runs sent everything and then read EOF; " + "; ".join(whys))


# ------------------------------------------------------------------ driver


def run(echo_server, logs, check, server_class, name="echo_server", stream=True):
    """Starts the servers these checks need (default, --stream, --no-deflate
    and --max-message-size 1024), runs the checks through check(name, ok, why),
    stops the servers; returns the time taken. `name` begins the check names;
    stream=False: the server has no --stream (the adapters' echo servers)."""
    t0 = time.monotonic()
    timings = []
    plans = ((f"{name}-raw", [], name),
             (f"{name}-stream", ["--stream"], f"{name}-stream"),
             (f"{name}-no-deflate", ["--no-deflate"], f"{name}-no-deflate"),
             (f"{name}-flood", ["--max-message-size", "1024"], f"{name}-flood"))
    if not stream:
        plans = tuple(p for p in plans if p[1] != ["--stream"])
    for log_name, extra, prefix in plans:
        srv = server_class(log_name, [echo_server, "--host", "127.0.0.1", "--port", "0"] + extra, logs)
        ok, why = srv.start()
        if not ok:
            check(f"{prefix}/ready-line-for-raw-checks", False, why)
            continue
        try:
            if not extra:
                check_whole(srv.port, check, prefix)
                check_bad_utf8(srv.port, check, prefix)
                check_ping_between(srv.port, check, prefix)
                check_peer_close(srv.port, check, prefix, timings)
                check_deflate_wire(srv.port, check, prefix)
            elif extra == ["--stream"]:
                check_streamed(srv.port, check, prefix)
                check_peer_close(srv.port, check, prefix, timings)
                check_deflate_wire(srv.port, check, prefix, streamed=True)
            elif extra == ["--no-deflate"]:
                check_no_deflate(srv.port, check, prefix)
            else:
                check_flood(srv.port, check, prefix)
            check(f"{prefix}/alive-after-raw-checks", srv.alive(), f"exited {srv.proc.poll()}; {srv.tail()}")
        finally:
            code = srv.stop()
            check(f"{prefix}/exit-0-after-raw-checks", code == 0, f"exit {code}; {srv.tail()}")
    print("# peer close to EOF: " + ", ".join(f"{p} {t * 1000:.1f} ms" for p, t in timings), flush=True)
    return time.monotonic() - t0


def main():
    import argparse

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import run_interop

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("echo_server")
    ap.add_argument("--logs", default="/tmp/echo_checks_logs")
    a = ap.parse_args()
    os.makedirs(a.logs, exist_ok=True)
    took = run(a.echo_server, a.logs, run_interop.check, run_interop.Server)
    c = run_interop.counts
    print(f"echo_checks: {c['PASS']} passed, {c['FAIL']} failed ({took:.1f} s)", flush=True)
    return 1 if c["FAIL"] else 0


if __name__ == "__main__":
    sys.exit(main())
