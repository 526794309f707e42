/* config_int.h - what config.c borrows from the other files of common/config
 * (ratelimit.c: the "rate_limit" object). Not a public header. */
#ifndef RS_CONFIG_INT_H
#define RS_CONFIG_INT_H

#include <jansson.h>
#include <stddef.h>

/* Reads the optional "rate_limit" member of `o` ({"requests_per_second": N},
 * N an integer from 1 to RS_RATE_LIMIT_MAX): *out = N, or 0 when absent.
 * RS_ERR_CONFIG naming "<path>.rate_limit..." otherwise. */
int rs_config_int_rate_limit(const json_t *o, const char *path, int *out, char *errstr,
                             size_t errstr_size);

#endif
