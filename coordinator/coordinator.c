/* coordinator.c - one enumeration pass (see coordinator.h).
 *
 * Per registry: ping, list the catalog, and per repository list the tags,
 * resolve each tag with a HEAD (an index is expanded from the `index:` cache
 * or one GET), record the tag in `tag:` and `refs:`, look up the `done`
 * entries of the repository's digests in one pipeline, classify the new ones
 * (one manifest GET, one config GET) and publish a request for each digest
 * that needs work. Does not keep a pass's digests beyond one repository except
 * for the per-tenant set that makes "one request per digest and tenant". */
#include "coordinator.h"
#include "policy.h"
#include "base.h"
#include "throttle_int.h"
#include "acrtags_int.h"
#include "baseimages_int.h"
#include "digestset_int.h"
#include "discovery_int.h"
#include "event_int.h"
#include "kafka.h"
#include "report.h"
#include "registry.h"
#include "scan.h"
#include "redis.h"

#include <stdlib.h>
#include <string.h>

#define BATCH 64

struct candidate {
    char digest[RS_DIGEST_SIZE];
    char index_digest[RS_DIGEST_SIZE];
    rs_platform platform;
    int has_platform;
};

/* A growable list of strings (repository and tag names). */
struct names {
    char **v;
    size_t n, cap;
};

