"""console_day.py - an operator's whole day at the console, in Chinese and
again in English (run by tests/integration/itest_console_day.c).

Each day: sign in, register three members (the third a family member of
the first, as gifts in the harness's district GULOU go within a family),
record services (who pays shown before saving), find a member by part of
the name and open the member's page, gift, void with a reason, donate,
print the passbook, read the rules, sign out. Mid-day central stops (the C side stops it): the banner
appears, work is still saved and waits in the queue; central starts again
and the queue drains.

Every op saved is told to the C side (note_saved), which checks central's
database afterwards; so are the balances the day should leave:
  volunteer: 2h earned - 30m gift (+ 1h entered by mistake, voided) = 90m
  elder (born 1940, 80+): personal care paid by the guarantee     =  0m
  family member: 1h30m earned + 30m gift - 15m donated to the pool = 105m
"""
import re
import time

import hbconsole
from hbconsole import ask, note_saved

# Bounded waits, in seconds.
BANNER_WAIT_S = 20
DRAIN_WAIT_S = 60
POLL_S = 0.5

DAYS = {
    "zh_CN": {
        "html": "zh-CN",
        "members": [("王芳", "1980", "volunteer"), ("李秀英", "1940", "elder"), ("王小明", "2005", "volunteer")],
        "relation": "儿子",
        "find": "王",
        "gift_note": "生日礼物",
        "note": "帮忙洗澡",
        "void_reason": "录错了，重复录入",
        "donate_note": "捐给需要的老人",
    },
    "en": {
        "html": "en",
        "members": [("Alice Zhou", "1981", "volunteer"), ("Bob Sun", "1941", "elder"),
                    ("Carol Zhou", "2004", "volunteer")],
        "relation": "daughter",
        "find": "zhou",
        "gift_note": "birthday present",
        "note": "helped with bathing",
        "void_reason": "entered twice by mistake",
        "donate_note": "for those in need",
    },
}
CJK = hbconsole.HAS_CJK


def nav(c, link, name):
    """Follows nav link a#link (every task is one click from any page)."""
    old = c.find("html")
    c.find("a#" + link).click()
    c.wait_new_page(old)
    c.page(name)


def expect_words(c, css, lang, what):
    """The text of css is there, and in Chinese when the page is."""
    t = c.text(css)
    c.expect(t != "", "%s (%s) is empty" % (css, what))
    if lang == "zh_CN":
        c.expect(CJK.search(t), "%s (%s) is not in Chinese: %r" % (css, what, t))
    return t


def register(c, lang, name, year, role, family_of=None, relation=None):
    nav(c, "nav-register", "register")
    c.fill(name=name, birth_year=year, role=role, phone="+86 25 8888-1234", confirm_new=True)
    if family_of:
        c.fill(family_of=family_of, relation=relation)
    c.typed(name)
    c.submit("submit", "registered")
    c.expect(c.has("#new-member-no"), "no #new-member-no after registering %s (%s)" % (name, c.page_error()))
    no = c.text("#new-member-no")
    c.expect(re.fullmatch(r"[A-Z0-9]+-[0-9]+-[0-9A-Z]", no) is not None, "#new-member-no %r is no member number" % no)
    c.typed(no)
    return no


def record(c, lang, operator, provider, recipient, category, duration, minutes, note):
    """Records a service: check shows who pays, the form kept; then save."""
    nav(c, "nav-record", "record")
    c.fill(provider=provider, recipient=recipient, category=category, duration=duration, note=note)
    c.fill_occurred()
    typed = c.values("provider", "recipient", "category", "duration", "occurred", "note")
    c.submit("check", "record-check")
    c.expect(c.has("#payer"), "no #payer after check (%s)" % c.page_error())
    expect_words(c, "#payer", lang, "who pays")
    c.expect(c.values(*typed) == typed, "the form after check is %r, typed %r" % (c.values(*typed), typed))
    c.submit("save", "record-saved")
    ref = c.saved_ref()
    note_saved(c, ref, "service", operator, minutes)
    return ref


def queue_rows(c, table):
    return len(c.driver.find_elements(hbconsole.By.CSS_SELECTOR, "table#%s tr.op" % table))


def wait_banner(c, shown):
    """Reloads home until #offline-banner is (not) there."""
    end = time.time() + BANNER_WAIT_S
    while True:
        c.driver.get(c.base + "/")
        if c.has("#offline-banner") == shown or time.time() > end:
            break
        time.sleep(POLL_S)
    c.page("home-offline" if shown else "home-online")
    c.expect(c.has("#offline-banner") == shown,
             "#offline-banner %s after %d s" % ("not shown" if shown else "still shown", BANNER_WAIT_S))


def wait_drained(c):
    end = time.time() + DRAIN_WAIT_S
    while True:
        c.driver.get(c.base + "/queue")
        if queue_rows(c, "pending") == 0 or time.time() > end:
            break
        time.sleep(POLL_S)
    c.page("queue-drained")
    c.expect(queue_rows(c, "pending") == 0, "the queue still has %d pending after %d s" %
             (queue_rows(c, "pending"), DRAIN_WAIT_S))


