#!/usr/bin/python3
# Checks a passbook the CLI wrote, for itest_cli_passbook.c. Independent of
# the CLI's own code: widths from Python's unicodedata (East Asian Width),
# HTML through html.parser.
#   itest_cli_passbook.py text WIDTH FILE      -> every line WIDTH columns; prints the line count
#   itest_cli_passbook.py html LANG FILE TEXT... -> well-formed, self-contained, lang set,
#                                                print CSS, TEXT shown; prints the body rows
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


def check_text(w, path):
    data = open(path, encoding="utf-8").read()
    if not data.endswith("\n"):
        fail("the last line does not end")
    lines = data[:-1].split("\n")
    for i, line in enumerate(lines, 1):
        if width(line) != w:
            fail("line %d is %d columns, not %d: %r" % (i, width(line), w, line))
    print(len(lines))


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
else:
    check_html(sys.argv[2], sys.argv[3], sys.argv[4:])
