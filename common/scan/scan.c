/* scan.c - the index stage for one image (see scan.h).
 *
 * Layers are pulled by a small pool of threads; each thread streams one blob
 * through the verifying reader into rs_layer_analyze and keeps only the
 * per-layer result, so memory stays bounded by the number of threads, not by
 * layer size. The merge runs once every layer is in. */
#include "scan.h"
#include "base.h"
#include "index.h"

#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void rs_scan_opts_default(rs_scan_opts *o)
{
    memset(o, 0, sizeof *o);
    o->layer_parallelism = 4;
    o->max_layers = RS_MANIFEST_MAX_LAYERS;
    o->max_layer_bytes = (size_t)2 << 30;
    o->max_config_bytes = 8u << 20;
    rs_layer_limits dl = RS_LAYER_LIMITS_DEFAULT;
    o->limits = dl;
    o->image.max_bytes = RS_LIMIT_IMAGE_BYTES;
    o->image.max_packages = RS_LIMIT_IMAGE_PACKAGES;
}

void rs_scan_result_free(rs_scan_result *r)
{
    if (!r)
        return;
    rs_inventory_free(r->inv);
    for (size_t i = 0; i < r->n_layers; i++)
        rs_layer_result_free(r->layers[i]);
    free(r->layers);
    free(r);
}

static int fetch_manifest(rs_blobsrc *src, const char *repo, const char *ref, rs_manifest **out,
                          char digest[RS_DIGEST_SIZE], char *errstr, size_t errsz)
{
    char *body = NULL;
    size_t len = 0;
    char mt[128] = "";
    int rc = src->get_manifest(src, repo, ref, &body, &len, mt, digest, errstr, errsz);
    if (rc)
        return rc;
    rc = rs_manifest_parse(body, len, mt[0] ? mt : NULL, out, errstr, errsz);
    free(body);
    return rc;
}

int rs_scan_resolve(rs_blobsrc *src, const char *repository, const char *ref, const char *platform,
                    char digest[RS_DIGEST_SIZE], char *errstr, size_t errsz)
{
    rs_manifest *m = NULL;
    char d[RS_DIGEST_SIZE] = "";
    int rc = fetch_manifest(src, repository, ref, &m, d, errstr, errsz);
    if (rc)
        return rc;
    if (m->kind != RS_MANIFEST_INDEX) {
        snprintf(digest, RS_DIGEST_SIZE, "%s", d);
        rs_manifest_free(m);
        return 0;
    }
    char *want[1] = {(char *)(platform ? platform : "linux/amd64")};
    const rs_descriptor *pick = NULL;
    for (size_t i = 0; i < m->n_manifests && !pick; i++) {
        const rs_descriptor *e = &m->manifests[i];
        if (!e->is_attestation && e->has_platform && rs_platform_match(&e->platform, want, 1))
            pick = e;
    }
    char *linux_any[1] = {"linux/*"};
    for (size_t i = 0; i < m->n_manifests && !pick && !platform; i++) {
        const rs_descriptor *e = &m->manifests[i];
        if (!e->is_attestation && e->has_platform && rs_platform_match(&e->platform, linux_any, 1))
            pick = e;
    }
    if (!pick) {
        rc = rs_errf(errstr, errsz, RS_ERR_MANIFEST_UNKNOWN,
                     "image index '%s' has no manifest for platform '%s'", d, want[0]);
    } else {
        snprintf(digest, RS_DIGEST_SIZE, "%s", pick->digest);
    }
    rs_manifest_free(m);
    return rc;
}

/* Copies a config string (NULL: "") into a short field, cut on a character
 * boundary so that the report's platform stays UTF-8. */
static void config_str(char *dst, size_t size, const char *s)
{
    rs_utf8_copy(dst, size, s ? s : "", s ? strlen(s) : 0, NULL);
}

/* Reads platform and the diff_id count from an image config (untrusted). */
static int parse_config(const char *data, size_t len, rs_platform *p, size_t *n_diff_ids,
                        char *errstr, size_t errsz)
{
    json_error_t jerr;
    json_t *c = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!c || !json_is_object(c)) {
        json_decref(c);
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "invalid image config: %s",
                       c ? "not an object" : jerr.text);
    }
    memset(p, 0, sizeof *p);
    const char *os = json_string_value(json_object_get(c, "os"));
    const char *arch = json_string_value(json_object_get(c, "architecture"));
    const char *variant = json_string_value(json_object_get(c, "variant"));
    const char *osv = json_string_value(json_object_get(c, "os.version"));
    config_str(p->os, sizeof p->os, os);
    config_str(p->architecture, sizeof p->architecture, arch);
    config_str(p->variant, sizeof p->variant, variant);
    config_str(p->os_version, sizeof p->os_version, osv);
    json_t *ids = json_object_get(json_object_get(c, "rootfs"), "diff_ids");
    *n_diff_ids = json_is_array(ids) ? json_array_size(ids) : 0;
    json_decref(c);
    return 0;
}

