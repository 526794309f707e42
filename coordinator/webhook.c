/* webhook.c - parses and checks ACR webhook and Event Grid payloads (see
 * webhook_int.h). Everything is hostile: JSON types are checked, strings are
 * bounded, repository, tag and digest pass the registry module's validators
 * and the host must look like a host[:port]. Errors name the field. */
#include "webhook_int.h"
#include "registry.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define EG_PREFIX "Microsoft.ContainerRegistry."
#define EG_VALIDATION "Microsoft.EventGrid.SubscriptionValidationEvent"

/* Copies string member `key` of obj into out. Absent or null: "" (an error
 * when required); another type or longer than out: RS_ERR_INVALID. */
static int get_str(const json_t *obj, const char *key, int required, char *out, size_t size,
                   const char *where, char *errstr, size_t errsz)
{
    const json_t *v = json_object_get(obj, key);
    out[0] = '\0';
    if (!v || json_is_null(v)) {
        if (required)
            return rs_errf(errstr, errsz, RS_ERR_INVALID, "%s.%s is missing", where, key);
        return 0;
    }
    if (!json_is_string(v))
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "%s.%s is not a string", where, key);
    size_t n = json_string_length(v);
    if (n >= size)
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "%s.%s is longer than %zu bytes", where,
                       key, size - 1);
    memcpy(out, json_string_value(v), n + 1);
    return 0;
}

/* A type or action kept for log lines: printable ASCII, the rest '?'. */
static void set_type(rs_wh_event *e, const char *s)
{
    size_t i = 0;
    for (; s[i] && i < sizeof e->type - 1; i++)
        e->type[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    e->type[i] = '\0';
}

/* host[:port] of letters, digits, '-', '.', lowercased. */
static int host_ok(char *h)
{
    size_t n = strlen(h), colons = 0;
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)h[i];
        if (c == ':' && ++colons == 1 && i > 0 && h[i + 1])
            continue;
        if (!isalnum(c) && c != '-' && c != '.')
            return 0;
        h[i] = (char)tolower(c);
    }
    return 1;
}

/* Fills the target and request fields of a push or delete from the
 * ACR-shaped object `o` (an ACR webhook body, or an Event Grid event's data). */
static int parse_target(const json_t *o, const char *where, rs_wh_event *e, char *errstr,
                        size_t errsz)
{
    char w[96];
    const json_t *t = json_object_get(o, "target"), *r = json_object_get(o, "request");
    if (!json_is_object(t))
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "%s.target is missing or not an object",
                       where);
    if (!json_is_object(r))
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "%s.request is missing or not an object",
                       where);
    snprintf(w, sizeof w, "%s.target", where);
    int rc = get_str(t, "repository", 1, e->repository, sizeof e->repository, w, errstr, errsz);
    if (!rc)
        rc = get_str(t, "tag", 0, e->tag, sizeof e->tag, w, errstr, errsz);
    if (!rc)
        rc = get_str(t, "digest", 0, e->digest, sizeof e->digest, w, errstr, errsz);
    if (rc)
        return rc;
    snprintf(w, sizeof w, "%s.request", where);
    if ((rc = get_str(r, "host", 1, e->host, sizeof e->host, w, errstr, errsz)))
        return rc;
    if (!host_ok(e->host))
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "%s.host is not a host[:port]", w);
    if (!rs_registry_valid_repository(e->repository))
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "%s.target.repository is not valid", where);
    if (e->tag[0] && !rs_registry_valid_tag(e->tag))
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "%s.target.tag is not valid", where);
    if (e->digest[0] && !rs_digest_valid(e->digest))
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "%s.target.digest is not a sha256 digest",
                       where);
    if (e->kind == RS_WH_PUSH && !e->tag[0] && !e->digest[0])
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "%s.target has neither tag nor digest",
                       where);
    return 0;
}

