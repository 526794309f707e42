/* policy.c - reads a policy file and the OpenVEX documents it names, and
 * computes the policy's effective version. Evaluation is in apply.c, the
 * OpenVEX reader in vex.c. */
#include "policy_int.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const sev_names[] = {"unknown", "negligible", "low", "medium", "high",
                                        "critical"};

int rs_policy_severity_rank(const char *name)
{
    for (int i = 0; name && i < (int)(sizeof sev_names / sizeof *sev_names); i++)
        if (!strcmp(name, sev_names[i]))
            return i;
    return -1;
}

const char *rs_policy_severity_label(int rank)
{
    return rank >= 0 && rank < (int)(sizeof sev_names / sizeof *sev_names) ? sev_names[rank] : "?";
}

char *rs_policy_str(const json_t *j, const char *key, const char *file, int *rc, char *errstr,
                    size_t errsz)
{
    json_t *v = json_object_get(j, key);
    if (!v || json_is_null(v))
        return NULL;
    const char *s = json_string_value(v);
    char *d = s ? strdup(s) : NULL;
    if (!s)
        *rc = rs_errf(errstr, errsz, RS_ERR_CONFIG, "policy %s: \"%s\" must be a string", file,
                      key);
    else if (!d)
        *rc = rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
    return d;
}

void rs_policy_strv_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

int rs_policy_strv(const json_t *j, const char *what, const char *file, char ***out, size_t *n,
                   char *errstr, size_t errsz)
{
    *out = NULL;
    *n = 0;
    if (!j)
        return 0;
    size_t count = json_is_array(j) ? json_array_size(j) : 1;
    if ((!json_is_array(j) && !json_is_string(j)) || count > 100000)
        return rs_errf(errstr, errsz, RS_ERR_CONFIG,
                       "policy %s: \"%s\" must be a string or an array of strings", file, what);
    char **v = calloc(count ? count : 1, sizeof *v);
    if (!v)
        return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
    for (size_t i = 0; i < count; i++) {
        const char *s = json_string_value(json_is_array(j) ? json_array_get(j, i) : j);
        if (!s || !(v[i] = strdup(s))) {
            rs_policy_strv_free(v, i);
            return rs_errf(errstr, errsz, s ? RS_ERR_INTERNAL : RS_ERR_CONFIG,
                           "policy %s: \"%s\" must hold only strings", file, what);
        }
    }
    *out = v;
    *n = count;
    return 0;
}

/* Rejects keys of object `o` that are not in `known` (NULL-terminated). */
static int known_keys(const json_t *o, const char *const *known, const char *where,
                      const char *file, char *errstr, size_t errsz)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)o, k, v)
    {
        size_t i = 0;
        while (known[i] && strcmp(known[i], k))
            i++;
        if (!known[i])
            return rs_errf(errstr, errsz, RS_ERR_CONFIG, "policy %s: unknown key \"%s\" in %s",
                           file, k, where);
    }
    return 0;
}

static int severity_key(const json_t *o, const char *key, int *out, const char *file,
                        char *errstr, size_t errsz)
{
    json_t *v = json_object_get(o, key);
    *out = -1;
    if (!v || json_is_null(v))
        return 0;
    if ((*out = rs_policy_severity_rank(json_string_value(v))) < 0)
        return rs_errf(errstr, errsz, RS_ERR_CONFIG,
                       "policy %s: \"%s\" must be one of critical, high, medium, low, "
                       "negligible, unknown",
                       file, key);
    return 0;
}

static int bool_key(const json_t *o, const char *key, int *out, const char *file, char *errstr,
                    size_t errsz)
{
    json_t *v = json_object_get(o, key);
    *out = 0;
    if (!v)
        return 0;
    if (!json_is_boolean(v))
        return rs_errf(errstr, errsz, RS_ERR_CONFIG, "policy %s: \"%s\" must be true or false",
                       file, key);
    *out = json_is_true(v);
    return 0;
}

