/* fuzz_config.c - libFuzzer target for the configuration loader.
 *
 * The loaders take a path, so each input is written to a file in a private
 * temporary folder and loaded as central.yaml, station.yaml and admin.yaml.
 * Each load must return either a configuration and no error, or NULL and at
 * least one error, every error a "path:..." line; a configuration returned
 * holds what hb_config.h promises. */
#include "fuzz_common.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "hb_admin_conf.h"
#include "hb_config.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[HB_PATH_BYTES_MAX];
static char path[HB_PATH_BYTES_MAX];
static hb_config_errors_t errors;  /* 64 KiB: not on the stack */

static void
remove_dir(void)
{
    unlink(path);
    rmdir(dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void) argc;
    (void) argv;
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/hb_fuzz_config.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    FUZZ_CHECK(mkdtemp(dir) != NULL, "mkdtemp %s: %s", dir, strerror(errno));
    snprintf(path, sizeof path, "%s/fuzz.yaml", dir);
    atexit(remove_dir);
    return 0;
}

static void
write_input(const uint8_t *data, size_t size)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    FUZZ_CHECK(fd >= 0, "open %s: %s", path, strerror(errno));
    for (size_t done = 0; done < size;) {
        ssize_t n = write(fd, data + done, size - done);
        FUZZ_CHECK(n > 0, "write %s: %s", path, strerror(errno));
        done += (size_t) n;
    }
    FUZZ_CHECK(close(fd) == 0, "close %s: %s", path, strerror(errno));
}

/* A configuration xor errors; every error names the file. */
static void
check_outcome(const char *loader, const void *conf)
{
    int n = errors.count;
    FUZZ_CHECK(n >= 0 && n <= HB_CONFIG_ERRORS_MAX && errors.dropped >= 0, "%s: count %d dropped %d", loader, n,
               errors.dropped);
    if (conf) {
        FUZZ_CHECK(n == 0 && errors.dropped == 0, "%s: a configuration and %d errors", loader, n);
        return;
    }
    FUZZ_CHECK(n >= 1, "%s: neither a configuration nor an error", loader);
    size_t path_len = strlen(path);
    for (int i = 0; i < n; i++) {
        const char *text = errors.text[i];
        size_t len = strnlen(text, sizeof errors.text[i]);
        FUZZ_CHECK(len < sizeof errors.text[i], "%s: error %d is not terminated", loader, i);
        FUZZ_CHECK(strncmp(text, path, path_len) == 0 && text[path_len] == ':' && len > path_len + 2,
                   "%s: error %d does not name the file: %s", loader, i, text);
    }
}

static void
check_central(const hb_central_conf_t *c)
{
    FUZZ_CHECK(c->category_count >= 1 && c->district_count >= 1, "central without categories or districts");
    FUZZ_CHECK(c->admin_key_count <= sizeof c->admin_public_keys / sizeof c->admin_public_keys[0],
               "admin keys %zu", c->admin_key_count);
    FUZZ_CHECK(c->listen[0] && c->database[0] && c->secret_key_file[0], "central required string empty");
    FUZZ_CHECK(c->guarantee_budget_minutes >= 0, "budget %lld", (long long) c->guarantee_budget_minutes);
    FUZZ_CHECK(c->time_zone[0] && !strstr(c->time_zone, ".."), "time zone \"%s\"", c->time_zone);
    for (size_t i = 0; i < c->district_count; i++) {
        const hb_district_conf_t *d = &c->districts[i];
        FUZZ_CHECK(d->floor_minutes <= 0, "district %zu floor %lld", i, (long long) d->floor_minutes);
        for (size_t j = 0; j < d->community_count; j++)
            FUZZ_CHECK(strnlen(d->communities[j].code, sizeof d->communities[j].code) < sizeof d->communities[j].code,
                       "community code not terminated");
    }
    for (size_t i = 0; i < c->category_count; i++)
        FUZZ_CHECK(hb_central_conf_category(c, c->categories[i].name) != NULL, "category %zu not found", i);
}

static void
check_station(const hb_station_conf_t *s)
{
    FUZZ_CHECK(s->station_id >= 1, "station id 0");
    FUZZ_CHECK(s->batch_ops >= 1 && s->batch_ops <= HB_BATCH_OPS_MAX, "batch_ops %u", (unsigned) s->batch_ops);
    FUZZ_CHECK(strlen(s->central_public_key) == 40, "central key of %zu chars", strlen(s->central_public_key));
    FUZZ_CHECK(s->outbox_path[0] && s->ipc_endpoint[0] && s->community[0], "station required string empty");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    write_input(data, size);

    hb_central_conf_t *central = hb_central_conf_load(path, &errors);
    check_outcome("central", central);
    if (central)
        check_central(central);
    hb_central_conf_destroy(&central);
    FUZZ_CHECK(central == NULL, "destroy did not clear the pointer");

    hb_station_conf_t *station = hb_station_conf_load(path, &errors);
    check_outcome("station", station);
    if (station)
        check_station(station);
    hb_station_conf_destroy(&station);

    hb_admin_conf_t *admin = hb_admin_conf_load(path, &errors);
    check_outcome("admin", admin);
    hb_admin_conf_destroy(&admin);
    return 0;
}
