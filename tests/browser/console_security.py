"""console_security.py - the console's defences, in a real browser and with
plain HTTP (run by tests/integration/itest_console_security.c).

- every response carries a Content-Security-Policy without 'unsafe-inline'
  and the session cookie is SameSite=Strict and HttpOnly;
- a Host not allowed gets 400, an over-size body 413;
- a save posted without the session's CSRF token is refused (403); one posted
  from another site is refused (403, nothing saved) even with a valid token,
  whether the browser posts it (a page served from 127.0.0.2 submits itself)
  or a request claims another Origin; the same request from the console's
  own origin saves (the control: the forged ones fail for their origin only);
- five wrong PINs lock an operator out: the sixth try, with the right PIN,
  is refused and the page says to wait; after the lock the PIN works;
- every field of every form has a label; signing in and recording a
  service can be done with TAB and ENTER only;
- a session idle longer than console_session_idle (2 s, a second console
  on the same station) asks to sign in again.
"""
import http.server
import threading
import time
import urllib.parse

import hbconsole
from hbconsole import ask, http_request
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

TAB_LIMIT = 40          # TABs to reach a field before giving up
SELECT_KEYS_LIMIT = 12  # arrow keys to reach an option
OVER_SIZE_BYTES = 1024 * 1024
LOCK_WAIT_S = 25       # the lock is 10 s (itest_console_security.c)
POLL_S = 0.5
WRONG_PIN = "000000"
CROSS_SITE_HOST = "127.0.0.2"
SESSION_IDLE_S = 2      # console_session_idle of the second console

# The pages with a form a person fills (the sign-in page is checked too).
FORMS = ("/", "/register", "/record", "/gift", "/donate", "/void", "/passbook")

# Every form control a person fills has a label with text (or an
# aria-label); every button says what it does. The culprits, described.
UNLABELLED_JS = r"""
const bad = [];
for (const el of document.querySelectorAll('input, select, textarea')) {
  if (el.type === 'hidden' || el.type === 'submit' || el.type === 'button') continue;
  const labels = Array.from(el.labels || []).map(l => l.innerText.trim()).filter(t => t);
  if (!labels.length && !(el.getAttribute('aria-label') || '').trim())
    bad.push(el.tagName.toLowerCase() + '#' + el.id + '[name=' + el.name + ']');
}
for (const b of document.querySelectorAll('button'))
  if (!b.innerText.trim() && !(b.getAttribute('aria-label') || '').trim()) bad.push('button#' + b.id);
return bad;
"""

# The fields a form would send, as the browser would send them.
FORM_FIELDS_JS = r"""
const f = arguments[0].form;
const out = [];
for (const [k, v] of new FormData(f)) out.push([k, v]);
return out;
"""


def header(hdrs, name):
    return " ".join(hdrs.get(name, []))


def check_headers(c):
    """CSP and cookie attributes on the sign-in page, a 404 and an asset."""
    for path in ("/signin", "/no-such-page"):
        status, hdrs, _ = http_request(c.base, "GET", path)
        csp = header(hdrs, "content-security-policy")
        c.expect(csp != "", "GET %s (%d): no Content-Security-Policy" % (path, status))
        c.expect("unsafe-inline" not in csp and "unsafe-eval" not in csp, "GET %s: CSP allows inline: %r" % (path, csp))
        c.expect("default-src 'none'" in csp or "script-src" in csp, "GET %s: CSP restricts no script: %r" % (path, csp))
    status, hdrs, _ = http_request(c.base, "GET", "/signin")
    c.expect(status == 200, "GET /signin: %d" % status)
    cookies = hdrs.get("set-cookie", [])
    c.expect(cookies, "GET /signin sets no session cookie")
    for ck in cookies:
        attrs = [a.strip().lower() for a in ck.split(";")]
        c.expect("samesite=strict" in attrs, "cookie without SameSite=Strict: %r" % ck)
        c.expect("httponly" in attrs, "cookie without HttpOnly: %r" % ck)
    status, _, _ = http_request(c.base, "GET", "/no-such-page")
    c.expect(status in (404, 303, 302), "GET /no-such-page: %d" % status)


