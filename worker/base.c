/* base.c - the base image of a request's image (docs/contracts.md, "Base
 * images"): the manifest's annotations, else the longest layer prefix that a
 * tenant's base image has (basechain:, one pipelined look-up of every
 * prefix), and the newer tags of that base's repository with the
 * vulnerability ids their reports had (basetags:, basevulns:). And, for an
 * image of a base repository, writing those ids when it is reported. */
#include "base.h"
#include "worker_int.h"

#include <stdlib.h>
#include <string.h>

/* The tag that names `digest` among tags: the longest (then the first in
 * byte order), as "3.18.4" says more than "3.18"; NULL when none. */
static const rs_basetag *tag_of(const rs_basetag *tags, size_t n, const char *digest)
{
    const rs_basetag *best = NULL;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(tags[i].digest, digest))
            continue;
        size_t l = strlen(tags[i].tag), bl = best ? strlen(best->tag) : 0;
        if (!best || l > bl || (l == bl && strcmp(tags[i].tag, best->tag) < 0))
            best = &tags[i];
    }
    return best;
}

/* 1 when the annotation's name (registry/repository[:tag|@digest]) names hit's repository. */
static int annotation_names(const char *name, const rs_basechain *hit)
{
    size_t rl = strlen(hit->registry), pl = strlen(hit->repository);
    if (strncmp(name, hit->registry, rl) || name[rl] != '/' ||
        strncmp(name + rl + 1, hit->repository, pl))
        return 0;
    char c = name[rl + 1 + pl];
    return c == '\0' || c == ':' || c == '@';
}

/* Adds the newer tags of hit's repository (created after it, with a report
 * for this platform and snapshot or later) as candidates of r->base. */
static int base_newer(struct request *r, const rs_basechain *hit, const rs_basetag *tags,
                      size_t n_tags)
{
    int64_t created = 0;
    if (rs_clock_parse_rfc3339(hit->created, &created))
        return 0; /* a base of unknown age has no "newer" */
    const char *digests[RS_BASE_MAX_CANDIDATES];
    const rs_basetag *picked[RS_BASE_MAX_CANDIDATES];
    size_t n = 0;
    for (size_t i = 0; i < n_tags && n < RS_BASE_MAX_CANDIDATES; i++)
        if (tags[i].created != INT64_MIN && tags[i].created > created &&
            strcmp(tags[i].digest, hit->digest)) {
            picked[n] = &tags[i];
            digests[n++] = tags[i].digest;
        }
    char *vulns[RS_BASE_MAX_CANDIDATES];
    size_t lens[RS_BASE_MAX_CANDIDATES];
    int rc = rs_state_basevulns_get_many(r->w->state, r->req.tenant, digests, n, vulns, lens,
                                         r->errstr, sizeof r->errstr);
    char plat[100] = "";
    if (r->plat.os[0])
        rs_platform_format(&r->plat, plat, sizeof plat);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        char name[700];
        snprintf(name, sizeof name, "%s/%s:%s", hit->registry, hit->repository, picked[i]->tag);
        if (vulns[i] && rs_base_add_candidate(&r->base, name, picked[i]->digest,
                                              picked[i]->created, vulns[i], lens[i], r->db_used,
                                              plat))
            rc = rs_errf(r->errstr, sizeof r->errstr, RS_ERR_INTERNAL, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        free(vulns[i]); /* set (or NULL) by rs_state_basevulns_get_many in every case */
    return rc;
}

/* Sets r->base from a base image that shares hit's k layers with the image. */
static int base_from_chain(struct request *r, const rs_basechain *hit, size_t k)
{
    rs_basetag *tags = NULL;
    size_t n_tags = 0;
    int rc = rs_state_basetags_get(r->w->state, r->req.tenant, hit->registry, hit->repository,
                                   &tags, &n_tags, r->errstr, sizeof r->errstr);
    if (rc)
        return rc;
    int annotated = rs_base_from_annotation(&r->base, r->inv);
    if (annotated && (!strcmp(r->base.digest, hit->digest) ||
                      annotation_names(r->base.name, hit)))
        r->base.layers = (long)k; /* the annotation's base is the one recorded */
    if (!annotated) {
        const rs_basetag *t = tag_of(tags, n_tags, hit->digest);
        r->base.found = 1;
        if (t)
            snprintf(r->base.name, sizeof r->base.name, "%s/%s:%s", hit->registry,
                     hit->repository, t->tag);
        else
            snprintf(r->base.name, sizeof r->base.name, "%s/%s@%s", hit->registry,
                     hit->repository, hit->digest);
        snprintf(r->base.digest, sizeof r->base.digest, "%s", hit->digest);
        r->base.layers = (long)k;
        r->base.source = "layers";
    }
    if (r->base.layers >= 0)
        rc = base_newer(r, hit, tags, n_tags);
    free(tags);
    return rc;
}

int worker_base_find(struct request *r)
{
    rs_base_clear(&r->base);
    if (r->scan_rc || !r->inv)
        return 0;
    size_t n = r->inv->n_layers;
    char(*chains)[65] = n ? calloc(n, sizeof *chains) : NULL;
    if (n && !chains)
        return rs_errf(r->errstr, sizeof r->errstr, RS_ERR_INTERNAL, "out of memory");
    rs_basechain hit;
    size_t k = 0;
    int rc = 0;
    /* layers that are not digests (a hostile cache entry) cannot be looked up */
    if (n && rs_base_chain_ids(r->inv->layers, n, chains) == 0)
        rc = rs_state_basechain_longest(r->w->state, r->req.tenant, chains, n, r->req.digest,
                                        &hit, &k, r->errstr, sizeof r->errstr);
    free(chains);
    if (rc == 0 && k)
        rc = base_from_chain(r, &hit, k);
    else if (rc == 0)
        rs_base_from_annotation(&r->base, r->inv);
    if (rc)
        rs_base_clear(&r->base);
    return rc;
}

int worker_base_record(struct request *r)
{
    const rs_tenant *t = rs_config_tenant(r->w->cfg, r->req.tenant);
    if (r->scan_rc || !r->inv ||
        !rs_config_is_base_repository(t, r->req.registry, r->req.repository))
        return 0;
    char plat[100] = "";
    if (r->plat.os[0])
        rs_platform_format(&r->plat, plat, sizeof plat);
    char *json = rs_base_vulns_json(r->matches, r->db_used, plat);
    if (!json)
        return rs_errf(r->errstr, sizeof r->errstr, RS_ERR_INTERNAL, "out of memory");
    int rc = rs_state_basevulns_set(r->w->state, r->req.tenant, r->req.digest, json, r->errstr,
                                    sizeof r->errstr);
    free(json);
    return rc;
}
