/* embedded.c - `regscan-worker scan IMAGE_REF` (see embedded.h).
 *
 * Chooses the blob source from the reference (a registry, an OCI layout, a
 * docker archive), resolves an index to one platform, runs the same index
 * stage as the worker and prints the report as a table or as the same JSON
 * document the worker publishes. */
#include "worker.h"
#include "image.h"
#include "config.h"
#include "base.h"
#include "model.h"
#include "match.h"
#include "policy.h"
#include "report.h"
#include "registry.h"
#include "scan.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Opens the blob source for `ref`; fills repository/reference (what to
 * resolve) and the registry name shown in the report. */
static rs_blobsrc *open_source(const char *image_ref, const rs_embedded_opts *o,
                               rs_registry_conf *rc, char *repo, size_t repo_sz, char *ref,
                               size_t ref_sz, char *regname, size_t regname_sz, int *err,
                               char *errstr, size_t errsz)
{
    if (!strncmp(image_ref, "oci-layout:", 11) || !strncmp(image_ref, "oci:", 4)) {
        const char *rest = image_ref + (image_ref[3] == ':' ? 4 : 11);
        char dir[4096];
        snprintf(dir, sizeof dir, "%s", rest);
        /* DIR[:TAG]: the last ':' after the last '/' separates a tag */
        char *slash = strrchr(dir, '/');
        char *colon = strrchr(slash ? slash : dir, ':');
        ref[0] = '\0';
        if (colon) {
            *colon = '\0';
            snprintf(ref, ref_sz, "%s", colon + 1);
        }
        snprintf(repo, repo_sz, "%s", dir);
        snprintf(regname, regname_sz, "oci-layout");
        rs_blobsrc *s = rs_blobsrc_oci_new(dir, errstr, errsz);
        *err = s ? 0 : RS_ERR_INVALID;
        return s;
    }
    if (!strncmp(image_ref, "docker-archive:", 15)) {
        const char *path = image_ref + 15;
        snprintf(repo, repo_sz, "%s", path);
        ref[0] = '\0';
        snprintf(regname, regname_sz, "docker-archive");
        rs_blobsrc *s = rs_blobsrc_docker_new(path, errstr, errsz);
        *err = s ? 0 : RS_ERR_INVALID;
        return s;
    }
    rs_imageref ir;
    *err = rs_imageref_parse(image_ref, o->insecure_registries, o->n_insecure, &ir, errstr, errsz);
    if (*err) {
        *err = RS_ERR_CONFIG;
        return NULL;
    }
    snprintf(repo, repo_sz, "%s", ir.repository);
    snprintf(ref, ref_sz, "%s", ir.digest[0] ? ir.digest : ir.tag);
    snprintf(regname, regname_sz, "%s", ir.host);
    if (o->azure)
        ir.insecure = 0; /* an ACR token is never sent in clear, not even to a loopback host */
    static char url[512], host[256];
    snprintf(url, sizeof url, "%s://%s", ir.insecure ? "http" : "https", ir.host);
    snprintf(host, sizeof host, "%s", ir.host);
    memset(rc, 0, sizeof *rc);
    rc->url = url;
    rc->host = host;
    rc->insecure = ir.insecure;
    char *user = NULL, *pass = NULL;
    if (o->azure) {
        rc->auth.type = RS_AUTH_AZURE;
        if ((*err = rs_config_azure_env(&rc->auth.azure, errstr, errsz)))
            return NULL;
    } else if (o->username) {
        user = strdup(o->username);
        pass = strdup(o->password ? o->password : "");
    } else {
        rs_docker_config_auth(ir.host, &user, &pass);
    }
    if (user) {
        rc->auth.type = RS_AUTH_BASIC;
        rc->auth.username = user;
        rc->auth.password = pass;
    }
    rs_blobsrc *s = rs_blobsrc_registry_new(rc, errstr, errsz);
    *err = s ? 0 : RS_ERR_CONFIG;
    return s;
}

static const char *dash(const char *s)
{
    return s && *s ? s : "-";
}

/* Terminal output. Every string shown comes from the image, a registry or the
 * database, so it is written through rs_utf8_dup_printable: valid UTF-8, no
 * control character (ESC, CSI) reaches the terminal. Columns are counted in
 * characters (a double-width character still counts one). */

static size_t columns(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        n += (*p & 0xC0) != 0x80; /* every byte but a continuation starts one */
    return n;
}

