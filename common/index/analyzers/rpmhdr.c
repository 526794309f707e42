/* analyzers/rpmhdr.c - the rpm header blob (see rpmhdr.h).
 *
 * Layout (rpm's lib/header.c, big-endian): il (u32) index entries and dl
 * (u32) data bytes, then il entries of 16 bytes {tag, type, offset, count},
 * then the data store. Bounds as rpm's own hdrchkTags/hdrchkData: at most
 * 0xffff entries and 256 MiB of data, and the blob must hold them all. A
 * value is read only after its entry is checked: the type is the one the
 * tag has, the offset lies in the data store, a STRING ends with a NUL
 * inside it, a STRING_ARRAY holds `count` NUL-terminated strings inside it,
 * an INT32 array of `count` values fits in it. Tags read: NAME, VERSION,
 * RELEASE, EPOCH, ARCH, SOURCERPM, VENDOR, LICENSE and the file list.
 * Allocates only the directory table of the file list. */
#include "analyzers/rpmhdr_int.h"
#include "base.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HDR_MAX_TAGS 0xffffu
#define HDR_MAX_DATA 0x0fffffffu
#define HDR_PATH_MAX 4096
#define HDR_FIELD_MAX 1024 /* NAME, VERSION, ... longer is malformed */

enum { T_INT32 = 4, T_STRING = 6, T_BIN = 7, T_STRING_ARRAY = 8, T_I18NSTRING = 9 };

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Checks that `count` NUL-terminated strings start at e->off. */
static int strings_fit(const rs_rpmhdr *h, const rs_rpmhdr_ent *e)
{
    size_t o = e->off;
    if (e->count == 0 || e->count > h->dl)
        return 0;
    for (uint32_t i = 0; i < e->count; i++) {
        if (o >= h->dl)
            return 0;
        const uint8_t *z = memchr(h->data + o, '\0', h->dl - o);
        if (!z)
            return 0;
        o = (size_t)(z - h->data) + 1;
    }
    return 1;
}

/* Checks entry `e` against its type: 0 when its value lies in the store. */
static int ent_check(const rs_rpmhdr *h, const rs_rpmhdr_ent *e)
{
    if (e->off >= h->dl)
        return -1;
    switch (e->type) {
    case T_INT32:
        return e->count && e->count <= (h->dl - e->off) / 4 ? 0 : -1;
    case T_STRING:
        return e->count == 1 && strings_fit(h, e) ? 0 : -1;
    case T_STRING_ARRAY:
    case T_I18NSTRING:
        return strings_fit(h, e) ? 0 : -1;
    default:
        return -1;
    }
}

/* The first string of checked entry e (STRING, or the first of an array). */
static rs_rpmhdr_str ent_str(const rs_rpmhdr *h, const rs_rpmhdr_ent *e)
{
    rs_rpmhdr_str s = {NULL, 0};
    if (!e->found)
        return s;
    s.p = (const char *)h->data + e->off;
    s.n = strlen(s.p); /* NUL inside the store: checked */
    return s;
}

/* Where index entry `tag` goes in h, with the types it may have. */
static rs_rpmhdr_ent *slot_for(rs_rpmhdr_ent *tmp, rs_rpmhdr *h, uint32_t tag, unsigned *types)
{
    unsigned str = 1u << T_STRING, i18n = 1u << T_I18NSTRING, arr = 1u << T_STRING_ARRAY;
    switch (tag) {
    case RS_RPMTAG_NAME: *types = str; return &tmp[0];
    case RS_RPMTAG_VERSION: *types = str; return &tmp[1];
    case RS_RPMTAG_RELEASE: *types = str; return &tmp[2];
    case RS_RPMTAG_ARCH: *types = str; return &tmp[3];
    case RS_RPMTAG_SOURCERPM: *types = str; return &tmp[4];
    case RS_RPMTAG_VENDOR: *types = str | i18n; return &tmp[5];
    case RS_RPMTAG_LICENSE: *types = str | i18n; return &tmp[6];
    case RS_RPMTAG_EPOCH: *types = 1u << T_INT32; return &tmp[7];
    case RS_RPMTAG_DIRNAMES: *types = arr; return &h->dirnames;
    case RS_RPMTAG_BASENAMES: *types = arr; return &h->basenames;
    case RS_RPMTAG_DIRINDEXES: *types = 1u << T_INT32; return &h->dirindexes;
    case RS_RPMTAG_OLDFILENAMES: *types = arr; return &h->oldfilenames;
    default: return NULL;
    }
}