def find_member(c, lang, q, name, no):
    """Home's search by part of the name, then the member's page."""
    nav(c, "nav-home", "home")
    c.fill(q=q)
    c.typed(q)
    old = c.find("html")
    c.find("form#find").submit()
    c.wait_new_page(old)
    c.page("find")
    links = c.driver.find_elements(hbconsole.By.CSS_SELECTOR, "table#results a.member-link")
    hrefs = [a.get_attribute("href") for a in links]
    c.expect(any(h.endswith("/member/" + no) for h in hrefs), "find %r: no link to %s in %r" % (q, no, hrefs))
    c.driver.get(c.base + "/member/" + no)
    c.page("member")
    c.expect(c.text("#m-name") == name, "#m-name %r, want %r" % (c.text("#m-name"), name))
    c.expect(c.text("#m-number") == no, "#m-number %r, want %r" % (c.text("#m-number"), no))
    for f in ("#m-synced", "#m-pending-in", "#m-pending-out", "#m-available", "#m-as-of"):
        c.expect(c.text(f) != "", "%s is empty" % f)
    for a in ("a#act-record", "a#act-gift", "a#act-donate", "a#act-passbook"):
        c.expect(no in (c.find(a).get_attribute("href") or ""), "%s is not prefilled with %s" % (a, no))


def one_day(c, lang, operator, pin):
    d = DAYS[lang]
    c.sign_in(operator, pin)
    if lang == "en":
        c.set_lang("en")       # the station's default is Chinese
    c.expect_lang(d["html"])

    (n1, y1, r1), (n2, y2, r2), (n3, y3, r3) = d["members"]
    vol = register(c, lang, n1, y1, r1)
    ask("registered %s %s" % (vol, operator))
    elder = register(c, lang, n2, y2, r2)
    ask("registered %s %s" % (elder, operator))
    kin = register(c, lang, n3, y3, r3, family_of=vol, relation=d["relation"])
    ask("registered %s %s" % (kin, operator))
    c.typed(d["relation"])

    record(c, lang, operator, vol, elder, "personal-care", "2h", 120, d["note"])
    find_member(c, lang, d["find"], n1, vol)

    # central goes away: the banner says so, work is still saved and waits
    ask("central stop")
    wait_banner(c, True)
    expect_words(c, "#offline-banner", lang, "the offline banner")
    offline = [record(c, lang, operator, kin, elder, "personal-care", "1h30m", 90, d["note"])]
    nav(c, "nav-gift", "gift")
    c.fill(**{"from": vol, "to": kin, "duration": "30m", "note": d["gift_note"]})
    c.submit("submit", "gift-saved")
    offline.append(c.saved_ref())
    note_saved(c, offline[-1], "gift", operator, 30)
    c.expect(c.has("#offline-banner"), "no #offline-banner on the saved gift while central is down")
    nav(c, "nav-queue", "queue-offline")
    pending = c.text("table#pending")
    for ref in offline:
        c.expect(ref in pending, "op %s saved offline is not in table#pending: %r" % (ref, pending))

    # central is back: the queue drains
    ask("central start")
    wait_drained(c)
    wait_banner(c, False)

    mistake = record(c, lang, operator, vol, elder, "personal-care", "1h", 60, d["note"])
    nav(c, "nav-void", "void")
    c.fill(ref=mistake, reason=d["void_reason"])
    c.submit("submit", "void-saved")
    note_saved(c, c.saved_ref(), "void", operator, None, mistake)

    nav(c, "nav-donate", "donate")
    c.fill(member=kin, duration="15m", note=d["donate_note"])
    c.submit("submit", "donate-saved")
    note_saved(c, c.saved_ref(), "donation", operator, 15)

    passbook(c, lang, vol, n1)
    nav(c, "nav-rules", "rules")
    c.expect(c.text("#rules") != "", "#rules is empty")
    ask("balance %s %d" % (vol, 90))
    ask("balance %s %d" % (elder, 0))
    ask("balance %s %d" % (kin, 105))
    c.sign_out()


def passbook(c, lang, no, name):
    """The passbook form, then the printable passbook (also as printed)."""
    nav(c, "nav-passbook", "passbook-form")
    c.fill(member=no)
    old = c.find("html")
    c.find("#member").submit()
    c.wait_new_page(old)
    c.page("passbook")
    book = c.text("#passbook")
    c.expect(no in book and name in book, "#passbook does not name %s %s" % (name, no))
    c.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        c.page("passbook-print")
    finally:
        c.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})


def run(c, args):
    one_day(c, "zh_CN", args.x["op_zh"], args.x["pin_zh"])
    one_day(c, "en", args.x["op_en"], args.x["pin_en"])


if __name__ == "__main__":
    hbconsole.main(run)
