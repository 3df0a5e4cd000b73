#!/usr/bin/python3
"""A local HTTP server of RSS and Atom feeds for the tests of `news --feeds` (127.0.0.1 only).

Paths:
  /feeds/NAME         the fixture file NAME (@BASE@ in it replaced by this server's
                      http://127.0.0.1:PORT), with an ETag and a Last-Modified; a request whose
                      If-None-Match or If-Modified-Since matches gets 304 and no body
  /lm/NAME            the same with a Last-Modified only
  /plain/NAME         the same with no validators: always 200 and the whole body
  /gzip/NAME          the same, gzip-compressed when the client accepts gzip
  /slow/NAME          the same after a pause of ?delay=SECONDS (default 5)
  /status/CODE        answers CODE with a short text body (?retry-after=SECONDS adds that header)
  /huge               an RSS document of ?mb=N (default 50) MB, built while it is sent, with a
                      Content-Length
  /huge-unsized       the same with no Content-Length (the body ends when the connection closes)
  /gzip-bomb          a gzip body that inflates to an RSS document of ?mb=N (default 50) MB
  /wrong-encoding     RSS that declares UTF-8 and holds Latin-1 bytes

Every request is logged to --log as one JSON line once its answer is written: path, status, the
request's If-None-Match, If-Modified-Since and Accept-Encoding, and on the server's monotonic
clock (seconds) `start`, when the request had been read, and `sent`, just before the answer's
first byte was written. A client that waits G after an answer before its next request to this
host therefore logs next.start - previous.sent >= G.

Usage: feed_server.py --dir FOLDER --log FILE [--port N] [--port-file FILE]
Stops on SIGTERM or SIGINT with status 0.
"""

import argparse
import gzip
import hashlib
import http.server
import json
import os
import signal
import sys
import threading
import time
import urllib.parse
import zlib

LAST_MODIFIED = "Tue, 02 Jan 2024 10:00:00 GMT"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "feed-server/1"

    def log_message(self, format, *args):  # the JSON log replaces the default one
        pass

    def do_GET(self):
        self.start = time.monotonic()
        self.sent = None
        self.status = 0
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        parts = url.path.strip("/").split("/", 1)
        kind = parts[0]
        rest = parts[1] if len(parts) > 1 else ""
        try:
            if kind in ("feeds", "lm", "plain", "gzip", "slow"):
                self.fixture(kind, rest, query)
            elif kind == "status":
                self.status_page(int(rest), query)
            elif kind in ("huge", "huge-unsized"):
                self.huge(int(query.get("mb", ["50"])[0]), kind == "huge")
            elif kind == "gzip-bomb":
                self.bomb(int(query.get("mb", ["50"])[0]))
            elif kind == "wrong-encoding":
                body = ('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
                        "<title>Latin Wire</title><item><title>Caf\xe9 owners accept "
                        "bitcoin</title></item></channel></rss>\n").encode("latin-1")
                self.answer(200, body, {"Content-Type": "application/rss+xml"})
            else:
                self.answer(404, b"no such feed\n", {"Content-Type": "text/plain"})
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up: expected for the huge answers
        finally:
            self.server.log(self)

    def answer(self, status, body, headers):
        self.status = status
        self.sent = time.monotonic()
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def fixture(self, kind, name, query):
        path = os.path.join(self.server.folder, os.path.basename(name))
        if not name or not os.path.isfile(path):
            self.answer(404, b"no such fixture\n", {"Content-Type": "text/plain"})
            return
        with open(path, "rb") as f:
            body = f.read()
        # Fixtures name this server as @BASE@ (to see whether a client follows a reference).
        body = body.replace(b"@BASE@", ("http://127.0.0.1:%d" % self.server.server_address[1])
                            .encode())
        if kind == "slow":
            time.sleep(float(query.get("delay", ["5"])[0]))
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        headers = {"Content-Type": "application/xml"}
        if kind in ("feeds", "gzip", "slow"):
            headers["ETag"] = etag
        if kind in ("feeds", "lm", "gzip", "slow"):
            headers["Last-Modified"] = LAST_MODIFIED
        inm = self.headers.get("If-None-Match")
        ims = self.headers.get("If-Modified-Since")
        if ("ETag" in headers and inm == etag) or (
                inm is None and "Last-Modified" in headers and ims == LAST_MODIFIED):
            self.status = 304
            self.sent = time.monotonic()
            self.send_response(304)
            for k, v in headers.items():
                self.send_header(k, v)
            self.end_headers()
            return
        if kind == "gzip" and "gzip" in self.headers.get("Accept-Encoding", ""):
            body = gzip.compress(body)
            headers["Content-Encoding"] = "gzip"
        self.answer(200, body, headers)

    def status_page(self, code, query):
        headers = {"Content-Type": "text/plain"}
        if "retry-after" in query:
            headers["Retry-After"] = query["retry-after"][0]
        self.answer(code, ("status %d\n" % code).encode(), headers)

    @staticmethod
    def huge_parts(mb):
        head = (b'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
                b"<title>Big Wire</title><item><title>")
        tail = b"</title></item></channel></rss>\n"
        return head, mb * 1024 * 1024, tail

    def huge(self, mb, sized):
        head, size, tail = self.huge_parts(mb)
        self.status = 200
        self.sent = time.monotonic()
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        if sized:
            self.send_header("Content-Length", str(len(head) + size + len(tail)))
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(head)
        chunk = b"x" * 65536
        left = size
        while left > 0:
            n = min(left, len(chunk))
            self.wfile.write(chunk[:n])
            left -= n
        self.wfile.write(tail)

    def bomb(self, mb):
        head, size, tail = self.huge_parts(mb)
        z = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: a gzip wrapper
        body = z.compress(head)
        chunk = b"y" * (1024 * 1024)
        for _ in range(size // len(chunk)):
            body += z.compress(chunk)
        body += z.compress(tail) + z.flush()
        self.answer(200, body, {"Content-Type": "application/rss+xml",
                                "Content-Encoding": "gzip"})


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port, folder, log_path):
        super().__init__(("127.0.0.1", port), Handler)
        self.folder = folder
        self.log_file = open(log_path, "a", buffering=1)
        self.lock = threading.Lock()

    def log(self, h):
        entry = {
            "path": h.path,
            "status": h.status,
            "inm": h.headers.get("If-None-Match"),
            "ims": h.headers.get("If-Modified-Since"),
            "ae": h.headers.get("Accept-Encoding"),
            "start": round(h.start, 6),
            "sent": round(h.sent, 6) if h.sent is not None else None,
        }
        with self.lock:
            self.log_file.write(json.dumps(entry) + "\n")


def main():
    p = argparse.ArgumentParser(description="local RSS/Atom server for the news tests")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--port-file")
    p.add_argument("--dir", required=True)
    p.add_argument("--log", required=True)
    a = p.parse_args()
    server = Server(a.port, a.dir, a.log)

    def stop(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if a.port_file:
        tmp = a.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % server.server_address[1])
        os.rename(tmp, a.port_file)
    try:
        server.serve_forever(poll_interval=0.05)
    except SystemExit:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
