#!/usr/bin/env python3
"""tests/interop/run_interop.py EXAMPLES_DIR — the interop suite: the wscodec
examples against real peers, on 127.0.0.1 only.

EXAMPLES_DIR holds the built echo_server, client and chat_server (a meson
build dir configured with -Dexamples=true has them in <builddir>/examples/).
This script builds nothing and installs nothing. It starts the servers with
--port 0, reads the port from their `listening on ws://HOST:PORT` line, runs
each peer, stops the servers with SIGTERM/SIGINT and prints one line per check:

  PASS name
  FAIL name: why
  SKIP name: why

then `interop: N passed, M failed, K skipped`. Exits 1 on any FAIL.

Peers: python3-websockets (python_peer.py), node `ws` (node_peer.js), headless
Chromium through playwright-core (browser_peer.js).

permessage-deflate (RFC 7692): the examples agree to it by default. Python
websockets and Chromium offer it (and so run compressed in every check);
node's original checks do not (plain frames). The deflate checks run each
peer with compression explicitly on, in both roles: several window sizes
(9 to 15) and context takeover on and off, against echo_server started with
its defaults, --deflate-window-bits 10 --deflate-no-context-takeover,
--stream and --no-deflate, and the client example with its own deflate flags;
each asserts the agreed parameters (or that nothing was agreed) and the echo
of text and binary, compressible and random, 0 B to 1 MiB. The npm packages are found
in --node-modules (default: build/interop/node_modules; scripts/test.sh runs
`npm ci` there from tests/interop/package-lock.json). A peer that is
not installed is a SKIP, or a FAIL when CI=true.

TLS (wss://): a self-signed EC P-256 certificate for localhost and 127.0.0.1
(subjectAltName) and one for another host are made with the openssl CLI in a
temporary directory; python websockets runs over TLS against
`echo_server --cert --key` (tls-client) and as the wss:// server of the client
example (tls-server), which must also refuse certificates it does not trust.

Options: --only python,node,browser (peers to run), --node-modules DIR,
--chromium PATH, --logs DIR (server output and chat screenshots, default
build/interop/logs).
"""
import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
READY = re.compile(r"listening on wss?://([0-9.]+):(\d+)\s*$")

counts = {"PASS": 0, "FAIL": 0, "SKIP": 0}


def emit(kind, name, why=""):
    counts[kind] += 1
    print(f"{kind} {name}" + (f": {why}" if why else ""), flush=True)


def check(name, ok, why):
    emit("PASS", name) if ok else emit("FAIL", name, why)


def missing(name, why):
    """A peer that is not installed: SKIP, but FAIL under CI=true."""
    if CI:
        emit("FAIL", name, why + " (CI=true: every peer must be installed; scripts/install-deps.sh and scripts/test.sh install them)")
    else:
        emit("SKIP", name, why)


