#!/usr/bin/python3
"""Proves cdp.py: its WebSocket against a scripted local server, the rest against headless
Chromium and fixtures/selftest.html. Prints one TAP-like line per check ("ok - ..." or
"not ok - ..." with the reason) and exits 1 when any check fails.

Usage: cdp_selftest.py [CHROMIUM]   (default: chromium from PATH)

No check depends on timing: every wait is for an event or a state of the page.
"""

import base64
import hashlib
import os
import pathlib
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import zlib

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from cdp import (Browser, CdpError, CdpTimeout, JsError, WebSocket,  # noqa: E402
                 OP_CLOSE, OP_CONT, OP_PING, OP_PONG, OP_TEXT)

CHROMIUM = sys.argv[1] if len(sys.argv) > 1 else "chromium"
FIXTURE = (HERE / "fixtures" / "selftest.html").as_uri()
W, H = 1400, 900
failed = 0


def check(name, f, *args):
    global failed
    t = time.monotonic()
    try:
        f(*args)
        print(f"ok - {name} ({time.monotonic() - t:.2f} s)", flush=True)
    except Exception:  # report and go on with the other checks
        failed += 1
        print(f"not ok - {name}", flush=True)
        for line in traceback.format_exc().rstrip().splitlines():
            print("# " + line, flush=True)


def expect(cond, what):
    if not cond:
        raise AssertionError(what)


def raises(exc_type, f, *args, **kw):
    try:
        f(*args, **kw)
    except exc_type as e:
        return str(e)
    raise AssertionError(f"{f.__name__} did not raise {exc_type.__name__}")


# --- WebSocket against a scripted server ----------------------------------------------------

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def frame(opcode, payload, fin=True):
    """A server frame (unmasked)."""
    n = len(payload)
    head = bytes([(0x80 if fin else 0) | opcode])
    if n < 126:
        head += bytes([n])
    elif n < 1 << 16:
        head += bytes([126]) + n.to_bytes(2, "big")
    else:
        head += bytes([127]) + n.to_bytes(8, "big")
    return head + payload


def recv_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError("client went away")
        data += chunk
    return data


def client_frame(sock):
    """Reads one client frame: (opcode, payload); client frames must be masked."""
    b0, b1 = recv_exact(sock, 2)
    n = b1 & 0x7F
    if n == 126:
        n = int.from_bytes(recv_exact(sock, 2), "big")
    elif n == 127:
        n = int.from_bytes(recv_exact(sock, 8), "big")
    if not b1 & 0x80:
        raise AssertionError("client frame not masked")
    key = recv_exact(sock, 4)
    data = recv_exact(sock, n)
    return b0 & 0x0F, bytes(c ^ key[i % 4] for i, c in enumerate(data))


