/* coordinator.h - one enumeration pass: tenants → registries → repositories
 * → tags → digests → one scan request per digest and tenant (DESIGN.md §2-§5).
 *
 * Incremental: a digest whose `done` entry has the current analyzer version
 * is skipped; requests are published as soon as each repository's digests
 * are resolved, after one pipelined look-up of their `done` entries. */
#ifndef RS_COORDINATOR_H
#define RS_COORDINATOR_H

#include <jansson.h>
#include <stdio.h>

#include "config.h"
#include "manifest.h"

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
} rs_coord_stats;

/* Runs one pass. Registry failures are counted, logged and the pass goes on
 * with the next registry; returns 0 when everything was listed, the first
 * registry error otherwise, or RS_ERR_UNREACHABLE / RS_ERR_CONFIG at once
 * when Redis or Kafka cannot be used. */
int rs_coordinator_pass(const rs_config *cfg, const rs_coord_opts *o, rs_coord_stats *stats,
                        char *errstr, size_t errstr_size);

/* The summary as one line of text (into out) and as JSON (new reference). */
void rs_coord_stats_line(const rs_coord_stats *s, char *out, size_t out_size);
json_t *rs_coord_stats_json(const rs_coord_stats *s);

#endif
