/* fuzz_utf8.c - libFuzzer target for utf8.c: any bytes (text read from an
 * image). Asserts (abort() when broken) that the output is always valid UTF-8,
 * that valid input comes back unchanged and unflagged, that jansson agrees on
 * what is valid, that a bounded copy is a prefix cut on a character boundary
 * and that a printable copy holds no control character. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"

/* No C0 control, DEL or C1 control (C2 80..C2 9F) in s. */
static int printable(const unsigned char *s)
{
    for (; *s; s++)
        if (*s < 0x20 || *s == 0x7F || (s[0] == 0xC2 && s[1] >= 0x80 && s[1] <= 0x9F))
            return 0;
    return 1;
}

static void check_copy(const char *s, size_t size, const char *d, size_t n)
{
    char buf[64];
    size_t cap = size ? 1 + (unsigned char)s[0] % sizeof buf : 1;
    size_t w = rs_utf8_copy(buf, cap, s, size, NULL);
    if (w >= cap || buf[w] != '\0' || strlen(buf) != w || w > n || memcmp(buf, d, w) != 0 ||
        !rs_utf8_valid(buf, w))
        abort();
    /* cut on a boundary, and only because the next character did not fit */
    if (w < n) {
        unsigned char lead = (unsigned char)d[w];
        size_t len = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
        if ((lead & 0xC0) == 0x80 || w + len <= cap - 1)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    int replaced = 0;
    char *d = rs_utf8_dup(s, size, &replaced), *p = NULL, *again = NULL;
    json_t *j = NULL;
    if (!d)
        return 0;
    size_t n = strlen(d);
    int valid = rs_utf8_valid(s, size);
    if (!rs_utf8_valid(d, n) || valid == replaced)
        abort();
    if (valid && (n != size || memcmp(d, s, size) != 0))
        abort();
    if (!memchr(s, 0, size)) {
        /* jansson's own check (it takes NUL bytes, so only without them) */
        j = json_stringn(s, size);
        if ((j != NULL) != valid)
            abort();
    }
    int again_replaced = 0;
    if ((again = rs_utf8_dup(d, n, &again_replaced)) && (again_replaced || strcmp(again, d)))
        abort();
    check_copy(s, size, d, n);
    if ((p = rs_utf8_dup_printable(d)) &&
        (!rs_utf8_valid(p, strlen(p)) || !printable((const unsigned char *)p)))
        abort();
    json_decref(j);
    free(again);
    free(p);
    free(d);
    return 0;
}
