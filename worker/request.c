/* request.c - one scan request, as steps a reader can name: admit (decode,
 * route to the tenant, check its topics, skip if done), index (index.c),
 * match, publish the inventory and the report, mark done. Whatever the
 * request, the image or the registry does ends as a report or a dead letter;
 * only the infrastructure (past the outage budget) or a cancellation leaves a
 * request to be redelivered. */
#include "base.h"
#include "registry.h"
#include "worker_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Clears the queued mark of a finished request; it expires by itself when
 * Redis says no, so a failure is only logged. */
static void clear_queued(struct worker *w, const rs_scan_request *req)
{
    char err[512];
    if (rs_state_queued_clear(w->state, req->tenant, req->digest, err, sizeof err) != 0)
        rs_log(RS_LOG_WARN, "cannot clear the queued mark of '%s' (it expires by itself): %s",
               req->digest, err);
}

/* Publishes a document in parts to `topic`; all parts are acknowledged or an
 * error is returned. */
static int publish_doc(struct request *r, json_t *doc, const char *topic_tpl,
                       const char *const *arrays)
{
    struct worker *w = r->w;
    char *topic = NULL;
    char **parts = NULL;
    size_t n = 0;
    int rc = rs_topic_for_tenant(topic_tpl, r->req.tenant, &topic);
    if (rc)
        return rs_errf(r->errstr, sizeof r->errstr, RS_ERR_INTERNAL, "out of memory");
    /* keep a margin for the record's key and headers under the broker's limit */
    size_t mmb = (size_t)w->max_message_bytes;
    size_t max = mmb > 8192 ? mmb - 2048 : mmb * 3 / 4;
    rc = rs_message_split(doc, arrays, max, &parts, &n, r->errstr, sizeof r->errstr);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = RETRY(r->jb,
                   rs_producer_send_sync(w->producer, topic, r->key, parts[i], strlen(parts[i]),
                                         30000, r->errstr, sizeof r->errstr));
    for (size_t i = 0; i < n; i++)
        free(parts[i]);
    free(parts);
    free(topic);
    return rc;
}

/* Checks that the tenant's findings and inventory topics exist and take our
 * messages. Returns 0, the topic's status (RS_ERR_CONFIG, RS_ERR_UNAUTHORIZED)
 * with r->errstr naming it, or an infrastructure failure. */
static int check_topics(struct request *r)
{
    struct worker *w = r->w;
    const char *tpls[2] = {w->cfg->settings.topic_findings, w->cfg->settings.topic_inventory};
    int rc = 0;
    for (int i = 0; i < 2 && rc == 0; i++) {
        char *topic = NULL;
        if (rs_topic_for_tenant(tpls[i], r->req.tenant, &topic))
            return rs_errf(r->errstr, sizeof r->errstr, RS_ERR_INTERNAL, "out of memory");
        rc = RETRY(r->jb, rs_producer_topic_check(w->producer, topic, r->errstr, sizeof r->errstr));
        free(topic);
    }
    return rc;
}

/* Sends the request to the dead-letter topic: 1 (finished) or its failure. */
static int dead_lettered(struct request *r, const char *why)
{
    int rc = worker_dead_letter(r->w, r->jb, why, r->errstr, sizeof r->errstr);
    return rc ? rc : 1;
}

/* The tenant's policy for this request: the one kept for the tenant while
 * its files are unchanged, else read again (an operator may edit it at any
 * time). A policy that cannot be read becomes the image's error report
 * (request_run), never a verdict from no policy. */
