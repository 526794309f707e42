/* config_int.h - internals shared by the files of common/config (not part of
 * its public header): the "rate_limit" object (ratelimit.c) and how a
 * librdkafka property is added to the settings (kafkaprops.c). */
#ifndef RS_CONFIG_INT_H
#define RS_CONFIG_INT_H

#include "config.h"

#include <jansson.h>
#include <stddef.h>

/* Reads the optional "rate_limit" member of `o` ({"requests_per_second": N},
 * N an integer from 1 to RS_RATE_LIMIT_MAX): *out = N, or 0 when absent.
 * RS_ERR_CONFIG naming "<path>.rate_limit..." otherwise. */
int rs_config_int_rate_limit(const json_t *o, const char *path, int *out, char *errstr,
                             size_t errstr_size);

/* Appends the `len` bytes at kv ("k=v", split at the first '=') to
 * s->kafka_props. RS_ERR_CONFIG naming `what` and the property's number (never
 * its text: it may be a piece of a password) when there is no key. */
int rs_settings_add_prop(rs_settings *s, const char *kv, size_t len, const char *what,
                         char *errstr, size_t errstr_size);

/* Reads the librdkafka properties file `path` (REGSCAN_KAFKA_PROPERTIES_FILE)
 * into s->kafka_props: one key=value a line, '#' comments and blank lines
 * skipped, at most RS_KAFKAPROPS_FILE_MAX bytes. Errors name the file and the
 * line, never a value. */
int rs_kafkaprops_read_file(rs_settings *s, const char *path, char *errstr, size_t errstr_size);

#define RS_KAFKAPROPS_FILE_MAX 65536

#endif
