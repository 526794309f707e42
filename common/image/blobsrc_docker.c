/* blobsrc_docker.c - a `docker save` archive as a blob source.
 *
 * Creation streams through the archive once (libarchive, no temp files),
 * hashing every member and reading manifest.json ([{Config, RepoTags,
 * Layers}]; legacy "<id>/layer.tar" and OCI-style "blobs/sha256/<hex>" paths,
 * symlinked members followed). get_manifest synthesises a Docker schema 2
 * manifest whose config and layer digests are the sha256 of those members;
 * open_blob streams through the archive again to the member and hands out a
 * verifying reader over its data. The one read at creation is held to the
 * archive limits (rs_docker_limits: tar bytes, gzip ratio, entries, JSON
 * sizes). Immutable after creation: thread-safe. */
#include "image.h"
#include "base.h"
#include "index.h"

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DOCKER_MAX_IMAGES 1024
#define DOCKER_MT_CONFIG "application/vnd.docker.container.image.v1+json"
#define DOCKER_MT_LAYER "application/vnd.docker.image.rootfs.diff.tar"
#define DOCKER_MT_LAYER_GZIP "application/vnd.docker.image.rootfs.diff.tar.gzip"

struct member {
    char *name;   /* normalised, without the leading "/" */
    char *target; /* symlink target (normalised), NULL for a file */
    char digest[RS_DIGEST_SIZE];
    int64_t size;
    int gzip;
    int special; /* a FIFO, device or socket entry: named, never read */
};

struct image {
    char **tags;
    size_t n_tags;
    char *body; /* the synthesised manifest */
    size_t len;
    char digest[RS_DIGEST_SIZE];
};

struct docker_src {
    rs_blobsrc base;
    char *path;
    rs_docker_limits lim;
    uint64_t n_entries;
    struct member *m;
    size_t n_m;
    struct image *img;
    size_t n_img;
};

/* Opens the archive at `path` (a regular file only: a FIFO or device is
 * refused before it is read, naming it in errstr) with *fd its descriptor,
 * closed by close_archive. */
static struct archive *open_archive(const char *path, int *fd, char *errstr, size_t errsz)
{
    struct archive *a = NULL;
    if ((*fd = rs_file_open_regular(path, 0, errstr, errsz)) < 0)
        return NULL;
    if (!(a = archive_read_new())) {
        rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
    } else {
        archive_read_support_filter_gzip(a);
        archive_read_support_format_tar(a);
        if (archive_read_open_fd(a, *fd, 65536) == ARCHIVE_OK)
            return a;
        rs_errf(errstr, errsz, RS_ERR_INVALID, "cannot read docker archive '%s': %s", path,
                archive_error_string(a) ? archive_error_string(a) : "unreadable");
        archive_read_free(a);
    }
    close(*fd);
    *fd = -1;
    return NULL;
}

static void close_archive(struct archive *a, int fd)
{
    if (a)
        archive_read_free(a);
    if (fd >= 0)
        close(fd);
}

/* Member name without "./" or "/", as manifest.json writes it. */
static int member_name(const char *raw, char *out, size_t out_size)
{
    char norm[4098];
    if (rs_analyzer_path_normalize(raw, norm, sizeof norm) != 0 || strlen(norm) < 2 ||
        strlen(norm) > out_size)
        return -1;
    memcpy(out, norm + 1, strlen(norm));
    return 0;
}

static const struct member *find_member(const struct docker_src *s, const char *name)
{
    char cur[4098];
    snprintf(cur, sizeof cur, "%s", name);
    for (int hop = 0; hop < 8; hop++) {
        const struct member *m = NULL;
        for (size_t i = 0; i < s->n_m; i++)
            if (strcmp(s->m[i].name, cur) == 0)
                m = &s->m[i];
        if (!m || !m->target)
            return m;
        snprintf(cur, sizeof cur, "%s", m->target);
    }
    return NULL;
}

static void docker_destroy(rs_blobsrc *bs)
{
    struct docker_src *s = (struct docker_src *)bs;
    for (size_t i = 0; i < s->n_m; i++) {
        free(s->m[i].name);
        free(s->m[i].target);
    }
    free(s->m);
    for (size_t i = 0; i < s->n_img; i++) {
        for (size_t k = 0; k < s->img[i].n_tags; k++)
            free(s->img[i].tags[k]);
        free(s->img[i].tags);
        free(s->img[i].body);
    }
    free(s->img);
    free(s->path);
    free(s);
}

