/* eol.c - the end-of-support table (see eol.h). */
#include "eol.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

struct eol_entry {
    const char *id;      /* os-release ID */
    const char *release; /* major (Debian), VERSION_ID (Ubuntu), major.minor (Alpine) */
    const char *date;
};

static const struct eol_entry table[] = {
    {"debian", "7", "2018-05-31"},     {"debian", "8", "2020-06-30"},
    {"debian", "9", "2022-06-30"},     {"debian", "10", "2024-06-30"},
    {"debian", "11", "2026-08-31"},    {"debian", "12", "2028-06-30"},
    {"debian", "13", "2030-06-30"},    {"ubuntu", "14.04", "2019-04-30"},
    {"ubuntu", "16.04", "2021-04-30"}, {"ubuntu", "18.04", "2023-05-31"},
    {"ubuntu", "20.04", "2025-05-31"}, {"ubuntu", "20.10", "2021-07-22"},
    {"ubuntu", "21.04", "2022-01-20"}, {"ubuntu", "21.10", "2022-07-14"},
    {"ubuntu", "22.04", "2027-06-01"}, {"ubuntu", "22.10", "2023-07-20"},
    {"ubuntu", "23.04", "2024-01-25"}, {"ubuntu", "23.10", "2024-07-11"},
    {"ubuntu", "24.04", "2029-05-31"}, {"ubuntu", "24.10", "2025-07-10"},
    {"ubuntu", "25.04", "2026-01-15"}, {"alpine", "3.12", "2022-05-01"},
    {"alpine", "3.13", "2022-11-01"},  {"alpine", "3.14", "2023-05-01"},
    {"alpine", "3.15", "2023-11-01"},  {"alpine", "3.16", "2024-05-23"},
    {"alpine", "3.17", "2024-11-22"},  {"alpine", "3.18", "2025-05-09"},
    {"alpine", "3.19", "2025-11-01"},  {"alpine", "3.20", "2026-04-01"},
    {"alpine", "3.21", "2026-11-01"},  {"alpine", "3.22", "2027-05-01"},
};

int rs_eol_lookup(const rs_os *os, const char *today, char date[11], int *eol)
{
    *eol = 0;
    date[0] = '\0';
    if (!os || !os->found)
        return 0;
    char release[32];
    const char *v = os->version_id;
    if (!strcmp(os->id, "debian")) {
        snprintf(release, sizeof release, "%.*s", (int)strcspn(v, "."), v);
    } else if (!strcmp(os->id, "alpine")) {
        size_t a = strcspn(v, ".");
        size_t b = v[a] ? a + 1 + strcspn(v + a + 1, ".") : a;
        snprintf(release, sizeof release, "%.*s", (int)b, v);
    } else {
        snprintf(release, sizeof release, "%s", v);
    }
    for (size_t i = 0; i < sizeof table / sizeof *table; i++) {
        if (strcmp(table[i].id, os->id) || strcmp(table[i].release, release))
            continue;
        snprintf(date, 11, "%s", table[i].date);
        char now[11];
        if (!today) {
            time_t t = time(NULL);
            struct tm tm;
            gmtime_r(&t, &tm);
            strftime(now, sizeof now, "%Y-%m-%d", &tm);
            today = now;
        }
        *eol = strcmp(today, date) > 0;
        return 1;
    }
    return 0;
}
