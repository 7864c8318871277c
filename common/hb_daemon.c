#include "hb_daemon.h"

#include <getopt.h>
#include <sysexits.h>

#include "hb_assert.h"

int
hb_daemon_args(int argc, char **argv, const char *default_config, void (*usage)(FILE *), hb_daemon_args_t *out)
{
    hb_assert(argv && default_config && usage && out);
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"check-config", no_argument, NULL, 'C'},
                                         {"verbose", no_argument, NULL, 'v'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    *out = (hb_daemon_args_t){default_config, false, false};
    int c;
    while ((c = getopt_long(argc, argv, "c:vh", opts, NULL)) != -1) {
        switch (c) {
        case 'c': out->config_path = optarg; break;
        case 'C': out->check = true; break;
        case 'v': out->verbose = true; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return EX_USAGE;
        }
    }
    return -1;
}