/* Resolves a symlink target written relative to the member's directory. */
static int link_target(const char *member, const char *target, char *out, size_t out_size)
{
    char joined[8200];
    const char *slash = strrchr(member, '/');
    if (target[0] == '/')
        snprintf(joined, sizeof joined, "%s", target);
    else
        snprintf(joined, sizeof joined, "/%.*s/%s", slash ? (int)(slash - member) : 0, member,
                 target);
    /* fold "x/../" by hand: the normaliser refuses ".." */
    char stack[4098] = "";
    size_t o = 0;
    const char *p = joined;
    while (*p) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        const char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n == 2 && p[0] == '.' && p[1] == '.') {
            char *ls = strrchr(stack, '/');
            o = ls ? (size_t)(ls - stack) : 0;
            stack[o] = '\0';
        } else if (!(n == 1 && p[0] == '.')) {
            if (o + n + 2 > sizeof stack)
                return -1;
            stack[o++] = '/';
            memcpy(stack + o, p, n);
            o += n;
            stack[o] = '\0';
        }
        p += n;
    }
    return member_name(stack[0] ? stack : "/", out, out_size);
}

/* The archive's size limits against the position of the tar reader. */
static int check_limits(struct docker_src *s, struct archive *a, char *errstr, size_t errsz)
{
    const rs_docker_limits *l = &s->lim;
    int64_t tar = archive_filter_bytes(a, 0), packed = archive_filter_bytes(a, -1);
    uint64_t t = tar > 0 ? (uint64_t)tar : 0, p = packed > 0 ? (uint64_t)packed : 1;
    if (l->max_entries && s->n_entries > l->max_entries)
        return rs_errf(errstr, errsz, RS_ERR_LIMIT_EXCEEDED,
                       "docker archive '%s' exceeds max_entries (%llu entries)", s->path,
                       (unsigned long long)l->max_entries);
    if (l->max_bytes && t > l->max_bytes)
        return rs_errf(errstr, errsz, RS_ERR_LIMIT_EXCEEDED,
                       "docker archive '%s' exceeds max_bytes (%llu bytes)", s->path,
                       (unsigned long long)l->max_bytes);
    /* only a compressed archive has a ratio (one filter: none) */
    if (l->max_ratio > 0 && archive_filter_count(a) > 1 && t > l->ratio_min_bytes &&
        (double)t > l->max_ratio * (double)p)
        return rs_errf(errstr, errsz, RS_ERR_LIMIT_EXCEEDED,
                       "docker archive '%s' exceeds max_ratio (%.0f): %llu bytes inflated from "
                       "%llu",
                       s->path, l->max_ratio, (unsigned long long)t, (unsigned long long)p);
    return 0;
}

static int bad_archive(const struct docker_src *s, struct archive *a, char *errstr, size_t errsz)
{
    return rs_errf(errstr, errsz, RS_ERR_INVALID, "invalid docker archive '%s': %s", s->path,
                   archive_error_string(a));
}

