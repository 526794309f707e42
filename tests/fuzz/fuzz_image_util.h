/* fuzz_image_util.h - shared by the local image source targets (fuzz_docker,
 * fuzz_oci_layout): one small image scanned from a source the way
 * `regscan-worker scan` does, with small limits and one layer thread. */
#ifndef RS_FUZZ_IMAGE_UTIL_H
#define RS_FUZZ_IMAGE_UTIL_H

#include "image.h"
#include "scan.h"

/* Resolves the source's default image and runs the index stage over it;
 * every outcome is fine but a crash, a leak or a hang. */
static inline void rs_fuzz_scan_source(rs_blobsrc *src)
{
    char errstr[512], digest[RS_DIGEST_SIZE];
    if (rs_scan_resolve(src, "", "", NULL, digest, errstr, sizeof errstr) != 0)
        return;
    rs_scan_opts o;
    rs_scan_opts_default(&o);
    o.layer_parallelism = 1;
    o.max_layers = 8;
    o.max_layer_bytes = 4u << 20;
    o.max_config_bytes = 64u << 10;
    o.limits.max_entries = 1000;
    o.limits.max_uncompressed_bytes = 8u << 20;
    o.limits.max_ratio = 100.0;
    o.limits.ratio_min_bytes = 1u << 20;
    o.limits.max_path_len = 1024;
    rs_scan_result_free(rs_scan_index(src, "", digest, &o));
}

#endif
