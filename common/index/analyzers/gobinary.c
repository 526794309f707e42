/* analyzers/gobinary.c - modules compiled into Go executables (ELF).
 *
 * The Go linker writes a build-information blob: 16 aligned bytes starting
 * "\xff Go buildinf:", a pointer size and a flags byte, then either (flags & 2,
 * Go >= 1.18) the toolchain version and the module information inline as two
 * varint-prefixed strings from offset 32, or (older) two pointers to Go string
 * headers, read here through the program headers (32/64-bit, either byte
 * order). The blob is the section .go.buildinfo, or, in a binary without
 * section headers, lies in the first 64 KiB of the first writable PT_LOAD
 * segment (as Go's debug/buildinfo looks for it). The module information has
 * one tab-separated line per fact: "path", "mod" (the main module), "dep" and
 * "=>" (a replacement of the line before), "build".
 *
 * Packages: type "gobinary", ecosystem "Go", purl pkg:golang/<path>@<version>.
 * A replaced module is reported as its replacement (what was compiled in);
 * one replaced by a local directory has no version: it is reported under its
 * own path as "(devel)", like a main module built from a checkout, and
 * neither can match a vulnerability range. The toolchain is the module
 * "stdlib", versioned "v1.21.3" as Go's module versions are (the matcher
 * compares Go's SEMVER ranges without the "v"); a "devel" toolchain gives no
 * stdlib.
 *
 * Whole-file mode, max_file_size 256 MiB: the section headers sit at the end
 * of an ELF file and the older format points backwards into it, so the file
 * is needed whole; the walker holds one copy for both ELF analyzers (this and
 * rustaudit.c), and offers them only executables. A file that is not ELF, or
 * an ELF without the blob, yields nothing; a blob that is present but broken
 * is an error (RS_ERR_INVALID), which the walker reports as a skip. */
#include "analyzers/gobinary_int.h"
#include "analyzers/elf_int.h"
#include "base.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GO_MAGIC "\xff Go buildinf:"
#define GO_MAGIC_LEN 14
#define GO_HDR 32
#define GO_ALIGN 16
#define GO_SEARCH (64u * 1024) /* of a data segment, as debug/buildinfo does */
#define GO_STR_MAX (16u << 20) /* version or module information */
#define GO_PATH_MAX 1024
#define GO_VERSION_MAX 256
#define GO_DEVEL "(devel)"

static int go_wants(const char *path)
{
    (void)path; /* every executable: executables_only filters */
    return 1;
}

typedef struct span {
    const char *s;
    size_t n;
} span;

/* The blob: where the magic starts, aligned, in p[0..n). Returns 1, 0 or <0. */
static int find_blob(const rs_elf *e, const unsigned char **blob, size_t *blen)
{
    const unsigned char *p;
    size_t n;
    int rc = rs_elf_section(e, ".go.buildinfo", &p, &n);
    size_t search = n;
    if (rc == 0) {
        rc = rs_elf_data_segment(e, &p, &n);
        search = n < GO_SEARCH ? n : GO_SEARCH;
    }
    if (rc <= 0)
        return rc;
    for (size_t i = 0; i + GO_HDR <= search; i += GO_ALIGN)
        if (memcmp(p + i, GO_MAGIC, GO_MAGIC_LEN) == 0) {
            *blob = p + i;
            *blen = n - i;
            return 1;
        }
    return 0;
}

/* A varint-prefixed string at *p (n bytes left); advances. */
static int inline_string(const unsigned char **p, size_t *n, span *out)
{
    uint64_t len = 0;
    for (unsigned shift = 0, i = 0;; i++, shift += 7) {
        if (i >= *n || i >= 10)
            return RS_ERR_INVALID;
        len |= (uint64_t)((*p)[i] & 0x7f) << shift;
        if (!((*p)[i] & 0x80)) {
            *p += i + 1;
            *n -= i + 1;
            break;
        }
    }
    if (len > GO_STR_MAX || len > *n)
        return RS_ERR_INVALID;
    out->s = (const char *)*p;
    out->n = (size_t)len;
    *p += len;
    *n -= (size_t)len;
    return 0;
}

/* A Go string header (data pointer, length) at virtual address `addr`. */
static int pointed_string(const rs_elf *e, uint64_t addr, size_t ptr, span *out)
{
    const unsigned char *h, *d;
    if (rs_elf_vaddr(e, addr, 2 * ptr, &h))
        return RS_ERR_INVALID;
    uint64_t data = rs_elf_uint(e, h, ptr), len = rs_elf_uint(e, h + ptr, ptr);
    if (len > GO_STR_MAX || rs_elf_vaddr(e, data, (size_t)len, &d))
        return RS_ERR_INVALID;
    out->s = (const char *)d;
    out->n = (size_t)len;
    return 0;
}

