/* buf.c - growable byte buffer. */
#include "base.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int buf_reserve(rs_buf *b, size_t extra)
{
    if (extra > SIZE_MAX - b->len - 1)
        return RS_ERR_LIMIT_EXCEEDED;
    size_t need = b->len + extra + 1;
    if (b->limit && need - 1 > b->limit)
        return RS_ERR_LIMIT_EXCEEDED;
    if (need <= b->cap)
        return 0;
    return RS_GROW(b->data, need, b->cap);
}

int rs_buf_append(rs_buf *b, const void *data, size_t len)
{
    int rc = buf_reserve(b, len);
    if (rc)
        return rc;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

int rs_buf_puts(rs_buf *b, const char *s)
{
    return rs_buf_append(b, s, strlen(s));
}

int rs_buf_vprintf(rs_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return RS_ERR_INTERNAL;
    int rc = buf_reserve(b, (size_t)n);
    if (rc)
        return rc;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int rs_buf_printf(rs_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = rs_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

void rs_buf_reset(rs_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void rs_buf_free(rs_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

char *rs_buf_steal(rs_buf *b)
{
    char *p = b->data ? b->data : strdup("");
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}

int rs_hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The value of base64 digit c in either alphabet ("+/" or "-_"), -1 when none. */
static int b64_val(int c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+' || c == '-')
        return 62;
    if (c == '/' || c == '_')
        return 63;
    return -1;
}

int rs_base64_decode(const char *in, size_t in_len, char **out, size_t *out_len)
{
    while (in_len && (in[in_len - 1] == '=' || in[in_len - 1] == '\n' || in[in_len - 1] == '\r'))
        in_len--;
    if (in_len % 4 == 1)
        return RS_ERR_INVALID;
    char *buf = malloc(in_len / 4 * 3 + 4);
    if (!buf)
        return RS_ERR_INTERNAL;
    size_t n = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < in_len; i++) {
        int v = b64_val((unsigned char)in[i]);
        if (v < 0) {
            free(buf);
            return RS_ERR_INVALID;
        }
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[n++] = (char)((acc >> bits) & 0xff);
        }
    }
    buf[n] = '\0';
    *out = buf;
    *out_len = n;
    return 0;
}

void rs_strs_free(char **const *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(*v[i]);
        *v[i] = NULL;
    }
}
