/* vulndb_update.h - `regscan-coordinator vulndb update`: build the next
 * vulnerability snapshot from OSV sources and make it the pool's current one
 * (DESIGN.md §9).
 *
 * Sources (directories, all.zip files, https URLs fetched with a conditional
 * GET into a cache) are loaded into one database; the snapshot gets the next
 * version number (one above both vulndb:current and the highest version among
 * the store's vulndb-*.jsonl files, so a Redis that lost its keys never makes
 * versions start again at 1), is written into the shared store directory
 * under a content-unique name, and vulndb:current is moved to it, only
 * forwards. Updates may run at once: one that finds its version taken
 * meanwhile removes its own file and tries the next version. Workers load it
 * between scans; the coordinator's next pass sends rematch requests for
 * digests done with an older version. */
#ifndef RS_VULNDB_UPDATE_H
#define RS_VULNDB_UPDATE_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "vulndb.h"

typedef struct rs_vulndb_update_result {
    int64_t version; /* the version published (vulndb:current was moved to it) */
    char path[1024]; /* STORE/vulndb-NNNNNN-<16 hex of the sha256>.jsonl */
    char sha256[72];
    int races_lost; /* versions another update published first (then retried) */
    size_t records;
    rs_vulndb_stats stats;
    long sources_from_cache;
} rs_vulndb_update_result;

/* Builds and publishes the next snapshot. store_dir must exist and be the
 * directory workers read; cache_dir holds downloaded sources (NULL: store_dir
 * /cache). Returns 0, RS_ERR_CONFIG / RS_ERR_INVALID for unusable sources (or
 * RS_ERR_CONFIG when other updates took 5 versions in a row first),
 * RS_ERR_UNREACHABLE when Redis or a URL cannot be reached. Several updates
 * (threads or processes) may run at once. */
int rs_vulndb_update(const rs_config *cfg, const char *const *sources, size_t n_sources,
                     const char *store_dir, const char *cache_dir, rs_vulndb_update_result *out,
                     char *errstr, size_t errstr_size);

#endif
