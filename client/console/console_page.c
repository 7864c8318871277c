/* console_page.c - the frame of every page (head, header, nav, the
 * offline banner) and the form pieces every page uses, so each looks and
 * behaves the same: a visible label on every field, the problem right
 * after its field, keyboard order = reading order. Text enters a page only
 * through hb_web_html() (common/web/hb_web.h), which escapes it. */
#include "console.h"
#include "cli_format.h"
#include "hb_assert.h"
#include "hb_i18n.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    const char *id;
    const char *href;
    const char *label;
} nav_t;

static const nav_t nav[] = {
    {"nav-home", "/", N_("Home")},
    {"nav-register", "/register", N_("Register a member")},
    {"nav-record", "/record", N_("Record a service")},
    {"nav-gift", "/gift", N_("Gift")},
    {"nav-donate", "/donate", N_("Donate")},
    {"nav-void", "/void", N_("Void")},
    {"nav-queue", "/queue", N_("Queue")},
    {"nav-passbook", "/passbook", N_("Passbook")},
    {"nav-rules", "/rules", N_("Rules")},
};

static const char *
html_lang(void)
{
    return strcmp(hb_i18n_lang(), "zh_CN") == 0 ? "zh-CN" : "en";
}

/* The two language buttons: each names its language in that language. */
static void
lang_form(hb_web_req_t *req)
{
    hb_console_form_begin(req, "/lang", "lang-form");
    hb_web_html(req, "<input type=\"hidden\" name=\"back\" value=\"%s\">", hb_web_path(req));
    hb_web_raw(req, "<button type=\"submit\" id=\"lang-zh\" name=\"lang\" value=\"zh_CN\" lang=\"zh-CN\">中文</button>"
                    "<button type=\"submit\" id=\"lang-en\" name=\"lang\" value=\"en\" lang=\"en\">English</button>");
    hb_console_form_end(req);
}

static void
header(hb_console_t *c, hb_web_req_t *req)
{
    const char *who = hb_web_operator(req);
    hb_web_html(req, "<header class=\"top\"><p class=\"brand\">%s</p>", _("Time bank"));
    hb_web_html(req, "<p class=\"station\">%s ", _("community"));
    hb_web_html(req, "%s · ", c->conf->community);
    hb_web_html(req, _("station %u"), (unsigned) c->conf->station_id);
    hb_web_raw(req, "</p><div class=\"who\">");
    if (who) {
        hb_web_html(req, "<p>%s <strong id=\"whoami\">%s</strong></p>", _("operator:"), who);
        hb_console_form_begin(req, "/signout", "signout-form");
        hb_web_html(req, "<button type=\"submit\" id=\"signout\">%s</button>", _("Sign out"));
        hb_console_form_end(req);
    }
    lang_form(req);
    hb_web_raw(req, "</div></header>");
    if (!who)
        return;
    hb_web_html(req, "<nav aria-label=\"%s\"><ul>", _("tasks"));
    for (size_t i = 0; i < sizeof nav / sizeof nav[0]; i++)
        hb_web_html(req, "<li><a id=\"%s\" href=\"%s\">%s</a></li>", nav[i].id, nav[i].href, _(nav[i].label));
    hb_web_raw(req, "</ul></nav>");
}

/* Says, when central is not reachable, since when, what still works and
 * what central decides later; when the station itself does not answer,
 * says that. */
static void
banner(hb_console_t *c, hb_web_req_t *req)
{
    const Hourbank__QueueReply *q = hb_console_queue_status(c);
    if (!q) {
        hb_web_html(req, "<div id=\"station-banner\" class=\"banner alarm\" role=\"alert\"><p>%s</p></div>",
                    _("The station program does not answer on this computer: nothing can be saved now. Ask "
                      "district IT to start hourbank-station."));
        return;
    }
    if (strcmp(q->link, "up") == 0)
        return;
    /* the last moment the station knew the link up (or its own start) */
    int64_t since = q->link_down_since ? q->link_down_since : q->last_sync;
    char when[HB_CLI_FORMAT_BYTES], ago[HB_CLI_FORMAT_BYTES];
    hb_web_raw(req, "<div id=\"offline-banner\" class=\"banner\" role=\"status\"><p><strong>");
    if (since > 0)
        hb_web_html(req, _("No link to central since %s (%s)."), hb_cli_format_time(when, sizeof when, since),
                    hb_cli_format_ago(ago, sizeof ago, since, c->now));
    else
        hb_web_html(req, "%s", _("No link to central yet."));
    hb_web_html(req, "</strong> %s</p><p>%s</p>",
                _("You can keep working: everything you save is kept on this computer and sent by itself when the "
                  "link returns."),
                _("Central decides later: balances, limits and who pays for care saved meanwhile. A refusal will "
                  "show in the queue."));
    hb_web_html(req, "<p>%s ", _("Waiting to be sent:"));
    hb_web_html(req, "<strong id=\"banner-pending\">%llu</strong></p></div>", (unsigned long long) q->pending);
}