class Server:
    """An example server started with --port 0; its output goes to a log file."""

    def __init__(self, name, argv, log_dir, ready_lines=1):
        self.name = name
        self.argv = argv
        self.log_path = os.path.join(log_dir, f"{name}.log")
        self.lines = []
        self.port = None
        self.proc = None
        self.ready_lines = ready_lines

    def start(self, timeout=10):
        """Starts it and waits for its ready line; returns (ok, why)."""
        self.log = open(self.log_path, "w", encoding="utf-8")
        self.log.write("$ " + " ".join(self.argv) + "\n")
        self.log.flush()
        try:
            self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                         stderr=self.log, start_new_session=True)
        except OSError as e:
            return False, f"could not start {self.argv[0]}: {e}"
        got = threading.Event()

        def reader():
            for raw in self.proc.stdout:
                line = raw.decode(errors="replace").rstrip("\n")
                self.lines.append(line)
                self.log.write(line + "\n")
                self.log.flush()
                if self.port is None:
                    m = READY.search(line)
                    if m:
                        self.port = int(m.group(2))
                if self.port is not None and len(self.lines) >= self.ready_lines:
                    got.set()
            got.set()

        threading.Thread(target=reader, daemon=True).start()
        got.wait(timeout)
        if self.port is None:
            code = self.proc.poll()
            self.kill()
            state = f"exited {code}" if code is not None else f"still running after {timeout} s"
            return False, f"no `listening on ws://HOST:PORT` line on stdout ({state}); stdout {self.lines!r}; {self.tail()}"
        if self.port == 0:
            return False, "the ready line says port 0: it must print the port actually bound"
        return True, ""

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=10):
        """Sends sig and waits; returns the exit code, or None if it had to be killed."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                return None
        return self.proc.returncode

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def tail(self, n=600):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                text = f.read().strip()
        except OSError:
            return ""
        text = text.split("\n", 1)[1] if "\n" in text else ""
        return f"{self.name} output: " + (text[-n:].replace("\n", " | ") if text else "(none)")


def run_peer(label, argv, timeout, env=None, prefix=""):
    """Runs a peer and passes its PASS/FAIL lines through (each name after
    `prefix`). A crash, a time-out or a failing exit without a FAIL line is a
    FAIL of its own."""
    start = time.monotonic()
    try:
        p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout, env=env)
        out, code, timed_out = p.stdout, p.returncode, False
    except subprocess.TimeoutExpired as e:
        out, code, timed_out = e.stdout or b"", None, True
    other = []
    fails = 0
    for line in out.decode(errors="replace").splitlines():
        m = re.match(r"^(PASS|FAIL|SKIP) (\S+)(?:: (.*))?$", line)
        if m:
            emit(m.group(1), prefix + m.group(2), m.group(3) or "")
            fails += m.group(1) == "FAIL"
        elif line.strip():
            other.append(line.strip())
    extra = (" | ".join(other))[-800:]
    if timed_out:
        emit("FAIL", f"{prefix}{label}/finished", f"timed out after {timeout} s; other output: {extra or '(none)'}")
    elif code != 0 and fails == 0:
        emit("FAIL", f"{prefix}{label}/finished", f"exit {code} without a FAIL line; output: {extra or '(none)'}")
    return time.monotonic() - start


def stop_with_open_connection(srv, hold_argv, name):
    """Runs python_peer.py hold (hold_argv), stops srv with SIGTERM once it says `# connected`
    (its check: a close frame comes), and checks that srv exits 0."""
    hold = subprocess.Popen(hold_argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    first = hold.stdout.readline().decode(errors="replace")  # `# connected`, or a FAIL line
    if first.startswith("# connected"):
        srv.proc.send_signal(signal.SIGTERM)
    try:
        rest, _ = hold.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        hold.kill()
        rest, _ = hold.communicate()
    for line in (first + rest.decode(errors="replace")).splitlines():
        m = re.match(r"^(PASS|FAIL|SKIP) (\S+?)(?:: (.*))?$", line)
        if m:
            emit(m.group(1), m.group(2), m.group(3) or "")
    code = srv.stop(signal.SIGTERM)
    check(name, code == 0 and first.startswith("# connected"),
          f"exit {code}" + (" (did not exit within 10 s; killed)" if code is None else "") +
          ("" if first.startswith("# connected") else f"; the peer never connected: {first.strip()!r}") + f"; {srv.tail()}")


def adapter_echo_checks(name, binary, run, only, py, node_env, chromium, logs, timings):
    """An event-loop adapter's echo server (examples/adapters/: uv_echo, ...)
    through the echo_server checks that fit a server which echoes whole
    messages (it has no --stream): the client-role peers (python, node,
    Chromium) compressed and plain, the deflate settings, --max-message-size,
    SIGTERM with a connection open, and echo_checks.py's raw-socket checks.
    Every check name starts with `name`: (uv_echo:python-client/...)."""
    tag = f"{name}:"
    if run & {"python", "node", "browser"}:
        srv = Server(name, [binary, "--host", "127.0.0.1", "--port", "0"], logs)
        ok, why = srv.start()
        check(f"{name}/ready-line", ok, why)
        if ok:
            steps = []  # (label, argv for the server's URL, time-out, env)
            if "python" in run:
                steps.append(("python-client", lambda u: [py, os.path.join(HERE, "python_peer.py"), "client", u + "echo?from=python"], 600, None))
                steps.append(("python-deflate-client", lambda u: [py, os.path.join(HERE, "python_peer.py"), "deflate-client",
                                                                  u + "deflate?from=python", "default"], 300, None))
            if "node" in run:
                steps.append(("node-client", lambda u: ["node", os.path.join(HERE, "node_peer.js"), "client", u + "echo?from=node"], 600, node_env))
                steps.append(("node-deflate-client", lambda u: ["node", os.path.join(HERE, "node_peer.js"), "deflate-client",
                                                                u + "deflate?from=node", "default"], 300, node_env))
            if "browser" in run:
                steps.append(("browser-echo", lambda u: ["node", os.path.join(HERE, "browser_peer.js"), f"--echo={u}echo?from=chromium",
                                                         f"--chromium={chromium}"], 600, node_env))
            for i, (label, argv, tmo, env) in enumerate(steps):
                timings.append((f"{name}-{label}", run_peer(label, argv(f"ws://127.0.0.1:{srv.port}/"), tmo, env, tag)))
                check(f"{name}/alive-after-{label}", srv.alive(), f"{name} exited {srv.proc.poll()} during {label}; {srv.tail()}")
                if not srv.alive() and i + 1 < len(steps):
                    srv = Server(f"{name}-after-{label}", srv.argv, logs)
                    ok, why = srv.start()
                    if not ok:
                        check(f"{name}/restart-after-{label}", False, why)
                        break
            code = srv.stop(signal.SIGTERM)
            check(f"{name}/exit-0-on-sigterm", code == 0,
                  f"exit {code}" + (" (did not exit within 10 s; killed)" if code is None else "") + f"; {srv.tail()}")
    if run & {"python", "node"}:
        for label, flags, plan in (("window-10-no-context-takeover", ["--deflate-window-bits", "10", "--deflate-no-context-takeover"],
                                    "window-10-no-context-takeover"),
                                   ("no-deflate", ["--no-deflate"], "no-deflate")):
            srv = Server(f"{name}-deflate-{label}", [binary, "--host", "127.0.0.1", "--port", "0"] + flags, logs)
            ok, why = srv.start()
            check(f"{name}-deflate-{label}/ready-line", ok, why)
            if not ok:
                continue
            url = f"ws://127.0.0.1:{srv.port}/deflate"
            if "python" in run:
                timings.append((f"{name}-python-deflate-{label}", run_peer(f"python-deflate-client-{label}", [
                    py, os.path.join(HERE, "python_peer.py"), "deflate-client", url, plan], 300, None, tag)))
            if "node" in run:
                timings.append((f"{name}-node-deflate-{label}", run_peer(f"node-deflate-client-{label}", [
                    "node", os.path.join(HERE, "node_peer.js"), "deflate-client", url, plan], 300, node_env, tag)))
            check(f"{name}-deflate-{label}/alive-after-peers", srv.alive(), f"exited {srv.proc.poll()}; {srv.tail()}")
            code = srv.stop(signal.SIGTERM)
            check(f"{name}-deflate-{label}/exit-0-on-sigterm", code == 0, f"exit {code}; {srv.tail()}")
    if "python" in run:
        limit = 1024
        srv = Server(f"{name}-limit", [binary, "--host", "127.0.0.1", "--port", "0", "--max-message-size", str(limit)], logs)
        ok, why = srv.start()
        check(f"{name}/ready-line-with-max-message-size", ok, why)
        if ok:
            timings.append((f"{name}-python-limit", run_peer("python-limit", [py, os.path.join(HERE, "python_peer.py"), "limit",
                                                                             f"ws://127.0.0.1:{srv.port}/", str(limit)], 120, None, tag)))
            code = srv.stop(signal.SIGINT)
            check(f"{name}/exit-0-on-sigint", code == 0, f"exit {code}; {srv.tail()}")
        srv = Server(f"{name}-shutdown", [binary, "--host", "127.0.0.1", "--port", "0"], logs)
        ok, why = srv.start()
        if not ok:
            check(f"{name}/ready-line-for-shutdown", False, why)
        else:
            stop_with_open_connection(srv, [py, os.path.join(HERE, "python_peer.py"), "--prefix", f"{tag}python-hold", "hold",
                                            f"ws://127.0.0.1:{srv.port}/hold"], f"{name}/exit-0-on-sigterm-with-open-connection")
    if "python" in only:
        import echo_checks
        timings.append((f"{name}-echo-checks", echo_checks.run(binary, logs, check, Server, name=name, stream=False)))


def python_with_websockets():
    """An interpreter that imports websockets >= 10, or (None, why)."""
    cands = [sys.executable, shutil.which("python3"), "/usr/bin/python3"]
    seen = set()
    for c in cands:
        if not c or c in seen or not os.path.exists(c):
            continue
        seen.add(c)
        r = subprocess.run([c, "-c", "import websockets; print(websockets.__version__)"], capture_output=True, text=True)
        if r.returncode == 0:
            v = r.stdout.strip()
            if int(v.split(".")[0]) >= 10:
                return c, v
    return None, "python3-websockets (>= 10) is not importable by " + ", ".join(sorted(seen)) + " (apt-get install python3-websockets)"


def node_module(node, node_modules, mod):
    env = dict(os.environ, NODE_PATH=node_modules)
    r = subprocess.run([node, "-e", f"console.log(require('{mod}/package.json').version)"], capture_output=True, text=True, env=env)
    return r.stdout.strip() if r.returncode == 0 else None


def make_certificate(directory, name, san):
    """A self-signed EC P-256 certificate and its key for subjectAltName `san`, made with
    the openssl CLI in `directory`: ((cert, key), "") or (None, why)."""
    cert, key = os.path.join(directory, f"{name}.pem"), os.path.join(directory, f"{name}.key")
    argv = ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", key, "-out", cert, "-days", "2", "-subj", f"/CN={name}", "-addext", f"subjectAltName={san}"]
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, f"{' '.join(argv)}: {e}"
    if r.returncode != 0:
        return None, f"{' '.join(argv)} exited {r.returncode}: {(r.stdout + r.stderr).strip()[-300:]}"
    return (cert, key), ""


def tls_checks(bins, have, py, logs, timings):
    """echo_server --cert --key against python websockets over TLS, and the client against a
    python wss:// server, with certificates made here; loopback only."""
    if not shutil.which("openssl"):
        missing("tls/openssl-cli", "the openssl command is missing (apt-get install openssl)")
        return
    with tempfile.TemporaryDirectory(prefix="wscodec-tls-") as tmp:
        made, why = make_certificate(tmp, "localhost", "DNS:localhost,IP:127.0.0.1")
        other, why2 = make_certificate(tmp, "other", "DNS:other.invalid") if made else (None, "")
        check("tls/test-certificates", made is not None and other is not None, why or why2)
        if made is None or other is None:
            return
        (cert, key), (other_cert, other_key) = made, other
        if have["echo_server"]:
            for mode, flags in (("", []), ("-stream", ["--stream"])):
                name = f"echo_server-tls{mode}"
                srv = Server(name, [bins["echo_server"], "--host", "127.0.0.1", "--port", "0", "--cert", cert, "--key", key] + flags, logs)
                ok, why = srv.start()
                ok = ok and srv.lines[0].startswith("listening on wss://")
                check(f"{name}/ready-line", ok, why or f"expected `listening on wss://...`, got {srv.lines[:1]!r}")
                if not ok:
                    srv.kill()
                    continue
                url = f"wss://127.0.0.1:{srv.port}/tls"
                timings.append((f"python-tls-client{mode}", run_peer(f"python-tls-client{mode}", [
                    py, os.path.join(HERE, "python_peer.py"), "--prefix", f"python-tls-client{mode}", "tls-client", url, cert], 600)))
                check(f"{name}/alive-after-peers", srv.alive(), f"exited {srv.proc.poll()}; {srv.tail()}")
                # Stopped with a wss:// connection open: close 1001 through TLS, then exit 0 (no leak report).
                stop_with_open_connection(srv, [py, os.path.join(HERE, "python_peer.py"), "--prefix", f"python-tls-hold{mode}",
                                                "--cafile", cert, "hold", url], f"{name}/exit-0-on-sigterm-with-open-connection")
        if have["client"]:
            timings.append(("python-tls-server", run_peer("python-tls-server", [
                py, os.path.join(HERE, "python_peer.py"), "tls-server", bins["client"], cert, key, other_cert, other_key], 900)))


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("examples_dir")
    ap.add_argument("--only", default="python,node,browser")
    ap.add_argument("--node-modules", default=os.path.join(ROOT, "build", "interop", "node_modules"))
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    ap.add_argument("--logs", default=os.path.join(ROOT, "build", "interop", "logs"))
    a = ap.parse_args()
    only = set(a.only.split(","))
    os.makedirs(a.logs, exist_ok=True)
    node_modules = os.path.abspath(a.node_modules)
    t0 = time.monotonic()

    bins = {n: os.path.join(a.examples_dir, n) for n in ("echo_server", "client", "chat_server")}
    for n, path in bins.items():
        ok = os.path.isfile(path) and os.access(path, os.X_OK)
        check(f"examples/{n}-built", ok, f"{path} is not an executable file")
    have = {n: os.path.isfile(p) and os.access(p, os.X_OK) for n, p in bins.items()}

    # Which peers can run.
    py, py_info = (python_with_websockets() if "python" in only else (None, "not run"))
    node = shutil.which("node")
    ws_version = node_module(node, node_modules, "ws") if node else None
    pw_version = node_module(node, node_modules, "playwright-core") if node else None
    peers = {}
    if "python" in only:
        peers["python"] = (py is not None, py_info)
    if "node" in only:
        peers["node"] = (bool(node and ws_version),
                         "node is not installed" if not node else f"the npm package ws is not in {node_modules} (bash scripts/test.sh interop installs it)")
    if "browser" in only:
        why = ""
        if not node:
            why = "node is not installed"
        elif not pw_version:
            why = f"the npm package playwright-core is not in {node_modules} (bash scripts/test.sh interop installs it)"
        elif not os.access(a.chromium, os.X_OK):
            why = f"{a.chromium} is missing (apt-get install chromium)"
        peers["browser"] = (not why, why)
    for p, (ok, why) in peers.items():
        if not ok:
            missing(f"{p}-peer", why)
    node_v = subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip() if node else "missing"
    print(f"# peers: python3-websockets {py_info + ' (' + py + ')' if py else 'missing or not run'}; node {node_v}; "
          f"ws {ws_version or 'missing'}; playwright-core {pw_version or 'missing'}; "
          f"chromium {a.chromium if os.access(a.chromium, os.X_OK) else 'missing'}", flush=True)
    run = {p for p, (ok, _) in peers.items() if ok}
    node_env = dict(os.environ, NODE_PATH=node_modules)
    timings = []

    # echo_server against the client-role peers.
    if have["echo_server"] and run & {"python", "node", "browser"}:
        srv = Server("echo_server", [bins["echo_server"], "--host", "127.0.0.1", "--port", "0"], a.logs)
        ok, why = srv.start()
        check("echo_server/ready-line", ok, why)
        if ok:
            steps = []  # (label, argv for the server's URL, time-out, env)
            if "python" in run:
                steps.append(("python-client", lambda u: [py, os.path.join(HERE, "python_peer.py"), "client", u + "echo?from=python"], 600, None))
            if "node" in run:
                steps.append(("node-client", lambda u: ["node", os.path.join(HERE, "node_peer.js"), "client", u + "echo?from=node"], 600, node_env))
            if "python" in run:
                steps.append(("python-deflate-client", lambda u: [py, os.path.join(HERE, "python_peer.py"), "deflate-client",
                                                                  u + "deflate?from=python", "default"], 300, None))
            if "node" in run:
                steps.append(("node-deflate-client", lambda u: ["node", os.path.join(HERE, "node_peer.js"), "deflate-client",
                                                                u + "deflate?from=node", "default"], 300, node_env))
            if "browser" in run:
                steps.append(("browser-echo", lambda u: ["node", os.path.join(HERE, "browser_peer.js"), f"--echo={u}echo?from=chromium",
                                                         f"--chromium={a.chromium}"], 600, node_env))
            for i, (label, argv, tmo, env) in enumerate(steps):
                timings.append((label, run_peer(label, argv(f"ws://127.0.0.1:{srv.port}/"), tmo, env)))
                check(f"echo_server/alive-after-{label}", srv.alive(), f"echo_server exited {srv.proc.poll()} during {label}; {srv.tail()}")
                if not srv.alive() and i + 1 < len(steps):
                    # A fresh one for the next peer, so each peer's checks stand on their own.
                    srv = Server(f"echo_server-after-{label}", srv.argv, a.logs)
                    ok, why = srv.start()
                    if not ok:
                        check(f"echo_server/restart-after-{label}", False, why)
                        break
            code = srv.stop(signal.SIGTERM)
            check("echo_server/exit-0-on-sigterm", code == 0,
                  f"exit {code}" + (" (did not exit within 10 s; killed)" if code is None else "") + f"; {srv.tail()}")

    # echo_server with other permessage-deflate settings: python (and node) clients that offer it.
    if have["echo_server"] and run & {"python", "node"}:
        for label, flags, py_plan, node_plan in (
                ("window-10-no-context-takeover", ["--deflate-window-bits", "10", "--deflate-no-context-takeover"],
                 "window-10-no-context-takeover", "window-10-no-context-takeover"),
                ("stream", ["--stream"], "stream", None),
                ("no-deflate", ["--no-deflate"], "no-deflate", "no-deflate")):
            srv = Server(f"echo_server-deflate-{label}", [bins["echo_server"], "--host", "127.0.0.1", "--port", "0"] + flags, a.logs)
            ok, why = srv.start()
            check(f"echo_server-deflate-{label}/ready-line", ok, why)
            if not ok:
                continue
            url = f"ws://127.0.0.1:{srv.port}/deflate"
            if "python" in run:
                timings.append((f"python-deflate-{label}", run_peer(f"python-deflate-client-{label}", [
                    py, os.path.join(HERE, "python_peer.py"), "deflate-client", url, py_plan], 300)))
            if "node" in run and node_plan:
                timings.append((f"node-deflate-{label}", run_peer(f"node-deflate-client-{label}", [
                    "node", os.path.join(HERE, "node_peer.js"), "deflate-client", url, node_plan], 300, node_env)))
            check(f"echo_server-deflate-{label}/alive-after-peers", srv.alive(), f"exited {srv.proc.poll()}; {srv.tail()}")
            code = srv.stop(signal.SIGTERM)
            check(f"echo_server-deflate-{label}/exit-0-on-sigterm", code == 0, f"exit {code}; {srv.tail()}")

    # echo_server --max-message-size.
    if have["echo_server"] and "python" in run:
        limit = 1024
        srv = Server("echo_server-limit", [bins["echo_server"], "--host", "127.0.0.1", "--port", "0", "--max-message-size", str(limit)], a.logs)
        ok, why = srv.start()
        check("echo_server/ready-line-with-max-message-size", ok, why)
        if ok:
            timings.append(("python-limit", run_peer("python-limit", [py, os.path.join(HERE, "python_peer.py"), "limit",
                                                                     f"ws://127.0.0.1:{srv.port}/", str(limit)], 120)))
            code = srv.stop(signal.SIGINT)
            check("echo_server/exit-0-on-sigint", code == 0, f"exit {code}; {srv.tail()}")

    # echo_server stopped while a connection is open: a close frame, then exit 0.
    if have["echo_server"] and "python" in run:
        srv = Server("echo_server-shutdown", [bins["echo_server"], "--host", "127.0.0.1", "--port", "0"], a.logs)
        ok, why = srv.start()
        if not ok:
            check("echo_server/ready-line-for-shutdown", False, why)
        else:
            t = time.monotonic()
            stop_with_open_connection(srv, [py, os.path.join(HERE, "python_peer.py"), "hold", f"ws://127.0.0.1:{srv.port}/hold"],
                                      "echo_server/exit-0-on-sigterm-with-open-connection")
            timings.append(("python-hold", time.monotonic() - t))

    # echo_server through raw sockets (echo_checks.py, stdlib only): whole-message
    # echo, --stream, closes under 100 ms, the lingering close after a flood.
    if have["echo_server"] and "python" in only:
        import echo_checks
        timings.append(("echo-checks", echo_checks.run(bins["echo_server"], a.logs, check, Server)))

    # The event-loop adapters' echo servers (examples/adapters/), where built.
    for name, needs in (("uv_echo", "libuv1-dev"), ("asio_echo", "libboost-dev")):
        path = os.path.join(a.examples_dir, "adapters", name)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            adapter_echo_checks(name, path, run, only, py, node_env, a.chromium, a.logs, timings)
        else:
            missing(f"{name}/built", f"{path} is not built (it needs its library: {needs})")

    # client --echo against the server-role peers.
    if have["client"]:
        port = closed_port()
        try:
            r = subprocess.run([bins["client"], "--echo", f"ws://127.0.0.1:{port}/"], stdin=subprocess.DEVNULL,
                               capture_output=True, timeout=30)
            check("client/exit-1-when-refused", r.returncode == 1,
                  f"client --echo ws://127.0.0.1:{port}/ (nothing listening) exited {r.returncode}; "
                  f"output: {(r.stdout + r.stderr).decode(errors='replace').strip()[-300:]!r}")
        except subprocess.TimeoutExpired:
            check("client/exit-1-when-refused", False, "client did not exit within 30 s with nothing listening")
        if "python" in run:
            timings.append(("python-server", run_peer("python-server", [py, os.path.join(HERE, "python_peer.py"), "server", bins["client"]], 900)))
        if "node" in run:
            timings.append(("node-server", run_peer("node-server", ["node", os.path.join(HERE, "node_peer.js"), "server", bins["client"]], 900, node_env)))
        # permessage-deflate with the server's and the client's settings varied.
        if "python" in run:
            timings.append(("python-deflate-server", run_peer("python-deflate-server", [
                py, os.path.join(HERE, "python_peer.py"), "deflate-server", bins["client"]], 600)))
        if "node" in run:
            timings.append(("node-deflate-server", run_peer("node-deflate-server", [
                "node", os.path.join(HERE, "node_peer.js"), "deflate-server", bins["client"]], 600, node_env)))
        import close_checks  # raw sockets, python3's standard library only: runs whatever peers are installed
        timings.append(("client-close", close_checks.client_checks(bins["client"], a.logs, check)))

    # TLS: echo_server --cert --key and client with wss:// URLs.
    if "python" in run:
        tls_checks(bins, have, py, a.logs, timings)

    # chat_server: node ws clients in the room, then its page in the browser.
    if have["chat_server"] and run & {"node", "browser"}:
        srv = Server("chat_server", [bins["chat_server"], "--host", "127.0.0.1", "--port", "0"], a.logs, ready_lines=2)
        ok, why = srv.start()
        check("chat_server/ready-line", ok, why)
        if ok:
            want = f"open http://127.0.0.1:{srv.port}/ in a browser"
            check("chat_server/open-line", len(srv.lines) >= 2 and srv.lines[1].strip() == want,
                  f"expected {want!r} as the second line, got {srv.lines[1:2]!r}")
            base = f"http://127.0.0.1:{srv.port}/"
            if "node" in run:
                timings.append(("node-chat", run_peer("node-chat", ["node", os.path.join(HERE, "node_peer.js"), "chat", base], 120, node_env)))
                check("chat_server/alive-after-node-chat", srv.alive(), f"chat_server exited {srv.proc.poll()}; {srv.tail()}")
            if "browser" in run and srv.alive():
                timings.append(("browser-chat", run_peer("browser-chat", ["node", os.path.join(HERE, "browser_peer.js"), f"--chat={base}",
                                                                         f"--chromium={a.chromium}", f"--screenshots={a.logs}"], 300, node_env)))
                check("chat_server/alive-after-browser-chat", srv.alive(), f"chat_server exited {srv.proc.poll()}; {srv.tail()}")
            code = srv.stop(signal.SIGTERM)
            check("chat_server/exit-0-on-sigterm", code == 0,
                  f"exit {code}" + (" (did not exit within 10 s; killed)" if code is None else "") + f"; {srv.tail()}")

    # chat_server: closes, keepalive and the lingering close, with raw sockets (close_checks.py).
    if have["chat_server"]:
        import close_checks
        timings.append(("chat-close", close_checks.chat_server_checks(bins["chat_server"], a.logs, check)))

    print("# time: " + ", ".join(f"{l} {t:.1f} s" for l, t in timings) + f"; total {time.monotonic() - t0:.1f} s; logs in {a.logs}", flush=True)
    print(f"interop: {counts['PASS']} passed, {counts['FAIL']} failed, {counts['SKIP']} skipped", flush=True)
    return 1 if counts["FAIL"] else 0


if __name__ == "__main__":
    sys.exit(main())
