/* hb_zone.c - tz database names: spelling and presence on this machine. */
#include "hb_zone.h"
#include "hb_assert.h"
#include "hb_limits.h"

#include <stdio.h>
#include <string.h>

/* The magic at the start of a compiled zone file (tzfile(5)). */
#define TZIF_MAGIC "TZif"

static bool
zone_char_ok(char ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '/' ||
           ch == '_' || ch == '-' || ch == '+';
}

bool
hb_zone_name_ok(const char *name)
{
    hb_assert(name);
    size_t len = strlen(name);
    if (len == 0 || len > HB_TIME_ZONE_BYTES_MAX || name[0] == '/' || strstr(name, "..") || strstr(name, "//"))
        return false;
    for (const char *p = name; *p; p++)
        if (!zone_char_ok(*p))
            return false;
    return true;
}

bool
hb_zone_installed(const char *name)
{
    if (!hb_zone_name_ok(name))
        return false;
    char path[sizeof HB_ZONE_DIR + HB_TIME_ZONE_BYTES_MAX];
    snprintf(path, sizeof path, "%s%s", HB_ZONE_DIR, name);
    FILE *f = fopen(path, "rb");
    char magic[sizeof TZIF_MAGIC] = "";
    size_t n = f ? fread(magic, 1, sizeof TZIF_MAGIC - 1, f) : 0;
    if (f)
        fclose(f);
    return n == sizeof TZIF_MAGIC - 1 && memcmp(magic, TZIF_MAGIC, n) == 0;
}
