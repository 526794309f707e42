/* baseimages_int.h - the coordinator's part of base images (docs/contracts.md,
 * "Base images"): recording the layer chain of every image of a tenant's
 * base repositories, so stateless workers can look an image's base up by
 * its layers. Not a public header. */
#ifndef RS_BASEIMAGES_INT_H
#define RS_BASEIMAGES_INT_H

#include <jansson.h>
#include <stddef.h>

#include "image.h"
#include "redis.h"
#include "registry.h"

/* Fetches and parses the image config `m` names (at most the scan's config
 * bound). Returns 0 with *out (a JSON object; json_decref it) or an rs_err. */
int rs_coord_fetch_config(rs_registry *reg, const char *repo, const rs_manifest *m, json_t **out,
                          char *errstr, size_t errstr_size);

/* Records that `tag` of base repository host/repo points to the images
 * digests[0..n) (an index's platform manifests, or the image itself): per
 * image one manifest and one config GET, its basechain: entry, and the
 * tag's members of basetags: with their `created`. An image that cannot be
 * read is skipped (logged). Returns 0 or a Redis failure. */
int rs_coord_base_record(rs_registry *reg, rs_state *state, const char *tenant, const char *host,
                         const char *repo, const char *tag, const char *const *digests, size_t n,
                         char *errstr, size_t errstr_size);

/* Takes a tag that is gone off basetags: (n = 0 in rs_state_basetag_set). */
int rs_coord_base_forget(rs_state *state, const char *tenant, const char *host, const char *repo,
                         const char *tag, char *errstr, size_t errstr_size);

#endif
