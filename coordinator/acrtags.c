/* acrtags.c - tags of a repository through ACR's _tags API (acrtags_int.h).
 *
 * Tags come newest first with their lastUpdateTime, so an incremental pass
 * lists a repository only down to the newest time the last pass saw (kept in
 * tagtime:), and every Nth pass lists everything. A partial listing tells the
 * caller so: what it did not list must be neither forgotten nor tombstoned.
 * Does not resolve or record tags: coordinator.c does that for both listings. */
#include "acrtags_int.h"
#include "base.h"

#include <string.h>

int rs_coord_acr_full(const rs_tagtime *prev, int found, int every)
{
    if (!found || every <= 1)
        return 1;
    return prev->partial >= (long)every - 1;
}

int rs_coord_acr_take(const rs_acr_tag *t, void *opaque)
{
    rs_acr_listing *l = opaque;
    /* a tag as old as `since` is listed again: another may have been pushed
     * in the same second after the last pass read the time */
    if (!l->full && t->updated < l->since) {
        l->stopped = 1;
        return RS_ACR_STOP;
    }
    int rc = l->add(t->name, l->opaque);
    if (rc)
        return rc < 0 ? rc : RS_ERR_INTERNAL;
    if (t->updated > l->newest)
        l->newest = t->updated;
    l->listed++;
    return 0;
}

int rs_coord_acr_list(rs_registry *reg, rs_state *state, const char *tenant, const char *host,
                      const char *repo, int every, rs_acr_listing *l, char *errstr, size_t errsz)
{
    int rc = rs_state_tagtime_get(state, tenant, host, repo, &l->prev, &l->prev_found, errstr,
                                  errsz);
    if (rc)
        return rc;
    l->full = rs_coord_acr_full(&l->prev, l->prev_found, every);
    l->since = l->full ? INT64_MIN : l->prev.newest;
    l->newest = INT64_MIN;
    l->listed = 0;
    l->stopped = 0;
    rc = rs_registry_acr_tags(reg, repo, rs_coord_acr_take, l, &l->pages, errstr, errsz);
    if (rc == 0)
        rs_log(RS_LOG_DEBUG, "'%s/%s': %s _tags listing: %ld tags in %ld pages%s", host, repo,
               l->full ? "full" : "incremental", l->listed, l->pages,
               l->stopped ? ", stopped at the last pass's newest time" : "");
    return rc;
}

int rs_coord_acr_commit(rs_state *state, const char *tenant, const char *host, const char *repo,
                        const rs_acr_listing *l, char *errstr, size_t errsz)
{
    rs_tagtime t = {0};
    if (l->newest == INT64_MIN && !l->prev_found)
        return 0; /* nothing listed and nothing to count: the next pass lists everything */
    t.newest = l->prev_found && l->prev.newest > l->newest ? l->prev.newest : l->newest;
    t.partial = l->full ? 0 : l->prev.partial + 1;
    return rs_state_tagtime_set(state, tenant, host, repo, &t, errstr, errsz);
}
