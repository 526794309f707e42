/* vulndb_source.c - local paths, file:// URLs and cached http(s) downloads of
 * vulnerability data sources.
 *
 * A download goes through http.h (retries, backoff, redirects, TLS verified)
 * as one stream into a temporary file of the cache directory, which is renamed
 * over the cached copy only once it is complete and recognised (zip or JSON).
 * The validators (ETag, Last-Modified) of that response are kept in a .etag
 * file; the old one is removed before the rename, so a crash in between costs
 * one unconditional download, never a stale validator for new bytes. Only the
 * redacted URL (no userinfo, no query) and the host appear in messages. */
#include "vulndb_source_int.h"
#include "base.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define COPY_CHUNK (64 * 1024)
#define SNIFF_MAX 512
#define META_MAX 4096

int rs_vulndb_source_is_url(const char *source)
{
    return source && (!strncasecmp(source, "http://", 7) || !strncasecmp(source, "https://", 8));
}

/* Copies s into out; RS_ERR_CONFIG when it does not fit. */
static int copy_out(const char *s, char *out, size_t out_size, char *errstr, size_t errsz)
{
    size_t n = strlen(s);
    if (!out || n >= out_size)
        return rs_errf(errstr, errsz, RS_ERR_CONFIG, "path too long for the caller's buffer: '%s'",
                       s);
    memcpy(out, s, n + 1);
    return 0;
}

/* Returns 1 when `source` starts with some "scheme://". */
static int has_scheme(const char *source)
{
    const char *p = source;
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
        return 0;
    while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
           *p == '+' || *p == '-' || *p == '.')
        p++;
    return !strncmp(p, "://", 3);
}

/* Turns a file:// URL into a path (percent-decoded; host empty or localhost). */
static int file_url_path(const char *url, char *out, size_t out_size, char *errstr, size_t errsz)
{
    const char *p = url + 7;
    if (!strncasecmp(p, "localhost/", 10))
        p += 9;
    if (*p != '/')
        return rs_errf(errstr, errsz, RS_ERR_CONFIG,
                       "unsupported file url '%s': only local absolute paths", url);
    size_t n = 0;
    for (; *p && *p != '?' && *p != '#'; p++) {
        char c = *p;
        if (c == '%') {
            int hi = rs_hex_digit(p[1]), lo = hi < 0 ? -1 : rs_hex_digit(p[2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                return rs_errf(errstr, errsz, RS_ERR_CONFIG, "bad escape in file url '%s'", url);
            c = (char)(hi * 16 + lo);
            p += 2;
        }
        if (n + 1 >= out_size)
            return rs_errf(errstr, errsz, RS_ERR_CONFIG, "file url too long: '%s'", url);
        out[n++] = c;
    }
    out[n] = '\0';
    return 0;
}

static int resolve_local(const char *path, char *local_path, size_t local_path_size,
                         int *from_cache, char *errstr, size_t errsz)
{
    struct stat sb;
    if (!*path)
        return rs_errf(errstr, errsz, RS_ERR_CONFIG, "empty vulnerability source");
    if (stat(path, &sb) != 0)
        return rs_errf(errstr, errsz, RS_ERR_CONFIG, "cannot find vulnerability source '%s': %s",
                       path, strerror(errno));
    if (!S_ISREG(sb.st_mode) && !S_ISDIR(sb.st_mode))
        return rs_errf(errstr, errsz, RS_ERR_CONFIG,
                       "vulnerability source '%s' is neither a file nor a directory", path);
    if (from_cache)
        *from_cache = 0;
    return copy_out(path, local_path, local_path_size, errstr, errsz);
}

/* Scheme and host of a URL (host without brackets for IPv6). */
static int url_host(const char *url, char *scheme, size_t ssz, char *host, size_t hsz)
{
    CURLU *u = curl_url();
    char *s = NULL, *h = NULL;
    int rc = -1;
    if (!u)
        return -1;
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &s, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK)
        goto out;
    size_t hl = strlen(h);
    const char *hp = h;
    if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
        hp = h + 1;
        hl -= 2;
    }
    if (strlen(s) >= ssz || hl >= hsz || hl == 0)
        goto out;
    snprintf(scheme, ssz, "%s", s);
    memcpy(host, hp, hl);
    host[hl] = '\0';
    for (char *c = scheme; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    rc = 0;
out:
    curl_free(s);
    curl_free(h);
    curl_url_cleanup(u);
    return rc;
}

static int host_is_loopback(const char *host)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (!strcasecmp(host, "localhost"))
        return 1;
    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, host, &a6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&a6) || (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
    return 0;
}

