/* console_router.c - which page answers which path; every page but
 * signing in needs a signed-in operator (else: to /signin). */
#include "console.h"
#include "hb_assert.h"
#include "hb_i18n.h"
#include "hb_wire.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

typedef struct {
    const char *path;        /* exact, or a prefix when it ends in '/' */
    hb_console_page_fn fn;
    bool open;               /* answered without a signed-in operator */
} route_t;

static const route_t routes[] = {
    {"/signin", hb_console_page_signin, true},
    {"/lang", hb_console_page_lang, true},
    {"/signout", hb_console_page_signout, false},
    {"/", hb_console_page_home, false},
    {"/find", hb_console_page_find, false},
    {"/member/", hb_console_page_member, false},
    {"/register", hb_console_page_register, false},
    {"/record", hb_console_page_record, false},
    {"/gift", hb_console_page_gift, false},
    {"/donate", hb_console_page_donate, false},
    {"/void", hb_console_page_void, false},
    {"/queue", hb_console_page_queue, false},
    {"/queue/dismiss", hb_console_page_dismiss, false},
    {"/passbook", hb_console_page_passbook, false},
    {"/rules", hb_console_page_rules, false},
};

static const route_t *
route_of(const char *path, const char **rest)
{
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        const char *p = routes[i].path;
        size_t len = strlen(p);
        bool prefix = len > 1 && p[len - 1] == '/';
        if (prefix ? strncmp(path, p, len) == 0 : strcmp(path, p) == 0) {
            *rest = path + (prefix ? len : strlen(path));
            return &routes[i];
        }
    }
    return NULL;
}

static void
not_found(hb_console_t *c, hb_web_req_t *req)
{
    hb_web_status(req, 404);
    hb_console_page_begin(c, req, _("Not found"));
    hb_web_html(req, "<p id=\"refused\">%s</p><p><a href=\"/\">%s</a></p>",
                _("There is no such page in the console."), _("back to the start"));
    hb_console_page_end(c, req);
}

void
hb_console_handle(void *arg, hb_web_req_t *req)
{
    hb_console_t *c = arg;
    c->now = (int64_t) time(NULL);
    c->status_asked = false;
    c->station_silent = false;
    const char *rest = "";
    const route_t *r = route_of(hb_web_path(req), &rest);
    if (!r) {
        not_found(c, req);
    } else if (!r->open && !hb_web_operator(req)) {
        hb_web_redirect(req, hb_web_expired(req) ? "/signin?ended=1" : "/signin");
    } else {
        r->fn(c, req, rest);
    }
    hb_wire_free(&c->status);
}