static int parse_fail_on(rs_policy *p, const json_t *f, const char *file, char *errstr,
                         size_t errsz)
{
    static const char *const known[] = {"vulnerability_severity", "only_fixable", "secrets",
                                        "misconfiguration_severity", "partial", NULL};
    p->fail_vuln = p->fail_misconf = -1;
    if (!f)
        return 0;
    if (!json_is_object(f))
        return rs_errf(errstr, errsz, RS_ERR_CONFIG, "policy %s: \"fail_on\" must be an object",
                       file);
    int rc;
    if ((rc = known_keys(f, known, "\"fail_on\"", file, errstr, errsz)) ||
        (rc = severity_key(f, "vulnerability_severity", &p->fail_vuln, file, errstr, errsz)) ||
        (rc = bool_key(f, "only_fixable", &p->only_fixable, file, errstr, errsz)) ||
        (rc = bool_key(f, "secrets", &p->fail_secrets, file, errstr, errsz)) ||
        (rc = bool_key(f, "partial", &p->fail_partial, file, errstr, errsz)) ||
        (rc = severity_key(f, "misconfiguration_severity", &p->fail_misconf, file, errstr,
                           errsz)))
        return rc;
    return 0;
}

/* "YYYY-MM-DD" (in force to the end of that day, UTC) or an RFC 3339 time. */
static int parse_expiry(const char *s, time_t *out)
{
    char buf[40];
    int64_t t;
    if (strlen(s) == 10) {
        snprintf(buf, sizeof buf, "%sT23:59:59Z", s);
        s = buf;
    }
    if (rs_clock_parse_rfc3339(s, &t))
        return -1;
    *out = (time_t)t;
    return 0;
}

/* One entry of "allow" (an object whose keys parse_list checked). */
static int parse_allow_entry(rs_policy *p, const json_t *e, const char *where, const char *file,
                             char *errstr, size_t errsz)
{
    int rc = 0;
    if (RS_GROW(p->allow, p->n_allow + 1, p->cap_allow))
        return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
    rs_policy_allow *a = &p->allow[p->n_allow++];
    memset(a, 0, sizeof *a);
    a->id = rs_policy_str(e, "id", file, &rc, errstr, errsz);
    a->path = rs_policy_str(e, "path", file, &rc, errstr, errsz);
    a->expires_text = rs_policy_str(e, "expires", file, &rc, errstr, errsz);
    a->reason = rs_policy_str(e, "reason", file, &rc, errstr, errsz);
    if (rc)
        return rc;
    if (!a->id || !*a->id)
        return rs_errf(errstr, errsz, RS_ERR_CONFIG, "policy %s: %s needs an \"id\"", file,
                       where);
    if (a->expires_text && parse_expiry(a->expires_text, &a->expires))
        return rs_errf(errstr, errsz, RS_ERR_CONFIG,
                       "policy %s: %s \"expires\" is not YYYY-MM-DD or an RFC 3339 time", file,
                       where);
    return 0;
}

/* One entry of "forbidden_packages" (an object whose keys parse_list checked). */
static int parse_forbidden_entry(rs_policy *p, const json_t *e, const char *where,
                                 const char *file, char *errstr, size_t errsz)
{
    int rc = 0;
    if (RS_GROW(p->forbidden, p->n_forbidden + 1, p->cap_forbidden))
        return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
    rs_policy_forbidden *f = &p->forbidden[p->n_forbidden++];
    memset(f, 0, sizeof *f);
    f->ecosystem = rs_policy_str(e, "ecosystem", file, &rc, errstr, errsz);
    f->name = rs_policy_str(e, "name", file, &rc, errstr, errsz);
    f->reason = rs_policy_str(e, "reason", file, &rc, errstr, errsz);
    if (rc || (rc = rs_policy_strv(json_object_get(e, "versions"), "versions", file,
                                   &f->versions, &f->n_versions, errstr, errsz)))
        return rc;
    if (!f->name || !*f->name)
        return rs_errf(errstr, errsz, RS_ERR_CONFIG, "policy %s: %s needs a \"name\"", file,
                       where);
    return 0;
}

/* The array j[key] of objects with only the `known` keys, each given to
 * `one` with its place ("\"allow\"[2]") for messages. */
static int parse_list(rs_policy *p, const json_t *j, const char *key,
                      const char *const *known, const char *file,
                      int (*one)(rs_policy *, const json_t *, const char *, const char *, char *,
                                 size_t),
                      char *errstr, size_t errsz)
{
    const json_t *a = json_object_get(j, key);
    if (!a)
        return 0;
    if (!json_is_array(a))
        return rs_errf(errstr, errsz, RS_ERR_CONFIG, "policy %s: \"%s\" must be an array", file,
                       key);
    for (size_t i = 0; i < json_array_size(a); i++) {
        json_t *e = json_array_get(a, i);
        char where[64];
        snprintf(where, sizeof where, "\"%s\"[%zu]", key, i);
        int rc = json_is_object(e) ? known_keys(e, known, where, file, errstr, errsz)
                                   : rs_errf(errstr, errsz, RS_ERR_CONFIG,
                                             "policy %s: %s must be an object", file, where);
        if (rc || (rc = one(p, e, where, file, errstr, errsz)))
            return rc;
    }
    return 0;
}

