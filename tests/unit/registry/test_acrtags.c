/* test_acrtags.c - rs_acr_tags_parse: ACR's _tags pages (the JSON format of
 * GET /acr/v1/{repo}/_tags), order of times across pages, bad types, bad
 * names, digests and times, oversize pages, and a callback that stops. */
#include "registry.h"
#include "base.h"
#include "rs_test.h"

#include <jansson.h>

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"

struct got {
    char names[8][64];
    int64_t times[8];
    int n;
    int stop_after; /* RS_ACR_STOP after this many (0: never) */
};

static int collect(const rs_acr_tag *t, void *opaque)
{
    struct got *g = opaque;
    if (g->stop_after && g->n == g->stop_after)
        return RS_ACR_STOP;
    if (g->n < 8) {
        snprintf(g->names[g->n], sizeof g->names[g->n], "%s", t->name);
        g->times[g->n] = t->updated;
    }
    g->n++;
    return 0;
}

static int parse(const char *body, int64_t *prev, struct got *g, char *err, size_t errsz)
{
    return rs_acr_tags_parse(body, strlen(body), "team/web", prev, collect, g, err, errsz);
}

static void test_page(void)
{
    char err[512];
    struct got g = {0};
    int64_t prev = INT64_MAX;
    const char *page1 =
        "{\"registry\":\"x.azurecr.io\",\"imageName\":\"team/web\",\"tags\":["
        "{\"name\":\"v2\",\"digest\":\"" D2 "\",\"createdTime\":\"2026-01-02T00:00:00Z\","
        "\"lastUpdateTime\":\"2026-01-02T03:04:05.1234567Z\",\"signed\":false,"
        "\"changeableAttributes\":{\"deleteEnabled\":true}},"
        "{\"name\":\"v1\",\"digest\":\"" D1 "\",\"lastUpdateTime\":\"2026-01-01T00:00:00Z\"}]}";
    RS_CHECK_INT(parse(page1, &prev, &g, err, sizeof err), 0);
    RS_CHECK_INT(g.n, 2);
    RS_CHECK_STR(g.names[0], "v2");
    RS_CHECK_STR(g.names[1], "v1");
    RS_CHECK_INT(g.times[0], 1767323045); /* 2026-01-02T03:04:05Z, fraction dropped */
    RS_CHECK_INT(g.times[1], 1767225600);
    RS_CHECK_INT(prev, 1767225600);
    /* the next page may repeat the time, never go back up */
    const char *page2 = "{\"imageName\":\"team/web\",\"tags\":[{\"name\":\"v0\",\"digest\":\"" D1
                        "\",\"lastUpdateTime\":\"2026-01-01T00:00:00Z\"}]}";
    RS_CHECK_INT(parse(page2, &prev, &g, err, sizeof err), 0);
    RS_CHECK_INT(g.n, 3);
    const char *newer = "{\"imageName\":\"team/web\",\"tags\":[{\"name\":\"v9\",\"digest\":\"" D1
                        "\",\"lastUpdateTime\":\"2026-01-01T00:00:01Z\"}]}";
    RS_CHECK_INT(parse(newer, &prev, &g, err, sizeof err), RS_ERR_INVALID);
    RS_CHECK(strstr(err, "item 0: lastUpdateTime: newer than the tag before") != NULL);
    RS_CHECK_INT(g.n, 3);
    /* an empty page, and one without "tags" */
    prev = INT64_MAX;
    RS_CHECK_INT(parse("{\"imageName\":\"team/web\",\"tags\":[]}", &prev, &g, err, sizeof err), 0);
    RS_CHECK_INT(parse("{\"imageName\":\"team/web\"}", &prev, &g, err, sizeof err), 0);
    RS_CHECK_INT(g.n, 3);
}

