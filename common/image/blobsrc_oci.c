/* blobsrc_oci.c - an OCI image layout directory as a blob source.
 *
 * Reads `oci-layout` and `index.json` once; manifests and blobs come from
 * blobs/sha256/<hex>, through verifying readers. Digests are validated
 * before they become paths and the resolved file must stay inside the
 * layout, so a hostile index cannot reach other files. Immutable after
 * creation, hence safe to share between threads. */
#include "image.h"
#include "base.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define OCI_REF_NAME "org.opencontainers.image.ref.name"

struct oci_src {
    rs_blobsrc base;
    char dir[PATH_MAX]; /* realpath of the layout */
    json_t *index;      /* index.json */
};

/* Reads a small regular file fully (at most max bytes): a FIFO or device
 * at its path is refused before anything is read from it. */
static int read_small(const char *path, size_t max, char **out, size_t *len, char *errstr,
                      size_t errsz)
{
    rs_reader *r = rs_reader_regular_new(path, 0, errstr, errsz);
    if (!r)
        return RS_ERR_INVALID;
    int rc = rs_reader_slurp(r, max, out, len, errstr, errsz);
    rs_reader_destroy(r);
    return rc;
}

/* Reads the layout's `oci-layout` or `index.json` (regular files only);
 * RS_ERR_CONFIG naming the file and why it was refused. */
static int read_layout_file(const char *path, size_t max, char **out, size_t *len, char *errstr,
                            size_t errsz)
{
    char why[512];
    if (read_small(path, max, out, len, why, sizeof why) == 0)
        return 0;
    return rs_errf(errstr, errsz, RS_ERR_CONFIG, "not an OCI layout: %s", why);
}

/* Path of blob `digest` inside the layout; RS_ERR_BLOB_UNKNOWN when absent
 * or outside the layout, RS_ERR_INVALID for a malformed digest. */
static int blob_path(struct oci_src *s, const char *digest, char *out, size_t out_size,
                     char *errstr, size_t errsz)
{
    if (!digest || !rs_digest_valid(digest))
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "invalid digest '%.80s'",
                       digest ? digest : "");
    char p[PATH_MAX + 128];
    snprintf(p, sizeof p, "%s/blobs/sha256/%s", s->dir, digest + 7);
    char real[PATH_MAX];
    if (!realpath(p, real))
        return rs_errf(errstr, errsz, RS_ERR_BLOB_UNKNOWN, "blob unknown '%s' in layout '%s'",
                       digest, s->dir);
    size_t dl = strlen(s->dir);
    struct stat st;
    if (strncmp(real, s->dir, dl) != 0 || real[dl] != '/' || stat(real, &st) != 0 ||
        !S_ISREG(st.st_mode))
        return rs_errf(errstr, errsz, RS_ERR_BLOB_UNKNOWN,
                       "blob unknown '%s': not a file inside layout '%s'", digest, s->dir);
    if (strlen(real) + 1 > out_size)
        return rs_errf(errstr, errsz, RS_ERR_BLOB_UNKNOWN, "blob path too long");
    memcpy(out, real, strlen(real) + 1);
    return 0;
}

static int oci_open_blob(rs_blobsrc *bs, const char *repository, const char *digest,
                         size_t max_bytes, rs_reader **out, char *errstr, size_t errsz)
{
    (void)repository;
    struct oci_src *s = (struct oci_src *)bs;
    char path[PATH_MAX];
    *out = NULL;
    int rc = blob_path(s, digest, path, sizeof path, errstr, errsz);
    if (rc)
        return rc == RS_ERR_INVALID ? RS_ERR_BLOB_UNKNOWN : rc;
    /* blob_path resolved every link: one put there since is refused */
    rs_reader *f = rs_reader_regular_new(path, 1, errstr, errsz);
    if (!f)
        return RS_ERR_INVALID;
    if (!(*out = rs_reader_verify_new(f, digest, max_bytes, digest)))
        return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
    return 0;
}

/* The media type a manifest document declares, or guessed from its shape. */
static void doc_media_type(const char *body, size_t len, char out[128])
{
    json_t *j = json_loadb(body, len, 0, NULL);
    const char *mt = json_string_value(json_object_get(j, "mediaType"));
    if (mt && strlen(mt) < 128)
        snprintf(out, 128, "%s", mt);
    else if (json_object_get(j, "manifests"))
        snprintf(out, 128, "%s", RS_MT_OCI_INDEX);
    else
        snprintf(out, 128, "%s", RS_MT_OCI_MANIFEST);
    json_decref(j);
}

