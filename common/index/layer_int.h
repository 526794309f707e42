/* layer_int.h - the item codecs of a layer result's JSON form (layer.c),
 * shared with its stream form (resultstream.c). Decoders take untrusted JSON. */
#ifndef RS_LAYER_INT_H
#define RS_LAYER_INT_H

#include <jansson.h>
#include <stddef.h>

#include "index.h"

/* Most items of one kind (files, packages of a file, owned paths, ...). */
#define RS_LAYER_JSON_MAX_ITEMS 1000000

/* A file's object without "packages" and "owned" (new reference or NULL). */
json_t *rs_layer_file_head_json(const rs_layer_file *f);
json_t *rs_layer_link_json(const rs_layer_link *l);
json_t *rs_layer_skipped_json(const rs_layer_skipped *s);
/* A whiteout or opaque directory: a string, U+FFFD for bytes not UTF-8. */
json_t *rs_layer_path_json(const char *path);
/* Sets "entries", "uncompressed_bytes", "compressed_bytes" and "diff_id"
 * (when computed) on object j. Returns 0 or -1 (out of memory). */
int rs_layer_counters_json(json_t *j, const rs_layer_result *r);

/* A normalised absolute path string of bounded length in v, or NULL. */
const char *rs_layer_json_path(const json_t *v);
/* Reads a file's head into *path, *analyzer (pointing into o) and res (os,
 * malformed, secrets, facts). Returns 0 or RS_ERR_INVALID. */
int rs_layer_file_head_decode(const json_t *o, const char **path, const char **analyzer,
                              rs_analysis *res, char *errstr, size_t errstr_size);
/* Appends the package v, or the owned path v, to res. 0, RS_ERR_INVALID or _INTERNAL. */
int rs_layer_add_pkg_json(rs_analysis *res, const json_t *v, char *errstr, size_t errstr_size);
int rs_layer_add_owned_json(rs_analysis *res, const json_t *v, char *errstr, size_t errstr_size);
/* Appends a file to r; res's packages, owned paths and secrets move into it. */
int rs_layer_add_file(rs_layer_result *r, const char *path, const char *analyzer, rs_analysis *res,
                      char *errstr, size_t errstr_size);
/* Each appends the item v to r. Returns 0, RS_ERR_INVALID or RS_ERR_INTERNAL. */
int rs_layer_link_decode(const json_t *v, rs_layer_result *r, char *errstr, size_t errstr_size);
int rs_layer_path_decode(const json_t *v, int opaque, rs_layer_result *r, char *errstr,
                         size_t errstr_size);
int rs_layer_skipped_decode(const json_t *v, rs_layer_result *r, char *errstr,
                            size_t errstr_size);
/* Reads the counters rs_layer_counters_json wrote into r. 0 or RS_ERR_INVALID. */
int rs_layer_counters_decode(const json_t *j, rs_layer_result *r, char *errstr,
                             size_t errstr_size);

#endif
