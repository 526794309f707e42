/* clock.h - the two clocks the code reads: a monotonic one for durations and
 * UTC wall time for messages. */
#ifndef RS_CLOCK_H
#define RS_CLOCK_H

#include <stddef.h>
#include <stdint.h>

/* Milliseconds of a monotonic clock. */
uint64_t rs_now_ms(void);

/* The current UTC time as RFC 3339 ("2026-11-27T10:00:00Z") into out (at
 * least 21 bytes). */
void rs_iso_now(char *out, size_t out_size);

#endif