/* Columns `s` takes once made printable. */
static size_t cell_width(const char *s)
{
    char *c = rs_utf8_dup_printable(s);
    size_t n = c ? columns(c) : 1;
    free(c);
    return n;
}

/* Writes `s` made printable ("?" when out of memory), padded with spaces to
 * `width` columns. */
static void put_cell(FILE *out, const char *s, size_t width)
{
    char *c = rs_utf8_dup_printable(s);
    const char *t = c ? c : "?";
    fputs(t, out);
    for (size_t n = columns(t); n < width; n++)
        fputc(' ', out);
    free(c);
}

/* Widens *w to the width of s. */
static void widen(size_t *w, const char *s)
{
    size_t n = cell_width(s);
    if (n > *w)
        *w = n;
}

static void print_finding_row(FILE *out, const rs_finding *f, const size_t w[4])
{
    char aliases[512] = "";
    size_t len = 0;
    for (size_t k = 0; k < f->n_aliases && len < sizeof aliases; k++) {
        int n = snprintf(aliases + len, sizeof aliases - len, "%s%s", k ? ", " : "", f->aliases[k]);
        if (n > 0)
            len += (size_t)n;
    }
    /* snprintf may have cut an alias inside a character: put_cell repairs it */
    fprintf(out, "%-10s  ", f->version_unknown ? "unconfirmed" : rs_severity_name(f->severity));
    put_cell(out, f->id, w[0] + 2);
    put_cell(out, f->pkg->name, w[1] + 2);
    put_cell(out, f->pkg->version, w[2] + 2);
    put_cell(out, f->nearest_fix ? f->nearest_fix : "no fix", w[3] + 2);
    put_cell(out, dash(aliases), 0);
    fputc('\n', out);
}

/* 1 when the report's "suppressed" array holds finding f. */
static int is_suppressed(const json_t *report, const rs_finding *f)
{
    json_t *sup = json_object_get(report, "suppressed");
    for (size_t i = 0; i < json_array_size(sup); i++) {
        json_t *e = json_array_get(sup, i);
        const char *id = json_string_value(json_object_get(e, "id"));
        const char *pkg = json_string_value(json_object_get(e, "package"));
        const char *path = json_string_value(json_object_get(e, "path"));
        if (id && pkg && !strcmp(id, f->id) && !strcmp(pkg, f->pkg->name) &&
            (!path || !f->pkg->path || !strcmp(path, f->pkg->path)))
            return 1;
    }
    return 0;
}

static json_int_t summary_int(const json_t *report, const char *a, const char *b)
{
    json_t *s = json_object_get(report, "summary");
    if (b)
        s = json_object_get(s, a);
    return json_integer_value(json_object_get(s, b ? b : a));
}

/* The findings of m that the policy did not suppress, counted as the report
 * counts them. */
static void print_findings(FILE *out, const rs_match_result *m, const json_t *report)
{
    fprintf(out,
            "\nvulnerabilities  %lld (critical %lld, high %lld, medium %lld, low %lld, "
            "negligible %lld, unknown %lld), fixable %lld",
            (long long)json_array_size(json_object_get(report, "vulnerabilities")) -
                (long long)summary_int(report, "unconfirmed", NULL),
            (long long)summary_int(report, "vulnerabilities", "critical"),
            (long long)summary_int(report, "vulnerabilities", "high"),
            (long long)summary_int(report, "vulnerabilities", "medium"),
            (long long)summary_int(report, "vulnerabilities", "low"),
            (long long)summary_int(report, "vulnerabilities", "negligible"),
            (long long)summary_int(report, "vulnerabilities", "unknown"),
            (long long)summary_int(report, "fixable", NULL));
    if (summary_int(report, "unconfirmed", NULL))
        fprintf(out, ", unconfirmed %lld (versions that could not be compared)",
                (long long)summary_int(report, "unconfirmed", NULL));
    if (summary_int(report, "suppressed", NULL))
        fprintf(out, ", suppressed by the policy %lld",
                (long long)summary_int(report, "suppressed", NULL));
    fprintf(out, "\n");
    if (!json_array_size(json_object_get(report, "vulnerabilities")))
        return;
    size_t w[4] = {2, 7, 9, 8}; /* ID, PACKAGE, INSTALLED, FIXED IN */
    for (size_t i = 0; i < m->n; i++) {
        const rs_finding *f = &m->findings[i];
        widen(&w[0], f->id);
        widen(&w[1], f->pkg->name);
        widen(&w[2], f->pkg->version);
        widen(&w[3], f->nearest_fix ? f->nearest_fix : "no fix");
    }
    fprintf(out, "\n%-10s  %-*s  %-*s  %-*s  %-*s  %s\n", "SEVERITY", (int)w[0], "ID", (int)w[1],
            "PACKAGE", (int)w[2], "INSTALLED", (int)w[3], "FIXED IN", "ALIASES");
    for (size_t i = 0; i < m->n; i++)
        if (!is_suppressed(report, &m->findings[i]))
            print_finding_row(out, &m->findings[i], w);
}

