/* manifest.c - parse and classify OCI / Docker manifests and indexes.
 *
 * Strict about what is scanned (every descriptor's media type, digest and
 * size are checked, counts are bounded) and lenient about what is skipped:
 * schema 1, signatures, attestations, SBOMs, Helm charts and other artifacts
 * parse to a manifest whose `skip` says why, so they are counted, not failed.
 * Does no I/O. */
#include "image.h"
#include "base.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define MT_HELM_CONFIG "application/vnd.cncf.helm.config.v1+json"
#define MT_COSIGN_SIG "application/vnd.dev.cosign.simplesigning.v1+json"
#define MT_IN_TOTO "application/vnd.in-toto+json"
#define MT_DOCKER_FOREIGN "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
#define MT_OCI_NONDIST_PREFIX "application/vnd.oci.image.layer.nondistributable."

static const char *const skip_names[RS_SKIP__COUNT] = {
    "none",    "signature", "attestation", "sbom",    "helm",         "artifact",
    "windows", "platform",  "schema1",     "foreign", "unknown-type",
};

const char *rs_skip_reason_name(rs_skip_reason r)
{
    if ((int)r < 0 || r >= RS_SKIP__COUNT)
        return "unknown";
    return skip_names[r];
}

void rs_manifest_free(rs_manifest *m)
{
    if (!m)
        return;
    free(m->layers);
    free(m->manifests);
    free(m);
}

static int is_index_type(const char *mt)
{
    return !strcmp(mt, RS_MT_OCI_INDEX) || !strcmp(mt, RS_MT_DOCKER_LIST);
}

static int is_image_type(const char *mt)
{
    return !strcmp(mt, RS_MT_OCI_MANIFEST) || !strcmp(mt, RS_MT_DOCKER_MANIFEST);
}

static int is_v1_type(const char *mt)
{
    return !strcmp(mt, RS_MT_DOCKER_V1) || !strcmp(mt, RS_MT_DOCKER_V1_SIGNED);
}

/* Copies a Content-Type without parameters, lowercased. */
static void bare_type(const char *ct, char out[128])
{
    size_t n = strcspn(ct, ";");
    while (n && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
        n--;
    while (n && (*ct == ' ' || *ct == '\t')) {
        ct++;
        n--;
    }
    if (n > 127)
        n = 127;
    for (size_t i = 0; i < n; i++)
        out[i] = (char)tolower((unsigned char)ct[i]);
    out[n] = '\0';
}

/* Copies an optional string member; -1 when present but not a string or too long. */
static int get_str(json_t *obj, const char *key, char *out, size_t out_size, int required)
{
    json_t *v = json_object_get(obj, key);
    out[0] = '\0';
    if (!v)
        return required ? -1 : 0;
    if (!json_is_string(v) || json_string_length(v) >= out_size)
        return -1;
    if (strlen(json_string_value(v)) != json_string_length(v))
        return -1; /* embedded NUL */
    memcpy(out, json_string_value(v), json_string_length(v) + 1);
    return 0;
}

static int parse_descriptor(json_t *d, int index_entry, rs_descriptor *out, const char *where,
                            size_t i, char *errstr, size_t errsz)
{
    memset(out, 0, sizeof *out);
    if (!json_is_object(d))
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "invalid manifest: %s[%zu] is not an object",
                       where, i);
    if (get_str(d, "mediaType", out->media_type, sizeof out->media_type, 1) || !out->media_type[0])
        return rs_errf(errstr, errsz, RS_ERR_INVALID,
                       "invalid manifest: %s[%zu].mediaType is missing or malformed", where, i);
    if (get_str(d, "digest", out->digest, sizeof out->digest, 1) || !rs_digest_valid(out->digest))
        return rs_errf(errstr, errsz, RS_ERR_INVALID,
                       "invalid manifest: %s[%zu].digest is not a sha256 digest", where, i);
    json_t *size = json_object_get(d, "size");
    if (!json_is_integer(size) || json_integer_value(size) < 0)
        return rs_errf(errstr, errsz, RS_ERR_INVALID,
                       "invalid manifest: %s[%zu].size is not a non-negative integer", where, i);
    out->size = (int64_t)json_integer_value(size);
    if (!index_entry)
        return 0;
    json_t *p = json_object_get(d, "platform");
    if (p) {
        if (!json_is_object(p) || get_str(p, "os", out->platform.os, sizeof out->platform.os, 1) ||
            get_str(p, "architecture", out->platform.architecture,
                    sizeof out->platform.architecture, 1) ||
            get_str(p, "variant", out->platform.variant, sizeof out->platform.variant, 0) ||
            get_str(p, "os.version", out->platform.os_version, sizeof out->platform.os_version, 0))
            return rs_errf(errstr, errsz, RS_ERR_INVALID,
                           "invalid manifest: %s[%zu].platform is malformed", where, i);
        out->has_platform = 1;
    }
    json_t *ann = json_object_get(d, "annotations");
    if (ann && !json_is_object(ann))
        return rs_errf(errstr, errsz, RS_ERR_INVALID,
                       "invalid manifest: %s[%zu].annotations is not an object", where, i);
    json_t *rt = json_object_get(ann, "vnd.docker.reference.type");
    if (json_is_string(rt) && !strcmp(json_string_value(rt), "attestation-manifest"))
        out->is_attestation = 1;
    return 0;
}

