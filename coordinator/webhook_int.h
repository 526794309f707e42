/* webhook_int.h - the payloads `regscan-coordinator serve` accepts, parsed
 * and checked: ACR webhook calls and Azure Event Grid deliveries (Event Grid
 * schema and CloudEvents 1.0). Pure parsing: no I/O (coordinator/serve.c
 * does the rest). Private to coordinator/ and its tests. */
#ifndef RS_WEBHOOK_INT_H
#define RS_WEBHOOK_INT_H

#include <stddef.h>

#include "base.h"

/* Events in one Event Grid delivery, at most (Event Grid sends up to 5,000
 * in 1 MB; a subscription for regscan should keep its batch small). */
#define RS_WEBHOOK_MAX_EVENTS 1000

typedef enum {
    RS_WH_IGNORED = 0, /* another action or event type (quarantine, charts, ...) */
    RS_WH_PUSH,        /* ACR "push", Event Grid ImagePushed */
    RS_WH_DELETE,      /* ACR "delete", Event Grid ImageDeleted */
    RS_WH_VALIDATION   /* Event Grid's SubscriptionValidationEvent */
} rs_wh_kind;

typedef struct rs_wh_event {
    rs_wh_kind kind;
    char type[128];        /* the action or event type as sent (sanitised), for logs */
    char host[256];        /* request.host, lowercase: the registry's login server */
    char repository[256];  /* target.repository (checked) */
    char tag[129];         /* target.tag, "" when none (checked) */
    char digest[RS_DIGEST_SIZE]; /* target.digest, "" when none (checked) */
    char validation_code[256];   /* with RS_WH_VALIDATION */
} rs_wh_event;

/* Parses one ACR webhook body ({"id","timestamp","action","target":{...},
 * "request":{...}}). Returns 0, or RS_ERR_INVALID with errstr naming the
 * field that is missing, of the wrong type or not valid (a push needs host,
 * repository and a tag or a digest; a delete host and repository). */
int rs_webhook_parse_acr(const char *body, size_t len, rs_wh_event *out, char *errstr,
                         size_t errstr_size);

/* Parses one Event Grid delivery: an array of Event Grid schema events, or a
 * CloudEvents 1.0 event or array of them ("specversion"). *out (free it) gets
 * *n events. RS_ERR_INVALID naming the event index and the field, or
 * RS_ERR_LIMIT_EXCEEDED for more than RS_WEBHOOK_MAX_EVENTS events. */
int rs_webhook_parse_eventgrid(const char *body, size_t len, rs_wh_event **out, size_t *n,
                               char *errstr, size_t errstr_size);

#endif