/* Streams the archive once: hashes members, returns manifest.json. */
static int scan_archive(struct docker_src *s, char **manifest, size_t *mlen, char *errstr,
                        size_t errsz)
{
    int rc = 0;
    int fd = -1;
    char why[512] = "";
    rs_sha256 *h = rs_sha256_new();
    struct archive *a = open_archive(s->path, &fd, why, sizeof why);
    rs_buf mj = RS_BUF_INIT;
    mj.limit = s->lim.max_json_bytes ? (size_t)s->lim.max_json_bytes : SIZE_MAX;
    *manifest = NULL;
    if (!h || !a) {
        rc = rs_errf(errstr, errsz, RS_ERR_CONFIG, "cannot open docker archive '%s': %s",
                     s->path, h ? why : "out of memory");
        goto out;
    }
    size_t cap = 0;
    struct archive_entry *e;
    int nx;
    unsigned damaged = 0; /* none allowed: a member behind a damaged header would be lost */
    while ((nx = rs_layer_tar_next(a, &e, &damaged, 0)) > 0) {
        char name[4097];
        s->n_entries++;
        if ((rc = check_limits(s, a, errstr, errsz)))
            goto out;
        const char *raw = archive_entry_pathname(e);
        mode_t type = archive_entry_filetype(e);
        if (!raw || member_name(raw, name, sizeof name) != 0 || type == AE_IFDIR)
            continue;
        if (RS_GROW(s->m, s->n_m + 1, cap))
            goto oom;
        struct member *m = &s->m[s->n_m];
        memset(m, 0, sizeof *m);
        if (!(m->name = strdup(name)))
            goto oom;
        s->n_m++;
        const char *hl = archive_entry_hardlink(e);
        m->special = type != AE_IFREG && type != AE_IFLNK && !hl;
        if (m->special)
            continue; /* refused by name when manifest.json names it */
        if (type == AE_IFLNK || hl) {
            char t[4097];
            const char *target = hl ? hl : archive_entry_symlink(e);
            if (!target ||
                (hl ? member_name(hl, t, sizeof t) : link_target(name, target, t, sizeof t)))
                continue; /* an unusable link is never looked up */
            if (!(m->target = strdup(t)))
                goto oom;
            continue;
        }
        int is_manifest = strcmp(name, "manifest.json") == 0;
        rs_sha256_reset(h);
        unsigned char head[2];
        size_t got_head = 0;
        const void *blk;
        size_t n;
        int64_t off;
        int more;
        while ((more = rs_layer_tar_block(a, &blk, &n, &off)) > 0) {
            if ((rc = check_limits(s, a, errstr, errsz)))
                goto out;
            rs_sha256_update(h, blk, n);
            m->size += (int64_t)n;
            if (got_head < 2 && n) {
                size_t take = n < 2 - got_head ? n : 2 - got_head;
                memcpy(head + got_head, blk, take);
                got_head += take;
            }
            if (is_manifest && rs_buf_append(&mj, blk, n)) {
                rc = rs_errf(errstr, errsz, RS_ERR_LIMIT_EXCEEDED,
                             "manifest.json of docker archive '%s' exceeds max_json_bytes (%llu "
                             "bytes)",
                             s->path, (unsigned long long)s->lim.max_json_bytes);
                goto out;
            }
        }
        if (more < 0) {
            rc = bad_archive(s, a, errstr, errsz);
            goto out;
        }
        rs_sha256_final(h, m->digest);
        m->gzip = got_head == 2 && head[0] == 0x1f && head[1] == 0x8b;
    }
    if (nx < 0) {
        rc = bad_archive(s, a, errstr, errsz);
        goto out;
    }
    const struct member *mm = find_member(s, "manifest.json");
    if (!mm || mm->special) {
        rc = rs_errf(errstr, errsz, RS_ERR_INVALID, "invalid docker archive '%s': %s", s->path,
                     mm ? "'manifest.json' is not a regular file" : "no manifest.json");
        goto out;
    }
    *mlen = mj.len;
    *manifest = rs_buf_steal(&mj);
    goto out;
oom:
    rc = rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
out:
    rs_buf_free(&mj);
    close_archive(a, fd);
    rs_sha256_destroy(h);
    return rc;
}

static json_t *descriptor(const char *mt, const struct member *m)
{
    return json_pack("{s:s, s:I, s:s}", "mediaType", mt, "size", (json_int_t)m->size, "digest",
                     m->digest);
}