static int field_ok(rs_rpmhdr_str s)
{
    return s.p && s.n > 0 && s.n <= HDR_FIELD_MAX;
}

int rs_rpmhdr_parse(const uint8_t *blob, size_t len, rs_rpmhdr *h)
{
    rs_rpmhdr_ent tmp[8];
    memset(h, 0, sizeof *h);
    memset(tmp, 0, sizeof tmp);
    if (!blob || len < 8)
        return RS_ERR_INVALID;
    uint32_t il = be32(blob), dl = be32(blob + 4);
    if (il == 0 || il > HDR_MAX_TAGS || dl > HDR_MAX_DATA ||
        (uint64_t)8 + (uint64_t)il * 16 + dl > len)
        return RS_ERR_INVALID;
    h->data = blob + 8 + (size_t)il * 16;
    h->dl = dl;
    for (uint32_t i = 0; i < il; i++) {
        const uint8_t *e = blob + 8 + (size_t)i * 16;
        unsigned types = 0;
        rs_rpmhdr_ent *slot = slot_for(tmp, h, be32(e), &types);
        if (!slot || slot->found)
            continue; /* not read, or a duplicate: the first one counts */
        rs_rpmhdr_ent v = {be32(e + 4), be32(e + 8), be32(e + 12), 1};
        if (v.type > 31 || !(types & (1u << v.type)) || ent_check(h, &v))
            return RS_ERR_INVALID;
        *slot = v;
    }
    h->name = ent_str(h, &tmp[0]);
    h->version = ent_str(h, &tmp[1]);
    h->release = ent_str(h, &tmp[2]);
    h->arch = ent_str(h, &tmp[3]);
    h->sourcerpm = ent_str(h, &tmp[4]);
    h->vendor = ent_str(h, &tmp[5]);
    h->license = ent_str(h, &tmp[6]);
    if (tmp[7].found) {
        h->has_epoch = 1;
        h->epoch = be32(h->data + tmp[7].off);
    }
    if (!field_ok(h->name) || !field_ok(h->version) || !field_ok(h->release) ||
        (h->arch.p && h->arch.n > HDR_FIELD_MAX) ||
        (h->sourcerpm.p && h->sourcerpm.n > HDR_FIELD_MAX))
        return RS_ERR_INVALID;
    return 0;
}

/* Files of OLDFILENAMES: each string a whole path. */
static int old_files(const rs_rpmhdr *h, int (*fn)(void *, const char *, size_t), void *ctx)
{
    size_t o = h->oldfilenames.off;
    for (uint32_t i = 0; i < h->oldfilenames.count; i++) {
        const char *s = (const char *)h->data + o;
        size_t n = strlen(s); /* each string's NUL was checked */
        o += n + 1;
        int rc = n && n <= HDR_PATH_MAX ? fn(ctx, s, n) : 0;
        if (rc)
            return rc;
    }
    return 0;
}

/* Calls fn for dirnames[dirindexes[i]] + basenames[i], i < count. */
static int dir_files(const rs_rpmhdr *h, const char **dirs,
                     int (*fn)(void *, const char *, size_t), void *ctx)
{
    char path[HDR_PATH_MAX + 1];
    size_t bo = h->basenames.off;
    for (uint32_t i = 0; i < h->basenames.count; i++) {
        const char *base = (const char *)h->data + bo;
        size_t bn = strlen(base);
        bo += bn + 1;
        uint32_t di = be32(h->data + h->dirindexes.off + (size_t)i * 4);
        size_t dn = strlen(dirs[di]);
        if (dn + bn > HDR_PATH_MAX || dn + bn == 0)
            continue;
        memcpy(path, dirs[di], dn);
        memcpy(path + dn, base, bn);
        int rc = fn(ctx, path, dn + bn);
        if (rc)
            return rc;
    }
    return 0;
}

int rs_rpmhdr_files(const rs_rpmhdr *h, int (*fn)(void *ctx, const char *path, size_t n),
                    void *ctx)
{
    if (!h->basenames.found && !h->dirnames.found && !h->dirindexes.found)
        return h->oldfilenames.found ? old_files(h, fn, ctx) : 0;
    if (!h->basenames.found || !h->dirnames.found || !h->dirindexes.found ||
        h->dirindexes.count != h->basenames.count)
        return RS_ERR_INVALID;
    /* every index first, so a bad list adds no file at all */
    for (uint32_t i = 0; i < h->dirindexes.count; i++)
        if (be32(h->data + h->dirindexes.off + (size_t)i * 4) >= h->dirnames.count)
            return RS_ERR_INVALID;
    /* counts were checked against the store: dirnames.count <= dl */
    const char **dirs = malloc(sizeof *dirs * h->dirnames.count);
    if (!dirs)
        return RS_ERR_INTERNAL;
    size_t o = h->dirnames.off;
    for (uint32_t i = 0; i < h->dirnames.count; i++) {
        dirs[i] = (const char *)h->data + o;
        o += strlen(dirs[i]) + 1;
    }
    int rc = dir_files(h, dirs, fn, ctx);
    free(dirs);
    return rc;
}

