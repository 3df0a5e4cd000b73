#!/usr/bin/python3
"""okx-builder's page in headless Chromium, driven over the DevTools protocol (cdp.py).

Usage: builder_test.py BASE TOKEN DIR SOURCE BIN [SCREENSHOTS]

BASE is the address okx-builder listens on (http://127.0.0.1:PORT), TOKEN its session token,
DIR its strategy folder, SOURCE the project's source tree, BIN the folder of the built tools;
SCREENSHOTS, when given, receives PNGs of the page. Prints one TAP line per check and exits 1
when any fails. Every wait is for a state of the page, bounded; no check depends on timing.
"""

import json
import os
import pathlib
import re
import subprocess
import sys
import time
import traceback
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cdp import Browser  # noqa: E402

BASE, TOKEN, DIR, SOURCE, BIN = sys.argv[1:6]
SHOTS = sys.argv[6] if len(sys.argv) > 6 else ""
HERE = pathlib.Path(__file__).resolve().parent
GOLDEN = (HERE / "golden" / "ema_cross.toml").read_bytes()
TEMPLATES = pathlib.Path(SOURCE) / "share" / "okxkit" / "strategies"

results = []


def check(name):
    def run(f):
        try:
            f()
            results.append(True)
            print(f"ok {len(results)} - {name}", flush=True)
        except Exception:  # a failed check is reported, the others still run
            results.append(False)
            print(f"not ok {len(results)} - {name}", flush=True)
            for line in traceback.format_exc().splitlines():
                print("# " + line, flush=True)
        return f

    return run


def api(method, path, body=None):
    req = urllib.request.Request(BASE + path, method=method, data=body)
    req.add_header("X-Okxkit-Token", TOKEN)
    with urllib.request.urlopen(req) as r:
        return r.read()


def select_strategy_validate(path):
    out = subprocess.run([os.path.join(BIN, "select-strategy"), "--validate", str(path),
                          "--format", "json"], capture_output=True, text=True, check=False)
    return json.loads(out.stdout)


def expect(cond, what):
    if not cond:
        raise AssertionError(what)


# --- The page ---------------------------------------------------------------------------


def open_page(b):
    b.goto("about:blank")  # a fresh load, not a jump to the same page's fragment
    b.goto(f"{BASE}/#token={TOKEN}")
    b.wait_for("document.body.dataset.ready === '1'")
    b.wait_for("document.getElementById('template').options.length > 0")


def text(b):
    return b.eval("document.getElementById('toml').value")


def settled(b):
    """Waits until the page has checked the text it shows with okx-builder."""
    b.wait_for("(() => { const s = okxBuilder.state; return s.validation !== null && "
               "s.validation.text === s.text; })()")


def status(b):
    return b.eval("document.getElementById('status').textContent")


def open_saved(b, name):
    """Opens a saved file with the page's own controls."""
    b.wait_for(f"[...document.getElementById('open-name').options].some(o => o.value === {json.dumps(name)})",
               timeout=20)
    b.eval(f"document.getElementById('open-name').value = {json.dumps(name)}")
    b.eval("document.getElementById('status').textContent = ''")  # to see this open's answer
    b.click("#open")
    b.wait_for(f"document.getElementById('status').textContent === {json.dumps('Opened ' + name + '.')}")


def refresh_lists(b):
    open_page(b)


def save_as(b, name):
    b.eval(f"document.getElementById('file-name').value = {json.dumps(name)}")
    b.click("#save")
    b.wait_for(f"document.getElementById('status').textContent.startsWith('Saved {name}')")


def outlined(b):
    return set(b.eval("[...document.querySelectorAll('.node.invalid')].map(n => n.dataset.key)"))


def no_console_errors(b):
    errs = b.console_errors()
    expect(not errs, f"console errors: {errs}")


# Clears a focused text input with the keyboard and types a new value, then Enter.
def retype(b, value):
    length = b.eval("document.activeElement.value.length")
    b.press("End")
    for _ in range(length):
        b.press("Backspace")
    b.type_text(value)
    b.press("Enter")


def tab_to(b, selector, limit=600):
    """Moves the focus with Tab (only) until the element matching selector has it."""
    sel = json.dumps(selector)
    for _ in range(limit):
        if b.eval(f"document.activeElement === document.querySelector({sel})"):
            return
        b.press("Tab")
    raise AssertionError(f"Tab never reached {selector} (at {b.focused()})")


