/* message.c - scan requests, image reports and inventories (DESIGN.md §4).
 *
 * Decoding treats its input as hostile: every field is type-, size- and
 * charset-checked and the first problem is reported by field name. Building
 * reports does not validate what the worker computed, but writes every string
 * through rs_utf8_json_string: text from an image, a registry or an error
 * message that is not UTF-8 gets U+FFFD, never fails the document. Splitting
 * keeps every array element exactly once and never truncates. */
#include "match.h"
#include "base.h"
#include "report.h"
#include "model.h"

#include <ctype.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DUMP_FLAGS (JSON_COMPACT | JSON_ENCODE_ANY)

/* A JSON string of s (U+FFFD for what is not UTF-8), null when s is NULL. */
static json_t *str_or_null(const char *s)
{
    return rs_utf8_json_string(s);
}

/* ---- refs --------------------------------------------------------------- */

static int ref_cmp(const rs_ref *r, const char *registry, const char *repository)
{
    int c = strcmp(r->registry, registry);
    return c ? c : strcmp(r->repository, repository);
}

int rs_refs_add(rs_refs *r, const char *registry, const char *repository, const char *tag)
{
    size_t i = 0;
    while (i < r->n && ref_cmp(&r->items[i], registry, repository) < 0)
        i++;
    if (i == r->n || ref_cmp(&r->items[i], registry, repository) != 0) {
        if (RS_GROW(r->items, r->n + 1, r->cap))
            return RS_ERR_INTERNAL;
        rs_ref *items = r->items;
        rs_ref nr = {strdup(registry), strdup(repository), NULL, 0};
        if (!nr.registry || !nr.repository) {
            free(nr.registry);
            free(nr.repository);
            return RS_ERR_INTERNAL;
        }
        memmove(&items[i + 1], &items[i], (r->n - i) * sizeof *items);
        items[i] = nr;
        r->n++;
    }
    rs_ref *ref = &r->items[i];
    size_t k = 0;
    while (k < ref->n_tags && strcmp(ref->tags[k], tag) < 0)
        k++;
    if (k < ref->n_tags && !strcmp(ref->tags[k], tag))
        return 0;
    if (RS_GROW(ref->tags, ref->n_tags + 1, ref->cap_tags))
        return RS_ERR_INTERNAL;
    char **tags = ref->tags;
    char *t = strdup(tag);
    if (!t)
        return RS_ERR_INTERNAL;
    memmove(&tags[k + 1], &tags[k], (ref->n_tags - k) * sizeof *tags);
    tags[k] = t;
    ref->n_tags++;
    return 0;
}

void rs_refs_clear(rs_refs *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->items[i].registry);
        free(r->items[i].repository);
        for (size_t k = 0; k < r->items[i].n_tags; k++)
            free(r->items[i].tags[k]);
        free(r->items[i].tags);
    }
    free(r->items);
    r->items = NULL;
    r->n = 0;
    r->cap = 0;
    r->omitted = 0;
}

/* ---- field checks ------------------------------------------------------- */

enum charset { CS_TENANT, CS_REGISTRY, CS_REPOSITORY, CS_TAG, CS_PLATFORM, CS_PRINTABLE };

static int char_ok(enum charset cs, unsigned char c)
{
    switch (cs) {
    case CS_TENANT:
        return isalnum(c) || c == '.' || c == '_' || c == '-';
    case CS_REGISTRY:
        return isalnum(c) || c == '.' || c == '-' || c == ':' || c == '[' || c == ']';
    case CS_REPOSITORY:
        return isalnum(c) || c == '.' || c == '_' || c == '-' || c == '/';
    case CS_TAG:
        return isalnum(c) || c == '.' || c == '_' || c == '-';
    case CS_PLATFORM:
        return isalnum(c) || c == '.' || c == '_' || c == '-';
    case CS_PRINTABLE:
        return c >= 0x20 && c < 0x7f;
    }
    return 0;
}

/* Returns NULL when `s` (length len) is acceptable, else the reason. */
static const char *str_problem(const char *s, size_t len, size_t max, enum charset cs,
                               int allow_empty)
{
    if (len == 0)
        return allow_empty ? NULL : "empty";
    if (len > max)
        return "too long";
    for (size_t i = 0; i < len; i++)
        if (!char_ok(cs, (unsigned char)s[i]))
            return "bad character";
    if (cs == CS_REPOSITORY && (s[0] == '/' || s[len - 1] == '/' || strstr(s, "//")))
        return "bad path";
    if (cs == CS_TAG && (s[0] == '.' || s[0] == '-')) /* [A-Za-z0-9_][A-Za-z0-9_.-]* */
        return "bad character";
    return NULL;
}