static void request_policy(struct request *r)
{
    struct worker *w = r->w;
    const rs_tenant *t = rs_config_tenant(w->cfg, r->req.tenant);
    char err[900];
    if (!t || !t->policy)
        return;
    rs_policy **kept = &w->policies[t - w->cfg->tenants];
    pthread_mutex_lock(&w->policy_lock);
    if (!*kept || !rs_policy_unchanged(*kept)) {
        rs_policy *fresh = NULL;
        r->policy_rc = rs_policy_load(t->policy, &fresh, err, sizeof err);
        if (!r->policy_rc) {
            rs_policy_free(*kept);
            *kept = fresh;
        }
    }
    if (!r->policy_rc)
        r->policy = rs_policy_ref(*kept);
    pthread_mutex_unlock(&w->policy_lock);
    if (r->policy_rc)
        snprintf(r->policy_err, sizeof r->policy_err, "the tenant's policy: %s", err);
    else
        rs_policy_version(r->policy, time(NULL), r->policy_version);
}

/* A registry the tenants file does not list is one of the tenant's when the
 * coordinator's Azure discovery found it (registries:{tenant}): then it is
 * scanned over HTTPS with the azure block's selection and identity. Sets
 * r->rconf when it is; returns 0 or an infrastructure failure. */
static int discovered_registry(struct request *r, const rs_tenant *tenant)
{
    struct worker *w = r->w;
    int member = 0;
    int rc = RETRY(r->jb, rs_state_discovered_has(w->state, tenant->name, r->req.registry,
                                                  &member, r->errstr, sizeof r->errstr));
    if (rc || !member)
        return rc;
    rs_buf url = RS_BUF_INIT;
    r->found = tenant->discovered;
    r->found.host = strdup(r->req.registry);
    if (!r->found.host || rs_buf_printf(&url, "https://%s", r->req.registry)) {
        free(r->found.host);
        memset(&r->found, 0, sizeof r->found);
        rs_buf_free(&url);
        return rs_errf(r->errstr, sizeof r->errstr, RS_ERR_INTERNAL, "out of memory");
    }
    r->found.url = rs_buf_steal(&url);
    r->rconf = &r->found;
    return 0;
}

/* Decodes the request and checks that it can be worked on: 0 to go on, 1
 * when it is finished already (dead-lettered, or done before), else the
 * failure that stops it (infrastructure, cancellation). */
static int request_admit(struct request *r)
{
    struct worker *w = r->w;
    rd_kafka_message_t *m = job_msg(r->jb);
    int rc = rs_scan_request_decode(m->payload, m->len, &r->req, r->errstr, sizeof r->errstr);
    char why[1200];
    if (rc) {
        snprintf(why, sizeof why, "%s", r->errstr);
        return dead_lettered(r, why);
    }
    const rs_tenant *tenant = rs_config_tenant(w->cfg, r->req.tenant);
    r->rconf = tenant ? rs_config_registry(tenant, r->req.registry) : NULL;
    if (!r->rconf && tenant && tenant->discover &&
        (rc = discovered_registry(r, tenant)) != 0)
        return rc;
    if (!r->rconf) {
        snprintf(why, sizeof why, "%s '%s' is not in this worker's tenants file",
                 tenant ? "registry" : "tenant", tenant ? r->req.registry : r->req.tenant);
        return dead_lettered(r, why);
    }
    snprintf(r->key, sizeof r->key, "%s/%s", r->req.tenant, r->req.digest);
    rc = check_topics(r);
    if (rc == RS_ERR_CONFIG || rc == RS_ERR_UNAUTHORIZED) {
        /* not done: the next pass asks again once an operator made the topic */
        snprintf(why, sizeof why, "cannot report for tenant '%s': %s", r->req.tenant, r->errstr);
        return dead_lettered(r, why);
    }
    if (rc)
        return rc;
    worker_refresh_vulndb(w, !strcmp(r->req.mode, "rematch"));
    /* what was done before: a redelivery of a finished request is acknowledged
     * without work; a rematch compares its findings with these */
    rc = RETRY(r->jb, rs_state_done_get(w->state, r->req.tenant, r->req.digest, &r->prev,
                                        &r->prev_found, r->errstr, sizeof r->errstr));
    if (rc)
        return rc;
    int64_t db_now = 0;
    pthread_rwlock_rdlock(&w->db_lock);
    db_now = w->db_version;
    pthread_rwlock_unlock(&w->db_lock);
    request_policy(r);
    if (!r->req.force && r->prev_found && !strcmp(r->prev.analyzer_version, RS_ANALYZER_VERSION) &&
        !strcmp(r->prev.status, "ok") && r->prev.vulndb_version >= db_now && !r->policy_rc &&
        !strcmp(r->prev.policy_version, r->policy ? r->policy_version : "")) {
        rs_log(RS_LOG_INFO, "'%s' for tenant '%s' is already done", r->req.digest, r->req.tenant);
        clear_queued(w, &r->req);
        return 1;
    }
    return 0;
}