# --- Building the EMA cross -----------------------------------------------------------------

RENAMES = [("indicators.ema_12", "fast"), ("indicators.ema_26", "slow"),
           ("conditions.cross_above", "golden"), ("conditions.cross_below", "death"),
           ("actions.target", "enter"), ("actions.close_2", "exit")]


def node_id(name):
    """The id the page gives a new node: its op or action, unless that is a price's name."""
    return name + "_2" if name in ("open", "high", "low", "close", "volume") else name


def build_with_mouse(b):
    b.click("#new")
    b.wait_for("okxBuilder.state.text.startsWith('kind = \"rules\"') && "
               "!document.querySelector('#col-indicators .node')")
    for feature in ("ema_12", "ema_26"):
        b.click("#feature-search")
        b.type_text(feature)
        b.wait_for(f"!!document.querySelector('[data-palette=\"indicators:{feature}\"]')")
        b.drag(f'[data-palette="indicators:{feature}"]', "#col-indicators")
        b.wait_for(f"!!document.querySelector('[data-key=\"indicators.{feature}\"]')")
        b.eval("document.getElementById('feature-search').value = ''")
    for column, name in (("conditions", "cross_above"), ("conditions", "cross_below"),
                         ("actions", "target"), ("actions", "close")):
        b.drag(f'[data-palette="{column}:{name}"]', f"#col-{column}")
        b.wait_for(f"!!document.querySelector('[data-key=\"{column}.{node_id(name)}\"]')")
    wires = [("ema_12", "conditions.cross_above:a"), ("ema_26", "conditions.cross_above:b"),
             ("ema_12", "conditions.cross_below:a"), ("ema_26", "conditions.cross_below:b"),
             ("cross_above", "actions.target:when"), ("cross_below", "actions.close_2:when")]
    for src, dst in wires:
        before = text(b)
        b.drag(f'[data-out="{src}"]', f'[data-in="{dst}"]')
        b.wait_for(f"okxBuilder.state.text !== {json.dumps(before)}")
    # A wire of the wrong type is refused: a series into a bool input changes nothing.
    before = text(b)
    b.drag('[data-out="ema_12"]', '[data-in="actions.target:when"]')
    expect(text(b) == before, "a series was wired into a bool input")
    # The size, typed into the inspector.
    b.click('[data-key="actions.target"] .node-title')
    b.click('[data-field="equity_frac"]')
    b.type_text("0.25")
    # No Enter: a mouse user clicks on; the field commits as it loses the focus, and that one
    # click selects the next node (the graph is not redrawn under the pressed button).
    for key, new in RENAMES:
        b.click(f'[data-key="{key}"] .node-title')
        b.wait_for(f"okxBuilder.state.selected === {json.dumps(key)}", timeout=5)
        b.click('[data-field="id"]')
        retype(b, new)
        table = key.split(".")[0]
        b.wait_for(f"!!document.querySelector('[data-key=\"{table}.{new}\"]')")
    expect("equity_frac = 0.25" in text(b), "the size typed without Enter was lost")
    b.click('[data-key="strategy"] .node-title')
    b.click('[data-field="name"]')
    retype(b, "ema_cross")
    b.wait_for("okxBuilder.state.text.includes('name = \"ema_cross\"')")
    # A select is set the way a person does from the keyboard once it has focus.
    b.click('[data-field="fits"]')
    b.press("Escape")
    for ch in "trend_up":
        b.press(ch)
    b.wait_for("okxBuilder.state.text.includes('fits = \"trend_up\"')")


