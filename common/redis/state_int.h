/* state_int.h - what state.c lends the other files of common/redis that
 * write their own key families (basestate.c): one pipeline of commands over
 * the shared connection, and key names with the prefix. Not a public header. */
#ifndef RS_STATE_INT_H
#define RS_STATE_INT_H

#include <hiredis/hiredis.h>
#include <stddef.h>

#include "redis.h"

#define RS_STATE_MAX_ARGS 24

/* One command of a pipeline; the strings are owned by the caller. An argument
 * past RS_STATE_MAX_ARGS sets `overflow` and the command is refused, never
 * written past. Zero-initialise. */
typedef struct rs_state_cmd {
    int argc;
    int overflow;
    const char *argv[RS_STATE_MAX_ARGS];
    size_t len[RS_STATE_MAX_ARGS];
} rs_state_cmd;

/* Sends n commands in one round trip (reconnecting once when the connection
 * broke); replies[0..n) are freed by the caller with rs_state_int_free_replies,
 * also on error. An error reply fails the whole call (RS_ERR_STORE when the
 * server cannot take it now, else RS_ERR_INTERNAL). */
int rs_state_int_pipeline(rs_state *st, const rs_state_cmd *cmds, size_t n, redisReply **replies,
                          char *errstr, size_t errstr_size);
void rs_state_int_free_replies(redisReply **r, size_t n);
/* Runs one command of argc C strings: as rs_state_int_pipeline with one
 * command. With reply NULL the reply is freed here, else *reply is the
 * caller's (rs_state_int_free_replies(reply, 1), also on error). */
int rs_state_int_run(rs_state *st, const char *const *argv, size_t argc, redisReply **reply,
                     char *errstr, size_t errstr_size);
/* Appends the C string s as the next argument of c. */
void rs_state_int_arg(rs_state_cmd *c, const char *s);
/* The prefix and the parts up to the first NULL, joined; malloc'd, NULL when out of memory. */
char *rs_state_int_key(const rs_state *st, const char *a, const char *b, const char *c,
                       const char *d, const char *e);
/* The key "<prefix><family><tenant>:<registry>/<repository>" ("tags:", "tagtime:");
 * malloc'd, NULL when out of memory. */
char *rs_state_int_repo_key(const rs_state *st, const char *family, const char *tenant,
                            const char *registry, const char *repository);

#endif
