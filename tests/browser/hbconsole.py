"""hbconsole.py - the library of the console's browser tests (issue 16).

A real headless Chromium driven by Selenium against a real hourbank-console.
Every page a test visits goes through Console.page(): it is photographed at
1366x768 and at 800x600 (whole page, into
$HB_BUILD_DIR/tests/browser-shots/<test>/<nn>-<page>-<size>.png) and checked:
no text cut or overflowing its box, no sideways scrolling, and in Chinese
mode no visible English word that is not data (what the test typed, what the
ledger holds: names, member numbers, op refs, category codes). Problems of
layout and translation are collected and reported at the end (the script
fails); a wrong behaviour fails at once.

The C driver (tests/lib/hb_browser.c) runs the script and answers its
requests: a line "@@ WORDS" on standard output, one answer line on standard
input ("ok", or "error: why").
"""
import argparse
import base64
import datetime
import http.client
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse

from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

CHROMIUM = os.environ.get("HB_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("HB_CHROMEDRIVER", "/usr/bin/chromedriver")
SIZES = ((1366, 768), (800, 600))
# A page answers at once (server-rendered); a slow one is a failure.
PAGE_WAIT_S = 10
POLL_PAGE_S = 0.05
# The whole script, so that a hung browser never outlives the test.
SCRIPT_LIMIT_S = 480
# Latin words a Chinese page may show that are not data: "PIN" (the
# catalog's own Chinese writes it so, e.g. "PIN 码"), and the program's name.
FIXED_LATIN = {"pin", "hourbank"}
# The exit status when the script ran through but pages had problems of
# layout or translation (hb_browser.h HB_B_SCRIPT_PROBLEMS): the C side still
# checks the database, then fails. Any other failure exits 1.
PROBLEMS_EXIT = 3
# A box may be a pixel off from rounding.
SLACK_PX = 1

# Every element whose text is cut or spills out of its box (scrollWidth
# beyond clientWidth where the box does not scroll (overflow visible, hidden
# or clip), scrollHeight beyond clientHeight where it hides (hidden, clip);
# form controls scroll their own text and are left out; of nested boxes the
# innermost is named), every Latin word or number broken inside over two
# lines, and a page wider than the window.
OVERFLOW_JS = r"""
const slack = arguments[0];
const found = [];
const skip = new Set(['SCRIPT', 'STYLE', 'INPUT', 'TEXTAREA', 'SELECT', 'OPTION', 'BR', 'IMG']);
function name(el) {
  let s = el.tagName.toLowerCase();
  if (el.id) s += '#' + el.id;
  if (el.className && typeof el.className === 'string') s += '.' + el.className.trim().split(/\s+/).join('.');
  return s;
}
for (const el of document.body.querySelectorAll('*')) {
  if (skip.has(el.tagName)) continue;
  const cs = getComputedStyle(el);
  if (cs.display === 'none' || cs.visibility === 'hidden') continue;
  if (el.clientWidth === 0 && el.clientHeight === 0) continue;  /* inline: its box is checked */
  if (!(el.innerText || '').trim()) continue;
  const scrollsX = cs.overflowX === 'auto' || cs.overflowX === 'scroll';
  const hidesY = cs.overflowY === 'hidden' || cs.overflowY === 'clip';
  if (!scrollsX && el.scrollWidth > el.clientWidth + slack)
    found.push({el: el, what: name(el) + ' is ' + el.scrollWidth + 'px of text in ' + el.clientWidth + 'px'});
  else if (hidesY && el.scrollHeight > el.clientHeight + slack)
    found.push({el: el, what: name(el) + ' hides ' + (el.scrollHeight - el.clientHeight) + 'px of text below'});
}
const inner = found.filter(f => !found.some(g => g !== f && f.el.contains(g.el)));
const text = inner.map(f => f.what + ': "' + (f.el.innerText || '').trim().slice(0, 60) + '"');
/* a Latin word or a number broken inside, over two lines ("Refere|nce") */
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
const word = /[A-Za-z0-9]{2,}/g;
let node;
while ((node = walker.nextNode())) {
  const p = node.parentElement;
  if (!p || p.closest('script,style') || !p.getClientRects().length) continue;
  word.lastIndex = 0;
  let m;
  while ((m = word.exec(node.textContent))) {
    const r = document.createRange();
    r.setStart(node, m.index);
    r.setEnd(node, m.index + m[0].length);
    const lines = new Set(Array.from(r.getClientRects()).filter(x => x.width > 0).map(x => Math.round(x.top)));
    if (lines.size > 1)
      text.push(name(p) + ' breaks the word "' + m[0] + '" over ' + lines.size + ' lines');
  }
}
const doc = document.documentElement;
if (doc.scrollWidth > window.innerWidth + slack)
  text.push('the page scrolls sideways: ' + doc.scrollWidth + 'px wide in a ' + window.innerWidth + 'px window');
return text;
"""

# Every text a person sees on the page (text of visible elements, option
# labels, button values, placeholders, titles, labels for screen readers),
# except what is marked as another language (lang="en", e.g. the button
# that switches to English).
VISIBLE_TEXT_JS = r"""
const texts = [document.title];
function foreign(el) {
  const l = el.closest('[lang]');
  return l && !l.lang.toLowerCase().startsWith('zh');
}
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
let n;
while ((n = walker.nextNode())) {
  const p = n.parentElement;
  if (!p || p.closest('script,style') || foreign(p)) continue;
  if (!p.getClientRects().length) continue;
  const cs = getComputedStyle(p);
  if (cs.visibility === 'hidden') continue;
  texts.push(n.textContent);
}
for (const el of document.querySelectorAll('option')) if (!foreign(el)) texts.push(el.textContent);
for (const el of document.querySelectorAll('input[type=submit],input[type=button],input[type=reset]'))
  if (!foreign(el)) texts.push(el.value);
for (const el of document.querySelectorAll('[placeholder],[title],[aria-label],[alt]'))
  if (!foreign(el))
    for (const a of ['placeholder', 'title', 'aria-label', 'alt'])
      if (el.getAttribute(a)) texts.push(el.getAttribute(a));
return texts;
"""

TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:/+'\-]*")
HAS_DIGIT = re.compile(r"[0-9]")
HAS_CJK = re.compile(r"[\u3400-\u9fff]")


def latin_words(text):
    """The words of text made of Latin letters only (a token with a digit
    in it is a number, a member number, a ref, a date or a duration: data),
    lowercased, split at '-', '_', '.', ':', '/', '+' and "'"."""
    words = []
    for tok in TOKEN.findall(text):
        if HAS_DIGIT.search(tok):
            continue
        for w in re.split(r"[-_.:/+']+", tok):
            if len(w) >= 2:
                words.append(w.lower())
    return words


def yaml_data_words(path):
    """The ledger's data in central.yaml: names of stations, communities and
    districts, codes, category names and descriptions, the time zone."""
    words = set()
    if not path:
        return words
    with open(path, encoding="utf-8") as f:
        for line in f:
            for m in re.finditer(r"\b(name|description|code|category|time_zone):\s*\"?([^,}\"\n]+)", line):
                words.update(latin_words(m.group(2)))
    return words


class Failure(Exception):
    pass


class Console:
    """A browser on the console, and the day's record of what it saw."""

    def __init__(self, args):
        self.base = args.base.rstrip("/")
        self.test = args.test
        self.data = set(FIXED_LATIN) | yaml_data_words(args.central_yaml)
        self.problems = []
        self.count = 0
        root = os.environ.get("HB_BUILD_DIR", tempfile.gettempdir())
        self.shots = os.path.join(root, "tests", "browser-shots", self.test)
        shutil.rmtree(self.shots, ignore_errors=True)
        os.makedirs(self.shots)
        self.profile = tempfile.mkdtemp(prefix="hb-chromium-")
        self.driver = self._start()

    def _start(self):
        o = webdriver.ChromeOptions()
        o.binary_location = CHROMIUM
        for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--no-first-run", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--disable-extensions", "--user-data-dir=" + self.profile,
                  "--window-size=%d,%d" % SIZES[0]):
            o.add_argument(a)
        d = webdriver.Chrome(service=Service(CHROMEDRIVER), options=o)
        d.set_page_load_timeout(PAGE_WAIT_S)
        self._size(d, SIZES[0])
        return d

    @staticmethod
    def _size(d, size):
        d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                          {"width": size[0], "height": size[1], "deviceScaleFactor": 1, "mobile": False})

    def quit(self):
        try:
            self.driver.quit()
        finally:
            shutil.rmtree(self.profile, ignore_errors=True)

    # ---- the data a Chinese page may show in Latin letters ----

    def typed(self, *texts):
        """Text the test typed or the ledger holds, allowed on any page."""
        for t in texts:
            self.data.update(latin_words(str(t)))

    # ---- pages ----

    def lang(self):
        return (self.driver.find_element(By.TAG_NAME, "html").get_attribute("lang") or "").strip()

    def path(self):
        return urllib.parse.urlparse(self.driver.current_url).path

    def page(self, name):
        """Photographs and checks the page shown, at each size."""
        self.count += 1
        d = self.driver
        lang = self.lang()
        where = "%02d-%s (%s, %s)" % (self.count, name, self.path(), lang)
        for size in SIZES:
            self._size(d, size)
            for p in d.execute_script(OVERFLOW_JS, SLACK_PX):
                self.problems.append("%s at %dx%d: %s" % (where, size[0], size[1], p))
            self._shot("%02d-%s-%dx%d.png" % (self.count, name, size[0], size[1]))
        self._size(d, SIZES[0])
        if lang.lower().startswith("zh"):
            for t in d.execute_script(VISIBLE_TEXT_JS):
                bad = [w for w in latin_words(t) if w not in self.data]
                if bad:
                    self.problems.append("%s: not translated: %s in \"%s\"" % (where, ", ".join(bad),
                                                                                 " ".join(t.split())[:100]))
        print("page %s" % where, flush=True)

    def _shot(self, filename):
        d = self.driver
        m = d.execute_cdp_cmd("Page.getLayoutMetrics", {})
        size = m.get("cssContentSize") or m["contentSize"]
        width = d.execute_script("return window.innerWidth")
        shot = d.execute_cdp_cmd("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": width, "height": max(size["height"], 1), "scale": 1}})
        with open(os.path.join(self.shots, filename), "wb") as f:
            f.write(base64.b64decode(shot["data"]))

    def go(self, path, name):
        self.driver.get(self.base + path)
        self.page(name)

    def submit(self, element_id, name):
        """Clicks button#element_id and waits for the page it brings."""
        old = self.driver.find_element(By.TAG_NAME, "html")
        self.find("#" + element_id).click()
        self.wait_new_page(old)
        self.page(name)

    def wait_new_page(self, old):
        WebDriverWait(self.driver, PAGE_WAIT_S, poll_frequency=POLL_PAGE_S).until(lambda d: self._stale(old))
        WebDriverWait(self.driver, PAGE_WAIT_S, poll_frequency=POLL_PAGE_S).until(
            lambda d: d.execute_script("return document.readyState") == "complete")

    @staticmethod
    def _stale(el):
        try:
            el.tag_name
            return False
        except Exception:
            return True

    # ---- elements ----

    def find(self, css):
        try:
            return self.driver.find_element(By.CSS_SELECTOR, css)
        except NoSuchElementException:
            raise Failure("%s: no %s on the page" % (self.path(), css)) from None

    def has(self, css):
        return len(self.driver.find_elements(By.CSS_SELECTOR, css)) > 0

    def text(self, css):
        return self.find(css).text.strip()

    def fill(self, **fields):
        """Types each value into the field of that id: a select gets the
        option of that value, a checkbox is ticked when the value is true."""
        for field, value in fields.items():
            el = self.find("#" + field)
            tag = el.tag_name.lower()
            if tag == "select":
                Select(el).select_by_value(str(value))
            elif (el.get_attribute("type") or "").lower() == "checkbox":
                if bool(value) != el.is_selected():
                    el.click()
            else:
                el.clear()
                el.send_keys(str(value))

    def fill_occurred(self):
        """The occurred field as the form gives it, or a few minutes ago
        (UTC, the harness's time zone) when the form leaves it empty."""
        if self.has("#occurred") and not self.values("occurred")["occurred"]:
            t = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=5)
            el = self.find("#occurred")
            if (el.get_attribute("type") or "").lower() == "datetime-local":
                # a picker, not typed text: set as the browser keeps it
                self.driver.execute_script("arguments[0].value = arguments[1]", el, t.strftime("%Y-%m-%dT%H:%M"))
            else:
                self.fill(occurred=t.strftime("%Y-%m-%d %H:%M"))

    def values(self, *fields):
        """The current values of the fields (a checkbox: whether ticked)."""
        out = {}
        for field in fields:
            el = self.find("#" + field)
            if (el.get_attribute("type") or "").lower() == "checkbox":
                out[field] = el.is_selected()
            else:
                out[field] = el.get_attribute("value") or ""
        return out

    # ---- what the console shows ----

    def expect(self, cond, what):
        if not cond:
            raise Failure("%s: %s" % (self.path(), what))

    def expect_lang(self, lang):
        self.expect(self.lang() == lang, "html lang is %r, want %r" % (self.lang(), lang))

    def saved_ref(self):
        self.expect(self.has("#saved"), "no #saved after a save (%s)" % self.page_error())
        ref = self.text("#saved-ref")
        self.expect(re.fullmatch(r"[0-9]+:[0-9]+", ref) is not None, "#saved-ref is %r, not STATION:SEQ" % ref)
        return ref

    def page_error(self):
        bits = [e.text.strip() for e in self.driver.find_elements(By.CSS_SELECTOR, "#form-error, .field-error")]
        return "; ".join(b for b in bits if b) or "no error shown"

    def sign_in(self, operator, pin, name="signin"):
        self.typed(operator)
        self.go("/signin", name)
        self.fill(operator=operator, pin=pin)
        self.submit("signin-submit", "home")
        self.expect(self.path() == "/", "sign-in as %s did not lead home (%s)" % (operator, self.page_error()))
        self.expect(operator in self.text("#whoami"), "#whoami %r does not name %s" % (self.text("#whoami"), operator))

    def sign_out(self):
        self.submit("signout", "signed-out")
        self.expect(self.has("#signin-submit"), "sign-out did not lead to the sign-in page")

    def set_lang(self, lang):
        self.submit("lang-zh" if lang.startswith("zh") else "lang-en", "lang-" + lang)
        self.expect_lang("zh-CN" if lang.startswith("zh") else "en")

    def finish(self):
        """Exit status: PROBLEMS_EXIT when any page had problems of layout or
        translation, else 0."""
        self.problems = list(dict.fromkeys(self.problems))   # once each, in order
        if self.problems:
            print("%d problem(s) of layout or translation (screenshots in %s):" % (len(self.problems), self.shots))
            for p in self.problems:
                print("  " + p)
            return PROBLEMS_EXIT
        print("every page clean at %s; screenshots in %s" % (" and ".join("%dx%d" % s for s in SIZES), self.shots))
        return 0