def build_with_keyboard(b):
    tab_to(b, "#new")
    b.press("Enter")
    b.wait_for("okxBuilder.state.text.startsWith('kind = \"rules\"') && "
               "!document.querySelector('#col-indicators .node')")
    for feature in ("ema_12", "ema_26"):
        tab_to(b, "#feature-search")
        retype(b, feature)
        tab_to(b, f'[data-palette="indicators:{feature}"]')
        b.press("Enter")
        b.wait_for(f"!!document.querySelector('[data-key=\"indicators.{feature}\"]')")
    for column, name in (("conditions", "cross_above"), ("conditions", "cross_below"),
                         ("actions", "target"), ("actions", "close")):
        tab_to(b, f'[data-palette="{column}:{name}"]')
        b.press("Enter")
        b.wait_for(f"!!document.querySelector('[data-key=\"{column}.{node_id(name)}\"]')")
    wires = [("ema_12", "conditions.cross_above:a"), ("ema_26", "conditions.cross_above:b"),
             ("ema_12", "conditions.cross_below:a"), ("ema_26", "conditions.cross_below:b"),
             ("cross_above", "actions.target:when"), ("cross_below", "actions.close_2:when")]
    for src, dst in wires:
        before = text(b)
        tab_to(b, f'[data-out="{src}"]')
        b.press("Enter")
        tab_to(b, f'[data-in="{dst}"]')
        b.press("Enter")
        b.wait_for(f"okxBuilder.state.text !== {json.dumps(before)}")
    # The wrong type is refused from the keyboard too.
    before = text(b)
    tab_to(b, '[data-out="ema_12"]')
    b.press("Enter")
    tab_to(b, '[data-in="actions.target:when"]')
    b.press("Enter")
    expect(text(b) == before, "a series was wired into a bool input")
    expect("Refused" in status(b), f"no refusal said: {status(b)}")
    b.press("Escape")
    tab_to(b, '[data-key="actions.target"] .node-title')
    b.press("Enter")
    tab_to(b, '[data-field="equity_frac"]')
    b.type_text("0.25")
    b.press("Enter")
    b.wait_for("okxBuilder.state.text.includes('equity_frac = 0.25')")
    for key, new in RENAMES:
        tab_to(b, f'[data-key="{key}"] .node-title')
        b.press("Enter")
        tab_to(b, '[data-field="id"]')
        retype(b, new)
        table = key.split(".")[0]
        b.wait_for(f"!!document.querySelector('[data-key=\"{table}.{new}\"]')")
    tab_to(b, '[data-key="strategy"] .node-title')
    b.press("Enter")
    tab_to(b, '[data-field="name"]')
    retype(b, "ema_cross")
    b.wait_for("okxBuilder.state.text.includes('name = \"ema_cross\"')")
    tab_to(b, '[data-field="fits"]')
    for ch in "trend_up":
        b.press(ch)
    b.wait_for("okxBuilder.state.text.includes('fits = \"trend_up\"')")