static void test_stop(void)
{
    char err[512];
    struct got g = {.stop_after = 1};
    int64_t prev = INT64_MAX;
    const char *page = "{\"tags\":[{\"name\":\"a\",\"digest\":\"" D1
                       "\",\"lastUpdateTime\":\"2026-01-03T00:00:00Z\"},"
                       "{\"name\":\"b\",\"digest\":\"" D1
                       "\",\"lastUpdateTime\":\"2026-01-02T00:00:00Z\"},"
                       "{\"name\":\"c\",\"digest\":\"" D1
                       "\",\"lastUpdateTime\":\"2026-01-01T00:00:00Z\"}]}";
    RS_CHECK_INT(parse(page, &prev, &g, err, sizeof err), RS_ACR_STOP);
    RS_CHECK_INT(g.n, 1);
    RS_CHECK_STR(g.names[0], "a");
}

/* Each body fails with RS_ERR_INVALID and an error naming `what`. */
static void bad(const char *body, const char *what)
{
    char err[512] = "";
    struct got g = {0};
    int64_t prev = INT64_MAX;
    int rc = parse(body, &prev, &g, err, sizeof err);
    RS_CHECK_INT(rc, RS_ERR_INVALID);
    if (!strstr(err, what))
        fprintf(stderr, "error '%s' does not name '%s'\n", err, what);
    RS_CHECK(strstr(err, what) != NULL);
    RS_CHECK_INT(g.n, 0);
}

static void test_bad(void)
{
    bad("", "not a JSON object");
    bad("[1,2]", "not a JSON object");
    bad("{\"tags\":{}}", "not an array of at most 1000");
    bad("{\"imageName\":\"other\",\"tags\":[]}", "imageName is not 'team/web'");
    bad("{\"tags\":[7]}", "item 0: not an object");
    bad("{\"tags\":[{\"name\":5,\"digest\":\"" D1
        "\",\"lastUpdateTime\":\"2026-01-01T00:00:00Z\"}]}",
        "item 0: name: not a valid tag");
    bad("{\"tags\":[{\"name\":\"a/b\",\"digest\":\"" D1
        "\",\"lastUpdateTime\":\"2026-01-01T00:00:00Z\"}]}",
        "item 0: name: not a valid tag");
    bad("{\"tags\":[{\"name\":\"a\",\"digest\":\"sha256:zz\","
        "\"lastUpdateTime\":\"2026-01-01T00:00:00Z\"}]}",
        "item 0: digest: not a sha256 digest");
    bad("{\"tags\":[{\"name\":\"a\",\"digest\":\"" D1 "\"}]}",
        "item 0: lastUpdateTime: not an RFC 3339 time");
    bad("{\"tags\":[{\"name\":\"a\",\"digest\":\"" D1 "\",\"lastUpdateTime\":\"yesterday\"}]}",
        "item 0: lastUpdateTime: not an RFC 3339 time");
    bad("{\"tags\":[{\"name\":\"a\",\"digest\":\"" D1 "\",\"lastUpdateTime\":12}]}",
        "item 0: lastUpdateTime: not an RFC 3339 time");
}

/* More tags in a page than RS_ACR_TAGS_PAGE_MAX: refused before any is handed out. */
static void test_oversize(void)
{
    json_t *tags = json_array();
    for (int i = 0; i <= RS_ACR_TAGS_PAGE_MAX; i++) {
        char name[16];
        snprintf(name, sizeof name, "t%d", i);
        json_array_append_new(tags, json_pack("{s:s, s:s, s:s}", "name", name, "digest", D1,
                                              "lastUpdateTime", "2026-01-01T00:00:00Z"));
    }
    json_t *page = json_pack("{s:o}", "tags", tags);
    char *body = json_dumps(page, JSON_COMPACT);
    char err[512];
    struct got g = {0};
    int64_t prev = INT64_MAX;
    RS_CHECK_INT(parse(body, &prev, &g, err, sizeof err), RS_ERR_INVALID);
    RS_CHECK(strstr(err, "not an array of at most 1000") != NULL);
    RS_CHECK_INT(g.n, 0);
    free(body);
    json_decref(page);
}

int main(void)
{
    test_page();
    test_stop();
    test_bad();
    test_oversize();
    return RS_TEST_RESULT();
}