void
hb_console_page_begin(hb_console_t *c, hb_web_req_t *req, const char *title)
{
    hb_web_html(req,
                "<!DOCTYPE html><html lang=\"%s\"><head><meta charset=\"utf-8\">"
                "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                "<title>%s · %s</title><link rel=\"stylesheet\" href=\"/assets/console.css\"></head><body>",
                html_lang(), title, _("Time bank"));
    hb_web_html(req, "<a class=\"skip\" href=\"#main\">%s</a>", _("Skip to the page"));
    header(c, req);
    if (hb_web_operator(req))
        banner(c, req);
    hb_web_html(req, "<main id=\"main\"><h1>%s</h1>", title);
}

void
hb_console_page_end(hb_console_t *c, hb_web_req_t *req)
{
    (void) c;
    hb_web_raw(req, "</main></body></html>");
}

void
hb_console_page_no_station(hb_console_t *c, hb_web_req_t *req, const char *title, const char *msg)
{
    hb_web_status(req, 503);
    hb_console_page_begin(c, req, title);
    hb_web_html(req, "<p id=\"form-error\" class=\"form-error\" role=\"alert\">%s</p>", msg);
    hb_console_page_end(c, req);
}

void
hb_console_form_begin(hb_web_req_t *req, const char *action, const char *id)
{
    hb_web_html(req, "<form method=\"post\" action=\"%s\" id=\"%s\" accept-charset=\"utf-8\">", action, id);
    hb_web_csrf_field(req);
}

void
hb_console_form_end(hb_web_req_t *req)
{
    hb_web_raw(req, "</form>");
}

static void
field_error(hb_web_req_t *req, const char *name, const char *error)
{
    if (error)
        hb_web_html(req, "<p class=\"field-error\" id=\"err-%s\" role=\"alert\">%s</p>", name, error);
}

/* <label> and the hint, then the opening of the control's attributes. */
static void
label_for(hb_web_req_t *req, const hb_console_input_t *in)
{
    hb_web_html(req, "<div class=\"field\"><label for=\"%s\">%s</label>", in->name, in->label);
    if (in->hint)
        hb_web_html(req, "<p class=\"hint\" id=\"hint-%s\">%s</p>", in->name, in->hint);
}

/* The attributes every control shares. */
static void
common_attrs(hb_web_req_t *req, const hb_console_input_t *in)
{
    hb_web_html(req, " id=\"%s\" name=\"%s\" autocomplete=\"%s\"", in->name, in->name,
                in->autocomplete ? in->autocomplete : "off");
    if (in->required)
        hb_web_raw(req, " required");
    if (in->inputmode)
        hb_web_html(req, " inputmode=\"%s\"", in->inputmode);
    if (in->error)
        hb_web_html(req, " aria-invalid=\"true\" aria-describedby=\"err-%s\"", in->name);
    else if (in->hint)
        hb_web_html(req, " aria-describedby=\"hint-%s\"", in->name);
}

void
hb_console_input(hb_web_req_t *req, const hb_console_input_t *in)
{
    hb_assert(in && in->name && in->label);
    label_for(req, in);
    hb_web_html(req, "<input type=\"%s\"", in->type ? in->type : "text");
    common_attrs(req, in);
    hb_web_html(req, " value=\"%s\">", in->value ? in->value : "");
    field_error(req, in->name, in->error);
    hb_web_raw(req, "</div>");
}

void
hb_console_textarea(hb_web_req_t *req, const hb_console_input_t *in)
{
    hb_assert(in && in->name && in->label);
    label_for(req, in);
    hb_web_raw(req, "<textarea rows=\"3\"");
    common_attrs(req, in);
    hb_web_html(req, ">%s</textarea>", in->value ? in->value : "");
    field_error(req, in->name, in->error);
    hb_web_raw(req, "</div>");
}

void
hb_console_select(hb_web_req_t *req, const char *name, const char *label, const hb_console_option_t *opts, size_t n,
                  const char *selected, const char *error)
{
    hb_web_html(req, "<div class=\"field\"><label for=\"%s\">%s</label><select id=\"%s\" name=\"%s\"", name, label,
                name, name);
    if (error)
        hb_web_html(req, " aria-invalid=\"true\" aria-describedby=\"err-%s\"", name);
    hb_web_raw(req, ">");
    for (size_t i = 0; i < n; i++)
        hb_web_html(req, "<option value=\"%s\"%s>%s</option>", opts[i].value,
                    selected && strcmp(selected, opts[i].value) == 0 ? " selected" : "", opts[i].label);
    hb_web_raw(req, "</select>");
    field_error(req, name, error);
    hb_web_raw(req, "</div>");
}

void
hb_console_checkbox(hb_web_req_t *req, const char *name, const char *label, bool checked)
{
    hb_web_html(req, "<div class=\"field check\"><input type=\"checkbox\" id=\"%s\" name=\"%s\" value=\"1\"%s>"
                     "<label for=\"%s\">%s</label></div>",
                name, name, checked ? " checked" : "", name, label);
}

void
hb_console_form_error(hb_web_req_t *req, const char *text)
{
    if (text)
        hb_web_html(req, "<p id=\"form-error\" class=\"form-error\" role=\"alert\">%s</p>", text);
}

void
hb_console_button(hb_web_req_t *req, const char *id, const char *name, const char *value, const char *text)
{
    if (name)
        hb_web_html(req, "<button type=\"submit\" id=\"%s\" name=\"%s\" value=\"%s\">%s</button>", id, name,
                    value ? value : "", text);
    else
        hb_web_html(req, "<button type=\"submit\" id=\"%s\">%s</button>", id, text);
}
