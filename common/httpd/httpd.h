/* httpd.h - the embedded HTTP server both programs can run (libmicrohttpd):
 * start and stop, a table of routes, bounded request bodies, timeouts and a
 * connection limit. Knows nothing about webhooks, metrics or tenants: the
 * programs bring their routes (the coordinator's `serve` its webhooks; the
 * operations work adds /metrics and /readyz the same way).
 *
 * The one public header of common/httpd. */
#ifndef RS_HTTPD_H
#define RS_HTTPD_H

#include <stddef.h>

typedef struct rs_httpd rs_httpd;

/* One request as a handler sees it. The body is bytes (NUL-terminated for
 * convenience, but may contain NULs: use body_len); it never exceeds the
 * server's max_body (a larger one is answered 413 before any handler runs). */
typedef struct rs_httpd_request {
    const char *method; /* "GET", "POST", "OPTIONS", ... */
    const char *path;   /* the URL path, without the query string */
    const char *body;
    size_t body_len;
    void *conn; /* private: for rs_httpd_header / rs_httpd_query */
} rs_httpd_request;

/* What a handler answers. body is malloc'd and taken by the server (NULL: an
 * empty body); content_type defaults to application/json. One extra header
 * may be set (header_name "" when none). */
typedef struct rs_httpd_response {
    int status;
    char *body;
    const char *content_type;
    char header_name[64];
    char header_value[256];
} rs_httpd_response;

/* A handler fills *resp; it runs on one of the server's threads, several at
 * once when the server has several threads. */
typedef void rs_httpd_handler(const rs_httpd_request *req, rs_httpd_response *resp, void *ctx);

/* A route: `method` (NULL: any; the handler answers 405 itself) and `path`:
 * exact, or every path under it when it ends with '/'. The first route that
 * matches wins; no route: 404. */
typedef struct rs_httpd_route {
    const char *method;
    const char *path;
    rs_httpd_handler *fn;
    void *ctx;
} rs_httpd_route;

typedef struct rs_httpd_opts {
    const char *listen;       /* "ADDR:PORT", "[ADDR6]:PORT"; port 0: any free port */
    size_t max_body;          /* request bodies above it: 413 (0: 1 MiB) */
    unsigned timeout_s;       /* an idle or slow connection is closed after it (0: 10) */
    unsigned max_connections; /* at once; more are refused (0: 64) */
    unsigned threads;         /* worker threads (0: 4) */
} rs_httpd_opts;

/* Parses "ADDR:PORT" / "[ADDR6]:PORT" (numeric addresses only). Returns 0 or
 * RS_ERR_CONFIG with errstr naming the value. */
int rs_httpd_parse_listen(const char *listen, char *addr, size_t addr_size, int *port,
                          char *errstr, size_t errstr_size);

/* Starts serving `routes` (copied; the strings and ctx must outlive the
 * server). Returns NULL with errstr set (the address cannot be bound, a bad
 * listen value). */
rs_httpd *rs_httpd_start(const rs_httpd_opts *o, const rs_httpd_route *routes, size_t n_routes,
                         char *errstr, size_t errstr_size);
/* The port the server listens on (the one picked when 0 was asked for). */
int rs_httpd_port(const rs_httpd *h);
/* Stops accepting, waits for the handlers that run, frees h. NULL is fine. */
void rs_httpd_stop(rs_httpd *h);

/* The value of request header `name` (case-insensitive), or NULL. */
const char *rs_httpd_header(const rs_httpd_request *req, const char *name);
/* The value of query parameter `name` (URL-decoded), or NULL. */
const char *rs_httpd_query(const rs_httpd_request *req, const char *name);

/* Sets *resp to `status` with a JSON body {"error": message} (message is
 * escaped; NULL: the status's reason). */
void rs_httpd_error(rs_httpd_response *resp, int status, const char *message);

/* GET /healthz: 200 {"status":"ok"} while the process serves (a handler a
 * program puts into its table; /readyz and /metrics come with the
 * operations work and sit beside it). */
rs_httpd_handler rs_httpd_healthz;

#endif