def backtest_by_hand(strategy):
    """The README's backtest of a strategy file, run here stage by stage in a store of its own,
    with an empty config as the button's children have; audit report's JSON of it."""
    work = pathlib.Path(DIR).parent / "by-hand"
    work.mkdir(exist_ok=True)
    (work / "empty.toml").write_text("")
    c = ["--config", str(work / "empty.toml"), "-q"]
    db = ["--store", str(work / "hand.db"), "--run", "byhand"]
    samples = sorted(str(p) for p in (pathlib.Path(SOURCE) / "share" / "okxkit" / "samples").glob("*_5m.csv"))
    tool = lambda name: os.path.join(BIN, name)  # noqa: E731
    stages = [[tool("okx-stream"), *c, "--replay", *samples],
              [tool("select-strategy"), "--strategies", str(strategy), "--bar", "5m", *db, *c],
              [tool("risk-guard"), *db, "--bar", "5m", *c],
              [tool("execute"), "--mode", "paper", *db, "--bar", "5m", *c]]
    procs = []
    prev = None
    for argv in stages:
        p = subprocess.Popen(argv, stdin=prev, stdout=subprocess.PIPE if argv is not stages[-1] else subprocess.DEVNULL)
        if prev is not None:
            prev.close()
        prev = p.stdout
        procs.append(p)
    for p in procs:
        expect(p.wait() == 0, f"{p.args[0]} failed")
    out = subprocess.run([tool("audit"), "report", *db, "--format", "json", *c],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def saved_equals_golden(b, name):
    settled(b)
    expect(b.eval("okxBuilder.state.validation.valid") is True,
           f"the page's check: {b.eval('JSON.stringify(okxBuilder.state.validation.errors)')}")
    save_as(b, name)
    got = (pathlib.Path(DIR) / name).read_bytes()
    expect(got == GOLDEN, "saved file differs from the golden one:\n" + got.decode())
    v = select_strategy_validate(pathlib.Path(DIR) / name)
    expect(v["valid"], f"select-strategy --validate: {v}")


def main():
    with Browser() as b:
        @check("the page loads from okx-builder with its palette from select-strategy --schema")
        def _():
            open_page(b)
            schema = json.loads(subprocess.run([os.path.join(BIN, "select-strategy"), "--schema"],
                                               capture_output=True, text=True, check=True).stdout)
            kinds = [k["title"] for k in schema["oneOf"]]
            rules = [k for k in schema["oneOf"] if k["title"] == "rules"][0]
            ops = [v["properties"]["op"]["const"]
                   for v in rules["properties"]["conditions"]["additionalProperties"]["oneOf"]]
            acts = [v["properties"]["do"]["const"]
                    for v in rules["properties"]["actions"]["additionalProperties"]["oneOf"]]
            got_ops = b.eval("[...document.querySelectorAll('#pal-conditions [data-palette]')]"
                             ".map(e => e.dataset.palette.split(':')[1])")
            got_acts = b.eval("[...document.querySelectorAll('#pal-actions [data-palette]')]"
                              ".map(e => e.dataset.palette.split(':')[1])")
            got_kinds = b.eval("[...document.querySelectorAll('#pal-kinds button')].map(e => e.textContent)")
            expect(got_ops == ops, f"conditions {got_ops} != {ops}")
            expect(got_acts == acts, f"actions {got_acts} != {acts}")
            expect(got_kinds == [k for k in kinds if k != "rules"], f"kinds {got_kinds}")
            tmpl = b.eval("[...document.getElementById('template').options].map(o => o.value)")
            expect(tmpl == sorted(p.name for p in TEMPLATES.glob("*.toml")), f"templates {tmpl}")
            no_console_errors(b)

        @check("drag and drop builds the EMA cross of the golden file, and it validates")
        def _():
            open_page(b)
            build_with_mouse(b)
            saved_equals_golden(b, "mouse.toml")
            # Every node shows its warm-up: ema_12 12 bars, ema_26 26, the crosses one more.
            warm = b.eval("Object.fromEntries([...document.querySelectorAll('.node[data-key]')]"
                          ".map(n => [n.dataset.key, (n.querySelector('.warm') || {}).textContent]))")
            expect(warm["indicators.fast"] == "warm-up 12 bars", f"{warm}")
            expect(warm["indicators.slow"] == "warm-up 26 bars", f"{warm}")
            expect(warm["conditions.golden"] == "warm-up 27 bars", f"{warm}")
            expect(warm["actions.exit"] == "warm-up 27 bars", f"{warm}")
            if SHOTS:
                b.screenshot(os.path.join(SHOTS, "builder-ema-cross.png"))
            no_console_errors(b)

        @check("the keyboard alone builds the same golden file, and every control has a name")
        def _():
            open_page(b)
            bad = b.unnamed_controls()
            expect(not bad, f"unnamed controls: {bad}")
            build_with_keyboard(b)
            saved_equals_golden(b, "keyboard.toml")
            for key in ("actions.enter", "conditions.golden", "indicators.fast", "strategy"):
                b.click(f'[data-key="{key}"] .node-title')
                bad = b.unnamed_controls()
                expect(not bad, f"unnamed controls with {key} selected: {bad}")
            b.click("#show-diff")
            b.wait_for("!document.getElementById('output').hidden")
            bad = b.unnamed_controls()
            expect(not bad, f"unnamed controls with the diff open: {bad}")
            no_console_errors(b)

        corpus = sorted(TEMPLATES.glob("*.toml")) + sorted((HERE / "roundtrip").glob("*.toml"))

        @check(f"every template and hand-written file round-trips byte for byte ({len(corpus)} files)")
        def _():
            for p in corpus:
                api("PUT", f"/api/files/rt-{p.name}", p.read_bytes())
            open_page(b)
            for p in corpus:
                name = f"rt-{p.name}"
                open_saved(b, name)
                settled(b)
                b.eval(f"document.getElementById('file-name').value = {json.dumps('out-' + p.name)}")
                b.click("#save")
                b.wait_for(f"document.getElementById('status').textContent.startsWith('Saved out-{p.name}')")
                got = (pathlib.Path(DIR) / f"out-{p.name}").read_bytes()
                expect(got == p.read_bytes(), f"{p.name} changed on its way through the page")
                text_only = b.eval("!document.getElementById('text-only').hidden")
                expect(text_only == (p.name == "text_only.toml"), f"{p.name}: text-only {text_only}")
            no_console_errors(b)

        @check("an edit changes only the line it touches, comments and alignment kept")
        def _():
            open_page(b)
            for name, key, field, value, old, new in (
                ("rt-aligned_comments.toml", "actions.bid", "equity_frac", "0.2",
                 'bid   = { when = "dip", do = "place", side = "buy", equity_frac = 0.1, offset = -0.002 }',
                 'bid   = { when = "dip", do = "place", side = "buy", equity_frac = 0.2, offset = -0.002 }'),
                ("rt-aligned_comments.toml", "conditions.calm", "a", None,
                 'a  = "inband"            # a section instead of an inline table',
                 'a  = "up"            # a section instead of an inline table'),
                ("rt-trend.toml", "macro", "fast", "12",
                 "fast = 20                # fast average, in bars",
                 "fast = 12                # fast average, in bars"),
            ):
                open_saved(b, name)
                b.click(f'[data-key="{key}"] .node-title')
                if value is None:  # a port: chosen in its select
                    b.eval("(() => { const s = document.querySelector('[data-field=\"a\"]');"
                           " s.value = '=up'; s.dispatchEvent(new Event('change')); })()")
                else:
                    b.click(f'[data-field="{field}"]')
                    retype(b, value)
                before = (pathlib.Path(DIR) / name).read_text().split("\n")
                b.wait_for(f"okxBuilder.state.text.includes({json.dumps(new)})")
                after = b.eval("okxBuilder.state.text").split("\n")
                changed = [(x, y) for x, y in zip(before, after) if x != y]
                expect(len(before) == len(after), f"{name}: line count changed")
                expect(changed == [(old, new)], f"{name}: changed {changed}")
                # The diff view shows that line and no other.
                b.click("#show-diff")
                shown = b.eval("[...document.querySelectorAll('#output-body .d-add, #output-body .d-del')]"
                               ".map(e => e.textContent)")
                expect(shown == [f"- {old}\n", f"+ {new}\n"], f"diff view: {shown}")
            no_console_errors(b)

        @check("for invalid files, the outlined nodes are exactly the keys select-strategy reports")
        def _():
            open_page(b)
            for p in sorted((HERE / "invalid").glob("*.toml")) + [HERE / "roundtrip" / "aligned_comments.toml"]:
                api("PUT", f"/api/files/bad-{p.name}", p.read_bytes())
            refresh_lists(b)
            for p in sorted((HERE / "invalid").glob("*.toml")) + [HERE / "roundtrip" / "aligned_comments.toml"]:
                open_saved(b, f"bad-{p.name}")
                settled(b)
                report = select_strategy_validate(p)
                expect(not report["valid"], f"{p.name} is valid")
                kind = re.search(r'^kind\s*=\s*"([^"]*)"', p.read_text(), re.M).group(1)
                want = set()
                unplaced = []
                for e in report["errors"]:
                    parts = e["key"].split(".")
                    if parts[0] in ("indicators", "conditions", "actions") and len(parts) > 1:
                        want.add(parts[0] + "." + parts[1])
                    elif len(parts) == 1 and e["key"] not in ("", "indicators", "conditions", "actions"):
                        want.add("strategy" if kind == "rules" or e["key"] in ("kind", "name") else "macro")
                    else:
                        unplaced.append(e)
                got = outlined(b)
                expect(got == want, f"{p.name}: outlined {sorted(got)}, reported {sorted(want)}")
                listed = b.eval("[...document.querySelectorAll('#problems li')].map(l => l.textContent)")
                expect(len(listed) == len(report["errors"]), f"{p.name}: listed {listed}")
                for e in unplaced:
                    expect(any(e["message"] in x for x in listed), f"{p.name}: {e} not listed")
            no_console_errors(b)

        @check("opened from disk, the page works with the bundled schema and templates")
        def _():
            b.goto("file://" + str(pathlib.Path(SOURCE) / "share" / "okxkit" / "builder" / "index.html"))
            b.wait_for("document.body.dataset.ready === '1'")
            b.eval("document.getElementById('template').value = 'rsi_dip.toml'")
            b.click("#use-template")
            b.wait_for("!!document.querySelector('[data-key=\"conditions.dip\"]')")
            expect(text(b) == (TEMPLATES / "rsi_dip.toml").read_text(), "the template differs")
            # Without okx-builder the page works out warm-ups of the default set's features
            # itself: the same as the server's answer for every node.
            server = json.loads(api("POST", "/api/validate", (TEMPLATES / "rsi_dip.toml").read_bytes()))
            warm = b.eval("Object.fromEntries([...document.querySelectorAll('.node[data-key]')]"
                          ".map(n => [n.dataset.key, (n.querySelector('.warm') || {}).textContent]))")
            for key, bars in server["warmup"].items():
                if key:
                    expect(warm.get(key) == f"warm-up {bars} bars", f"offline {key}: {warm.get(key)}, server {bars}")
            no_console_errors(b)

        @check("a template loaded and selected, as a person sees it (screenshot)")
        def _():
            open_page(b)
            b.eval("document.getElementById('template').value = 'rsi_dip.toml'")
            b.click("#use-template")
            b.wait_for("!!document.querySelector('[data-key=\"conditions.dip\"]')")
            settled(b)
            b.click('[data-key="actions.bid"] .node-title')
            n = b.eval("document.querySelectorAll('#wires path').length")
            # rsi, close and trend into three conditions (4 wires), oversold and uptrend into
            # dip, dip and recovered into the two actions, both actions to risk-guard: 10.
            expect(n == 10, f"{n} wires drawn")
            if SHOTS:
                b.screenshot(os.path.join(SHOTS, "builder-loaded.png"))
            no_console_errors(b)

        @check("the backtest button's figures are audit report's of the pipeline run by hand; "
               "a second click is served from the cache")
        def _():
            open_page(b)
            b.eval("document.getElementById('template').value = 'rules.toml'")
            b.click("#use-template")
            b.wait_for("!!document.querySelector('[data-key=\"conditions.golden\"]')")
            b.click("#backtest")  # unsaved: it says so and runs nothing
            b.wait_for("document.getElementById('status').textContent.startsWith('Save first')")
            save_as(b, "bt.toml")
            b.click("#backtest")
            b.wait_for("!!document.querySelector('#output-body .backtest')", timeout=120)
            shown = b.eval("Object.fromEntries([...document.querySelectorAll('#output-body [data-figure]')]"
                           ".map(td => [td.dataset.figure, td.dataset.value]))")
            first = b.eval("document.querySelector('#output-body .backtest').dataset.cached")
            expect(first == "false", f"the first run came from the cache: {first}")
            hand = backtest_by_hand(pathlib.Path(DIR) / "bt.toml")
            expect(hand["fills"] > 0, "the run by hand made no fills")
            expect(len(shown) >= 15, f"figures shown: {shown}")
            for key, value in shown.items():
                want = "" if hand[key] is None else hand[key]
                got = float(value) if value != "" else ""
                expect(got == want, f"{key}: page {value}, by hand {hand[key]}")
            for sym, row in hand["by_symbol"].items():
                cells = b.eval(f"[...document.querySelectorAll('[data-symbol=\"{sym}\"] td')].map(td => td.dataset.value)")
                expect([float(c) for c in cells] == [row["pnl"], row["trades"], row["fees"]], f"{sym}: {cells}")
            if SHOTS:
                b.eval("document.getElementById('output').scrollIntoView()")
                b.screenshot(os.path.join(SHOTS, "builder-backtest.png"))
            # Again: the same bytes, data and version are a cache hit with the same figures.
            b.eval("document.getElementById('output-body').textContent = ''")
            b.click("#backtest")
            b.wait_for("!!document.querySelector('#output-body .backtest')", timeout=120)
            expect(b.eval("document.querySelector('#output-body .backtest').dataset.cached") == "true",
                   "the second click was not served from the cache")
            again = b.eval("Object.fromEntries([...document.querySelectorAll('#output-body [data-figure]')]"
                           ".map(td => [td.dataset.figure, td.dataset.value]))")
            expect(again == shown, "the cached figures differ")
            expect("(from the cache)" in status(b), f"status: {status(b)}")
            no_console_errors(b)

        @check("the dry run shows per candle what select-strategy --explain says of the same "
               "candles; Stop ends its processes")
        def _():
            fake = os.environ.get("FAKE_URL", "")
            expect(fake != "", "no FAKE_URL: the dry run needs tests/fake-okx")
            open_page(b)
            open_saved(b, "bt.toml")
            b.eval("document.getElementById('dry-inst').value = 'BTC-USDT'")
            b.eval("document.getElementById('dry-bar').value = '1m'")
            b.click("#dryrun")
            expect(b.eval("document.getElementById('dryrun').getAttribute('aria-pressed')") == "true",
                   "the button does not say it is running")
            # Until it is live: warm rows and an action fired with an intent sent.
            b.wait_for("document.querySelectorAll('.dry-table tr[data-warm=\"true\"]').length >= 60 && "
                       "!!document.querySelector('.dry-table tr.sent')", timeout=120)
            if SHOTS:
                b.eval("document.querySelector('.dry-table tr.sent').scrollIntoView({block: 'center'})")
                b.screenshot(os.path.join(SHOTS, "builder-dryrun.png"))
            b.click("#dryrun")  # Stop
            expect(b.eval("document.getElementById('dryrun').textContent") == "Dry run", "not stopped")
            # The rows whose candle and explanation both came before the stop.
            rows = b.eval("[...document.querySelectorAll('.dry-table tbody tr')]"
                          ".filter(tr => tr.dataset.warm !== undefined && tr.querySelector('.c').textContent !== '')"
                          ".map(tr => [Number(tr.dataset.ts), tr.dataset.warm === 'true', "
                          "tr.dataset.assigned === 'true', tr.dataset.holds, tr.dataset.fires, "
                          "tr.querySelector('.c').textContent])")
            rows.sort()
            first = int(b.eval("document.querySelector('.dry-table tbody').dataset.first"))
            last = rows[-1][0]
            # By hand: the same bars from the fake's REST, through select-strategy --explain.
            work = pathlib.Path(DIR).parent / "dry-by-hand"
            work.mkdir(exist_ok=True)
            (work / "empty.toml").write_text("")
            c = ["--config", str(work / "empty.toml")]
            stream = subprocess.run([os.path.join(BIN, "okx-stream"), *c, "-q", "--rest-url", fake,
                                     "--symbols", "BTC-USDT", "--bar", "1m", "--since", str(first),
                                     "--until", str(last + 60000)], capture_output=True, check=True)
            sel = subprocess.run([os.path.join(BIN, "select-strategy"), *c, "--strategies",
                                  str(pathlib.Path(DIR) / "bt.toml"), "--bar", "1m", "--store",
                                  str(work / "hand.db"), "--explain", "--log-json"],
                                 input=stream.stdout, capture_output=True, check=True)
            closes = {json.loads(ln)["ts"]: json.loads(ln)["c"] for ln in stream.stdout.decode().splitlines()}
            want = []
            for ln in sel.stderr.decode().splitlines():
                m = json.loads(ln)
                if "holds" in m:
                    want.append([m["ts"], m["warm"], m["assigned"], " ".join(m["holds"]),
                                 " ".join(m["fires"]), str(closes[m["ts"]])])
            # The table keeps the newest rows; each one shown is the run by hand's, in order.
            expect(len(rows) >= 60, f"{len(rows)} rows")
            by_ts = {w[0]: w for w in want}
            diff = [(r, by_ts.get(r[0])) for r in rows if by_ts.get(r[0]) != r]
            expect(not diff, f"{len(diff)} rows differ, e.g. page {diff[:2]}")
            expect(rows[-1] == want[-1], "the last row is not the run's last candle")
            # Stopped: okx-builder saw the page go and ended its children (waited for, bounded).
            for _ in range(100):
                busy = subprocess.run(["pgrep", "-f", str(pathlib.Path(DIR) / ".okx-builder" / "dryrun")],
                                      capture_output=True).returncode == 0
                if not busy:
                    break
                time.sleep(0.1)
            expect(not busy, "dry run processes still running after Stop")
            no_console_errors(b)

    print(f"1..{len(results)}")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