static int is_mode(const char *m)
{
    return m && (!strcmp(m, "scan") || !strcmp(m, "rematch"));
}

static json_t *platform_to_json(const rs_platform *p)
{
    json_t *o = json_object();
    if (!o || !p)
        return o;
    if ((p->os[0] && json_object_set_new(o, "os", str_or_null(p->os))) ||
        (p->architecture[0] &&
         json_object_set_new(o, "architecture", str_or_null(p->architecture))) ||
        (p->variant[0] && json_object_set_new(o, "variant", str_or_null(p->variant))) ||
        (p->os_version[0] && json_object_set_new(o, "os.version", str_or_null(p->os_version)))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* The tags of `ref` a decoder accepts, at most `room` of them, as a JSON
 * array (NULL when out of memory); *left counts the others. */
static json_t *ref_tags_json(const rs_ref *ref, size_t room, size_t *left)
{
    json_t *tags = json_array();
    int ok_repo = !str_problem(ref->registry, strlen(ref->registry), RS_REQUEST_MAX_REGISTRY,
                               CS_REGISTRY, 0) &&
                  !str_problem(ref->repository, strlen(ref->repository), RS_REQUEST_MAX_REPOSITORY,
                               CS_REPOSITORY, 0);
    *left = 0;
    for (size_t k = 0; tags && k < ref->n_tags; k++) {
        const char *t = ref->tags[k];
        if (!ok_repo || json_array_size(tags) == room ||
            str_problem(t, strlen(t), RS_REQUEST_MAX_TAG, CS_TAG, 0)) {
            (*left)++;
            continue;
        }
        if (json_array_append_new(tags, json_string(t))) {
            json_decref(tags);
            tags = NULL;
        }
    }
    return tags;
}

json_t *rs_refs_to_json(const rs_refs *r, size_t *omitted)
{
    json_t *a = json_array();
    size_t listed = 0;
    *omitted = r ? r->omitted : 0;
    for (size_t i = 0; a && r && i < r->n; i++) {
        size_t left = 0;
        json_t *tags = ref_tags_json(&r->items[i], RS_REFS_MAX_TAGS - listed, &left);
        *omitted += left;
        if (tags && json_array_size(tags) == 0) {
            json_decref(tags);
            continue;
        }
        listed += json_array_size(tags);
        json_t *o =
            tags ? json_pack("{s:o, s:o, s:o}", "registry", str_or_null(r->items[i].registry),
                             "repository", str_or_null(r->items[i].repository), "tags", tags)
                 : NULL;
        if (!o || json_array_append_new(a, o)) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

/* Sets "refs" of `o` (and "refs_omitted" when tags were left out). 0 or -1. */
static int set_refs(json_t *o, const rs_refs *r)
{
    size_t omitted = 0;
    json_t *refs = rs_refs_to_json(r, &omitted);
    if (json_object_set_new(o, "refs", refs))
        return -1;
    if (omitted && json_object_set_new(o, "refs_omitted", json_integer((json_int_t)omitted)))
        return -1;
    return 0;
}

/* ---- scan requests ------------------------------------------------------ */

int rs_scan_request_encode(const rs_scan_request *req, char **json)
{
    *json = NULL;
    if (!is_mode(req->mode) || !req->tenant || !*req->tenant || !req->registry || !*req->registry ||
        !req->repository || !*req->repository || !rs_digest_valid(req->digest) ||
        (req->index_digest[0] && !rs_digest_valid(req->index_digest)))
        return RS_ERR_INVALID;
    json_t *plat = platform_to_json(&req->platform);
    json_t *o = NULL;
    if (plat)
        o = json_pack("{s:s, s:s, s:b, s:o, s:o, s:o, s:s}", "schema", RS_SCHEMA_SCAN_REQUEST,
                      "mode", req->mode, "force", req->force ? 1 : 0, "tenant",
                      str_or_null(req->tenant), "registry", str_or_null(req->registry),
                      "repository", str_or_null(req->repository), "digest", req->digest);
    int rc = RS_ERR_INTERNAL;
    if (!o)
        goto out;
    if (req->index_digest[0] &&
        json_object_set_new(o, "index_digest", json_string(req->index_digest)))
        goto out;
    if (json_object_set(o, "platform", plat) || set_refs(o, &req->refs))
        goto out;
    if (req->batch_id && *req->batch_id &&
        json_object_set_new(o, "batch_id", str_or_null(req->batch_id)))
        goto out;
    if (req->requested_at && *req->requested_at &&
        json_object_set_new(o, "requested_at", str_or_null(req->requested_at)))
        goto out;
    *json = json_dumps(o, JSON_COMPACT);
    if (*json)
        rc = 0;
out:
    json_decref(o);
    json_decref(plat);
    return rc;
}

/* Copies string member `key` into *out after checking it; absent members are
 * an error when required, else leave *out NULL. */
static int req_str(const json_t *o, const char *key, int required, size_t max, enum charset cs,
                   char **out, char *errstr, size_t errstr_size)
{
    json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v)) {
        if (required)
            return rs_errf(errstr, errstr_size, RS_ERR_INVALID,
                           "invalid scan request: '%s' is missing", key);
        return 0;
    }
    if (!json_is_string(v))
        return rs_errf(errstr, errstr_size, RS_ERR_INVALID,
                       "invalid scan request: '%s' is not a string", key);
    const char *why = str_problem(json_string_value(v), json_string_length(v), max, cs, !required);
    if (why)
        return rs_errf(errstr, errstr_size, RS_ERR_INVALID, "invalid scan request: '%s': %s", key,
                       why);
    if (!(*out = strdup(json_string_value(v))))
        return rs_errf(errstr, errstr_size, RS_ERR_INTERNAL, "out of memory");
    return 0;
}

static int req_digest(const json_t *o, const char *key, int required, char out[RS_DIGEST_SIZE],
                      char *errstr, size_t errstr_size)
{
    json_t *v = json_object_get(o, key);
    out[0] = '\0';
    if (!v || json_is_null(v) || (!required && json_is_string(v) && json_string_length(v) == 0)) {
        if (required)
            return rs_errf(errstr, errstr_size, RS_ERR_INVALID,
                           "invalid scan request: '%s' is missing", key);
        return 0;
    }
    if (!json_is_string(v) || json_string_length(v) != RS_DIGEST_LEN ||
        !rs_digest_valid(json_string_value(v)))
        return rs_errf(errstr, errstr_size, RS_ERR_INVALID,
                       "invalid scan request: '%s' is not a sha256 digest", key);
    memcpy(out, json_string_value(v), RS_DIGEST_SIZE);
    return 0;
}

static int req_platform(const json_t *o, rs_platform *p, char *errstr, size_t errstr_size)
{
    json_t *v = json_object_get(o, "platform");
    memset(p, 0, sizeof *p);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_object(v))
        return rs_errf(errstr, errstr_size, RS_ERR_INVALID,
                       "invalid scan request: 'platform' is not an object");
    struct {
        const char *key;
        char *dst;
        size_t size;
    } f[] = {{"os", p->os, sizeof p->os},
             {"architecture", p->architecture, sizeof p->architecture},
             {"variant", p->variant, sizeof p->variant},
             {"os.version", p->os_version, sizeof p->os_version}};
    for (size_t i = 0; i < sizeof f / sizeof *f; i++) {
        json_t *s = json_object_get(v, f[i].key);
        if (!s || json_is_null(s))
            continue;
        if (!json_is_string(s) ||
            str_problem(json_string_value(s), json_string_length(s), f[i].size - 1, CS_PLATFORM, 1))
            return rs_errf(errstr, errstr_size, RS_ERR_INVALID,
                           "invalid scan request: 'platform.%s' is not a short name", f[i].key);
        memcpy(f[i].dst, json_string_value(s), json_string_length(s) + 1);
    }
    return 0;
}

static int req_refs(const json_t *o, rs_refs *refs, char *errstr, size_t errstr_size)
{
    /* a count, not content: anything but a non-negative integer reads as 0 */
    json_t *omitted = json_object_get(o, "refs_omitted");
    if (json_is_integer(omitted) && json_integer_value(omitted) > 0)
        refs->omitted = (size_t)json_integer_value(omitted);
    json_t *v = json_object_get(o, "refs");
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_array(v))
        return rs_errf(errstr, errstr_size, RS_ERR_INVALID,
                       "invalid scan request: 'refs' is not an array");
    if (json_array_size(v) > RS_REQUEST_MAX_REFS)
        return rs_errf(errstr, errstr_size, RS_ERR_INVALID,
                       "invalid scan request: 'refs': more than %d entries", RS_REQUEST_MAX_REFS);
    size_t total = 0;
    for (size_t i = 0; i < json_array_size(v); i++) {
        json_t *r = json_array_get(v, i);
        json_t *reg = json_object_get(r, "registry"), *repo = json_object_get(r, "repository");
        json_t *tags = json_object_get(r, "tags");
        if (!json_is_object(r) || !json_is_string(reg) || !json_is_string(repo) ||
            !json_is_array(tags))
            return rs_errf(errstr, errstr_size, RS_ERR_INVALID,
                           "invalid scan request: 'refs[%zu]' needs registry, repository, tags", i);
        if (str_problem(json_string_value(reg), json_string_length(reg), RS_REQUEST_MAX_REGISTRY,
                        CS_REGISTRY, 0))
            return rs_errf(errstr, errstr_size, RS_ERR_INVALID,
                           "invalid scan request: 'refs[%zu].registry' is malformed", i);
        if (str_problem(json_string_value(repo), json_string_length(repo),
                        RS_REQUEST_MAX_REPOSITORY, CS_REPOSITORY, 0))
            return rs_errf(errstr, errstr_size, RS_ERR_INVALID,
                           "invalid scan request: 'refs[%zu].repository' is malformed", i);
        total += json_array_size(tags);
        if (total > RS_REQUEST_MAX_TAGS)
            return rs_errf(errstr, errstr_size, RS_ERR_INVALID,
                           "invalid scan request: 'refs': more than %d tags", RS_REQUEST_MAX_TAGS);
        for (size_t k = 0; k < json_array_size(tags); k++) {
            json_t *t = json_array_get(tags, k);
            if (!json_is_string(t) || str_problem(json_string_value(t), json_string_length(t),
                                                  RS_REQUEST_MAX_TAG, CS_TAG, 0))
                return rs_errf(errstr, errstr_size, RS_ERR_INVALID,
                               "invalid scan request: 'refs[%zu].tags[%zu]' is not a tag", i, k);
            if (rs_refs_add(refs, json_string_value(reg), json_string_value(repo),
                            json_string_value(t)))
                return rs_errf(errstr, errstr_size, RS_ERR_INTERNAL, "out of memory");
        }
    }
    return 0;
}