static void names_free(struct names *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

static int names_add(const char *name, void *opaque)
{
    struct names *l = opaque;
    if (RS_GROW(l->v, l->n + 1, l->cap))
        return RS_ERR_INTERNAL;
    if (!(l->v[l->n] = strdup(name)))
        return RS_ERR_INTERNAL;
    l->n++;
    return 0;
}

struct pass {
    const rs_config *cfg;
    const rs_coord_opts *o;
    rs_coord_stats *st;
    rs_state *state, *cache;
    rs_producer *producer;
    int64_t vulndb_version; /* vulndb:current at the start of the pass */
    char batch_id[40];
    char requested_at[32];
    /* per tenant and registry */
    const rs_tenant *tenant;
    const rs_registry_conf *rc;
    rs_registry *reg;
    rs_digestset *seen; /* digests already looked at for the tenant in this pass */
    /* a tenant with base repositories is listed twice: phase 1 records its base
     * images (so a worker finds them when the others are scanned), phase 2 the
     * rest; 0: one pass over everything */
    int phase;
    int base_repo; /* the repository being processed is a base repository */
    char policy_version[24]; /* the tenant's effective policy version, "" when none */
    int acr_off; /* the registry does not offer ACR's _tags: /v2 tags/list for this pass */
};

/* The effective version of the tenant's policy now ("" when it has none).
 * Returns 0, or RS_ERR_CONFIG (logged) when the policy cannot be read. */
static int tenant_policy_version(const rs_tenant *t, char out[24])
{
    rs_policy *pol = NULL;
    char err[1024];
    out[0] = '\0';
    if (!t->policy)
        return 0;
    int rc = rs_policy_load(t->policy, &pol, err, sizeof err);
    if (rc) {
        rs_log(RS_LOG_ERROR, "tenant '%s': %s", t->name, err);
        return RS_ERR_CONFIG;
    }
    rs_policy_version(pol, time(NULL), out);
    rs_policy_free(pol);
    return 0;
}

/* Does the done entry ask for work? Sets *mode to "scan" or "rematch". */
static int needs_work(const struct pass *p, const rs_done *d, int found, const char **mode,
                      int *force)
{
    *mode = "scan";
    *force = 0;
    if (p->o->rescan) {
        *force = 1;
        return 1;
    }
    if (!found)
        return 1;
    if (strcmp(d->analyzer_version, RS_ANALYZER_VERSION) != 0)
        return 1;
    if (strcmp(d->policy_version, p->policy_version) != 0) {
        /* the policy changed, or an allow entry expired: a new verdict from the
         * cached inventory (an error is scanned again: the policy may be its cause) */
        *mode = strcmp(d->status, "ok") ? "scan" : "rematch";
        return 1;
    }
    if (!strcmp(d->status, "ok") && d->vulndb_version < p->vulndb_version) {
        /* matched with an older snapshot: a cheap rematch from the cached inventory */
        *mode = "rematch";
        return 1;
    }
    if (!strcmp(d->status, "error")) {
        /* retry what can change: credentials, reachability, throttling */
        static const char *retry[] = {"UNAUTHORIZED", "UNREACHABLE", "TOOMANYREQUESTS", "INTERNAL",
                                      "CANCELLED"};
        for (size_t i = 0; i < sizeof retry / sizeof *retry; i++)
            if (!strcmp(d->error_code, retry[i]))
                return 1;
        return 0;
    }
    return 0;
}

/* The image config `m` names (baseimages.c). */
static int fetch_config(struct pass *p, const char *repo, const rs_manifest *m, json_t **out,
                        char *errstr, size_t errsz)
{
    return rs_coord_fetch_config(p->reg, repo, m, out, errstr, errsz);
}

/* Fetches and classifies a single image manifest: returns RS_SKIP_NONE with
 * the platform filled, or the reason to skip it. */
static int classify_image(struct pass *p, const char *repo, struct candidate *c,
                          rs_skip_reason *skip, char *errstr, size_t errsz)
{
    char *body = NULL;
    size_t len = 0;
    char mt[128] = "", d[RS_DIGEST_SIZE] = "";
    rs_manifest *m = NULL;
    json_t *cj = NULL;
    *skip = RS_SKIP_NONE;
    int rc = rs_registry_get_manifest(p->reg, repo, c->digest, &body, &len, mt, d, errstr, errsz);
    if (rc)
        goto out;
    rc = rs_manifest_parse(body, len, mt, &m, errstr, errsz);
    if (rc) {
        /* the parser does not know which image it read: say it */
        char why[512];
        snprintf(why, sizeof why, "%.500s", errstr);
        rc = rs_errf(errstr, errsz, rc, "'%s/%s@%s': %s", p->rc->host, repo, c->digest, why);
        goto out;
    }
    if (m->skip != RS_SKIP_NONE) {
        *skip = m->skip;
        goto out;
    }
    if (m->kind != RS_MANIFEST_IMAGE) {
        *skip = RS_SKIP_UNKNOWN_TYPE;
        goto out;
    }
    if (c->has_platform)
        goto out;
    if ((rc = fetch_config(p, repo, m, &cj, errstr, errsz)))
        goto out;
    const char *os = json_string_value(json_object_get(cj, "os"));
    const char *arch = json_string_value(json_object_get(cj, "architecture"));
    const char *variant = json_string_value(json_object_get(cj, "variant"));
    snprintf(c->platform.os, sizeof c->platform.os, "%s", os ? os : "");
    snprintf(c->platform.architecture, sizeof c->platform.architecture, "%s", arch ? arch : "");
    snprintf(c->platform.variant, sizeof c->platform.variant, "%s", variant ? variant : "");
    c->has_platform = 1;
    if (!strcmp(c->platform.os, "windows"))
        *skip = RS_SKIP_WINDOWS;
    else if (!rs_platform_match(&c->platform, p->rc->platforms, p->rc->n_platforms))
        *skip = RS_SKIP_PLATFORM;
out:
    json_decref(cj);
    rs_manifest_free(m);
    free(body);
    return rc;
}

static int publish(struct pass *p, const char *repo, const struct candidate *c, const char *mode,
                   int force, char *errstr, size_t errsz)
{
    rs_scan_request req;
    memset(&req, 0, sizeof req);
    req.mode = (char *)mode;
    req.force = force;
    req.tenant = p->tenant->name;
    req.registry = p->rc->host;
    req.repository = (char *)repo;
    snprintf(req.digest, sizeof req.digest, "%s", c->digest);
    snprintf(req.index_digest, sizeof req.index_digest, "%s", c->index_digest);
    req.platform = c->platform;
    req.batch_id = p->batch_id;
    req.requested_at = p->requested_at;
    rs_refs refs = {0};
    int rc = 0;
    if (!p->o->dry_run) {
        rc = rs_state_refs_get(p->state, p->tenant->name, c->digest, &refs, errstr, errsz);
        if (rc)
            return rc;
    }
    req.refs = refs;
    char *json = NULL;
    rc = rs_scan_request_encode(&req, &json);
    if (rc) {
        rs_refs_clear(&refs);
        return rs_errf(errstr, errsz, rc, "cannot encode the request for '%s'", c->digest);
    }
    if (p->o->dry_run) {
        fprintf(p->o->dry_out ? p->o->dry_out : stdout, "%s\n", json);
    } else {
        rc = rs_producer_send_sync(p->producer, p->cfg->settings.topic_requests, c->digest, json,
                                   strlen(json), 30000, errstr, errsz);
    }
    free(json);
    rs_refs_clear(&refs);
    if (rc)
        return rc;
    if (!p->o->dry_run) {
        long ttl = p->o->requeue_after_s > 0 ? p->o->requeue_after_s : 6 * 3600;
        rc = rs_state_queued_set(p->state, p->tenant->name, c->digest, ttl, errstr, errsz);
        if (rc)
            return rc;
    }
    if (!strcmp(mode, "rematch"))
        p->st->published_rematch++;
    else
        p->st->published_scan++;
    rs_log(RS_LOG_DEBUG, "requested %s of '%s/%s@%s' for tenant '%s'", mode, p->rc->host, repo,
           c->digest, p->tenant->name);
    return 0;
}

/* Reads manifest `digest` of `repo` into *out (rs_manifest_free it): from the
 * `index:` cache when it holds a body that hashes to the digest, else with
 * one GET, after which an index is cached (indexes are immutable). */
static int index_load(struct pass *p, const char *repo, const char *digest, rs_manifest **out,
                      char *errstr, size_t errsz)
{
    char *body = NULL, mt[128] = "", d[RS_DIGEST_SIZE] = "";
    size_t len = 0;
    int found = 0, rc = 0;
    *out = NULL;
    if (p->cache &&
        rs_state_cache_get(p->cache, "index", digest, &body, &len, &found, errstr, errsz) != 0)
        found = 0; /* a cache miss or a cache error costs one GET, never a wrong answer */
    if (found) {
        char check[RS_DIGEST_SIZE];
        rs_sha256_digest(body, len, check);
        if (strcmp(check, digest) != 0) {
            free(body);
            body = NULL;
            found = 0;
        }
    }
    if (!found)
        rc = rs_registry_get_manifest(p->reg, repo, digest, &body, &len, mt, d, errstr, errsz);
    if (rc == 0)
        rc = rs_manifest_parse(body, len, found || !mt[0] ? NULL : mt, out, errstr, errsz);
    if (rc == 0 && !found && (*out)->kind == RS_MANIFEST_INDEX && p->cache && !p->o->dry_run) {
        char ignore[256];
        rs_state_cache_set(p->cache, "index", digest, body, len, 0, ignore, sizeof ignore);
    }
    free(body);
    return rc;
}

/* Expands an index into its platform manifests (from the `index:` cache, or
 * one GET that fills it). */
static int expand_index(struct pass *p, const char *repo, const char *digest, struct candidate *out,
                        size_t max, size_t *n, char *errstr, size_t errsz)
{
    rs_manifest *m = NULL;
    int rc = index_load(p, repo, digest, &m, errstr, errsz);
    if (rc)
        goto out;
    if (m->kind != RS_MANIFEST_INDEX) {
        rc = rs_errf(errstr, errsz, RS_ERR_INVALID, "'%s@%s' is not an image index", repo, digest);
        goto out;
    }
    for (size_t i = 0; i < m->n_manifests; i++) {
        const rs_descriptor *e = &m->manifests[i];
        rs_skip_reason why = RS_SKIP_NONE;
        if (e->is_attestation)
            why = RS_SKIP_ATTESTATION;
        else if (e->has_platform && !strcmp(e->platform.os, "windows"))
            why = RS_SKIP_WINDOWS;
        else if (e->has_platform &&
                 !rs_platform_match(&e->platform, p->rc->platforms, p->rc->n_platforms))
            why = RS_SKIP_PLATFORM;
        else if (e->has_platform && !strcmp(e->platform.os, "unknown"))
            why = RS_SKIP_ATTESTATION;
        if (why != RS_SKIP_NONE) {
            p->st->skipped[why]++;
            continue;
        }
        if (*n == max) {
            rc = rs_errf(errstr, errsz, RS_ERR_LIMIT_EXCEEDED,
                         "image index '%s/%s@%s' has more entries than a batch holds", p->rc->host,
                         repo, digest);
            goto out;
        }
        struct candidate *c = &out[(*n)++];
        memset(c, 0, sizeof *c);
        snprintf(c->digest, sizeof c->digest, "%s", e->digest);
        snprintf(c->index_digest, sizeof c->index_digest, "%s", digest);
        c->platform = e->platform;
        c->has_platform = e->has_platform;
    }
out:
    rs_manifest_free(m);
    return rc;
}

/* Looks up the done entries of `n` resolved candidates in one pipeline and
 * publishes a request for each that needs work. */
static int flush_candidates(struct pass *p, const char *repo, struct candidate *cands, size_t n)
{
    char errstr[1024];
    if (!n)
        return 0;
    const char **digests = calloc(n, sizeof *digests);
    rs_done *dones = calloc(n, sizeof *dones);
    int *found = calloc(n, sizeof *found), *queued = calloc(n, sizeof *queued);
    int rc = 0;
    if (!digests || !dones || !found || !queued) {
        rc = RS_ERR_INTERNAL;
        rs_log(RS_LOG_ERROR, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        digests[i] = cands[i].digest;
    rc = rs_state_done_get_many(p->state, p->tenant->name, digests, n, dones, found, errstr,
                                sizeof errstr);
    if (rc == 0)
        rc = rs_state_queued_exists_many(p->state, p->tenant->name, digests, n, queued, errstr,
                                         sizeof errstr);
    if (rc) {
        rs_log(RS_LOG_ERROR, "%s", errstr);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        struct candidate *c = &cands[i];
        int added = 0;
        rc = rs_digestset_add(p->seen, c->digest, &added);
        if (rc == RS_ERR_INTERNAL) {
            rs_log(RS_LOG_ERROR, "out of memory");
            goto out;
        }
        rc = 0;
        if (!added)
            continue; /* requested already, or not a digest (the registry checks them) */
        p->st->digests++;
        const char *mode;
        int force;
        if (!needs_work(p, &dones[i], found[i], &mode, &force)) {
            p->st->skipped_done++;
            continue;
        }
        if (queued[i] && !force) {
            p->st->skipped_queued++;
            continue;
        }
        rs_skip_reason skip = RS_SKIP_NONE;
        /* a digest with a done entry was an image when it was scanned: no need to
         * fetch its manifest and config again (a rematch costs no registry GET) */
        int crc = found[i] ? 0 : classify_image(p, repo, c, &skip, errstr, sizeof errstr);
        if (crc) {
            p->st->errors++;
            rs_log(RS_LOG_WARN, "%s", errstr);
            continue;
        }
        if (skip != RS_SKIP_NONE) {
            p->st->skipped[skip]++;
            rs_log(RS_LOG_DEBUG, "skipped '%s/%s@%s': %s", p->rc->host, repo, c->digest,
                   rs_skip_reason_name(skip));
            continue;
        }
        if ((rc = publish(p, repo, c, mode, force, errstr, sizeof errstr))) {
            rs_log(RS_LOG_ERROR, "%s", errstr);
            goto out;
        }
    }
out:
    free(digests);
    free(dones);
    free(found);
    free(queued);
    return rc;
}

/* The images a tag pointed to before this pass whose refs still hold it. */
struct previous {
    rs_manifest *old;    /* the previous index, when it was one */
    const char **remove; /* its platform manifests (pointers into old) */
    size_t n_remove;
    int moved; /* the tag pointed to another digest, or is gone */
};

static void previous_free(struct previous *pv)
{
    rs_manifest_free(pv->old);
    free(pv->remove);
    memset(pv, 0, sizeof *pv);
}

/* Fills *pv (previous_free it) when `tag` pointed to another digest than
 * `digest` (NULL: the tag is gone) at the last pass. The tag's ref is taken
 * off at once when that digest was an image that held it; an index holds no
 * refs, so pv->remove then lists its platform manifests (from the cache or
 * one GET; none when it is gone from the registry). */
static int previous_find(struct pass *p, const char *repo, const char *tag, const char *digest,
                         struct previous *pv, char *errstr, size_t errsz)
{
    char prev[RS_DIGEST_SIZE], why[512];
    int found = 0, removed = 0;
    memset(pv, 0, sizeof *pv);
    int rc = rs_state_tag_get(p->state, p->tenant->name, p->rc->host, repo, tag, prev, &found,
                              errstr, errsz);
    if (rc || !found || (digest && !strcmp(prev, digest)))
        return rc;
    pv->moved = 1;
    rc = rs_state_refs_remove(p->state, p->tenant->name, prev, p->rc->host, repo, tag, &removed,
                              errstr, errsz);
    if (rc || removed)
        return rc;
    if (index_load(p, repo, prev, &pv->old, why, sizeof why)) {
        rs_log(RS_LOG_DEBUG, "'%s/%s:%s' pointed to '%s', which cannot be read now: %s",
               p->rc->host, repo, tag, prev, why);
        return 0;
    }
    if (pv->old->kind != RS_MANIFEST_INDEX || pv->old->n_manifests == 0)
        return 0;
    if (!(pv->remove = calloc(pv->old->n_manifests, sizeof *pv->remove)))
        return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
    for (size_t i = 0; i < pv->old->n_manifests; i++)
        pv->remove[pv->n_remove++] = pv->old->manifests[i].digest;
    return 0;
}

/* Records that `tag` points to `digest`, whose images are cands[0..n): its
 * ref moves from what it pointed to before to these images (DESIGN.md §5). */
static int record_tag(struct pass *p, const char *repo, const char *tag, const char *digest,
                      const struct candidate *cands, size_t n)
{
    char errstr[1024];
    struct previous pv = {0};
    const char **add = calloc(n ? n : 1, sizeof *add);
    int rc = add ? previous_find(p, repo, tag, digest, &pv, errstr, sizeof errstr)
                 : rs_errf(errstr, sizeof errstr, RS_ERR_INTERNAL, "out of memory");
    for (size_t k = 0; add && k < n; k++)
        add[k] = cands[k].digest;
    if (rc == 0)
        rc = rs_state_tag_record(p->state, p->tenant->name, p->rc->host, repo, tag, digest, add, n,
                                 pv.remove, pv.n_remove, errstr, sizeof errstr);
    if (rc == 0 && pv.moved) {
        p->st->tags_moved++;
        rs_log(RS_LOG_DEBUG, "'%s/%s:%s' moved to '%s'", p->rc->host, repo, tag, digest);
    }
    if (rc)
        rs_log(RS_LOG_ERROR, "%s", errstr);
    previous_free(&pv);
    free(add);
    return rc;
}

/* Takes a tag that is gone off the refs of what it pointed to, and forgets it. */
static int forget_tag(struct pass *p, const char *repo, const char *tag)
{
    char errstr[1024];
    struct previous pv = {0};
    int rc = previous_find(p, repo, tag, NULL, &pv, errstr, sizeof errstr);
    if (rc == 0)
        rc = rs_state_tag_forget(p->state, p->tenant->name, p->rc->host, repo, tag, pv.remove,
                                 pv.n_remove, errstr, sizeof errstr);
    if (rc == 0 && p->base_repo)
        rc = rs_coord_base_forget(p->state, p->tenant->name, p->rc->host, repo, tag, errstr,
                                  sizeof errstr);
    if (rc == 0) {
        p->st->tags_removed++;
        rs_log(RS_LOG_DEBUG, "'%s/%s:%s' is gone", p->rc->host, repo, tag);
    } else {
        rs_log(RS_LOG_ERROR, "%s", errstr);
    }
    previous_free(&pv);
    return rc;
}

/* Records the images of `tag` in a base repository (baseimages.c). */
static int record_base(struct pass *p, const char *repo, const char *tag,
                       const struct candidate *cands, size_t n)
{
    char errstr[1024];
    const char **digests = calloc(n ? n : 1, sizeof *digests);
    if (!digests)
        return RS_ERR_INTERNAL;
    for (size_t k = 0; k < n; k++)
        digests[k] = cands[k].digest;
    int rc = rs_coord_base_record(p->reg, p->state, p->tenant->name, p->rc->host, repo, tag,
                                  digests, n, errstr, sizeof errstr);
    if (rc)
        rs_log(RS_LOG_ERROR, "%s", errstr);
    free(digests);
    return rc;
}

/* Room for a batch of tags plus the largest index one tag can expand to. */
#define CAND_CAP (BATCH * 2 + RS_MANIFEST_MAX_ENTRIES)

/* Resolves, records and publishes the digests of one batch of tags. */
static int process_tags(struct pass *p, const char *repo, char **tags, size_t n_tags)
{
    char errstr[1024];
    struct candidate *cands = calloc(CAND_CAP, sizeof *cands);
    size_t n = 0;
    int rc = 0;
    if (!cands)
        return RS_ERR_INTERNAL;
    for (size_t i = 0; i < n_tags && rc == 0; i++) {
        /* an index can add RS_MANIFEST_MAX_ENTRIES candidates: publish what we have first */
        if (n > CAND_CAP - RS_MANIFEST_MAX_ENTRIES - 1) {
            if ((rc = flush_candidates(p, repo, cands, n)))
                break;
            n = 0;
        }
        char digest[RS_DIGEST_SIZE] = "", mt[128] = "";
        int hrc =
            rs_registry_head_manifest(p->reg, repo, tags[i], digest, mt, errstr, sizeof errstr);
        if (hrc) {
            /* a tag deleted between listing and resolving, a broken manifest: counted, logged */
            p->st->errors++;
            rs_log(RS_LOG_WARN, "%s", errstr);
            continue;
        }
        size_t first = n;
        if (!strcmp(mt, RS_MT_OCI_INDEX) || !strcmp(mt, RS_MT_DOCKER_LIST)) {
            hrc = expand_index(p, repo, digest, cands, CAND_CAP, &n, errstr, sizeof errstr);
            if (hrc) {
                p->st->errors++;
                rs_log(RS_LOG_WARN, "%s", errstr);
                continue;
            }
        } else if (!strcmp(mt, RS_MT_DOCKER_V1) || !strcmp(mt, RS_MT_DOCKER_V1_SIGNED)) {
            p->st->skipped[RS_SKIP_SCHEMA1]++;
            continue;
        } else {
            memset(&cands[n], 0, sizeof cands[n]);
            snprintf(cands[n].digest, RS_DIGEST_SIZE, "%s", digest);
            n++;
        }
        /* serve resolves a digest pushed without a tag here too: not a tag to record */
        int is_tag = !rs_digest_valid(tags[i]);
        if (!p->o->dry_run && is_tag)
            rc = record_tag(p, repo, tags[i], digest, cands + first, n - first);
        if (rc == 0 && !p->o->dry_run && p->base_repo && is_tag)
            rc = record_base(p, repo, tags[i], cands + first, n - first);
    }
    if (rc == 0)
        rc = flush_candidates(p, repo, cands, n);
    free(cands);
    return rc;
}

/* ---- one event (event_int.h): the pass's steps for one tag, for serve ---- */

/* A pass over nothing yet: x's connections, the tenant's policy version and
 * vulndb:current read now, a batch id of its own. Free with event_pass_end. */
static int event_pass_begin(struct pass *p, rs_coord_opts *o, const rs_coord_event_ctx *x,
                            rs_coord_event_result *res, char *errstr, size_t errsz)
{
    rs_vulndb_current cur;
    int have_db = 0;
    memset(res, 0, sizeof *res);
    memset(o, 0, sizeof *o);
    o->requeue_after_s = x->requeue_after_s;
    memset(p, 0, sizeof *p);
    p->cfg = x->cfg;
    p->o = o;
    p->st = &res->st;
    p->state = x->state;
    p->cache = x->cache ? x->cache : x->state;
    p->producer = x->producer;
    p->tenant = x->tenant;
    p->rc = x->rc;
    p->reg = x->reg;
    if (tenant_policy_version(x->tenant, p->policy_version))
        return rs_errf(errstr, errsz, RS_ERR_CONFIG, "the policy of tenant '%s' cannot be read",
                       x->tenant->name);
    int rc = rs_state_vulndb_get(p->state, &cur, &have_db, errstr, errsz);
    if (rc)
        return rc;
    p->vulndb_version = have_db ? cur.version : 0;
    if (!(p->seen = rs_digestset_new()))
        return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
    rs_scan_id_new(p->batch_id);
    rs_iso_now(p->requested_at, sizeof p->requested_at);
    return 0;
}

int rs_coord_event_push(const rs_coord_event_ctx *x, const char *repo, const char *tag,
                        const char *digest, rs_coord_event_result *res, char *errstr,
                        size_t errsz)
{
    struct pass p;
    rs_coord_opts o;
    rs_skip_reason why;
    int rc = event_pass_begin(&p, &o, x, res, errstr, errsz);
    const char *ref = tag && *tag ? tag : digest;
    if (rc)
        goto out;
    /* the pass's filters: what a pass would not list is not requested */
    res->selected = rs_glob_any(x->rc->repositories, x->rc->n_repositories, repo, 1) &&
                    !rs_glob_any(x->rc->exclude, x->rc->n_exclude, repo, 0);
    if (res->selected && tag && *tag)
        res->selected = !rs_manifest_tag_is_artifact(tag, &why) &&
                        rs_glob_any(x->rc->tags_include, x->rc->n_tags_include, tag, 1) &&
                        !rs_glob_any(x->rc->tags_exclude, x->rc->n_tags_exclude, tag, 0);
    if (!res->selected)
        goto out;
    p.base_repo = rs_config_is_base_repository(x->tenant, x->rc->host, repo);
    res->st.registries = res->st.repositories = 1;
    res->st.tags = tag && *tag ? 1 : 0;
    char *refs[1] = {(char *)ref};
    if ((rc = process_tags(&p, repo, refs, 1)))
        rs_errf(errstr, errsz, rc, "cannot request '%s/%s': Redis or Kafka failed", x->rc->host,
                repo);
out:
    rs_digestset_destroy(p.seen);
    return rc;
}

/* Gives `digest` its tombstone when no tag of the tenant points to it: done:
 * and queued: deleted. An index holds no refs: its images are looked at
 * (from the index: cache, which outlives the deleted manifest). */
static int tombstone_if_unreferenced(struct pass *p, const char *repo, const char *digest,
                                     long *tombstones, char *errstr, size_t errsz)
{
    rs_manifest *m = NULL;
    char why[256];
    if (index_load(p, repo, digest, &m, why, sizeof why) == 0 && m->kind == RS_MANIFEST_INDEX) {
        int rc = 0;
        for (size_t i = 0; i < m->n_manifests && rc == 0; i++)
            rc = tombstone_if_unreferenced(p, repo, m->manifests[i].digest, tombstones, errstr,
                                           errsz);
        rs_manifest_free(m);
        return rc;
    }
    rs_manifest_free(m);
    rs_refs refs = {0};
    int rc = rs_state_refs_get(p->state, p->tenant->name, digest, &refs, errstr, errsz);
    int unreferenced = rc == 0 && refs.n == 0 && refs.omitted == 0;
    rs_refs_clear(&refs);
    if (rc || !unreferenced)
        return rc;
    int found = 0;
    rs_done d;
    if ((rc = rs_state_done_get(p->state, p->tenant->name, digest, &d, &found, errstr, errsz)) ||
        (rc = rs_state_queued_clear(p->state, p->tenant->name, digest, errstr, errsz)) || !found)
        return rc;
    if ((rc = rs_state_done_delete(p->state, p->tenant->name, digest, errstr, errsz)))
        return rc;
    (*tombstones)++;
    rs_log(RS_LOG_INFO, "tombstone: '%s/%s@%s' of tenant '%s': no tag points to it", p->rc->host,
           repo, digest, p->tenant->name);
    return 0;
}

int rs_coord_event_delete(const rs_coord_event_ctx *x, const char *repo, const char *tag,
                          const char *digest, rs_coord_event_result *res, char *errstr,
                          size_t errsz)
{
    struct pass p;
    rs_coord_opts o;
    struct names tags = {0}, gone = {0};
    int rc = event_pass_begin(&p, &o, x, res, errstr, errsz);
    if (rc == 0)
        rc = rs_state_tags_list(p.state, x->tenant->name, x->rc->host, repo, names_add, &tags,
                                errstr, errsz);
    p.base_repo = rs_config_is_base_repository(x->tenant, x->rc->host, repo);
    res->selected = 1;
    for (size_t i = 0; rc == 0 && i < tags.n; i++) {
        char prev[RS_DIGEST_SIZE];
        int found = 0;
        if (tag && *tag && strcmp(tag, tags.v[i]) != 0)
            continue;
        rc = rs_state_tag_get(p.state, x->tenant->name, x->rc->host, repo, tags.v[i], prev,
                              &found, errstr, errsz);
        if (rc || (digest && *digest && (!found || strcmp(prev, digest) != 0)))
            continue;
        if ((rc = forget_tag(&p, repo, tags.v[i])))
            rs_errf(errstr, errsz, rc, "cannot forget '%s/%s:%s'", x->rc->host, repo, tags.v[i]);
        else if (found)
            rc = names_add(prev, &gone);
    }
    if (rc == 0 && digest && *digest)
        rc = names_add(digest, &gone);
    for (size_t i = 0; rc == 0 && i < gone.n; i++)
        rc = tombstone_if_unreferenced(&p, repo, gone.v[i], &res->tombstones, errstr, errsz);
    names_free(&tags);
    names_free(&gone);
    rs_digestset_destroy(p.seen);
    return rc;
}

/* An image created at an unknown time: sorts after every known one. */
#define CREATED_UNKNOWN INT64_MIN

/* The creation time of what `tag` points to: the image config's `created`
 * (for an index, that of its first linux entry); CREATED_UNKNOWN when unknown. */
static int64_t tag_created(struct pass *p, const char *repo, const char *tag)
{
    char errstr[512], *body = NULL, mt[128] = "", d[RS_DIGEST_SIZE] = "";
    size_t len = 0;
    rs_manifest *m = NULL;
    json_t *cj = NULL;
    int64_t when = CREATED_UNKNOWN;
    if (rs_registry_get_manifest(p->reg, repo, tag, &body, &len, mt, d, errstr, sizeof errstr) ||
        rs_manifest_parse(body, len, mt, &m, errstr, sizeof errstr))
        goto out;
    if (m->kind == RS_MANIFEST_INDEX) {
        const char *pick = NULL;
        for (size_t i = 0; i < m->n_manifests && !pick; i++)
            if (!m->manifests[i].is_attestation && !strcmp(m->manifests[i].platform.os, "linux"))
                pick = m->manifests[i].digest;
        char inner[RS_DIGEST_SIZE];
        if (!pick)
            goto out;
        snprintf(inner, sizeof inner, "%s", pick);
        rs_manifest_free(m);
        m = NULL;
        free(body);
        body = NULL;
        if (rs_registry_get_manifest(p->reg, repo, inner, &body, &len, mt, d, errstr,
                                     sizeof errstr) ||
            rs_manifest_parse(body, len, mt, &m, errstr, sizeof errstr) ||
            m->kind != RS_MANIFEST_IMAGE)
            goto out;
    }
    if (fetch_config(p, repo, m, &cj, errstr, sizeof errstr) == 0 &&
        rs_clock_parse_rfc3339(json_string_value(json_object_get(cj, "created")), &when))
        when = CREATED_UNKNOWN;
out:
    json_decref(cj);
    rs_manifest_free(m);
    free(body);
    return when;
}

struct dated_tag {
    char *tag;
    int64_t created;
};

static int dated_cmp(const void *a, const void *b)
{
    const struct dated_tag *x = a, *y = b;
    if (x->created != y->created)
        return x->created > y->created ? -1 : 1;
    return strcmp(y->tag, x->tag);
}

/* Keeps the `newest` most recently created tags (by image config `created`,
 * ties broken by tag name); the others are freed. */
static void keep_newest(struct pass *p, const char *repo, struct names *tags, size_t newest)
{
    if (tags->n <= newest)
        return;
    struct dated_tag *d = calloc(tags->n, sizeof *d);
    if (!d)
        return; /* out of memory: scan every tag rather than guess */
    for (size_t i = 0; i < tags->n; i++) {
        d[i].tag = tags->v[i];
        d[i].created = tag_created(p, repo, tags->v[i]);
    }
    qsort(d, tags->n, sizeof *d, dated_cmp);
    for (size_t i = 0; i < tags->n; i++) {
        if (i < newest)
            tags->v[i] = d[i].tag;
        else
            free(d[i].tag);
    }
    rs_log(RS_LOG_INFO, "'%s/%s': keeping the %zu newest of %zu tags", p->rc->host, repo, newest,
           tags->n);
    tags->n = newest;
    free(d);
}

/* Keeps the first `n` names (a listing that came newest first). */
static void keep_first(struct names *l, size_t n)
{
    for (size_t i = n; i < l->n; i++)
        free(l->v[i]);
    if (l->n > n)
        l->n = n;
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Forgets the tags recorded by earlier passes that the repository's kept
 * tags of this pass (`tags`) no longer have: deleted, or no longer selected
 * by the configuration. One SMEMBERS per repository. */
static int forget_gone_tags(struct pass *p, const char *repo, const struct names *tags)
{
    char errstr[1024];
    struct names before = {0};
    char **sorted = NULL;
    int rc = rs_state_tags_list(p->state, p->tenant->name, p->rc->host, repo, names_add, &before,
                                errstr, sizeof errstr);
    if (rc) {
        rs_log(RS_LOG_ERROR, "%s", errstr);
        goto out;
    }
    if (before.n && tags->n) {
        if (!(sorted = malloc(tags->n * sizeof *sorted))) {
            rc = RS_ERR_INTERNAL;
            goto out;
        }
        memcpy(sorted, tags->v, tags->n * sizeof *sorted);
        qsort(sorted, tags->n, sizeof *sorted, str_cmp);
    }
    for (size_t i = 0; i < before.n && rc == 0; i++)
        if (!sorted || !bsearch(&before.v[i], sorted, tags->n, sizeof *sorted, str_cmp))
            rc = forget_tag(p, repo, before.v[i]);
out:
    free(sorted);
    names_free(&before);
    return rc;
}

/* Lists the tags of `repo` into *tags: through ACR's _tags (newest first;
 * *acr set, acr->stopped when the listing is partial) where the registry
 * offers it, else through /v2 tags/list (acr->add NULL). Errors are logged. */
static int list_tags(struct pass *p, const char *repo, struct names *tags, rs_acr_listing *acr)
{
    char errstr[1024];
    memset(acr, 0, sizeof *acr);
    if (!p->acr_off) {
        acr->add = names_add;
        acr->opaque = tags;
        int rc = rs_coord_acr_list(p->reg, p->state, p->tenant->name, p->rc->host, repo,
                                   p->rc->full_listing_every, acr, errstr, sizeof errstr);
        if (rc == 0) {
            p->st->acr_listings[acr->full ? 0 : 1]++;
            p->st->acr_pages += acr->pages;
            return 0;
        }
        if (rc == RS_ERR_UNSUPPORTED || rc == RS_ERR_UNAUTHORIZED) {
            /* not ACR, or no right to its metadata: /v2 tags/list tells what is wrong */
            p->acr_off = 1;
            rs_log(RS_LOG_INFO, "%s: listing with /v2 tags/list for the rest of the pass",
                   errstr);
        } else if (rc == RS_ERR_INVALID || rc == RS_ERR_LIMIT_EXCEEDED) {
            p->st->errors++;
            rs_log(RS_LOG_WARN, "%s: listing with /v2 tags/list instead", errstr);
        } else {
            p->st->errors++;
            rs_log(RS_LOG_WARN, "%s", errstr);
            return rc;
        }
        names_free(tags);
        memset(acr, 0, sizeof *acr);
    }
    int rc = rs_registry_tags(p->reg, repo, names_add, tags, errstr, sizeof errstr);
    if (rc) {
        p->st->errors++;
        rs_log(RS_LOG_WARN, "%s", errstr);
    }
    return rc;
}

static int process_repository(struct pass *p, const char *repo)
{
    char errstr[1024];
    struct names tags = {0};
    rs_acr_listing acr;
    int rc = list_tags(p, repo, &tags, &acr);
    if (rc) {
        names_free(&tags);
        return rc == RS_ERR_UNREACHABLE || rs_err_is_infra(rc) ? rc : 0;
    }
    /* keep the tags to scan: include/exclude globs, artifact tags skipped */
    size_t keep = 0;
    for (size_t i = 0; i < tags.n; i++) {
        rs_skip_reason why;
        if (rs_manifest_tag_is_artifact(tags.v[i], &why)) {
            p->st->skipped[why]++;
            free(tags.v[i]);
            continue;
        }
        if (!rs_glob_any(p->rc->tags_include, p->rc->n_tags_include, tags.v[i], 1) ||
            rs_glob_any(p->rc->tags_exclude, p->rc->n_tags_exclude, tags.v[i], 0)) {
            free(tags.v[i]);
            continue;
        }
        tags.v[keep++] = tags.v[i];
    }
    tags.n = keep;
    if (p->rc->tags_newest > 0 && acr.add)
        keep_first(&tags, (size_t)p->rc->tags_newest); /* _tags: newest (last pushed) first */
    else if (p->rc->tags_newest > 0)
        keep_newest(p, repo, &tags, (size_t)p->rc->tags_newest);
    p->st->tags += (long)tags.n;
    rs_log(RS_LOG_INFO, "'%s/%s': %zu tags", p->rc->host, repo, tags.n);
    long errors_before = p->st->errors;
    for (size_t i = 0; i < tags.n && rc == 0; i += BATCH) {
        size_t m = tags.n - i < BATCH ? tags.n - i : BATCH;
        rc = process_tags(p, repo, tags.v + i, m);
    }
    /* a tag that failed (a HEAD refused, a manifest unreadable) must be listed
     * again by the next pass: tagtime: keeps its time */
    if (p->st->errors != errors_before)
        acr.newest = INT64_MIN;
    /* a partial listing saw only the newest tags: the others are not gone */
    if (rc == 0 && !p->o->dry_run && !acr.stopped)
        rc = forget_gone_tags(p, repo, &tags);
    if (rc == 0 && !p->o->dry_run && acr.add &&
        (rc = rs_coord_acr_commit(p->state, p->tenant->name, p->rc->host, repo, &acr, errstr,
                                  sizeof errstr)))
        rs_log(RS_LOG_ERROR, "%s", errstr);
    names_free(&tags);
    return rc;
}

static int process_registry(struct pass *p)
{
    char errstr[1024];
    struct names repos = {0};
    if (p->phase != 2)
        p->st->registries++;
    void *gate = NULL;
    p->acr_off = 0;
    p->reg = rs_registry_new(p->rc, errstr, sizeof errstr);
    int rc = p->reg ? 0 : RS_ERR_CONFIG;
    if (rc == 0)
        rc = rs_coord_throttle_install(p->reg, p->state, p->rc->rate_per_second, &gate, errstr,
                                       sizeof errstr);
    if (rc == 0)
        rc = rs_registry_ping(p->reg, errstr, sizeof errstr);
    if (rc == 0)
        rc = rs_registry_catalog(p->reg, names_add, &repos, errstr, sizeof errstr);
    if (rc) {
        p->st->errors++;
        rs_log(RS_LOG_ERROR, "tenant '%s': %s", p->tenant->name, errstr);
        goto out;
    }
    rs_log(RS_LOG_INFO, "tenant '%s': registry '%s': %zu repositories listed", p->tenant->name,
           p->rc->host, repos.n);
    for (size_t i = 0; i < repos.n; i++) {
        if (!rs_glob_any(p->rc->repositories, p->rc->n_repositories, repos.v[i], 1) ||
            rs_glob_any(p->rc->exclude, p->rc->n_exclude, repos.v[i], 0))
            continue;
        p->base_repo = rs_config_is_base_repository(p->tenant, p->rc->host, repos.v[i]);
        if ((p->phase == 1 && !p->base_repo) || (p->phase == 2 && p->base_repo))
            continue;
        p->st->repositories++;
        rc = process_repository(p, repos.v[i]);
        if (rc == RS_ERR_UNREACHABLE || rc == RS_ERR_CONFIG || rc == RS_ERR_INTERNAL ||
            rs_err_is_infra(rc))
            break; /* Redis or Kafka or the registry went away: stop this registry */
        rc = 0;
    }
out:
    names_free(&repos);
    rs_registry_destroy(p->reg);
    p->reg = NULL;
    free(gate);
    return rc;
}

/* The tenant's registries found through Azure Resource Manager (discovery.c),
 * when it asks for discovery; a failure is logged and counted, and what was
 * found before it is still scanned. */
static int discover(struct pass *p, rs_discovered *found)
{
    char errstr[1024];
    if (!p->tenant->discover)
        return 0;
    int rc = rs_coord_discover(p->tenant, p->st, found, errstr, sizeof errstr);
    if (rc) {
        p->st->errors++;
        rs_log(RS_LOG_ERROR, "%s", errstr);
    }
    const char **hosts = found->n ? calloc(found->n, sizeof *hosts) : NULL;
    for (size_t i = 0; hosts && i < found->n; i++)
        hosts[i] = found->regs[i].host;
    /* workers accept requests for these registries (registries:{tenant}) */
    if (found->n && !p->o->dry_run &&
        (!hosts || rs_state_discovered_add(p->state, p->tenant->name, hosts, found->n, errstr,
                                           sizeof errstr))) {
        p->st->errors++;
        rs_log(RS_LOG_ERROR, "tenant '%s': %s", p->tenant->name,
               hosts ? errstr : "out of memory");
        rs_discovered_free(found); /* a worker would dead-letter their requests */
        rc = rc ? rc : RS_ERR_STORE;
    }
    free(hosts);
    return rc;
}

int rs_coordinator_pass(const rs_config *cfg, const rs_coord_opts *o, rs_coord_stats *st,
                        char *errstr, size_t errsz)
{
    memset(st, 0, sizeof *st);
    struct pass p = {.cfg = cfg, .o = o, .st = st};
    const rs_settings *s = &cfg->settings;
    int rc = 0, first_err = 0;
    p.state = rs_state_new(s->redis_url, s->redis_prefix, errstr, errsz);
    if (!p.state) {
        rc = RS_ERR_UNREACHABLE;
        goto out;
    }
    if (s->cache_redis_url && strcmp(s->cache_redis_url, s->redis_url) != 0) {
        p.cache = rs_state_new(s->cache_redis_url, s->redis_prefix, errstr, errsz);
        if (!p.cache) {
            rc = RS_ERR_UNREACHABLE;
            goto out;
        }
    } else {
        p.cache = p.state;
    }
    if (!o->dry_run) {
        rc = rs_kafka_check(s, s->topic_requests, 10000, errstr, errsz);
        if (rc)
            goto out;
        p.producer = rs_producer_new(s, errstr, errsz);
        if (!p.producer) {
            rc = RS_ERR_UNREACHABLE;
            goto out;
        }
    }
    rs_vulndb_current cur;
    int have_db = 0;
    if ((rc = rs_state_vulndb_get(p.state, &cur, &have_db, errstr, errsz)))
        goto out;
    p.vulndb_version = have_db ? cur.version : 0;
    if (!(p.seen = rs_digestset_new())) {
        rc = rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
        goto out;
    }
    rs_scan_id_new(p.batch_id);
    rs_iso_now(p.requested_at, sizeof p.requested_at);
    for (size_t t = 0; t < cfg->n_tenants; t++) {
        const rs_tenant *tn = &cfg->tenants[t];
        if (o->n_tenants) {
            int want = 0;
            for (size_t k = 0; k < o->n_tenants; k++)
                want |= !strcmp(o->tenants[k], tn->name);
            if (!want)
                continue;
        }
        p.tenant = tn;
        rs_digestset_clear(p.seen);
        if (tenant_policy_version(tn, p.policy_version) != 0) {
            /* nothing of this tenant is requested under a policy that cannot be read */
            st->errors++;
            if (!first_err)
                first_err = RS_ERR_CONFIG;
            continue;
        }
        rs_discovered found = {0};
        int drc = discover(&p, &found);
        if (drc && !first_err)
            first_err = drc;
        int phases = tn->n_base_repositories ? 2 : 1;
        for (int ph = 0; ph < phases; ph++) {
            p.phase = phases == 1 ? 0 : ph + 1;
            for (size_t r = 0; r < tn->n_registries + found.n; r++) {
                p.rc = r < tn->n_registries ? &tn->registries[r]
                                            : &found.regs[r - tn->n_registries];
                int prc = process_registry(&p);
                if (prc && !first_err)
                    first_err = prc;
            }
        }
        rs_discovered_free(&found);
    }
    if (p.producer)
        rs_producer_flush(p.producer, 30000);
    if (first_err) {
        rc = first_err == RS_ERR_CONFIG ? RS_ERR_CONFIG : RS_ERR_UNREACHABLE;
        rs_errf(errstr, errsz, rc, "the pass did not list every registry (%ld errors)", st->errors);
    }
out:
    rs_producer_destroy(p.producer);
    if (p.cache != p.state)
        rs_state_destroy(p.cache);
    rs_state_destroy(p.state);
    rs_digestset_destroy(p.seen);
    return rc;
}

void rs_coord_stats_line(const rs_coord_stats *s, char *out, size_t n)
{
    long skipped = 0;
    char reasons[512] = "";
    size_t len = 0;
    for (int i = 1; i < RS_SKIP__COUNT; i++) {
        skipped += s->skipped[i];
        if (s->skipped[i] && len < sizeof reasons) {
            int w = snprintf(reasons + len, sizeof reasons - len, "%s%s %ld", len ? ", " : "",
                             rs_skip_reason_name((rs_skip_reason)i), s->skipped[i]);
            if (w > 0)
                len += (size_t)w;
        }
    }
    snprintf(out, n,
             "pass done: registries %ld, repositories %ld, tags %ld, digests %ld, published %ld "
             "(scan %ld, rematch %ld), skipped %ld (done %ld, queued %ld%s%s), errors %ld, "
             "tags moved %ld, tags gone %ld, _tags listings %ld full %ld incremental (%ld "
             "pages), subscriptions %ld listed %ld skipped, registries discovered %ld",
             s->registries, s->repositories, s->tags, s->digests,
             s->published_scan + s->published_rematch, s->published_scan, s->published_rematch,
             skipped + s->skipped_done + s->skipped_queued, s->skipped_done, s->skipped_queued,
             len ? ", " : "", reasons, s->errors, s->tags_moved, s->tags_removed,
             s->acr_listings[0], s->acr_listings[1], s->acr_pages, s->subscriptions_listed,
             s->subscriptions_skipped, s->registries_discovered);
}

/* {"full", "incremental", "pages"}: repositories listed through _tags. */
static json_t *stats_acr_json(const rs_coord_stats *s)
{
    return json_pack("{s:I, s:I, s:I}", "full", (json_int_t)s->acr_listings[0], "incremental",
                     (json_int_t)s->acr_listings[1], "pages", (json_int_t)s->acr_pages);
}

/* {"subscriptions_listed", "subscriptions_skipped", "registries_discovered"}. */
static json_t *stats_discovery_json(const rs_coord_stats *s)
{
    return json_pack("{s:I, s:I, s:I}", "subscriptions_listed",
                     (json_int_t)s->subscriptions_listed, "subscriptions_skipped",
                     (json_int_t)s->subscriptions_skipped, "registries_discovered",
                     (json_int_t)s->registries_discovered);
}

json_t *rs_coord_stats_json(const rs_coord_stats *s)
{
    json_t *by = json_object();
    long skipped = s->skipped_done + s->skipped_queued;
    json_object_set_new(by, "done", json_integer(s->skipped_done));
    json_object_set_new(by, "queued", json_integer(s->skipped_queued));
    for (int i = 1; i < RS_SKIP__COUNT; i++) {
        skipped += s->skipped[i];
        json_object_set_new(by, rs_skip_reason_name((rs_skip_reason)i),
                            json_integer(s->skipped[i]));
    }
    json_t *o = json_pack(
        "{s:I, s:I, s:I, s:I, s:{s:I, s:I, s:I}, s:I, s:o, s:I}", "registries",
        (json_int_t)s->registries, "repositories", (json_int_t)s->repositories, "tags",
        (json_int_t)s->tags, "digests", (json_int_t)s->digests, "published", "total",
        (json_int_t)(s->published_scan + s->published_rematch), "scan",
        (json_int_t)s->published_scan, "rematch", (json_int_t)s->published_rematch, "skipped",
        (json_int_t)skipped, "skipped_by_reason", by, "errors", (json_int_t)s->errors);
    if (o && (json_object_set_new(o, "tags_moved", json_integer(s->tags_moved)) ||
              json_object_set_new(o, "tags_removed", json_integer(s->tags_removed)) ||
              json_object_set_new(o, "acr_tags", stats_acr_json(s)) ||
              json_object_set_new(o, "discovery", stats_discovery_json(s)))) {
        json_decref(o);
        return NULL;
    }
    return o;
}
