/* worker.h - the worker's library: the Kafka-driven run loop and the
 * embedded scan of one image.
 *
 * The one public header of worker/ (main.c and the tests use it). */
#ifndef RS_WORKER_H
#define RS_WORKER_H

#include <signal.h>
#include <stddef.h>
#include <stdio.h>

#include "config.h"

/* ---- worker: the worker's run loop: a member of the consumer group that turns
 * scan requests into reports (DESIGN.md §4-§6).
 *
 * One thread polls Kafka, pauses partitions whose in-flight window is full
 * and stores offsets only up to the lowest request of each partition that is
 * not finished; `concurrency` threads run the scans. A request is finished
 * when its report (and inventory) were acknowledged by Kafka and its `done`
 * key is written, or when it went to the dead-letter topic. */

typedef struct rs_worker_opts {
    int concurrency;          /* images scanned at once (default 2) */
    int layer_parallelism;    /* layers pulled at once per image (default 4) */
    /* the index limits from the settings (rs_scan_opts_settings); NULL: defaults */
    const struct rs_scan_opts *scan;
    int exit_when_idle_s;     /* 0: run until stopped */
    const char *instance_id;  /* group.instance.id (static membership); NULL: dynamic */
    const char *worker_id;    /* name in reports and leases; NULL: host:pid */
    int lease_ttl_ms;         /* default 30000 */
    int max_attempts;         /* poison threshold (default 3) */
    int window_per_partition; /* in-flight requests per partition (default 4) */
    const char *vulndb_path;  /* --vulndb: fixed data (snapshot, directory, zip); NULL: follow
                                 vulndb:current */
    int outage_budget_s; /* how long Kafka or Redis may stay away before the worker stops (300) */
    int drain_timeout_s; /* on SIGTERM, in-flight scans are handed back after this; 0: finish them
                          */
} rs_worker_opts;

void rs_worker_opts_default(rs_worker_opts *o);

/* Runs until *stop is set (graceful: in-flight work is finished, or handed
 * back past drain_timeout_s, offsets committed, the group left) or, with
 * exit_when_idle_s, until idle. Whatever an image, a registry or a message
 * does ends as a report or a dead letter; the worker stops only when Kafka or
 * Redis stays away longer than outage_budget_s. Returns 0, or RS_ERR_STORE /
 * RS_ERR_BROKER (unreachable at start or for longer than the budget),
 * RS_ERR_CONFIG (bad settings, a missing dead-letter topic) with errstr set;
 * nothing is committed that was not finished. */
int rs_worker_run(const rs_config *cfg, const rs_worker_opts *o, volatile sig_atomic_t *stop,
                  char *errstr, size_t errstr_size);

/* ---- embedded: `regscan-worker scan IMAGE_REF`: the engine on one image, with
 * no Kafka and no Redis (DESIGN.md §2). */

typedef struct rs_embedded_opts {
    const char *format;   /* "table" (default) or "json" */
    const char *platform; /* for image indexes, e.g. "linux/arm64"; NULL: linux/amd64 */
    const char *username; /* NULL: from the Docker config file */
    const char *password;
    char **insecure_registries; /* hosts reached over plain HTTP besides loopback */
    size_t n_insecure;
    int layer_parallelism;
    const char *vulndb_path; /* snapshot, directory of OSV records or all.zip; NULL: no matching */
    const char *policy_path; /* policy file (docs/contracts.md, Policy); NULL: none */
    int azure; /* auth type azure with the identity of the environment (rs_config_azure_env) */
    /* the index limits from the settings (rs_scan_opts_settings); NULL: defaults */
    const struct rs_scan_opts *scan;
} rs_embedded_opts;

/* Scans `image_ref` (registry reference, oci-layout:DIR[:TAG] or
 * docker-archive:FILE), writes the result to `out`, errors to the log, and
 * returns the process exit code of DESIGN.md §2 (0, 1 when the policy's
 * verdict is fail, 2, 3 or 4). */
int rs_embedded_scan(const char *image_ref, const rs_embedded_opts *o, FILE *out);

#endif
