/* secret.h - a secret found in an image: which rule, where, and a redacted
 * form of the match. The secret's value itself is never held here, so it
 * can reach no report, log, cache entry or message.
 *
 * Part of the index stage's result (rs_inventory): cached with the packages
 * in `inv:`, so a rematch still reports it. JSON encoding here is the one the
 * cache, the layer result and the report share. */
#ifndef RS_SECRET_H
#define RS_SECRET_H

#include <jansson.h>
#include <stddef.h>

typedef struct rs_secret {
    char *rule;     /* stable rule id: "aws-access-key-id" */
    char *severity; /* "critical", "high", "medium", "low" */
    char *title;    /* "AWS access key ID" */
    char *path;     /* "/app/.env", or "config:Env", "config:history[3]" */
    size_t line;    /* 1-based; 0 for image-config fields without lines */
    char *match;    /* redacted: "AKIA****", "password=****" */
    char *layer;    /* digest of the layer that put it there; NULL until merged */
    char *deleted_in_layer; /* digest of the layer that deleted or replaced it; NULL: present */
    int text_replaced;      /* the path held bytes that were not UTF-8 (now U+FFFD) */
} rs_secret;

/* A growable list. Zero-initialise. */
typedef struct rs_secrets {
    rs_secret *items;
    size_t n, cap;
} rs_secrets;

/* Appends a copy of `s` (every string copied). Returns 0 or RS_ERR_INTERNAL. */
int rs_secrets_add(rs_secrets *l, const rs_secret *s);
/* Frees every item and empties the list. */
void rs_secrets_clear(rs_secrets *l);
/* Copies every string of `src` into a zeroed `dst`. Returns 0 or RS_ERR_INTERNAL. */
int rs_secret_copy(rs_secret *dst, const rs_secret *src);
void rs_secret_clear(rs_secret *s);
/* 1 when a and b are the same finding of the same file version (rule, line,
 * match), whatever their layers. */
int rs_secret_same(const rs_secret *a, const rs_secret *b);
/* Sorts by (path, line, rule, deleted_in_layer) for a deterministic output. */
void rs_secrets_sort(rs_secrets *l);

/* {"rule","severity","title","path","line","match","layer","deleted_in_layer"}
 * (new reference; NULL when out of memory). */
json_t *rs_secret_to_json(const rs_secret *s);
/* An array of every item (new reference; NULL when out of memory). */
json_t *rs_secrets_to_json(const rs_secrets *l);
/* Decodes an array written by rs_secrets_to_json (untrusted: types, lengths
 * and the count checked; path may be null: a layer result's file holds
 * its secrets without it), appending to *l. NULL or absent `j` is an empty
 * list (entries written before secrets existed). Returns 0 or RS_ERR_INVALID. */
int rs_secrets_from_json(const json_t *j, rs_secrets *l, char *errstr, size_t errstr_size);

#endif
