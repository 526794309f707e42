/* registry_int.h - what registry.c lends the other files of common/registry
 * that speak to the same registry (acrtags.c): one authenticated request,
 * status errors worded as registry.c words them, and Link resolution.
 * Not a public header. */
#ifndef RS_REGISTRY_INT_H
#define RS_REGISTRY_INT_H

#include "registry.h"

/* One authenticated request (a 401 answered once); 0 with resp filled (any
 * status), or an error worded "cannot <action> '<subject>' from '<host>'". */
int rs_registry_int_call(rs_registry *r, const char *url, const char *scope,
                         const char *const *hdrs, size_t max_body, rs_http_response *resp,
                         const char *action, const char *subject, char *errstr, size_t errsz);
/* "cannot <action> '<subject>' from '<host>': <why>" with code rc. */
int rs_registry_int_fail(rs_registry *r, int rc, const char *action, const char *subject,
                         const char *why, char *errstr, size_t errsz);
/* "cannot <action> '<subject>' from '<host>': <status> <text>", the code
 * mapped from the status as for listings. */
int rs_registry_int_status(rs_registry *r, long status, const char *action, const char *subject,
                           char *errstr, size_t errsz);
/* The registry's base URL ("https://host[:port]"). */
const char *rs_registry_int_base(const rs_registry *r);
/* Resolves a Link target against the registry into out; RS_ERR_INVALID when
 * it leaves the registry's origin. */
int rs_registry_int_next(rs_registry *r, const char *next, rs_buf *out);

#endif