/* The toolchain version and the module information of the blob. */
static int blob_strings(const rs_elf *e, const unsigned char *b, size_t n, span *vers, span *mod)
{
    if (n < GO_HDR)
        return RS_ERR_INVALID;
    size_t ptr = b[14];
    unsigned flags = b[15];
    if (flags & 2) {
        const unsigned char *p = b + GO_HDR;
        size_t left = n - GO_HDR;
        if (inline_string(&p, &left, vers) || inline_string(&p, &left, mod))
            return RS_ERR_INVALID;
        return 0;
    }
    if (ptr != 4 && ptr != 8)
        return RS_ERR_INVALID;
    /* the older format: the byte order of the pointers is the blob's */
    rs_elf be = *e;
    be.big = (flags & 1) != 0;
    uint64_t va = rs_elf_uint(&be, b + 16, ptr), ma = rs_elf_uint(&be, b + 16 + ptr, ptr);
    if (pointed_string(&be, va, ptr, vers) || pointed_string(&be, ma, ptr, mod))
        return RS_ERR_INVALID;
    return 0;
}

int rs_gobinary_stdlib_version(const char *vers, size_t n, char *out, size_t out_size)
{
    const char *sp = memchr(vers, ' ', n);
    if (sp)
        n = (size_t)(sp - vers);
    if (n < 3 || memcmp(vers, "go", 2) != 0)
        return RS_ERR_INVALID;
    const char *p = vers + 2, *end = vers + n;
    unsigned long num[3] = {0, 0, 0};
    int parts = 0;
    while (parts < 3 && p < end && *p >= '0' && *p <= '9') {
        const char *start = p;
        while (p < end && *p >= '0' && *p <= '9' && p - start < 9)
            num[parts] = num[parts] * 10 + (unsigned long)(*p++ - '0');
        if (p < end && *p >= '0' && *p <= '9')
            return RS_ERR_INVALID;
        parts++;
        if (p < end && *p == '.' && parts < 3)
            p++;
        else
            break;
    }
    if (parts < 2)
        return RS_ERR_INVALID;
    static const char *const pre[] = {"rc", "beta", "alpha"};
    const char *tag = NULL;
    for (size_t i = 0; i < 3 && !tag && p < end; i++)
        if ((size_t)(end - p) > strlen(pre[i]) && !memcmp(p, pre[i], strlen(pre[i])))
            tag = pre[i];
    int w;
    if (tag) {
        const char *d = p + strlen(tag);
        for (const char *q = d; q < end; q++)
            if (*q < '0' || *q > '9')
                return RS_ERR_INVALID;
        w = snprintf(out, out_size, "v%lu.%lu.%lu-%s.%.*s", num[0], num[1], num[2], tag,
                     (int)(end - d), d);
    } else {
        if (p != end)
            return RS_ERR_INVALID;
        w = snprintf(out, out_size, "v%lu.%lu.%lu", num[0], num[1], num[2]);
    }
    return w < 0 || (size_t)w >= out_size ? RS_ERR_INVALID : 0;
}

/* 1 when s is a token: 1..max bytes, no control character or space. */
static int token(span s, size_t max)
{
    if (s.n == 0 || s.n > max)
        return 0;
    for (size_t i = 0; i < s.n; i++)
        if ((unsigned char)s.s[i] <= ' ' || s.s[i] == 0x7f)
            return 0;
    return 1;
}

/* Appends the module `name` at `version` (both untrusted). */
static int add_module(rs_analysis *out, const char *path, span name, span version)
{
    if (!token(name, GO_PATH_MAX) || !token(version, GO_VERSION_MAX)) {
        out->n_malformed++;
        return 0;
    }
    rs_pkg p = {0};
    p.type = (char *)"gobinary";
    p.ecosystem = (char *)"Go";
    p.path = (char *)path;
    p.name = rs_utf8_dup(name.s, name.n, &p.text_replaced);
    p.version = rs_utf8_dup(version.s, version.n, &p.text_replaced);
    int rc = RS_ERR_INTERNAL;
    if (p.name && p.version) {
        char *slash = strrchr(p.name, '/');
        if (slash)
            *slash = '\0';
        p.purl = rs_purl_make("golang", slash ? p.name : NULL, slash ? slash + 1 : p.name,
                              p.version, 0);
        if (slash)
            *slash = '/';
        /* a name the purl cannot carry (a segment over 255 bytes) is malformed */
        rc = p.purl ? rs_analysis_add_pkg(out, &p) : (out->n_malformed++, 0);
    }
    free(p.name);
    free(p.version);
    free(p.purl);
    return rc;
}