/* Builds the synthesised manifests from manifest.json. */
static int build_images(struct docker_src *s, const char *mj, size_t mlen, char *errstr,
                        size_t errsz)
{
    int rc = 0;
    json_t *root = json_loadb(mj, mlen, 0, NULL), *man = NULL;
    if (!json_is_array(root) || json_array_size(root) == 0 ||
        json_array_size(root) > DOCKER_MAX_IMAGES) {
        rc = rs_errf(errstr, errsz, RS_ERR_INVALID,
                     "invalid docker archive '%s': manifest.json is not a list of images", s->path);
        goto out;
    }
    if (!(s->img = calloc(json_array_size(root), sizeof *s->img)))
        goto oom;
    size_t i;
    json_t *it;
    json_array_foreach(root, i, it)
    {
        struct image *img = &s->img[s->n_img++];
        json_t *cfg = json_object_get(it, "Config"), *tags = json_object_get(it, "RepoTags"),
               *layers = json_object_get(it, "Layers");
        if (!json_is_string(cfg) || !json_is_array(layers) ||
            json_array_size(layers) > RS_MANIFEST_MAX_LAYERS ||
            (tags && !json_is_null(tags) && !json_is_array(tags))) {
            rc = rs_errf(errstr, errsz, RS_ERR_INVALID,
                         "invalid docker archive '%s': bad image %zu in manifest.json", s->path, i);
            goto out;
        }
        const struct member *cm = find_member(s, json_string_value(cfg));
        if (!cm || cm->special) {
            rc = rs_errf(errstr, errsz, RS_ERR_INVALID,
                         "invalid docker archive '%s': config '%.200s' %s", s->path,
                         json_string_value(cfg), cm ? "is not a regular file" : "missing");
            goto out;
        }
        if (s->lim.max_json_bytes && (uint64_t)cm->size > s->lim.max_json_bytes) {
            rc = rs_errf(errstr, errsz, RS_ERR_LIMIT_EXCEEDED,
                         "config '%.200s' of docker archive '%s' exceeds max_json_bytes (%llu "
                         "bytes)",
                         json_string_value(cfg), s->path,
                         (unsigned long long)s->lim.max_json_bytes);
            goto out;
        }
        size_t n_tags = json_is_array(tags) ? json_array_size(tags) : 0;
        if (n_tags > RS_MANIFEST_MAX_ENTRIES ||
            !(img->tags = calloc(n_tags ? n_tags : 1, sizeof *img->tags)))
            goto oom;
        for (size_t k = 0; k < n_tags; k++) {
            const char *t = json_string_value(json_array_get(tags, k));
            if (t && !(img->tags[img->n_tags++] = strdup(t)))
                goto oom;
        }
        json_t *ls = json_array();
        man = json_pack("{s:i, s:s, s:o, s:o}", "schemaVersion", 2, "mediaType",
                        RS_MT_DOCKER_MANIFEST, "config", descriptor(DOCKER_MT_CONFIG, cm), "layers",
                        ls);
        if (!man)
            goto oom;
        size_t k;
        json_t *l;
        json_array_foreach(layers, k, l)
        {
            const struct member *lm =
                json_is_string(l) ? find_member(s, json_string_value(l)) : NULL;
            if (!lm || lm->special) {
                rc = rs_errf(errstr, errsz, RS_ERR_INVALID,
                             "invalid docker archive '%s': layer %zu of image %zu %s", s->path, k,
                             i, lm ? "is not a regular file" : "missing");
                goto out;
            }
            if (json_array_append_new(
                    ls, descriptor(lm->gzip ? DOCKER_MT_LAYER_GZIP : DOCKER_MT_LAYER, lm)))
                goto oom;
        }
        if (!(img->body = json_dumps(man, JSON_COMPACT | JSON_PRESERVE_ORDER)))
            goto oom;
        img->len = strlen(img->body);
        rs_sha256_digest(img->body, img->len, img->digest);
        json_decref(man);
        man = NULL;
    }
    goto out;
oom:
    rc = rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
out:
    json_decref(man);
    json_decref(root);
    return rc;
}

static int docker_get_manifest(rs_blobsrc *bs, const char *repository, const char *ref, char **body,
                               size_t *len, char media_type[128], char digest[RS_DIGEST_SIZE],
                               char *errstr, size_t errsz)
{
    (void)repository;
    struct docker_src *s = (struct docker_src *)bs;
    const struct image *img = NULL;
    *body = NULL;
    *len = 0;
    if (!ref || !ref[0]) {
        img = &s->img[0];
    } else {
        for (size_t i = 0; !img && i < s->n_img; i++) {
            if (strcmp(s->img[i].digest, ref) == 0)
                img = &s->img[i];
            for (size_t k = 0; !img && k < s->img[i].n_tags; k++)
                if (strcmp(s->img[i].tags[k], ref) == 0)
                    img = &s->img[i];
        }
    }
    if (!img)
        return rs_errf(errstr, errsz, RS_ERR_MANIFEST_UNKNOWN,
                       "manifest unknown '%.200s' in docker archive '%s'", ref, s->path);
    if (!(*body = malloc(img->len + 1)))
        return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
    memcpy(*body, img->body, img->len + 1);
    *len = img->len;
    snprintf(media_type, 128, "%s", RS_MT_DOCKER_MANIFEST);
    snprintf(digest, RS_DIGEST_SIZE, "%s", img->digest);
    return 0;
}