/* What an artifact type or non-image config media type says it is. */
static rs_skip_reason artifact_kind(const char *t)
{
    char low[128];
    bare_type(t, low);
    if (strstr(low, "sbom") || strstr(low, "spdx") || strstr(low, "cyclonedx") ||
        strstr(low, "syft"))
        return RS_SKIP_SBOM;
    if (strstr(low, "in-toto") || strstr(low, "intoto") || strstr(low, "attestation"))
        return RS_SKIP_ATTESTATION;
    if (strstr(low, "cosign") && strstr(low, "sig"))
        return RS_SKIP_SIGNATURE;
    if (!strcmp(low, MT_HELM_CONFIG))
        return RS_SKIP_HELM;
    return RS_SKIP_ARTIFACT;
}

static int is_foreign(const char *mt)
{
    return !strcmp(mt, MT_DOCKER_FOREIGN) ||
           !strncmp(mt, MT_OCI_NONDIST_PREFIX, sizeof MT_OCI_NONDIST_PREFIX - 1);
}

static rs_skip_reason classify_image(const rs_manifest *m)
{
    for (size_t i = 0; i < m->n_layers; i++)
        if (!strcmp(m->layers[i].media_type, MT_COSIGN_SIG))
            return RS_SKIP_SIGNATURE;
    for (size_t i = 0; i < m->n_layers; i++)
        if (!strcmp(m->layers[i].media_type, MT_IN_TOTO))
            return RS_SKIP_ATTESTATION;
    if (!strcmp(m->config.media_type, MT_HELM_CONFIG))
        return RS_SKIP_HELM;
    if (m->artifact_type[0])
        return artifact_kind(m->artifact_type);
    if (strcmp(m->config.media_type, MT_OCI_CONFIG) &&
        strcmp(m->config.media_type, MT_DOCKER_CONFIG))
        return artifact_kind(m->config.media_type);
    for (size_t i = 0; i < m->n_layers; i++)
        if (is_foreign(m->layers[i].media_type))
            return RS_SKIP_FOREIGN;
    return RS_SKIP_NONE;
}

static rs_skip_reason classify_index(const rs_manifest *m)
{
    if (m->artifact_type[0])
        return artifact_kind(m->artifact_type);
    size_t images = 0, windows = 0;
    for (size_t i = 0; i < m->n_manifests; i++) {
        const rs_descriptor *d = &m->manifests[i];
        if (d->is_attestation)
            continue;
        images++;
        if (d->has_platform && !strcmp(d->platform.os, "windows"))
            windows++;
    }
    if (images && windows == images)
        return RS_SKIP_WINDOWS;
    return RS_SKIP_NONE;
}

#define ANN_BASE_NAME "org.opencontainers.image.base.name"
#define ANN_BASE_DIGEST "org.opencontainers.image.base.digest"

/* 1 when s (len bytes) can be an image reference: registry/repository:tag or
 * @digest, in the characters the distribution grammar allows. */
static int reference_ok(const char *s, size_t len)
{
    if (!len || len >= 256)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!s[i] || (!isalnum((unsigned char)s[i]) && !strchr("._-/:@", s[i])))
            return 0;
    return 1;
}

/* Keeps the base image annotations of an image manifest when they are
 * usable; anything else about them is ignored (they do not affect the scan). */
static void parse_base_annotations(json_t *doc, rs_manifest *m)
{
    json_t *ann = json_object_get(doc, "annotations");
    json_t *name = json_object_get(ann, ANN_BASE_NAME);
    json_t *digest = json_object_get(ann, ANN_BASE_DIGEST);
    if (json_is_string(name) && reference_ok(json_string_value(name), json_string_length(name)))
        memcpy(m->base_name, json_string_value(name), json_string_length(name) + 1);
    if (json_is_string(digest) && json_string_length(digest) == RS_DIGEST_LEN &&
        rs_digest_valid(json_string_value(digest)))
        memcpy(m->base_digest, json_string_value(digest), RS_DIGEST_SIZE);
}

