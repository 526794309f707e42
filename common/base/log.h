/* log.h - the one logging sink of the library.
 *
 * Library code reports through rs_log(); the program decides the format
 * (text or JSON lines, DESIGN.md §2 REGSCAN_LOG) and the level. Messages must
 * never contain credentials, tokens or signed URLs: use rs_log_redact_url()
 * for anything that may carry a query string. */
#ifndef RS_LOG_H
#define RS_LOG_H

#include <stddef.h>

typedef enum { RS_LOG_DEBUG = 0, RS_LOG_INFO, RS_LOG_WARN, RS_LOG_ERROR } rs_log_level;

/* format: "text" or "json" (NULL: text when stderr is a terminal, else json);
 * level: "debug", "info", "warn", "error" (NULL: info). Returns 0 or
 * RS_ERR_CONFIG for an unknown value. `program` names the process in JSON. */
int rs_log_init(const char *program, const char *format, const char *level);
void rs_log(rs_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int rs_log_enabled(rs_log_level level);

/* Copies `url` into out without its query string and userinfo (signed blob
 * URLs carry their signature in the query). Always NUL-terminates. */
void rs_log_redact_url(const char *url, char *out, size_t out_size);

#endif
