"""A small Chrome DevTools Protocol client for browser tests, standard library only.

`Browser` starts a headless Chromium with a fresh profile, connects to its page over a
WebSocket (RFC 6455, done here over a plain socket) and offers what the tests need:
navigation, evaluation, real mouse and keyboard input, HTML5 drag and drop, screenshots,
the accessibility tree and the page's console errors.

Every wait is bounded: a hung browser fails the test with a message instead of hanging it.
Leaving the `with` block always ends Chromium and every process it started.
"""

import base64
import collections
import hashlib
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from typing import Any, Callable, Optional


class CdpError(Exception):
    """A protocol call failed or the connection to the browser broke."""


class CdpTimeout(CdpError):
    """Something waited for did not happen in time."""


class JsError(CdpError):
    """JavaScript run by `eval` threw; `description` is what it threw, with its stack."""

    def __init__(self, message: str, description: str):
        super().__init__(message)
        self.description = description


# --- WebSocket (RFC 6455), client side ---------------------------------------------------

_WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # fixed by RFC 6455, section 1.3
OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


def _mask(payload: bytes, key: bytes) -> bytes:
    """XORs payload with the 4-byte key repeated, on one big integer (fast for megabytes)."""
    n = len(payload)
    keys = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "little") ^ int.from_bytes(keys, "little")).to_bytes(
        n, "little")


