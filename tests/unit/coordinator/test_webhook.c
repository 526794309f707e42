/* test_webhook.c - the ACR webhook and Event Grid payload parsers
 * (coordinator/webhook.c): good payloads of each kind, the validation event,
 * CloudEvents, and hostile ones (malformed, wrong types, bad names, too many
 * events, oversize strings), each with the exact error. */
#include "rs_test.h"
#include "webhook_int.h"

#include <stdlib.h>
#include <string.h>

#define D "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static const char acr_push[] =
    "{\"id\":\"cb8c3971\",\"timestamp\":\"2026-12-07T04:00:00.1Z\",\"action\":\"push\","
    "\"target\":{\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\","
    "\"size\":524,\"digest\":\"" D "\",\"length\":524,\"repository\":\"team/web\","
    "\"tag\":\"v1\"},\"request\":{\"id\":\"3cbb\",\"host\":\"MyRegistry.example:5000\","
    "\"method\":\"PUT\",\"useragent\":\"docker/27\"}}";

static int acr(const char *body, rs_wh_event *e, char *err, size_t n)
{
    err[0] = '\0';
    return rs_webhook_parse_acr(body, strlen(body), e, err, n);
}

static void test_acr_good(void)
{
    rs_wh_event e;
    char err[256];
    RS_CHECK_INT(acr(acr_push, &e, err, sizeof err), 0);
    RS_CHECK_INT(e.kind, RS_WH_PUSH);
    RS_CHECK_STR(e.type, "push");
    RS_CHECK_STR(e.host, "myregistry.example:5000");
    RS_CHECK_STR(e.repository, "team/web");
    RS_CHECK_STR(e.tag, "v1");
    RS_CHECK_STR(e.digest, D);
    /* a delete names the manifest: no tag */
    RS_CHECK_INT(acr("{\"action\":\"delete\",\"target\":{\"mediaType\":\"x\",\"digest\":\"" D
                     "\",\"repository\":\"web\"},\"request\":{\"host\":\"r.example\"}}",
                     &e, err, sizeof err),
                 0);
    RS_CHECK_INT(e.kind, RS_WH_DELETE);
    RS_CHECK_STR(e.tag, "");
    RS_CHECK_STR(e.digest, D);
    /* a repository delete: neither tag nor digest */
    RS_CHECK_INT(acr("{\"action\":\"delete\",\"target\":{\"repository\":\"web\"},"
                     "\"request\":{\"host\":\"r.example\"}}",
                     &e, err, sizeof err),
                 0);
    RS_CHECK_INT(e.kind, RS_WH_DELETE);
    /* other actions are ignored, their payload unchecked */
    RS_CHECK_INT(acr("{\"action\":\"chart_push\",\"target\":{}}", &e, err, sizeof err), 0);
    RS_CHECK_INT(e.kind, RS_WH_IGNORED);
    RS_CHECK_STR(e.type, "chart_push");
    /* a push by digest alone */
    RS_CHECK_INT(acr("{\"action\":\"push\",\"target\":{\"digest\":\"" D "\",\"repository\":\"a\"},"
                     "\"request\":{\"host\":\"127.0.0.1:5002\"}}",
                     &e, err, sizeof err),
                 0);
    RS_CHECK_STR(e.tag, "");
}

struct bad {
    const char *body;
    const char *error;
};