/* Reads a whole file of at most RS_POLICY_MAX_FILE bytes. */
static int read_file(const char *path, char **data, size_t *len, char *errstr, size_t errsz)
{
    char e[256];
    rs_reader *r = rs_reader_file_new(path, e, sizeof e);
    if (!r)
        return rs_errf(errstr, errsz, RS_ERR_CONFIG, "%s", e);
    int rc = rs_reader_slurp(r, RS_POLICY_MAX_FILE, data, len, e, sizeof e);
    rs_reader_destroy(r);
    if (rc)
        return rs_errf(errstr, errsz, rc == RS_ERR_LIMIT_EXCEEDED ? rc : RS_ERR_CONFIG,
                       "policy file \"%s\": %s", path, e);
    return 0;
}

/* Records a file p is read from with what stat(2) said of it before the read
 * (`st` NULL: stat it now). */
static int note_file(rs_policy *p, const char *path, const struct stat *st)
{
    if (RS_GROW(p->files, p->n_files + 1, p->cap_files))
        return RS_ERR_INTERNAL;
    rs_policy_file *f = &p->files[p->n_files];
    memset(f, 0, sizeof *f);
    if (!(f->path = strdup(path)))
        return RS_ERR_INTERNAL;
    if (st)
        f->st = *st;
    else
        f->missing = stat(path, &f->st) != 0;
    p->n_files++;
    return 0;
}

static int same_file(const rs_policy_file *f)
{
    struct stat now;
    if (stat(f->path, &now) != 0)
        return f->missing;
    return !f->missing && now.st_dev == f->st.st_dev && now.st_ino == f->st.st_ino &&
           now.st_size == f->st.st_size && now.st_mtim.tv_sec == f->st.st_mtim.tv_sec &&
           now.st_mtim.tv_nsec == f->st.st_mtim.tv_nsec;
}

int rs_policy_unchanged(const rs_policy *p)
{
    for (size_t i = 0; i < p->n_files; i++)
        if (!same_file(&p->files[i]))
            return 0;
    return 1;
}

rs_policy *rs_policy_ref(rs_policy *p)
{
    atomic_fetch_add(&p->refs, 1);
    return p;
}

static int load_vex(rs_policy *p, const json_t *j, const char *dir, const char *file,
                    char *errstr, size_t errsz)
{
    char **names;
    size_t n;
    int rc = rs_policy_strv(json_object_get(j, "vex"), "vex", file, &names, &n, errstr, errsz);
    for (size_t i = 0; !rc && i < n; i++) {
        char path[PATH_MAX];
        char *data = NULL;
        size_t len = 0;
        if (names[i][0] == '/')
            snprintf(path, sizeof path, "%s", names[i]);
        else
            snprintf(path, sizeof path, "%s/%s", dir ? dir : ".", names[i]);
        if (note_file(p, path, NULL))
            rc = rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
        else if (!(rc = read_file(path, &data, &len, errstr, errsz))) {
            rs_sha256_update(p->content, data, len);
            rc = rs_vex_parse(p, names[i], data, len, errstr, errsz);
        }
        free(data);
    }
    rs_policy_strv_free(names, n);
    return rc;
}

static int parse_top(rs_policy *p, const json_t *j, const char *dir, const char *file,
                     char *errstr, size_t errsz)
{
    static const char *const allow_keys[] = {"id", "path", "expires", "reason", NULL};
    static const char *const forbidden_keys[] = {"ecosystem", "name", "versions", "reason", NULL};
    static const char *const known[] = {"name",  "version", "fail_on", "forbidden_packages",
                                        "allow", "vex",     NULL};
    int rc = 0;
    if (!json_is_object(j))
        return rs_errf(errstr, errsz, RS_ERR_CONFIG, "policy %s: not a JSON object", file);
    if ((rc = known_keys(j, known, "the policy", file, errstr, errsz)))
        return rc;
    p->name = rs_policy_str(j, "name", file, &rc, errstr, errsz);
    p->label = rs_policy_str(j, "version", file, &rc, errstr, errsz);
    if (rc || (rc = parse_fail_on(p, json_object_get(j, "fail_on"), file, errstr, errsz)) ||
        (rc = parse_list(p, j, "allow", allow_keys, file, parse_allow_entry, errstr, errsz)) ||
        (rc = parse_list(p, j, "forbidden_packages", forbidden_keys, file, parse_forbidden_entry,
                         errstr, errsz)) ||
        (rc = load_vex(p, j, dir, file, errstr, errsz)))
        return rc;
    return 0;
}