/* mkdir -p with mode 0700 for what it creates. */
static int make_dirs(const char *dir, char *errstr, size_t errsz)
{
    char p[PATH_MAX];
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof p)
        return rs_errf(errstr, errsz, RS_ERR_CONFIG, "bad cache directory '%s'", dir);
    memcpy(p, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (p[i] != '/' && p[i] != '\0')
            continue;
        char saved = p[i];
        p[i] = '\0';
        if (mkdir(p, 0700) != 0 && errno != EEXIST)
            return rs_errf(errstr, errsz, RS_ERR_CONFIG, "cannot create cache directory '%s': %s",
                           p, strerror(errno));
        p[i] = saved;
    }
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return rs_errf(errstr, errsz, RS_ERR_CONFIG, "cache directory '%s' is not a directory",
                       dir);
    return 0;
}

static int is_regular(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* A header value we are willing to store and send back: printable ASCII,
 * not empty, and shorter than its field (so never a truncated one). */
static int validator_ok(const char *v, size_t field_size)
{
    size_t n = strlen(v);
    if (n == 0 || n + 1 >= field_size)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] > 0x7e)
            return 0;
    return 1;
}

/* Reads the .etag file: "ETag: …" and "Last-Modified: …" lines. Missing or
 * unreadable is fine (no conditional request); bad values are ignored. */
static void read_meta(const char *path, char *etag, size_t esz, char *lm, size_t lsz)
{
    char buf[META_MAX + 1];
    etag[0] = lm[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    size_t n = fread(buf, 1, META_MAX, f);
    fclose(f);
    buf[n] = '\0';
    char *line = buf;
    while (line && *line) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        if (!strncmp(line, "ETag: ", 6) && validator_ok(line + 6, esz))
            snprintf(etag, esz, "%s", line + 6);
        else if (!strncmp(line, "Last-Modified: ", 15) && validator_ok(line + 15, lsz))
            snprintf(lm, lsz, "%s", line + 15);
        line = nl ? nl + 1 : NULL;
    }
}

