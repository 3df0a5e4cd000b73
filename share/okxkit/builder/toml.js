// okx-builder's TOML: a strategy file read for the graph without ever being rewritten.
// The text is the document. Reading finds, for the subset the graph edits (keys with strings,
// numbers, booleans, one-line arrays and one-line inline tables, under [tables]), where each
// key and value sits; an edit replaces, inserts or removes only those characters or lines, so
// comments, alignment, order and keys the graph does not know are kept, and an unchanged file
// saves as the same bytes. A line outside the subset (a multi-line array or string, a dotted
// key, an array of tables) makes the whole file text-only: the page then edits it as text.
"use strict";

var OkxToml = (function () {
  var BARE = /^[A-Za-z0-9_-]+$/;

  function fail(why, at) {
    var e = new Error(why);
    e.at = at;
    throw e;
  }

  // A cursor over one line (without its end of line).
  function Cursor(s, i) {
    this.s = s;
    this.i = i || 0;
  }
  Cursor.prototype.ws = function () {
    while (this.i < this.s.length && (this.s[this.i] === " " || this.s[this.i] === "\t")) this.i++;
  };
  Cursor.prototype.peek = function () {
    return this.s[this.i];
  };
  Cursor.prototype.rest = function () {
    return this.s.slice(this.i);
  };

  function readKey(c) {
    var start = c.i;
    if (c.peek() === '"') {
      var v = readString(c);
      return { key: v.value, start: start, end: c.i };
    }
    var m = /^[A-Za-z0-9_-]+/.exec(c.rest());
    if (!m) fail("a key was expected", c.i);
    c.i += m[0].length;
    return { key: m[0], start: start, end: c.i };
  }

  function readString(c) {
    var start = c.i;
    var q = c.s[c.i];
    if (c.s.slice(c.i, c.i + 3) === q + q + q) fail("a multi-line string", c.i);
    c.i++;
    var out = "";
    while (c.i < c.s.length && c.s[c.i] !== q) {
      var ch = c.s[c.i];
      if (q === '"' && ch === "\\") {
        var e = c.s[c.i + 1];
        var simple = { b: "\b", t: "\t", n: "\n", f: "\f", r: "\r", '"': '"', "\\": "\\" };
        if (e in simple) {
          out += simple[e];
          c.i += 2;
        } else if (e === "u" || e === "U") {
          var n = e === "u" ? 4 : 8;
          var hex = c.s.slice(c.i + 2, c.i + 2 + n);
          if (!/^[0-9A-Fa-f]+$/.test(hex) || hex.length !== n) fail("a bad \\u escape", c.i);
          out += String.fromCodePoint(parseInt(hex, 16));
          c.i += 2 + n;
        } else {
          fail("a bad escape in a string", c.i);
        }
      } else {
        out += ch;
        c.i++;
      }
    }
    if (c.i >= c.s.length) fail("a string that does not end on its line", start);
    c.i++;
    return { type: "string", value: out, start: start, end: c.i };
  }

  var NUMBER = /^[+-]?(?:inf|nan|0x[0-9A-Fa-f_]+|0o[0-7_]+|0b[01_]+|(?:\d[\d_]*)(?:\.\d[\d_]*)?(?:[eE][+-]?\d[\d_]*)?)/;

  function readValue(c, depth) {
    var start = c.i;
    var ch = c.peek();
    if (ch === '"' || ch === "'") return readString(c);
    if (ch === "[") {
      c.i++;
      var items = [];
      for (;;) {
        c.ws();
        if (c.i >= c.s.length) fail("an array that does not end on its line", start);
        if (c.peek() === "]") break;
        if (c.peek() === "#") fail("a comment inside an array", c.i);
        items.push(readValue(c, depth + 1));
        c.ws();
        if (c.peek() === ",") {
          c.i++;
          continue;
        }
        c.ws();
        if (c.peek() !== "]") fail("an array that does not end on its line", start);
      }
      c.i++;
      return { type: "array", items: items, start: start, end: c.i };
    }
    if (ch === "{") {
      if (depth > 0) fail("a table inside a table", c.i);
      c.i++;
      var fields = [];
      c.ws();
      if (c.peek() !== "}") {
        for (;;) {
          c.ws();
          var k = readKey(c);
          c.ws();
          if (c.peek() === ".") fail("a dotted key", c.i);
          if (c.peek() !== "=") fail("'=' was expected after " + k.key, c.i);
          c.i++;
          c.ws();
          var v = readValue(c, depth + 1);
          fields.push({ key: k.key, keyStart: k.start, start: k.start, end: v.end, value: v });
          c.ws();
          if (c.peek() === ",") {
            c.i++;
            continue;
          }
          if (c.peek() === "}") break;
          fail("an inline table that does not end on its line", start);
        }
      }
      c.i++;
      return { type: "table", fields: fields, start: start, end: c.i };
    }
    if (c.rest().startsWith("true")) {
      c.i += 4;
      return { type: "bool", value: true, start: start, end: c.i };
    }
    if (c.rest().startsWith("false")) {
      c.i += 5;
      return { type: "bool", value: false, start: start, end: c.i };
    }
    var m = NUMBER.exec(c.rest());
    if (m && m[0].length) {
      if (/^\d{4}-\d{2}/.test(c.rest())) fail("a date", c.i);
      c.i += m[0].length;
      var text = m[0].replace(/_/g, "");
      return { type: "number", value: Number(text), text: m[0], start: start, end: c.i };
    }
    fail("a value was expected", c.i);
  }

  function endOfLine(c) {
    c.ws();
    if (c.i < c.s.length && c.peek() !== "#") fail("unexpected text after the value", c.i);
  }

  // Reads text. Returns { text, lines, entries, tables, textOnly: null | {line, why} }:
  // lines are the text's lines with their '\r' but without '\n'; entries are
  // { line, table, key, keyStart, keyEnd, value } in file order; tables are
  // { name, line } for every [header] in order.
  function parse(text) {
    var lines = text.split("\n");
    var doc = { text: text, lines: lines, entries: [], tables: [], textOnly: null };
    var table = "";
    for (var n = 0; n < lines.length; n++) {
      var raw = lines[n];
      var s = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
      var c = new Cursor(s);
      c.ws();
      if (c.i >= s.length || c.peek() === "#") continue;
      try {
        if (c.peek() === "[") {
          if (s[c.i + 1] === "[") fail("an array of tables", c.i);
          c.i++;
          c.ws();
          var parts = [];
          for (;;) {
            parts.push(readKey(c).key);
            c.ws();
            if (c.peek() === ".") {
              c.i++;
              c.ws();
              continue;
            }
            break;
          }
          if (c.peek() !== "]") fail("']' was expected", c.i);
          c.i++;
          endOfLine(c);
          table = parts.join(".");
          doc.tables.push({ name: table, line: n });
          continue;
        }
        var k = readKey(c);
        c.ws();
        if (c.peek() === ".") fail("a dotted key", c.i);
        if (c.peek() !== "=") fail("'=' was expected after " + k.key, c.i);
        c.i++;
        c.ws();
        var v = readValue(c, 0);
        endOfLine(c);
        doc.entries.push({ line: n, table: table, key: k.key, keyStart: k.start, keyEnd: k.end, value: v });
      } catch (e) {
        if (e.at === undefined) throw e;
        doc.textOnly = { line: n + 1, why: e.message };
        return doc;
      }
    }
    return doc;
  }

  // --- Writing values -------------------------------------------------------------------

  function quote(s) {
    var out = '"';
    for (var i = 0; i < s.length; i++) {
      var ch = s[i];
      var code = ch.charCodeAt(0);
      if (ch === '"') out += '\\"';
      else if (ch === "\\") out += "\\\\";
      else if (ch === "\n") out += "\\n";
      else if (ch === "\t") out += "\\t";
      else if (code < 0x20 || code === 0x7f) out += "\\u" + ("000" + code.toString(16)).slice(-4);
      else out += ch;
    }
    return out + '"';
  }

  // A value as TOML: strings quoted, numbers as given (a string of digits the user typed is
  // kept as typed), booleans, arrays of these.
  function format(v) {
    if (Array.isArray(v)) return "[" + v.map(format).join(", ") + "]";
    if (typeof v === "string") return quote(v);
    if (typeof v === "boolean") return v ? "true" : "false";
    if (typeof v === "number") {
      if (!isFinite(v)) throw new Error("not a finite number");
      return String(v);
    }
    if (v && v.toml !== undefined) return v.toml; // a number as the user wrote it
    throw new Error("cannot write this value");
  }

  function key(k) {
    return BARE.test(k) ? k : quote(k);
  }

  // --- Finding things -------------------------------------------------------------------

  function entriesOf(doc, table) {
    return doc.entries.filter(function (e) {
      return e.table === table;
    });
  }

  function find(doc, table, k) {
    for (var i = 0; i < doc.entries.length; i++) {
      var e = doc.entries[i];
      if (e.table === table && e.key === k) return e;
    }
    return null;
  }

  function header(doc, name) {
    for (var i = 0; i < doc.tables.length; i++) if (doc.tables[i].name === name) return doc.tables[i];
    return null;
  }

  // --- Edits: each returns the new text ---------------------------------------------------

  function lineOf(doc, n) {
    return doc.lines[n];
  }

  function withLine(doc, n, s) {
    var lines = doc.lines.slice();
    lines[n] = s;
    return lines.join("\n");
  }

  function splice(s, start, end, insert) {
    return s.slice(0, start) + insert + s.slice(end);
  }

  // The '\r' of the file's lines, if it uses CRLF.
  function eol(doc) {
    for (var i = 0; i < doc.lines.length; i++) if (doc.lines[i].endsWith("\r")) return "\r";
    return "";
  }

  // Inserts whole lines before line n.
  function insertLines(doc, n, newLines) {
    var cr = eol(doc);
    var lines = doc.lines.slice();
    var add = newLines.map(function (l) {
      return l + cr;
    });
    // At the very end of a file that ends with a newline, the last "line" is empty: go before it.
    if (n >= lines.length && lines[lines.length - 1] === "") n = lines.length - 1;
    Array.prototype.splice.apply(lines, [n, 0].concat(add));
    return lines.join("\n");
  }

  function removeLines(doc, from, to) {
    var lines = doc.lines.slice();
    lines.splice(from, to - from);
    return lines.join("\n");
  }

  // The line after the last entry of table (or after its header; for the root table, after
  // the last root entry or, with none, before the first header and its comments).
  function appendLineIndex(doc, table) {
    var es = entriesOf(doc, table);
    if (es.length) return es[es.length - 1].line + 1;
    var h = header(doc, table);
    if (h) return h.line + 1;
    if (table === "") {
      if (!doc.tables.length) return doc.lines.length;
      var n = doc.tables[0].line;
      while (n > 0 && /^\s*(#.*)?\r?$/.test(doc.lines[n - 1])) n--;
      return n;
    }
    return -1;
  }

  // Sets a key of a table (table "" is the root) to a value, in place when it exists.
  function setKey(doc, table, k, v) {
    var e = find(doc, table, k);
    if (e) return withLine(doc, e.line, splice(lineOf(doc, e.line), e.value.start, e.value.end, format(v)));
    var at = appendLineIndex(doc, table);
    if (at < 0) return addTable(doc, table, [key(k) + " = " + format(v)]);
    return insertLines(doc, at, [key(k) + " = " + format(v)]);
  }

  function removeKey(doc, table, k) {
    var e = find(doc, table, k);
    if (!e) return doc.text;
    return removeLines(doc, e.line, e.line + 1);
  }

  // Renames a key in place.
  function renameKey(doc, table, k, to) {
    var e = find(doc, table, k);
    if (!e) return doc.text;
    return withLine(doc, e.line, splice(lineOf(doc, e.line), e.keyStart, e.keyEnd, key(to)));
  }

  // The order tables are added in when missing.
  var TABLE_ORDER = ["indicators", "conditions", "actions"];

  // Adds [table] with lines: before the first table that comes after it, else at the end.
  function addTable(doc, table, body) {
    var rank = TABLE_ORDER.indexOf(table.split(".")[0]);
    var before = -1;
    for (var i = 0; i < doc.tables.length && rank >= 0; i++) {
      var r = TABLE_ORDER.indexOf(doc.tables[i].name.split(".")[0]);
      if (r > rank) {
        before = doc.tables[i].line;
        // Keep the comments that introduce that table with it.
        while (before > 0 && /^\s*#/.test(doc.lines[before - 1])) before--;
        break;
      }
    }
    var block = ["[" + table.split(".").map(key).join(".") + "]"].concat(body);
    if (before >= 0) return insertLines(doc, before, block.concat([""]));
    var last = doc.lines.length;
    if (doc.lines[last - 1] === "") last--;
    var blank = last > 0 && !/^\s*\r?$/.test(doc.lines[last - 1]) ? [""] : [];
    if (doc.lines[doc.lines.length - 1] !== "") {
      // No newline at the end: end the last line first.
      return doc.text + "\n" + blank.concat(block).join(eol(doc) + "\n") + eol(doc);
    }
    return insertLines(doc, doc.lines.length, blank.concat(block));
  }

  // A node: an entry of [table] whose value is an inline table, or a [table.id] section.
  // Returns { form: "inline" | "section", entry | header, fields: [{key, value, ...}] }.
  function node(doc, table, id) {
    var e = find(doc, table, id);
    if (e) return { form: "inline", entry: e, fields: e.value.type === "table" ? e.value.fields : [] };
    var h = header(doc, table + "." + id);
    if (h) {
      var fs = entriesOf(doc, table + "." + id).map(function (x) {
        return { key: x.key, value: x.value, entry: x };
      });
      return { form: "section", header: h, fields: fs };
    }
    return null;
  }

  // Sets a field of a node. order: the schema's field order, so a new field goes before the
  // first present field that comes after it.
  function setField(doc, table, id, k, v, order) {
    var nd = node(doc, table, id);
    if (!nd) throw new Error("no node " + table + "." + id);
    if (nd.form === "section") return setKey(doc, table + "." + id, k, v);
    var e = nd.entry;
    var line = lineOf(doc, e.line);
    if (e.value.type !== "table") throw new Error(table + "." + id + " is not a table");
    var fields = e.value.fields;
    for (var i = 0; i < fields.length; i++) {
      if (fields[i].key === k) {
        return withLine(doc, e.line, splice(line, fields[i].value.start, fields[i].value.end, format(v)));
      }
    }
    var text = key(k) + " = " + format(v);
    if (!fields.length) return withLine(doc, e.line, splice(line, e.value.start, e.value.end, "{ " + text + " }"));
    var rank = order ? order.indexOf(k) : -1;
    for (i = 0; i < fields.length && rank >= 0; i++) {
      var r = order.indexOf(fields[i].key);
      if (r > rank) return withLine(doc, e.line, splice(line, fields[i].start, fields[i].start, text + ", "));
    }
    var last = fields[fields.length - 1];
    return withLine(doc, e.line, splice(line, last.end, last.end, ", " + text));
  }

  function removeField(doc, table, id, k) {
    var nd = node(doc, table, id);
    if (!nd) return doc.text;
    if (nd.form === "section") return removeKey(doc, table + "." + id, k);
    var e = nd.entry;
    var fields = e.value.fields;
    var line = lineOf(doc, e.line);
    for (var i = 0; i < fields.length; i++) {
      if (fields[i].key !== k) continue;
      if (fields.length === 1) return withLine(doc, e.line, splice(line, e.value.start, e.value.end, "{}"));
      // Take the field with the comma and spaces after it (or, for the last, before it).
      if (i + 1 < fields.length) return withLine(doc, e.line, splice(line, fields[i].start, fields[i + 1].start, ""));
      return withLine(doc, e.line, splice(line, fields[i - 1].end, fields[i].end, ""));
    }
    return doc.text;
  }

  // Adds `id = value` (value: a scalar, or an object of fields written as an inline table).
  function addEntry(doc, table, id, value) {
    var text;
    if (value && typeof value === "object" && !Array.isArray(value) && value.toml === undefined) {
      var parts = Object.keys(value).map(function (k) {
        return key(k) + " = " + format(value[k]);
      });
      text = parts.length ? "{ " + parts.join(", ") + " }" : "{}";
    } else {
      text = format(value);
    }
    var at = appendLineIndex(doc, table);
    if (at < 0) return addTable(doc, table, [key(id) + " = " + text]);
    return insertLines(doc, at, [key(id) + " = " + text]);
  }

  // Removes a node: its line, or its [table.id] section up to the next header.
  function removeNode(doc, table, id) {
    var nd = node(doc, table, id);
    if (!nd) return doc.text;
    if (nd.form === "inline") return removeLines(doc, nd.entry.line, nd.entry.line + 1);
    var from = nd.header.line;
    var to = doc.lines.length;
    for (var i = 0; i < doc.tables.length; i++) {
      if (doc.tables[i].line > from) {
        to = doc.tables[i].line;
        break;
      }
    }
    // Leave the comments and blank lines that lead into the next table.
    while (to > from + 1 && /^\s*(#.*)?\r?$/.test(doc.lines[to - 1]) && to !== doc.lines.length) to--;
    return removeLines(doc, from, to);
  }

  // Renames a node: its key or its section header.
  function renameNode(doc, table, id, to) {
    var nd = node(doc, table, id);
    if (!nd) return doc.text;
    if (nd.form === "inline") return renameKey(doc, table, id, to);
    var h = doc.lines[nd.header.line];
    var cr = h.endsWith("\r") ? "\r" : "";
    var m = /^(\s*)\[[^\]]*\](.*)$/.exec(cr ? h.slice(0, -1) : h);
    return withLine(doc, nd.header.line, m[1] + "[" + key(table) + "." + key(to) + "]" + m[2] + cr);
  }

  // Plain values of a parsed value.
  function plain(v) {
    if (!v) return undefined;
    if (v.type === "array") return v.items.map(plain);
    if (v.type === "table") {
      var o = {};
      v.fields.forEach(function (f) {
        o[f.key] = plain(f.value);
      });
      return o;
    }
    return v.value;
  }

  return {
    parse: parse,
    format: format,
    quote: quote,
    find: find,
    entriesOf: entriesOf,
    header: header,
    node: node,
    plain: plain,
    setKey: setKey,
    removeKey: removeKey,
    setField: setField,
    removeField: removeField,
    addEntry: addEntry,
    removeNode: removeNode,
    renameNode: renameNode,
  };
})();
