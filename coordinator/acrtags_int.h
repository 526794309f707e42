/* acrtags_int.h - the coordinator's use of ACR's time-ordered tag listing
 * (acrtags.c): which listing a pass makes of a repository, where an
 * incremental one stops, and what it records in tagtime:. Private to
 * coordinator/. */
#ifndef RS_ACRTAGS_INT_H
#define RS_ACRTAGS_INT_H

#include <stdint.h>

#include "redis.h"
#include "registry.h"

/* One repository's _tags listing in a pass. */
typedef struct rs_acr_listing {
    int full;         /* lists everything (no stored time, or the Nth pass) */
    int64_t since;    /* incremental: tags older than this end the listing */
    int64_t newest;   /* newest lastUpdateTime listed; INT64_MIN when none */
    long listed;      /* tags listed (handed to add) */
    long pages;       /* _tags pages fetched */
    int stopped;      /* ended early at `since`: the listing is partial */
    rs_tagtime prev;  /* the tagtime: entry before the pass */
    int prev_found;
    rs_registry_name_cb add; /* gets each listed tag's name, newest first */
    void *opaque;
} rs_acr_listing;

/* 1 when a pass lists everything: no entry, or `every` - 1 incremental
 * listings happened since the last full one (every <= 1: always). */
int rs_coord_acr_full(const rs_tagtime *prev, int found, int every);

/* The rs_acr_tag_cb of a listing (opaque: rs_acr_listing): RS_ACR_STOP for
 * the first tag older than `since` in an incremental listing, else the tag's
 * name goes to l->add and l->newest / l->listed move on. */
int rs_coord_acr_take(const rs_acr_tag *t, void *opaque);

/* Lists `repo` through _tags into l (l->add / l->opaque set by the caller;
 * the rest filled here from tagtime: and `every`). Returns 0, or the
 * listing's error: RS_ERR_UNSUPPORTED when the registry does not offer _tags
 * (nothing was added), others as rs_registry_acr_tags. */
int rs_coord_acr_list(rs_registry *reg, rs_state *state, const char *tenant, const char *host,
                      const char *repo, int every, rs_acr_listing *l, char *errstr,
                      size_t errstr_size);

/* After the repository's tags were processed: tagtime: gets the newest time
 * seen (l->newest; INT64_MIN keeps the stored one, as after a tag failed) and
 * the count of incremental listings (0 after a full one). */
int rs_coord_acr_commit(rs_state *state, const char *tenant, const char *host, const char *repo,
                        const rs_acr_listing *l, char *errstr, size_t errstr_size);

#endif