static int parse_array(json_t *doc, const char *key, size_t max, int index_entries,
                       rs_descriptor **out, size_t *n_out, char *errstr, size_t errsz)
{
    json_t *arr = json_object_get(doc, key);
    if (!json_is_array(arr))
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "invalid manifest: '%s' is not an array",
                       key);
    size_t n = json_array_size(arr);
    if (n > max)
        return rs_errf(errstr, errsz, RS_ERR_LIMIT_EXCEEDED,
                       "manifest has %zu %s, more than the limit of %zu", n, key, max);
    if (n) {
        *out = calloc(n, sizeof **out);
        if (!*out)
            return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        int rc = parse_descriptor(json_array_get(arr, i), index_entries, &(*out)[i], key, i, errstr,
                                  errsz);
        if (rc)
            return rc;
        *n_out = i + 1;
    }
    return 0;
}

int rs_manifest_parse(const void *data, size_t len, const char *content_type, rs_manifest **out,
                      char *errstr, size_t errsz)
{
    *out = NULL;
    if (len > RS_MANIFEST_MAX_BYTES)
        return rs_errf(errstr, errsz, RS_ERR_LIMIT_EXCEEDED,
                       "manifest is %zu bytes, larger than the limit of %u", len,
                       RS_MANIFEST_MAX_BYTES);
    json_error_t jerr;
    json_t *doc = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
    rs_manifest *m = NULL;
    int rc = 0;
    if (!doc) {
        rc = rs_errf(errstr, errsz, RS_ERR_INVALID, "invalid manifest json: %s (line %d)",
                     jerr.text, jerr.line);
        goto out;
    }
    if (!json_is_object(doc)) {
        rc = rs_errf(errstr, errsz, RS_ERR_INVALID, "invalid manifest: not a json object");
        goto out;
    }
    if (!(m = calloc(1, sizeof *m))) {
        rc = rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
        goto out;
    }
    char ct[128] = "", doc_mt[128];
    if (content_type)
        bare_type(content_type, ct);
    if (get_str(doc, "mediaType", doc_mt, sizeof doc_mt, 0)) {
        rc = rs_errf(errstr, errsz, RS_ERR_INVALID, "invalid manifest: malformed mediaType");
        goto out;
    }
    if (get_str(doc, "artifactType", m->artifact_type, sizeof m->artifact_type, 0)) {
        rc = rs_errf(errstr, errsz, RS_ERR_INVALID, "invalid manifest: malformed artifactType");
        goto out;
    }
    int ct_known = is_index_type(ct) || is_image_type(ct) || is_v1_type(ct);
    int doc_known = is_index_type(doc_mt) || is_image_type(doc_mt);
    if (ct_known && doc_known && strcmp(ct, doc_mt)) {
        rc = rs_errf(errstr, errsz, RS_ERR_INVALID,
                     "invalid manifest: served as '%s' but declares '%s'", ct, doc_mt);
        goto out;
    }
    const char *mt = ct_known ? ct : doc_mt;
    json_t *sv = json_object_get(doc, "schemaVersion");
    if (is_v1_type(mt) || (json_is_integer(sv) && json_integer_value(sv) == 1)) {
        m->kind = RS_MANIFEST_IMAGE;
        snprintf(m->media_type, sizeof m->media_type, "%s", mt[0] ? mt : RS_MT_DOCKER_V1_SIGNED);
        m->skip = RS_SKIP_SCHEMA1;
        goto out;
    }
    if (!json_is_integer(sv) || json_integer_value(sv) != 2) {
        rc = rs_errf(errstr, errsz, RS_ERR_INVALID, "invalid manifest: schemaVersion is not 2");
        goto out;
    }
    if (!mt[0]) {
        /* OCI makes mediaType optional: the structure tells */
        if (json_object_get(doc, "manifests"))
            mt = RS_MT_OCI_INDEX;
        else if (json_object_get(doc, "config"))
            mt = RS_MT_OCI_MANIFEST;
        else {
            rc = rs_errf(errstr, errsz, RS_ERR_INVALID, "invalid manifest: no media type");
            goto out;
        }
    }
    snprintf(m->media_type, sizeof m->media_type, "%s", mt);
    int index;
    if (is_index_type(mt)) {
        index = 1;
    } else if (is_image_type(mt)) {
        index = 0;
    } else {
        /* a type we do not know: recognise its shape, skip it */
        m->kind = json_object_get(doc, "manifests") ? RS_MANIFEST_INDEX : RS_MANIFEST_IMAGE;
        m->skip = RS_SKIP_UNKNOWN_TYPE;
        goto out;
    }
    if (index) {
        m->kind = RS_MANIFEST_INDEX;
        if ((rc = parse_array(doc, "manifests", RS_MANIFEST_MAX_ENTRIES, 1, &m->manifests,
                              &m->n_manifests, errstr, errsz)))
            goto out;
        m->skip = classify_index(m);
    } else {
        m->kind = RS_MANIFEST_IMAGE;
        json_t *cfg = json_object_get(doc, "config");
        if (!cfg) {
            rc = rs_errf(errstr, errsz, RS_ERR_INVALID, "invalid manifest: no config");
            goto out;
        }
        if ((rc = parse_descriptor(cfg, 0, &m->config, "config", 0, errstr, errsz)))
            goto out;
        if ((rc = parse_array(doc, "layers", RS_MANIFEST_MAX_LAYERS, 0, &m->layers, &m->n_layers,
                              errstr, errsz)))
            goto out;
        m->skip = classify_image(m);
        parse_base_annotations(doc, m);
    }
out:
    json_decref(doc);
    if (rc)
        rs_manifest_free(m);
    else
        *out = m;
    return rc;
}