/* A rematch request may not know the platform: the last scan did. */
static void platform_from_prev(struct request *r)
{
    if (r->plat.os[0] || !r->prev_found || !r->prev.platform[0])
        return;
    char *fields[3] = {r->plat.os, r->plat.architecture, r->plat.variant};
    size_t sizes[3] = {sizeof r->plat.os, sizeof r->plat.architecture, sizeof r->plat.variant};
    const char *part = r->prev.platform;
    for (int k = 0; k < 3 && *part; k++) {
        size_t n = strcspn(part, "/");
        snprintf(fields[k], sizes[k], "%.*s", (int)n, part);
        part += n + (part[n] == '/');
    }
}

/* The match stage, on the inventory alone; a failure becomes the image's
 * error (it is deterministic: the same inventory fails the same way). */
static void request_match(struct request *r)
{
    struct worker *w = r->w;
    uint64_t t = rs_now_ms();
    if (r->scan_rc == 0 && r->inv) {
        char err[512] = "";
        pthread_rwlock_rdlock(&w->db_lock);
        r->db_used = w->db_version;
        if (w->db && rs_match_inventory(w->db, r->inv, &r->matches, err, sizeof err) != 0)
            r->matches = NULL;
        pthread_rwlock_unlock(&w->db_lock);
        if (r->db_used && !r->matches)
            r->scan_rc = rs_errf(r->scan_err, sizeof r->scan_err, RS_ERR_INTERNAL,
                                 "matching failed: %s", err);
        else if (r->matches)
            rs_match_fingerprint(r->matches, r->fingerprint);
    }
    if (r->scan_rc == 0 && r->policy) {
        /* a new policy version changes the verdict: the rematch publishes */
        char both[RS_DIGEST_SIZE + 32];
        snprintf(both, sizeof both, "%s/%s", r->fingerprint, r->policy_version);
        rs_sha256_digest(both, strlen(both), r->fingerprint);
    }
    r->match_ms = rs_now_ms() - t;
}

/* The image's base (base.c), mixed into the findings fingerprint: a
 * rematch whose base or newer base changed is reported again. Returns 0 or
 * the Redis failure that leaves the request to be redelivered. */
static int request_base(struct request *r)
{
    struct worker *w = r->w;
    if (r->scan_rc)
        return 0;
    int rc = RETRY(r->jb, worker_base_find(r));
    if (rc == 0)
        rs_base_fingerprint(&r->base, r->fingerprint, r->fingerprint);
    return rc;
}