def check_host_and_size(c):
    port = urllib.parse.urlparse(c.base).port
    status, _, _ = http_request(c.base, "GET", "/signin", host="127.0.0.1:%d" % port)
    c.expect(status == 200, "Host 127.0.0.1:%d got %d, want 200" % (port, status))
    for host in ("evil.example", "evil.example:%d" % port, "127.0.0.1.evil.example"):
        status, _, _ = http_request(c.base, "GET", "/signin", host=host)
        c.expect(status == 400, "Host %s got %d, want 400" % (host, status))
    body = "operator=" + "x" * OVER_SIZE_BYTES
    status, _, _ = http_request(c.base, "POST", "/signin", body=body,
                                headers={"Content-Type": "application/x-www-form-urlencoded"})
    c.expect(status == 413, "a %d-byte POST got %d, want 413" % (len(body), status))


def outbox_ops():
    return int(ask("outbox-ops").split()[1])


def register(c, name, year, role):
    c.go("/register", "register")
    c.fill(name=name, birth_year=year, role=role, confirm_new=True)
    c.typed(name)
    c.submit("submit", "registered")
    c.expect(c.has("#new-member-no"), "registering %s: %s" % (name, c.page_error()))
    no = c.text("#new-member-no")
    c.typed(no)
    return no


def checked_record(c, vol, elder, minutes_text):
    """The record form filled and checked in the browser; the fields its
    save button would send (a fresh request id each time)."""
    c.go("/record", "record")
    c.fill(provider=vol, recipient=elder, category="personal-care", duration=minutes_text, note="跨站测试")
    c.fill_occurred()
    c.submit("check", "record-check")
    save = c.find("#save")
    fields = c.driver.execute_script(FORM_FIELDS_JS, save)
    fields.append([save.get_attribute("name") or "action", save.get_attribute("value") or "save"])
    return fields


def post_record(c, fields, origin=None, with_cookie=True):
    cookie = c.driver.get_cookie("hb_session")
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if with_cookie and cookie:
        headers["Cookie"] = "hb_session=" + cookie["value"]
    if origin:
        headers["Origin"] = origin
        headers["Sec-Fetch-Site"] = "cross-site"
    return http_request(c.base, "POST", "/record", body=urllib.parse.urlencode([tuple(kv) for kv in fields]), headers=headers)


def check_forgery(c, vol, elder):
    """Plain HTTP: the control saves; without the token, or from another
    origin with it, nothing is saved."""
    before = outbox_ops()
    fields = checked_record(c, vol, elder, "1h")
    status, _, body = post_record(c, fields)
    c.expect(status == 200 and 'id="saved"' in body, "the control post from the console's origin did not save (%d)"
             % status)
    c.expect(outbox_ops() == before + 1, "the control post saved %d ops" % (outbox_ops() - before))
    before += 1
    fields = checked_record(c, vol, elder, "1h")
    no_token = [kv for kv in fields if kv[0] != "csrf"]
    status, _, body = post_record(c, no_token)
    c.expect(status == 403, "a post without the csrf field got %d, want 403" % status)
    wrong = [[k, "0" * 64 if k == "csrf" else v] for k, v in fields]
    status, _, body = post_record(c, wrong)
    c.expect(status == 403, "a post with a wrong csrf got %d, want 403" % status)
    status, _, body = post_record(c, fields, origin="http://%s:8000" % CROSS_SITE_HOST)
    c.expect(status == 403, "a post from another origin with a valid token got %d, want 403" % status)
    status, _, body = post_record(c, fields, with_cookie=False)
    c.expect(status == 403, "a post without the session cookie got %d, want 403" % status)
    c.expect(outbox_ops() == before, "forged posts saved %d ops" % (outbox_ops() - before))
    c.driver.refresh()


class _Forger(http.server.BaseHTTPRequestHandler):
    page = b""

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(self.page)

    def log_message(self, *a):
        pass


