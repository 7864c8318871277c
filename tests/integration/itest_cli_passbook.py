#!/usr/bin/python3
# Checks a passbook the CLI wrote, for itest_cli_passbook.c. Independent of
# the CLI's own code: widths from Python's unicodedata (East Asian Width),
# HTML through html.parser.
#   itest_cli_passbook.py text WIDTH FILE      -> every line WIDTH columns; prints the line count
#   itest_cli_passbook.py entries WIDTH FILE JSON -> as text, and one line per entry of JSON (hourbank
#                                                statement --json, or the same keys): the entry lines
#                                                are those between the 3rd and 4th rule of "-", in
#                                                posting order (transfer_id), each ending in the entry's
#                                                amounts as H:MM (48: in, out, balance, "-" for the side
#                                                not moved; 32: +in or -out, balance), care the
#                                                guarantee paid marked "*" with one footnote line
#                                                "* ..." under them; prints the entry line count
#   itest_cli_passbook.py html LANG FILE TEXT... -> well-formed, self-contained, lang set,
#                                                print CSS, TEXT shown; prints the body rows
import json
import re
import sys
import unicodedata
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


def width(s):
    w = 0
    for c in s:
        if unicodedata.combining(c) or unicodedata.category(c) in ("Cc", "Cf"):
            continue
        w += 2 if unicodedata.east_asian_width(c) in ("W", "F") else 1
    return w


def fail(msg):
    print(msg)
    sys.exit(1)


def text_lines(w, path):
    data = open(path, encoding="utf-8").read()
    if not data.endswith("\n"):
        fail("the last line does not end")
    lines = data[:-1].split("\n")
    for i, line in enumerate(lines, 1):
        if width(line) != w:
            fail("line %d is %d columns, not %d: %r" % (i, width(line), w, line))
    return lines


def check_text(w, path):
    print(len(text_lines(w, path)))


def hm(minutes, sign=False):
    """minutes as H:MM, written here without the CLI's code."""
    h, m = divmod(abs(minutes), 60)
    s = "-" if minutes < 0 else ("+" if sign and minutes > 0 else "")
    return "%s%d:%02d" % (s, h, m)


def check_entries(w, path, json_path):
    lines = text_lines(w, path)
    entries = sorted(json.load(open(json_path, encoding="utf-8"))["entries"], key=lambda e: e["transfer_id"])
    rules = [i for i, line in enumerate(lines) if re.fullmatch("-+", line)]
    if len(rules) < 4:
        fail("%d rules of '-', not 4 or more" % len(rules))
    body = lines[rules[2] + 1:rules[3]]
    notes = [line for line in body if line.startswith("* ")]
    rows = [line for line in body if not line.startswith("* ")]
    if entries and len(rows) != len(entries):
        fail("%d entry lines for %d entries:\n%s" % (len(rows), len(entries), "\n".join(body)))
    marked = 0
    for line, e in zip(rows, entries):
        m, b = e["minutes"], e["balance_after"]
        if w == 48:
            want = [hm(m) if m > 0 else "-", hm(-m) if m <= 0 else "-", hm(b)]
        else:
            want = [hm(m, True), hm(b)]
        got = line.split()[-len(want):]
        if got != want:
            fail("entry %d: the line %r ends in %s, not %s" % (e["transfer_id"], line, got, want))
        guarantee = e.get("paid_by") == "guarantee" and e.get("role") == "recipient"
        before = line.rstrip()
        for _ in want:
            before = before[:before.rfind(" ")].rstrip() if " " in before else ""
        if guarantee != before.endswith("*"):
            fail("entry %d: %s, but the line is %r" % (e["transfer_id"], "the guarantee paid" if guarantee
                                                      else "not the guarantee's", line))
        marked += guarantee
    if len(notes) != (1 if marked else 0):
        fail("%d footnote lines for %d marked entries" % (len(notes), marked))
    print(len(rows))


class Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors, self.text, self.style = [], [], [], ""
        self.lang, self.charset, self.doctype, self.rows, self.tags = None, False, False, 0, set()

    def handle_decl(self, decl):
        self.doctype = decl.lower() == "doctype html"

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        a = dict(attrs)
        for name, value in attrs:
            if name in ("src", "href", "srcset", "action", "data") or name.startswith("on"):
                self.errors.append("attribute %s=%r on <%s>" % (name, value, tag))
        if tag == "html":
            self.lang = a.get("lang")
        if tag == "meta" and (a.get("charset") or "").lower() == "utf-8":
            self.charset = True
        if tag == "tr" and "tbody" in self.stack:
            self.rows += 1
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append("</%s> closes <%s>" % (tag, self.stack[-1] if self.stack else "nothing"))
            return
        self.stack.pop()

    def handle_data(self, data):
        if self.stack and self.stack[-1] == "style":
            self.style += data
        else:
            self.text.append(data)


def check_html(lang, path, wanted):
    raw = open(path, encoding="utf-8").read()
    p = Page()
    p.feed(raw)
    p.close()
    if p.errors:
        fail("; ".join(p.errors))
    if p.stack:
        fail("not closed: %s" % p.stack)
    if not p.doctype:
        fail("no <!DOCTYPE html>")
    want_lang = "zh-CN" if lang == "zh_CN" else "en"
    if p.lang != want_lang:
        fail("lang=%r, want %r" % (p.lang, want_lang))
    if not p.charset:
        fail("no <meta charset=utf-8>")
    for t in ("script", "link", "img", "iframe", "object"):
        if t in p.tags:
            fail("<%s> in a self-contained page" % t)
    low = raw.lower()
    for bad in ("http://", "https://", "src=", "url(", "@import"):
        if bad in low:
            fail("%s in the page" % bad)
    for css in ("@page", "@media print", "size:"):
        if css not in p.style:
            fail("no %s in the style" % css)
    text = "".join(p.text)
    for w in wanted:
        if w not in text:
            fail("the page does not show %r" % w)
    print(p.rows)


if sys.argv[1] == "text":
    check_text(int(sys.argv[2]), sys.argv[3])
elif sys.argv[1] == "entries":
    check_entries(int(sys.argv[2]), sys.argv[3], sys.argv[4])
else:
    check_html(sys.argv[2], sys.argv[3], sys.argv[4:])
