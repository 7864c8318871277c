/* hb_browser.c - see hb_browser.h. */
#include "hb_harness.h"
#include "hb_browser.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "hourbank.pb-c.h"

/* How long hourbank-console may take to listen, in 50 ms polls. */
#define CONSOLE_START_POLLS 200
#define POLL_US (50 * 1000)
#define PYTHON_DEFAULT "/usr/bin/python3"

static int
free_loopback_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (bind(fd, (struct sockaddr *) &a, sizeof a) != 0 || getsockname(fd, (struct sockaddr *) &a, &len) != 0)
        fail_msg("could not find a free port: %s", strerror(errno));
    close(fd);
    return ntohs(a.sin_port);
}

/* Appends console_listen on a free port and extra_yaml to con->conf. */
static void
append_keys(hb_b_console_t *con, const char *extra_yaml)
{
    con->port = free_loopback_port();
    snprintf(con->base, sizeof con->base, "http://127.0.0.1:%d", con->port);
    FILE *f = fopen(con->conf, "a");
    assert_non_null(f);
    fprintf(f, "console_listen: \"127.0.0.1:%d\"\n%s", con->port, extra_yaml ? extra_yaml : "");
    assert_int_equal(fclose(f), 0);
}

void
hb_b_console_init(hb_b_console_t *con, const hb_h_station_t *s, const char *extra_yaml)
{
    memset(con, 0, sizeof *con);
    snprintf(con->conf, sizeof con->conf, "%s", s->conf);
    snprintf(con->log, sizeof con->log, "%s/console.log", s->dir);
    append_keys(con, extra_yaml);
}

void
hb_b_console_init_as(hb_b_console_t *con, const hb_h_station_t *s, const char *yaml_name, const char *extra_yaml)
{
    memset(con, 0, sizeof *con);
    int n = snprintf(con->conf, sizeof con->conf, "%s/%s", s->dir, yaml_name);
    assert_true(n > 0 && (size_t) n < sizeof con->conf);
    snprintf(con->log, sizeof con->log, "%s.log", con->conf);
    static char text[65536];
    hb_h_read_file(s->conf, text, sizeof text);
    assert_true(text[0] != '\0');
    hb_h_write_file(con->conf, text);
    append_keys(con, extra_yaml);
}

static bool
port_accepts(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t) port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bool ok = connect(fd, (struct sockaddr *) &a, sizeof a) == 0;
    close(fd);
    return ok;
}

void
hb_b_console_start(hb_b_console_t *con)
{
    char bin[600];
    char *argv[] = {(char *) (uintptr_t) hb_h_bin("hourbank-console", bin, sizeof bin), "-c", con->conf, NULL};
    if (access(argv[0], X_OK) != 0)
        fail_msg("%s is not built (the console of issue 16)", argv[0]);
    con->pid = hb_h_spawn(argv, con->log);
    for (int i = 0; i < CONSOLE_START_POLLS; i++) {
        if (port_accepts(con->port))
            return;
        int status = 0;
        if (waitpid(con->pid, &status, WNOHANG) == con->pid) {
            char log[4096];
            hb_h_read_file(con->log, log, sizeof log);
            con->pid = 0;
            fail_msg("hourbank-console exited at start (status %d):\n%s", status, log);
        }
        usleep(POLL_US);
    }
    fail_msg("hourbank-console did not listen on port %d; see %s", con->port, con->log);
}

int
hb_b_console_stop(hb_b_console_t *con, int sig)
{
    if (con->pid <= 0)
        return 0;
    int st = hb_h_stop(con->pid, sig);
    con->pid = 0;
    return st;
}

int
hb_b_operator_add(const hb_h_station_t *s, const char *name, const char *pin, const char *const extra[],
                  char *err, size_t err_size)
{
    char bin[600], cmd[2048], out[4096];
    int n = snprintf(cmd, sizeof cmd, "printf '%%s\\n' '%s' | '%s' operator add '%s' --pin", pin,
                     hb_h_bin("hourbank", bin, sizeof bin), name);
    for (size_t i = 0; extra && extra[i]; i++)
        n += snprintf(cmd + n, sizeof cmd - (size_t) n, " '%s'", extra[i]);
    snprintf(cmd + n, sizeof cmd - (size_t) n, " -c '%s'", s->conf);
    const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
    return hb_h_run_capture(argv, s->dir, out, sizeof out, err, err_size);
}

/* ---- the script ---- */

