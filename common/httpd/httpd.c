/* httpd.c - the embedded HTTP server over libmicrohttpd (see httpd.h).
 *
 * libmicrohttpd calls the access handler once with the headers, once per
 * piece of body and once at the end: the body is gathered up to max_body (a
 * Content-Length above it is answered 413 at once, a chunked body that grows
 * past it closes the connection), then the first matching route runs. Logs
 * method, path and status only: never a query string (it may carry a
 * secret) nor a header value. */
#include "httpd.h"
#include "base.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

struct rs_httpd {
    struct MHD_Daemon *d;
    rs_httpd_route *routes;
    size_t n_routes;
    size_t max_body;
    int port;
};

/* A request's state between the access handler's calls. */
struct body {
    char *data;
    size_t len, cap;
    int too_large;
};

int rs_httpd_parse_listen(const char *listen, char *addr, size_t addr_size, int *port,
                          char *errstr, size_t errsz)
{
    const char *colon = listen ? strrchr(listen, ':') : NULL;
    const char *a = listen, *a_end = colon;
    if (!colon || colon == listen)
        goto bad;
    if (listen[0] == '[') {
        if (colon[-1] != ']')
            goto bad;
        a = listen + 1;
        a_end = colon - 1;
    }
    size_t n = (size_t)(a_end - a);
    if (n == 0 || n >= addr_size)
        goto bad;
    memcpy(addr, a, n);
    addr[n] = '\0';
    char *end = NULL;
    long p = strtol(colon + 1, &end, 10);
    if (!colon[1] || *end || p < 0 || p > 65535)
        goto bad;
    unsigned char buf[sizeof(struct in6_addr)];
    if (inet_pton(listen[0] == '[' ? AF_INET6 : AF_INET, addr, buf) != 1)
        goto bad;
    *port = (int)p;
    return 0;
bad:
    return rs_errf(errstr, errsz, RS_ERR_CONFIG,
                   "listen address '%.200s' is not ADDR:PORT or [ADDR6]:PORT (numeric)",
                   listen ? listen : "");
}

static const rs_httpd_route *route_find(const rs_httpd *h, const char *method, const char *path)
{
    for (size_t i = 0; i < h->n_routes; i++) {
        const rs_httpd_route *r = &h->routes[i];
        size_t n = strlen(r->path);
        if (r->method && strcmp(r->method, method) != 0)
            continue;
        if (n && r->path[n - 1] == '/' ? !strncmp(path, r->path, n) : !strcmp(path, r->path))
            return r;
    }
    return NULL;
}

static enum MHD_Result send_response(struct MHD_Connection *conn, rs_httpd_response *resp)
{
    const char *body = resp->body ? resp->body : "";
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
    free(resp->body);
    resp->body = NULL;
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type",
                            resp->content_type ? resp->content_type : "application/json");
    if (resp->header_name[0])
        MHD_add_response_header(r, resp->header_name, resp->header_value);
    enum MHD_Result ok = MHD_queue_response(conn, (unsigned)resp->status, r);
    MHD_destroy_response(r);
    return ok;
}

/* Runs the route of a complete request. */
static enum MHD_Result dispatch(rs_httpd *h, struct MHD_Connection *conn, const char *url,
                                const char *method, struct body *b)
{
    rs_httpd_response resp = {.status = 500};
    rs_httpd_request req = {.method = method,
                            .path = url,
                            .body = b->data ? b->data : "",
                            .body_len = b->len,
                            .conn = conn};
    const rs_httpd_route *r = route_find(h, method, url);
    if (!r)
        rs_httpd_error(&resp, 404, "no such route");
    else
        r->fn(&req, &resp, r->ctx);
    rs_log(resp.status >= 500 ? RS_LOG_WARN : RS_LOG_DEBUG, "http: %s %s: %d", method, url,
           resp.status);
    return send_response(conn, &resp);
}