/* Writes the done entry of a request that reported `report_id`. */
static int write_done(struct request *r, const char *report_id, const char *when)
{
    struct worker *w = r->w;
    rs_done d;
    memset(&d, 0, sizeof d);
    snprintf(d.analyzer_version, sizeof d.analyzer_version, "%s", RS_ANALYZER_VERSION);
    d.vulndb_version = r->db_used;
    snprintf(d.policy_version, sizeof d.policy_version, "%s", r->policy ? r->policy_version : "");
    snprintf(d.findings, sizeof d.findings, "%s", r->scan_rc ? "" : r->fingerprint);
    if (r->plat.os[0])
        rs_platform_format(&r->plat, d.platform, sizeof d.platform);
    snprintf(d.report_id, sizeof d.report_id, "%s", report_id ? report_id : "");
    snprintf(d.status, sizeof d.status, "%s", r->scan_rc ? "error" : "ok");
    snprintf(d.error_code, sizeof d.error_code, "%s", r->scan_rc ? rs_err_code(r->scan_rc) : "");
    snprintf(d.scanned_at, sizeof d.scanned_at, "%s", when);
    int rc = RETRY(r->jb, rs_state_done_set(w->state, r->req.tenant, r->req.digest, &d, r->errstr,
                                            sizeof r->errstr));
    if (rc == 0) {
        clear_queued(w, &r->req);
        rs_log(RS_LOG_INFO,
               "reported '%s/%s@%s' for tenant '%s': %s, %zu packages, %zu vulnerabilities "
               "(snapshot %lld)",
               r->req.registry, r->req.repository, r->req.digest, r->req.tenant, d.status,
               r->inv ? r->inv->n_pkgs : 0, r->matches ? r->matches->n : 0, (long long)r->db_used);
    }
    return rc;
}

/* The report of the request as it stands (an error report when scan_rc is
 * set, then without inventory); NULL when it cannot be built. */
static json_t *build_report(struct request *r, rs_report_meta *meta)
{
    rs_report_meta_outcome(meta, r->scan_rc, r->scan_err);
    json_t *report = rs_report_build(meta, r->scan_rc ? NULL : r->inv);
    if (report && !r->scan_rc &&
        ((r->matches && rs_match_to_report(r->matches, report) != 0) ||
         rs_policy_apply(r->policy, r->req.digest, r->inv, time(NULL), report) != 0)) {
        json_decref(report);
        report = NULL;
    }
    /* after the policy: suppressed findings get their origin too */
    if (report && rs_report_base_apply(report, r->scan_rc ? NULL : &r->base, r->inv) != 0) {
        json_decref(report);
        report = NULL;
    }
    return report;
}

/* The image gets an error report instead of the one that failed. */
static void become_error(struct request *r, int code, const char *what)
{
    char why[1100];
    snprintf(why, sizeof why, "%s", r->errstr);
    rs_log(RS_LOG_WARN, "report of '%s' for tenant '%s' %s: %s", r->req.digest, r->req.tenant, what,
           why);
    r->scan_rc = rs_errf(r->scan_err, sizeof r->scan_err, code, "the report %s: %.900s", what, why);
}

static const char *const report_arrays[] = {"vulnerabilities", "secrets", "misconfigurations",
                                            "errors", "suppressed", NULL};
static const char *const inv_arrays[] = {"packages", NULL};

/* Builds and publishes the inventory and the report, then writes `done`.
 * Whatever the image makes fail (a report that cannot be built, one element
 * larger than a message) becomes an error report; a topic that went away is
 * a dead letter. Returns 0 or an infrastructure failure. */