def check_cross_site_browser(c, vol, elder):
    """A page of another site makes the signed-in browser post a complete
    save, valid token included, to the console: refused, nothing saved."""
    fields = checked_record(c, vol, elder, "2h")
    inputs = "".join('<input type="hidden" name="%s" value="%s">' % (k, v.replace('"', "&quot;")) for k, v in fields)
    page = ('<!doctype html><html><body><form id="f" method="post" action="%s/record">%s</form>'
            '<script>document.getElementById("f").submit();</script></body></html>' % (c.base, inputs))
    _Forger.page = page.encode()
    srv = http.server.HTTPServer((CROSS_SITE_HOST, 0), _Forger)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        before = outbox_ops()
        c.driver.get("http://%s:%d/" % (CROSS_SITE_HOST, srv.server_address[1]))
        hbconsole.WebDriverWait(c.driver, hbconsole.PAGE_WAIT_S).until(
            lambda d: d.current_url.startswith(c.base))
        hbconsole.WebDriverWait(c.driver, hbconsole.PAGE_WAIT_S).until(
            lambda d: d.execute_script("return document.readyState") == "complete")
        c.page("cross-site-refused")
        c.expect(c.has("#refused"), "the cross-site post was not answered with #refused")
        c.expect(not c.has("#saved"), "the cross-site post shows #saved")
        c.expect(outbox_ops() == before, "the cross-site post saved %d ops" % (outbox_ops() - before))
    finally:
        srv.shutdown()
        srv.server_close()
    for ck in c.driver.get_cookies():
        c.expect(ck.get("sameSite") == "Strict", "browser cookie %s is SameSite=%s" % (ck["name"], ck.get("sameSite")))
        c.expect(ck.get("httpOnly"), "browser cookie %s is not HttpOnly" % ck["name"])


def check_labels(c):
    for path in FORMS:
        c.go(path, "labels-" + path.strip("/").split("?")[0].replace("/", "-") or "home")
        bad = c.driver.execute_script(UNLABELLED_JS)
        c.expect(not bad, "%s: controls without a label: %s" % (path, ", ".join(bad)))
        filled = c.driver.find_elements(By.CSS_SELECTOR, "main input:not([type=hidden]), main select, main textarea")
        c.expect(len(filled) > 0, "%s: no form to fill (%s)" % (path, c.driver.title))


# ---- keyboard only ----

def active_id(c):
    return c.driver.execute_script("return document.activeElement ? document.activeElement.id : ''")


def keys(c, *k):
    ActionChains(c.driver).send_keys(*k).perform()


def tab_to(c, element_id):
    for _ in range(TAB_LIMIT):
        if active_id(c) == element_id:
            return
        keys(c, Keys.TAB)
    c.expect(False, "#%s cannot be reached with TAB (%d presses)" % (element_id, TAB_LIMIT))


def type_by_keyboard(c, fields):
    """TAB to each field in turn and type its value; a select is set with
    the arrow keys."""
    for field, value in fields.items():
        tab_to(c, field)
        el = c.find("#" + field)
        if el.tag_name.lower() == "select":
            if el.get_attribute("value") != value:
                keys(c, Keys.HOME)
            for _ in range(SELECT_KEYS_LIMIT):
                if el.get_attribute("value") == value:
                    break
                keys(c, Keys.ARROW_DOWN)
            c.expect(el.get_attribute("value") == value, "#%s: option %r not reached with the arrow keys" % (field, value))
        else:
            if el.get_attribute("value"):
                ActionChains(c.driver).key_down(Keys.CONTROL).send_keys("a").key_up(Keys.CONTROL).perform()
            keys(c, value)


def press_enter_on(c, element_id, name):
    tab_to(c, element_id)
    old = c.find("html")
    keys(c, Keys.ENTER)
    c.wait_new_page(old)
    c.page(name)


def keyboard_sign_in(c, operator, pin):
    c.typed(operator)
    c.go("/signin", "keyboard-signin")
    bad = c.driver.execute_script(UNLABELLED_JS)
    c.expect(not bad, "/signin: controls without a label: %s" % ", ".join(bad))
    c.driver.find_element(By.TAG_NAME, "body").click()
    type_by_keyboard(c, {"operator": operator, "pin": pin})
    press_enter_on(c, "signin-submit", "keyboard-home")
    c.expect(c.path() == "/" and operator in c.text("#whoami"), "signing in by keyboard failed: %s" % c.page_error())


