/* test_discovery.c - the parsers of Azure Resource Manager's list answers
 * (discovery.c): subscriptions and registries pages, nextLink (kept on the
 * resource manager's origin), bad types, bad ids and login servers, oversize
 * pages and bodies. */
#include "discovery_int.h"
#include "base.h"
#include "rs_test.h"

#include <jansson.h>

#define RM "https://127.0.0.1:7443"

struct got {
    char id[8][300];
    char name[8][300];
    int n;
};

static int collect(const char *id, const char *name, void *opaque)
{
    struct got *g = opaque;
    if (g->n < 8) {
        snprintf(g->id[g->n], sizeof g->id[g->n], "%s", id);
        snprintf(g->name[g->n], sizeof g->name[g->n], "%s", name);
    }
    g->n++;
    return 0;
}

static int subs(const char *body, struct got *g, char **next, char *err, size_t errsz)
{
    return rs_arm_subscriptions_parse(body, strlen(body), RM, collect, g, next, err, errsz);
}

static int regs(const char *body, struct got *g, char **next, char *err, size_t errsz)
{
    return rs_arm_registries_parse(body, strlen(body), RM, collect, g, next, err, errsz);
}

static void test_subscriptions(void)
{
    char err[512];
    char *next = NULL;
    struct got g = {0};
    const char *page =
        "{\"value\":[{\"id\":\"/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333\","
        "\"subscriptionId\":\"0b1f6471-1bf0-4dda-aec3-111122223333\",\"tenantId\":\"t\","
        "\"displayName\":\"Prod – West\",\"state\":\"Enabled\"},"
        "{\"subscriptionId\":\"sub-2\"}],"
        "\"nextLink\":\"" RM "/subscriptions?api-version=2022-12-01&%24skiptoken=2\"}";
    RS_CHECK_INT(subs(page, &g, &next, err, sizeof err), 0);
    RS_CHECK_INT(g.n, 2);
    RS_CHECK_STR(g.id[0], "0b1f6471-1bf0-4dda-aec3-111122223333");
    RS_CHECK_STR(g.name[0], "Prod – West");
    RS_CHECK_STR(g.id[1], "sub-2");
    RS_CHECK_STR(g.name[1], "");
    RS_CHECK_STR(next, RM "/subscriptions?api-version=2022-12-01&%24skiptoken=2");
    free(next);
    next = NULL;
    /* the last page: no nextLink, or null */
    RS_CHECK_INT(subs("{\"value\":[],\"nextLink\":null}", &g, &next, err, sizeof err), 0);
    RS_CHECK(next == NULL);
    RS_CHECK_INT(subs("{\"value\":[]}", &g, &next, err, sizeof err), 0);
    RS_CHECK(next == NULL);
    RS_CHECK_INT(g.n, 2);
}

static void test_registries(void)
{
    char err[512];
    char *next = NULL;
    struct got g = {0};
    const char *page =
        "{\"value\":[{\"id\":\"/subscriptions/s/resourceGroups/rg/providers/"
        "Microsoft.ContainerRegistry/registries/one\",\"name\":\"one\","
        "\"type\":\"Microsoft.ContainerRegistry/registries\",\"sku\":{\"name\":\"Standard\"},"
        "\"properties\":{\"loginServer\":\"One.Example.Test\",\"provisioningState\":"
        "\"Succeeded\"}},"
        "{\"name\":\"two\",\"properties\":{\"loginServer\":\"127.0.0.1:40443\"}}],"
        "\"nextLink\":\"" RM "/subscriptions/s/providers/Microsoft.ContainerRegistry/"
        "registries?api-version=2023-07-01&$skiptoken=2\"}";
    RS_CHECK_INT(regs(page, &g, &next, err, sizeof err), 0);
    RS_CHECK_INT(g.n, 2);
    RS_CHECK_STR(g.id[0], "one.example.test"); /* lowercased: it names keys */
    RS_CHECK_STR(g.name[0], "one");
    RS_CHECK_STR(g.id[1], "127.0.0.1:40443");
    RS_CHECK(next != NULL);
    free(next);
}

/* Each body fails with `code` and an error naming `what`; nothing is handed out. */
static void bad(int registries, const char *body, int code, const char *what)
{
    char err[512] = "";
    char *next = (char *)1;
    struct got g = {0};
    int rc = registries ? regs(body, &g, &next, err, sizeof err)
                        : subs(body, &g, &next, err, sizeof err);
    RS_CHECK_INT(rc, code);
    if (!strstr(err, what))
        fprintf(stderr, "error '%s' does not name '%s'\n", err, what);
    RS_CHECK(strstr(err, what) != NULL);
    RS_CHECK(next == NULL);
    RS_CHECK_INT(g.n, 0);
}