def serve_once(script, accept_ok=True):
    """Listens on a local port; runs script(sock) after the handshake in a thread."""
    lsock = socket.create_server(("127.0.0.1", 0))
    lsock.settimeout(10)
    errors = []

    def run():
        try:
            sock, _ = lsock.accept()
            sock.settimeout(10)
            req = b""
            while b"\r\n\r\n" not in req:
                req += sock.recv(4096)
            key = re.search(rb"Sec-WebSocket-Key: *(\S+)", req).group(1)
            accept = base64.b64encode(hashlib.sha1(key + GUID.encode()).digest())
            if not accept_ok:
                accept = base64.b64encode(b"x" * 20)
            script(sock, b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                         b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n")
            sock.close()
        except Exception as e:  # reported by the check
            errors.append(repr(e))
        finally:
            lsock.close()

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return f"ws://127.0.0.1:{lsock.getsockname()[1]}/devtools/page/x", t, errors


def t_websocket_frames():
    big = bytes(range(256)) * 300  # 76800 bytes: a 64-bit length
    mid = b"m" * 300  # a 16-bit length
    half = threading.Event()
    got = {}

    def script(sock, response):
        # The first message comes in the same packet as the handshake's answer.
        sock.sendall(response + frame(OP_TEXT, b"first"))
        # A fragmented message with a ping in between its fragments.
        sock.sendall(frame(OP_TEXT, b"hel", fin=False) + frame(OP_PING, b"p1")
                     + frame(OP_CONT, b"lo ", fin=False) + frame(OP_CONT, b"world"))
        got["pong"] = client_frame(sock)
        sock.sendall(frame(OP_TEXT, mid) + frame(OP_TEXT, big))
        # A frame in two parts: the client times out in between and must lose nothing.
        f = frame(OP_TEXT, b"split" * 1000)
        sock.sendall(f[:3000])
        half.wait(10)
        sock.sendall(f[3000:])
        got["echo"] = [client_frame(sock) for _ in range(2)]
        sock.sendall(frame(OP_CLOSE, (1000).to_bytes(2, "big")))
        got["close"] = client_frame(sock)

    url, thread, errors = serve_once(script)
    ws = WebSocket.connect(url, timeout=10)

    def soon():
        return time.monotonic() + 10

    expect(ws.recv(soon()) == (OP_TEXT, b"first"), "first message")
    expect(ws.recv(soon()) == (OP_TEXT, b"hello world"), "fragmented message")
    expect(ws.recv(soon()) == (OP_TEXT, mid), "300-byte message")
    expect(ws.recv(soon()) == (OP_TEXT, big), "76800-byte message")
    raises(CdpTimeout, ws.recv, time.monotonic() + 0.2)  # half a frame so far
    half.set()
    expect(ws.recv(soon()) == (OP_TEXT, b"split" * 1000), "frame read across a timeout")
    ws.send_frame(OP_TEXT, big)
    ws.send_text("é" * 200)
    msg = raises(CdpError, ws.recv, soon())
    expect("1000" in msg, f"close message: {msg}")
    ws.close()
    thread.join(10)
    expect(not errors, f"server: {errors}")
    expect(got["pong"] == (OP_PONG, b"p1"), f"pong: {got.get('pong')}")
    expect(got["echo"] == [(OP_TEXT, big), (OP_TEXT, ("é" * 200).encode())],
           "masked client frames of 64-bit and 16-bit length")
    expect(got["close"] == (OP_CLOSE, (1000).to_bytes(2, "big")), "close answered")


def t_websocket_bad_accept():
    url, thread, _ = serve_once(lambda sock, response: (sock.sendall(response),
                                                        sock.recv(10)), accept_ok=False)
    msg = raises(CdpError, WebSocket.connect, url, 10)
    expect("Sec-WebSocket-Accept" in msg, msg)
    thread.join(10)


# --- Chromium --------------------------------------------------------------------------------

def live_processes(mark=None, pgid=None):
    """Live (not zombie) processes naming mark on their command line or in group pgid."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if fields[0] == "Z":
            continue
        if (mark and mark in cmd) or (pgid is not None and int(fields[2]) == pgid):
            found.append(f"{pid} {cmd[:100]}")
    return found


def t_start_and_viewport(b):
    b.goto(FIXTURE)
    size = b.eval("[innerWidth, innerHeight, devicePixelRatio]")
    expect(size == [W, H, 1], f"viewport {size}")


def t_eval(b):
    expect(b.eval("1 + 2") == 3, "1 + 2")
    expect(b.eval("({a: [1, 'x', null]})") == {"a": [1, "x", None]}, "an object by value")
    expect(b.eval("new Promise(r => setTimeout(() => r('later'), 1))") == "later", "a promise")
    expect(b.eval("undefined") is None, "undefined")
    msg = raises(JsError, b.eval, "void 0;\nnull.boom")
    expect("Cannot read properties of null" in msg and "line 2" in msg, msg)
    msg = raises(JsError, b.eval, "throw new Error('custom failure')")
    expect("custom failure" in msg, msg)


def t_wait_for(b):
    b.eval("setTimeout(() => window.readyLater = 42, 50)")
    expect(b.wait_for("window.readyLater", timeout=10) == 42, "value of the wait")
    msg = raises(CdpTimeout, b.wait_for, "window.neverSet === 1", timeout=0.3)
    expect("window.neverSet === 1" in msg, msg)
    # JavaScript's truthiness: an element (sent back as {}) and [] are truthy.
    expect(b.wait_for("document.querySelector('#b1')", timeout=10) == {}, "an element")
    expect(b.wait_for("[]", timeout=10) == [], "[]")
    msg = raises(CdpTimeout, b.wait_for, "notDefinedAnywhere.x", timeout=0.3)
    expect("notDefinedAnywhere" in msg and "ReferenceError" in msg, msg)


def t_protocol(b):
    msg = raises(CdpError, b.send, "Nope.nothing")
    expect("Nope.nothing" in msg, msg)
    b.eval("console.log('event-' + 7)")
    p = b.wait_event("Runtime.consoleAPICalled",
                     lambda p: p["args"][0].get("value") == "event-7", timeout=10)
    expect(p["type"] == "log", p)
    # A call that never answers fails in time, and the connection stays usable.
    msg = raises(CdpTimeout, b.eval, "new Promise(() => {})", timeout=0.5)
    expect("Runtime.evaluate" in msg, msg)
    expect(b.eval("'still fine'") == "still fine", "after a timeout")


def t_big_messages(b):
    s = b.eval("'x'.repeat(3 << 20)")
    expect(len(s) == 3 << 20 and set(s) == {"x"}, "3 MB from the page")
    n = b.eval("'" + "y" * (2 << 20) + "'.length")
    expect(n == 2 << 20, "2 MB to the page")


def t_click(b):
    b.goto(FIXTURE)
    b.click("#b1")
    expect(b.eval("log.clicks") == ["b1:1"], b.eval("log.clicks"))
    expect(b.eval("log.mouse") == ["mousedown:b1", "mouseup:b1", "click:b1"],
           b.eval("log.mouse"))
    b.click("#far")  # below the fold: scrolled into view first
    expect(b.eval("log.clicks") == ["b1:1", "far:1"], b.eval("log.clicks"))
    expect(b.eval("scrollY") > 0, "scrolled")
    msg = raises(CdpError, b.click, "#missing")
    expect("#missing" in msg, msg)
    b.eval("document.getElementById('b2').style.cssText = 'position:relative; z-index:0';"
           "const c = document.createElement('div'); c.id = 'cover';"
           "c.style.cssText = 'position:fixed; inset:0; z-index:9';"
           "document.body.appendChild(c)")
    msg = raises(CdpError, b.click, "#b2")
    expect("covered" in msg and "div#cover" in msg, msg)
    x, y = b.box("#b3")
    expect(0 < x < W and 0 < y < H, f"box in the viewport: {x}, {y}")


def t_drag(b):
    b.goto(FIXTURE)
    b.drag("#item-1", "#list-b")
    b.wait_for("log.drops.length === 1 && log.drag.length === 3", timeout=10)
    drops = b.eval("log.drops")
    expect(drops == [{"list": "list-b", "id": "item-1"}], f"drops {drops}")
    expect(b.eval("document.getElementById('item-1').parentElement.id") == "list-b", "moved")
    expect(b.eval("log.drag") == ["dragstart:item-1", "dragenter:list-b",
                                  "dragend:item-1:move"], b.eval("log.drag"))
    b.drag("#item-1", "#list-a")  # and back
    b.drag("#item-2", "#list-far")  # to a list below the fold
    b.wait_for("log.drops.length === 3", timeout=10)
    drops = b.eval("log.drops.map(d => d.id + '>' + d.list)")
    expect(drops == ["item-1>list-b", "item-1>list-a", "item-2>list-far"], f"drops {drops}")
    b.click("#b1")  # the mouse is usable afterwards
    expect(b.eval("log.clicks") == ["b1:1"], b.eval("log.clicks"))
    msg = raises(CdpTimeout, b.drag, "#b2", "#list-b", timeout=1)
    expect("started no drag" in msg, msg)
    b.click("#b3")
    expect(b.eval("log.clicks") == ["b1:1", "b3:1"], b.eval("log.clicks"))


def t_tab(b):
    b.goto(FIXTURE)
    b.click("#b1")
    expect(b.focused() == 'button#b1 "One"', b.focused())
    b.press("Tab")
    expect(b.focused() == 'button#b2 "Two"', b.focused())
    b.press("Tab")
    expect(b.focused() == 'button#b3 "Three"', b.focused())
    b.press("Tab")
    expect(b.focused() == 'button#icon [aria-label="Settings"]', b.focused())
    b.press("Shift+Tab")
    b.press("Shift+Tab")
    expect(b.focused() == 'button#b2 "Two"', b.focused())
    expect(b.eval("log.clicks") == ["b1:1"], "Tab clicked nothing")


def t_enter_space(b):
    b.goto(FIXTURE)
    b.eval("document.getElementById('b2').focus()")
    b.press("Enter")
    expect(b.eval("log.clicks") == ["b2:0"], b.eval("log.clicks"))
    b.press("Space")
    expect(b.eval("log.clicks") == ["b2:0", "b2:0"], b.eval("log.clicks"))


def t_keys(b):
    b.goto(FIXTURE)
    names = ["Escape", "ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight", "Home", "End",
             "Backspace", "Delete", "Enter", "Space", "Tab", "Shift+Tab", "a", "Z", "7", "/"]
    for k in names:
        b.press(k)
    want = ["Escape|Escape|27|false", "ArrowUp|ArrowUp|38|false",
            "ArrowDown|ArrowDown|40|false", "ArrowLeft|ArrowLeft|37|false",
            "ArrowRight|ArrowRight|39|false", "Home|Home|36|false", "End|End|35|false",
            "Backspace|Backspace|8|false", "Delete|Delete|46|false", "Enter|Enter|13|false",
            " |Space|32|false", "Tab|Tab|9|false", "Tab|Tab|9|true", "a|KeyA|65|false",
            "Z|KeyZ|90|false", "7|Digit7|55|false", "/|Slash|191|false"]
    expect(b.eval("log.keys") == want, b.eval("log.keys"))


def t_typing(b):
    b.goto(FIXTURE)
    b.click("#name")
    b.type_text("hello")
    for k in ["Home", "X", "End", "!", "Backspace", "ArrowLeft", "Delete", "Space", "9"]:
        b.press(k)
    value = b.eval("document.getElementById('name').value")
    expect(value == "Xhell 9", f"value {value!r}")


def t_screenshot(b, tmp):
    b.goto(FIXTURE)
    path = os.path.join(tmp, "shot.png")
    png = b.screenshot(path)
    expect(pathlib.Path(path).read_bytes() == png, "written to the file")
    expect(png[:8] == b"\x89PNG\r\n\x1a\n", "PNG signature")
    length, kind = struct.unpack(">I4s", png[8:16])
    expect(kind == b"IHDR" and length == 13, "IHDR first")
    ihdr = png[16:29]
    expect(struct.unpack(">I", png[29:33])[0] == zlib.crc32(b"IHDR" + ihdr), "IHDR CRC")
    width, height, depth, color = struct.unpack(">IIBB", ihdr[:10])
    expect((width, height) == (W, H), f"{width}x{height}")
    # The image data decompresses to exactly one filter byte plus one row per line.
    idat, pos = b"", 8
    while pos < len(png):
        n, kind = struct.unpack(">I4s", png[pos:pos + 8])
        if kind == b"IDAT":
            idat += png[pos + 8:pos + 8 + n]
        pos += 12 + n
    channels = {2: 3, 6: 4}[color]
    raw = zlib.decompress(idat)
    expect(depth == 8 and len(raw) == height * (1 + width * channels), "image data size")
    expect(len(set(raw[1:width * channels])) > 1, "the first row is not blank")


def t_unnamed(b):
    b.goto(FIXTURE)
    bad = b.unnamed_controls()
    expect(len(bad) == 1 and bad[0].startswith("button") and 'id="unnamed"' in bad[0],
           f"unnamed: {bad}")
    roles = {n.get("role", {}).get("value") for n in b.ax_nodes()}
    expect({"button", "textbox", "list"} <= roles, f"roles {roles}")
    b.eval("document.getElementById('unnamed').setAttribute('aria-label', 'Now named')")
    expect(b.unnamed_controls() == [], b.unnamed_controls())


def t_console_errors(b):
    b.goto(FIXTURE)
    expect(b.console_errors() == [], f"a clean page: {b.console_errors()}")
    b.click("#thrower")
    errs = b.console_errors()
    expect(len(errs) == 1 and "selftest boom" in errs[0], f"errors {errs}")
    b.eval("console.error('bad', 42); console.assert(1 === 2, 'asserted'); console.log('fine')")
    errs = b.console_errors()
    expect(errs[1:] == ["console.error: bad 42", "console.assert: asserted"], f"errors {errs}")
    b.goto(FIXTURE)
    expect(b.console_errors() == [], "reset by goto")


def t_cleanup():
    with Browser(CHROMIUM) as b:
        tmp, pid = b.tmp, b.proc.pid
        expect(live_processes(mark=tmp), "chromium is running")
    expect(not os.path.exists(tmp), "temp dir removed")
    left = live_processes(mark=tmp, pgid=pid)
    expect(not left, f"left behind: {left}")


def t_cleanup_on_error():
    try:
        with Browser(CHROMIUM) as b:
            tmp, pid = b.tmp, b.proc.pid
            raise RuntimeError("the test failed")
    except RuntimeError:
        pass
    expect(not os.path.exists(tmp), "temp dir removed")
    left = live_processes(mark=tmp, pgid=pid)
    expect(not left, f"left behind: {left}")


def t_hung_page():
    start = time.monotonic()
    with Browser(CHROMIUM) as b:
        tmp, pid = b.tmp, b.proc.pid
        b.goto(FIXTURE)
        msg = raises(CdpTimeout, b.eval, "while (true) {}", timeout=1)
        expect("Runtime.evaluate" in msg, msg)
    expect(time.monotonic() - start < 20, "closed in time")
    left = live_processes(mark=tmp, pgid=pid)
    expect(not left, f"left behind: {left}")


CHILD = """
import sys, time
sys.path.insert(0, sys.argv[1])
from cdp import Browser
with Browser(sys.argv[2]) as b:
    print(b.tmp, flush=True)
    time.sleep(120)
"""


def t_killed():
    for sig in (signal.SIGTERM, signal.SIGKILL):
        child = subprocess.Popen([sys.executable, "-c", CHILD, str(HERE), CHROMIUM],
                                 stdout=subprocess.PIPE, text=True)
        try:
            ready, _, _ = select.select([child.stdout], [], [], 60)
            expect(ready, "the child started no browser")
            tmp = child.stdout.readline().strip()
            expect(tmp and live_processes(mark=tmp), "chromium is running")
        finally:
            child.send_signal(sig)
            child.wait(30)
        for _ in range(100):  # helpers exit by themselves once the browser is gone
            left = live_processes(mark=tmp)
            if not left:
                break
            time.sleep(0.1)
        expect(not left, f"{sig.name}: left behind: {left}")
        if sig == signal.SIGTERM:
            expect(not os.path.exists(tmp), "SIGTERM: temp dir removed")
        shutil.rmtree(tmp, ignore_errors=True)  # after SIGKILL nobody could


def t_start_failures(tmp):
    msg = raises(CdpError, Browser("false").__enter__)
    expect("exited" in msg, msg)
    fake = os.path.join(tmp, "fake-chromium")
    with open(fake, "w") as f:
        f.write(f"#!/bin/sh\necho $$ >{tmp}/fake.pid\necho fake chromium is stuck\n"
                "exec sleep 60\n")
    os.chmod(fake, 0o755)
    b = Browser(fake, start_timeout=1)
    msg = raises(CdpTimeout, b.__enter__)
    expect("DevToolsActivePort" in msg and "fake chromium is stuck" in msg, msg)
    expect(b.proc is None and b.tmp == "", "cleaned up")
    pid = int(pathlib.Path(tmp, "fake.pid").read_text())
    left = live_processes(pgid=pid)
    expect(not left, f"left behind: {left}")


def page_checks(b, tmp):
    """The checks that share one browser."""
    check(f"the page loads and the viewport is {W}x{H}", t_start_and_viewport, b)
    check("eval returns values and raises on exceptions with message and line",
          t_eval, b)
    check("wait_for waits for a state and times out naming the expression",
          t_wait_for, b)
    check("send raises CdpError on errors and times out; wait_event", t_protocol, b)
    check("messages over 1 MB both ways", t_big_messages, b)
    check("click fires the click handler, scrolls, refuses covered elements",
          t_click, b)
    check("drag moves items between lists with HTML5 drag and drop", t_drag, b)
    check("Tab and Shift+Tab move the focus", t_tab, b)
    check("Enter and Space click a focused button", t_enter_space, b)
    check("named keys send the right key, code and keyCode", t_keys, b)
    check("typing into an input", t_typing, b)
    check(f"a screenshot is a valid {W}x{H} PNG", t_screenshot, b, tmp)
    check("unnamed_controls finds the unnamed button only", t_unnamed, b)
    check("console_errors catches thrown errors and console.error", t_console_errors, b)


def main():
    start = time.monotonic()
    check("websocket: handshake, masking, 16/64-bit lengths, fragments, ping, close, "
          "timeout mid-frame", t_websocket_frames)
    check("websocket: a wrong Sec-WebSocket-Accept is refused", t_websocket_bad_accept)
    with tempfile.TemporaryDirectory() as tmp:
        check("a failed start reports chromium's log and leaves nothing", t_start_failures, tmp)
        started = []
        check("chromium starts and its page connects",
              lambda: started.append(Browser(CHROMIUM, W, H).__enter__()))
        for b in started:
            try:
                page_checks(b, tmp)
            finally:
                b.close()
    check("leaving the with block ends every chromium process", t_cleanup)
    check("an exception in the with block still ends chromium", t_cleanup_on_error)
    check("a hung page fails the call in time, and chromium still ends", t_hung_page)
    check("a test killed by SIGTERM or SIGKILL leaves no chromium process", t_killed)
    print(f"# {'FAILED' if failed else 'passed'} in {time.monotonic() - start:.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
