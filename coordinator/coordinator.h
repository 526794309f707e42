/* coordinator.h - the coordinator's library: one pass over the tenants
 * (list, select tags, publish requests) and the vulndb update command.
 *
 * The one public header of coordinator/ (main.c and the tests use it). */
#ifndef RS_COORDINATOR_H
#define RS_COORDINATOR_H

#include <jansson.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "image.h"
#include "match.h"

/* ---- vulndb_update: `regscan-coordinator vulndb update`: build the next
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

/* ---- coordinator: one enumeration pass: tenants → registries → repositories
 * → tags → digests → one scan request per digest and tenant (DESIGN.md §2-§5).
 *
 * Incremental: a digest whose `done` entry has the current analyzer version
 * is skipped; requests are published as soon as each repository's digests
 * are resolved, after one pipelined look-up of their `done` entries. */

typedef struct rs_coord_opts {
    char **tenants; /* limit the pass to these tenants; none: all */
    size_t n_tenants;
    int rescan;           /* republish every digest, force = true */
    int dry_run;          /* print requests to dry_out, publish and write nothing */
    long requeue_after_s; /* a published digest not done is requested again after this (0: 6 h) */
    FILE *dry_out;
} rs_coord_opts;

typedef struct rs_coord_stats {
    long registries, repositories, tags, digests;
    long published_scan, published_rematch;
    long skipped_done;            /* done with the current versions */
    long skipped_queued;          /* requested by an earlier pass, not finished yet */
    long skipped[RS_SKIP__COUNT]; /* not images, by reason */
    long errors;
    long tags_moved;   /* tags that point to another digest than at the last pass */
    long tags_removed; /* tags recorded before and gone (or no longer selected) */
    long acr_listings[2]; /* repositories listed through ACR's _tags: [0] full, [1] incremental */
    long acr_pages;       /* _tags pages fetched */
    /* Azure Resource Manager discovery (discovery.c) */
    long subscriptions_listed;  /* read for registries */
    long subscriptions_skipped; /* not selected by `subscriptions`, or not readable (403) */
    long registries_discovered; /* login servers found (listed explicitly or not) */
} rs_coord_stats;

/* Runs one pass. Registry failures are counted, logged and the pass goes on
 * with the next registry; returns 0 when everything was listed, the first
 * registry error otherwise, or RS_ERR_UNREACHABLE / RS_ERR_CONFIG at once
 * when Redis or Kafka cannot be used. */
int rs_coordinator_pass(const rs_config *cfg, const rs_coord_opts *o, rs_coord_stats *stats,
                        char *errstr, size_t errstr_size);

/* ---- serve: `regscan-coordinator serve`: ACR webhooks and Event Grid events
 * for pushed and deleted images, handled at once as a pass would handle that
 * tag (docs/azure.md, "Pushes scanned at once (serve)"). */

typedef struct rs_serve_opts {
    const char *listen;                /* "ADDR:PORT" (main.c: 127.0.0.1:8080 by default) */
    long requeue_after_s;              /* as the pass's (0: 6 h) */
    volatile sig_atomic_t *stop;       /* serving ends when it becomes non-zero */
} rs_serve_opts;

/* Serves until *o->stop. Returns 0, RS_ERR_CONFIG (no tenant has a webhook
 * secret, the address cannot be bound) or RS_ERR_UNREACHABLE (Redis or Kafka
 * at start) with errstr set. */
int rs_coordinator_serve(const rs_config *cfg, const rs_serve_opts *o, char *errstr,
                         size_t errstr_size);

/* The summary as one line of text (into out) and as JSON (new reference). */
void rs_coord_stats_line(const rs_coord_stats *s, char *out, size_t out_size);
json_t *rs_coord_stats_json(const rs_coord_stats *s);

#endif