static void test_bad(void)
{
    const int I = RS_ERR_INVALID;
    bad(0, "", I, "subscriptions: not a JSON object");
    bad(0, "[]", I, "subscriptions: not a JSON object");
    bad(0, "{}", I, "subscriptions: value: not an array");
    bad(0, "{\"value\":{}}", I, "subscriptions: value: not an array");
    bad(0, "{\"value\":[3]}", I, "item 0: not an object");
    bad(0, "{\"value\":[{\"subscriptionId\":7}]}", I, "item 0: subscriptionId");
    bad(0, "{\"value\":[{\"subscriptionId\":\"a/../b\"}]}", I, "item 0: subscriptionId");
    bad(0, "{\"value\":[{\"subscriptionId\":\"a?x=1\"}]}", I, "item 0: subscriptionId");
    bad(0, "{\"value\":[{\"subscriptionId\":\"s\",\"displayName\":5}]}", I,
        "item 0: displayName");
    bad(0, "{\"value\":[{\"subscriptionId\":\"s\",\"displayName\":\"a\\u001b[31m\"}]}", I,
        "item 0: displayName");
    /* nextLink: anywhere but the resource manager is refused (the token would go along) */
    bad(0, "{\"value\":[],\"nextLink\":\"https://elsewhere.test/subscriptions\"}", I,
        "nextLink leaves the resource manager '" RM "'");
    bad(0, "{\"value\":[],\"nextLink\":\"http://127.0.0.1:7443/subscriptions\"}", I,
        "nextLink leaves the resource manager");
    bad(0, "{\"value\":[],\"nextLink\":\"https://127.0.0.1:7444/subscriptions\"}", I,
        "nextLink leaves the resource manager");
    bad(0, "{\"value\":[],\"nextLink\":\"https://127.0.0.1:7443@evil.test/x\"}", I,
        "nextLink leaves the resource manager");
    bad(0, "{\"value\":[],\"nextLink\":\"/subscriptions?page=2\"}", I,
        "nextLink leaves the resource manager");
    bad(0, "{\"value\":[],\"nextLink\":\"https://127.0.0.1:7443/a b\"}", I,
        "nextLink: not a URL");
    bad(0, "{\"value\":[],\"nextLink\":7}", I, "nextLink: not a URL");
    bad(1, "{\"value\":[{\"name\":\"x\"}]}", I, "item 0: properties: not an object");
    bad(1, "{\"value\":[{\"properties\":{\"loginServer\":5}}]}", I,
        "item 0: properties.loginServer");
    const char *hosts[] = {"https://x.test", "x.test/v2", "user@x.test", "x.test:0",
                           "x.test:65536", "x.test:", "", ".x.test", "x_y.test", "x.test:12a"};
    for (size_t i = 0; i < sizeof hosts / sizeof *hosts; i++) {
        char body[256];
        snprintf(body, sizeof body, "{\"value\":[{\"properties\":{\"loginServer\":\"%s\"}}]}",
                 hosts[i]);
        bad(1, body, I, "item 0: properties.loginServer: not a host[:port]");
    }
}

static void test_oversize(void)
{
    json_t *v = json_array();
    for (int i = 0; i <= RS_ARM_PAGE_ITEMS; i++)
        json_array_append_new(v, json_pack("{s:s}", "subscriptionId", "s"));
    json_t *page = json_pack("{s:o}", "value", v);
    char *body = json_dumps(page, JSON_COMPACT);
    bad(0, body, RS_ERR_INVALID, "not an array of at most 1000");
    free(body);
    json_decref(page);
    /* a body over the bound is refused before it is parsed */
    size_t n = RS_ARM_BODY_MAX + 1;
    char *big = malloc(n + 1);
    RS_REQUIRE(big != NULL);
    memset(big, ' ', n);
    big[n] = '\0';
    bad(1, big, RS_ERR_LIMIT_EXCEEDED, "over 8388608 bytes");
    free(big);
}

static void test_login_server(void)
{
    RS_CHECK(rs_arm_login_server_valid("contoso.example.test"));
    RS_CHECK(rs_arm_login_server_valid("127.0.0.1:5000"));
    RS_CHECK(rs_arm_login_server_valid("a:65535"));
    RS_CHECK(!rs_arm_login_server_valid(NULL));
    RS_CHECK(!rs_arm_login_server_valid("a:1:2"));
    RS_CHECK(!rs_arm_login_server_valid("[::1]:5000"));
}

int main(void)
{
    test_subscriptions();
    test_registries();
    test_bad();
    test_oversize();
    test_login_server();
    return RS_TEST_RESULT();
}