/* Splits a line into up to 4 tab-separated fields; returns their count. */
static size_t fields(const char *s, size_t n, span *f)
{
    size_t k = 0;
    const char *end = s + n;
    while (k < 4) {
        const char *tab = memchr(s, '\t', (size_t)(end - s));
        f[k].s = s;
        f[k].n = tab ? (size_t)(tab - s) : (size_t)(end - s);
        k++;
        if (!tab)
            break;
        s = tab + 1;
    }
    return k;
}

/* The module of a "mod"/"dep" line (m, v) as built, given its replacement
 * line (r: NULL when none): the replacement when it names a version, else
 * the module itself, "(devel)" when a local directory replaced it. */
static int emit_module(rs_analysis *out, const char *path, const span *m, const span *r, size_t nr)
{
    static const span devel = {GO_DEVEL, sizeof GO_DEVEL - 1};
    if (!r)
        return add_module(out, path, m[1], m[2]);
    if (nr >= 3 && r[2].n)
        return add_module(out, path, r[1], r[2]);
    return add_module(out, path, m[1], devel);
}

/* Walks the module lines; each "mod"/"dep" is emitted once its "=>" line (if
 * any) has been seen. */
static int parse_modinfo(rs_analysis *out, const char *path, const char *s, size_t n)
{
    span cur[4], f[4];
    size_t ncur = 0;
    const char *end = s + n;
    int rc = 0;
    while (s < end && !rc) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        size_t len = nl ? (size_t)(nl - s) : (size_t)(end - s);
        size_t nf = fields(s, len, f);
        s += len + (nl != NULL);
        int kw = f[0].n == 3 && (!memcmp(f[0].s, "mod", 3) || !memcmp(f[0].s, "dep", 3));
        int is_mod = kw && nf >= 3;
        int is_repl = nf >= 2 && f[0].n == 2 && !memcmp(f[0].s, "=>", 2);
        if (is_repl) {
            if (ncur)
                rc = emit_module(out, path, cur, f, nf);
            else
                out->n_malformed++;
            ncur = 0;
            continue;
        }
        if (ncur)
            rc = emit_module(out, path, cur, NULL, 0);
        ncur = 0;
        if (is_mod) {
            memcpy(cur, f, sizeof cur);
            ncur = nf;
        } else if (kw) {
            out->n_malformed++; /* a module line without a version */
        }
    }
    if (!rc && ncur)
        rc = emit_module(out, path, cur, NULL, 0);
    return rc;
}

static int go_parse(const char *path, const char *data, size_t len, rs_analysis *out, char *errstr,
                    size_t errsz)
{
    rs_elf e;
    const unsigned char *blob;
    size_t blen;
    if (!rs_elf_is_elf(data, len) || rs_elf_open(&e, data, len))
        return 0; /* not ELF, or an ELF header no loader would take: not a Go binary */
    int rc = find_blob(&e, &blob, &blen);
    if (rc == 0)
        return 0;
    span vers, mod;
    if (rc < 0 || blob_strings(&e, blob, blen, &vers, &mod))
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "invalid go build information in '%s'",
                       path);
    rc = 0;
    char sv[64];
    static const span stdlib = {"stdlib", 6};
    if (rs_gobinary_stdlib_version(vers.s, vers.n, sv, sizeof sv) == 0)
        rc = add_module(out, path, stdlib, (span){sv, strlen(sv)});
    else
        out->n_malformed += !(vers.n >= 6 && !memcmp(vers.s, "devel ", 6));
    /* the module information is framed by 16-byte sentinels */
    if (!rc && mod.n >= 33 && mod.s[mod.n - 17] == '\n')
        rc = parse_modinfo(out, path, mod.s + 16, mod.n - 32);
    if (rc)
        return rs_errf(errstr, errsz, rc, "out of memory reading '%s'", path);
    return 0;
}

const rs_analyzer rs_analyzer_gobinary = {
    RS_ANALYZER_ID("gobinary", 1),
    .wants = go_wants,
    RS_ELF_ANALYZER_POLICY,
    .parse = go_parse,
};
