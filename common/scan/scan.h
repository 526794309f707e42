/* scan.h - the index stage for one image: manifest → config → layers in
 * parallel → per-layer results → merged inventory.
 *
 * Works on any rs_blobsrc (registry, OCI layout, docker archive) and touches
 * neither Kafka nor Redis: the worker and the embedded `scan` mode both call
 * it. Per-layer analysis goes through rs_layer_analyze only, which sees a
 * byte stream and nothing else (no credentials, no connections). The match
 * stage plugs in after rs_scan_index, on the inventory alone. */
#ifndef RS_SCAN_H
#define RS_SCAN_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "index.h"
#include "image.h"
#include "base.h"
#include "model.h"

/* Changes whenever what the index stage finds can change for the same image
 * (any analyzer's version, or the index stage's own): a digest done with
 * another version is scanned again. An expression, not a literal:
 * "regscan-index/3-<12 hex digits>" (index.h). */
#define RS_ANALYZER_VERSION rs_analyzers_version()

/* ---- sandbox: each layer analysed by the child `regscan-analyze` (DESIGN.md
 * §7), which gets the compressed bytes on a pipe, an empty environment, no
 * other file descriptor, seccomp and resource limits; the parent keeps the
 * network, the digest check and the merge. */
typedef struct rs_sandbox_opts {
    int enabled;             /* REGSCAN_SANDBOX (default 1); 0: rs_layer_analyze in-process */
    char bin[512];           /* REGSCAN_ANALYZE_BIN; "": regscan-analyze next to /proc/self/exe */
    uint64_t memory_bytes;   /* REGSCAN_SANDBOX_MEMORY MiB, the child's RLIMIT_AS (1024 MiB) */
    unsigned cpu_s;          /* REGSCAN_SANDBOX_CPU, the child's RLIMIT_CPU (300 s) */
    unsigned timeout_s;      /* REGSCAN_SANDBOX_TIMEOUT, wall clock per layer (1800 s) */
    size_t max_result_bytes; /* REGSCAN_SANDBOX_MAX_RESULT MiB, the result JSON (64 MiB) */
    char env_error[200];     /* a setting that could not be read: every layer fails with it */
} rs_sandbox_opts;

/* Fills `o` with the defaults above, then applies the REGSCAN_SANDBOX*
 * settings from the environment. Returns 0, or RS_ERR_CONFIG naming the bad
 * setting (also kept in o->env_error). */
int rs_sandbox_opts_env(rs_sandbox_opts *o, char *errstr, size_t errstr_size);

/* 0 when the sandbox is off or its child (REGSCAN_ANALYZE_BIN, else
 * regscan-analyze beside the running program) is an executable file;
 * RS_ERR_CONFIG naming the path otherwise (a worker checks it at start). */
int rs_sandbox_check(const rs_sandbox_opts *o, char *errstr, size_t errstr_size);

/* rs_layer_analyze in the sandboxed child (when o is NULL or not enabled: in
 * this process). Same contract: `in` is read to its end unless the child
 * fails; its error (digest, size, network) wins over the child's. A child
 * killed by a signal, past its deadline, that ran out of memory or wrote an
 * invalid result gives RS_ERR_ANALYZER_CRASHED with what happened (the
 * signal's name); an error the child reports keeps its code. */
int rs_sandbox_analyze(const rs_sandbox_opts *o, rs_reader *in, const char *media_type,
                       const rs_layer_limits *limits, rs_layer_result **out, char *errstr,
                       size_t errstr_size);

typedef struct rs_scan_opts {
    size_t layer_parallelism; /* layers pulled at once (default 4) */
    size_t max_layers;        /* layers per image (default RS_MANIFEST_MAX_LAYERS) */
    size_t max_layer_bytes;   /* compressed bytes per layer (default 2 GiB) */
    size_t max_config_bytes;  /* image config blob (default 8 MiB) */
    rs_layer_limits limits;   /* per-layer walking limits */
    rs_index_budget image;    /* the image's limits (maxima; each scan counts its own) */
    const atomic_int *cancel; /* when non-NULL and set, the scan stops with RS_ERR_CANCELLED */
    rs_sandbox_opts sandbox;  /* where layers are analysed (rs_sandbox_opts_env) */
} rs_scan_opts;

/* Fills `o` with the defaults above (the sandbox's from the environment). */
void rs_scan_opts_default(rs_scan_opts *o);
/* Applies the limit settings to o: every REGSCAN_LIMIT_<NAME> of the
 * environment, then every `--limit-<name> N` / `--limit-<name>=N` of argv,
 * which it removes from argv (*argc updated), so both the worker and
 * `regscan-worker scan` take them (index.h, rs_limits_all). Returns 0 or
 * RS_ERR_CONFIG naming the bad setting. */
int rs_scan_opts_settings(rs_scan_opts *o, int *argc, char **argv, char *errstr,
                          size_t errstr_size);

typedef struct rs_scan_result {
    int status;      /* 0 or a negative rs_err */
    char error[512]; /* message when status != 0 */
    char digest[RS_DIGEST_SIZE];
    rs_platform platform;     /* from the image config */
    rs_inventory *inv;        /* owned; NULL on error */
    rs_layer_result **layers; /* owned per-layer results, n_layers of them; NULL on error */
    size_t n_layers;
    uint64_t bytes_pulled; /* compressed bytes read */
    uint64_t pull_ms;      /* manifest, config and the layer stage (pull + walk, streamed) */
    uint64_t analyze_ms;   /* merge */
} rs_scan_result;

void rs_scan_result_free(rs_scan_result *r);

/* Resolves `ref` (tag, digest or "" for a local source's default) of
 * `repository` to one image manifest: an index is narrowed to the entry
 * matching `platform` ("linux/amd64"; NULL: linux/amd64, then the first linux
 * entry). Writes the manifest digest. */
int rs_scan_resolve(rs_blobsrc *src, const char *repository, const char *ref, const char *platform,
                    char digest[RS_DIGEST_SIZE], char *errstr, size_t errstr_size);

/* Indexes image manifest `digest` of `repository`. Returns a result in every
 * case except out of memory (then NULL): a failed scan has status < 0, an
 * error message and no inventory. */
rs_scan_result *rs_scan_index(rs_blobsrc *src, const char *repository, const char *digest,
                              const rs_scan_opts *opts);

#endif