int rs_scan_request_decode(const void *data, size_t len, rs_scan_request *req, char *errstr,
                           size_t errstr_size)
{
    memset(req, 0, sizeof *req);
    if (len > RS_REQUEST_MAX_BYTES)
        return rs_errf(errstr, errstr_size, RS_ERR_INVALID,
                       "invalid scan request: %zu bytes, more than %d", len, RS_REQUEST_MAX_BYTES);
    json_error_t jerr;
    /* jansson rejects invalid UTF-8 and \u0000 in strings */
    json_t *o = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
    int rc = 0;
    if (!o)
        return rs_errf(errstr, errstr_size, RS_ERR_INVALID,
                       "invalid scan request: not JSON (%s at byte %d)", jerr.text, jerr.position);
    if (!json_is_object(o)) {
        rc = rs_errf(errstr, errstr_size, RS_ERR_INVALID, "invalid scan request: not an object");
        goto out;
    }
    json_t *schema = json_object_get(o, "schema");
    if (!json_is_string(schema) || strcmp(json_string_value(schema), RS_SCHEMA_SCAN_REQUEST)) {
        rc = rs_errf(errstr, errstr_size, RS_ERR_INVALID,
                     "invalid scan request: 'schema' is not '%s'", RS_SCHEMA_SCAN_REQUEST);
        goto out;
    }
    json_t *mode = json_object_get(o, "mode");
    if (!json_is_string(mode) || !is_mode(json_string_value(mode))) {
        rc = rs_errf(errstr, errstr_size, RS_ERR_INVALID,
                     "invalid scan request: 'mode' is not scan or rematch");
        goto out;
    }
    if (!(req->mode = strdup(json_string_value(mode)))) {
        rc = rs_errf(errstr, errstr_size, RS_ERR_INTERNAL, "out of memory");
        goto out;
    }
    json_t *force = json_object_get(o, "force");
    if (force && !json_is_boolean(force)) {
        rc = rs_errf(errstr, errstr_size, RS_ERR_INVALID,
                     "invalid scan request: 'force' is not a boolean");
        goto out;
    }
    req->force = json_is_true(force);
    if ((rc = req_str(o, "tenant", 1, RS_REQUEST_MAX_TENANT, CS_TENANT, &req->tenant, errstr,
                      errstr_size)) ||
        (rc = req_str(o, "registry", 1, RS_REQUEST_MAX_REGISTRY, CS_REGISTRY, &req->registry,
                      errstr, errstr_size)) ||
        (rc = req_str(o, "repository", 1, RS_REQUEST_MAX_REPOSITORY, CS_REPOSITORY,
                      &req->repository, errstr, errstr_size)) ||
        (rc = req_digest(o, "digest", 1, req->digest, errstr, errstr_size)) ||
        (rc = req_digest(o, "index_digest", 0, req->index_digest, errstr, errstr_size)) ||
        (rc = req_platform(o, &req->platform, errstr, errstr_size)) ||
        (rc = req_refs(o, &req->refs, errstr, errstr_size)) ||
        (rc = req_str(o, "batch_id", 0, RS_REQUEST_MAX_ID, CS_PRINTABLE, &req->batch_id, errstr,
                      errstr_size)) ||
        (rc = req_str(o, "requested_at", 0, RS_REQUEST_MAX_ID, CS_PRINTABLE, &req->requested_at,
                      errstr, errstr_size)))
        goto out;
out:
    json_decref(o);
    return rc;
}