/* Appends a piece of body; 0, or -1 when it would pass max_body. */
static int body_add(struct body *b, const char *data, size_t n, size_t max)
{
    if (n > max || b->len > max - n)
        return -1;
    if (RS_GROW(b->data, b->len + n + 1, b->cap))
        return -1;
    memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version, const char *upload,
                                 size_t *upload_size, void **state)
{
    rs_httpd *h = cls;
    struct body *b = *state;
    (void)version;
    if (!b) {
        if (!(b = calloc(1, sizeof *b)))
            return MHD_NO;
        *state = b;
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
        if (cl && strtoull(cl, NULL, 10) > h->max_body) {
            rs_httpd_response resp = {.status = 413};
            rs_httpd_error(&resp, 413, "request body too large");
            rs_log(RS_LOG_WARN, "http: %s %s: 413: body of %.20s bytes refused", method, url, cl);
            return send_response(conn, &resp);
        }
        return MHD_YES;
    }
    if (*upload_size) {
        if (body_add(b, upload, *upload_size, h->max_body)) {
            rs_log(RS_LOG_WARN, "http: %s %s: body over %zu bytes: connection closed", method,
                   url, h->max_body);
            return MHD_NO;
        }
        *upload_size = 0;
        return MHD_YES;
    }
    return dispatch(h, conn, url, method, b);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **state,
                         enum MHD_RequestTerminationCode toe)
{
    struct body *b = *state;
    (void)cls;
    (void)conn;
    (void)toe;
    if (b) {
        free(b->data);
        free(b);
        *state = NULL;
    }
}

/* libmicrohttpd's own messages (bind failures, protocol errors) go to rs_log. */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char line[512];
    (void)cls;
    vsnprintf(line, sizeof line, fmt, ap);
    line[strcspn(line, "\n")] = '\0';
    rs_log(RS_LOG_DEBUG, "http: %s", line);
}

/* The socket address for "ADDR:PORT"; *v6 says which family it is. */
static int listen_addr(const char *listen, struct sockaddr_storage *ss, int *v6, char *errstr,
                       size_t errsz)
{
    char addr[64];
    int port = 0;
    int rc = rs_httpd_parse_listen(listen, addr, sizeof addr, &port, errstr, errsz);
    if (rc)
        return rc;
    memset(ss, 0, sizeof *ss);
    *v6 = listen[0] == '[';
    if (*v6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        inet_pton(AF_INET6, addr, &s6->sin6_addr);
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)port);
        inet_pton(AF_INET, addr, &s4->sin_addr);
    }
    return 0;
}

rs_httpd *rs_httpd_start(const rs_httpd_opts *o, const rs_httpd_route *routes, size_t n_routes,
                         char *errstr, size_t errsz)
{
    struct sockaddr_storage ss;
    int v6 = 0;
    if (listen_addr(o->listen, &ss, &v6, errstr, errsz))
        return NULL;
    rs_httpd *h = calloc(1, sizeof *h);
    if (!h || !(h->routes = calloc(n_routes ? n_routes : 1, sizeof *h->routes))) {
        free(h);
        rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
        return NULL;
    }
    memcpy(h->routes, routes, n_routes * sizeof *routes);
    h->n_routes = n_routes;
    h->max_body = o->max_body ? o->max_body : 1024 * 1024;
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG | (v6 ? MHD_USE_IPv6 : 0);
    h->d = MHD_start_daemon(
        flags, 0, NULL, NULL, on_access, h, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)(o->timeout_s ? o->timeout_s : 10),
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)(o->max_connections ? o->max_connections : 64),
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(o->threads ? o->threads : 4),
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log,
        NULL, MHD_OPTION_END);
    if (!h->d) {
        rs_errf(errstr, errsz, RS_ERR_CONFIG, "cannot listen on '%s' (address in use or not local)",
                o->listen);
        free(h->routes);
        free(h);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    h->port = info ? info->port : 0;
    return h;
}

int rs_httpd_port(const rs_httpd *h)
{
    return h->port;
}

void rs_httpd_stop(rs_httpd *h)
{
    if (!h)
        return;
    MHD_stop_daemon(h->d);
    free(h->routes);
    free(h);
}

const char *rs_httpd_header(const rs_httpd_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *rs_httpd_query(const rs_httpd_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

static const char *reason(int status)
{
    switch (status) {
    case 400: return "bad request";
    case 401: return "unauthorized";
    case 404: return "not found";
    case 405: return "method not allowed";
    case 413: return "request body too large";
    case 503: return "unavailable, try again";
    default: return "error";
    }
}

void rs_httpd_error(rs_httpd_response *resp, int status, const char *message)
{
    json_t *j = json_object();
    /* a message may quote hostile input: sanitised to UTF-8 */
    if (j && json_object_set_new(j, "error", rs_utf8_json_string(message ? message
                                                                         : reason(status)))) {
        json_decref(j);
        j = NULL;
    }
    free(resp->body);
    resp->body = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    resp->status = status;
}

void rs_httpd_healthz(const rs_httpd_request *req, rs_httpd_response *resp, void *ctx)
{
    (void)req;
    (void)ctx;
    resp->status = 200;
    resp->body = strdup("{\"status\":\"ok\"}");
}