static const char *jstr(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* One indented row: `first` padded to `width`, then the cells (NULL ones
 * skipped) two spaces apart, each made printable. */
static void put_row(FILE *out, int width, const char *first, const char *const *cells, size_t n)
{
    fprintf(out, "  %-*s", width, first ? first : "");
    for (size_t i = 0; i < n; i++)
        if (cells[i]) {
            fputs("  ", out);
            put_cell(out, cells[i], 0);
        }
    fputc('\n', out);
}

/* What the index stage could not read: layer, path, code, analyzer, detail. */
static void print_errors(FILE *out, const json_t *report)
{
    json_t *errs = json_object_get(report, "errors");
    if (!json_array_size(errs))
        return;
    fprintf(out, "\nnot read  %zu (the rest of the image was analysed)\n", json_array_size(errs));
    for (size_t i = 0; i < json_array_size(errs); i++) {
        json_t *e = json_array_get(errs, i);
        char who[600];
        snprintf(who, sizeof who, "(%s%s%s)", jstr(e, "analyzer") ? jstr(e, "analyzer") : "layer",
                 jstr(e, "detail") ? ": " : "", jstr(e, "detail") ? jstr(e, "detail") : "");
        const char *cells[] = {jstr(e, "path"), who};
        put_row(out, 15, jstr(e, "code"), cells, 2);
    }
}

/* The policy's verdict and its violations. */
static void print_policy(FILE *out, const json_t *report)
{
    json_t *pol = json_object_get(report, "policy");
    json_t *viol = json_object_get(pol, "violations");
    const char *name = jstr(pol, "name");
    if (json_is_null(json_object_get(pol, "version"))) {
        fputs("\npolicy    none (--policy FILE gives a verdict)\n", out);
        return;
    }
    fprintf(out, "\npolicy    %s", json_string_value(json_object_get(pol, "verdict")));
    if (name) {
        fputs(" (", out);
        put_cell(out, name, 0);
        fputc(')', out);
    }
    fprintf(out, ", %zu violations\n", json_array_size(viol));
    for (size_t i = 0; i < json_array_size(viol); i++) {
        json_t *v = json_array_get(viol, i);
        const char *what = jstr(v, "package") ? jstr(v, "package") : jstr(v, "path");
        const char *cells[] = {jstr(v, "id"), what, jstr(v, "message")};
        put_row(out, 26, jstr(v, "rule"), cells, 3);
    }
}

static void print_packages(FILE *out, const rs_inventory *inv)
{
    size_t wn = 7, wv = 7, ws = 6;
    for (size_t i = 0; i < inv->n_pkgs; i++) {
        widen(&wn, inv->pkgs[i].name);
        widen(&wv, inv->pkgs[i].version);
        widen(&ws, dash(inv->pkgs[i].source_name));
    }
    fprintf(out, "%-*s  %-*s  %-*s  %-4s  %s\n", (int)wn, "PACKAGE", (int)wv, "VERSION", (int)ws,
            "SOURCE", "TYPE", "LAYER");
    for (size_t i = 0; i < inv->n_pkgs; i++) {
        const rs_pkg *p = &inv->pkgs[i];
        size_t layer = 0;
        for (size_t k = 0; k < inv->n_layers; k++)
            if (p->layer && !strcmp(inv->layers[k], p->layer))
                layer = k;
        char digest[20]; /* "sha256:" and 12 hex digits */
        snprintf(digest, sizeof digest, "%s", dash(p->layer));
        put_cell(out, p->name, wn + 2);
        put_cell(out, p->version, wv + 2);
        put_cell(out, dash(p->source_name), ws + 2);
        put_cell(out, p->type, 4 + 2);
        fprintf(out, "%zu ", layer);
        put_cell(out, digest, 0);
        fputc('\n', out);
    }
}

/* Secrets, redacted as the index stage recorded them (the value never
 * reached it), with the layer that holds them and, when an upper layer
 * deleted the file, that layer. */
static void print_secrets(FILE *out, const rs_inventory *inv)
{
    fprintf(out, "\nsecrets  %zu\n", inv->secrets.n);
    if (!inv->secrets.n)
        return;
    size_t w[3] = {4, 4, 5}; /* RULE, PATH, MATCH */
    for (size_t i = 0; i < inv->secrets.n; i++) {
        widen(&w[0], inv->secrets.items[i].rule);
        widen(&w[1], inv->secrets.items[i].path);
        widen(&w[2], inv->secrets.items[i].match);
    }
    fprintf(out, "\n%-10s  %-*s  %-*s  %-6s  %-*s  %s\n", "SEVERITY", (int)w[0], "RULE", (int)w[1],
            "PATH", "LINE", (int)w[2], "MATCH", "LAYER");
    for (size_t i = 0; i < inv->secrets.n; i++) {
        const rs_secret *x = &inv->secrets.items[i];
        char layer[80];
        snprintf(layer, sizeof layer, "%.19s%s%.19s", dash(x->layer),
                 x->deleted_in_layer ? " deleted in " : "",
                 x->deleted_in_layer ? x->deleted_in_layer : "");
        fprintf(out, "%-10s  ", dash(x->severity));
        put_cell(out, x->rule, w[0] + 2);
        put_cell(out, x->path, w[1] + 2);
        fprintf(out, "%-6zu  ", x->line);
        put_cell(out, x->match, w[2] + 2);
        put_cell(out, layer, 0);
        fputc('\n', out);
    }
}

static void print_misconfigs(FILE *out, const rs_inventory *inv)
{
    fprintf(out, "\nmisconfigurations  %zu\n", inv->misconfigs.n);
    if (!inv->misconfigs.n)
        return;
    size_t w = 2;
    for (size_t i = 0; i < inv->misconfigs.n; i++)
        widen(&w, inv->misconfigs.items[i].id);
    fprintf(out, "\n%-10s  %-*s  %-5s  %s\n", "SEVERITY", (int)w, "ID", "CIS", "EVIDENCE");
    for (size_t i = 0; i < inv->misconfigs.n; i++) {
        const rs_misconfig *m = &inv->misconfigs.items[i];
        fprintf(out, "%-10s  ", m->severity);
        put_cell(out, m->id, w + 2);
        put_cell(out, dash(m->cis), 5 + 2);
        put_cell(out, m->evidence, 0);
        fputc('\n', out);
    }
}

static void print_table(FILE *out, const char *image_ref, const char *digest,
                        const rs_scan_result *res, const rs_match_result *m,
                        const json_t *report)
{
    const rs_inventory *inv = res->inv;
    char plat[128];
    rs_platform_format(&res->platform, plat, sizeof plat);
    fputs("image     ", out);
    put_cell(out, image_ref, 0);
    fprintf(out, "\ndigest    %s\nplatform  ", digest);
    put_cell(out, plat, 0);
    fputs("\nos        ", out);
    if (inv->os.found)
        put_cell(out, dash(inv->os.pretty_name[0] ? inv->os.pretty_name : inv->os.id), 0);
    else
        fputs("unknown (no os-release)", out);
    const json_t *base = json_object_get(report, "base");
    if (json_is_object(base)) {
        fputs("\nbase      ", out);
        put_cell(out, json_string_value(json_object_get(base, "name")), 0);
        fprintf(out, " (%s)", json_string_value(json_object_get(base, "source")));
    }
    fprintf(out, "\nlayers    %zu\npackages  %zu\n", inv->n_layers, inv->n_pkgs);
    const char *status = json_string_value(json_object_get(report, "status"));
    if (status && !strcmp(status, "partial"))
        fprintf(out, "status    partial: %zu files or parts of layers were not read (\"not read\" "
                     "below); what is listed is incomplete\n",
                json_array_size(json_object_get(report, "errors")));
    fputc('\n', out);
    print_packages(out, inv);
    if (m)
        print_findings(out, m, report);
    else
        fprintf(out, "\nvulnerabilities: not matched (no --vulndb given)\n");
    print_secrets(out, inv);
    print_misconfigs(out, inv);
    print_errors(out, report);
    print_policy(out, report);
}

/* The base image as the embedded scan knows it: from the manifest's
 * annotations only (no Redis, so no layer chains: its layer count, and so the
 * base/application split, stay unknown). */
static int embedded_base(json_t *report, const rs_inventory *inv)
{
    rs_base b = {0};
    rs_base_from_annotation(&b, inv);
    int rc = rs_report_base_apply(report, &b, inv);
    rs_base_clear(&b);
    return rc;
}

/* The report of `meta`: findings of `matches` (may be NULL), the policy's
 * verdict (`policy` may be NULL) and, since the embedded report is one
 * document to read, the packages of `inv` (may be NULL). New reference;
 * NULL with errstr naming the step that failed (out of memory). */
static json_t *build_report(const rs_report_meta *meta, const rs_inventory *inv,
                            const rs_match_result *matches, const rs_policy *policy,
                            char *errstr, size_t errsz)
{
    json_t *report = rs_report_build(meta, inv), *invj = NULL;
    const char *failed = NULL;
    if (!report)
        failed = "cannot build the report";
    else if (matches && rs_match_to_report(matches, report) != 0)
        failed = "cannot add the findings to the report";
    else if (rs_policy_apply(policy, meta->digest, inv, time(NULL), report) != 0)
        failed = "cannot apply the policy";
    else if (embedded_base(report, inv) != 0)
        failed = "cannot add the base image";
    else if (inv && (!(invj = rs_inventory_to_json(inv)) ||
                     json_object_set(report, "packages", json_object_get(invj, "packages"))))
        failed = "cannot add the packages to the report";
    json_decref(invj);
    if (failed) {
        rs_errf(errstr, errsz, RS_ERR_INTERNAL, "%s: out of memory", failed);
        json_decref(report);
        return NULL;
    }
    return report;
}

/* Writes the report to `out` as indented JSON. Returns 0, or RS_ERR_INTERNAL
 * with errstr naming what failed. */
static int print_json(FILE *out, const json_t *report, char *errstr, size_t errsz)
{
    char *s = json_dumps(report, JSON_INDENT(2) | JSON_SORT_KEYS);
    int rc = 0;
    if (!s)
        rc = rs_errf(errstr, errsz, RS_ERR_INTERNAL, "cannot encode the report: out of memory");
    else if (fprintf(out, "%s\n", s) < 0 || fflush(out) != 0)
        rc = rs_errf(errstr, errsz, RS_ERR_INTERNAL, "cannot write the report: %s",
                     strerror(errno));
    free(s);
    return rc;
}

/* The report of one scan (an error report when res->status is set), as the
 * worker would publish it plus the packages. NULL with errstr when out of
 * memory. */
static json_t *scan_report(const rs_scan_result *res, const char *regname, const char *repo,
                           const char *digest, const rs_vulndb *db, const rs_policy *policy,
                           const rs_match_result *matches, uint64_t match_ms, uint64_t t0,
                           char *errstr, size_t errsz)
{
    rs_report_meta meta;
    char scan_id[40], when[32], policy_version[24];
    rs_report_meta_init(&meta, "", regname, repo, digest, RS_ANALYZER_VERSION,
                        db ? (rs_vulndb_version(db) ? rs_vulndb_version(db) : 1) : 0, "embedded",
                        scan_id, when);
    if (policy) {
        rs_policy_version(policy, time(NULL), policy_version);
        meta.policy_version = policy_version;
    }
    meta.platform = &res->platform;
    rs_report_meta_outcome(&meta, res->status, res->error);
    meta.pull_ms = (int64_t)res->pull_ms;
    meta.analyze_ms = (int64_t)res->analyze_ms;
    meta.match_ms = (int64_t)match_ms;
    meta.total_ms = (int64_t)(rs_now_ms() - t0);
    return build_report(&meta, res->status ? NULL : res->inv, matches,
                        res->status ? NULL : policy, errstr, errsz);
}

/* Prints the report in the chosen format; returns 0 or RS_ERR_INTERNAL. */
static int print_report(FILE *out, const rs_embedded_opts *o, const char *image_ref,
                        const char *digest, const rs_scan_result *res,
                        const rs_match_result *matches, const json_t *report, char *errstr,
                        size_t errsz)
{
    if (o->format && !strcmp(o->format, "json"))
        return print_json(out, report, errstr, errsz);
    print_table(out, image_ref, digest, res, matches, report);
    if (fflush(out) != 0)
        return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "cannot write the table: %s",
                       strerror(errno));
    return 0;
}

