/* config_int.h - internals shared by the files of common/config (not part of
 * its public header): how a librdkafka property is added to the settings. */
#ifndef RS_CONFIG_INT_H
#define RS_CONFIG_INT_H

#include "config.h"

#include <stddef.h>

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
