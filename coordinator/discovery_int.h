/* discovery_int.h - a tenant's registries found through Azure Resource
 * Manager (discovery.c): the parsers of ARM's list answers, and the listing
 * itself. Private to coordinator/. */
#ifndef RS_DISCOVERY_INT_H
#define RS_DISCOVERY_INT_H

#include <stddef.h>

#include "config.h"
#include "coordinator.h"

#define RS_ARM_SUBSCRIPTIONS_API "2022-12-01"
#define RS_ARM_REGISTRIES_API "2023-07-01"
#define RS_ARM_PAGE_ITEMS 1000          /* more items in one page is an error */
#define RS_ARM_BODY_MAX (8u << 20)      /* a larger answer is an error */
#define RS_ARM_MAX_PAGES 1000           /* per listing */
#define RS_ARM_MAX_REGISTRIES 10000     /* per tenant */
#define RS_ARM_MAX_SUBSCRIPTIONS 10000  /* selected per tenant */

/* One item of a list page: a subscription (id, display name: may be "") or a
 * registry (id: the login server "host[:port]", lowercased; name: its ARM
 * name). Return 0 to go on or a negative rs_err. */
typedef int (*rs_arm_item_cb)(const char *id, const char *name, void *opaque);

/* Parses one page of GET /subscriptions: each item's subscriptionId (1 to 64
 * of A-Z a-z 0-9 -) and displayName (printable, at most 256 bytes, may be
 * missing). *next (malloc'd, NULL at the end) is nextLink, which must be on
 * the origin of `resource_manager` (a token must never leave it). Returns 0,
 * RS_ERR_INVALID / RS_ERR_LIMIT_EXCEEDED naming the item and field, or cb's error. */
int rs_arm_subscriptions_parse(const char *body, size_t len, const char *resource_manager,
                               rs_arm_item_cb cb, void *opaque, char **next, char *errstr,
                               size_t errstr_size);
/* Parses one page of GET …/providers/Microsoft.ContainerRegistry/registries:
 * each item's properties.loginServer, which must be a host name or IPv4
 * address with an optional port (nothing else: no scheme, path or
 * userinfo), and name. nextLink as above. */
int rs_arm_registries_parse(const char *body, size_t len, const char *resource_manager,
                            rs_arm_item_cb cb, void *opaque, char **next, char *errstr,
                            size_t errstr_size);

/* Returns 1 for a login server "host[:port]" (host: letters, digits, '-' and
 * '.', at most 253 bytes; port 1-65535). */
int rs_arm_login_server_valid(const char *s);

/* The registries found for a tenant: entries that share t->discovered's
 * selection and auth (borrowed) with their own url and host (owned). */
typedef struct rs_discovered {
    rs_registry_conf *regs;
    size_t n, cap;
} rs_discovered;

/* Lists the subscriptions of tenant `t` (selected by t->azure->subscriptions,
 * over id or display name) and their container registries, and appends to
 * *out each login server not listed in t->registries. Counts into st
 * (subscriptions_listed / _skipped, registries_discovered). A subscription
 * answering 403 is skipped, logged and counted. Returns 0, or the error that
 * stopped it (Entra refusing: RS_ERR_UNAUTHORIZED; errstr names the tenant and
 * the cause, never a secret or token); *out keeps what was found before. */
int rs_coord_discover(const rs_tenant *t, rs_coord_stats *st, rs_discovered *out, char *errstr,
                      size_t errstr_size);
void rs_discovered_free(rs_discovered *d);

#endif
