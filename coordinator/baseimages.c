/* baseimages.c - the coordinator records the images of a tenant's base
 * repositories (baseimages_int.h): for every tag, the layer chain of each of
 * its images under basechain:, and the tag with its images' creation times
 * under basetags:, which is how a worker finds "a newer tag of the same base".
 * It costs one manifest and one config GET per image of a base repository
 * and pass: base repositories are few and small. */
#include "base.h"
#include "baseimages_int.h"
#include "report.h"
#include "scan.h"

#include <stdlib.h>
#include <string.h>

int rs_coord_fetch_config(rs_registry *reg, const char *repo, const rs_manifest *m, json_t **out,
                          char *errstr, size_t errsz)
{
    rs_scan_opts so;
    rs_scan_opts_default(&so);
    char *config = NULL;
    size_t clen = 0;
    rs_reader *r = NULL;
    *out = NULL;
    int rc = rs_registry_open_blob(reg, repo, m->config.digest, so.max_config_bytes, &r, errstr,
                                   errsz);
    if (rc == 0)
        rc = rs_reader_slurp(r, so.max_config_bytes, &config, &clen, errstr, errsz);
    rs_reader_destroy(r);
    if (rc)
        return rc;
    json_t *cj = json_loadb(config, clen, 0, NULL);
    free(config);
    if (!json_is_object(cj)) {
        json_decref(cj);
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "invalid image config '%s' in '%s'",
                       m->config.digest, repo);
    }
    *out = cj;
    return 0;
}

/* Reads image `digest` of repo: its chain over every layer into chain, and
 * its entry (b) with `created`; *created is INT64_MIN when unknown. */
static int read_image(rs_registry *reg, const char *repo, const char *digest, char chain[65],
                      rs_basechain *b, int64_t *created, char *errstr, size_t errsz)
{
    char *body = NULL, mt[128] = "", d[RS_DIGEST_SIZE] = "";
    size_t len = 0;
    rs_manifest *m = NULL;
    json_t *cj = NULL;
    char(*chains)[65] = NULL;
    *created = INT64_MIN;
    int rc = rs_registry_get_manifest(reg, repo, digest, &body, &len, mt, d, errstr, errsz);
    if (rc == 0)
        rc = rs_manifest_parse(body, len, mt, &m, errstr, errsz);
    if (rc == 0 && (m->kind != RS_MANIFEST_IMAGE || m->skip != RS_SKIP_NONE || !m->n_layers))
        rc = rs_errf(errstr, errsz, RS_ERR_UNSUPPORTED, "'%s@%s' is not an image with layers",
                     repo, digest);
    if (rc == 0 && !(chains = calloc(m->n_layers, sizeof *chains)))
        rc = rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
    if (rc == 0) {
        char **layers = calloc(m->n_layers, sizeof *layers);
        for (size_t i = 0; layers && i < m->n_layers; i++)
            layers[i] = m->layers[i].digest;
        rc = layers ? rs_base_chain_ids(layers, m->n_layers, chains)
                    : rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
        free(layers);
    }
    if (rc == 0 && (rc = rs_coord_fetch_config(reg, repo, m, &cj, errstr, errsz)) == 0) {
        const char *c = json_string_value(json_object_get(cj, "created"));
        int64_t when = 0;
        if (c && strlen(c) < sizeof b->created && rs_clock_parse_rfc3339(c, &when) == 0) {
            snprintf(b->created, sizeof b->created, "%s", c);
            *created = when;
        }
        memcpy(chain, chains[m->n_layers - 1], 65);
        snprintf(b->digest, sizeof b->digest, "%s", digest);
        b->n_layers = (long)m->n_layers;
    }
    json_decref(cj);
    free(chains);
    rs_manifest_free(m);
    free(body);
    return rc;
}

int rs_coord_base_record(rs_registry *reg, rs_state *state, const char *tenant, const char *host,
                         const char *repo, const char *tag, const char *const *digests, size_t n,
                         char *errstr, size_t errsz)
{
    const char **kept = calloc(n ? n : 1, sizeof *kept);
    int64_t *created = calloc(n ? n : 1, sizeof *created);
    size_t n_kept = 0;
    int rc = kept && created ? 0 : rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rs_basechain b;
        char chain[65], why[512];
        memset(&b, 0, sizeof b);
        snprintf(b.registry, sizeof b.registry, "%s", host);
        snprintf(b.repository, sizeof b.repository, "%s", repo);
        if (read_image(reg, repo, digests[i], chain, &b, &created[n_kept], why, sizeof why)) {
            rs_log(RS_LOG_WARN, "base image '%s/%s:%s' (%s) not recorded: %s", host, repo, tag,
                   digests[i], why);
            continue;
        }
        rc = rs_state_basechain_set(state, tenant, chain, &b, errstr, errsz);
        kept[n_kept++] = digests[i];
    }
    if (rc == 0)
        rc = rs_state_basetag_set(state, tenant, host, repo, tag, kept, created, n_kept, errstr,
                                  errsz);
    if (rc == 0)
        rs_log(RS_LOG_DEBUG, "recorded base image '%s/%s:%s' (%zu images)", host, repo, tag,
               n_kept);
    free(kept);
    free(created);
    return rc;
}

int rs_coord_base_forget(rs_state *state, const char *tenant, const char *host, const char *repo,
                         const char *tag, char *errstr, size_t errsz)
{
    return rs_state_basetag_set(state, tenant, host, repo, tag, NULL, NULL, 0, errstr, errsz);
}