void rs_scan_request_free(rs_scan_request *req)
{
    if (!req)
        return;
    free(req->mode);
    free(req->tenant);
    free(req->registry);
    free(req->repository);
    rs_refs_clear(&req->refs);
    free(req->batch_id);
    free(req->requested_at);
    memset(req, 0, sizeof *req);
}

/* ---- ids ---------------------------------------------------------------- */

void rs_report_id(const char *tenant, const char *digest, const char *analyzer_version,
                  int64_t vulndb_version, const char *policy_version, char out[65])
{
    char num[32];
    snprintf(num, sizeof num, "%lld", (long long)vulndb_version);
    const char *f[] = {tenant, digest, analyzer_version, num, policy_version};
    rs_sha256 *h = rs_sha256_new();
    char d[RS_DIGEST_SIZE];
    if (!h) {
        /* out of memory: a one-shot digest of the same bytes needs no context */
        rs_buf b = RS_BUF_INIT;
        int bad = 0;
        for (size_t i = 0; i < 5; i++)
            bad |= rs_buf_append(&b, f[i] ? f[i] : "", strlen(f[i] ? f[i] : "") + 1);
        rs_sha256_digest(bad ? "" : b.data, bad ? 0 : b.len, d);
        rs_buf_free(&b);
    } else {
        for (size_t i = 0; i < 5; i++) {
            const char *s = f[i] ? f[i] : "";
            rs_sha256_update(h, s, strlen(s) + 1); /* the NUL is the separator */
        }
        rs_sha256_final(h, d);
        rs_sha256_destroy(h);
    }
    memcpy(out, d + 7, 64);
    out[64] = '\0';
}