static int write_all(int fd, const void *data, size_t n)
{
    const char *p = data;
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static void sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

/* Writes the validators next to the cached file (temporary file renamed). */
static int write_meta(const char *path, const char *etag, const char *lm)
{
    char tmp[PATH_MAX];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", path) >= sizeof tmp)
        return -1;
    int fd = mkstemp(tmp);
    if (fd < 0)
        return -1;
    char text[META_MAX];
    int n = snprintf(text, sizeof text, "%s%s%s%s%s%s", etag[0] ? "ETag: " : "", etag,
                     etag[0] ? "\n" : "", lm[0] ? "Last-Modified: " : "", lm, lm[0] ? "\n" : "");
    int bad = n < 0 || (size_t)n >= sizeof text || write_all(fd, text, (size_t)n) || fsync(fd);
    if (close(fd) != 0)
        bad = 1;
    if (bad || rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* Decides the kind of a downloaded file from its first bytes: ".zip" for a
 * zip (local header or an empty archive's end record), ".json" for a JSON
 * object or array (after an optional BOM and whitespace); NULL otherwise. */
static const char *sniff_ext(const unsigned char *b, size_t n)
{
    if (n >= 4 && b[0] == 'P' && b[1] == 'K' &&
        ((b[2] == 3 && b[3] == 4) || (b[2] == 5 && b[3] == 6)))
        return ".zip";
    size_t i = 0;
    if (n >= 3 && b[0] == 0xef && b[1] == 0xbb && b[2] == 0xbf)
        i = 3;
    while (i < n && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n'))
        i++;
    if (i < n && (b[i] == '{' || b[i] == '['))
        return ".json";
    return NULL;
}

static int status_err(long status)
{
    switch (status) {
    case 401:
    case 403:
        return RS_ERR_UNAUTHORIZED;
    case 404:
    case 410:
        return RS_ERR_CONFIG;
    case 429:
        return RS_ERR_TOOMANYREQUESTS;
    default:
        return RS_ERR_UNREACHABLE;
    }
}

struct fetch {
    const char *url;
    char what[1024]; /* redacted URL */
    char host[256];
    char base[PATH_MAX]; /* cache_dir/<key> */
    char zip[PATH_MAX], json[PATH_MAX], meta[PATH_MAX];
};

/* Streams the body of an open 200 response into the cache. */
static int store_body(struct fetch *f, const char *cache_dir, rs_reader *rd,
                      const rs_http_response *resp, unsigned long long max_bytes, char *local_path,
                      size_t local_path_size, char *errstr, size_t errsz)
{
    char tmp[PATH_MAX], inner[512];
    unsigned char sniff[SNIFF_MAX];
    size_t sniff_len = 0;
    unsigned long long total = 0;
    int rc = 0, fd = -1;
    char *buf = malloc(COPY_CHUNK);
    tmp[0] = '\0';
    if (!buf) {
        rc = rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
        goto out;
    }
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", f->base) >= sizeof tmp) {
        tmp[0] = '\0';
        rc =
            rs_errf(errstr, errsz, RS_ERR_CONFIG, "cache directory path too long: '%s'", cache_dir);
        goto out;
    }
    if ((fd = mkstemp(tmp)) < 0) {
        rc = rs_errf(errstr, errsz, RS_ERR_INTERNAL, "cannot create a file in '%s': %s", cache_dir,
                     strerror(errno));
        tmp[0] = '\0';
        goto out;
    }
    for (;;) {
        inner[0] = '\0';
        ssize_t n = rs_reader_read(rd, buf, COPY_CHUNK, inner, sizeof inner);
        if (n < 0) {
            rc = rs_errf(errstr, errsz, (int)n,
                         "cannot download vulnerability source '%s' from '%s': %s", f->what,
                         f->host, inner);
            goto out;
        }
        if (n == 0)
            break;
        total += (unsigned long long)n;
        if (total > max_bytes) {
            rc = rs_errf(errstr, errsz, RS_ERR_LIMIT_EXCEEDED,
                         "vulnerability source '%s' from '%s' is larger than the limit of %llu "
                         "bytes",
                         f->what, f->host, max_bytes);
            goto out;
        }
        if (sniff_len < SNIFF_MAX) {
            size_t take = SNIFF_MAX - sniff_len;
            if (take > (size_t)n)
                take = (size_t)n;
            memcpy(sniff + sniff_len, buf, take);
            sniff_len += take;
        }
        if (write_all(fd, buf, (size_t)n)) {
            rc = rs_errf(errstr, errsz, RS_ERR_INTERNAL, "cannot write to '%s': %s", cache_dir,
                         strerror(errno));
            goto out;
        }
    }
    const char *ext = sniff_ext(sniff, sniff_len);
    if (!ext) {
        rc = rs_errf(errstr, errsz, RS_ERR_UNSUPPORTED,
                     "vulnerability source '%s' from '%s' is neither a zip nor JSON", f->what,
                     f->host);
        goto out;
    }
    int bad = fsync(fd) != 0;
    if (close(fd) != 0)
        bad = 1;
    fd = -1;
    if (bad) {
        rc = rs_errf(errstr, errsz, RS_ERR_INTERNAL, "cannot write to '%s': %s", cache_dir,
                     strerror(errno));
        goto out;
    }
    const char *dst = !strcmp(ext, ".zip") ? f->zip : f->json;
    const char *other = dst == f->zip ? f->json : f->zip;
    /* validators of the old bytes go first: never pair them with new bytes */
    if (unlink(f->meta) != 0 && errno != ENOENT) {
        rc = rs_errf(errstr, errsz, RS_ERR_INTERNAL, "cannot replace '%s': %s", f->meta,
                     strerror(errno));
        goto out;
    }
    if (rename(tmp, dst) != 0) {
        rc = rs_errf(errstr, errsz, RS_ERR_INTERNAL, "cannot rename into '%s': %s", dst,
                     strerror(errno));
        goto out;
    }
    tmp[0] = '\0';
    unlink(other);
    const char *etag = validator_ok(resp->etag, sizeof resp->etag) ? resp->etag : "";
    const char *lm =
        validator_ok(resp->last_modified, sizeof resp->last_modified) ? resp->last_modified : "";
    if ((etag[0] || lm[0]) && write_meta(f->meta, etag, lm) != 0)
        rs_log(RS_LOG_WARN, "cannot keep the validators of '%s': the next download is full",
               f->what);
    sync_dir(cache_dir);
    rs_log(RS_LOG_INFO, "downloaded vulnerability source '%s' (%llu bytes)", f->what, total);
    rc = copy_out(dst, local_path, local_path_size, errstr, errsz);
out:
    if (fd >= 0)
        close(fd);
    if (tmp[0])
        unlink(tmp);
    free(buf);
    return rc;
}

static int resolve_url(const char *url, const char *cache_dir, const rs_vulndb_source_opts *opts,
                       char *local_path, size_t local_path_size, int *from_cache, char *errstr,
                       size_t errsz)
{
    struct fetch *f = calloc(1, sizeof *f);
    rs_http *own = NULL, *h = opts ? opts->http : NULL;
    rs_reader *rd = NULL;
    rs_http_response resp;
    char scheme[16], digest[RS_DIGEST_SIZE], inner[512];
    char etag[512], lm[128], h_inm[600], h_ims[160];
    const char *headers[3] = {NULL, NULL, NULL};
    int rc = 0, nh = 0;
    memset(&resp, 0, sizeof resp);
    if (!f)
        return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
    f->url = url;
    rs_log_redact_url(url, f->what, sizeof f->what);
    if (url_host(url, scheme, sizeof scheme, f->host, sizeof f->host)) {
        rc = rs_errf(errstr, errsz, RS_ERR_CONFIG, "bad vulnerability source url '%s'", f->what);
        goto out;
    }
    if (!strcmp(scheme, "http") && !host_is_loopback(f->host)) {
        rc = rs_errf(errstr, errsz, RS_ERR_CONFIG,
                     "plain http refused for vulnerability source '%s': use https (http is "
                     "allowed for loopback hosts only)",
                     f->what);
        goto out;
    }
    if (!cache_dir || !*cache_dir) {
        rc = rs_errf(errstr, errsz, RS_ERR_CONFIG, "a cache directory is needed to download '%s'",
                     f->what);
        goto out;
    }
    if ((rc = make_dirs(cache_dir, errstr, errsz)))
        goto out;
    rs_sha256_digest(url, strlen(url), digest);
    if ((size_t)snprintf(f->base, sizeof f->base, "%s/%s", cache_dir, digest + 7) >=
            sizeof f->base - 16 ||
        (size_t)snprintf(f->zip, sizeof f->zip, "%s.zip", f->base) >= sizeof f->zip ||
        (size_t)snprintf(f->json, sizeof f->json, "%s.json", f->base) >= sizeof f->json ||
        (size_t)snprintf(f->meta, sizeof f->meta, "%s.etag", f->base) >= sizeof f->meta) {
        rc =
            rs_errf(errstr, errsz, RS_ERR_CONFIG, "cache directory path too long: '%s'", cache_dir);
        goto out;
    }
    const char *cached = is_regular(f->zip) ? f->zip : is_regular(f->json) ? f->json : NULL;
    etag[0] = lm[0] = '\0';
    if (cached)
        read_meta(f->meta, etag, sizeof etag, lm, sizeof lm);
    if (etag[0]) {
        snprintf(h_inm, sizeof h_inm, "If-None-Match: %s", etag);
        headers[nh++] = h_inm;
    }
    if (lm[0]) {
        snprintf(h_ims, sizeof h_ims, "If-Modified-Since: %s", lm);
        headers[nh++] = h_ims;
    }
    if (!h && !(h = own = rs_http_new(opts ? opts->policy : NULL))) {
        rc = rs_errf(errstr, errsz, RS_ERR_INTERNAL, "cannot create an http client");
        goto out;
    }
    unsigned long long max_bytes =
        opts && opts->max_bytes ? opts->max_bytes : RS_VULNDB_SOURCE_MAX_BYTES;
    if (max_bytes > SIZE_MAX)
        max_bytes = SIZE_MAX;
    rs_http_request req = {"GET", url, nh ? headers : NULL, NULL, 0};
    inner[0] = '\0';
    rc = rs_http_open(h, &req, (size_t)max_bytes, &rd, &resp, inner, sizeof inner);
    if (rc) {
        rc = rs_errf(errstr, errsz, rc, "cannot download vulnerability source '%s' from '%s': %s",
                     f->what, f->host, inner);
        goto out;
    }
    if (resp.status == 304) {
        if (!cached) {
            rc =
                rs_errf(errstr, errsz, RS_ERR_INVALID,
                        "'%s' answered 304 to an unconditional request for '%s'", f->host, f->what);
            goto out;
        }
        if ((rc = copy_out(cached, local_path, local_path_size, errstr, errsz)))
            goto out;
        if (from_cache)
            *from_cache = 1;
        rs_log(RS_LOG_INFO, "vulnerability source '%s' not modified: using the cached copy",
               f->what);
        goto out;
    }
    if (resp.status != 200 || !rd) {
        rc = rs_errf(errstr, errsz, status_err(resp.status),
                     "cannot download vulnerability source '%s' from '%s': status %ld", f->what,
                     f->host, resp.status);
        goto out;
    }
    rc = store_body(f, cache_dir, rd, &resp, max_bytes, local_path, local_path_size, errstr, errsz);
out:
    rs_reader_destroy(rd);
    rs_http_response_free(&resp);
    rs_http_destroy(own);
    free(f);
    return rc;
}

int rs_vulndb_source_resolve_opts(const char *source, const char *cache_dir,
                                  const rs_vulndb_source_opts *opts, char *local_path,
                                  size_t local_path_size, int *from_cache, char *errstr,
                                  size_t errstr_size)
{
    char path[PATH_MAX];
    if (from_cache)
        *from_cache = 0;
    if (!source)
        return rs_errf(errstr, errstr_size, RS_ERR_CONFIG, "no vulnerability source given");
    if (rs_vulndb_source_is_url(source))
        return resolve_url(source, cache_dir, opts, local_path, local_path_size, from_cache, errstr,
                           errstr_size);
    if (!strncasecmp(source, "file://", 7)) {
        int rc = file_url_path(source, path, sizeof path, errstr, errstr_size);
        if (rc)
            return rc;
        return resolve_local(path, local_path, local_path_size, from_cache, errstr, errstr_size);
    }
    if (has_scheme(source)) {
        char what[1024];
        rs_log_redact_url(source, what, sizeof what);
        return rs_errf(errstr, errstr_size, RS_ERR_UNSUPPORTED,
                       "unsupported vulnerability source '%s': a path, file://, http:// or "
                       "https:// url",
                       what);
    }
    return resolve_local(source, local_path, local_path_size, from_cache, errstr, errstr_size);
}

int rs_vulndb_source_resolve(const char *source, const char *cache_dir, char *local_path,
                             size_t local_path_size, int *from_cache, char *errstr,
                             size_t errstr_size)
{
    return rs_vulndb_source_resolve_opts(source, cache_dir, NULL, local_path, local_path_size,
                                         from_cache, errstr, errstr_size);
}
