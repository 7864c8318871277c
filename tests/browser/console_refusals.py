"""console_refusals.py - every refusal of the console's forms comes back
with its reason next to its field, translated, the form still filled (run
by tests/integration/itest_console_refusals.c), in Chinese and in English.

Refused (nothing saved): a birth year out of range, a phone that is not
one, an unknown member number, a mistyped one (check digit), a service of
a member to herself, a duration over the cap of one record, a duration
without a unit, a void of an op the station never issued, a ref that is no
ref. Cautions (saved, central decides): a recipient without the hours to
pay, a provider over the daily limit; central then rejects both, and the
queue shows them with the reason in words, each can be dismissed.
"""
import time

import hbconsole

CJK = hbconsole.HAS_CJK
REJECT_WAIT_S = 30
POLL_S = 0.5

# A refusal's text must not be these (a code or a key, not words).
NOT_WORDS = ("UNKNOWN_MEMBER", "INVALID_DURATION", "SELF_SERVICE", "UNKNOWN_OPERATION", "role=", "member=")

# Where each refusal lands: JS over the document, the form control (input,
# select, textarea) that comes last before the error element, by id.
FIELD_BEFORE_JS = r"""
const err = arguments[0];
let before = null;
for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea, p.field-error')) {
  if (el === err) return before ? before.id : null;
  if (el.tagName !== 'P') before = el;
}
return null;
"""

NAMES = {
    "zh_CN": {"vol": ("赵志强", "1975", "volunteer"), "poor": ("孙丽", "1990", "elder"),
              "old": ("钱大爷", "1938", "elder"), "note": "陪聊天", "reason": "没有这笔"},
    "en": {"vol": ("David Qian", "1976", "volunteer"), "poor": ("Emma Sun", "1991", "elder"),
           "old": ("Frank Li", "1937", "elder"), "note": "a chat", "reason": "never happened"},
}


def check_words(c, text, lang, what):
    c.expect(text != "", "%s: the refusal is empty" % what)
    for w in NOT_WORDS:
        c.expect(w not in text, "%s: the refusal shows %r, not words: %r" % (what, w, text))
    if lang == "zh_CN":
        c.expect(CJK.search(text) is not None, "%s: the refusal is not in Chinese: %r" % (what, text))
    else:
        c.expect(CJK.search(text) is None, "%s: the English refusal has Chinese in it: %r" % (what, text))


def refused(c, lang, path, button, fields, field, what, kept=None):
    """Fills the form at path, presses button, and expects #err-FIELD right
    after the field, in words of lang, the form as typed, nothing saved."""
    c.go(path, what)
    c.fill(**fields)
    c.fill_occurred()
    typed = c.values(*(kept or fields.keys()))
    c.typed(*[v for v in fields.values() if isinstance(v, str)])
    c.submit(button, what + "-refused")
    c.expect(not c.has("#saved"), "%s: saved, should be refused" % what)
    c.expect(c.has("#err-" + field), "%s: no #err-%s (shown: %s)" % (what, field, c.page_error()))
    err = c.find("#err-" + field)
    c.expect("field-error" in (err.get_attribute("class") or "").split(), "#err-%s has no class field-error" % field)
    c.expect(err.tag_name.lower() == "p", "#err-%s is a <%s>, not a <p>" % (field, err.tag_name))
    before = c.driver.execute_script(FIELD_BEFORE_JS, err)
    c.expect(before == field, "%s: #err-%s comes after field %r, not after #%s" % (what, field, before, field))
    check_words(c, err.text.strip(), lang, what)
    now = c.values(*typed.keys())
    c.expect(now == typed, "%s: the form came back as %r, typed %r" % (what, now, typed))
    return err.text.strip()


def register(c, name, year, role):
    c.go("/register", "register")
    c.fill(name=name, birth_year=year, role=role, confirm_new=True)
    c.typed(name)
    c.submit("submit", "registered")
    c.expect(c.has("#new-member-no"), "registering %s: %s" % (name, c.page_error()))
    no = c.text("#new-member-no")
    c.typed(no)
    return no


def with_caution(c, lang, fields, what):
    """A service the station saves with a caution: check, then save; the
    saved page shows #cautions in words."""
    c.go("/record", what)
    c.fill(**fields)
    c.fill_occurred()
    c.submit("check", what + "-check")
    c.expect(c.has("#payer"), "%s: no #payer after check (%s)" % (what, c.page_error()))
    if c.has("#cautions"):
        check_words(c, c.text("#cautions"), lang, what + " (at check)")
    c.submit("save", what + "-saved")
    ref = c.saved_ref()
    c.expect(c.has("#cautions"), "%s: saved %s without #cautions" % (what, ref))
    check_words(c, c.text("#cautions"), lang, what)
    c.typed(ref)
    return ref


def save_service(c, fields, what):
    c.go("/record", what)
    c.fill(**fields)
    c.fill_occurred()
    c.submit("check", what + "-check")
    c.submit("save", what + "-saved")
    return c.saved_ref()


