#!/usr/bin/env python3
"""tests/interop/close_checks.py — how the examples end connections, timed, with
raw sockets (python3's standard library only: the handshake, masking and
framing are done here) on 127.0.0.1 only.

  chat_server  a close the client starts completes in under 100 ms, and the
               reply carries its code and reason (1000 "bye"); with
               --ping-interval 200ms --ping-timeout 300ms a silent client gets
               a ping after about 200 ms, then close 1011 and the end of the
               stream within 1 s, while a client that answers pings stays;
               a client that sends a frame over the 64 KiB message limit and
               floods on without reading, then reads, gets close 1009 in 100
               of 100 runs (the server lingers instead of resetting)
  client       (--echo) answers a server's close 1000 "bye" and closes TCP
               once the server does, in under 100 ms, exit 0; after a failure
               (invalid UTF-8: 1007) it lingers: its close frame, then its FIN,
               and it reads on until the server closes TCP, exit 1; its
               request offers permessage-deflate, and a 101 whose answer to
               the offer is invalid fails the handshake (handshake_bad_deflate
               on stderr, exit 1)

run_interop.py calls chat_server_checks() and client_checks() with its check();
run alone, this prints the same PASS/FAIL lines:

  close_checks.py EXAMPLES_DIR [--logs DIR]
"""
import base64
import hashlib
import os
import re
import select
import signal
import socket
import subprocess
import sys
import threading
import time

HOST = "127.0.0.1"
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
READY = re.compile(r"listening on ws://([0-9.]+):(\d+)\s*$")
TEXT, BINARY, CLOSE, PING, PONG = 0x1, 0x2, 0x8, 0x9, 0xA
CHAT_MAX_MESSAGE = 64 * 1024  # chat_server.cpp: max_message_size
CLOSE_LIMIT = 0.100           # seconds: a close must not stall


class Ended(Exception):
    """The stream ended (or was reset) where a frame was expected."""


# ------------------------------------------------------------------ frames

def accept_key(key):
    return base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()


def xor_mask(data, key):
    n = len(data)
    if n == 0:
        return b""
    k = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "big") ^ int.from_bytes(k, "big")).to_bytes(n, "big")


def frame_header(opcode, n, mask_key=None, fin=True):
    """The header of a frame of n payload bytes; masked if mask_key is given."""
    m = 0x80 if mask_key is not None else 0
    h = bytes([(0x80 if fin else 0) | opcode])
    if n < 126:
        h += bytes([m | n])
    elif n < 65536:
        h += bytes([m | 126]) + n.to_bytes(2, "big")
    else:
        h += bytes([m | 127]) + n.to_bytes(8, "big")
    return h + (mask_key or b"")


def encode(opcode, payload=b"", masked=False):
    key = os.urandom(4) if masked else None
    return frame_header(opcode, len(payload), key) + (xor_mask(payload, key) if masked else payload)


def close_body(code, reason=""):
    return code.to_bytes(2, "big") + reason.encode()


def parse_close(payload):
    """(code, reason) of a close frame's payload; (1005, "") if empty."""
    if len(payload) < 2:
        return 1005, ""
    return int.from_bytes(payload[:2], "big"), payload[2:].decode(errors="replace")


