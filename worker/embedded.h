/* embedded.h - `regscan-worker scan IMAGE_REF`: the engine on one image, with
 * no Kafka and no Redis (DESIGN.md §2). */
#ifndef RS_EMBEDDED_H
#define RS_EMBEDDED_H

#include <stdio.h>

typedef struct rs_embedded_opts {
    const char *format;   /* "table" (default) or "json" */
    const char *platform; /* for image indexes, e.g. "linux/arm64"; NULL: linux/amd64 */
    const char *username; /* NULL: from the Docker config file */
    const char *password;
    char **insecure_registries; /* hosts reached over plain HTTP besides loopback */
    size_t n_insecure;
    int layer_parallelism;
    const char *vulndb_path; /* snapshot, directory of OSV records or all.zip; NULL: no matching */
} rs_embedded_opts;

/* Scans `image_ref` (registry reference, oci-layout:DIR[:TAG] or
 * docker-archive:FILE), writes the result to `out`, errors to the log, and
 * returns the process exit code of DESIGN.md §2 (0, 1, 2, 3 or 4). */
int rs_embedded_scan(const char *image_ref, const rs_embedded_opts *o, FILE *out);

#endif