def _left(deadline: float, what: str) -> float:
    """Seconds left until deadline; CdpTimeout when none are."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise CdpTimeout(f"timed out waiting for {what}")
    return left


class WebSocket:
    """A blocking WebSocket client over a connected socket.

    Bytes read go to a buffer, and a frame leaves the buffer only once it is complete, so a
    read that times out half way through a frame loses nothing.
    """

    def __init__(self, sock: socket.socket, leftover: bytes = b""):
        self.sock = sock
        self._buf = bytearray(leftover)
        self._parts: list[bytes] = []  # payloads of a fragmented message so far
        self._opcode = 0  # and its opcode
        self.closed = False

    @classmethod
    def connect(cls, url: str, timeout: float = 10) -> "WebSocket":
        """Opens ws://host:port/path and does the opening handshake."""
        u = urllib.parse.urlsplit(url)
        if u.scheme != "ws":
            raise CdpError(f"only ws:// URLs are supported, not {url}")
        deadline = time.monotonic() + timeout
        sock = socket.create_connection((u.hostname, u.port or 80), timeout=timeout)
        try:
            key = base64.b64encode(os.urandom(16)).decode()
            path = u.path + ("?" + u.query if u.query else "")
            sock.sendall((f"GET {path} HTTP/1.1\r\nHost: {u.netloc}\r\n"
                          "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                          f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n")
                         .encode())
            data = b""
            while b"\r\n\r\n" not in data:
                sock.settimeout(_left(deadline, "the WebSocket handshake"))
                chunk = sock.recv(4096)
                if not chunk:
                    raise CdpError(f"connection closed during the handshake: {data!r}")
                data += chunk
            head, _, rest = data.partition(b"\r\n\r\n")  # rest: frames sent right after
            status, *lines = head.decode("latin-1").split("\r\n")
            if status.split()[1:2] != ["101"]:
                raise CdpError(f"WebSocket handshake refused: {status}")
            headers = {k.strip().lower(): v.strip()
                       for k, _, v in (line.partition(":") for line in lines)}
            want = base64.b64encode(hashlib.sha1((key + _WS_GUID).encode()).digest()).decode()
            got = headers.get("sec-websocket-accept")
            if got != want:
                raise CdpError(f"WebSocket handshake: wrong Sec-WebSocket-Accept {got!r}")
            return cls(sock, rest)
        except BaseException:
            sock.close()
            raise

    def send_frame(self, opcode: int, payload: bytes, timeout: float = 30) -> None:
        """Sends one final frame; a client masks every frame (RFC 6455, 5.3)."""
        n, b0 = len(payload), 0x80 | opcode  # 0x80: FIN
        if n < 126:
            head = struct.pack("!BB", b0, 0x80 | n)  # 0x80: MASK
        elif n < 1 << 16:
            head = struct.pack("!BBH", b0, 0x80 | 126, n)
        else:
            head = struct.pack("!BBQ", b0, 0x80 | 127, n)
        key = os.urandom(4)
        self.sock.settimeout(timeout)
        self.sock.sendall(head + key + _mask(payload, key))

    def send_text(self, text: str, timeout: float = 30) -> None:
        self.send_frame(OP_TEXT, text.encode("utf-8"), timeout)

    def _take_frame(self) -> Optional[tuple[bool, int, bytes]]:
        """Removes one complete frame from the buffer: (fin, opcode, payload), or None."""
        b = self._buf
        if len(b) < 2:
            return None
        n, pos = b[1] & 0x7F, 2
        if n >= 126:  # 126: a 16-bit length follows, 127: a 64-bit one
            size = 2 if n == 126 else 8
            if len(b) < 2 + size:
                return None
            n, pos = int.from_bytes(b[2:2 + size], "big"), 2 + size
        key = b""
        if b[1] & 0x80:  # servers must not mask, but accept it anyway
            key, pos = bytes(b[pos:pos + 4]), pos + 4
        if len(b) < pos + n:
            return None
        payload = bytes(b[pos:pos + n])
        fin, opcode = bool(b[0] & 0x80), b[0] & 0x0F
        del b[:pos + n]
        return fin, opcode, _mask(payload, key) if key else payload

    def recv(self, deadline: float) -> tuple[int, bytes]:
        """Returns the next whole data message as (opcode, payload).

        Joins continuation frames, answers pings, raises CdpError when the server closes."""
        while True:
            frame = self._take_frame()
            if frame is None:
                if self.closed:
                    raise CdpError("the WebSocket is closed")
                self.sock.settimeout(_left(deadline, "a WebSocket message"))
                try:
                    chunk = self.sock.recv(1 << 20)
                except socket.timeout:
                    raise CdpTimeout("timed out waiting for a WebSocket message") from None
                if not chunk:
                    self.closed = True
                    raise CdpError("the browser closed the connection")
                self._buf += chunk
                continue
            fin, opcode, payload = frame
            if opcode == OP_PING:
                self.send_frame(OP_PONG, payload)
            elif opcode == OP_CLOSE:
                code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
                self.close(payload[:2])
                raise CdpError(f"the browser closed the WebSocket (code {code})")
            elif opcode == OP_CONT:
                if not self._parts:
                    raise CdpError("WebSocket continuation frame without a first frame")
                self._parts.append(payload)
                if fin:
                    whole, self._parts = b"".join(self._parts), []
                    return self._opcode, whole
            elif opcode in (OP_TEXT, OP_BINARY):
                if self._parts:
                    raise CdpError("WebSocket data frame inside a fragmented message")
                if fin:
                    return opcode, payload
                self._opcode, self._parts = opcode, [payload]
            elif opcode != OP_PONG:
                raise CdpError(f"unknown WebSocket opcode {opcode:#x}")

    def close(self, code: bytes = (1000).to_bytes(2, "big")) -> None:
        """Sends a close frame (once) and closes the socket."""
        if not self.closed:
            self.closed = True
            try:
                self.send_frame(OP_CLOSE, code, timeout=2)
            except OSError:
                pass
        self.sock.close()


# --- Keys ----------------------------------------------------------------------------------

# Named keys: key -> (code, windowsVirtualKeyCode, text). A key with text also "types"
# (a keypress), which is what makes Enter click a focused button.
_KEYS = {
    "Tab": ("Tab", 9, ""), "Enter": ("Enter", 13, "\r"), "Space": ("Space", 32, " "),
    "Escape": ("Escape", 27, ""), "Backspace": ("Backspace", 8, ""),
    "Delete": ("Delete", 46, ""), "Home": ("Home", 36, ""), "End": ("End", 35, ""),
    "ArrowLeft": ("ArrowLeft", 37, ""), "ArrowUp": ("ArrowUp", 38, ""),
    "ArrowRight": ("ArrowRight", 39, ""), "ArrowDown": ("ArrowDown", 40, ""),
}
# US layout punctuation: (plain and shifted character, code, virtual key code).
_PUNCT = [("-_", "Minus", 189), ("=+", "Equal", 187), ("[{", "BracketLeft", 219),
          ("]}", "BracketRight", 221), ("\\|", "Backslash", 220), (";:", "Semicolon", 186),
          ("'\"", "Quote", 222), (",<", "Comma", 188), (".>", "Period", 190),
          ("/?", "Slash", 191), ("`~", "Backquote", 192)]