static void
exec_script(const char *script, const char *const args[], int in_fd, int out_fd)
{
    dup2(in_fd, STDIN_FILENO);
    dup2(out_fd, STDOUT_FILENO);
    const char *python = getenv("HB_PYTHON") ? getenv("HB_PYTHON") : PYTHON_DEFAULT;
    const char *src = getenv("HB_SOURCE_DIR") ? getenv("HB_SOURCE_DIR") : ".";
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/browser/%s", src, script);
    const char *argv[64] = {python, "-u", path};
    size_t n = 3;
    for (size_t i = 0; args && args[i] && n < 63; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    setpgid(0, 0);  /* its own group: the browser goes with it below */
    execv(python, (char *const *) (uintptr_t) argv);
    _exit(127);
}

int
hb_b_script(const char *script, const char *const args[], hb_b_request_fn fn, void *user)
{
    int to_child[2], from_child[2];
    assert_int_equal(pipe(to_child), 0);
    assert_int_equal(pipe(from_child), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(to_child[1]);
        close(from_child[0]);
        exec_script(script, args, to_child[0], from_child[1]);
    }
    close(to_child[0]);
    close(from_child[1]);
    FILE *in = fdopen(from_child[0], "r");
    FILE *out = fdopen(to_child[1], "w");
    assert_non_null(in);
    assert_non_null(out);
    signal(SIGPIPE, SIG_IGN);
    bool failed = false;
    char line[HB_B_LINE_BYTES], reply[HB_B_LINE_BYTES];
    while (fgets(line, sizeof line, in)) {
        if (strncmp(line, HB_B_REQUEST_PREFIX, strlen(HB_B_REQUEST_PREFIX)) != 0) {
            fputs(line, stdout);
            fflush(stdout);
            continue;
        }
        line[strcspn(line, "\n")] = '\0';
        const char *request = line + strlen(HB_B_REQUEST_PREFIX);
        snprintf(reply, sizeof reply, "ok");
        if (!fn(request, reply, sizeof reply, user)) {
            failed = true;
            printf("browser test: request \"%s\" failed: %s\n", request, reply);
        }
        fprintf(out, "%s\n", reply);
        fflush(out);
    }
    fclose(in);
    fclose(out);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    kill(-pid, SIGKILL);  /* a browser the script left behind */
    int rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return failed ? -1 : rc;
}

/* ---- the database check after a day ---- */

static bool
parse_ref(const char *text, unsigned *station, unsigned long long *seq)
{
    char tail;
    return sscanf(text, "%u:%llu%c", station, seq, &tail) == 2 && *station > 0 && *seq > 0;
}

static bool
note_saved(hb_b_day_t *day, const char *request, char *reply, size_t reply_size)
{
    char ref[64], kind[16], op[64], minutes[32], target[64] = "";
    int n = sscanf(request, "saved %63s %15s %63s %31s %63s", ref, kind, op, minutes, target);
    hb_b_saved_t *s = &day->op[day->n];
    memset(s, 0, sizeof *s);
    unsigned target_station = 0;
    if (n < 4 || !parse_ref(ref, &s->station, &s->seq) ||
        (n == 5 && (!parse_ref(target, &target_station, &s->target_seq) || target_station != s->station))) {
        snprintf(reply, reply_size, "error: \"%s\" is not \"saved REF KIND OPERATOR MINUTES|- [TARGET]\"", request);
        return false;
    }
    snprintf(s->kind, sizeof s->kind, "%s", kind);
    snprintf(s->operator, sizeof s->operator, "%s", op);
    s->minutes = strcmp(minutes, "-") == 0 ? -1 : atoll(minutes);
    day->n++;
    return true;
}

bool
hb_b_day_note(hb_b_day_t *day, const char *request, char *reply, size_t reply_size)
{
    if (day->n == HB_B_SAVED_MAX || day->balances == HB_B_SAVED_MAX) {
        snprintf(reply, reply_size, "error: more than %d ops or balances noted", HB_B_SAVED_MAX);
        return false;
    }
    if (strncmp(request, "saved ", 6) == 0)
        return note_saved(day, request, reply, reply_size);
    char a[64], b[64], tail[2];
    if (sscanf(request, "registered %63s %63s %1s", a, b, tail) == 2) {
        hb_b_saved_t *s = &day->op[day->n++];
        memset(s, 0, sizeof *s);
        snprintf(s->kind, sizeof s->kind, "register");
        snprintf(s->member, sizeof s->member, "%s", a);
        snprintf(s->operator, sizeof s->operator, "%s", b);
        s->minutes = -1;
        return true;
    }
    long long minutes;
    if (sscanf(request, "balance %63s %lld %1s", a, &minutes, tail) == 2) {
        hb_b_balance_t *bal = &day->balance[day->balances++];
        snprintf(bal->member, sizeof bal->member, "%s", a);
        bal->minutes = minutes;
        return true;
    }
    snprintf(reply, reply_size, "error: \"%s\" is not a request of a day", request);
    return false;
}

static int64_t pg_count(PGconn *pg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int64_t
pg_count(PGconn *pg, const char *fmt, ...)
{
    char sql[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    return hb_h_pg_int(pg, sql);
}

static void
check_registration(const hb_b_saved_t *s, PGconn *pg, unsigned station)
{
    print_message("central has %s registered by %s at station %u?\n", s->member, s->operator, station);
    assert_int_equal(pg_count(pg, "SELECT count(*) FROM op WHERE station_id = %u AND kind = 'register'"
                                  " AND member = '%s' AND operator = '%s' AND result = %d", station, s->member,
                              s->operator, HOURBANK__RESULT__OK), 1);
    assert_int_equal(pg_count(pg, "SELECT count(*) FROM member WHERE member_no = '%s'", s->member), 1);
}

static void
check_one(const hb_b_saved_t *s, PGconn *pg)
{
    print_message("central has %u:%llu %s by %s (%lld min)?\n", s->station, s->seq, s->kind, s->operator,
                  s->minutes);
    assert_int_equal(pg_count(pg, "SELECT count(*) FROM op WHERE station_id = %u AND seq = %llu AND kind = '%s'"
                                  " AND operator = '%s' AND result = %d", s->station, s->seq, s->kind, s->operator,
                              HOURBANK__RESULT__OK), 1);
    if (s->minutes >= 0)
        assert_int_equal(pg_count(pg, "SELECT minutes FROM op WHERE station_id = %u AND seq = %llu", s->station,
                                  s->seq), s->minutes);
    if (strcmp(s->kind, "service") == 0 || strcmp(s->kind, "gift") == 0 || strcmp(s->kind, "donation") == 0)
        assert_int_equal(pg_count(pg, "SELECT count(*) FROM transfer WHERE station_id = %u AND seq = %llu"
                                      " AND kind = '%s'", s->station, s->seq, s->kind), 1);
    if (strcmp(s->kind, "void") == 0) {
        assert_int_equal(pg_count(pg, "SELECT count(*) FROM op WHERE station_id = %u AND seq = %llu"
                                      " AND target_station = %u AND target_seq = %llu", s->station, s->seq,
                                  s->station, s->target_seq), 1);
        assert_int_equal(pg_count(pg, "SELECT count(*) FROM transfer v JOIN transfer t ON v.reverses = t.id"
                                      " WHERE t.station_id = %u AND t.seq = %llu", s->station, s->target_seq), 1);
    }
}

void
hb_b_day_check(const hb_b_day_t *day, PGconn *pg, unsigned station)
{
    assert_true(day->n > 0);
    for (size_t i = 0; i < day->n; i++) {
        if (day->op[i].seq == 0)
            check_registration(&day->op[i], pg, station);
        else
            check_one(&day->op[i], pg);
    }
    for (size_t i = 0; i < day->balances; i++) {
        const hb_b_balance_t *b = &day->balance[i];
        int64_t have = pg_count(pg, "SELECT a.credits - a.debits FROM member m JOIN account a ON a.id = m.account_id"
                                    " WHERE m.member_no = '%s'", b->member);
        print_message("balance of %s at central: %lld min (want %lld)\n", b->member, (long long) have, b->minutes);
        assert_int_equal(have, b->minutes);
    }
    /* nothing else: no op twice (the key forbids it), none the day did not save */
    assert_int_equal(pg_count(pg, "SELECT count(*) FROM op WHERE station_id = %u", station), (int64_t) day->n);
    assert_int_equal(pg_count(pg, "SELECT count(DISTINCT (station_id, seq)) FROM transfer WHERE station_id = %u"
                                  " AND kind <> 'overflow'", station),
                     pg_count(pg, "SELECT count(*) FROM transfer WHERE station_id = %u AND kind <> 'overflow'",
                              station));
}