static void test_acr_bad(void)
{
    static const struct bad cases[] = {
        {"", "the body is not JSON (line 1 column 0)"},
        {"{\"action\":\"push\"", "the body is not JSON (line 1 column 16)"},
        {"[1]", "webhook is not a JSON object"},
        {"{}", "webhook.action is missing"},
        {"{\"action\":7}", "webhook.action is not a string"},
        {"{\"action\":\"push\",\"request\":{\"host\":\"h\"}}",
         "webhook.target is missing or not an object"},
        {"{\"action\":\"push\",\"target\":{\"repository\":\"a\",\"tag\":\"1\"},\"request\":[]}",
         "webhook.request is missing or not an object"},
        {"{\"action\":\"push\",\"target\":{\"repository\":\"a\",\"tag\":\"1\"},\"request\":{}}",
         "webhook.request.host is missing"},
        {"{\"action\":\"push\",\"target\":{\"repository\":\"a\",\"tag\":\"1\"},"
         "\"request\":{\"host\":\"h/x\"}}",
         "webhook.request.host is not a host[:port]"},
        {"{\"action\":\"push\",\"target\":{\"repository\":\"A/../b\",\"tag\":\"1\"},"
         "\"request\":{\"host\":\"h\"}}",
         "webhook.target.repository is not valid"},
        {"{\"action\":\"push\",\"target\":{\"repository\":\"a\",\"tag\":\"-x\"},"
         "\"request\":{\"host\":\"h\"}}",
         "webhook.target.tag is not valid"},
        {"{\"action\":\"push\",\"target\":{\"repository\":\"a\",\"tag\":5},"
         "\"request\":{\"host\":\"h\"}}",
         "webhook.target.tag is not a string"},
        {"{\"action\":\"push\",\"target\":{\"repository\":\"a\",\"digest\":\"sha256:00\"},"
         "\"request\":{\"host\":\"h\"}}",
         "webhook.target.digest is not a sha256 digest"},
        {"{\"action\":\"push\",\"target\":{\"repository\":\"a\"},\"request\":{\"host\":\"h\"}}",
         "webhook.target has neither tag nor digest"},
        {"{\"action\":\"push\",\"action\":\"delete\"}", "the body is not JSON (line 1 column 25)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        rs_wh_event e;
        char err[256];
        RS_CHECK_INT(acr(cases[i].body, &e, err, sizeof err), RS_ERR_INVALID);
        RS_CHECK_STR(err, cases[i].error);
    }
}

/* A 300-character repository: longer than any field holds. */
static void test_acr_oversize(void)
{
    char body[1024], repo[301];
    memset(repo, 'a', 300);
    repo[300] = '\0';
    snprintf(body, sizeof body,
             "{\"action\":\"push\",\"target\":{\"repository\":\"%s\",\"tag\":\"1\"},"
             "\"request\":{\"host\":\"h\"}}",
             repo);
    rs_wh_event e;
    char err[256];
    RS_CHECK_INT(acr(body, &e, err, sizeof err), RS_ERR_INVALID);
    RS_CHECK_STR(err, "webhook.target.repository is longer than 255 bytes");
}

static int eg(const char *body, rs_wh_event **ev, size_t *n, char *err, size_t errsz)
{
    err[0] = '\0';
    return rs_webhook_parse_eventgrid(body, strlen(body), ev, n, err, errsz);
}

static void test_eventgrid_good(void)
{
    rs_wh_event *ev = NULL;
    size_t n = 0;
    char err[256];
    const char *body =
        "[{\"id\":\"1\",\"topic\":\"/subscriptions/x\",\"subject\":\"web:v2\","
        "\"eventType\":\"Microsoft.ContainerRegistry.ImagePushed\",\"eventTime\":\"t\","
        "\"data\":{\"id\":\"a\",\"timestamp\":\"t\",\"action\":\"push\",\"target\":{"
        "\"mediaType\":\"m\",\"size\":1,\"digest\":\"" D "\",\"length\":1,\"repository\":\"web\","
        "\"tag\":\"v2\"},\"request\":{\"id\":\"r\",\"host\":\"127.0.0.1:5002\",\"method\":\"PUT\","
        "\"useragent\":\"u\"}},\"dataVersion\":\"1.0\",\"metadataVersion\":\"1\"},"
        "{\"id\":\"2\",\"eventType\":\"Microsoft.ContainerRegistry.ImageDeleted\",\"data\":{"
        "\"action\":\"delete\",\"target\":{\"digest\":\"" D "\",\"repository\":\"web\"},"
        "\"request\":{\"host\":\"127.0.0.1:5002\"}}},"
        "{\"id\":\"3\",\"eventType\":\"Microsoft.ContainerRegistry.ChartPushed\",\"data\":{}}]";
    RS_CHECK_INT(eg(body, &ev, &n, err, sizeof err), 0);
    RS_REQUIRE(n == 3);
    RS_CHECK_INT(ev[0].kind, RS_WH_PUSH);
    RS_CHECK_STR(ev[0].type, "Microsoft.ContainerRegistry.ImagePushed");
    RS_CHECK_STR(ev[0].tag, "v2");
    RS_CHECK_STR(ev[0].host, "127.0.0.1:5002");
    RS_CHECK_INT(ev[1].kind, RS_WH_DELETE);
    RS_CHECK_STR(ev[1].digest, D);
    RS_CHECK_INT(ev[2].kind, RS_WH_IGNORED);
    free(ev);
    /* the subscription validation handshake */
    RS_CHECK_INT(eg("[{\"id\":\"v\",\"eventType\":\"Microsoft.EventGrid.SubscriptionValidationEvent"
                    "\",\"data\":{\"validationCode\":\"512d38b6-c7b8\",\"validationUrl\":\"u\"}}]",
                    &ev, &n, err, sizeof err),
                 0);
    RS_REQUIRE(n == 1);
    RS_CHECK_INT(ev[0].kind, RS_WH_VALIDATION);
    RS_CHECK_STR(ev[0].validation_code, "512d38b6-c7b8");
    free(ev);
    /* CloudEvents 1.0: one event, "type" instead of "eventType" */
    RS_CHECK_INT(eg("{\"specversion\":\"1.0\",\"type\":\"Microsoft.ContainerRegistry.ImagePushed\","
                    "\"source\":\"s\",\"id\":\"c\",\"data\":{\"action\":\"push\",\"target\":{"
                    "\"repository\":\"web\",\"tag\":\"v3\"},\"request\":{\"host\":\"r.example\"}}}",
                    &ev, &n, err, sizeof err),
                 0);
    RS_REQUIRE(n == 1);
    RS_CHECK_INT(ev[0].kind, RS_WH_PUSH);
    RS_CHECK_STR(ev[0].tag, "v3");
    free(ev);
}

static void test_eventgrid_bad(void)
{
    static const struct bad cases[] = {
        {"{\"eventType\":\"x\"}", "the body is not an array of events"},
        {"[]", "the body has no events"},
        {"[7]", "events[0] is not a JSON object"},
        {"[{\"data\":{}}]", "events[0].eventType is missing"},
        {"[{\"eventType\":\"Microsoft.EventGrid.SubscriptionValidationEvent\",\"data\":[]}]",
         "events[0].data is not an object"},
        {"[{\"eventType\":\"Microsoft.EventGrid.SubscriptionValidationEvent\",\"data\":{}}]",
         "events[0].data.validationCode is missing"},
        {"[{\"eventType\":\"Microsoft.ContainerRegistry.ImagePushed\",\"data\":\"x\"}]",
         "events[0].data is not a JSON object"},
        {"[{\"eventType\":\"Microsoft.ContainerRegistry.ImagePushed\",\"data\":{\"action\":"
         "\"delete\",\"target\":{\"repository\":\"a\"},\"request\":{\"host\":\"h\"}}}]",
         "events[0].data.action does not match the event type"},
        {"[{\"eventType\":\"Microsoft.ContainerRegistry.ImageDeleted\",\"data\":{}},{}]",
         "events[0].data.action is missing"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        rs_wh_event *ev = (rs_wh_event *)1;
        size_t n = 9;
        char err[256];
        RS_CHECK_INT(eg(cases[i].body, &ev, &n, err, sizeof err), RS_ERR_INVALID);
        RS_CHECK_STR(err, cases[i].error);
        RS_CHECK(ev == NULL);
        RS_CHECK_INT(n, 0);
    }
}

/* More events than a delivery may carry: refused before any is parsed. */
static void test_eventgrid_too_many(void)
{
    size_t count = RS_WEBHOOK_MAX_EVENTS + 1, len = 0;
    char *body = malloc(count * 3 + 3);
    RS_REQUIRE(body != NULL);
    body[len++] = '[';
    for (size_t i = 0; i < count; i++) {
        memcpy(body + len, i ? ",{}" : "{}", i ? 3 : 2);
        len += i ? 3 : 2;
    }
    body[len++] = ']';
    body[len] = '\0';
    rs_wh_event *ev = NULL;
    size_t n = 0;
    char err[256];
    RS_CHECK_INT(eg(body, &ev, &n, err, sizeof err), RS_ERR_LIMIT_EXCEEDED);
    RS_CHECK_STR(err, "1001 events, more than 1000");
    free(body);
}

int main(void)
{
    test_acr_good();
    test_acr_bad();
    test_acr_oversize();
    test_eventgrid_good();
    test_eventgrid_bad();
    test_eventgrid_too_many();
    return RS_TEST_RESULT();
}
