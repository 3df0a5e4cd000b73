#!/usr/bin/env python3
"""Latency of execute --mode demo against tests/fake-okx, from the moment a line is written to
the moment its order request arrives at the server (CLOCK_MONOTONIC on both sides: fake-okx
logs each request's arrival as mono_us). Loopback networking and the server's HTTP parsing are
inside the figure, so it is an upper bound of the time to the wire.

  intent:   an approved intent written to execute's stdin -> the order at the server
  pipeline: an intent written to risk-guard's stdin, decided against execute's account at a
            sync barrier, approved, then sent by execute -> the order at the server

PATH is ws (the default: the order op over the private WebSocket, logged by the fake as method
WS, path order) or rest (POST /api/v5/trade/order, execute --ws-private-url off).

execute's -v summary adds its own measure, without the network: from the intent's line parsed
to its request written to the socket (libcurl's pre-request callback; the WebSocket thread's
write).

Each sample is one limit buy far below the market (it rests, nothing fills), written when the
one before has arrived and 50 ms have passed (under OKX's 60 orders per 2 s, so no sample
waits for the client's rate limiter). Prints p50, p90, p99 and max in microseconds.
Usage: bench/execute_live.py BUILD_DIR [intent|pipeline] [SAMPLES] [ws|rest]
"""
import json
import os
import subprocess
import sys
import tempfile
import time

build = sys.argv[1]
mode = sys.argv[2] if len(sys.argv) > 2 else "intent"
samples = int(sys.argv[3]) if len(sys.argv) > 3 else 300
path = sys.argv[4] if len(sys.argv) > 4 else "ws"
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
data = os.path.join(root, "share", "okxkit", "samples")
work = tempfile.mkdtemp()
now = 1617321600000

env = dict(os.environ)
env.update(
    OKX_API_KEY="985d5b66-57ce-40fb-b714-afc0b9787083",
    OKX_API_SECRET="chNOOS4KvNXR_Xq4k4c9qsfoKWvnDecLATCRlcBwyKDYnWgO",
    OKX_API_PASSPHRASE="1234567890",
    XDG_CONFIG_HOME=os.path.join(work, "xdg"),
    XDG_DATA_HOME=os.path.join(work, "xdg"),
)
for k in ("OKXKIT_CONFIG", "OKXKIT_STORE", "OKXKIT_RUN"):
    env.pop(k, None)
config = os.path.join(work, "config.toml")
with open(config, "w") as f:
    f.write("[risk]\nmax_open_orders = 100000\nmax_orders_per_minute = 100000\n")

log = os.path.join(work, "fake.log")
port_file = os.path.join(work, "port")
fake = subprocess.Popen(
    [os.path.join(build, "tests", "fake-okx", "fake-okx"), "--port", "0", "--port-file",
     port_file, "--data", data, "--now", str(now), "--ws-interval-ms", "0", "--log", log,
     "--balance",
     "USDT=100000000"], stderr=subprocess.DEVNULL)
for _ in range(200):
    if os.path.exists(port_file) and os.path.getsize(port_file) > 0:
        break
    time.sleep(0.02)
url = "http://127.0.0.1:" + open(port_file).read().strip()

tools = os.path.join(build, "tools")
store = os.path.join(work, "s.db")
execute = [os.path.join(tools, "execute"), "--mode", "demo", "--rest-url", url, "--store", store,
           "--run", "bench", "--dead-man", "0", "--config", config, "-v"]
if path == "rest":
    execute += ["--ws-private-url", "off"]
out = open(os.path.join(work, "out"), "w")
err_path = os.path.join(work, "err")
err = open(err_path, "w")
if mode == "pipeline":
    guard = subprocess.Popen(
        [os.path.join(tools, "risk-guard"), "--store", store, "--run", "bench", "--config",
         config], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, env=env)
    ex = subprocess.Popen(execute, stdin=guard.stdout, stdout=out, stderr=err, env=env)
    guard.stdout.close()
    feed = guard.stdin
else:
    ex = subprocess.Popen(execute, stdin=subprocess.PIPE, stdout=out, stderr=err, env=env)
    feed = ex.stdin

day = subprocess.run(
    [os.path.join(tools, "okx-stream"), "--replay", os.path.join(data, "BTC-USDT_5m.csv"),
     "--to", "2021-04-02"], capture_output=True, check=True).stdout
feed.write(day)
feed.flush()
last_ts = json.loads(day.splitlines()[-1])["ts"]

logf = None
posts_seen = 0


def wait_post():
    """The arrival (ns) of the next order (REST POST or WebSocket op) in the fake's log."""
    global logf, posts_seen
    deadline = time.monotonic() + 30
    buf = ""
    while time.monotonic() < deadline:
        if logf is None and os.path.exists(log):
            logf = open(log)
        if logf is not None:
            line = logf.readline()
            if line:
                buf += line
                if not buf.endswith("\n"):
                    continue
                rec = json.loads(buf)
                buf = ""
                if (rec.get("method") == "POST" and rec.get("path") == "/api/v5/trade/order") or \
                        (rec.get("method") == "WS" and rec.get("path") == "order"):
                    posts_seen += 1
                    return rec["mono_us"] * 1000
                continue
        time.sleep(0.0005)
    sys.exit("no order arrived within 30 s: see " + work)


lat = []
for i in range(samples + 20):  # the first 20 warm up
    intent = {"type": "intent", "v": 1, "ts": last_ts, "inst": "BTC-USDT", "strategy": "b",
              "leg": "b%d" % i, "action": "place", "side": "buy", "ord_type": "limit",
              "px": 10000, "sz": 0.001}
    if mode != "pipeline":
        intent["approved"] = True
    line = (json.dumps(intent, separators=(",", ":")) + "\n").encode()
    t0 = time.monotonic_ns()
    feed.write(line)
    feed.flush()
    arrived = wait_post()
    if i >= 20:
        lat.append((arrived - t0) / 1000.0)
    time.sleep(0.05)
feed.close()
ex.wait()
fake.terminate()
fake.wait()
lat.sort()


def pct(p):
    return lat[min(len(lat) - 1, int(round(p / 100.0 * (len(lat) - 1))))]


print("%s over %s: %d orders, latency to the server in us: p50 %.0f, p90 %.0f, p99 %.0f, max %.0f"
      % (mode, path, len(lat), pct(50), pct(90), pct(99), lat[-1]))
# execute's own measure (-v summary): from the intent's line parsed to its request written to
# the connection, the warm-up orders included.
err.close()
for line in open(err_path):
    if "intent to wire" in line:
        print("  execute: " + line[line.index("intent to wire"):].strip())
