/* event_int.h - what the pass does for one repository and tag, offered to
 * `serve` (coordinator/serve.c) so that a pushed image is requested exactly
 * as a pass would request it, and a deleted one forgotten as a pass forgets
 * a tag that is gone. Implemented in coordinator.c beside the pass. */
#ifndef RS_EVENT_INT_H
#define RS_EVENT_INT_H

#include "coordinator.h"
#include "kafka.h"
#include "redis.h"
#include "registry.h"

/* The connections and the tenant's registry an event is for (not owned). */
typedef struct rs_coord_event_ctx {
    const rs_config *cfg;
    rs_state *state, *cache;
    rs_producer *producer;
    long requeue_after_s; /* as --requeue-after (0: 6 h) */
    const rs_tenant *tenant;
    const rs_registry_conf *rc;
    rs_registry *reg;
} rs_coord_event_ctx;

typedef struct rs_coord_event_result {
    rs_coord_stats st; /* published, skipped (done, queued, by reason), errors, tags_removed */
    int selected;      /* the registry's repository and tag filters select the image */
    long tombstones;   /* digests whose done entry was removed (no tag points to them) */
} rs_coord_event_result;

/* A push: resolves `tag` (a HEAD, as the pass; NULL or "": `digest` itself),
 * expands an index, records the tag (tag:, tags:, refs:) and publishes a
 * request for each image that needs work, with the pass's done/queued
 * bookkeeping, acknowledged by Kafka before it returns. Registry failures
 * are counted in res->st.errors and logged. Returns 0, or RS_ERR_STORE /
 * RS_ERR_BROKER (Redis, Kafka) / RS_ERR_CONFIG (the tenant's policy cannot
 * be read) with errstr set. */
int rs_coord_event_push(const rs_coord_event_ctx *x, const char *repo, const char *tag,
                        const char *digest, rs_coord_event_result *res, char *errstr,
                        size_t errstr_size);

/* A delete: forgets, as a pass forgets a tag that is gone, every recorded tag
 * of `repo` that is `tag` (when given) and points to `digest` (when given):
 * a manifest deleted by digest takes all its tags, a repository deleted (no
 * tag, no digest) all of them. A digest that no tag of the tenant points to
 * afterwards (refs: empty; for an index: none of its images) gets its
 * tombstone now: done: and queued: are deleted (DESIGN.md §5), since no pass
 * will see it again. Returns 0 or RS_ERR_STORE with errstr set. */
int rs_coord_event_delete(const rs_coord_event_ctx *x, const char *repo, const char *tag,
                          const char *digest, rs_coord_event_result *res, char *errstr,
                          size_t errstr_size);

#endif