struct layer_job {
    rs_blobsrc *src;
    const char *repo;
    const rs_manifest *m;
    const rs_scan_opts *opts;
    rs_layer_limits limits; /* opts' limits with this image's own budget */
    rs_index_budget budget;
    rs_layer_result **results;
    pthread_mutex_t lock;
    size_t next;
    int status; /* first failure wins */
    char error[512];
    uint64_t bytes;
};

static void *layer_thread(void *arg)
{
    struct layer_job *j = arg;
    for (;;) {
        pthread_mutex_lock(&j->lock);
        size_t i = j->next++;
        int stop = j->status != 0 || (j->opts->cancel && atomic_load(j->opts->cancel));
        pthread_mutex_unlock(&j->lock);
        if (stop || i >= j->m->n_layers)
            break;
        const rs_descriptor *l = &j->m->layers[i];
        char err[512] = "";
        rs_reader *r = NULL;
        rs_layer_result *res = NULL;
        /* a body longer than the descriptor says is cut there (LIMIT_EXCEEDED) */
        size_t max = j->opts->max_layer_bytes;
        if (l->size > 0 && (!max || (uint64_t)l->size < max))
            max = (size_t)l->size;
        int rc = j->src->open_blob(j->src, j->repo, l->digest, max, &r, err, sizeof err);
        if (rc == 0)
            rc = rs_layer_analyze(r, l->media_type, &j->limits, &res, err, sizeof err);
        if (rc == RS_ERR_LIMIT_EXCEEDED && l->size > 0 && max == (size_t)l->size &&
            (!r || rs_reader_verify_count(r) > max)) {
            /* past the descriptor's size: the manifest and the blob disagree */
            char why[sizeof err];
            memcpy(why, err, sizeof why);
            rc = rs_errf(err, sizeof err, RS_ERR_INVALID,
                         "blob is larger than the manifest's size %lld: %s", (long long)l->size,
                         why);
        }
        if (r) {
            size_t got = rs_reader_verify_count(r);
            pthread_mutex_lock(&j->lock);
            j->bytes += got;
            pthread_mutex_unlock(&j->lock);
            /* the digest matched; a size that differs makes the descriptor itself wrong */
            if (rc == 0 && (l->size < 0 || (uint64_t)got != (uint64_t)l->size))
                rc = rs_errf(err, sizeof err, RS_ERR_INVALID,
                             "blob is %zu bytes, the manifest says %lld", got, (long long)l->size);
        }
        rs_reader_destroy(r);
        pthread_mutex_lock(&j->lock);
        if (rc == 0) {
            j->results[i] = res;
        } else if (j->status == 0) {
            j->status = rc;
            snprintf(j->error, sizeof j->error, "layer %zu '%s': %.400s", i, l->digest, err);
        }
        pthread_mutex_unlock(&j->lock);
        if (rc)
            rs_layer_result_free(res);
    }
    return NULL;
}

static int pull_layers(rs_blobsrc *src, const char *repo, const rs_manifest *m,
                       const rs_scan_opts *opts, rs_scan_result *res)
{
    struct layer_job j = {.src = src, .repo = repo, .m = m, .opts = opts, .limits = opts->limits};
    j.budget.max_bytes = opts->image.max_bytes;
    j.budget.max_packages = opts->image.max_packages;
    j.limits.image = &j.budget;
    j.results = calloc(m->n_layers ? m->n_layers : 1, sizeof *j.results);
    if (!j.results)
        return rs_errf(res->error, sizeof res->error, RS_ERR_INTERNAL, "out of memory");
    pthread_mutex_init(&j.lock, NULL);
    size_t n = opts->layer_parallelism ? opts->layer_parallelism : 1;
    if (n > m->n_layers)
        n = m->n_layers;
    pthread_t tids[64];
    if (n > 64)
        n = 64;
    size_t started = 0;
    for (; started < n; started++)
        if (pthread_create(&tids[started], NULL, layer_thread, &j) != 0)
            break;
    if (started == 0 && m->n_layers)
        layer_thread(&j);
    for (size_t i = 0; i < started; i++)
        pthread_join(tids[i], NULL);
    pthread_mutex_destroy(&j.lock);
    res->bytes_pulled = j.bytes;
    if (j.status == 0 && opts->cancel && atomic_load(opts->cancel)) {
        j.status = RS_ERR_CANCELLED;
        snprintf(j.error, sizeof j.error, "scan cancelled");
    }
    if (j.status) {
        for (size_t i = 0; i < m->n_layers; i++)
            rs_layer_result_free(j.results[i]);
        free(j.results);
        snprintf(res->error, sizeof res->error, "%s", j.error);
        return j.status;
    }
    res->layers = j.results;
    res->n_layers = m->n_layers;
    return 0;
}