int rs_manifest_tag_is_artifact(const char *tag, rs_skip_reason *reason)
{
    if (!tag || strncmp(tag, "sha256-", 7))
        return 0;
    const char *p = tag + 7;
    for (int i = 0; i < 64; i++)
        if (!isdigit((unsigned char)p[i]) && !(p[i] >= 'a' && p[i] <= 'f'))
            return 0;
    p += 64;
    rs_skip_reason r;
    if (!strcmp(p, ".sig"))
        r = RS_SKIP_SIGNATURE;
    else if (!strcmp(p, ".att"))
        r = RS_SKIP_ATTESTATION;
    else if (!strcmp(p, ".sbom"))
        r = RS_SKIP_SBOM;
    else
        return 0;
    if (reason)
        *reason = r;
    return 1;
}

/* '*' and '?' glob over one platform field. */
static int glob(const char *pat, size_t plen, const char *s)
{
    if (!plen)
        return *s == '\0';
    if (*pat == '*') {
        for (;;) {
            if (glob(pat + 1, plen - 1, s))
                return 1;
            if (!*s)
                return 0;
            s++;
        }
    }
    if (!*s)
        return 0;
    if (*pat != '?' && *pat != *s)
        return 0;
    return glob(pat + 1, plen - 1, s + 1);
}

static int match_one(const rs_platform *p, const char *pat)
{
    const char *f[3] = {NULL, NULL, NULL};
    size_t fl[3] = {0, 0, 0};
    int n = 0;
    const char *s = pat;
    while (n < 3) {
        f[n] = s;
        fl[n] = strcspn(s, "/");
        s += fl[n];
        n++;
        if (*s != '/')
            break;
        s++;
    }
    if (*s)
        return 0; /* more than three parts */
    /* arm64 without variant is v8, as Docker normalises it */
    const char *variant = p->variant;
    if (!variant[0] && !strcmp(p->architecture, "arm64"))
        variant = "v8";
    if (!glob(f[0], fl[0], p->os))
        return 0;
    if (n >= 2 && !glob(f[1], fl[1], p->architecture))
        return 0;
    if (n == 3 && !glob(f[2], fl[2], variant))
        return 0;
    return 1;
}

int rs_platform_match(const rs_platform *p, char *const *patterns, size_t n_patterns)
{
    if (!n_patterns)
        return 1;
    for (size_t i = 0; i < n_patterns; i++)
        if (patterns[i] && match_one(p, patterns[i]))
            return 1;
    return 0;
}

void rs_platform_format(const rs_platform *p, char *out, size_t out_size)
{
    if (p->variant[0])
        snprintf(out, out_size, "%s/%s/%s", p->os, p->architecture, p->variant);
    else
        snprintf(out, out_size, "%s/%s", p->os, p->architecture);
}

rs_skip_reason rs_manifest_entry_skip(const rs_descriptor *d, char *const *patterns,
                                      size_t n_patterns)
{
    if (d->is_attestation)
        return RS_SKIP_ATTESTATION;
    if (is_v1_type(d->media_type))
        return RS_SKIP_SCHEMA1;
    if (!is_index_type(d->media_type) && !is_image_type(d->media_type))
        return RS_SKIP_UNKNOWN_TYPE;
    if (d->has_platform && !strcmp(d->platform.os, "windows"))
        return RS_SKIP_WINDOWS;
    if (d->has_platform && !rs_platform_match(&d->platform, patterns, n_patterns))
        return RS_SKIP_PLATFORM;
    return RS_SKIP_NONE;
}
