/* clock.c - monotonic milliseconds, RFC 3339 UTC time and its parser.
 *
 * The parser computes the epoch itself (days from the civil date) so it
 * depends neither on TZ nor on timegm's normalisation of bad fields. */
#include "base.h"

#include <time.h>

uint64_t rs_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void rs_iso_now(char *out, size_t n)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Reads exactly `n` digits at *p into *v and advances *p; -1 otherwise. */
static int digits(const char **p, int n, int *v)
{
    int x = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return -1;
        x = x * 10 + (c - '0');
    }
    *p += n;
    *v = x;
    return 0;
}

/* Reads the character `c` at *p and advances *p; -1 otherwise. */
static int expect(const char **p, char c)
{
    if (**p != c)
        return -1;
    (*p)++;
    return 0;
}

static int leap_year(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap_year(y) ? 29 : days[m - 1];
}

/* Days from 1970-01-01 to y-m-d of the proleptic Gregorian calendar
 * (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* The UTC offset at *p in seconds east ("Z", "+01:00", "-05:30"). */
static int parse_offset(const char **p, int64_t *off)
{
    int oh, om;
    char sign = **p;
    if (sign == 'Z' || sign == 'z') {
        (*p)++;
        *off = 0;
        return 0;
    }
    if (sign != '+' && sign != '-')
        return -1;
    (*p)++;
    if (digits(p, 2, &oh) || expect(p, ':') || digits(p, 2, &om) || oh > 23 || om > 59)
        return -1;
    *off = (sign == '-' ? -1 : 1) * (oh * 3600 + om * 60);
    return 0;
}

int rs_clock_parse_rfc3339(const char *s, int64_t *out)
{
    int y, mo, d, h, mi, sec;
    int64_t off;
    const char *p = s;
    if (!s || digits(&p, 4, &y) || expect(&p, '-') || digits(&p, 2, &mo) || expect(&p, '-') ||
        digits(&p, 2, &d) || (*p != 'T' && *p != 't'))
        return RS_ERR_INVALID;
    p++;
    if (digits(&p, 2, &h) || expect(&p, ':') || digits(&p, 2, &mi) || expect(&p, ':') ||
        digits(&p, 2, &sec))
        return RS_ERR_INVALID;
    if (*p == '.') {
        const char *frac = ++p;
        while (*p >= '0' && *p <= '9')
            p++;
        if (p == frac)
            return RS_ERR_INVALID;
    }
    if (parse_offset(&p, &off) || *p != '\0')
        return RS_ERR_INVALID;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 60)
        return RS_ERR_INVALID;
    *out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off;
    return 0;
}