def keyboard_record(c, vol, elder):
    before = outbox_ops()
    c.go("/record", "keyboard-record")
    fields = {"provider": vol, "recipient": elder, "category": "personal-care", "duration": "45m"}
    occurred = c.values("occurred")["occurred"]
    type_by_keyboard(c, fields)
    if not occurred:
        c.fill_occurred()
        occurred = c.values("occurred")["occurred"]
    press_enter_on(c, "check", "keyboard-check")
    c.expect(c.has("#payer"), "check by keyboard: no #payer (%s)" % c.page_error())
    press_enter_on(c, "save", "keyboard-saved")
    c.saved_ref()
    c.expect(outbox_ops() == before + 1, "saving by keyboard saved %d ops" % (outbox_ops() - before))


# ---- sign-in lockout and session expiry ----

def try_pin(c, operator, pin, name):
    c.typed(operator)
    c.go("/signin", name)
    c.fill(operator=operator, pin=pin)
    c.submit("signin-submit", name + "-answer")
    return c.path() == "/" and c.has("#whoami")


def check_lockout(c, operator, pin):
    texts = []
    for i in range(5):
        c.expect(not try_pin(c, operator, WRONG_PIN, "wrong-pin-%d" % (i + 1)), "a wrong PIN signed in")
        texts.append(c.text("#form-error"))
        c.expect(texts[-1] != "", "wrong PIN %d: no #form-error" % (i + 1))
    c.expect(not try_pin(c, operator, pin, "locked"), "the right PIN signed in after five wrong ones")
    locked = c.text("#form-error")
    c.expect(any(ch.isdigit() for ch in locked), "the lockout does not say how long to wait: %r" % locked)
    c.expect(locked != texts[0], "the lockout reads as a wrong PIN: %r" % locked)
    end = time.time() + LOCK_WAIT_S
    while not try_pin(c, operator, pin, "after-lock"):
        c.expect(time.time() < end, "the right PIN still refused %d s after the lock: %r" % (LOCK_WAIT_S, c.page_error()))
        time.sleep(POLL_S)
    c.sign_out()


def check_expiry(c, quick, operator, pin):
    """On the console whose sessions end after 2 s idle: still signed in
    a moment after signing in, asked to sign in again after 3 s idle. The
    photographs are taken between requests, so they do not count as use."""
    main_base = c.base
    c.base = quick
    try:
        c.typed(operator)
        c.go("/signin", "quick-signin")
        c.fill(operator=operator, pin=pin)
        old = c.find("html")
        c.find("#signin-submit").click()
        c.wait_new_page(old)
        c.driver.get(c.base + "/")
        last = time.time()
        c.expect(c.has("#whoami"), "not signed in on the console of 2 s sessions (%s)" % c.page_error())
        c.page("quick-home")
        time.sleep(max(0.0, last + SESSION_IDLE_S + 1 - time.time()))
        c.go("/", "quick-expired")
        c.expect(c.path() == "/signin" and c.has("#signin-submit") and not c.has("#whoami"),
                 "after %d s idle (limit %d s) / shows %s, not the sign-in page" %
                 (SESSION_IDLE_S + 1, SESSION_IDLE_S, c.path()))
        c.sign_in(operator, pin, "quick-signin-again")
    finally:
        c.base = main_base


def run(c, args):
    op, pin = args.x["op"], args.x["pin"]
    check_headers(c)
    check_host_and_size(c)
    keyboard_sign_in(c, op, pin)
    check_labels(c)
    vol = register(c, "安全测试员", "1979", "volunteer")
    elder = register(c, "周奶奶", "1936", "elder")
    keyboard_record(c, vol, elder)
    check_forgery(c, vol, elder)
    check_cross_site_browser(c, vol, elder)
    c.go("/", "home")
    c.sign_out()
    check_lockout(c, args.x["locked_op"], args.x["locked_pin"])
    check_expiry(c, args.x["quick"], op, pin)


if __name__ == "__main__":
    hbconsole.main(run)
