/* embedded.c - `regscan-worker scan IMAGE_REF` (see embedded.h).
 *
 * Chooses the blob source from the reference (a registry, an OCI layout, a
 * docker archive), resolves an index to one platform, runs the same index
 * stage as the worker and prints the report as a table or as the same JSON
 * document the worker publishes. */
#include "embedded.h"
#include "blobsrc.h"
#include "config.h"
#include "err.h"
#include "inventory.h"
#include "log.h"
#include "match.h"
#include "message.h"
#include "registry.h"
#include "scan.h"
#include "vulndb.h"

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
    static char url[512], host[256];
    snprintf(url, sizeof url, "%s://%s", ir.insecure ? "http" : "https", ir.host);
    snprintf(host, sizeof host, "%s", ir.host);
    memset(rc, 0, sizeof *rc);
    rc->url = url;
    rc->host = host;
    rc->insecure = ir.insecure;
    char *user = NULL, *pass = NULL;
    if (o->username) {
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

static void print_findings(FILE *out, const rs_match_result *m)
{
    fprintf(out, "\nvulnerabilities  %zu (critical %ld, high %ld, medium %ld, low %ld, negligible "
                 "%ld, unknown %ld), fixable %ld",
            m->n - (size_t)m->unconfirmed, m->by_severity[RS_SEV_CRITICAL],
            m->by_severity[RS_SEV_HIGH], m->by_severity[RS_SEV_MEDIUM], m->by_severity[RS_SEV_LOW],
            m->by_severity[RS_SEV_NEGLIGIBLE], m->by_severity[RS_SEV_UNKNOWN], m->fixable);
    if (m->unconfirmed)
        fprintf(out, ", unconfirmed %ld (versions that could not be compared)", m->unconfirmed);
    fprintf(out, "\n");
    if (!m->n)
        return;
    size_t wi = 2, wp = 7, wv = 9, wf = 8;
    for (size_t i = 0; i < m->n; i++) {
        const rs_finding *f = &m->findings[i];
        size_t l;
        if ((l = strlen(f->id)) > wi)
            wi = l;
        if ((l = strlen(f->pkg->name)) > wp)
            wp = l;
        if ((l = strlen(f->pkg->version)) > wv)
            wv = l;
        if ((l = strlen(f->nearest_fix ? f->nearest_fix : "no fix")) > wf)
            wf = l;
    }
    fprintf(out, "\n%-10s  %-*s  %-*s  %-*s  %-*s  %s\n", "SEVERITY", (int)wi, "ID", (int)wp,
            "PACKAGE", (int)wv, "INSTALLED", (int)wf, "FIXED IN", "ALIASES");
    for (size_t i = 0; i < m->n; i++) {
        const rs_finding *f = &m->findings[i];
        char aliases[512] = "";
        size_t len = 0;
        for (size_t k = 0; k < f->n_aliases && len < sizeof aliases; k++) {
            int w = snprintf(aliases + len, sizeof aliases - len, "%s%s", k ? ", " : "",
                             f->aliases[k]);
            if (w > 0)
                len += (size_t)w;
        }
        fprintf(out, "%-10s  %-*s  %-*s  %-*s  %-*s  %s\n",
                f->version_unknown ? "unconfirmed" : rs_severity_name(f->severity), (int)wi,
                f->id, (int)wp, f->pkg->name, (int)wv, f->pkg->version, (int)wf,
                f->nearest_fix ? f->nearest_fix : "no fix", dash(aliases));
    }
}

static void print_table(FILE *out, const char *image_ref, const char *digest,
                        const rs_scan_result *res, const rs_match_result *m)
{
    const rs_inventory *inv = res->inv;
    char plat[128];
    rs_platform_format(&res->platform, plat, sizeof plat);
    fprintf(out, "image     %s\ndigest    %s\nplatform  %s\n", image_ref, digest, plat);
    if (inv->os.found)
        fprintf(out, "os        %s\n", dash(inv->os.pretty_name[0] ? inv->os.pretty_name
                                                                    : inv->os.id));
    else
        fprintf(out, "os        unknown (no os-release)\n");
    fprintf(out, "layers    %zu\npackages  %zu\n\n", inv->n_layers, inv->n_pkgs);
    size_t wn = 7, wv = 7, ws = 6;
    for (size_t i = 0; i < inv->n_pkgs; i++) {
        const rs_pkg *p = &inv->pkgs[i];
        if (strlen(p->name) > wn)
            wn = strlen(p->name);
        if (strlen(p->version) > wv)
            wv = strlen(p->version);
        size_t sl = p->source_name ? strlen(p->source_name) : 1;
        if (sl > ws)
            ws = sl;
    }
    fprintf(out, "%-*s  %-*s  %-*s  %-4s  %s\n", (int)wn, "PACKAGE", (int)wv, "VERSION", (int)ws,
            "SOURCE", "TYPE", "LAYER");
    for (size_t i = 0; i < inv->n_pkgs; i++) {
        const rs_pkg *p = &inv->pkgs[i];
        size_t layer = 0;
        for (size_t k = 0; k < inv->n_layers; k++)
            if (p->layer && !strcmp(inv->layers[k], p->layer))
                layer = k;
        fprintf(out, "%-*s  %-*s  %-*s  %-4s  %zu %.19s\n", (int)wn, p->name, (int)wv, p->version,
                (int)ws, dash(p->source_name), p->type, layer, dash(p->layer));
    }
    if (m)
        print_findings(out, m);
    else
        fprintf(out, "\nvulnerabilities: not matched (no --vulndb given)\n");
}

int rs_embedded_scan(const char *image_ref, const rs_embedded_opts *o, FILE *out)
{
    char errstr[1024] = "", repo[4096], ref[512], regname[512], digest[RS_DIGEST_SIZE] = "";
    rs_registry_conf rc;
    memset(&rc, 0, sizeof rc);
    int err = 0, code = 0;
    rs_scan_result *res = NULL;
    json_t *report = NULL;
    rs_vulndb *db = NULL;
    rs_match_result *matches = NULL;
    if (o->vulndb_path) {
        rs_vulndb_stats st;
        err = rs_vulndb_load(o->vulndb_path, &db, &st, errstr, sizeof errstr);
        if (err) {
            rs_log(RS_LOG_ERROR, "--vulndb: %s", errstr);
            return 2;
        }
        if (st.invalid || st.unknown_ecosystem)
            rs_log(RS_LOG_WARN, "--vulndb: %ld invalid records and %ld entries of unknown "
                   "ecosystems skipped", st.invalid, st.unknown_ecosystem);
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
    if (o->format && !strcmp(o->format, "json")) {
        rs_report_meta meta;
        memset(&meta, 0, sizeof meta);
        char scan_id[40], when[32];
        rs_scan_id_new(scan_id);
        rs_iso_now(when, sizeof when);
        meta.tenant = "";
        meta.registry = regname;
        meta.repository = repo;
        meta.digest = digest;
        meta.platform = &res->platform;
        meta.analyzer_version = RS_ANALYZER_VERSION;
        meta.policy_version = NULL;
        meta.worker = "embedded";
        meta.scan_id = scan_id;
        meta.scanned_at = when;
        meta.status = res->status ? RS_REPORT_ERROR : RS_REPORT_OK;
        meta.error_code = res->status ? rs_err_code(res->status) : NULL;
        meta.error_message = res->status ? res->error : NULL;
        meta.pull_ms = (int64_t)res->pull_ms;
        meta.analyze_ms = (int64_t)res->analyze_ms;
        meta.match_ms = (int64_t)match_ms;
        meta.total_ms = (int64_t)(rs_now_ms() - t0);
        meta.vulndb_version = db ? (rs_vulndb_version(db) ? rs_vulndb_version(db) : 1) : 0;
        report = rs_report_build(&meta, res->inv);
        if (report && matches)
            rs_match_to_report(matches, report);
        if (report && res->inv) {
            /* the embedded report carries the inventory too: one document to read */
            json_t *inv = rs_inventory_to_json(res->inv);
            json_object_set(report, "packages", json_object_get(inv, "packages"));
            json_decref(inv);
        }
        char *s = report ? json_dumps(report, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
        if (s)
            fprintf(out, "%s\n", s);
        free(s);
    } else {
        print_table(out, image_ref, digest, res, matches);
    }
out:
    rs_match_result_free(matches);
    rs_vulndb_destroy(db);
    free(rc.auth.username);
    free(rc.auth.password);
    json_decref(report);
    rs_scan_result_free(res);
    rs_blobsrc_destroy(src);
    return code;
}