_MODIFIERS = {"Alt": 1, "Control": 2, "Ctrl": 2, "Meta": 4, "Shift": 8}  # CDP's bits


def _key_event(combo: str) -> dict:
    """Input.dispatchKeyEvent parameters for 'Tab', 'Shift+Tab', 'a', 'Control+a', '+'…"""
    mods, key = [], combo
    if "+" in combo[:-1]:  # the last character may itself be '+'
        head, _, tail = combo[:-1].rpartition("+")
        mods, key = head.split("+"), tail + combo[-1]
    if any(m not in _MODIFIERS for m in mods):
        raise ValueError(f"unknown modifier in {combo!r}")
    modifiers = sum({_MODIFIERS[m] for m in mods})
    if key in _KEYS:
        code, vk, text = _KEYS[key]
        key = " " if key == "Space" else key
    elif len(key) == 1:
        text, code, vk = key, "", 0
        if key.isascii() and key.isalpha():
            code, vk = "Key" + key.upper(), ord(key.upper())
        elif key.isascii() and key.isdigit():
            code, vk = "Digit" + key, ord(key)
        code, vk = next(((c, v) for chars, c, v in _PUNCT if key in chars), (code, vk))
    else:
        raise ValueError(f"unknown key {key!r}")
    if modifiers & 7:  # with Alt, Control or Meta it is a shortcut: it does not type
        text = ""
    return {"key": key, "code": code, "windowsVirtualKeyCode": vk, "modifiers": modifiers,
            "text": text, "unmodifiedText": text}


# --- Browser ---------------------------------------------------------------------------------

INTERACTIVE_ROLES = {"button", "textbox", "combobox", "listbox", "option", "checkbox", "radio",
                     "link", "menuitem", "tab", "spinbutton", "slider", "searchbox", "switch",
                     "treeitem"}

# Center of an element in viewport coordinates, and whether a click there would reach it.
_BOX_JS = """((sel, scroll) => {
  const el = document.querySelector(sel);
  if (!el) return null;
  if (scroll) el.scrollIntoView({block: 'center', inline: 'center', behavior: 'instant'});
  const r = el.getBoundingClientRect(), x = r.left + r.width / 2, y = r.top + r.height / 2;
  const hit = document.elementFromPoint(x, y);
  const what = hit ? hit.tagName.toLowerCase() + (hit.id ? '#' + hit.id : '') : 'nothing';
  return {x, y, w: r.width, h: r.height, hit: !!hit && el.contains(hit), what};
})"""

_FOCUSED_JS = """(() => {
  const e = document.activeElement;
  if (!e || e === document.body) return 'body';
  let s = e.tagName.toLowerCase() + (e.id ? '#' + e.id : '');
  const label = e.getAttribute('aria-label');
  if (label) s += ` [aria-label="${label}"]`;
  const t = (e.innerText || e.value || '').trim().replace(/\\s+/g, ' ').slice(0, 40);
  return t ? `${s} "${t}"` : s;
})()"""