int rs_scan_id_new(char out[37])
{
    unsigned char b[16];
    out[0] = '\0';
    if (RAND_bytes(b, sizeof b) != 1)
        return RS_ERR_INTERNAL;
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    static const char hex[] = "0123456789abcdef";
    size_t w = 0;
    for (size_t i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[w++] = '-';
        out[w++] = hex[b[i] >> 4];
        out[w++] = hex[b[i] & 15];
    }
    out[w] = '\0';
    return 0;
}

/* ---- reports ------------------------------------------------------------ */

/* What covers the OS's own packages: the OSV ecosystem they are matched in,
 * or null and a note saying that none does (docs/contracts.md). */
static int report_os_coverage(json_t *o, const rs_os *os)
{
    char src[128], note[256];
    rs_ecosystem_os_source(os, src, sizeof src);
    if (src[0])
        return json_object_set_new(o, "vulnerability_source", json_string(src)) ||
               json_object_set_new(o, "coverage", json_null());
    snprintf(note, sizeof note,
             "no OSV source for %s %s: its packages are listed, none is matched", os->id,
             os->version_id[0] ? os->version_id : "(no VERSION_ID)");
    return json_object_set_new(o, "vulnerability_source", json_null()) ||
           json_object_set_new(o, "coverage", rs_utf8_json_string(note));
}

