/* log.c - text or JSON-lines logging to stderr, thread-safe per line.
 *
 * Messages quote image paths, package names and registry answers: bytes. A
 * JSON line writes them as UTF-8 (U+FFFD), so no line is ever dropped; a text
 * line shows control characters as '?', so a message cannot drive the
 * terminal or forge a second line. */
#include "base.h"

#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int log_json = 0;
static rs_log_level log_level = RS_LOG_INFO;
static char log_program[64] = "regscan";
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *level_names[] = {"debug", "info", "warn", "error"};

int rs_log_init(const char *program, const char *format, const char *level)
{
    if (program)
        snprintf(log_program, sizeof log_program, "%s", program);
    if (!format || !*format)
        log_json = !isatty(STDERR_FILENO);
    else if (!strcmp(format, "json"))
        log_json = 1;
    else if (!strcmp(format, "text"))
        log_json = 0;
    else
        return RS_ERR_CONFIG;
    if (!level || !*level) {
        log_level = RS_LOG_INFO;
        return 0;
    }
    for (int i = 0; i < 4; i++)
        if (!strcmp(level, level_names[i])) {
            log_level = (rs_log_level)i;
            return 0;
        }
    if (!strcmp(level, "warning")) {
        log_level = RS_LOG_WARN;
        return 0;
    }
    return RS_ERR_CONFIG;
}

int rs_log_enabled(rs_log_level level)
{
    return level >= log_level;
}

void rs_log(rs_log_level level, const char *fmt, ...)
{
    if (level < log_level)
        return;
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);

    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char when[80];
    snprintf(when, sizeof when, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);

    pthread_mutex_lock(&log_lock);
    if (log_json) {
        json_t *o = json_pack("{s:s, s:s, s:s, s:o}", "ts", when, "level", level_names[level],
                              "program", log_program, "msg", rs_utf8_json_string(msg));
        char *line = o ? json_dumps(o, JSON_COMPACT) : NULL;
        if (line)
            fprintf(stderr, "%s\n", line);
        free(line);
        json_decref(o);
    } else {
        char *clean = rs_utf8_dup_printable(msg);
        fprintf(stderr, "%s %-5s %s: %s\n", when, level_names[level], log_program,
                clean ? clean : "(message lost: out of memory)");
        free(clean);
    }
    fflush(stderr);
    pthread_mutex_unlock(&log_lock);
}

void rs_log_redact_url(const char *url, char *out, size_t out_size)
{
    if (!out_size)
        return;
    const char *scheme_end = strstr(url, "://");
    const char *host = scheme_end ? scheme_end + 3 : url;
    size_t hostlen = strcspn(host, "/?#");
    const char *at = memchr(host, '@', hostlen);
    size_t n = 0;
    if (scheme_end) {
        n = (size_t)(host - url);
        snprintf(out, out_size, "%.*s", (int)n, url);
    } else {
        out[0] = '\0';
    }
    if (at)
        host = at + 1;
    size_t keep = strcspn(host, "?#");
    size_t cur = strlen(out);
    snprintf(out + cur, out_size - cur, "%.*s", (int)keep, host);
}