static int request_report(struct request *r)
{
    struct worker *w = r->w;
    rs_report_meta meta;
    char scan_id[40], when[32];
    rs_report_meta_init(&meta, r->req.tenant, r->req.registry, r->req.repository, r->req.digest,
                        RS_ANALYZER_VERSION, r->db_used, w->worker_id, scan_id, when);
    int rc = RETRY(r->jb, rs_state_refs_get(w->state, r->req.tenant, r->req.digest, &r->refs,
                                            r->errstr, sizeof r->errstr));
    if (rc)
        return rc;
    meta.refs = r->refs.n ? &r->refs : &r->req.refs;
    meta.policy_version = r->policy && !r->scan_rc ? r->policy_version : NULL;
    meta.platform = &r->plat;
    meta.pull_ms = (int64_t)r->pull_ms;
    meta.analyze_ms = (int64_t)r->analyze_ms;
    meta.match_ms = (int64_t)r->match_ms;
    meta.total_ms = (int64_t)(rs_now_ms() - r->t0);

    json_t *report = build_report(r, &meta), *invmsg = NULL;
    if (!report) {
        snprintf(r->errstr, sizeof r->errstr, "building it failed");
        become_error(r, RS_ERR_INTERNAL, "cannot be built");
        report = build_report(r, &meta);
    }
    rc = report ? 0 : rs_errf(r->errstr, sizeof r->errstr, RS_ERR_INTERNAL, "out of memory");
    if (rc == 0 && !r->scan_rc && r->inv && strcmp(r->req.mode, "rematch") != 0) {
        invmsg = rs_inventory_msg_build(&meta, r->inv);
        rc = invmsg ? publish_doc(r, invmsg, w->cfg->settings.topic_inventory, inv_arrays)
                    : rs_errf(r->errstr, sizeof r->errstr, RS_ERR_INTERNAL,
                              "the inventory message cannot be built");
    }
    if (rc == 0)
        rc = publish_doc(r, report, w->cfg->settings.topic_findings, report_arrays);
    if (rc == RS_ERR_LIMIT_EXCEEDED || rc == RS_ERR_INTERNAL) {
        /* one element larger than a whole message (a hostile package name, say): the
         * image gets an error report saying so instead of a report that cannot be sent */
        become_error(r, rc, "cannot be sent");
        json_decref(report);
        report = build_report(r, &meta);
        rc = report ? publish_doc(r, report, w->cfg->settings.topic_findings, report_arrays)
                    : rs_errf(r->errstr, sizeof r->errstr, RS_ERR_INTERNAL, "out of memory");
    }
    if (rc == 0)
        RS_TEST_STEP("after_publish"); /* the report is acknowledged, `done` not written */
    if (rc == 0 && r->poisoned) {
        char dl_err[512];
        rc = worker_dead_letter(w, r->jb, r->scan_err, dl_err, sizeof dl_err);
    }
    if (rc == 0)
        rc = RETRY(r->jb, worker_base_record(r));
    if (rc == 0)
        rc = write_done(r, json_string_value(json_object_get(report, "report_id")), when);
    else if (!rs_err_is_infra(rc) && rc != RS_ERR_CANCELLED) {
        /* a topic deleted or forbidden since the check, an error report too large */
        char why[1200];
        snprintf(why, sizeof why, "cannot report for tenant '%s': %s", r->req.tenant, r->errstr);
        rc = worker_dead_letter(w, r->jb, why, r->errstr, sizeof r->errstr);
    }
    json_decref(report);
    json_decref(invmsg);
    return rc;
}

/* A failure of the registry that can pass (unreachable, throttled). */
static int transient(int rc)
{
    return rc == RS_ERR_UNREACHABLE || rc == RS_ERR_TOOMANYREQUESTS;
}

/* Index, match, report. Returns 0 when finished, else the failure that
 * leaves the request to be redelivered (cancelled, infrastructure). */