static json_t *report_os(const rs_inventory *inv)
{
    if (!inv || !inv->os.found)
        return json_null();
    char date[11];
    int eol = 0;
    int known = rs_eol_lookup(&inv->os, NULL, date, &eol);
    json_t *o =
        json_pack("{s:o, s:o, s:o, s:b, s:o}", "id", str_or_null(inv->os.id), "version_id",
                  str_or_null(inv->os.version_id), "pretty_name", str_or_null(inv->os.pretty_name),
                  "eol", eol, "eol_date", known ? json_string(date) : json_null());
    if (o && (rs_inventory_flags_set(o, inv->os.text_replaced) ||
              report_os_coverage(o, &inv->os))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* "error", "partial" (delivered, but the index stage could not read
 * everything: the inventory has errors, a layer may have ended at a limit)
 * or "ok". */
static const char *status_name(const rs_report_meta *m, const rs_inventory *inv)
{
    if (m->status == RS_REPORT_ERROR)
        return "error";
    return inv && (inv->n_errors || inv->errors_omitted) ? "partial" : "ok";
}

/* The fields reports and inventories share, in the order of DESIGN.md §4. */
static json_t *header_build(const char *schema, const rs_report_meta *m, const rs_inventory *inv)
{
    char id[65];
    rs_report_id(m->tenant, m->digest, m->analyzer_version, m->vulndb_version, m->policy_version,
                 id);
    json_t *o = json_object();
    if (!o)
        return NULL;
    int bad = 0;
    bad |= json_object_set_new(o, "schema", json_string(schema));
    bad |= json_object_set_new(o, "report_id", json_string(id));
    bad |= json_object_set_new(o, "scan_id", str_or_null(m->scan_id));
    bad |= json_object_set_new(o, "part", json_integer(1));
    bad |= json_object_set_new(o, "parts", json_integer(1));
    bad |= json_object_set_new(o, "status", json_string(status_name(m, inv)));
    if (m->status == RS_REPORT_ERROR)
        bad |= json_object_set_new(
            o, "error",
            json_pack("{s:o, s:o}", "code", str_or_null(m->error_code ? m->error_code : "INTERNAL"),
                      "message", str_or_null(m->error_message)));
    bad |= json_object_set_new(o, "tenant", str_or_null(m->tenant));
    bad |= json_object_set_new(o, "registry", str_or_null(m->registry));
    bad |= json_object_set_new(o, "repository", str_or_null(m->repository));
    bad |= json_object_set_new(o, "digest", str_or_null(m->digest));
    bad |= set_refs(o, m->refs);
    bad |= json_object_set_new(o, "platform", platform_to_json(m->platform));
    bad |= json_object_set_new(o, "os", report_os(inv));
    bad |= json_object_set_new(o, "analyzer_version", str_or_null(m->analyzer_version));
    bad |= json_object_set_new(o, "vulndb_version",
                               m->vulndb_version ? json_integer(m->vulndb_version) : json_null());
    bad |= json_object_set_new(o, "policy_version", str_or_null(m->policy_version));
    bad |= json_object_set_new(o, "scanned_at", str_or_null(m->scanned_at));
    bad |= json_object_set_new(o, "worker", str_or_null(m->worker));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

void rs_report_meta_init(rs_report_meta *m, const char *tenant, const char *registry,
                         const char *repository, const char *digest, const char *analyzer_version,
                         int64_t vulndb_version, const char *worker, char scan_id[40],
                         char when[32])
{
    memset(m, 0, sizeof *m);
    m->tenant = tenant;
    m->registry = registry;
    m->repository = repository;
    m->digest = digest;
    m->analyzer_version = analyzer_version;
    m->vulndb_version = vulndb_version;
    m->policy_version = NULL; /* the caller sets it when the tenant has a policy */
    m->worker = worker;
    rs_scan_id_new(scan_id);
    rs_iso_now(when, 32);
    m->scan_id = scan_id;
    m->scanned_at = when;
}

void rs_report_meta_outcome(rs_report_meta *m, int status, const char *message)
{
    m->status = status ? RS_REPORT_ERROR : RS_REPORT_OK;
    m->error_code = status ? rs_err_code(status) : NULL;
    m->error_message = status ? message : NULL;
}

/* The secrets and misconfigurations the index stage found (inv may be NULL)
 * and their counts in the summary. Returns 0, or non-zero when out of memory. */
static int report_index_findings(json_t *o, json_t *summary, const rs_inventory *inv)
{
    json_t *sec = inv ? rs_secrets_to_json(&inv->secrets) : json_array();
    json_t *mis = inv ? rs_misconfigs_to_json(&inv->misconfigs) : json_array();
    int bad = !sec || !mis;
    if (!bad) {
        bad |= json_object_set_new(summary, "secrets", json_integer((json_int_t)json_array_size(sec)));
        bad |= json_object_set_new(summary, "misconfigurations",
                                   json_integer((json_int_t)json_array_size(mis)));
    }
    bad |= json_object_set_new(o, "secrets", sec);
    bad |= json_object_set_new(o, "misconfigurations", mis);
    return bad;
}

json_t *rs_report_build(const rs_report_meta *m, const rs_inventory *inv)
{
    json_t *o = header_build(RS_SCHEMA_IMAGE_REPORT, m, inv);
    if (!o)
        return NULL;
    json_t *summary = json_pack(
        "{s:I, s:{s:i, s:i, s:i, s:i, s:i, s:i}, s:i, s:i, s:i, s:I}", "packages",
        (json_int_t)(inv ? inv->n_pkgs : 0), "vulnerabilities", "critical", 0, "high", 0,
        "medium", 0, "low", 0, "negligible", 0, "unknown", 0, "fixable", 0, "secrets", 0,
        "misconfigurations", 0, "errors",
        (json_int_t)(inv ? inv->n_errors + inv->errors_omitted : 0));
    int bad = json_object_set_new(o, "summary", summary);
    bad |= json_object_set_new(o, "vulnerabilities", json_array());
    bad |= report_index_findings(o, summary, inv);
    bad |= json_object_set_new(o, "errors", inv ? rs_inv_errors_to_json(inv) : json_array());
    if (inv && inv->errors_omitted)
        bad |= json_object_set_new(o, "errors_omitted",
                                   json_integer((json_int_t)inv->errors_omitted));
    bad |=
        json_object_set_new(o, "policy", json_pack("{s:s, s:[]}", "verdict", "pass", "violations"));
    bad |=
        json_object_set_new(o, "timings_ms",
                            json_pack("{s:I, s:I, s:I, s:I}", "pull", (json_int_t)m->pull_ms,
                                      "analyze", (json_int_t)m->analyze_ms, "match",
                                      (json_int_t)m->match_ms, "total", (json_int_t)m->total_ms));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *rs_inventory_msg_build(const rs_report_meta *m, const rs_inventory *inv)
{
    json_t *o = header_build(RS_SCHEMA_IMAGE_INVENTORY, m, inv);
    json_t *layers = json_array(), *pkgs = json_array();
    int bad = !o || !layers || !pkgs;
    for (size_t i = 0; !bad && inv && i < inv->n_layers; i++)
        bad |= json_array_append_new(layers, str_or_null(inv->layers[i]));
    for (size_t i = 0; !bad && inv && i < inv->n_pkgs; i++)
        bad |= json_array_append_new(pkgs, rs_pkg_to_json(&inv->pkgs[i]));
    if (!bad) {
        bad |= json_object_set(o, "layers", layers);
        bad |= json_object_set(o, "packages", pkgs);
    }
    json_decref(layers);
    json_decref(pkgs);
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* ---- split -------------------------------------------------------------- */

void rs_message_parts_free(char **parts, size_t n_parts)
{
    for (size_t i = 0; parts && i < n_parts; i++)
        free(parts[i]);
    free(parts);
}

static size_t dump_len(const json_t *j, int *ok)
{
    char *s = json_dumps(j, DUMP_FLAGS);
    if (!s) {
        *ok = 0;
        return 0;
    }
    size_t n = strlen(s);
    free(s);
    return n;
}

static int set_part(json_t *o, json_int_t part, json_int_t parts)
{
    return json_object_set_new(o, "part", json_integer(part)) |
           json_object_set_new(o, "parts", json_integer(parts));
}

static int one_part(json_t *doc, size_t max_bytes, char ***parts, size_t *n_parts, int *fits)
{
    *fits = 0;
    char *s = json_dumps(doc, DUMP_FLAGS);
    if (!s)
        return RS_ERR_INTERNAL;
    if (strlen(s) > max_bytes) {
        free(s);
        return 0;
    }
    char **l = malloc(sizeof *l);
    if (!l) {
        free(s);
        return RS_ERR_INTERNAL;
    }
    l[0] = s;
    *parts = l;
    *n_parts = 1;
    *fits = 1;
    return 0;
}

/* What splitting one document needs: the arrays to split, the document
 * without them (base), and where each part starts. */
struct split {
    const json_t *doc;
    const char *const *keys;
    size_t n_keys, max_bytes;
    json_t *base;    /* the document without the split arrays */
    size_t base_len; /* its length with part/parts at their widest */
    size_t total;    /* elements over all split arrays */
    size_t *starts;  /* starts[p]: global index of the first element of part p */
    size_t n_p;
};

/* Builds sp->base from whole: the document without the split arrays, with
 * part/parts at their widest; fails when even that is over the limit. */
static int split_base(struct split *sp, json_t *whole, char *errstr, size_t errstr_size)
{
    int ok = 1;
    if (!(sp->base = json_copy(whole)))
        return RS_ERR_INTERNAL;
    for (size_t k = 0; k < sp->n_keys; k++) {
        json_t *a = json_object_get(sp->doc, sp->keys[k]);
        if (!json_is_array(a))
            continue;
        sp->total += json_array_size(a);
        if (json_object_set_new(sp->base, sp->keys[k], json_array()))
            return RS_ERR_INTERNAL;
    }
    if (set_part(sp->base, (json_int_t)sp->total, (json_int_t)sp->total))
        return RS_ERR_INTERNAL;
    sp->base_len = dump_len(sp->base, &ok);
    if (!ok)
        return RS_ERR_INTERNAL;
    if (sp->base_len > sp->max_bytes || sp->total == 0)
        return rs_errf(errstr, errstr_size, RS_ERR_LIMIT_EXCEEDED,
                       "message of %zu bytes over the limit of %zu bytes: %s", dump_len(whole, &ok),
                       sp->max_bytes,
                       sp->total ? "its fields besides the arrays are too large"
                                 : "it has no array to split");
    return 0;
}

/* Greedy packing, in key order then element order: fills sp->starts and
 * sp->n_p. */
static int split_pack(struct split *sp, char *errstr, size_t errstr_size)
{
    int ok = 1;
    if (!(sp->starts = calloc(sp->total + 1, sizeof *sp->starts)))
        return RS_ERR_INTERNAL;
    size_t g = 0, cur = sp->base_len, in_array = 0;
    for (size_t k = 0; k < sp->n_keys; k++) {
        json_t *a = json_object_get(sp->doc, sp->keys[k]);
        if (!json_is_array(a))
            continue;
        in_array = 0;
        for (size_t i = 0; i < json_array_size(a); i++, g++) {
            size_t l = dump_len(json_array_get(a, i), &ok);
            if (!ok)
                return RS_ERR_INTERNAL;
            if (sp->base_len + l > sp->max_bytes)
                return rs_errf(errstr, errstr_size, RS_ERR_LIMIT_EXCEEDED,
                               "message over the limit of %zu bytes: '%s[%zu]' alone needs %zu "
                               "bytes with the rest of the document",
                               sp->max_bytes, sp->keys[k], i, sp->base_len + l);
            size_t add = l + (in_array ? 1 : 0);
            if (sp->n_p == 0 || cur + add > sp->max_bytes) {
                sp->starts[sp->n_p++] = g;
                cur = sp->base_len;
                in_array = 0;
                add = l;
            }
            cur += add;
            in_array++;
        }
    }
    sp->starts[sp->n_p] = sp->total;
    return 0;
}

/* Returns part p (0-based) as compact JSON, malloc'd; NULL when out of memory. */
static char *split_part(const struct split *sp, size_t p)
{
    json_t *part = json_copy(sp->base);
    int bad = !part || set_part(part, (json_int_t)(p + 1), (json_int_t)sp->n_p);
    size_t gi = 0;
    for (size_t k = 0; !bad && k < sp->n_keys; k++) {
        json_t *a = json_object_get(sp->doc, sp->keys[k]);
        if (!json_is_array(a))
            continue;
        json_t *slice = json_array();
        bad |= !slice;
        for (size_t i = 0; !bad && i < json_array_size(a); i++, gi++)
            if (gi >= sp->starts[p] && gi < sp->starts[p + 1])
                bad |= json_array_append(slice, json_array_get(a, i));
        if (!bad)
            bad |= json_object_set_new(part, sp->keys[k], slice);
        else
            json_decref(slice);
    }
    char *s = bad ? NULL : json_dumps(part, DUMP_FLAGS);
    json_decref(part);
    return s;
}

int rs_message_split(const json_t *doc, const char *const *array_keys, size_t max_bytes,
                     char ***parts, size_t *n_parts, char *errstr, size_t errstr_size)
{
    *parts = NULL;
    *n_parts = 0;
    if (!json_is_object(doc))
        return rs_errf(errstr, errstr_size, RS_ERR_INVALID, "cannot split: not a JSON object");
    if (errstr && errstr_size)
        errstr[0] = '\0';
    struct split sp = {.doc = doc, .keys = array_keys, .max_bytes = max_bytes};
    json_t *whole = json_copy((json_t *)doc);
    size_t n_out = 0;
    char **out = NULL;
    int rc = RS_ERR_INTERNAL, fits = 0;
    if (!whole || set_part(whole, 1, 1))
        goto out;
    if ((rc = one_part(whole, max_bytes, parts, n_parts, &fits)) || fits)
        goto out;
    while (array_keys && array_keys[sp.n_keys])
        sp.n_keys++;
    if ((rc = split_base(&sp, whole, errstr, errstr_size)) ||
        (rc = split_pack(&sp, errstr, errstr_size)))
        goto out;
    rc = RS_ERR_INTERNAL;
    if (!(out = calloc(sp.n_p, sizeof *out)))
        goto out;
    for (size_t p = 0; p < sp.n_p; p++) {
        out[p] = split_part(&sp, p);
        n_out = p + 1;
        if (!out[p])
            goto out;
        if (strlen(out[p]) > max_bytes) {
            /* the size arithmetic above is exact for compact output */
            rc = rs_errf(errstr, errstr_size, RS_ERR_INTERNAL,
                         "part %zu of %zu is %zu bytes, over %zu", p + 1, sp.n_p, strlen(out[p]),
                         max_bytes);
            goto out;
        }
    }
    *parts = out;
    *n_parts = sp.n_p;
    out = NULL;
    rc = 0;
out:
    if (rc == RS_ERR_INTERNAL && errstr && errstr_size && !errstr[0])
        rs_errf(errstr, errstr_size, RS_ERR_INTERNAL, "cannot split message: out of memory");
    rs_message_parts_free(out, n_out);
    free(sp.starts);
    json_decref(sp.base);
    json_decref(whole);
    return rc;
}