/* Loads --vulndb and --policy. Returns 0, or the exit code 2 (logged). */
static int load_inputs(const rs_embedded_opts *o, rs_vulndb **db, rs_policy **policy)
{
    char errstr[1024];
    if (o->vulndb_path) {
        rs_vulndb_stats st;
        if (rs_vulndb_load(o->vulndb_path, db, &st, errstr, sizeof errstr)) {
            rs_log(RS_LOG_ERROR, "--vulndb: %s", errstr);
            return 2;
        }
        if (st.invalid || st.unknown_ecosystem)
            rs_log(RS_LOG_WARN,
                   "--vulndb: %ld invalid records and %ld entries of unknown "
                   "ecosystems skipped",
                   st.invalid, st.unknown_ecosystem);
    }
    if (o->policy_path && rs_policy_load(o->policy_path, policy, errstr, sizeof errstr)) {
        rs_log(RS_LOG_ERROR, "--policy: %s", errstr);
        return 2;
    }
    return 0;
}

int rs_embedded_scan(const char *image_ref, const rs_embedded_opts *o, FILE *out)
{
    char errstr[1024] = "", repo[4096], ref[512], regname[512], digest[RS_DIGEST_SIZE] = "";
    rs_registry_conf rc;
    memset(&rc, 0, sizeof rc);
    int err = 0, code = 0;
    rs_scan_result *res = NULL;
    rs_vulndb *db = NULL;
    rs_policy *policy = NULL;
    rs_match_result *matches = NULL;
    json_t *report = NULL;
    if ((code = load_inputs(o, &db, &policy)) != 0) {
        rs_vulndb_destroy(db);
        return code;
    }
    rs_blobsrc *src = open_source(image_ref, o, &rc, repo, sizeof repo, ref, sizeof ref, regname,
                                  sizeof regname, &err, errstr, sizeof errstr);
    if (!src) {
        rs_log(RS_LOG_ERROR, "%s", errstr);
        code = err == RS_ERR_CONFIG ? 2 : rs_err_exit_code(err);
        goto out;
    }
    err = rs_scan_resolve(src, repo, ref, o->platform, digest, errstr, sizeof errstr);
    if (err) {
        rs_log(RS_LOG_ERROR, "cannot resolve '%s': %s: %s", image_ref, rs_err_code(err), errstr);
        code = rs_err_exit_code(err);
        goto out;
    }
    rs_scan_opts so;
    rs_scan_opts_default(&so);
    if (o->scan)
        so = *o->scan;
    if (o->layer_parallelism > 0)
        so.layer_parallelism = (size_t)o->layer_parallelism;
    uint64_t t0 = rs_now_ms();
    res = rs_scan_index(src, repo, digest, &so);
    if (!res) {
        rs_log(RS_LOG_ERROR, "out of memory");
        code = 3;
        goto out;
    }
    if (res->status) {
        rs_log(RS_LOG_ERROR, "cannot scan '%s': %s: %s", image_ref, rs_err_code(res->status),
               res->error);
        code = rs_err_exit_code(res->status);
        if (!o->format || strcmp(o->format, "json") != 0)
            goto out;
    }
    uint64_t t_match = rs_now_ms();
    if (db && res->status == 0 &&
        rs_match_inventory(db, res->inv, &matches, errstr, sizeof errstr) != 0) {
        rs_log(RS_LOG_ERROR, "cannot match '%s': %s", image_ref, errstr);
        code = 3;
        goto out;
    }
    uint64_t match_ms = rs_now_ms() - t_match;
    report = scan_report(res, regname, repo, digest, db, policy, matches, match_ms, t0, errstr,
                         sizeof errstr);
    err = report ? print_report(out, o, image_ref, digest, res, matches, report, errstr,
                                sizeof errstr)
                 : RS_ERR_INTERNAL;
    if (err) {
        /* never an empty or cut output with exit 0: RS_ERR_INTERNAL exits 3 */
        rs_log(RS_LOG_ERROR, "cannot print the report of '%s': %s", image_ref, errstr);
        code = rs_err_exit_code(err);
    } else if (code == 0 && rs_policy_failed(report)) {
        code = 1; /* DESIGN.md §2: the policy verdict is fail */
    }
out:
    json_decref(report);
    rs_match_result_free(matches);
    rs_policy_free(policy);
    rs_vulndb_destroy(db);
    free(rc.auth.username);
    free(rc.auth.password);
    rs_config_azure_clear(&rc.auth.azure);
    rs_scan_result_free(res);
    rs_blobsrc_destroy(src);
    return code;
}
