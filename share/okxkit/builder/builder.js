// okx-builder's page: the strategy TOML is the document, the graph a view of it. Every edit
// made in the graph is a small edit of the text (toml.js), so what is saved is what a person
// would have typed, and the text pane can be edited directly at any time.
// Served by okx-builder, it talks to its API with the session token of the address; opened
// from disk, it uses offline.js (the schema and the templates) and saves by download.
"use strict";

(function () {
  var $ = function (id) {
    return document.getElementById(id);
  };
  var PRICES = ["open", "high", "low", "close", "volume"];
  var ID = /^[A-Za-z0-9_-]{1,40}$/;
  var NEW_FILE = 'kind = "rules"\nname = "untitled"\n';

  var S = {
    online: location.protocol === "http:" || location.protocol === "https:",
    token: (/[#&]token=([0-9a-f]+)/.exec(location.hash) || [])[1] || "",
    schema: null,
    kinds: {}, // title -> the kind's schema
    features: [], // {name, group, warmup, description}
    featureByName: {},
    templates: {}, // offline: name -> text
    name: "untitled.toml",
    saved: "", // the text as last loaded or saved
    text: "",
    doc: null,
    validation: null, // the last answer: {valid, errors, warmup}
    selected: null, // a node key
    wiring: null, // {id, type, label}: an output picked up with the keyboard
    validateSeq: 0,
  };

  // --- The server ------------------------------------------------------------------------

  function api(method, path, body) {
    var opts = { method: method, headers: { "X-Okxkit-Token": S.token } };
    if (body !== undefined) opts.body = body;
    return fetch(path, opts).then(function (r) {
      var type = r.headers.get("Content-Type") || "";
      var read = type.indexOf("json") >= 0 ? r.json() : r.text();
      return read.then(function (b) {
        return { status: r.status, body: b };
      });
    });
  }

  function say(text) {
    $("status").textContent = text;
  }

  // --- Schema ----------------------------------------------------------------------------

  function loadSchema(schema) {
    S.schema = schema;
    schema.oneOf.forEach(function (k) {
      S.kinds[k.title] = k;
    });
    var ind = S.kinds.rules.properties.indicators;
    S.features = ind["x-okxkit-features"] || [];
    S.families = ind["x-okxkit-families"] || [];
    S.features.forEach(function (f) {
      S.featureByName[f.name] = f;
    });
  }

  function variants(table) {
    return S.kinds.rules.properties[table].additionalProperties.oneOf;
  }

  // The schema of a condition op or an action's do.
  function variant(table, name) {
    var tag = table === "conditions" ? "op" : "do";
    var vs = variants(table);
    for (var i = 0; i < vs.length; i++) if (vs[i].properties[tag].const === name) return vs[i];
    return null;
  }

  // The input ports of a node's variant: [{key, type: "series"|"bool", many}].
  function inputPorts(v) {
    var ports = [];
    Object.keys(v.properties).forEach(function (k) {
      var p = v.properties[k];
      if (p["x-okxkit-port"]) ports.push({ key: k, type: p["x-okxkit-port"], many: false });
      else if (p.items && p.items["x-okxkit-port"]) ports.push({ key: k, type: p.items["x-okxkit-port"], many: true });
    });
    return ports;
  }

  // --- The model: what the graph shows, read from the document ------------------------------

  function readModel(doc) {
    var plain = OkxToml.plain;
    var kindEntry = OkxToml.find(doc, "", "kind");
    var m = { kind: kindEntry ? plain(kindEntry.value) : "", indicators: [], conditions: [], actions: [] };
    if (m.kind !== "rules") return m;
    OkxToml.entriesOf(doc, "indicators").forEach(function (e) {
      m.indicators.push({ id: e.key, feature: plain(e.value), key: "indicators." + e.key, line: e.line });
    });
    ["conditions", "actions"].forEach(function (t) {
      OkxToml.entriesOf(doc, t).forEach(function (e) {
        m[t].push({ id: e.key, fields: plain(e.value), key: t + "." + e.key, line: e.line });
      });
      doc.tables.forEach(function (h) {
        if (h.name.indexOf(t + ".") !== 0) return;
        var id = h.name.slice(t.length + 1);
        var fields = {};
        OkxToml.entriesOf(doc, h.name).forEach(function (e) {
          fields[e.key] = plain(e.value);
        });
        m[t].push({ id: id, fields: fields, key: t + "." + id, line: h.line });
      });
      m[t].sort(function (a, b) {
        return a.line - b.line;
      });
    });
    return m;
  }

  // The node a reported key belongs to: the longest node key that is a prefix of it.
  function nodeOfKey(key, m) {
    var parts = key.split(".");
    if (["indicators", "conditions", "actions"].indexOf(parts[0]) >= 0 && parts.length > 1) {
      var k = parts[0] + "." + parts[1];
      var list = m[parts[0]] || [];
      for (var i = 0; i < list.length; i++) if (list[i].key === k) return k;
      return null;
    }
    if (parts.length === 1 && key !== "" && ["indicators", "conditions", "actions"].indexOf(key) < 0) {
      if (m.kind !== "rules" && S.kinds[m.kind] && ["kind", "name"].indexOf(key) < 0) return "macro";
      return "strategy";
    }
    return null;
  }

  // Warm-ups as okx-builder computes them for a valid file; for one with problems, the same
  // rule on the features the schema lists (null where unknown).
  function warmups(m) {
    if (S.validation && S.validation.warmup && S.validation.text === S.text) return S.validation.warmup;
    var w = {};
    var ind = {};
    m.indicators.forEach(function (i) {
      var f = S.featureByName[i.feature];
      ind[i.id] = f ? f.warmup : null;
      w[i.key] = ind[i.id];
    });
    var cond = {};
    function of(x) {
      if (typeof x === "number") return 0;
      if (PRICES.indexOf(x) >= 0) return 1;
      if (x in ind) return ind[x];
      if (x in cond) return cond[x];
      return null;
    }
    m.conditions.forEach(function (c) {
      var n = 0;
      var known = true;
      ["a", "b", "lo", "hi"].forEach(function (k) {
        if (c.fields[k] === undefined) return;
        var x = of(c.fields[k]);
        if (x === null) known = false;
        else n = Math.max(n, x);
      });
      (Array.isArray(c.fields.of) ? c.fields.of : []).forEach(function (k) {
        var x = of(k);
        if (x === null) known = false;
        else n = Math.max(n, x);
      });
      if (c.fields.op === "cross_above" || c.fields.op === "cross_below") n++;
      cond[c.id] = known ? n : null;
      w[c.key] = cond[c.id];
    });
    var all = 0;
    m.actions.forEach(function (a) {
      var x = a.fields.when in cond ? cond[a.fields.when] : null;
      w[a.key] = x;
      if (x !== null) all = Math.max(all, x);
    });
    w[""] = m.kind === "rules" ? all : null;
    return w;
  }

  // --- The document ----------------------------------------------------------------------

  // Sets the text (from an edit, a load or the pane) and redraws.
  function setText(text, fromPane) {
    S.text = text;
    S.doc = OkxToml.parse(text);
    if (!fromPane) $("toml").value = text;
    $("dirty").hidden = S.text === S.saved;
    var t = $("text-only");
    if (S.doc.textOnly) {
      t.hidden = false;
      t.textContent =
        "Edit as text: line " + S.doc.textOnly.line + " has " + S.doc.textOnly.why +
        ", which the graph does not edit. The file is kept exactly as written; edit it in the TOML pane.";
    } else {
      t.hidden = true;
      t.textContent = "";
    }
    render();
    scheduleValidate();
  }

  function edit(f) {
    if (S.doc.textOnly) {
      say("This file is edited as text (see above): the graph is read-only.");
      return false;
    }
    try {
      var text = f(S.doc);
      if (text !== S.text) setText(text); // a field committed again on blur changes nothing
      return true;
    } catch (e) {
      say("Not changed: " + e.message);
      return false;
    }
  }

  function load(name, text, saved) {
    S.name = name;
    S.saved = saved ? text : "";
    S.selected = null;
    S.wiring = null;
    S.validation = null;
    $("file-name").value = name;
    setText(text);
  }

  var validateTimer = null;
  function scheduleValidate() {
    if (!S.online) return;
    clearTimeout(validateTimer);
    validateTimer = setTimeout(validate, 150);
  }

  function validate() {
    var seq = ++S.validateSeq;
    var text = S.text;
    return api("POST", "/api/validate?name=" + encodeURIComponent(S.name), text).then(function (r) {
      if (seq !== S.validateSeq) return;
      if (r.status !== 200) {
        say("Validation failed: " + (r.body.error || r.status));
        return;
      }
      S.validation = r.body;
      S.validation.text = text;
      render();
      document.body.dataset.validated = String(seq);
    });
  }

  // --- Edits the graph makes ---------------------------------------------------------------

  function freeId(base) {
    var m = readModel(S.doc);
    var taken = {};
    ["indicators", "conditions", "actions"].forEach(function (t) {
      m[t].forEach(function (n) {
        taken[n.id] = true;
      });
    });
    PRICES.forEach(function (p) {
      taken[p] = true;
    });
    var id = base.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 36);
    if (!taken[id]) return id;
    for (var n = 2; ; n++) if (!taken[id + "_" + n]) return id + "_" + n;
  }

  function addNode(column, name) {
    if (readModel(S.doc).kind !== "rules") {
      say("Nodes are added to rules strategies: start a new one first.");
      return;
    }
    var id = freeId(name);
    var ok = edit(function (doc) {
      if (column === "indicators") return OkxToml.addEntry(doc, "indicators", id, name);
      if (column === "conditions") return OkxToml.addEntry(doc, "conditions", id, { op: name });
      return OkxToml.addEntry(doc, "actions", id, { do: name });
    });
    if (ok) {
      select(column + "." + id);
      say("Added " + column.replace(/s$/, "") + " " + id + ".");
      focusNode(column + "." + id);
    }
  }

  function fieldOrder(table, node) {
    var v = variant(table, table === "conditions" ? node.fields.op : node.fields.do);
    return v ? Object.keys(v.properties) : [];
  }

  function findNode(key) {
    var m = readModel(S.doc);
    var parts = key.split(".");
    var list = m[parts[0]] || [];
    for (var i = 0; i < list.length; i++) if (list[i].key === key) return { table: parts[0], node: list[i], model: m };
    return null;
  }

  // The type of what an id names: series (a price, an indicator), bool (a condition), or null.
  function typeOfId(m, id) {
    if (PRICES.indexOf(id) >= 0) return "series";
    if (m.indicators.some(function (i) { return i.id === id; })) return "series";
    if (m.conditions.some(function (c) { return c.id === id; })) return "bool";
    return null;
  }

  // Wires the output `from` (an id) into port `port` of the node `key`.
  function connect(from, fromType, key, port) {
    var f = findNode(key);
    if (!f) return false;
    var v = variant(f.table, f.table === "conditions" ? f.node.fields.op : f.node.fields.do);
    var p = v && inputPorts(v).filter(function (x) { return x.key === port; })[0];
    if (!p) return false;
    if (p.type !== fromType) {
      say("Refused: " + port + " of " + f.node.id + " takes a " + p.type + ", and " + from + " is a " + fromType + ".");
      return false;
    }
    if (from === f.node.id) {
      say("Refused: a condition cannot read itself.");
      return false;
    }
    var value = from;
    if (p.many) {
      var now = Array.isArray(f.node.fields[port]) ? f.node.fields[port].slice() : [];
      if (now.indexOf(from) >= 0) {
        say(from + " is already wired to " + port + " of " + f.node.id + ".");
        return false;
      }
      now.push(from);
      value = now;
    }
    var ok = edit(function (doc) {
      return OkxToml.setField(doc, f.table, f.node.id, port, value, fieldOrder(f.table, f.node));
    });
    if (ok) say("Wired " + from + " to " + port + " of " + f.node.id + ".");
    return ok;
  }

  function setNodeField(key, field, value) {
    var f = findNode(key);
    if (!f) return;
    edit(function (doc) {
      if (value === undefined) return OkxToml.removeField(doc, f.table, f.node.id, field);
      return OkxToml.setField(doc, f.table, f.node.id, field, value, fieldOrder(f.table, f.node));
    });
  }

  // Renames a node and every wire that reads it.
  function rename(key, to) {
    var f = findNode(key);
    if (!f || to === f.node.id) return true;
    if (!ID.test(to)) {
      say("Not renamed: an id is 1 to 40 letters, digits, _ or -.");
      return false;
    }
    if (typeOfId(f.model, to) !== null || f.model.actions.some(function (a) { return a.id === to; })) {
      say("Not renamed: " + to + " is taken.");
      return false;
    }
    var from = f.node.id;
    var ok = edit(function (doc) {
      var text = OkxToml.renameNode(doc, f.table, from, to);
      if (f.table === "actions") return text;
      // Every reference, one edit at a time on the text as it becomes.
      var m = readModel(OkxToml.parse(text));
      ["conditions", "actions"].forEach(function (t) {
        m[t].forEach(function (n) {
          Object.keys(n.fields).forEach(function (k) {
            var val = n.fields[k];
            var next;
            if (val === from && ["a", "b", "lo", "hi", "when"].indexOf(k) >= 0) next = to;
            else if (k === "of" && Array.isArray(val) && val.indexOf(from) >= 0)
              next = val.map(function (x) {
                return x === from ? to : x;
              });
            if (next === undefined) return;
            text = OkxToml.setField(OkxToml.parse(text), t, n.id, k, next, null);
          });
        });
      });
      return text;
    });
    if (ok) {
      S.selected = f.table + "." + to;
      render();
      say("Renamed " + from + " to " + to + ".");
    }
    return ok;
  }

  function removeNode(key) {
    var f = findNode(key);
    if (!f) return;
    if (edit(function (doc) { return OkxToml.removeNode(doc, f.table, f.node.id); })) {
      if (S.selected === key) S.selected = null;
      render();
      say("Deleted " + f.node.id + "; what read it is now unwired.");
    }
  }

  // --- Drawing -----------------------------------------------------------------------------

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") e.textContent = attrs[k];
      else if (k === "class") e.className = attrs[k];
      else if (k.indexOf("on") === 0) e.addEventListener(k.slice(2), attrs[k]);
      else if (attrs[k] !== undefined && attrs[k] !== null && attrs[k] !== false) e.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) {
      if (c) e.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return e;
  }

  function warmText(w) {
    if (w === null || w === undefined) return "warm-up ?";
    return "warm-up " + w + (w === 1 ? " bar" : " bars");
  }

  var PORT_MIME = "application/x-okxkit-port-";
  var PALETTE_MIME = "application/x-okxkit-palette-";

  function outPort(id, type, label) {
    var b = el("button", {
      type: "button",
      class: "port out t-" + type,
      draggable: type === "intent" ? null : "true",
      "data-out": id,
      "data-type": type,
      "aria-label": label + " output (" + type + ")" + (type === "intent" ? "" : ": drag to an input, or press Enter and choose one"),
      "aria-pressed": S.wiring && S.wiring.id === id ? "true" : null,
      text: type + " \u25b8",
    });
    if (type === "intent") {
      b.disabled = true;
      return b;
    }
    b.addEventListener("dragstart", function (ev) {
      ev.dataTransfer.setData(PORT_MIME + type, id);
      ev.dataTransfer.setData("text/plain", id);
      ev.dataTransfer.effectAllowed = "link";
    });
    b.addEventListener("click", function () {
      if (S.wiring && S.wiring.id === id) {
        S.wiring = null;
        say("Wiring cancelled.");
      } else {
        S.wiring = { id: id, type: type };
        say("Wiring from " + id + " (" + type + "): choose an input port with Enter; Escape cancels.");
      }
      render();
      var again = document.querySelector('[data-out="' + cssEscape(id) + '"]');
      if (again) again.focus();
    });
    return b;
  }

  function cssEscape(s) {
    return s.replace(/["\\]/g, "\\$&");
  }

  function inPort(node, table, p) {
    var val = node.fields[p.key];
    var shown = val === undefined ? "\u2014" : Array.isArray(val) ? val.join(", ") || "\u2014" : String(val);
    var b = el("button", {
      type: "button",
      class: "port in t-" + p.type,
      "data-in": node.key + ":" + p.key,
      "data-type": p.type,
      "aria-label": "input " + p.key + " of " + node.id + " (" + p.type + (p.many ? ", several" : "") + "): " + shown,
      text: p.key + " \u2190 " + shown,
    });
    b.addEventListener("dragover", function (ev) {
      var ok = Array.prototype.indexOf.call(ev.dataTransfer.types, PORT_MIME + p.type) >= 0;
      b.classList.toggle("refuse", !ok);
      if (ok) {
        ev.preventDefault();
        ev.dataTransfer.dropEffect = "link";
      }
    });
    b.addEventListener("dragleave", function () {
      b.classList.remove("refuse");
    });
    b.addEventListener("drop", function (ev) {
      ev.preventDefault();
      var id = ev.dataTransfer.getData(PORT_MIME + p.type);
      if (id) connect(id, p.type, node.key, p.key);
    });
    b.addEventListener("click", function () {
      if (S.wiring) {
        var w = S.wiring;
        if (w.type !== p.type) {
          say("Refused: " + p.key + " of " + node.id + " takes a " + p.type + ", and " + w.id + " is a " + w.type + ".");
          return;
        }
        S.wiring = null;
        connect(w.id, w.type, node.key, p.key);
        var again = document.querySelector('[data-in="' + cssEscape(node.key + ":" + p.key) + '"]');
        if (again) again.focus();
      } else {
        select(node.key);
        var ctl = document.querySelector('[data-field="' + p.key + '"]');
        if (ctl) ctl.focus();
      }
    });
    return b;
  }

  function nodeBox(key, kindLabel, title, sub, warm, ports, out, deletable) {
    var invalid = S.invalidNodes && S.invalidNodes[key];
    var box = el("div", {
      class: "node" + (S.selected === key ? " selected" : "") + (invalid ? " invalid" : ""),
      "data-key": key,
      role: "group",
      "aria-label": kindLabel + " " + title + (invalid ? " (has problems)" : ""),
    });
    var head = el("div", { class: "node-head" }, [
      el("button", {
        type: "button",
        class: "node-title",
        "aria-label": "select " + kindLabel + " " + title,
        "aria-pressed": S.selected === key ? "true" : "false",
        text: title,
        onclick: function () {
          select(key);
        },
      }),
      sub ? el("span", { class: "sub", text: sub }) : null,
    ]);
    box.appendChild(head);
    if (warm !== "none") box.appendChild(el("span", { class: "warm", "data-warm": warm === null || warm === undefined ? "" : String(warm), text: warmText(warm) }));
    var row = el("div", { class: "ports" });
    var ins = el("div", { class: "ins" }, ports);
    row.appendChild(ins);
    if (out) row.appendChild(out);
    box.appendChild(row);
    if (deletable) {
      box.appendChild(
        el("button", {
          type: "button",
          class: "del",
          "aria-label": "delete " + kindLabel + " " + title,
          text: "\u00d7",
          onclick: function () {
            removeNode(key);
          },
        })
      );
    }
    if (invalid) box.setAttribute("title", invalid.join("\n"));
    return box;
  }

  function column(name) {
    return $("col-" + name).querySelector(".nodes");
  }

  // A selector for the focused control that finds its equivalent after a redraw, so keyboard
  // users keep their place.
  function focusSelector() {
    var a = document.activeElement;
    if (!a || a === document.body) return null;
    var attrs = ["data-out", "data-in", "data-palette", "data-field"];
    for (var i = 0; i < attrs.length; i++) {
      if (a.hasAttribute(attrs[i])) return "[" + attrs[i] + '="' + cssEscape(a.getAttribute(attrs[i])) + '"]';
    }
    if (a.classList.contains("node-title")) {
      var n = a.closest("[data-key]");
      return n ? '[data-key="' + cssEscape(n.getAttribute("data-key")) + '"] .node-title' : null;
    }
    return null;
  }

  function render() {
    if (!S.doc) return;
    // Not between the press and the release of a mouse button: redrawing the graph then
    // would replace the button being clicked (after a field commits on blur) and lose the
    // click. The release draws it.
    if (S.pointerDown) {
      S.renderPending = true;
      return;
    }
    S.renderPending = false;
    var keep = focusSelector();
    draw();
    if (keep && (document.activeElement === document.body || !document.activeElement)) {
      var again = document.querySelector(keep);
      if (again) again.focus();
    }
  }

  function draw() {
    var m = readModel(S.doc);
    var w = warmups(m);
    // Problems, and the nodes they belong to.
    S.invalidNodes = {};
    var probs = $("problems");
    probs.textContent = "";
    var v = S.validation && S.validation.text === S.text ? S.validation : null;
    if (v && v.errors.length) {
      probs.appendChild(el("h2", { text: v.errors.length + (v.errors.length === 1 ? " problem" : " problems") }));
      var ul = el("ul");
      v.errors.forEach(function (e) {
        var nk = nodeOfKey(e.key, m);
        if (nk) (S.invalidNodes[nk] = S.invalidNodes[nk] || []).push(e.message);
        var text = "line " + e.line + (e.key ? ", " + e.key : "") + ": " + e.message;
        ul.appendChild(
          el("li", {}, [
            nk
              ? el("button", {
                  type: "button",
                  class: "problem",
                  "data-node": nk,
                  text: text,
                  onclick: function () {
                    select(nk);
                    focusNode(nk);
                  },
                })
              : el("span", { class: "problem", text: text }),
          ])
        );
      });
      probs.appendChild(ul);
    } else if (v) {
      probs.appendChild(el("p", { class: "valid", text: "Valid: select-strategy accepts this file." }));
    } else if (!S.online) {
      probs.appendChild(el("p", { class: "hint", text: "Opened from disk: checking needs okx-builder (okx-builder --dir DIR, then open the address it prints)." }));
    }
    document.body.dataset.kind = m.kind;

    // Data: the strategy itself and the prices.
    var data = column("data");
    data.textContent = "";
    var nameEntry = OkxToml.find(S.doc, "", "name");
    var fitsEntry = OkxToml.find(S.doc, "", "fits");
    data.appendChild(
      nodeBox("strategy", "strategy", nameEntry ? String(OkxToml.plain(nameEntry.value)) : m.kind || "?",
        (m.kind || "no kind") + (fitsEntry ? ", fits " + OkxToml.plain(fitsEntry.value) : ""), w[""], [], null, false)
    );
    if (m.kind === "rules") {
      var outs = el("div", { class: "outs" }, PRICES.map(function (p) {
        var b = outPort(p, "series", "price " + p);
        b.textContent = p + " \u25b8";
        return b;
      }));
      data.appendChild(nodeBox("prices", "candle", "candle", "prices of each closed candle", 1, [], outs, false));
    }
    // Indicators.
    var ci = column("indicators");
    ci.textContent = "";
    m.indicators.forEach(function (i) {
      ci.appendChild(nodeBox(i.key, "indicator", i.id, String(i.feature), w[i.key], [], outPort(i.id, "series", "indicator " + i.id), true));
    });
    // Conditions and actions.
    var cc = column("conditions");
    var ca = column("actions");
    cc.textContent = "";
    ca.textContent = "";
    [["conditions", cc, "condition", "op", "bool"], ["actions", ca, "action", "do", "intent"]].forEach(function (spec) {
      m[spec[0]].forEach(function (n) {
        var vr = variant(spec[0], n.fields[spec[3]]);
        var ports = vr ? inputPorts(vr).map(function (p) { return inPort(n, spec[0], p); }) : [];
        spec[1].appendChild(nodeBox(n.key, spec[2], n.id, String(n.fields[spec[3]]), w[n.key], ports, outPort(n.id, spec[4], spec[2] + " " + n.id), true));
      });
    });
    // A built-in kind: one node.
    if (m.kind !== "rules" && S.kinds[m.kind]) {
      cc.appendChild(nodeBox("macro", "built-in strategy", m.kind, S.kinds[m.kind].description, w[""], [], outPort("macro", "intent", m.kind), false));
    }
    // Risk: where sizes and limits come from.
    var cr = column("risk");
    cr.textContent = "";
    cr.appendChild(
      nodeBox("risk", "risk", "risk-guard", "sizes each intent and enforces the limits, take-profit and stop-loss of its config; nothing here can pass them", "none", [], null, false)
    );
    renderInspector(m, w);
    document.body.dataset.text = String(S.text.length);
    requestAnimationFrame(drawWires);
  }

  // Lines from each output to the inputs it feeds.
  function drawWires() {
    var svg = $("wires");
    var g = $("graph").getBoundingClientRect();
    svg.setAttribute("width", String($("graph").scrollWidth));
    svg.setAttribute("height", String($("graph").scrollHeight));
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    var m = readModel(S.doc);
    function at(sel, right) {
      var e = document.querySelector(sel);
      if (!e) return null;
      var r = e.getBoundingClientRect();
      return { x: (right ? r.right : r.left) - g.left, y: r.top + r.height / 2 - g.top };
    }
    function line(a, b, type) {
      if (!a || !b) return;
      var p = document.createElementNS("http://www.w3.org/2000/svg", "path");
      var dx = Math.max(30, (b.x - a.x) / 2);
      p.setAttribute("d", "M" + a.x + "," + a.y + " C" + (a.x + dx) + "," + a.y + " " + (b.x - dx) + "," + b.y + " " + b.x + "," + b.y);
      p.setAttribute("class", "wire t-" + type);
      svg.appendChild(p);
    }
    ["conditions", "actions"].forEach(function (t) {
      m[t].forEach(function (n) {
        Object.keys(n.fields).forEach(function (k) {
          var vals = Array.isArray(n.fields[k]) ? n.fields[k] : [n.fields[k]];
          vals.forEach(function (val) {
            if (typeof val !== "string" || k === "op" || k === "do" || k === "side" || k === "ord_type") return;
            var type = typeOfId(m, val);
            if (!type) return;
            line(at('[data-out="' + cssEscape(val) + '"]', true), at('[data-in="' + cssEscape(n.key + ":" + k) + '"]', false), type);
          });
        });
      });
      if (t === "actions")
        m.actions.forEach(function (a) {
          line(at('[data-out="' + cssEscape(a.id) + '"]', true), at('[data-key="risk"]', false), "intent");
        });
    });
    if (m.kind !== "rules") line(at('[data-out="macro"]', true), at('[data-key="risk"]', false), "intent");
  }

  function select(key) {
    S.selected = key;
    render();
  }

  function focusNode(key) {
    var b = document.querySelector('[data-key="' + cssEscape(key) + '"] .node-title');
    if (b) b.focus();
  }

  // --- The inspector -----------------------------------------------------------------------

  var fieldSeq = 0;

  function labelled(text, control, help) {
    var id = "f" + ++fieldSeq;
    control.id = id;
    var wrap = el("div", { class: "field" }, [el("label", { for: id, text: text }), control]);
    if (help) {
      var hid = id + "-help";
      wrap.appendChild(el("p", { class: "help", id: hid, text: help }));
      control.setAttribute("aria-describedby", hid);
    }
    return wrap;
  }

  function range(p) {
    var lo = p.minimum !== undefined ? p.minimum : p.exclusiveMinimum;
    var hi = p.maximum !== undefined ? p.maximum : p.exclusiveMaximum;
    var parts = [];
    if (lo !== undefined || hi !== undefined) parts.push("from " + (lo === undefined ? "\u2212\u221e" : lo) + (p.exclusiveMinimum !== undefined ? " (excluded)" : "") + " to " + (hi === undefined ? "\u221e" : hi));
    if (p["default"] !== undefined) parts.push("default " + p["default"]);
    return parts.join("; ");
  }

  // An input that commits on change (and Enter).
  function textInput(value, commit, attrs) {
    var i = el("input", Object.assign({ type: "text", spellcheck: "false", autocomplete: "off" }, attrs || {}));
    i.value = value === undefined ? "" : String(value);
    var done = function () {
      if (i.value !== (value === undefined ? "" : String(value))) commit(i.value);
    };
    i.addEventListener("change", done);
    i.addEventListener("keydown", function (ev) {
      if (ev.key === "Enter") {
        ev.preventDefault();
        done();
      }
    });
    return i;
  }

  function numberValue(text) {
    var t = text.trim();
    if (t === "") return undefined;
    if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return null;
    // TOML needs a digit on both sides of the point.
    t = t.replace(/^([+-]?)\./, "$10.").replace(/\.($|[eE])/, ".0$1");
    return { toml: t };
  }

  function paramControl(label, p, value, commit, control) {
    var help = (p.description ? p.description + ". " : "") + range(p);
    if (p["enum"]) {
      var s = el("select", { "data-field": control });
      // The unset choice stays listed once a value is chosen: picking it removes the key.
      s.appendChild(el("option", { value: "", text: p["default"] !== undefined ? "\u2014 (default " + p["default"] + ")" : "\u2014 (not set)" }));
      p["enum"].forEach(function (x) {
        var o = el("option", { value: x, text: x });
        if (x === value) o.selected = true;
        s.appendChild(o);
      });
      s.addEventListener("change", function () {
        commit(s.value === "" ? undefined : s.value);
      });
      return labelled(label, s, help);
    }
    if (p.type === "boolean") {
      var c = el("input", { type: "checkbox", "data-field": control });
      c.checked = value === true;
      c.addEventListener("change", function () {
        commit(c.checked);
      });
      return labelled(label, c, help);
    }
    if (p.type === "number" || p.type === "integer") {
      var n = textInput(value, function (t) {
        var v = numberValue(t);
        if (v === null) {
          say(label + ": not a number: " + t);
          return;
        }
        commit(v);
      }, { inputmode: "decimal", "data-field": control });
      return labelled(label, n, help);
    }
    return labelled(label, textInput(value, function (t) { commit(t === "" ? undefined : t); }, { "data-field": control }), help);
  }

  function portControl(m, node, p, commit) {
    var value = node.fields[p.key];
    if (p.many) {
      var box = el("fieldset", { class: "field" }, [el("legend", { text: p.key + " (" + p.type + ", two or more)" })]);
      var chosen = Array.isArray(value) ? value : [];
      m.conditions.forEach(function (c) {
        if (c.id === node.id) return;
        var cb = el("input", { type: "checkbox", "data-field": p.key + ":" + c.id, id: "f" + ++fieldSeq });
        cb.checked = chosen.indexOf(c.id) >= 0;
        cb.addEventListener("change", function () {
          var next = chosen.filter(function (x) { return x !== c.id; });
          if (cb.checked) next.push(c.id);
          commit(next.length ? next : undefined);
        });
        box.appendChild(el("div", { class: "check" }, [cb, el("label", { for: cb.id, text: c.id })]));
      });
      return box;
    }
    var s = el("select", { "data-field": p.key });
    var isNumber = typeof value === "number";
    s.appendChild(el("option", { value: "", text: "\u2014 unwired" }));
    var sources = p.type === "series" ? PRICES.concat(m.indicators.map(function (i) { return i.id; })) : m.conditions.map(function (c) { return c.id; }).filter(function (id) { return id !== node.id; });
    sources.forEach(function (id) {
      var o = el("option", { value: "=" + id, text: id });
      if (value === id) o.selected = true;
      s.appendChild(o);
    });
    if (p.type === "series") {
      var on = el("option", { value: "#", text: "a number" });
      if (isNumber) on.selected = true;
      s.appendChild(on);
    }
    if (typeof value === "string" && sources.indexOf(value) < 0) {
      s.appendChild(el("option", { value: "=" + value, text: value + " (not defined)", selected: "selected" }));
    }
    var wrap = labelled(p.key + " (" + p.type + ")", s, p.type === "series" ? "an indicator, a price of the candle, or a number" : "a condition");
    var numWrap = null;
    if (isNumber || p.type === "series") {
      var ni = textInput(isNumber ? numberValue(String(value)).toml : "", function (t) {
        var v = numberValue(t);
        if (v === null || v === undefined) {
          say(p.key + ": not a number: " + t);
          return;
        }
        commit(v);
      }, { inputmode: "decimal", "data-field": p.key + ":number" });
      numWrap = labelled(p.key + " as a number", ni);
      numWrap.hidden = !isNumber;
      wrap.appendChild(numWrap);
    }
    s.addEventListener("change", function () {
      if (s.value === "#") {
        numWrap.hidden = false;
        numWrap.querySelector("input").focus();
        return;
      }
      commit(s.value === "" ? undefined : s.value.slice(1));
    });
    return wrap;
  }

  function renderInspector(m, w) {
    var ins = $("inspector");
    // While a control of the same node has the focus, the inspector stays as it is: a rebuild
    // (a validation answer arriving, say) would drop what is being typed and end a select's
    // type-ahead ("tr" for trend_up). It is rebuilt when the focus leaves it.
    var a = document.activeElement;
    if (a && a !== ins && ins.contains(a) && ins.dataset.key === (S.selected || "")) {
      S.inspectorStale = true;
      return;
    }
    S.inspectorStale = false;
    ins.dataset.key = S.selected || "";
    ins.textContent = "";
    ins.appendChild(el("h2", { text: "Inspector" }));
    var key = S.selected;
    if (!key) {
      ins.appendChild(el("p", { class: "hint", text: "Select a node." }));
      return;
    }
    if (key === "strategy") {
      var kind = S.kinds[m.kind];
      ins.appendChild(el("p", { class: "what", text: "The strategy: " + (kind ? kind.description : "an unknown kind") }));
      if (!kind) return;
      ["name", "fits"].forEach(function (k) {
        var p = kind.properties[k];
        if (!p) return;
        var e = OkxToml.find(S.doc, "", k);
        ins.appendChild(paramControl(k, p, e ? OkxToml.plain(e.value) : undefined, function (v) {
          edit(function (doc) { return v === undefined ? OkxToml.removeKey(doc, "", k) : OkxToml.setKey(doc, "", k, v); });
        }, k));
      });
      ins.appendChild(el("p", { class: "help", text: warmText(w[""]) + " before it can decide." }));
      return;
    }
    if (key === "macro") {
      var ks = S.kinds[m.kind];
      ins.appendChild(el("p", { class: "what", text: m.kind + ": " + ks.description }));
      Object.keys(ks.properties).forEach(function (k) {
        if (k === "kind" || k === "name") return;
        var e = OkxToml.find(S.doc, "", k);
        ins.appendChild(paramControl(k, ks.properties[k], e ? OkxToml.plain(e.value) : undefined, function (v) {
          edit(function (doc) { return v === undefined ? OkxToml.removeKey(doc, "", k) : OkxToml.setKey(doc, "", k, v); });
        }, k));
      });
      return;
    }
    if (key === "risk" || key === "prices") {
      ins.appendChild(el("p", { class: "what", text: key === "risk" ? "Sizing, take-profit and stop-loss ladders and the exposure and loss limits are risk-guard's (man risk-guard). equity_frac in the actions is the share the strategy asks for; risk-guard may give less, never more." : "A price of each closed candle: a series any condition can read without an indicator." }));
      return;
    }
    var f = findNode(key);
    if (!f) {
      ins.appendChild(el("p", { class: "hint", text: "Select a node." }));
      return;
    }
    var n = f.node;
    ins.appendChild(el("p", { class: "what", text: f.table.replace(/s$/, "") + " " + n.id + ", " + warmText(w[key]) }));
    ins.appendChild(labelled("id", textInput(n.id, function (t) { rename(key, t); }, { "data-field": "id" }), "the name other nodes use for it"));
    if (f.table === "indicators") {
      var feat = S.featureByName[n.feature];
      var fi = textInput(n.feature, function (t) {
        edit(function (doc) { return OkxToml.setKey(doc, "indicators", n.id, t); });
      }, { list: "feature-names", "data-field": "feature" });
      ins.appendChild(labelled("feature", fi, feat ? feat.description + " (" + feat.group + ")" : "a name of featurize --list; families take other parameters too (ema_7)"));
      return;
    }
    var tag = f.table === "conditions" ? "op" : "do";
    var v = variant(f.table, n.fields[tag]);
    if (!v) {
      ins.appendChild(el("p", { class: "help", text: tag + " " + n.fields[tag] + " is not one the engine knows: fix it in the text." }));
      return;
    }
    ins.appendChild(el("p", { class: "help", text: v.description }));
    var commitFor = function (k) {
      return function (val) {
        setNodeField(key, k, val);
      };
    };
    inputPorts(v).forEach(function (p) {
      ins.appendChild(portControl(m, n, p, commitFor(p.key)));
    });
    Object.keys(v.properties).forEach(function (k) {
      var p = v.properties[k];
      if (k === tag || p["x-okxkit-port"] || (p.items && p.items["x-okxkit-port"])) return;
      ins.appendChild(paramControl(k, p, n.fields[k], commitFor(k), k));
    });
  }

  // --- The palette ---------------------------------------------------------------------------

  function paletteItem(column, name, label, help) {
    var b = el("button", {
      type: "button",
      class: "pal-item",
      draggable: "true",
      "data-palette": column + ":" + name,
      "aria-label": "add " + label + " to " + column,
      title: help || "",
      text: label,
    });
    b.addEventListener("dragstart", function (ev) {
      ev.dataTransfer.setData(PALETTE_MIME + column, name);
      ev.dataTransfer.setData("text/plain", name);
      ev.dataTransfer.effectAllowed = "copy";
    });
    b.addEventListener("click", function () {
      addNode(column, name);
    });
    return b;
  }

  function renderFeatures() {
    var q = $("feature-search").value.trim().toLowerCase();
    var list = $("pal-indicators");
    list.textContent = "";
    var shown = 0;
    S.features.forEach(function (f) {
      if (shown >= 30) return;
      if (q && f.name.toLowerCase().indexOf(q) < 0 && f.group.indexOf(q) < 0) return;
      shown++;
      list.appendChild(paletteItem("indicators", f.name, f.name + " \u00b7 " + f.warmup, f.description + " (warm-up " + f.warmup + " bars)"));
    });
    // Other parameters of a family (ema_7 of ema_N) are features too: offer the name typed.
    var fam = q && !S.featureByName[q] ? familyOf(q) : null;
    if (fam) {
      list.insertBefore(paletteItem("indicators", q, q + " \u00b7 " + fam, "a feature of the family " + fam + " (not in the default set)"), list.firstChild);
      shown++;
    }
    if (!shown) list.appendChild(el("p", { class: "hint", text: "No feature matches." }));
  }

  // The family synopsis (ema_N) a feature name belongs to, or null: its leading words name
  // the family and the numbers after them are its parameters (N whole, X any number).
  function familyOf(name) {
    var words = name.split("_");
    var k = 0;
    while (k < words.length && words[k] !== "" && !/^[0-9.]/.test(words[k])) k++;
    var family = words.slice(0, k).join("_");
    var params = words.slice(k);
    for (var i = 0; i < S.families.length; i++) {
      var syn = S.families[i].split("_");
      var kinds = syn.filter(function (w) {
        return w === "N" || w === "X";
      });
      if (syn.slice(0, syn.length - kinds.length).join("_") !== family || kinds.length !== params.length) continue;
      var ok = params.every(function (p, j) {
        return kinds[j] === "N" ? /^[1-9][0-9]{0,3}$/.test(p) : /^[0-9]+(\.[0-9]+)?$/.test(p);
      });
      if (ok) return S.families[i];
    }
    return null;
  }

  function renderPalette() {
    renderFeatures();
    var dl = el("datalist", { id: "feature-names" });
    S.features.forEach(function (f) {
      dl.appendChild(el("option", { value: f.name }));
    });
    document.body.appendChild(dl);
    [["conditions", "pal-conditions", "op"], ["actions", "pal-actions", "do"]].forEach(function (spec) {
      variants(spec[0]).forEach(function (v) {
        var name = v.properties[spec[2]].const;
        $(spec[1]).appendChild(paletteItem(spec[0], name, name, v.description));
      });
    });
    S.schema.oneOf.forEach(function (k) {
      if (k.title === "rules") return;
      var b = el("button", {
        type: "button",
        class: "pal-item",
        "aria-label": "start a new " + k.title + " strategy",
        title: k.description,
        text: k.title,
        onclick: function () {
          startTemplate(k.title + ".toml");
        },
      });
      $("pal-kinds").appendChild(b);
    });
    // Columns take what the palette drags to them.
    ["indicators", "conditions", "actions"].forEach(function (c) {
      var col = $("col-" + c);
      col.addEventListener("dragover", function (ev) {
        if (Array.prototype.indexOf.call(ev.dataTransfer.types, PALETTE_MIME + c) >= 0) {
          ev.preventDefault();
          ev.dataTransfer.dropEffect = "copy";
          col.classList.add("drop-ok");
        }
      });
      col.addEventListener("dragleave", function () {
        col.classList.remove("drop-ok");
      });
      col.addEventListener("drop", function (ev) {
        col.classList.remove("drop-ok");
        var name = ev.dataTransfer.getData(PALETTE_MIME + c);
        if (!name) return;
        ev.preventDefault();
        addNode(c, name);
      });
    });
  }

  // --- Files -----------------------------------------------------------------------------------

  function startTemplate(name) {
    if (!S.online) {
      if (S.templates[name] === undefined) return say("No template " + name + ".");
      load(name, S.templates[name], false);
      return say("Started from the template " + name + "; save it under a name of yours.");
    }
    api("GET", "/api/templates/" + encodeURIComponent(name)).then(function (r) {
      if (r.status !== 200) return say("Cannot read the template " + name + ": " + (r.body.error || r.status));
      load(name, r.body, false);
      say("Started from the template " + name + "; save it under a name of yours.");
    });
  }

  function refreshLists(select) {
    if (!S.online) {
      fillSelect($("template"), Object.keys(S.templates).sort());
      fillSelect($("open-name"), []);
      return Promise.resolve();
    }
    return api("GET", "/api/files").then(function (r) {
      if (r.status !== 200) {
        say(r.body.error || "The server refused: open the address okx-builder printed, with its #token=.");
        return;
      }
      fillSelect($("template"), r.body.templates);
      fillSelect($("open-name"), r.body.files);
      if (select) $("open-name").value = select;
    });
  }

  function fillSelect(s, names) {
    s.textContent = "";
    names.forEach(function (n) {
      s.appendChild(el("option", { value: n, text: n }));
    });
  }

  function save() {
    var name = $("file-name").value.trim();
    if (!/^[A-Za-z0-9_.-]+\.toml$/.test(name) || name[0] === ".") {
      say("Not saved: a file name is letters, digits, _ - and ., ending in .toml.");
      $("file-name").focus();
      return;
    }
    S.name = name;
    if (!S.online) {
      var a = el("a", { href: URL.createObjectURL(new Blob([S.text], { type: "application/toml" })), download: name });
      document.body.appendChild(a);
      a.click();
      a.remove();
      S.saved = S.text;
      $("dirty").hidden = true;
      return say("Downloaded " + name + " (opened from disk, the page cannot write files).");
    }
    var text = S.text;
    api("PUT", "/api/files/" + encodeURIComponent(name), text).then(function (r) {
      if (r.status !== 200) return say("Not saved: " + (r.body.error || r.status));
      S.saved = text;
      $("dirty").hidden = S.text === S.saved;
      S.validation = r.body;
      S.validation.text = text;
      render();
      refreshLists(name);
      say("Saved " + name + (r.body.valid ? "." : ", with problems (listed below)."));
    });
  }

  // --- Diff against the saved file ---------------------------------------------------------------

  // Lines removed (-) and added (+) between a and b, with two lines of context.
  function diff(a, b) {
    var x = a.split("\n");
    var y = b.split("\n");
    var n = x.length;
    var m = y.length;
    var L = [];
    for (var i = 0; i <= n; i++) L.push(new Array(m + 1).fill(0));
    for (i = n - 1; i >= 0; i--) for (var j = m - 1; j >= 0; j--) L[i][j] = x[i] === y[j] ? L[i + 1][j + 1] + 1 : Math.max(L[i + 1][j], L[i][j + 1]);
    var ops = [];
    i = 0;
    j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && x[i] === y[j]) {
        ops.push([" ", x[i], i + 1]);
        i++;
        j++;
      } else if (i < n && (j >= m || L[i + 1][j] >= L[i][j + 1])) {
        ops.push(["-", x[i], i + 1]); // removals first, as diff -u shows them
        i++;
      } else {
        ops.push(["+", y[j], j + 1]);
        j++;
      }
    }
    var keep = ops.map(function (o, k) {
      for (var d = -2; d <= 2; d++) if (ops[k + d] && ops[k + d][0] !== " ") return true;
      return false;
    });
    var out = [];
    ops.forEach(function (o, k) {
      if (keep[k]) out.push(o);
      else if (out.length && out[out.length - 1] !== null) out.push(null);
    });
    return out;
  }

  function showOutput(title, body) {
    stopDryRun(); // the panel shows one thing: a dry run ends with its view
    $("output").hidden = false;
    $("output-title").textContent = title;
    var b = $("output-body");
    b.textContent = "";
    b.appendChild(body);
    $("output-close").focus();
  }

  function showDiff() {
    var ops = diff(S.saved, S.text);
    var pre = el("pre", { class: "diff" });
    if (!ops.some(function (o) { return o && o[0] !== " "; })) pre.textContent = S.saved ? "No changes since it was saved." : "Not saved yet: every line is new.";
    ops.forEach(function (o) {
      if (o === null) {
        pre.appendChild(el("span", { class: "d-gap", text: "\u22ee\n" }));
        return;
      }
      pre.appendChild(el("span", { class: o[0] === "+" ? "d-add" : o[0] === "-" ? "d-del" : "d-same", text: o[0] + " " + o[1] + "\n" }));
    });
    showOutput("Changes against the saved " + S.name, pre);
  }

  function deploy() {
    if (!S.online) return say("The deploy view needs okx-builder.");
    if (S.text !== S.saved) return say("Save first: the pipeline runs the saved file.");
    api("GET", "/api/compile/" + encodeURIComponent(S.name)).then(function (r) {
      if (r.status !== 200) return say("No pipeline: " + (r.body.error || "the file has problems (listed below)."));
      showOutput("Deploy " + S.name, el("pre", { class: "deploy", text: r.body }));
    });
  }

  // --- Backtest --------------------------------------------------------------------------------

  // The figures shown, in order: key of audit report's JSON, label, format.
  var FIGURES = [
    ["total_return", "Total return", "pct"],
    ["cagr", "CAGR", "pct"],
    ["max_drawdown", "Max drawdown", "pct"],
    ["sharpe", "Sharpe (annualised, 365-day years)", "num"],
    ["sortino", "Sortino", "num"],
    ["calmar", "Calmar", "num"],
    ["trades", "Round-trip trades", "int"],
    ["win_rate", "Win rate", "pct"],
    ["profit_factor", "Profit factor", "num"],
    ["expectancy", "Expectancy per trade (USDT)", "usd"],
    ["fills", "Fills", "int"],
    ["fees", "Fees (USDT)", "usd"],
    ["turnover", "Turnover (x equity)", "num"],
    ["exposure_time", "Time in the market", "pct"],
    ["start_equity", "Start equity (USDT)", "usd"],
    ["end_equity", "End equity (USDT)", "usd"],
    ["bars", "Bars", "int"],
  ];

  function figure(v, how) {
    if (v === null || v === undefined) return "\u2014";
    if (how === "pct") return (v * 100).toFixed(2) + " %";
    if (how === "int") return String(v);
    if (how === "usd") return v.toFixed(2);
    return v.toFixed(2);
  }

  function day(ms) {
    return new Date(ms).toISOString().slice(0, 16).replace("T", " ");
  }

  // A stage's argv as one would type it in a shell.
  function shellWord(w) {
    return /^[A-Za-z0-9_.,:/=+-]+$/.test(w) ? w : "'" + w.replace(/'/g, "'\\''") + "'";
  }

  function backtestView(name, a) {
    var r = a.report;
    var box = el("div", { class: "backtest", "data-id": a.id, "data-cached": String(a.cached) });
    box.appendChild(
      el("p", {
        text:
          (a.cached ? "From the cache: the run of " + name + " made earlier with these bytes, this data and this version. " : "") +
          "Paper fills (" + r.fill_models.join(", ") + " model" + (r.optimistic ? ", labelled optimistic" : ": a pessimistic bound") + ") on the bundled samples, " +
          day(r.from) + " to " + day(r.to) + " UTC.",
      })
    );
    var t = el("table", { class: "figures" }, [el("caption", { text: "Figures (audit report)" })]);
    FIGURES.forEach(function (f) {
      t.appendChild(
        el("tr", {}, [
          el("th", { scope: "row", text: f[1] }),
          el("td", { "data-figure": f[0], "data-value": r[f[0]] === null || r[f[0]] === undefined ? "" : String(r[f[0]]), text: figure(r[f[0]], f[2]) }),
        ])
      );
    });
    box.appendChild(t);
    var syms = Object.keys(r.by_symbol || {}).sort();
    if (syms.length) {
      var bt = el("table", { class: "figures by-symbol" }, [
        el("caption", { text: "By symbol" }),
        el("tr", {}, [el("th", { scope: "col", text: "Symbol" }), el("th", { scope: "col", text: "P&L (USDT)" }), el("th", { scope: "col", text: "Trades" }), el("th", { scope: "col", text: "Fees" })]),
      ]);
      syms.forEach(function (sym) {
        var x = r.by_symbol[sym];
        bt.appendChild(
          el("tr", { "data-symbol": sym }, [
            el("th", { scope: "row", text: sym }),
            el("td", { "data-value": String(x.pnl), text: x.pnl.toFixed(2) }),
            el("td", { "data-value": String(x.trades), text: String(x.trades) }),
            el("td", { "data-value": String(x.fees), text: x.fees.toFixed(2) }),
          ])
        );
      });
      box.appendChild(bt);
    }
    box.appendChild(el("h3", { text: "Run it yourself" }));
    box.appendChild(
      el("pre", {
        class: "deploy",
        // Four stages in a pipe, then audit report of the store they wrote.
        text: a.command
          .map(function (argv, i) {
            return argv.map(shellWord).join(" ") + (i < a.command.length - 2 ? " |" : "");
          })
          .join("\n"),
      })
    );
    return box;
  }

  function backtest() {
    if (!S.online) return say("The backtest needs okx-builder: start it and open the address it prints.");
    if (S.text !== S.saved) return say("Save first: the backtest runs the saved file.");
    var name = S.name;
    var button = $("backtest");
    button.disabled = true;
    say("Backtesting " + name + " on the bundled samples\u2026");
    api("POST", "/api/backtest/" + encodeURIComponent(name), "")
      .then(function (r) {
        if (r.status !== 200) {
          say("No backtest: " + (r.body.error || "the file has problems (listed below)."));
          return;
        }
        showOutput("Backtest of " + name, backtestView(name, r.body));
        say("Backtest of " + name + ": total return " + figure(r.body.report.total_return, "pct") + (r.body.cached ? " (from the cache)." : "."));
      })
      .catch(function (e) {
        say("No backtest: " + e.message);
      })
      .then(function () {
        button.disabled = false;
      });
  }

  // --- Live dry run ----------------------------------------------------------------------------

  var DRY_INSTS = ["BTC-USDT", "ETH-USDT", "ADA-USDT", "BNB-USDT", "DOT-USDT", "LINK-USDT", "LTC-USDT", "XRP-USDT"];
  var DRY_BARS = ["1m", "3m", "5m", "15m", "30m", "1H", "4H"];
  var DRY_ROWS = 300; // rows kept in the table, newest first

  function utc(ms) {
    return new Date(ms).toISOString().slice(0, 16).replace("T", " ");
  }

  function intentText(m) {
    var t = m.action || m.leg || "intent";
    if (m.side) t += " " + m.side;
    if (m.equity_frac !== undefined) t += " " + m.equity_frac;
    if (m.px !== undefined) t += " at " + m.px;
    if (m.ord_type) t += " " + m.ord_type;
    return t;
  }

  function dryRow(ts) {
    var d = S.dry;
    if (d.rows[ts]) return d.rows[ts];
    // The first bar of the run, older rows dropped or not: where a run by hand starts.
    if (d.body.dataset.first === undefined || ts < Number(d.body.dataset.first)) d.body.dataset.first = String(ts);
    var tr = el("tr", { "data-ts": String(ts) }, [
      el("td", { class: "t", text: utc(ts + d.barMs) }),
      el("td", { class: "c" }),
      el("td", { class: "holds" }),
      el("td", { class: "fires" }),
      el("td", { class: "intent" }),
    ]);
    d.rows[ts] = tr;
    // Newest first: a later bar goes on top, a late event of an older one to its place.
    var body = d.body;
    var at = body.firstChild;
    while (at && Number(at.dataset.ts) > ts) at = at.nextSibling;
    body.insertBefore(tr, at);
    while (body.childNodes.length > DRY_ROWS) {
      var last = body.lastChild;
      delete d.rows[last.dataset.ts];
      body.removeChild(last);
    }
    return tr;
  }

  function dryEvent(event, data) {
    var d = S.dry;
    var m;
    try {
      m = JSON.parse(data);
    } catch (e) {
      return;
    }
    if (event === "start") {
      d.barMs = (BAR_MS[m.bar] || 60000);
      d.state.textContent = "Fetching " + m.warm_bars + " closed candles of " + m.inst + " " + m.bar + " from OKX's REST to warm up, then live\u2026";
    } else if (event === "candle") {
      dryRow(m.ts).querySelector(".c").textContent = String(m.c);
      d.candles++;
      d.state.textContent = d.candles + " closed candles so far, the last closing " + utc(m.ts + d.barMs) + " UTC.";
    } else if (event === "explain") {
      var tr = dryRow(m.ts);
      tr.dataset.warm = String(m.warm);
      tr.dataset.assigned = String(m.assigned);
      tr.querySelector(".holds").textContent = m.warm ? m.holds.join(", ") || "\u2014" : "warming up";
      tr.querySelector(".fires").textContent = m.fires.join(", ") + (m.fires.length && !m.assigned ? " (not assigned yet)" : "");
      tr.dataset.holds = m.holds.join(" ");
      tr.dataset.fires = m.fires.join(" ");
    } else if (event === "intent") {
      var cell = dryRow(m.ts).querySelector(".intent");
      cell.textContent = (cell.textContent ? cell.textContent + "; " : "") + intentText(m);
      cell.parentNode.classList.add("sent");
    } else if (event === "evaluation") {
      d.evaluation.textContent = m.msg;
    } else if (event === "log") {
      if (m.level === "error" || m.level === "warn" || !m.level) d.log.textContent = (m.tool ? m.tool + ": " : "") + m.msg;
    } else if (event === "end") {
      d.state.textContent = "Ended: " + m.why + ".";
      dryStopped();
    }
  }

  var BAR_MS = { "1m": 60000, "3m": 180000, "5m": 300000, "15m": 900000, "30m": 1800000, "1H": 3600000, "2H": 7200000, "4H": 14400000 };

  function dryStopped() {
    var b = $("dryrun");
    b.textContent = "Dry run";
    b.setAttribute("aria-pressed", "false");
    if (S.dry) S.dry.running = false;
  }

  function stopDryRun() {
    if (S.dry && S.dry.running) {
      S.dry.ctrl.abort(); // the server sees the page go and stops the children
      S.dry.state.textContent = "Stopped.";
      dryStopped();
      return true;
    }
    return false;
  }

  function dryRun() {
    if (stopDryRun()) return;
    if (!S.online) return say("The dry run needs okx-builder: start it and open the address it prints.");
    if (S.text !== S.saved) return say("Save first: the dry run runs the saved file.");
    var name = S.name;
    var inst = $("dry-inst").value;
    var bar = $("dry-bar").value;
    var ctrl = new AbortController();
    var body = el("tbody");
    var d = (S.dry = {
      running: true,
      ctrl: ctrl,
      rows: {},
      body: body,
      candles: 0,
      barMs: BAR_MS[bar] || 60000,
      state: el("p", { class: "dry-state", role: "status", text: "Starting\u2026" }),
      log: el("p", { class: "dry-log" }),
      evaluation: el("pre", { class: "dry-eval" }),
    });
    var box = el("div", { class: "dryrun" }, [
      el("p", { text: "Live on OKX's public candles of " + inst + " " + bar + ": each closed candle through select-strategy --explain. Nothing runs after it: no order is sent, in any mode." }),
      d.state,
      d.log,
      el("div", { class: "dry-scroll" }, [el("table", { class: "figures dry-table" }, [
        el("caption", { text: "Per candle, newest first" }),
        el("thead", {}, [el("tr", {}, ["Candle close (UTC)", "Close", "Conditions holding", "Actions fired", "Intent it would send"].map(function (h) {
          return el("th", { scope: "col", text: h });
        }))]),
        body,
      ])]),
      el("h3", { text: "Last evaluation of the assignment" }),
      d.evaluation,
    ]);
    d.running = false;
    showOutput("Dry run of " + name, box);
    d.running = true;
    var b = $("dryrun");
    b.textContent = "Stop dry run";
    b.setAttribute("aria-pressed", "true");
    say("Dry run of " + name + " on " + inst + " " + bar + ".");
    var url = "/api/dryrun/" + encodeURIComponent(name) + "?inst=" + encodeURIComponent(inst) + "&bar=" + encodeURIComponent(bar);
    fetch(url, { headers: { "X-Okxkit-Token": S.token }, signal: ctrl.signal })
      .then(function (r) {
        if (!r.ok) {
          return r.json().then(function (e) {
            d.state.textContent = "No dry run: " + (e.error || "the file has problems (listed below).");
            dryStopped();
          });
        }
        var reader = r.body.getReader();
        var dec = new TextDecoder();
        var buf = "";
        function pump() {
          return reader.read().then(function (x) {
            if (x.done) {
              if (d.running) {
                d.state.textContent += " The server closed the stream.";
                dryStopped();
              }
              return;
            }
            buf += dec.decode(x.value, { stream: true });
            var blocks = buf.split("\n\n");
            buf = blocks.pop();
            blocks.forEach(function (block) {
              var ev = "";
              var data = "";
              block.split("\n").forEach(function (line) {
                if (line.indexOf("event: ") === 0) ev = line.slice(7);
                else if (line.indexOf("data: ") === 0) data += line.slice(6);
              });
              if (ev && S.dry === d) dryEvent(ev, data);
            });
            return pump();
          });
        }
        return pump();
      })
      .catch(function (e) {
        if (e.name === "AbortError") return;
        d.state.textContent = "The dry run stopped: " + e.message;
        dryStopped();
      });
  }

  // --- Start ---------------------------------------------------------------------------------

  function wire() {
    $("new").addEventListener("click", function () {
      load("untitled.toml", NEW_FILE, false);
      say("A new rules strategy: add indicators, conditions and actions from the palette.");
    });
    $("use-template").addEventListener("click", function () {
      startTemplate($("template").value);
    });
    $("open").addEventListener("click", function () {
      var name = $("open-name").value;
      if (!name) return say("No saved file to open.");
      api("GET", "/api/files/" + encodeURIComponent(name)).then(function (r) {
        if (r.status !== 200) return say("Cannot open " + name + ": " + (r.body.error || r.status));
        load(name, r.body, true);
        say("Opened " + name + ".");
      });
    });
    $("save").addEventListener("click", save);
    $("show-diff").addEventListener("click", showDiff);
    $("deploy").addEventListener("click", deploy);
    $("backtest").addEventListener("click", backtest);
    fillSelect($("dry-inst"), DRY_INSTS);
    fillSelect($("dry-bar"), DRY_BARS);
    $("dryrun").addEventListener("click", dryRun);
    $("output-close").addEventListener("click", function () {
      stopDryRun();
      $("output").hidden = true;
    });
    $("feature-search").addEventListener("input", renderFeatures);
    document.addEventListener("mousedown", function () {
      S.pointerDown = true;
    }, true);
    // The release, or a drag that took the press over (no release follows a drop), or the
    // window losing the pointer: draw what waited, after the click has been handled.
    ["mouseup", "dragstart", "blur"].forEach(function (type) {
      (type === "blur" ? window : document).addEventListener(type, function (ev) {
        if (type === "blur" && ev.target !== window) return; // a control's blur, not the window's
        S.pointerDown = false;
        if (S.renderPending) setTimeout(render, 0);
      }, true);
    });
    $("inspector").addEventListener("focusout", function () {
      // After the focus has moved on: redraw what was held back while a select was in use.
      setTimeout(function () {
        // The inspector only: redrawing the graph now would replace a button between the
        // press and the release of the click that moved the focus, and lose that click.
        if (S.inspectorStale && !$("inspector").contains(document.activeElement)) {
          var m = readModel(S.doc);
          renderInspector(m, warmups(m));
        }
      }, 0);
    });
    $("toml").addEventListener("input", function () {
      setText($("toml").value, true);
    });
    document.addEventListener("keydown", function (ev) {
      if (ev.key === "Escape" && S.wiring) {
        S.wiring = null;
        say("Wiring cancelled.");
        render();
      }
    });
    window.addEventListener("resize", function () {
      requestAnimationFrame(drawWires);
    });
  }

  function start(schema) {
    loadSchema(schema);
    renderPalette();
    wire();
    load("untitled.toml", NEW_FILE, false);
  }

  // Ready (for people and tests) once the lists are filled and the header has its final
  // layout: a click aimed before that could land on a button that then moved.
  function ready() {
    document.body.dataset.ready = "1";
  }

  var offline = window.OKXKIT_OFFLINE || null;
  if (!S.online) {
    if (!offline) {
      say("offline.js is missing: open the page through okx-builder.");
      return;
    }
    S.templates = offline.templates;
    start(offline.schema);
    refreshLists().then(ready);
    return;
  }
  if (!S.token) say("No session token: open the address okx-builder printed (it ends in #token=...).");
  api("GET", "/api/schema").then(function (r) {
    if (r.status !== 200) {
      say(r.body.error || "The server refused the schema request.");
      return;
    }
    start(r.body);
    refreshLists().then(ready);
  });

  // For tests and the curious: the state, read-only by convention.
  window.okxBuilder = { state: S, readModel: readModel, nodeOfKey: nodeOfKey, validate: validate };
})();