/* Parses the policy `data`, called `file` in messages. */
static int parse_named(const char *data, size_t len, const char *dir, const char *file,
                       rs_policy **out, char *errstr, size_t errsz)
{
    *out = NULL;
    rs_policy *p = calloc(1, sizeof *p);
    if (p)
        atomic_init(&p->refs, 1);
    if (!p || !(p->content = rs_sha256_new())) {
        free(p);
        return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
    }
    rs_sha256_update(p->content, data, len);
    json_error_t je;
    json_t *j = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
    int rc = j ? parse_top(p, j, dir, file, errstr, errsz)
               : rs_errf(errstr, errsz, RS_ERR_CONFIG, "policy %s: not JSON: %s (line %d)", file,
                         je.text, je.line);
    json_decref(j);
    if (rc) {
        rs_policy_free(p);
        return rc;
    }
    rs_sha256_final(p->content, p->content_digest);
    *out = p;
    return 0;
}

int rs_policy_parse(const char *data, size_t len, const char *dir, rs_policy **out,
                    char *errstr, size_t errsz)
{
    return parse_named(data, len, dir, "(inline)", out, errstr, errsz);
}

int rs_policy_load(const char *path, rs_policy **out, char *errstr, size_t errsz)
{
    char *data = NULL, dir[PATH_MAX];
    size_t len = 0;
    *out = NULL;
    struct stat st;
    if (stat(path, &st) != 0)
        return rs_errf(errstr, errsz, RS_ERR_CONFIG, "policy file \"%s\": %s", path,
                       strerror(errno));
    int rc = read_file(path, &data, &len, errstr, errsz);
    if (rc)
        return rc;
    const char *slash = strrchr(path, '/');
    if (slash)
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    else
        snprintf(dir, sizeof dir, ".");
    char quoted[PATH_MAX + 2];
    snprintf(quoted, sizeof quoted, "\"%s\"", path);
    rc = parse_named(data, len, slash == path ? "/" : dir, quoted, out, errstr, errsz);
    free(data);
    if (rc == 0 && note_file(*out, path, &st)) {
        rs_policy_free(*out);
        *out = NULL;
        rc = rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
    }
    return rc;
}

void rs_policy_free(rs_policy *p)
{
    if (!p || atomic_fetch_sub(&p->refs, 1) > 1)
        return;
    for (size_t i = 0; i < p->n_files; i++)
        free(p->files[i].path);
    free(p->files);
    free(p->name);
    free(p->label);
    for (size_t i = 0; i < p->n_allow; i++) {
        free(p->allow[i].id);
        free(p->allow[i].path);
        free(p->allow[i].expires_text);
        free(p->allow[i].reason);
    }
    free(p->allow);
    for (size_t i = 0; i < p->n_forbidden; i++) {
        free(p->forbidden[i].ecosystem);
        free(p->forbidden[i].name);
        free(p->forbidden[i].reason);
        rs_policy_strv_free(p->forbidden[i].versions, p->forbidden[i].n_versions);
    }
    free(p->forbidden);
    for (size_t i = 0; i < p->n_vex; i++)
        rs_vex_statement_clear(&p->vex[i]);
    free(p->vex);
    rs_sha256_destroy(p->content);
    free(p);
}

void rs_policy_version(const rs_policy *p, time_t now, char out[24])
{
    rs_sha256 *h = rs_sha256_new();
    char d[RS_DIGEST_SIZE];
    if (!h) {
        snprintf(out, 24, "p1-unknown");
        return;
    }
    rs_sha256_update(h, p->content_digest, strlen(p->content_digest) + 1);
    for (size_t i = 0; i < p->n_allow; i++)
        if (p->allow[i].expires && now <= p->allow[i].expires) {
            char idx[24];
            int n = snprintf(idx, sizeof idx, "%zu", i);
            rs_sha256_update(h, idx, (size_t)n + 1);
        }
    rs_sha256_final(h, d);
    rs_sha256_destroy(h);
    snprintf(out, 24, "p1-%.16s", d + 7);
}