/* An ACR webhook object (also an Event Grid event's data). */
static int parse_acr_object(const json_t *o, const char *where, rs_wh_event *e, char *errstr,
                            size_t errsz)
{
    char action[64];
    memset(e, 0, sizeof *e);
    if (!json_is_object(o))
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "%s is not a JSON object", where);
    int rc = get_str(o, "action", 1, action, sizeof action, where, errstr, errsz);
    if (rc)
        return rc;
    set_type(e, action);
    if (!strcmp(action, "push"))
        e->kind = RS_WH_PUSH;
    else if (!strcmp(action, "delete"))
        e->kind = RS_WH_DELETE;
    else
        return 0; /* quarantine, chart_push, chart_delete, ...: nothing to do */
    return parse_target(o, where, e, errstr, errsz);
}

int rs_webhook_parse_acr(const char *body, size_t len, rs_wh_event *out, char *errstr,
                         size_t errsz)
{
    json_error_t jerr;
    json_t *o = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    memset(out, 0, sizeof *out);
    if (!o)
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "the body is not JSON (line %d column %d)",
                       jerr.line, jerr.column);
    int rc = parse_acr_object(o, "webhook", out, errstr, errsz);
    json_decref(o);
    return rc;
}

/* One Event Grid (eventType, data) or CloudEvents (type, data) event. */
static int parse_eg_event(const json_t *ev, size_t i, rs_wh_event *e, char *errstr, size_t errsz)
{
    char where[48], type[128];
    snprintf(where, sizeof where, "events[%zu]", i);
    memset(e, 0, sizeof *e);
    if (!json_is_object(ev))
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "%s is not a JSON object", where);
    int cloud = json_object_get(ev, "specversion") != NULL;
    int rc = get_str(ev, cloud ? "type" : "eventType", 1, type, sizeof type, where, errstr, errsz);
    if (rc)
        return rc;
    const json_t *data = json_object_get(ev, "data");
    snprintf(where + strlen(where), sizeof where - strlen(where), ".data");
    if (!strcmp(type, EG_VALIDATION)) {
        set_type(e, type);
        e->kind = RS_WH_VALIDATION;
        if (!json_is_object(data))
            return rs_errf(errstr, errsz, RS_ERR_INVALID, "%s is not an object", where);
        return get_str(data, "validationCode", 1, e->validation_code, sizeof e->validation_code,
                       where, errstr, errsz);
    }
    if (strcmp(type, EG_PREFIX "ImagePushed") && strcmp(type, EG_PREFIX "ImageDeleted")) {
        set_type(e, type); /* charts, other services' events: nothing to do */
        return 0;
    }
    rc = parse_acr_object(data, where, e, errstr, errsz);
    int want = strcmp(type, EG_PREFIX "ImagePushed") ? RS_WH_DELETE : RS_WH_PUSH;
    if (rc == 0 && (int)e->kind != want)
        rc = rs_errf(errstr, errsz, RS_ERR_INVALID, "%s.action does not match the event type",
                     where);
    set_type(e, type);
    return rc;
}

int rs_webhook_parse_eventgrid(const char *body, size_t len, rs_wh_event **out, size_t *n,
                               char *errstr, size_t errsz)
{
    json_error_t jerr;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    *out = NULL;
    *n = 0;
    if (!root)
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "the body is not JSON (line %d column %d)",
                       jerr.line, jerr.column);
    int rc = 0, single = json_is_object(root) && json_object_get(root, "specversion");
    size_t count = single ? 1 : json_array_size(root);
    if (!single && !json_is_array(root))
        rc = rs_errf(errstr, errsz, RS_ERR_INVALID, "the body is not an array of events");
    else if (count == 0)
        rc = rs_errf(errstr, errsz, RS_ERR_INVALID, "the body has no events");
    else if (count > RS_WEBHOOK_MAX_EVENTS)
        rc = rs_errf(errstr, errsz, RS_ERR_LIMIT_EXCEEDED, "%zu events, more than %d", count,
                     RS_WEBHOOK_MAX_EVENTS);
    else if (!(*out = calloc(count, sizeof **out)))
        rc = rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
    for (size_t i = 0; rc == 0 && i < count; i++)
        rc = parse_eg_event(single ? root : json_array_get(root, i), i, &(*out)[i], errstr, errsz);
    if (rc) {
        free(*out);
        *out = NULL;
    } else {
        *n = count;
    }
    json_decref(root);
    return rc;
}