static int add_owned(void *ctx, const char *path, size_t n)
{
    return rs_analysis_add_owned(ctx, path, n);
}

/* SOURCERPM "name-version-release.src.rpm" into name and version-release
 * slices. Returns 0, or -1 when it does not have that shape. */
static int split_srpm(rs_rpmhdr_str s, rs_rpmhdr_str *name, rs_rpmhdr_str *vr)
{
    static const char *const sfx[] = {".src.rpm", ".nosrc.rpm"};
    size_t n = s.n;
    for (int i = 0; i < 2; i++) {
        size_t k = strlen(sfx[i]);
        if (n > k && memcmp(s.p + n - k, sfx[i], k) == 0) {
            n -= k;
            break;
        }
    }
    if (n == s.n)
        return -1;
    size_t r = n, dashes = 0;
    while (r > 0 && dashes < 2)
        if (s.p[--r] == '-')
            dashes++;
    if (dashes < 2 || r == 0 || r + 1 >= n)
        return -1;
    *name = (rs_rpmhdr_str){s.p, r};
    *vr = (rs_rpmhdr_str){s.p + r + 1, n - r - 1};
    return 0;
}

/* "[epoch:]v-r" of the slices, sanitised; NULL when out of memory. */
static char *evr_dup(const rs_rpmhdr *h, rs_rpmhdr_str v, rs_rpmhdr_str r, int *replaced)
{
    char ep[16] = "";
    if (h->has_epoch)
        snprintf(ep, sizeof ep, "%u:", (unsigned)h->epoch);
    size_t el = strlen(ep), n = el + v.n + (r.p ? 1 + r.n : 0);
    char *raw = malloc(n + 1);
    if (!raw)
        return NULL;
    memcpy(raw, ep, el);
    memcpy(raw + el, v.p, v.n);
    if (r.p) {
        raw[el + v.n] = '-';
        memcpy(raw + el + v.n + 1, r.p, r.n);
    }
    char *out = rs_utf8_dup(raw, n, replaced);
    free(raw);
    return out;
}

int rs_rpmhdr_emit(const char *path, const rs_rpmhdr *h, rs_analysis *out)
{
    rs_rpmhdr_str sn = {NULL, 0}, svr = {NULL, 0};
    int has_src = h->sourcerpm.p && split_srpm(h->sourcerpm, &sn, &svr) == 0;
    rs_pkg p = {0};
    p.type = (char *)"rpm";
    p.path = (char *)path;
    p.name = rs_utf8_dup(h->name.p, h->name.n, &p.text_replaced);
    p.version = evr_dup(h, h->version, h->release, &p.text_replaced);
    if (h->arch.p && h->arch.n)
        p.arch = rs_utf8_dup(h->arch.p, h->arch.n, &p.text_replaced);
    if (has_src) {
        /* the source RPM has no epoch of its own: it is the binary's */
        p.source_name = rs_utf8_dup(sn.p, sn.n, &p.text_replaced);
        p.source_version = evr_dup(h, svr, (rs_rpmhdr_str){NULL, 0}, &p.text_replaced);
    }
    int rc = RS_ERR_INTERNAL;
    if (p.name && p.version && (p.arch || !h->arch.p || !h->arch.n) &&
        (!has_src || (p.source_name && p.source_version))) {
        rc = rs_rpmhdr_files(h, add_owned, out);
        if (rc == RS_ERR_INVALID) {
            out->n_malformed++; /* the package stays, without its file list */
            rc = 0;
        }
        if (!rc)
            rc = rs_analysis_add_pkg(out, &p);
    }
    rs_pkg_clear_read(&p);
    return rc;
}

int rs_rpmhdr_add(const char *path, const uint8_t *blob, size_t len, rs_analysis *out)
{
    rs_rpmhdr h;
    if (rs_rpmhdr_parse(blob, len, &h)) {
        out->n_malformed++;
        return 0;
    }
    return rs_rpmhdr_emit(path, &h, out);
}