static int request_run(struct request *r)
{
    struct worker *w = r->w;
    r->t0 = rs_now_ms();
    r->plat = r->req.platform;
    rs_registry *reg =
        r->rconf == &r->found
            ? worker_registry_found(w, r->req.tenant, r->rconf, r->scan_err, sizeof r->scan_err)
            : worker_registry(w, r->rconf, r->scan_err, sizeof r->scan_err);
    r->src = reg ? rs_blobsrc_registry_borrow(reg, r->scan_err, sizeof r->scan_err) : NULL;
    r->scan_rc = r->src ? worker_index_digest(r) : RS_ERR_CONFIG;
    platform_from_prev(r);
    if (r->scan_rc == RS_ERR_CANCELLED || rs_err_is_infra(r->scan_rc))
        return r->scan_rc;
    if (transient(r->scan_rc) && r->prev_found && !strcmp(r->prev.status, "ok")) {
        /* a good result is not overwritten by an outage: it stands, the next pass asks again */
        rs_log(RS_LOG_WARN, "'%s' for tenant '%s' not %s now, the previous result stands: %s",
               r->req.digest, r->req.tenant,
               strcmp(r->req.mode, "rematch") ? "scanned" : "rematched", r->scan_err);
        clear_queued(w, &r->req);
        return 0;
    }
    if (r->scan_rc)
        rs_log(RS_LOG_WARN, "scan of '%s/%s@%s' for tenant '%s' failed: %s", r->req.registry,
               r->req.repository, r->req.digest, r->req.tenant, r->scan_err);
    if (r->scan_rc == 0 && r->policy_rc)
        r->scan_rc = rs_errf(r->scan_err, sizeof r->scan_err, r->policy_rc, "%s", r->policy_err);
    request_match(r);
    int brc = request_base(r);
    if (brc)
        return brc;
    /* a rematch that changes nothing publishes no report, only the done update */
    if (r->scan_rc == 0 && r->from_cache && !r->req.force && r->prev_found &&
        !strcmp(r->prev.status, "ok") && !strcmp(r->prev.analyzer_version, RS_ANALYZER_VERSION) &&
        !strcmp(r->prev.findings, r->fingerprint)) {
        r->prev.vulndb_version = r->db_used;
        snprintf(r->prev.policy_version, sizeof r->prev.policy_version, "%s",
                 r->policy ? r->policy_version : "");
        /* a base image's ids are stamped with the snapshot it was matched with */
        int rc = RETRY(r->jb, worker_base_record(r));
        if (rc)
            return rc;
        rc = RETRY(r->jb, rs_state_done_set(w->state, r->req.tenant, r->req.digest, &r->prev,
                                                r->errstr, sizeof r->errstr));
        if (rc == 0) {
            clear_queued(w, &r->req);
            rs_log(RS_LOG_INFO, "rematched '%s' for tenant '%s' with snapshot %lld: unchanged",
                   r->req.digest, r->req.tenant, (long long)r->db_used);
        }
        return rc;
    }
    return request_report(r);
}

/* Returns 0 when the request is finished (its offset may be stored): a
 * report, a dead letter or nothing to do. Anything else leaves it to be
 * redelivered: RS_ERR_CANCELLED (revoke, shutdown), RS_ERR_STORE or
 * RS_ERR_BROKER past the outage budget, or a dead letter that failed. */
int worker_process_request(struct worker *w, job_t *jb)
{
    struct request *r = calloc(1, sizeof *r);
    if (!r)
        return RS_ERR_INTERNAL;
    r->w = w;
    r->jb = jb;
    snprintf(r->owner, sizeof r->owner, "%s/%lu", w->worker_id, jb->seq);
    int rc = request_admit(r);
    if (rc == 0)
        rc = request_run(r);
    if (rc > 0)
        rc = 0;
    if (rc && atomic_load(&jb->cancel)) {
        /* its partition was revoked or lost (a broker restart can end the group's
         * sessions) while a step was retried: handed back, not failed */
        rs_log(RS_LOG_INFO, "request at '%s' [%d] offset %lld handed back: %s", jb->topic,
               jb->partition, (long long)jb->offset,
               rc == RS_ERR_CANCELLED ? "cancelled" : r->errstr);
        rc = RS_ERR_CANCELLED;
    }
    if (rc && rc != RS_ERR_CANCELLED)
        rs_log(RS_LOG_ERROR, "request at '%s' [%d] offset %lld not finished: %s", jb->topic,
               jb->partition, (long long)jb->offset, r->errstr[0] ? r->errstr : r->scan_err);
    rs_match_result_free(r->matches);
    rs_base_clear(&r->base);
    rs_policy_free(r->policy);
    rs_refs_clear(&r->refs);
    rs_inventory_free(r->inv);
    rs_blobsrc_destroy(r->src);
    rs_scan_request_free(&r->req);
    free(r->found.url);
    free(r->found.host);
    free(r);
    return rc;
}