def refusals(c, args, lang):
    n = NAMES[lang]
    unknown, mistyped = args.x["unknown"], args.x["mistyped"]
    c.typed(unknown, mistyped)
    station = str(args.station)
    c.go("/register", "register")
    reg = {"name": n["vol"][0], "birth_year": "1850", "role": "volunteer", "phone": "+86 25 8888-1234"}
    refused(c, lang, "/register", "submit", reg, "birth_year", "birth-year")
    reg = {"name": n["vol"][0], "birth_year": "1975", "role": "volunteer", "phone": "call me"}
    refused(c, lang, "/register", "submit", reg, "phone", "phone")

    vol = register(c, *n["vol"])
    poor = register(c, *n["poor"])
    old = register(c, *n["old"])
    svc = {"provider": unknown, "recipient": old, "category": "personal-care", "duration": "1h", "note": n["note"]}
    refused(c, lang, "/record", "check", svc, "provider", "unknown-member")
    svc = dict(svc, provider=vol, recipient=mistyped)
    refused(c, lang, "/record", "check", svc, "recipient", "mistyped-member")
    svc = dict(svc, recipient=vol)
    texts = refused_anywhere(c, lang, svc, "self-service")
    svc = dict(svc, recipient=old, duration="25h")
    refused(c, lang, "/record", "check", svc, "duration", "over-cap")
    svc = dict(svc, duration="45")
    refused(c, lang, "/record", "check", svc, "duration", "no-unit")
    refused(c, lang, "/void", "submit", {"ref": station + ":9999", "reason": n["reason"]}, "ref", "void-unknown")
    refused(c, lang, "/void", "submit", {"ref": "yesterday", "reason": n["reason"]}, "ref", "void-no-ref")

    # cautions: central decides; it rejects both
    poor_ref = with_caution(c, lang, {"provider": vol, "recipient": poor, "category": "companionship",
                                      "duration": "1h", "note": n["note"]}, "insufficient")
    save_service(c, {"provider": vol, "recipient": old, "category": "personal-care", "duration": "11h",
                     "note": n["note"]}, "long-day")
    limit_ref = with_caution(c, lang, {"provider": vol, "recipient": old, "category": "personal-care",
                                       "duration": "2h", "note": n["note"]}, "daily-limit")
    return texts, [poor_ref, limit_ref]


def refused_anywhere(c, lang, fields, what):
    """A refusal not tied to one field may be in #form-error or next to a
    field: either way in words, the form kept."""
    c.go("/record", what)
    c.fill(**fields)
    c.fill_occurred()
    typed = c.values(*fields.keys())
    c.submit("check", what + "-refused")
    c.expect(not c.has("#saved"), "%s: saved, should be refused" % what)
    shown = c.page_error()
    c.expect(shown != "no error shown", "%s: no refusal shown" % what)
    check_words(c, shown, lang, what)
    c.expect(c.values(*typed.keys()) == typed, "%s: the form was not kept" % what)
    return shown


def rejected_in_queue(c, lang, refs):
    """Central rejected the two saved with cautions: the queue shows them
    with their reasons in words; one is dismissed."""
    end = time.time() + REJECT_WAIT_S
    while True:
        c.driver.get(c.base + "/queue")
        rows = c.driver.find_elements(hbconsole.By.CSS_SELECTOR, "table#rejected tr.op")
        text = " ".join(r.text for r in rows)
        if all(r in text for r in refs) or time.time() > end:
            break
        time.sleep(POLL_S)
    c.page("queue-rejected")
    for ref in refs:
        c.expect(ref in text, "rejected op %s not in table#rejected: %r" % (ref, text))
    for r in rows:
        if any(ref in r.text for ref in refs):
            reason = r.find_element(hbconsole.By.CSS_SELECTOR, "td.reason").text.strip()
            check_words(c, reason, lang, "the reason of a rejected op")
    row = [r for r in rows if refs[0] in r.text][0]
    old = c.find("html")
    row.find_element(hbconsole.By.CSS_SELECTOR, "button.dismiss").click()
    c.wait_new_page(old)
    c.page("queue-dismissed")
    c.driver.get(c.base + "/queue")
    left = " ".join(r.text for r in c.driver.find_elements(hbconsole.By.CSS_SELECTOR, "table#rejected tr.op"))
    c.expect(refs[0] not in left, "dismissed op %s still in table#rejected" % refs[0])
    c.expect(refs[1] in left, "op %s gone from table#rejected though not dismissed" % refs[1])


def run(c, args):
    c.sign_in(args.x["op"], args.x["pin"])
    c.expect_lang("zh-CN")
    zh_texts, zh_refs = refusals(c, args, "zh_CN")
    rejected_in_queue(c, "zh_CN", zh_refs)
    c.set_lang("en")
    en_texts, en_refs = refusals(c, args, "en")
    c.expect(zh_texts != en_texts, "the self-service refusal reads the same in both languages: %r" % en_texts)
    rejected_in_queue(c, "en", en_refs)
    c.sign_out()


if __name__ == "__main__":
    hbconsole.main(run)