/* A reader over one member's data, streaming through the archive. */
struct member_reader {
    rs_reader base;
    struct archive *a;
    int fd;
    char name[128];
};

static ssize_t member_read(rs_reader *r, void *buf, size_t n, char *errstr, size_t errsz)
{
    struct member_reader *m = (struct member_reader *)r;
    la_ssize_t got = archive_read_data(m->a, buf, n);
    if (got < 0)
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "cannot read '%s' from docker archive: %s",
                       m->name, archive_error_string(m->a));
    return (ssize_t)got;
}

static void member_destroy(rs_reader *r)
{
    struct member_reader *m = (struct member_reader *)r;
    close_archive(m->a, m->fd);
    free(m);
}

static int docker_open_blob(rs_blobsrc *bs, const char *repository, const char *digest,
                            size_t max_bytes, rs_reader **out, char *errstr, size_t errsz)
{
    (void)repository;
    struct docker_src *s = (struct docker_src *)bs;
    const struct member *want = NULL;
    *out = NULL;
    for (size_t i = 0; digest && !want && i < s->n_m; i++)
        if (!s->m[i].target && strcmp(s->m[i].digest, digest) == 0)
            want = &s->m[i];
    if (!want)
        return rs_errf(errstr, errsz, RS_ERR_BLOB_UNKNOWN,
                       "blob unknown '%.80s' in docker archive '%s'", digest ? digest : "",
                       s->path);
    struct member_reader *mr = calloc(1, sizeof *mr);
    char why[512] = "out of memory";
    if (!mr || !(mr->a = open_archive(s->path, &mr->fd, why, sizeof why))) {
        free(mr);
        return rs_errf(errstr, errsz, RS_ERR_BLOB_UNKNOWN, "cannot open docker archive '%s': %s",
                       s->path, why);
    }
    mr->base.read = member_read;
    mr->base.destroy = member_destroy;
    snprintf(mr->name, sizeof mr->name, "%s", want->name);
    for (;;) {
        struct archive_entry *e;
        unsigned damaged = 0;
        char name[4097];
        if (rs_layer_tar_next(mr->a, &e, &damaged, 0) <= 0) {
            member_destroy(&mr->base);
            return rs_errf(errstr, errsz, RS_ERR_BLOB_UNKNOWN,
                           "blob '%s' vanished from docker archive '%s'", digest, s->path);
        }
        const char *raw = archive_entry_pathname(e);
        if (raw && archive_entry_filetype(e) == AE_IFREG && !archive_entry_hardlink(e) &&
            member_name(raw, name, sizeof name) == 0 && strcmp(name, want->name) == 0)
            break;
    }
    if (!(*out = rs_reader_verify_new(&mr->base, digest, max_bytes, digest)))
        return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
    return 0;
}

rs_blobsrc *rs_blobsrc_docker_new(const char *path, char *errstr, size_t errsz)
{
    return rs_blobsrc_docker_open(path, NULL, errstr, errsz);
}

rs_blobsrc *rs_blobsrc_docker_open(const char *path, const rs_docker_limits *limits, char *errstr,
                                   size_t errsz)
{
    static const rs_docker_limits defaults = RS_DOCKER_LIMITS_DEFAULT;
    struct docker_src *s = calloc(1, sizeof *s);
    char *mj = NULL;
    size_t mlen = 0;
    if (!s || !(s->path = strdup(path))) {
        free(s);
        rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
        return NULL;
    }
    s->lim = limits ? *limits : defaults;
    s->base.kind = "docker-archive";
    s->base.get_manifest = docker_get_manifest;
    s->base.open_blob = docker_open_blob;
    s->base.destroy = docker_destroy;
    if (scan_archive(s, &mj, &mlen, errstr, errsz) != 0 ||
        build_images(s, mj, mlen, errstr, errsz) != 0) {
        free(mj);
        docker_destroy(&s->base);
        return NULL;
    }
    free(mj);
    return &s->base;
}