class Peer:
    """One end of a WebSocket on a blocking socket: whole frames in, with
    deadlines (time.monotonic()); frames out masked when we are the client."""

    def __init__(self, sock, buf=b"", client=True):
        self.sock = sock
        self.buf = bytearray(buf)
        self.client = client
        self.eof = False

    def _fill(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("deadline passed")
        self.sock.settimeout(left)
        try:
            chunk = self.sock.recv(1 << 16)
        except socket.timeout:
            raise TimeoutError("deadline passed") from None
        except ConnectionError as e:
            raise Ended(f"{type(e).__name__} while reading") from None
        if not chunk:
            self.eof = True
            raise Ended("end of stream")
        self.buf += chunk

    def _need(self, n, deadline):
        while len(self.buf) < n:
            self._fill(deadline)

    def frame(self, deadline):
        """(opcode, payload) of the next frame; Ended at the end of the
        stream, TimeoutError at the deadline."""
        self._need(2, deadline)
        b0, b1 = self.buf[0], self.buf[1]
        n, pos = b1 & 0x7F, 2
        if n == 126:
            self._need(4, deadline)
            n, pos = int.from_bytes(self.buf[2:4], "big"), 4
        elif n == 127:
            self._need(10, deadline)
            n, pos = int.from_bytes(self.buf[2:10], "big"), 10
        key = None
        if b1 & 0x80:
            self._need(pos + 4, deadline)
            key, pos = bytes(self.buf[pos:pos + 4]), pos + 4
        self._need(pos + n, deadline)
        payload = bytes(self.buf[pos:pos + n])
        del self.buf[:pos + n]
        if key is not None:
            payload = xor_mask(payload, key)
        return b0 & 0x0F, payload

    def wait_eof(self, deadline):
        """Reads (and drops) until the end of the stream; the frames' opcodes
        that came meanwhile."""
        ops = []
        while True:
            try:
                ops.append(self.frame(deadline)[0])
            except Ended:
                return ops

    def send(self, opcode, payload=b""):
        self.sock.sendall(encode(opcode, payload, masked=self.client))


def read_head(sock, deadline):
    """An HTTP head up to its blank line, and the bytes after it."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no complete HTTP head")
        sock.settimeout(left)
        chunk = sock.recv(4096)
        if not chunk:
            raise Ended(f"end of stream inside the HTTP head {buf[:200]!r}")
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    return head.decode(errors="replace"), rest


def ws_connect(port, target, timeout=5.0, rcvbuf=None):
    """A client socket after a successful opening handshake, as a Peer;
    rcvbuf: SO_RCVBUF, set before connecting (it bounds the TCP window)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.settimeout(timeout)
    sock.connect((HOST, port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET {target} HTTP/1.1\r\nHost: {HOST}:{port}\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    head, rest = read_head(sock, time.monotonic() + timeout)
    lines = head.split("\r\n")
    if not lines[0].startswith("HTTP/1.1 101"):
        sock.close()
        raise Ended(f"handshake refused: {lines[0]!r}")
    if f"sec-websocket-accept: {accept_key(key)}".lower() not in (l.lower() for l in lines[1:]):
        sock.close()
        raise Ended(f"wrong or missing Sec-WebSocket-Accept in {head!r}")
    return Peer(sock, rest, client=True)


def ws_accept(sock, deadline):
    """Server side: reads the request on an accepted socket, answers 101; a Peer."""
    head, rest = read_head(sock, deadline)
    m = re.search(r"(?im)^sec-websocket-key:\s*(\S+)\s*$", head)
    if not m:
        raise Ended(f"no Sec-WebSocket-Key in {head!r}")
    sock.sendall((f"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  f"Sec-WebSocket-Accept: {accept_key(m.group(1))}\r\n\r\n").encode())
    return Peer(sock, rest, client=False)


def ms(t):
    return f"{t * 1000:.1f} ms"


def note(text):
    print(f"# close-checks: {text}", flush=True)


def guarded(name, check, fn, *args):
    """fn(*args); an exception it lets through is a FAIL named `name`."""
    try:
        fn(*args)
    except Exception as e:  # noqa: BLE001 - any surprise is a failed check, not a crashed suite
        check(name, False, f"{type(e).__name__}: {e}")


# ---------------------------------------------------------------- servers

class Example:
    """An example server on 127.0.0.1 with --port 0; stderr to a log file."""

    def __init__(self, argv, log_path):
        self.log = open(log_path, "w", encoding="utf-8")
        self.log.write("$ " + " ".join(argv) + "\n")
        self.log.flush()
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self.log,
                                     start_new_session=True)
        self.port = None
        deadline = time.monotonic() + 10
        while self.port is None and time.monotonic() < deadline:
            r, _, _ = select.select([self.proc.stdout], [], [], max(0.0, deadline - time.monotonic()))
            if not r:
                break
            line = self.proc.stdout.readline().decode(errors="replace")
            if not line:
                break
            m = READY.search(line)
            if m:
                self.port = int(m.group(2))
        threading.Thread(target=lambda: [None for _ in self.proc.stdout], daemon=True).start()

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode


# ------------------------------------------------------------ chat_server

def chat_peer_close(port, check, runs=5):
    """A client joins, sends close 1000 "bye" and times the reply and the end of the stream."""
    eofs, replies, wrong, problems = [], [], [], []
    for i in range(runs):
        p = ws_connect(port, f"/chat?name=closer{i}")
        try:
            deadline = time.monotonic() + 5
            op, _ = p.frame(deadline)  # the welcome line: joined
            t0 = time.monotonic()
            p.send(CLOSE, close_body(1000, "bye"))
            while True:
                op, payload = p.frame(deadline)
                if op == CLOSE:
                    break
            replies.append(time.monotonic() - t0)
            got = parse_close(payload)
            if got != (1000, "bye"):
                wrong.append(got)
            p.wait_eof(deadline)
            eofs.append(time.monotonic() - t0)
        except (Ended, TimeoutError) as e:
            problems.append(f"run {i}: {e}")
        finally:
            p.sock.close()
    note(f"chat_server, close from the client: reply after {', '.join(ms(t) for t in replies)}; "
         f"end of stream after {', '.join(ms(t) for t in eofs)}")
    check("chat_server/peer-close-completes-under-100ms", len(eofs) == runs and max(eofs) < CLOSE_LIMIT,
          f"close 1000 sent, end of stream after {[ms(t) for t in eofs]} ({runs} runs; limit {ms(CLOSE_LIMIT)}); "
          f"{problems}")
    check("chat_server/peer-close-reply-echoes-1000-bye", len(replies) == runs and not wrong,
          f"sent close 1000 'bye'; {len(replies)}/{runs} replies, (code, reason) of those that differ: {wrong}; "
          f"{problems}")


def chat_keepalive(chat_bin, logs, check):
    """--ping-interval 200ms --ping-timeout 300ms: a silent client is pinged,
    then failed with 1011; one that answers stays."""
    srv = Example([chat_bin, "--host", HOST, "--port", "0", "--ping-interval", "200ms", "--ping-timeout", "300ms"],
                  os.path.join(logs, "chat_server-keepalive.log"))
    if srv.port is None:
        check("chat_server/keepalive-ready-line", False, f"no ready line with --ping-interval 200ms (exit {srv.proc.poll()})")
        srv.stop()
        return
    try:
        # A client that answers nothing.
        p = ws_connect(srv.port, "/chat?name=silent")
        t0 = time.monotonic()
        deadline = t0 + 3
        t_ping = t_close = t_eof = None
        code = None
        seen = []
        try:
            while t_close is None:
                op, payload = p.frame(deadline)
                seen.append(op)
                if op == PING and t_ping is None:
                    t_ping = time.monotonic() - t0
                elif op == CLOSE:
                    t_close = time.monotonic() - t0
                    code = parse_close(payload)
            p.wait_eof(deadline)
            t_eof = time.monotonic() - t0
        except (Ended, TimeoutError) as e:
            seen.append(str(e))
        finally:
            p.sock.close()
        note(f"chat_server keepalive, silent client: ping after {ms(t_ping) if t_ping else '-'}, "
             f"close {code} after {ms(t_close) if t_close else '-'}, end of stream after {ms(t_eof) if t_eof else '-'}")
        check("chat_server/keepalive-pings-silent-client", t_ping is not None and 0.15 <= t_ping <= 0.45 and
              (t_close is None or t_ping < t_close),
              f"expected a ping about 200 ms after joining; ping after {t_ping}, close after {t_close}; frames {seen}")
        check("chat_server/keepalive-fails-silent-client-with-1011",
              code is not None and code[0] == 1011 and t_eof is not None and t_eof < 1.0 and
              t_ping is not None and t_close - t_ping >= 0.25,
              f"expected close 1011 about 300 ms after the ping, then the end of the stream, within 1 s; "
              f"got close {code} after {t_close} s (ping {t_ping} s), end of stream after {t_eof} s; frames {seen}")

        # A client that answers every ping stays.
        p = ws_connect(srv.port, "/chat?name=lively")
        t0 = time.monotonic()
        pings, problem = 0, None
        try:
            while time.monotonic() - t0 < 1.5:
                try:
                    op, payload = p.frame(t0 + 1.5)
                except TimeoutError:
                    break
                if op == PING:
                    pings += 1
                    p.send(PONG, payload)
                elif op == CLOSE:
                    problem = f"closed with {parse_close(payload)} after {ms(time.monotonic() - t0)}"
                    break
            if problem is None:  # still open: it ends with our close
                p.send(CLOSE, close_body(1000))
                while p.frame(time.monotonic() + 2)[0] != CLOSE:
                    pass
                p.wait_eof(time.monotonic() + 2)
        except (Ended, TimeoutError) as e:
            problem = problem or f"{e} after {ms(time.monotonic() - t0)}"
        finally:
            p.sock.close()
        note(f"chat_server keepalive, answering client: {pings} pings in 1.5 s, {problem or 'stayed connected'}")
        check("chat_server/keepalive-keeps-answering-client", problem is None and pings >= 2,
              f"a client answering pings with pongs for 1.5 s: {pings} pings, {problem or 'no close'}")
    finally:
        srv.stop()


def flood_then_read(port, i):
    """Joins with a small receive window and reads nothing: its own messages,
    broadcast back, fill that window, so what the server writes next (its
    close frame) waits in the server's send buffer. Then sends the header of
    a text frame over the limit and floods on, then reads to the end of the
    stream. A server that closed TCP with the flood unread would reset the
    connection and discard that close frame. (close code or None, whether
    the stream ended with a FIN rather than a reset, what happened)."""
    p = ws_connect(port, f"/chat?name=flood{i}", rcvbuf=4096)
    s = p.sock
    sent, reset = 0, False
    try:
        for _ in range(16):
            s.sendall(encode(TEXT, b"x" * 4000, masked=True))  # 64 KB back: more than the window
        time.sleep(0.03)  # the server writes them into its socket before the oversized frame comes
        declared = 4 * CHAT_MAX_MESSAGE * 4
        data = frame_header(TEXT, declared, b"\0\0\0\0") + bytes(declared)  # mask key 0: payload as is
        s.setblocking(False)
        sent, stop = 0, time.monotonic() + 0.5
        while sent < len(data) and time.monotonic() < stop:
            try:
                sent += s.send(data[sent:sent + (1 << 18)])
            except BlockingIOError:
                select.select([], [s], [], 0.01)
            except ConnectionError:
                reset = True  # what came before it is still read below
                break
        s.setblocking(True)
        deadline = time.monotonic() + 5
        code = None
        while True:
            op, payload = p.frame(deadline)
            if op == CLOSE:
                code = parse_close(payload)[0]
                break
        p.wait_eof(deadline)
        fin = p.eof and not reset
        return code, fin, f"{sent} bytes flooded, " + ("end of stream" if fin else "reset")
    except (Ended, TimeoutError) as e:
        return None, p.eof and not reset, f"{e} after {sent} bytes flooded" + (", reset while sending" if reset else "")
    finally:
        s.close()


def chat_linger(port, check, runs=100):
    t0 = time.monotonic()
    got, fins, bad = 0, 0, []
    for i in range(runs):
        code, fin, what = flood_then_read(port, i)
        got += code == 1009
        fins += fin
        if (code != 1009 or not fin) and len(bad) < 5:
            bad.append(f"run {i}: close {code}, {what}")
        if time.monotonic() - t0 > 30:
            bad.append(f"stopped after {i + 1} runs: over 30 s")
            break
    took = time.monotonic() - t0
    note(f"chat_server linger: close 1009 reached a flooding client in {got}/{runs} runs, "
         f"the stream ended with a FIN (no reset) in {fins}/{runs} ({took:.1f} s)")
    check("chat_server/linger-close-1009-reaches-flooding-client", got == runs,
          f"{got}/{runs} runs read close 1009 before the end of the stream; {bad}")
    check("chat_server/linger-ends-with-fin-not-reset", fins == runs,
          f"{fins}/{runs} runs read the end of the stream without a reset; {bad}")


def chat_server_checks(chat_bin, logs, check):
    """All chat_server checks; returns the seconds they took."""
    t = time.monotonic()
    os.makedirs(logs, exist_ok=True)
    srv = Example([chat_bin, "--host", HOST, "--port", "0"], os.path.join(logs, "chat_server-close.log"))
    if srv.port is None:
        check("chat_server/close-ready-line", False, f"no ready line (exit {srv.proc.poll()})")
        srv.stop()
        return time.monotonic() - t
    try:
        guarded("chat_server/peer-close-completes-under-100ms", check, chat_peer_close, srv.port, check)
        guarded("chat_server/linger-close-1009-reaches-flooding-client", check, chat_linger, srv.port, check)
        check("chat_server/alive-after-close-checks", srv.alive(), f"chat_server exited {srv.proc.poll()}")
    finally:
        srv.stop()
    guarded("chat_server/keepalive-pings-silent-client", check, chat_keepalive, chat_bin, logs, check)
    return time.monotonic() - t


# ----------------------------------------------------------------- client

def with_client(client_bin, logs, name, scenario):
    """Listens on 127.0.0.1:0, starts `client --echo` against it, accepts it
    and runs scenario(peer, proc); the client is killed if still running."""
    lsock = socket.socket()
    lsock.bind((HOST, 0))
    lsock.listen(1)
    port = lsock.getsockname()[1]
    log = open(os.path.join(logs, f"client-{name}.log"), "w", encoding="utf-8")
    proc = subprocess.Popen([client_bin, "--echo", f"ws://{HOST}:{port}/{name}"], stdin=subprocess.DEVNULL,
                            stdout=log, stderr=log)
    try:
        lsock.settimeout(10)
        conn, _ = lsock.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            p = ws_accept(conn, time.monotonic() + 5)
            deadline = time.monotonic() + 5
            p.send(TEXT, b"hello")  # the client is up: it echoes
            op, payload = p.frame(deadline)
            if (op, payload) != (TEXT, b"hello"):
                raise Ended(f"echo of 'hello' was {(op, payload)!r}")
            return scenario(p, proc)
        finally:
            conn.close()
    finally:
        lsock.close()
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        log.close()


def client_server_close(p, proc):
    """We close with 1000 "bye"; the reply, then our FIN, then the client's."""
    t0 = time.monotonic()
    deadline = t0 + 5
    p.send(CLOSE, close_body(1000, "bye"))
    while True:
        op, payload = p.frame(deadline)
        if op == CLOSE:
            break
    t_reply = time.monotonic() - t0
    p.sock.shutdown(socket.SHUT_WR)  # the server closes TCP first (§7.1.1)
    p.wait_eof(deadline)
    t_eof = time.monotonic() - t0
    try:
        code = proc.wait(5)
    except subprocess.TimeoutExpired:
        code = None
    return parse_close(payload), t_reply, t_eof, time.monotonic() - t0, code


def client_linger(p, proc):
    """Invalid UTF-8: the client fails with 1007, shuts down sending, and
    reads on until we close."""
    t0 = time.monotonic()
    deadline = t0 + 5
    p.send(TEXT, b"\xff\xfe")
    op, payload = p.frame(deadline)
    code = parse_close(payload) if op == CLOSE else (op, payload)
    ops = p.wait_eof(deadline)
    t_fin = time.monotonic() - t0
    time.sleep(0.2)  # a client that closed at once would have exited (and reset what follows)
    alive = proc.poll() is None
    sent_after = True
    try:
        for _ in range(3):
            p.send(TEXT, b"after the close")  # read and discarded while lingering
            time.sleep(0.02)
    except ConnectionError:
        sent_after = False
    t_close = time.monotonic()
    p.sock.close()
    try:
        exit_code = proc.wait(5)
    except subprocess.TimeoutExpired:
        exit_code = None
    return code, ops, t_fin, alive, sent_after, time.monotonic() - t_close, exit_code


def client_bad_deflate(client_bin, logs, check):
    """A 101 that answers the permessage-deflate offer with a window the
    offer does not allow (RFC 7692 §7.1): the client fails, exit 1."""
    lsock = socket.socket()
    lsock.bind((HOST, 0))
    lsock.listen(1)
    port = lsock.getsockname()[1]
    log_path = os.path.join(logs, "client-bad-deflate.log")
    with open(log_path, "w", encoding="utf-8") as log:
        proc = subprocess.Popen([client_bin, "--echo", f"ws://{HOST}:{port}/bad-deflate"], stdin=subprocess.DEVNULL,
                                stdout=log, stderr=log)
        head = ""
        try:
            lsock.settimeout(10)
            conn, _ = lsock.accept()
            try:
                deadline = time.monotonic() + 5
                head, _ = read_head(conn, deadline)
                key = re.search(r"(?im)^sec-websocket-key:\s*(\S+)\s*$", head).group(1)
                conn.sendall((f"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                              f"Sec-WebSocket-Accept: {accept_key(key)}\r\n"
                              f"Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=7\r\n\r\n").encode())
                conn.settimeout(5)
                try:
                    while conn.recv(4096):  # the client writes nothing more; it lingers until our FIN
                        pass
                except OSError:
                    pass
            finally:
                conn.close()
            code = proc.wait(5)
        except Exception:  # noqa: BLE001
            code = None
        finally:
            lsock.close()
            if proc.poll() is None:
                proc.kill()
            proc.wait()
    with open(log_path, encoding="utf-8", errors="replace") as f:
        out = f.read()
    offer = re.search(r"(?im)^sec-websocket-extensions:\s*(.*?)\s*$", head)
    check("client/offers-permessage-deflate", bool(offer) and offer.group(1).startswith("permessage-deflate"),
          f"the request's Sec-WebSocket-Extensions: {offer.group(1) if offer else None!r}")
    check("client/bad-deflate-answer-fails-handshake", code == 1 and "handshake_bad_deflate" in out,
          f"answered permessage-deflate; server_max_window_bits=7: exit {code}, output {out.strip()[-300:]!r}")


def client_checks(client_bin, logs, check, runs=3):
    """All client checks; returns the seconds they took."""
    t = time.monotonic()
    os.makedirs(logs, exist_ok=True)
    results, problems = [], []
    for i in range(runs):
        try:
            results.append(with_client(client_bin, logs, f"close{i}", client_server_close))
        except Exception as e:  # noqa: BLE001 - a failed check, not a crashed suite
            problems.append(f"run {i}: {e}")
    note("client, close from the server: " + "; ".join(
        f"reply {r[0]} after {ms(r[1])}, client's FIN {ms(r[2])}, exit {r[4]} at {ms(r[3])}" for r in results))
    check("client/server-close-completes-under-100ms",
          not problems and all(r[2] < CLOSE_LIMIT for r in results),
          f"close 1000 sent, reply and the client's end of stream after {[(ms(r[1]), ms(r[2])) for r in results]} "
          f"(limit {ms(CLOSE_LIMIT)}); {problems}")
    check("client/server-close-reply-1000", not problems and all(r[0][0] == 1000 for r in results),
          f"replies (code, reason) to close 1000 'bye': {[r[0] for r in results]}; {problems}")
    check("client/exit-0-after-server-close", not problems and all(r[4] == 0 for r in results),
          f"exit codes {[r[4] for r in results]}; {problems}")

    try:
        code, ops, t_fin, alive, sent_after, t_exit, exit_code = with_client(client_bin, logs, "linger", client_linger)
        note(f"client linger: close {code}, its FIN after {ms(t_fin)}, still reading 200 ms later: {alive}, "
             f"exit {exit_code} {ms(t_exit)} after our close")
        check("client/linger-close-1007-then-fin", code[0] == 1007 and not ops and t_fin < 1.0,
              f"invalid UTF-8 sent: expected close 1007 then the end of the stream; got {code}, then frames {ops}, "
              f"end after {ms(t_fin)}")
        check("client/linger-reads-until-server-closes", alive and sent_after and exit_code == 1 and t_exit < 1.0,
              f"after its FIN the client must read on (alive 200 ms later: {alive}; our frames accepted without a "
              f"reset: {sent_after}) and exit 1 once we close (exit {exit_code} after {ms(t_exit)})")
    except Exception as e:  # noqa: BLE001
        check("client/linger-close-1007-then-fin", False, str(e))
    guarded("client/bad-deflate-answer-fails-handshake", check, client_bad_deflate, client_bin, logs, check)
    return time.monotonic() - t


def main():
    import argparse
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("examples_dir")
    ap.add_argument("--logs", default=os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))), "build", "interop", "logs"))
    ap.add_argument("--only", default="chat_server,client")
    a = ap.parse_args()
    failed = []

    def check(name, ok, why):
        print(f"PASS {name}" if ok else f"FAIL {name}: {why}", flush=True)
        if not ok:
            failed.append(name)

    only = set(a.only.split(","))
    if "chat_server" in only:
        chat_server_checks(os.path.join(a.examples_dir, "chat_server"), a.logs, check)
    if "client" in only:
        client_checks(os.path.join(a.examples_dir, "client"), a.logs, check)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
