/* test_httpd.c - the embedded HTTP server: listen addresses, routes (exact,
 * prefix, method), bodies handed to handlers, 404, 413 from Content-Length,
 * headers and query parameters, the extra response header, /healthz. Talks
 * to the server over a real loopback socket. */
#include "httpd.h"
#include "base.h"
#include "rs_test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

static void test_parse_listen(void)
{
    char addr[64], err[256];
    int port = -1;
    RS_CHECK_INT(rs_httpd_parse_listen("127.0.0.1:8080", addr, sizeof addr, &port, err,
                                       sizeof err), 0);
    RS_CHECK_STR(addr, "127.0.0.1");
    RS_CHECK_INT(port, 8080);
    RS_CHECK_INT(rs_httpd_parse_listen("[::1]:0", addr, sizeof addr, &port, err, sizeof err), 0);
    RS_CHECK_STR(addr, "::1");
    RS_CHECK_INT(port, 0);
    RS_CHECK_INT(rs_httpd_parse_listen("0.0.0.0:65535", addr, sizeof addr, &port, err,
                                       sizeof err), 0);
    static const char *bad[] = {"", "8080", ":80", "localhost:80", "1.2.3.4:65536",
                                "1.2.3.4:", "1.2.3.4:8x", "::1:80", "[1.2.3.4]:80"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        RS_CHECK_INT(rs_httpd_parse_listen(bad[i], addr, sizeof addr, &port, err, sizeof err),
                     RS_ERR_CONFIG);
    }
    RS_CHECK_STR(err, "listen address '[1.2.3.4]:80' is not ADDR:PORT or [ADDR6]:PORT (numeric)");
}

/* Answers "<method> <path> <body_len> <header X-T> <query q>". */
static void echo(const rs_httpd_request *req, rs_httpd_response *resp, void *ctx)
{
    const char *x = rs_httpd_header(req, "x-t"), *q = rs_httpd_query(req, "q");
    char buf[512];
    snprintf(buf, sizeof buf, "%s %s %zu %s %s %s", req->method, req->path, req->body_len,
             x ? x : "-", q ? q : "-", (const char *)ctx);
    resp->status = 200;
    resp->body = strdup(buf);
    resp->content_type = "text/plain";
    snprintf(resp->header_name, sizeof resp->header_name, "X-Echo");
    snprintf(resp->header_value, sizeof resp->header_value, "yes");
}

/* Sends `request` to the server and returns what it answered (static). */
static const char *roundtrip(int port, const char *request)
{
    static char answer[4096];
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    size_t n = 0;
    answer[0] = '\0';
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        if (fd >= 0)
            close(fd);
        return answer;
    }
    if (write(fd, request, strlen(request)) == (ssize_t)strlen(request)) {
        ssize_t got;
        while (n < sizeof answer - 1 && (got = read(fd, answer + n, sizeof answer - 1 - n)) > 0)
            n += (size_t)got;
    }
    answer[n] = '\0';
    close(fd);
    return answer;
}

static void test_server(void)
{
    char err[256];
    const rs_httpd_route routes[] = {
        {"POST", "/hooks/", echo, "prefix"},
        {"GET", "/exact", echo, "exact"},
        {"GET", "/healthz", rs_httpd_healthz, NULL},
    };
    const rs_httpd_opts o = {.listen = "127.0.0.1:0", .max_body = 64, .timeout_s = 5};
    rs_httpd *h = rs_httpd_start(&o, routes, 3, err, sizeof err);
    RS_REQUIRE(h != NULL);
    int port = rs_httpd_port(h);
    RS_CHECK(port > 0);
    const char *a = roundtrip(port, "POST /hooks/t1?q=v%20w HTTP/1.0\r\nX-T: hdr\r\n"
                                    "Content-Length: 5\r\n\r\nhello");
    RS_CHECK(!strncmp(a, "HTTP/1.0 200", 12) || !strncmp(a, "HTTP/1.1 200", 12));
    RS_CHECK(strstr(a, "X-Echo: yes\r\n") != NULL);
    RS_CHECK(strstr(a, "\r\n\r\nPOST /hooks/t1 5 hdr v w prefix") != NULL);
    a = roundtrip(port, "GET /exact HTTP/1.0\r\n\r\n");
    RS_CHECK(strstr(a, "\r\n\r\nGET /exact 0 - - exact") != NULL);
    a = roundtrip(port, "GET /exact/more HTTP/1.0\r\n\r\n");
    RS_CHECK(strstr(a, " 404 ") != NULL);
    RS_CHECK(strstr(a, "{\"error\":\"no such route\"}") != NULL);
    a = roundtrip(port, "GET /hooks/t1 HTTP/1.0\r\n\r\n");
    RS_CHECK(strstr(a, " 404 ") != NULL);
    a = roundtrip(port, "POST /hooks/t1 HTTP/1.0\r\nContent-Length: 65\r\n\r\n");
    RS_CHECK(strstr(a, " 413 ") != NULL);
    RS_CHECK(strstr(a, "{\"error\":\"request body too large\"}") != NULL);
    a = roundtrip(port, "GET /healthz HTTP/1.0\r\n\r\n");
    RS_CHECK(strstr(a, " 200 ") != NULL);
    RS_CHECK(strstr(a, "\r\n\r\n{\"status\":\"ok\"}") != NULL);
    rs_httpd_stop(h);
    rs_httpd_stop(NULL);
    /* the port is free again; a second server can take it */
    char listen[32];
    snprintf(listen, sizeof listen, "127.0.0.1:%d", port);
    const rs_httpd_opts o2 = {.listen = listen};
    h = rs_httpd_start(&o2, routes, 3, err, sizeof err);
    RS_CHECK(h != NULL);
    rs_httpd *h2 = rs_httpd_start(&o2, routes, 3, err, sizeof err);
    RS_CHECK(h2 == NULL);
    char want[128];
    snprintf(want, sizeof want, "cannot listen on '%s' (address in use or not local)", listen);
    RS_CHECK_STR(err, want);
    rs_httpd_stop(h);
}

int main(void)
{
    test_parse_listen();
    test_server();
    return RS_TEST_RESULT();
}