# ---- the C side ----

def ask(words):
    """Asks the C driver (hb_b_script) to do something; its answer."""
    sys.stdout.write("@@ %s\n" % words)
    sys.stdout.flush()
    answer = sys.stdin.readline().strip()
    if answer.startswith("error"):
        raise Failure("the C side could not %s: %s" % (words, answer))
    return answer


def note_saved(console, ref, kind, operator, minutes=None, target=None):
    """Tells the C side an op was saved, for its database check."""
    ask("saved %s %s %s %s%s" % (ref, kind, operator, "-" if minutes is None else minutes,
                                 " " + target if target else ""))
    console.typed(ref)


# ---- plain HTTP, for what a browser will not send ----

def http_request(base, method, path, body=None, headers=None, host=None):
    """One request; (status, headers as a dict of lowercased names to
    lists, body text)."""
    u = urllib.parse.urlparse(base)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=PAGE_WAIT_S)
    try:
        c.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        c.putheader("Host", host if host is not None else u.netloc)
        for k, v in (headers or {}).items():
            c.putheader(k, v)
        data = body.encode() if isinstance(body, str) else body
        if data is not None:
            c.putheader("Content-Length", str(len(data)))
        c.endheaders()
        if data:
            try:
                c.send(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # a server may answer (413) and close before the body is all sent
        r = c.getresponse()
        hdrs = {}
        for k, v in r.getheaders():
            hdrs.setdefault(k.lower(), []).append(v)
        return r.status, hdrs, r.read().decode("utf-8", "replace")
    finally:
        c.close()


def watch_parent():
    """When the C driver dies (a ctest timeout), the script, chromedriver
    and Chromium go too: they are one process group (hb_b_script)."""
    parent = os.getppid()

    def watch():
        while os.getppid() == parent:
            time.sleep(1)
        if os.getpgrp() == os.getpid():   # our own group, as hb_b_script makes it
            os.killpg(0, signal.SIGKILL)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def main(run):
    """Parses the common arguments, runs run(console, args) with the
    browser, and exits 0 only when it passed and every page was clean
    (PROBLEMS_EXIT when it passed but pages were not)."""
    p = argparse.ArgumentParser()
    p.add_argument("--base", required=True, help="the console, http://127.0.0.1:PORT")
    p.add_argument("--test", required=True, help="the test's name (the screenshots' folder)")
    p.add_argument("--central-yaml", help="central.yaml: its names and categories are data")
    p.add_argument("--station", type=int, default=1)
    p.add_argument("--extra", action="append", default=[], help="NAME=VALUE for the script")
    args = p.parse_args()
    args.x = dict(e.split("=", 1) for e in args.extra)
    watch_parent()
    signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(Failure("the script ran out of time")))
    signal.alarm(SCRIPT_LIMIT_S)
    console = None
    rc = 1
    try:
        console = Console(args)
        run(console, args)
        rc = console.finish()
    except Exception:  # a Failure, a timeout, or a bug of the script: the same report
        traceback.print_exc(file=sys.stdout)
        if console:
            console._shot("%02d-FAILED.png" % (console.count + 1))
            console.finish()
            print("failed at %s; screenshots in %s" % (console.driver.current_url, console.shots))
    finally:
        if console:
            console.quit()
    sys.exit(rc)
