/* eol.c - end-of-support lookups (see eol.h) through the ecosystem
 * backends, which keep the tables. */
#include "match.h"
#include "model.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

int rs_eol_lookup(const rs_os *os, const char *today, char date[11], int *eol)
{
    *eol = 0;
    date[0] = '\0';
    if (!os || !os->found)
        return 0;
    /* each family keeps its own table (model.h, the ecosystem table) */
    const rs_ecosystem *e = rs_ecosystem_for_os(os);
    if (!e || !e->eol_release)
        return 0;
    char release[32];
    e->eol_release(os, release, sizeof release);
    const rs_eol_release *table = e->eol;
    for (size_t i = 0; i < e->n_eol; i++) {
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
