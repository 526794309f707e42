/* analyzers/rustaudit.c - crates compiled into Rust executables built with
 * cargo-auditable (ELF).
 *
 * cargo-auditable links a section .dep-v0 into the binary: zlib-compressed
 * JSON {"packages": [{"name", "version", "source", "kind", "dependencies",
 * "root"}]}. It is inflated here to at most 8 MiB (a dependency tree of
 * thousands of crates is far smaller) and read with jansson.
 *
 * Packages: type "rust-binary", purl pkg:cargo/<name>@<version>; as Syft
 * does, every crate of kind "runtime" (the default) is reported, the root
 * crate too (the binary's own), and build-time crates (build scripts,
 * proc-macros: kind "build") are not, since none of their code is in the
 * binary. Only a crate whose source is "crates.io" gets the ecosystem
 * "crates.io": a local, git or other-registry crate is listed but matches no
 * crates.io advisory (its name may be a crates.io crate's, its code is not).
 * A package entry without a valid name or version is skipped and counted.
 *
 * Whole-file mode, max_file_size 256 MiB, for the reason gobinary.c gives
 * (section headers at the end; one held copy for both ELF analyzers). No
 * section: nothing; a section that does not inflate or parse, or inflates
 * past the bound: an error the walker reports as a skip. */
#include "analyzers/rustaudit_int.h"
#include "analyzers/elf_int.h"
#include "base.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define RUST_JSON_MAX (8u << 20)
#define RUST_FIELD_MAX 256
#define RUST_MAX_PKGS 100000

static int rust_wants(const char *path)
{
    (void)path; /* every executable: executables_only filters */
    return 1;
}

/* Inflates the zlib stream in[0..n) into a malloc'd buffer of at most
 * RUST_JSON_MAX bytes. Returns 0, RS_ERR_INVALID, RS_ERR_LIMIT_EXCEEDED or
 * RS_ERR_INTERNAL. */
static int inflate_bounded(const unsigned char *in, size_t n, char **out, size_t *out_len)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit(&z) != Z_OK)
        return RS_ERR_INTERNAL;
    size_t cap = 65536, len = 0;
    char *buf = malloc(cap);
    int rc = buf ? 0 : RS_ERR_INTERNAL, zr = Z_OK;
    z.next_in = (unsigned char *)in;
    /* a section larger than 4 GiB is fed in pieces of at most UINT_MAX */
    size_t left = n;
    while (!rc && zr != Z_STREAM_END) {
        if (z.avail_in == 0 && left) {
            z.avail_in = left > 0x40000000u ? 0x40000000u : (unsigned)left;
            left -= z.avail_in;
        }
        if (len == cap) {
            char *nb = cap >= RUST_JSON_MAX ? NULL : realloc(buf, cap * 2);
            rc = cap >= RUST_JSON_MAX ? RS_ERR_LIMIT_EXCEEDED : nb ? 0 : RS_ERR_INTERNAL;
            if (rc)
                break;
            buf = nb;
            cap *= 2;
        }
        z.next_out = (unsigned char *)buf + len;
        z.avail_out = (unsigned)(cap - len);
        zr = inflate(&z, Z_NO_FLUSH);
        len = cap - z.avail_out;
        if (zr == Z_BUF_ERROR && z.avail_in == 0 && !left)
            rc = RS_ERR_INVALID; /* truncated */
        else if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR)
            rc = zr == Z_MEM_ERROR ? RS_ERR_INTERNAL : RS_ERR_INVALID;
    }
    inflateEnd(&z);
    if (rc) {
        free(buf);
        return rc;
    }
    *out = buf;
    *out_len = len;
    return 0;
}

/* A string member of `o` that is a token (1..RUST_FIELD_MAX bytes, no control
 * or space); NULL otherwise. */
static const char *token(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    if (!json_is_string(v))
        return NULL;
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (n == 0 || n > RUST_FIELD_MAX || strlen(s) != n)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f)
            return NULL;
    return s;
}

static int add_crate(rs_analysis *out, const char *path, const json_t *o)
{
    const char *name = token(o, "name"), *version = token(o, "version");
    const json_t *kind = json_object_get(o, "kind"), *src = json_object_get(o, "source");
    if (!json_is_object(o) || !name || !version || (kind && !json_is_string(kind))) {
        out->n_malformed++;
        return 0;
    }
    if (kind && strcmp(json_string_value(kind), "runtime") != 0)
        return 0; /* a build-time crate */
    rs_pkg p = {0};
    p.type = (char *)"rust-binary";
    p.path = (char *)path;
    /* jansson holds valid UTF-8 only: no replacement needed */
    p.name = (char *)name;
    p.version = (char *)version;
    if (json_is_string(src) && !strcmp(json_string_value(src), "crates.io"))
        p.ecosystem = (char *)"crates.io";
    p.purl = rs_purl_make("cargo", NULL, name, version, 0);
    int rc = p.purl ? rs_analysis_add_pkg(out, &p) : RS_ERR_INTERNAL;
    free(p.purl);
    return rc;
}

static int parse_json(rs_analysis *out, const char *path, const char *s, size_t n, char *errstr,
                      size_t errsz)
{
    json_error_t jerr;
    json_t *j = json_loadb(s, n, JSON_REJECT_DUPLICATES, &jerr);
    const json_t *pkgs = json_object_get(j, "packages");
    int rc = 0;
    if (!json_is_array(pkgs)) {
        rc = rs_errf(errstr, errsz, RS_ERR_INVALID, "invalid cargo-auditable data in '%s'", path);
    } else if (json_array_size(pkgs) > RUST_MAX_PKGS) {
        rc = rs_errf(errstr, errsz, RS_ERR_LIMIT_EXCEEDED,
                     "cargo-auditable data in '%s' lists more than %u crates", path,
                     RUST_MAX_PKGS);
    } else {
        for (size_t i = 0; i < json_array_size(pkgs) && !rc; i++)
            rc = add_crate(out, path, json_array_get(pkgs, i));
        if (rc)
            rc = rs_errf(errstr, errsz, rc, "out of memory reading '%s'", path);
    }
    json_decref(j);
    return rc;
}

static int rust_parse(const char *path, const char *data, size_t len, rs_analysis *out,
                      char *errstr, size_t errsz)
{
    rs_elf e;
    const unsigned char *sec;
    size_t n;
    if (!rs_elf_is_elf(data, len) || rs_elf_open(&e, data, len))
        return 0;
    int rc = rs_elf_section(&e, ".dep-v0", &sec, &n);
    if (rc == 0)
        return 0;
    if (rc < 0)
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "invalid section table in '%s'", path);
    char *json = NULL;
    size_t jlen = 0;
    rc = inflate_bounded(sec, n, &json, &jlen);
    if (rc == RS_ERR_LIMIT_EXCEEDED)
        return rs_errf(errstr, errsz, rc, "cargo-auditable data in '%s' exceeds %u bytes", path,
                       RUST_JSON_MAX);
    if (rc)
        return rs_errf(errstr, errsz, rc, "cannot inflate cargo-auditable data in '%s'", path);
    rc = parse_json(out, path, json, jlen, errstr, errsz);
    free(json);
    return rc;
}

const rs_analyzer rs_analyzer_rustaudit = {
    RS_ANALYZER_ID("rust-binary", 1),
    .wants = rust_wants,
    RS_ELF_ANALYZER_POLICY,
    .parse = rust_parse,
};