def _exit_on_sigterm(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


class Browser:
    """Headless Chromium with one page, as a context manager."""

    def __init__(self, chromium: str = "chromium", width: int = 1400, height: int = 900,
                 start_timeout: float = 30):
        self.chromium, self.width, self.height = chromium, width, height
        self.start_timeout = start_timeout
        self.proc: Optional[subprocess.Popen] = None
        self.ws: Optional[WebSocket] = None
        self.tmp = ""  # holds the profile, HOME and chromium.log
        self._next_id = 0
        self._events: collections.deque = collections.deque(maxlen=10000)
        self._errors: list[str] = []
        self._gone = ""  # set when the page crashed or the session was detached
        self._sigterm = False  # whether we installed our SIGTERM handler

    def __enter__(self) -> "Browser":
        # A test stopped with SIGTERM (a CI timeout) unwinds its with block too.
        self._sigterm = (threading.current_thread() is threading.main_thread()
                         and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL)
        if self._sigterm:
            signal.signal(signal.SIGTERM, _exit_on_sigterm)
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- starting and stopping --

    def _start(self) -> None:
        exe = shutil.which(self.chromium)
        if not exe:
            raise CdpError(f"{self.chromium} not found")
        self.tmp = tempfile.mkdtemp(prefix="okxkit-cdp-")
        profile, home = os.path.join(self.tmp, "profile"), os.path.join(self.tmp, "home")
        os.mkdir(profile)
        os.mkdir(home)
        env = dict(os.environ, HOME=home, XDG_CONFIG_HOME=os.path.join(home, ".config"),
                   XDG_CACHE_HOME=os.path.join(home, ".cache"))
        args = [exe, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                "--remote-debugging-port=0", f"--user-data-dir={profile}",
                f"--window-size={self.width},{self.height}", "about:blank"]
        # setpriv (util-linux) has the kernel kill chromium should this process die
        # without cleaning up (SIGKILL); chromium's helpers then exit by themselves.
        setpriv = shutil.which("setpriv")
        if setpriv:
            args = [setpriv, "--pdeathsig", "KILL"] + args
        self.log_path = os.path.join(self.tmp, "chromium.log")
        with open(self.log_path, "wb") as log:
            # A process group of its own, so that close() can end all of its processes.
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, env=env,
                                         start_new_session=True)

        def read_port() -> int:
            # "PORT\n/devtools/browser/ID": once the second line is there, the first is whole.
            with open(os.path.join(profile, "DevToolsActivePort")) as f:
                port, path = f.read().split("\n")[:2]
            if not path.startswith("/devtools/"):
                raise ValueError("DevToolsActivePort is not complete yet")
            return int(port)

        def page_url() -> str:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5) as r:
                return next(t["webSocketDebuggerUrl"] for t in json.load(r)
                            if t.get("type") == "page")

        deadline = time.monotonic() + self.start_timeout
        port = self._poll(deadline, "DevToolsActivePort", read_port)
        self.ws = WebSocket.connect(self._poll(deadline, "page target", page_url), timeout=10)
        # A headless window never has the focus; without this, focus and blur events and
        # :focus-visible would not behave as for a person at the keyboard.
        self.send("Emulation.setFocusEmulationEnabled", {"enabled": True})
        # The headless viewport is shorter than --window-size (room is kept for browser UI
        # that is not drawn): make it exactly width x height.
        self.send("Emulation.setDeviceMetricsOverride", {
            "width": self.width, "height": self.height, "deviceScaleFactor": 1,
            "mobile": False})

    def _poll(self, deadline: float, what: str, attempt: Callable[[], Any]) -> Any:
        """Retries attempt() until it stops raising, while chromium runs, until deadline."""
        while True:
            if self.proc.poll() is not None:
                raise CdpError(f"chromium exited with {self.proc.returncode} at start:\n"
                               + self._log_tail())
            try:
                return attempt()
            except (OSError, ValueError, StopIteration) as e:
                last = e
            if time.monotonic() > deadline:
                raise CdpTimeout(f"chromium gave no {what} in {self.start_timeout} s "
                                 f"({last!r}); its log ends:\n{self._log_tail()}")
            time.sleep(0.05)  # poll interval only

    def _log_tail(self, lines: int = 25) -> str:
        try:
            with open(self.log_path, "rb") as f:
                return "\n".join(f.read().decode("utf-8", "replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def close(self) -> None:
        """Ends the browser and removes its files; safe to call more than once."""
        asked = False
        if self.ws is not None:
            try:
                self.send("Browser.close", timeout=5)
                asked = True
            except CdpTimeout:
                pass
            except CdpError:  # the connection may close before the answer comes
                asked = True
            self.ws.close()
            self.ws = None
        if self.proc is not None:
            if not asked:
                self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
            try:  # what is left of its process group (zygotes, renderers, GPU)
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            self.proc = None
        if self.tmp:
            self._kill_strays(self.tmp)
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = ""
        if self._sigterm:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            self._sigterm = False

    @staticmethod
    def _kill_strays(mark: str) -> None:
        """Kills processes naming our temp dir on their command line. This finds
        chrome_crashpad_handler, which leaves the process group (it daemonizes)."""
        for _ in range(100):  # bounded: 5 s at most
            found = []
            for pid in filter(str.isdigit, os.listdir("/proc")):
                try:
                    with open(f"/proc/{pid}/cmdline", "rb") as f:
                        if mark.encode() in f.read():  # a zombie's is empty: done
                            found.append(int(pid))
                            os.kill(int(pid), signal.SIGKILL)
                except OSError:
                    pass
            if not found:
                return
            time.sleep(0.05)  # let them die before looking again

    # -- protocol --

    def _dispatch(self, msg: dict) -> None:
        """Queues an event; console errors are also noted apart."""
        method, p = msg["method"], msg.get("params", {})
        if method == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            text = d.get("exception", {}).get("description") or d.get("text", "")
            where = f" ({d['url']}:{d.get('lineNumber', -1) + 1})" if d.get("url") else ""
            self._errors.append(f"exception: {text}{where}")
        elif method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            args = [str(a.get("value", a.get("description", ""))) for a in p.get("args", [])]
            self._errors.append(f"console.{p['type']}: " + " ".join(args))
        elif method == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
            e = p["entry"]
            self._errors.append(f"log ({e.get('source')}): {e.get('text')} "
                                f"{e.get('url', '')}".rstrip())
        elif method in ("Inspector.targetCrashed", "Inspector.detached"):
            self._gone = f"{method} {p}"
        self._events.append(msg)

    def _read(self, deadline: float, what: str) -> dict:
        """The next message; events are dispatched (and also returned)."""
        if self._gone:
            raise CdpError(f"the page is gone ({self._gone}) while waiting for {what}")
        if self.ws is None:
            raise CdpError("the browser is not running")
        try:
            msg = json.loads(self.ws.recv(deadline)[1])
        except CdpTimeout:
            raise CdpTimeout(f"timed out waiting for {what}") from None
        except OSError as e:
            raise CdpError(f"lost the browser while waiting for {what}: {e}") from e
        if "method" in msg:
            self._dispatch(msg)
        return msg

    def send(self, method: str, params: Optional[dict] = None, timeout: float = 30) -> dict:
        """Calls a protocol method and returns its result; events meanwhile are queued."""
        if self.ws is None:
            raise CdpError(f"{method}: the browser is not running")
        self._next_id += 1
        my_id = self._next_id
        try:
            self.ws.send_text(json.dumps({"id": my_id, "method": method,
                                          "params": params or {}}), timeout)
        except OSError as e:
            raise CdpError(f"{method}: lost the browser: {e}") from e
        deadline = time.monotonic() + timeout
        while True:
            msg = self._read(deadline, f"the answer to {method}")
            if msg.get("id") == my_id:  # other ids: late answers to calls that timed out
                if "error" in msg:
                    e = msg["error"]
                    raise CdpError(f"{method}: {e.get('message')} {e.get('data', '')}".rstrip())
                return msg.get("result", {})

    def _pump(self) -> None:
        """Reads the events that have already arrived, without waiting."""
        try:
            while True:
                self._read(time.monotonic() + 0.001, "events")
        except CdpTimeout:
            pass

    def clear_events(self, name: Optional[str] = None) -> None:
        """Forgets the queued events called name, or all of them."""
        self._pump()
        keep = [e for e in self._events if name is not None and e["method"] != name]
        self._events.clear()
        self._events.extend(keep)

    def wait_event(self, name: str, predicate: Optional[Callable[[dict], bool]] = None,
                   timeout: float = 30) -> dict:
        """Takes the first queued or coming event called name whose params satisfy
        predicate off the queue, and returns its params."""
        def take(m: dict) -> bool:
            if m.get("method") == name and (predicate is None or predicate(m["params"])):
                self._events.remove(m)
                return True
            return False

        for m in list(self._events):
            if take(m):
                return m["params"]
        deadline = time.monotonic() + timeout
        while True:
            msg = self._read(deadline, f"the event {name}")
            if take(msg):
                return msg["params"]

    # -- page --

    def goto(self, url: str, timeout: float = 30) -> None:
        """Navigates and waits for the load event; console errors are counted from here."""
        for domain in ("Page", "Runtime", "Log"):
            self.send(f"{domain}.enable")  # which replays old messages: cleared next
        self.clear_events()
        self._errors.clear()
        nav = self.send("Page.navigate", {"url": url}, timeout)
        if nav.get("errorText"):
            raise CdpError(f"navigating to {url}: {nav['errorText']}")
        if nav.get("loaderId"):  # none when only the #fragment changed: no load event
            self.wait_event("Page.loadEventFired", timeout=timeout)

    def eval(self, js: str, timeout: float = 30) -> Any:
        """Evaluates an expression in the page (awaiting a promise) and returns its value."""
        r = self.send("Runtime.evaluate", {"expression": js, "returnByValue": True,
                                           "awaitPromise": True}, timeout)
        if "exceptionDetails" in r:
            d = r["exceptionDetails"]
            text = d.get("exception", {}).get("description") or d.get("text", "")
            raise JsError(f"{text} (line {d.get('lineNumber', -1) + 1}) in: {js[:200]}", text)
        return r.get("result", {}).get("value")

    def wait_for(self, js_expression: str, timeout: float = 20) -> Any:
        """Polls an expression until it is truthy, and returns its value. A readiness wait:
        errors meanwhile (a page loading, a name not yet defined) mean "not yet"."""
        # Truthiness is JavaScript's (an element or [] is truthy); a value that cannot be
        # sent back (cycles) is returned as True.
        js = (f"(async () => {{ const v = await ({js_expression.strip().rstrip(';')}\n);"
              " if (!v) return [false, v ?? null];"
              " try { JSON.stringify(v); return [true, v]; } catch { return [true, true]; }"
              " })()")
        deadline = time.monotonic() + timeout
        while True:
            try:
                ok, value = self.eval(js, timeout=max(1.0, deadline - time.monotonic()))
                if ok:
                    return value
                last = f"last value {value!r}"
            except JsError as e:
                last = f"last error {e.description.splitlines()[0]}"
            except CdpError as e:  # not yet, unless the browser or the page is gone
                if self._gone or self.ws is None or self.ws.closed:
                    raise
                last = f"last error {e}"
            if time.monotonic() > deadline:
                raise CdpTimeout(f"wait_for timed out after {timeout} s: {js_expression} "
                                 f"({last})")
            time.sleep(0.05)  # poll interval only

    def box(self, selector: str) -> tuple[float, float]:
        """Scrolls the element into view; returns the viewport point at its center."""
        return self._box(selector)[:2]

    def _box(self, selector: str, scroll: bool = True,
             reachable: bool = False) -> tuple[float, float, dict]:
        b = self.eval(f"{_BOX_JS}({json.dumps(selector)}, {json.dumps(scroll)})")
        if b is None:
            raise CdpError(f"no element matches {selector}")
        if b["w"] <= 0 or b["h"] <= 0:
            raise CdpError(f"{selector} has no size (hidden?)")
        if reachable and not b["hit"]:
            raise CdpError(f"{selector} is covered at its center by {b['what']}")
        return b["x"], b["y"], b

    def _mouse(self, kind: str, x: float, y: float, down: bool = False) -> None:
        """One Input.dispatchMouseEvent; down: the left button is held (or pressed)."""
        p = {"type": kind, "x": x, "y": y, "buttons": 1 if down else 0,
             "button": "none" if kind == "mouseMoved" and not down else "left"}
        if kind != "mouseMoved":
            p["clickCount"] = 1
        self.send("Input.dispatchMouseEvent", p)

    def click(self, selector: str) -> None:
        """Clicks the element's center with real mouse events."""
        x, y, _ = self._box(selector, reachable=True)
        self._mouse("mouseMoved", x, y)
        self._mouse("mousePressed", x, y, down=True)
        self._mouse("mouseReleased", x, y)

    def drag(self, from_selector: str, to_selector: str, timeout: float = 10) -> None:
        """HTML5 drag and drop with real input, as Playwright does it in Chromium.

        With drags intercepted, pressing on the source and moving starts the page's drag
        (dragstart fills dataTransfer); instead of handing it to the OS, the browser
        reports the drag data in Input.dragIntercepted. That data is then dragged over the
        target and dropped there with Input.dispatchDragEvent (the page sees dragenter,
        dragover, drop, then dragend on the source)."""
        self.box(to_selector)  # both in view, when they fit: the source is scrolled last
        x0, y0, _ = self._box(from_selector, reachable=True)
        x1, y1, _ = self._box(to_selector, scroll=False)
        # Moves toward the target, kept in the viewport; the first, 6 px, already passes
        # Chromium's drag threshold even when the target is close.
        points = [(x0 + 6, y0 + 6)] + [(x0 + (x1 - x0) * i / 8, y0 + (y1 - y0) * i / 8)
                                       for i in range(1, 9)]
        points = [(min(max(x, 1), self.width - 2), min(max(y, 1), self.height - 2))
                  for x, y in points]
        self.clear_events("Input.dragIntercepted")
        self.send("Input.setInterceptDrags", {"enabled": True})
        try:
            self._mouse("mouseMoved", x0, y0)
            self._mouse("mousePressed", x0, y0, down=True)
            for x, y in points:
                self._mouse("mouseMoved", x, y, down=True)
                self._pump()
                if any(e["method"] == "Input.dragIntercepted" for e in self._events):
                    break
            try:
                data = self.wait_event("Input.dragIntercepted", timeout=timeout)["data"]
            except CdpTimeout:
                self._mouse("mouseReleased", x, y)
                raise CdpTimeout(f"dragging {from_selector} started no drag (is it "
                                 "draggable, and does dragstart not cancel?)") from None
            x1, y1 = self.box(to_selector)  # scrolled into view, if it was not
            for kind in ("dragEnter", "dragOver", "drop"):
                self.send("Input.dispatchDragEvent",
                          {"type": kind, "x": x1, "y": y1, "data": data})
            # The drop ended the drag; let go of the button too (the page sees a mouseup).
            self._mouse("mouseReleased", x1, y1)
        finally:
            try:
                self.send("Input.setInterceptDrags", {"enabled": False}, timeout=5)
            except CdpError:
                pass  # not to hide the error that got us here

    def press(self, key: str) -> None:
        """Presses and releases a key: 'Tab', 'Shift+Tab', 'Enter', 'Space', 'a'…"""
        ev = _key_event(key)
        # keyDown with text also sends the keypress (char); rawKeyDown does not.
        self.send("Input.dispatchKeyEvent",
                  dict(ev, type="keyDown" if ev["text"] else "rawKeyDown"))
        self.send("Input.dispatchKeyEvent", dict(ev, type="keyUp", text="",
                                                 unmodifiedText=""))

    def type_text(self, s: str) -> None:
        """Inserts text at the caret as an input method would (no key events)."""
        self.send("Input.insertText", {"text": s})

    def focused(self) -> str:
        """Describes document.activeElement, e.g. 'button#save "Save"'."""
        return self.eval(_FOCUSED_JS)

    def screenshot(self, path: str) -> bytes:
        """Writes a PNG of the viewport to path and returns its bytes."""
        r = self.send("Page.captureScreenshot", {"format": "png",
                                                 "captureBeyondViewport": False})
        png = base64.b64decode(r["data"])
        with open(path, "wb") as f:
            f.write(png)
        return png

    def ax_nodes(self) -> list[dict]:
        """The page's full accessibility tree, as Accessibility.getFullAXTree nodes."""
        self.send("Accessibility.enable")
        return self.send("Accessibility.getFullAXTree")["nodes"]

    def unnamed_controls(self) -> list[str]:
        """Interactive accessibility nodes, not ignored, whose computed name is empty,
        described as 'role <tag attributes>'."""
        return [f"{n['role']['value']} {self._describe(n.get('backendDOMNodeId'))}"
                for n in self.ax_nodes()
                if not n.get("ignored")
                and n.get("role", {}).get("value") in INTERACTIVE_ROLES
                and not str(n.get("name", {}).get("value", "")).strip()]

    def _describe(self, backend_id: Optional[int]) -> str:
        """'<button id="x" class="y">' for a DOM node, for messages."""
        try:
            node = self.send("DOM.describeNode", {"backendNodeId": backend_id})["node"]
        except CdpError as e:
            return f"(node {backend_id}: {e})"
        a = node.get("attributes", [])
        attrs = "".join(f' {a[i]}="{a[i + 1][:40]}"' for i in range(0, len(a) - 1, 2))
        return f"<{node.get('localName') or node.get('nodeName')}{attrs}>"

    def console_errors(self) -> list[str]:
        """What the page reported since goto: uncaught exceptions, console.error and
        failed console.assert, and error log entries (such as failed loads)."""
        try:
            # A round trip through the renderer: the events it sent before are read.
            self.send("Runtime.evaluate", {"expression": "0"}, timeout=10)
        except CdpError:
            self._pump()
        return list(self._errors)