static int oci_get_manifest(rs_blobsrc *bs, const char *repository, const char *ref, char **body,
                            size_t *len, char media_type[128], char digest[RS_DIGEST_SIZE],
                            char *errstr, size_t errsz)
{
    struct oci_src *s = (struct oci_src *)bs;
    json_t *mans = json_object_get(s->index, "manifests");
    const json_t *found = NULL;
    const char *want = NULL;
    *body = NULL;
    *len = 0;
    if (!ref)
        ref = "";
    if (ref[0] == '\0') {
        if (json_array_size(mans) != 1)
            return rs_errf(errstr, errsz, RS_ERR_MANIFEST_UNKNOWN,
                           "layout '%s' holds %zu manifests: name one", s->dir,
                           json_array_size(mans));
        found = json_array_get(mans, 0);
    } else {
        size_t i;
        json_t *d;
        int is_digest = strncmp(ref, "sha256:", 7) == 0;
        json_array_foreach(mans, i, d)
        {
            const char *dd = json_string_value(json_object_get(d, "digest"));
            const char *name =
                json_string_value(json_object_get(json_object_get(d, "annotations"), OCI_REF_NAME));
            if ((is_digest && dd && strcmp(dd, ref) == 0) ||
                (!is_digest && name && strcmp(name, ref) == 0)) {
                found = d;
                break;
            }
        }
        if (!found && is_digest)
            want = ref; /* a manifest of a nested index, not listed at the top */
        else if (!found)
            return rs_errf(errstr, errsz, RS_ERR_MANIFEST_UNKNOWN,
                           "manifest unknown '%.200s' in layout '%s'", ref, s->dir);
    }
    if (found) {
        want = json_string_value(json_object_get(found, "digest"));
        if (!want || !rs_digest_valid(want))
            return rs_errf(errstr, errsz, RS_ERR_INVALID,
                           "invalid index.json in '%s': bad manifest digest", s->dir);
    }
    if (!rs_digest_valid(want))
        return rs_errf(errstr, errsz, RS_ERR_MANIFEST_UNKNOWN, "manifest unknown '%.200s'", ref);
    rs_reader *r = NULL;
    int rc = oci_open_blob(bs, repository, want, RS_MANIFEST_MAX_BYTES, &r, errstr, errsz);
    if (rc)
        return rc == RS_ERR_BLOB_UNKNOWN
                   ? rs_errf(errstr, errsz, RS_ERR_MANIFEST_UNKNOWN,
                             "manifest unknown '%s' in layout '%s'", want, s->dir)
                   : rc;
    rc = rs_reader_slurp(r, RS_MANIFEST_MAX_BYTES, body, len, errstr, errsz);
    rs_reader_destroy(r);
    if (rc)
        return rc;
    const char *mt = found ? json_string_value(json_object_get(found, "mediaType")) : NULL;
    if (mt && strlen(mt) < 128)
        snprintf(media_type, 128, "%s", mt);
    else
        doc_media_type(*body, *len, media_type);
    snprintf(digest, RS_DIGEST_SIZE, "%s", want);
    return 0;
}

static void oci_destroy(rs_blobsrc *bs)
{
    struct oci_src *s = (struct oci_src *)bs;
    json_decref(s->index);
    free(s);
}

rs_blobsrc *rs_blobsrc_oci_new(const char *dir, char *errstr, size_t errsz)
{
    struct oci_src *s = calloc(1, sizeof *s);
    char path[PATH_MAX + 32], *data = NULL;
    size_t len = 0;
    json_t *j = NULL;
    if (!s) {
        rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
        return NULL;
    }
    if (!realpath(dir, s->dir)) {
        rs_errf(errstr, errsz, RS_ERR_CONFIG, "cannot open OCI layout '%s': %s", dir,
                strerror(errno));
        goto fail;
    }
    snprintf(path, sizeof path, "%s/oci-layout", s->dir);
    if (read_layout_file(path, 4096, &data, &len, errstr, errsz))
        goto fail;
    if (!(j = json_loadb(data, len, 0, NULL)) ||
        !json_is_string(json_object_get(j, "imageLayoutVersion"))) {
        rs_errf(errstr, errsz, RS_ERR_CONFIG, "not an OCI layout: '%s' has no valid oci-layout",
                dir);
        goto fail;
    }
    json_decref(j);
    j = NULL;
    free(data);
    data = NULL;
    snprintf(path, sizeof path, "%s/index.json", s->dir);
    if (read_layout_file(path, RS_MANIFEST_MAX_BYTES, &data, &len, errstr, errsz))
        goto fail;
    if (!(s->index = json_loadb(data, len, 0, NULL)) ||
        !json_is_array(json_object_get(s->index, "manifests")) ||
        json_array_size(json_object_get(s->index, "manifests")) > RS_MANIFEST_MAX_ENTRIES) {
        rs_errf(errstr, errsz, RS_ERR_CONFIG, "not an OCI layout: '%s' has no valid index.json",
                dir);
        goto fail;
    }
    free(data);
    s->base.kind = "oci-layout";
    s->base.get_manifest = oci_get_manifest;
    s->base.open_blob = oci_open_blob;
    s->base.destroy = oci_destroy;
    return &s->base;
fail:
    free(data);
    json_decref(j);
    json_decref(s->index);
    free(s);
    return NULL;
}
