/* clock.h - the two clocks the code reads: a monotonic one for durations and
 * UTC wall time for messages; and the one parser of RFC 3339 times. */
#ifndef RS_CLOCK_H
#define RS_CLOCK_H

#include <stddef.h>
#include <stdint.h>

/* Milliseconds of a monotonic clock. */
uint64_t rs_now_ms(void);

/* The current UTC time as RFC 3339 ("2026-11-27T10:00:00Z") into out (at
 * least 21 bytes). */
void rs_iso_now(char *out, size_t out_size);

/* Parses an RFC 3339 date-time (section 5.6) into seconds since the epoch:
 * "YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)", 'T' and 'Z' in either case.
 * Fractional seconds are dropped (truncated); a leap second (:60) counts as
 * the first second of the next minute, as POSIX time has none. Rejected,
 * with RS_ERR_INVALID: NULL, a missing or malformed offset, fields that are
 * not exactly 2 (year: 4) digits, month outside 1-12, a day the month does
 * not have (Feb 29 outside leap years), hour > 23, minute > 59, second > 60,
 * offset hour > 23 or minute > 59, a '.' without digits, a space instead of
 * 'T', and anything after the offset. Returns 0 with *out set. */
int rs_clock_parse_rfc3339(const char *s, int64_t *out);

#endif