rs_scan_result *rs_scan_index(rs_blobsrc *src, const char *repository, const char *digest,
                              const rs_scan_opts *opts)
{
    rs_scan_result *res = calloc(1, sizeof *res);
    if (!res)
        return NULL;
    rs_scan_opts dflt;
    if (!opts) {
        rs_scan_opts_default(&dflt);
        opts = &dflt;
    }
    snprintf(res->digest, sizeof res->digest, "%s", digest);
    uint64_t t0 = rs_now_ms();
    rs_manifest *m = NULL;
    char *config = NULL;
    char **digests = NULL;
    char got[RS_DIGEST_SIZE] = "";
    int rc = fetch_manifest(src, repository, digest, &m, got, res->error, sizeof res->error);
    if (rc)
        goto out;
    if (m->kind != RS_MANIFEST_IMAGE) {
        rc = rs_errf(res->error, sizeof res->error, RS_ERR_UNSUPPORTED,
                     "manifest '%s' is an image index, not an image", digest);
        goto out;
    }
    if (m->skip != RS_SKIP_NONE) {
        rc = rs_errf(res->error, sizeof res->error, RS_ERR_UNSUPPORTED,
                     "manifest '%s' is not an image to scan: %s", digest,
                     rs_skip_reason_name(m->skip));
        goto out;
    }
    if (m->n_layers > opts->max_layers) {
        rc = rs_errf(res->error, sizeof res->error, RS_ERR_LIMIT_EXCEEDED,
                     "image '%s' has %zu layers, more than the limit of %zu", digest, m->n_layers,
                     opts->max_layers);
        goto out;
    }
    size_t config_len = 0, n_diff_ids = 0;
    rc = rs_blobsrc_fetch(src, repository, m->config.digest, opts->max_config_bytes, &config,
                          &config_len, res->error, sizeof res->error);
    if (rc)
        goto out;
    if (m->config.size < 0 || (uint64_t)config_len != (uint64_t)m->config.size) {
        rc = rs_errf(res->error, sizeof res->error, RS_ERR_INVALID,
                     "image '%s': config '%s' is %zu bytes, the manifest says %lld", digest,
                     m->config.digest, config_len, (long long)m->config.size);
        goto out;
    }
    rc = parse_config(config, config_len, &res->platform, &n_diff_ids, res->error,
                      sizeof res->error);
    if (rc)
        goto out;
    if (!strcmp(res->platform.os, "windows")) {
        rc = rs_errf(res->error, sizeof res->error, RS_ERR_UNSUPPORTED,
                     "image '%s' is a windows image", digest);
        goto out;
    }
    if (n_diff_ids != m->n_layers) {
        rc = rs_errf(res->error, sizeof res->error, RS_ERR_INVALID,
                     "image '%s': config lists %zu diff_ids for %zu layers", digest, n_diff_ids,
                     m->n_layers);
        goto out;
    }
    rc = pull_layers(src, repository, m, opts, res);
    if (rc)
        goto out;
    uint64_t t1 = rs_now_ms();
    res->pull_ms = t1 - t0;
    digests = calloc(m->n_layers ? m->n_layers : 1, sizeof *digests);
    if (!digests) {
        rc = rs_errf(res->error, sizeof res->error, RS_ERR_INTERNAL, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < m->n_layers; i++)
        digests[i] = m->layers[i].digest;
    rc = rs_merge_layers(res->layers, digests, m->n_layers, &res->inv, res->error,
                         sizeof res->error);
    if (rc == 0) {
        /* the base image annotations, kept with the inventory for rematches */
        snprintf(res->inv->base_name, sizeof res->inv->base_name, "%s", m->base_name);
        snprintf(res->inv->base_digest, sizeof res->inv->base_digest, "%s", m->base_digest);
    }
    if (rc == 0)
        rc = rs_checks_config(config, config_len, res->inv, res->error, sizeof res->error);
    res->analyze_ms = rs_now_ms() - t1;
out:
    if (rc) {
        res->status = rc;
        rs_inventory_free(res->inv);
        res->inv = NULL;
        for (size_t i = 0; i < res->n_layers; i++)
            rs_layer_result_free(res->layers[i]);
        free(res->layers);
        res->layers = NULL;
        res->n_layers = 0;
    }
    if (!res->pull_ms)
        res->pull_ms = rs_now_ms() - t0;
    free(digests);
    free(config);
    rs_manifest_free(m);
    return res;
}
