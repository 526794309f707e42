/* test_message.c - scan request codec, report and inventory documents, ids,
 * and splitting. */
#include "base.h"
#include "report.h"
#include "rs_test.h"

#define DA "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define DB "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static char *read_text(const char *rel)
{
    char path[1024];
    FILE *f = fopen(rs_test_data(rel, path, sizeof path), "rb");
    if (!f)
        return NULL;
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    while (n && buf[n - 1] == '\n')
        n--;
    buf[n] = '\0';
    return buf;
}

static void fill_request(rs_scan_request *r, rs_refs *refs)
{
    memset(r, 0, sizeof *r);
    r->mode = "scan";
    r->force = 1;
    r->tenant = "contoso";
    r->registry = "contoso.azurecr.io";
    r->repository = "team/web";
    snprintf(r->digest, sizeof r->digest, "%s", DA);
    snprintf(r->index_digest, sizeof r->index_digest, "%s", DB);
    snprintf(r->platform.os, sizeof r->platform.os, "linux");
    snprintf(r->platform.architecture, sizeof r->platform.architecture, "arm64");
    snprintf(r->platform.variant, sizeof r->platform.variant, "v8");
    /* added out of order: refs come out sorted and unique */
    RS_CHECK_INT(rs_refs_add(refs, "contoso.azurecr.io", "team/web", "latest"), 0);
    RS_CHECK_INT(rs_refs_add(refs, "contoso.azurecr.io", "team/api", "1.0"), 0);
    RS_CHECK_INT(rs_refs_add(refs, "contoso.azurecr.io", "team/web", "1.4"), 0);
    RS_CHECK_INT(rs_refs_add(refs, "contoso.azurecr.io", "team/web", "latest"), 0);
    r->refs = *refs;
    r->batch_id = "b-1";
    r->requested_at = "2026-11-27T10:00:00Z";
}

static const char expected_request[] =
    "{\"schema\":\"regscan.scan-request/v1\",\"mode\":\"scan\",\"force\":true,"
    "\"tenant\":\"contoso\",\"registry\":\"contoso.azurecr.io\",\"repository\":\"team/web\","
    "\"digest\":\"" DA "\",\"index_digest\":\"" DB "\","
    "\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\",\"variant\":\"v8\"},"
    "\"refs\":[{\"registry\":\"contoso.azurecr.io\",\"repository\":\"team/"
    "api\",\"tags\":[\"1.0\"]},"
    "{\"registry\":\"contoso.azurecr.io\",\"repository\":\"team/"
    "web\",\"tags\":[\"1.4\",\"latest\"]}],"
    "\"batch_id\":\"b-1\",\"requested_at\":\"2026-11-27T10:00:00Z\"}";

static void test_request_roundtrip(void)
{
    rs_scan_request r, d;
    rs_refs refs = {0};
    fill_request(&r, &refs);
    char *json = NULL;
    RS_CHECK_INT(rs_scan_request_encode(&r, &json), 0);
    RS_REQUIRE(json != NULL);
    RS_CHECK_STR(json, expected_request);

    char errstr[256] = "";
    RS_CHECK_INT(rs_scan_request_decode(json, strlen(json), &d, errstr, sizeof errstr), 0);
    RS_CHECK_STR(errstr, "");
    RS_CHECK_STR(d.mode, "scan");
    RS_CHECK_INT(d.force, 1);
    RS_CHECK_STR(d.tenant, "contoso");
    RS_CHECK_STR(d.registry, "contoso.azurecr.io");
    RS_CHECK_STR(d.repository, "team/web");
    RS_CHECK_STR(d.digest, DA);
    RS_CHECK_STR(d.index_digest, DB);
    RS_CHECK_STR(d.platform.os, "linux");
    RS_CHECK_STR(d.platform.architecture, "arm64");
    RS_CHECK_STR(d.platform.variant, "v8");
    RS_CHECK_STR(d.platform.os_version, "");
    RS_REQUIRE(d.refs.n == 2);
    RS_CHECK_STR(d.refs.items[0].repository, "team/api");
    RS_REQUIRE(d.refs.items[1].n_tags == 2);
    RS_CHECK_STR(d.refs.items[1].tags[0], "1.4");
    RS_CHECK_STR(d.refs.items[1].tags[1], "latest");
    RS_CHECK_STR(d.batch_id, "b-1");
    RS_CHECK_STR(d.requested_at, "2026-11-27T10:00:00Z");
    char *again = NULL;
    RS_CHECK_INT(rs_scan_request_encode(&d, &again), 0);
    RS_CHECK_STR(again, json);
    free(again);
    rs_scan_request_free(&d);
    RS_CHECK(d.tenant == NULL);
    free(json);

    /* minimal request: optional fields absent, rematch without force */
    memset(&r, 0, sizeof r);
    r.mode = "rematch";
    r.tenant = "t";
    r.registry = "127.0.0.1:5000";
    r.repository = "busybox";
    snprintf(r.digest, sizeof r.digest, "%s", DB);
    RS_CHECK_INT(rs_scan_request_encode(&r, &json), 0);
    RS_CHECK_STR(json,
                 "{\"schema\":\"regscan.scan-request/v1\",\"mode\":\"rematch\",\"force\":false,"
                 "\"tenant\":\"t\",\"registry\":\"127.0.0.1:5000\",\"repository\":\"busybox\","
                 "\"digest\":\"" DB "\",\"platform\":{},\"refs\":[]}");
    RS_CHECK_INT(rs_scan_request_decode(json, strlen(json), &d, errstr, sizeof errstr), 0);
    RS_CHECK_STR(d.mode, "rematch");
    RS_CHECK_INT(d.force, 0);
    RS_CHECK_STR(d.index_digest, "");
    RS_CHECK_INT(d.refs.n, 0);
    RS_CHECK(d.batch_id == NULL);
    rs_scan_request_free(&d);
    free(json);

    /* the encoder refuses what the decoder would refuse */
    r.mode = "index";
    RS_CHECK_INT(rs_scan_request_encode(&r, &json), RS_ERR_INVALID);
    RS_CHECK(json == NULL);
    r.mode = "scan";
    r.digest[7] = 'X';
    RS_CHECK_INT(rs_scan_request_encode(&r, &json), RS_ERR_INVALID);
    rs_refs_clear(&refs);
    RS_CHECK(refs.items == NULL);
}

/* A valid request with one field replaced by `field_json` (a "key":value
 * text, or "" to drop `drop`). */
static char *variant(const char *drop, const char *field_json)
{
    static char buf[8192];
    const char *fields[][2] = {
        {"schema", "\"schema\":\"regscan.scan-request/v1\""},
        {"mode", "\"mode\":\"scan\""},
        {"tenant", "\"tenant\":\"contoso\""},
        {"registry", "\"registry\":\"r.example.test\""},
        {"repository", "\"repository\":\"team/web\""},
        {"digest", "\"digest\":\"" DA "\""},
    };
    size_t w = 0;
    w += (size_t)snprintf(buf + w, sizeof buf - w, "{");
    int first = 1;
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
        if (drop && !strcmp(drop, fields[i][0]))
            continue;
        w += (size_t)snprintf(buf + w, sizeof buf - w, "%s%s", first ? "" : ",", fields[i][1]);
        first = 0;
    }
    if (field_json && *field_json)
        w += (size_t)snprintf(buf + w, sizeof buf - w, "%s%s", first ? "" : ",", field_json);
    snprintf(buf + w, sizeof buf - w, "}");
    return buf;
}

/* Total tags of a decoded or built refs list. */
static size_t count_tags(const rs_refs *r)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n; i++)
        n += r->items[i].n_tags;
    return n;
}

/* A request for a digest with more tags than RS_REFS_MAX_TAGS decodes, lists
 * the first RS_REFS_MAX_TAGS valid tags and counts the others exactly. */
static void test_request_refs_cap(void)
{
    rs_scan_request r, d;
    rs_refs refs = {0};
    char tag[16], errstr[256] = "";
    fill_request(&r, &refs);
    rs_refs_clear(&refs);
    for (int i = 0; i < 150; i++) {
        snprintf(tag, sizeof tag, "t%03d", i);
        RS_CHECK_INT(rs_refs_add(&refs, "r.example.test", "team/web", tag), 0);
    }
    r.refs = refs;
    char *json = NULL;
    RS_CHECK_INT(rs_scan_request_encode(&r, &json), 0);
    RS_REQUIRE(json != NULL);
    RS_CHECK(strstr(json, "\"tags\":[\"t000\",\"t001\",") != NULL);
    RS_CHECK(strstr(json, "\"t100\"") == NULL);
    RS_CHECK(strstr(json, "\"t099\"]}],\"refs_omitted\":50,\"batch_id\"") != NULL);
    RS_CHECK_INT(rs_scan_request_decode(json, strlen(json), &d, errstr, sizeof errstr), 0);
    RS_CHECK_STR(errstr, "");
    RS_CHECK_INT(count_tags(&d.refs), 100);
    RS_CHECK_INT(d.refs.omitted, 50);
    RS_REQUIRE(d.refs.n == 1 && d.refs.items[0].n_tags == 100);
    RS_CHECK_STR(d.refs.items[0].tags[99], "t099");
    /* re-encoding a decoded request keeps the count */
    char *again = NULL;
    RS_CHECK_INT(rs_scan_request_encode(&d, &again), 0);
    RS_CHECK_STR(again, json);
    free(again);
    rs_scan_request_free(&d);
    free(json);
    rs_refs_clear(&refs);

    /* two repositories, a tag the decoder would reject, a count carried in:
     * api lists its 30 valid tags, web 70 of 90; omitted 7 + 1 + 20 */
    for (int i = 0; i < 30; i++) {
        snprintf(tag, sizeof tag, "a%02d", i);
        RS_CHECK_INT(rs_refs_add(&refs, "r.example.test", "team/api", tag), 0);
    }
    RS_CHECK_INT(rs_refs_add(&refs, "r.example.test", "team/api", "-bad"), 0);
    for (int i = 0; i < 90; i++) {
        snprintf(tag, sizeof tag, "w%02d", i);
        RS_CHECK_INT(rs_refs_add(&refs, "r.example.test", "team/web", tag), 0);
    }
    RS_CHECK_INT(rs_refs_add(&refs, "bad host", "team/x", "1"), 0);
    refs.omitted = 7;
    r.refs = refs;
    RS_CHECK_INT(rs_scan_request_encode(&r, &json), 0);
    RS_REQUIRE(json != NULL);
    RS_CHECK_INT(rs_scan_request_decode(json, strlen(json), &d, errstr, sizeof errstr), 0);
    RS_REQUIRE(d.refs.n == 2);
    RS_CHECK_STR(d.refs.items[0].repository, "team/api");
    RS_CHECK_INT(d.refs.items[0].n_tags, 30);
    RS_CHECK_STR(d.refs.items[1].repository, "team/web");
    RS_CHECK_INT(d.refs.items[1].n_tags, 70);
    RS_CHECK_STR(d.refs.items[1].tags[69], "w69");
    RS_CHECK_INT(d.refs.omitted, 7 + 1 + 20 + 1);
    rs_scan_request_free(&d);
    free(json);
    rs_refs_clear(&refs);
    RS_CHECK_INT(refs.omitted, 0);

    /* refs_omitted is read leniently: a count, never a reason to reject */
    struct {
        const char *field;
        size_t want;
    } lenient[] = {{"\"refs_omitted\":12", 12}, {"\"refs_omitted\":0", 0},
                   {"\"refs_omitted\":-5", 0},  {"\"refs_omitted\":\"x\"", 0},
                   {"\"refs_omitted\":1.5", 0}, {"\"refs_omitted\":null", 0}};
    for (size_t i = 0; i < sizeof lenient / sizeof *lenient; i++) {
        const char *v = variant(NULL, lenient[i].field);
        RS_CHECK_INT(rs_scan_request_decode(v, strlen(v), &d, errstr, sizeof errstr), 0);
        RS_CHECK_INT(d.refs.omitted, lenient[i].want);
        rs_scan_request_free(&d);
    }
}

static void check_decode_error(const char *data, size_t len, const char *expected, int line)
{
    rs_scan_request d;
    char errstr[512] = "";
    int rc = rs_scan_request_decode(data, len, &d, errstr, sizeof errstr);
    if (rc != RS_ERR_INVALID || strcmp(errstr, expected)) {
        rs_test_failed++;
        fprintf(stderr, "line %d: rc %d, errstr \"%s\", expected \"%s\"\n", line, rc, errstr,
                expected);
    } else {
        rs_test_passed++;
    }
    rs_scan_request_free(&d);
}

static void check_decode_prefix(const char *data, size_t len, const char *prefix, int line)
{
    rs_scan_request d;
    char errstr[512] = "";
    int rc = rs_scan_request_decode(data, len, &d, errstr, sizeof errstr);
    if (rc != RS_ERR_INVALID || strncmp(errstr, prefix, strlen(prefix))) {
        rs_test_failed++;
        fprintf(stderr, "line %d: rc %d, errstr \"%s\", expected prefix \"%s\"\n", line, rc, errstr,
                prefix);
    } else {
        rs_test_passed++;
    }
    rs_scan_request_free(&d);
}

#define BAD(drop, field, expected)                                                                 \
    do {                                                                                           \
        const char *v_ = variant(drop, field);                                                     \
        check_decode_error(v_, strlen(v_), "invalid scan request: " expected, __LINE__);           \
    } while (0)

static void test_request_errors(void)
{
    /* the base of every variant is valid */
    rs_scan_request d;
    char errstr[256];
    const char *ok = variant(NULL, "");
    RS_CHECK_INT(rs_scan_request_decode(ok, strlen(ok), &d, errstr, sizeof errstr), 0);
    rs_scan_request_free(&d);

    BAD("schema", "", "'schema' is not 'regscan.scan-request/v1'");
    BAD("schema", "\"schema\":\"regscan.scan-request/v2\"",
        "'schema' is not 'regscan.scan-request/v1'");
    BAD("mode", "", "'mode' is not scan or rematch");
    BAD("mode", "\"mode\":\"index\"", "'mode' is not scan or rematch");
    BAD("mode", "\"mode\":1", "'mode' is not scan or rematch");
    BAD(NULL, "\"force\":\"yes\"", "'force' is not a boolean");
    BAD("tenant", "", "'tenant' is missing");
    BAD("tenant", "\"tenant\":null", "'tenant' is missing");
    BAD("tenant", "\"tenant\":7", "'tenant' is not a string");
    BAD("tenant", "\"tenant\":\"\"", "'tenant': empty");
    BAD("tenant", "\"tenant\":\"a:b\"", "'tenant': bad character");
    BAD("tenant",
        "\"tenant\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"",
        "'tenant': too long"); /* 65 characters */
    BAD("registry", "", "'registry' is missing");
    BAD("registry", "\"registry\":\"r.example.test/x\"", "'registry': bad character");
    BAD("repository", "\"repository\":\"team web\"", "'repository': bad character");
    BAD("repository", "\"repository\":\"/team\"", "'repository': bad path");
    BAD("repository", "\"repository\":\"a//b\"", "'repository': bad path");
    BAD("repository", "\"repository\":\"team/web:1\"", "'repository': bad character");
    BAD("digest", "", "'digest' is missing");
    BAD("digest",
        "\"digest\":\"sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"",
        "'digest' is not a sha256 digest");
    BAD("digest", "\"digest\":\"sha512:aa\"", "'digest' is not a sha256 digest");
    BAD("digest", "\"digest\":\"" DA "a\"", "'digest' is not a sha256 digest");
    BAD(NULL, "\"index_digest\":\"sha256:\"", "'index_digest' is not a sha256 digest");
    BAD(NULL, "\"platform\":[]", "'platform' is not an object");
    BAD(NULL, "\"platform\":{\"os\":\"linuxlinuxlinuxlinuxlinuxlinuxli\"}",
        "'platform.os' is not a short name"); /* 32 characters */
    BAD(NULL, "\"platform\":{\"architecture\":\"arm 64\"}",
        "'platform.architecture' is not a short name");
    BAD(NULL, "\"refs\":{}", "'refs' is not an array");
    BAD(NULL, "\"refs\":[{\"registry\":\"r\",\"repository\":\"x\"}]",
        "'refs[0]' needs registry, repository, tags");
    BAD(NULL, "\"refs\":[{\"registry\":\"r\",\"repository\":\"x\",\"tags\":[\"1\",\"a b\"]}]",
        "'refs[0].tags[1]' is not a tag");
    BAD(NULL, "\"refs\":[{\"registry\":\"r\",\"repository\":\"x\",\"tags\":[\".1\"]}]",
        "'refs[0].tags[0]' is not a tag");
    BAD(NULL, "\"refs\":[{\"registry\":\"r\",\"repository\":\"x y\",\"tags\":[]}]",
        "'refs[0].repository' is malformed");
    BAD(NULL, "\"refs\":[{\"registry\":\"\",\"repository\":\"x\",\"tags\":[]}]",
        "'refs[0].registry' is malformed");
    BAD(NULL, "\"batch_id\":\"a\\u0001b\"", "'batch_id': bad character");
    BAD(NULL, "\"batch_id\":5", "'batch_id' is not a string");

    /* a tag longer than 128 characters */
    char big[512];
    char tag[140];
    memset(tag, 'a', 129);
    tag[129] = '\0';
    snprintf(big, sizeof big,
             "\"refs\":[{\"registry\":\"r\",\"repository\":\"x\",\"tags\":[\"%s\"]}]", tag);
    BAD(NULL, big, "'refs[0].tags[0]' is not a tag");

    /* not JSON, not UTF-8, NUL inside a string, not an object, duplicate keys */
    check_decode_prefix("{\"schema\":", 10, "invalid scan request: not JSON (", __LINE__);
    const char latin1[] = "{\"schema\":\"regscan.scan-request/v1\",\"tenant\":\"caf\xe9\"}";
    check_decode_prefix(latin1, strlen(latin1), "invalid scan request: not JSON (", __LINE__);
    const char nul[] = "{\"tenant\":\"a\\u0000b\"}";
    check_decode_prefix(nul, strlen(nul), "invalid scan request: not JSON (", __LINE__);
    check_decode_error("[1]", 3, "invalid scan request: not an object", __LINE__);
    const char dup[] = "{\"mode\":\"scan\",\"mode\":\"rematch\"}";
    check_decode_prefix(dup, strlen(dup), "invalid scan request: not JSON (duplicate object key",
                        __LINE__);
    check_decode_prefix("", 0, "invalid scan request: not JSON (", __LINE__);

    /* oversized message */
    size_t n = RS_REQUEST_MAX_BYTES + 1;
    char *huge = malloc(n);
    RS_REQUIRE(huge != NULL);
    memset(huge, ' ', n);
    huge[0] = '{';
    huge[n - 1] = '}';
    check_decode_error(huge, n, "invalid scan request: 1048577 bytes, more than 1048576", __LINE__);
    free(huge);

    /* too many tags over all refs */
    size_t cap = 16 * 16500 + 1024;
    char *many = malloc(cap);
    RS_REQUIRE(many != NULL);
    size_t w = (size_t)snprintf(many, cap, "%s", variant(NULL, ""));
    w--; /* drop the closing brace */
    w += (size_t)snprintf(many + w, cap - w,
                          ",\"refs\":[{\"registry\":\"r\",\"repository\":\"x\",\"tags\":[");
    for (int i = 0; i < RS_REQUEST_MAX_TAGS + 1; i++)
        w += (size_t)snprintf(many + w, cap - w, "%s\"t%d\"", i ? "," : "", i);
    w += (size_t)snprintf(many + w, cap - w, "]}]}");
    check_decode_error(many, w, "invalid scan request: 'refs': more than 16384 tags", __LINE__);
    free(many);
}

static void test_ids(void)
{
    char id[65], id2[65];
    rs_report_id("contoso", DA, "regscan-0.1.0", 42, "pol-1", id);
    /* sha256 of "contoso\0<digest>\0regscan-0.1.0\042\0pol-1\0", computed with Python hashlib */
    RS_CHECK_STR(id, "9a59b59804d46d8025b9c2660d4e5ca9464bc7537060ca6aa32dd14d4c0b333e");
    rs_report_id("contoso", DA, "regscan-0.1.0", 42, "pol-1", id2);
    RS_CHECK_STR(id, id2);
    rs_report_id("contoso", DA, "regscan-0.1.0", 0, NULL, id2);
    RS_CHECK_STR(id2, "438f63359d58ea9d1488c9fbae34eb9cf0006c0e56e3c6a4e2761a7682d8ae85");
    rs_report_id("contoso", DA, "regscan-0.1.0", 0, "", id);
    RS_CHECK_STR(id, id2);
    /* moving a character across the separator changes the id */
    rs_report_id("contos", DA, "oregscan-0.1.0", 0, NULL, id);
    RS_CHECK(strcmp(id, id2) != 0);
    rs_report_id("contoso", DA, "regscan-0.1.0", 43, "pol-1", id);
    RS_CHECK(strcmp(id, "9a59b59804d46d8025b9c2660d4e5ca9464bc7537060ca6aa32dd14d4c0b333e") != 0);

    char a[37], b[37];
    RS_CHECK_INT(rs_scan_id_new(a), 0);
    RS_CHECK_INT(rs_scan_id_new(b), 0);
    RS_CHECK_INT(strlen(a), 36);
    RS_CHECK(strcmp(a, b) != 0);
    RS_CHECK(a[8] == '-' && a[13] == '-' && a[18] == '-' && a[23] == '-');
    RS_CHECK(a[14] == '4');
    RS_CHECK(strchr("89ab", a[19]) != NULL);
    size_t hex = strspn(a, "0123456789abcdef-");
    RS_CHECK_INT(hex, 36);
}

static rs_inventory *sample_inventory(void)
{
    rs_inventory *inv = rs_inventory_new();
    RS_REQUIRE(inv != NULL);
    snprintf(inv->os.id, sizeof inv->os.id, "debian");
    snprintf(inv->os.version_id, sizeof inv->os.version_id, "12");
    snprintf(inv->os.pretty_name, sizeof inv->os.pretty_name, "Debian GNU/Linux 12 (bookworm)");
    inv->os.found = 1;
    RS_CHECK_INT(rs_inventory_add_layer(inv, DB), 0);
    rs_pkg p = {0};
    p.type = "dpkg";
    p.ecosystem = "Debian:12";
    p.name = "libc6";
    p.version = "2.36-9+deb12u4";
    p.source_name = "glibc";
    p.purl = "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?distro=debian-12";
    p.path = "/var/lib/dpkg/status";
    p.layer = DB;
    RS_CHECK_INT(rs_inventory_add(inv, &p), 0);
    p.name = "zlib1g";
    p.version = "1:1.2.13.dfsg-1";
    p.source_name = "zlib";
    p.source_version = "1.2.13.dfsg-1";
    p.purl = "pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?distro=debian-12";
    RS_CHECK_INT(rs_inventory_add(inv, &p), 0);
    return inv;
}

static void sample_meta(rs_report_meta *m, rs_refs *refs, rs_platform *plat)
{
    memset(m, 0, sizeof *m);
    memset(plat, 0, sizeof *plat);
    snprintf(plat->os, sizeof plat->os, "linux");
    snprintf(plat->architecture, sizeof plat->architecture, "amd64");
    RS_CHECK_INT(rs_refs_add(refs, "contoso.azurecr.io", "team/web", "1.4"), 0);
    m->tenant = "contoso";
    m->registry = "contoso.azurecr.io";
    m->repository = "team/web";
    m->digest = DA;
    m->refs = refs;
    m->platform = plat;
    m->analyzer_version = "regscan-0.1.0";
    m->vulndb_version = 42;
    m->policy_version = "pol-1";
    m->worker = "w-1";
    m->scan_id = "0b5c4f56-93a4-4f07-9d3c-2b1f8d7c6e10";
    m->scanned_at = "2026-11-27T10:00:05Z";
    m->pull_ms = 120;
    m->analyze_ms = 30;
    m->match_ms = 4;
    m->total_ms = 160;
}

static void test_reports(void)
{
    rs_inventory *inv = sample_inventory();
    rs_report_meta m;
    rs_refs refs = {0};
    rs_platform plat;
    sample_meta(&m, &refs, &plat);

    json_t *rep = rs_report_build(&m, inv);
    RS_REQUIRE(rep != NULL);
    char *s = json_dumps(rep, JSON_COMPACT);
    const char *expected = read_text("message/report_ok.json");
    RS_REQUIRE(expected != NULL);
    RS_CHECK_STR(s, expected);
    free(s);
    json_decref(rep);

    /* error report: no inventory, os null, error object, no vulndb */
    m.status = RS_REPORT_ERROR;
    m.error_code = "MANIFEST_UNKNOWN";
    m.error_message = "manifest 'team/web@sha256:aaaa…' not found";
    m.vulndb_version = 0;
    m.policy_version = NULL;
    rep = rs_report_build(&m, NULL);
    RS_REQUIRE(rep != NULL);
    RS_CHECK_STR(json_string_value(json_object_get(rep, "status")), "error");
    json_t *err = json_object_get(rep, "error");
    RS_CHECK_STR(json_string_value(json_object_get(err, "code")), "MANIFEST_UNKNOWN");
    RS_CHECK_STR(json_string_value(json_object_get(err, "message")), m.error_message);
    RS_CHECK(json_is_null(json_object_get(rep, "os")));
    RS_CHECK(json_is_null(json_object_get(rep, "vulndb_version")));
    RS_CHECK(json_is_null(json_object_get(rep, "policy_version")));
    RS_CHECK_INT(json_integer_value(json_object_get(json_object_get(rep, "summary"), "packages")),
                 0);
    char id[65];
    rs_report_id("contoso", DA, "regscan-0.1.0", 0, NULL, id);
    RS_CHECK_STR(json_string_value(json_object_get(rep, "report_id")), id);
    json_decref(rep);

    /* inventory message: same header, packages from rs_pkg_to_json */
    m.status = RS_REPORT_OK;
    m.vulndb_version = 42;
    m.policy_version = "pol-1";
    json_t *im = rs_inventory_msg_build(&m, inv);
    RS_REQUIRE(im != NULL);
    RS_CHECK_STR(json_string_value(json_object_get(im, "schema")), "regscan.image-inventory/v1");
    RS_CHECK_STR(json_string_value(json_object_get(im, "report_id")),
                 "9a59b59804d46d8025b9c2660d4e5ca9464bc7537060ca6aa32dd14d4c0b333e");
    RS_CHECK_INT(json_integer_value(json_object_get(im, "part")), 1);
    RS_CHECK_INT(json_integer_value(json_object_get(im, "parts")), 1);
    RS_CHECK_STR(json_string_value(json_object_get(json_object_get(im, "os"), "id")), "debian");
    RS_CHECK_STR(json_string_value(json_array_get(json_object_get(im, "layers"), 0)), DB);
    json_t *pkgs = json_object_get(im, "packages");
    RS_REQUIRE(json_array_size(pkgs) == 2);
    json_t *p1 = json_array_get(pkgs, 1);
    RS_CHECK_STR(json_string_value(json_object_get(p1, "ecosystem")), "Debian:12");
    RS_CHECK_STR(json_string_value(json_object_get(p1, "name")), "zlib1g");
    RS_CHECK_STR(json_string_value(json_object_get(p1, "version")), "1:1.2.13.dfsg-1");
    RS_CHECK_STR(json_string_value(json_object_get(json_object_get(p1, "source"), "name")), "zlib");
    RS_CHECK_STR(json_string_value(json_object_get(json_object_get(p1, "source"), "version")),
                 "1.2.13.dfsg-1");
    RS_CHECK_STR(json_string_value(json_object_get(p1, "path")), "/var/lib/dpkg/status");
    RS_CHECK_STR(json_string_value(json_object_get(p1, "layer")), DB);
    RS_CHECK_STR(json_string_value(json_object_get(p1, "purl")),
                 "pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?distro=debian-12");
    RS_CHECK(json_object_get(im, "refs_omitted") == NULL); /* only when tags were left out */
    json_decref(im);

    /* a digest with 120 tags (and 5 more Redis did not return): both
     * documents list the first 100 and count the other 25 */
    rs_refs_clear(&refs);
    for (int i = 0; i < 120; i++) {
        char tag[16];
        snprintf(tag, sizeof tag, "v%03d", i);
        RS_CHECK_INT(rs_refs_add(&refs, "contoso.azurecr.io", "team/web", tag), 0);
    }
    refs.omitted = 5;
    json_t *docs[2] = {rs_report_build(&m, inv), rs_inventory_msg_build(&m, inv)};
    for (int k = 0; k < 2; k++) {
        RS_REQUIRE(docs[k] != NULL);
        json_t *r0 = json_array_get(json_object_get(docs[k], "refs"), 0);
        RS_CHECK_INT(json_array_size(json_object_get(docs[k], "refs")), 1);
        RS_CHECK_INT(json_array_size(json_object_get(r0, "tags")), 100);
        RS_CHECK_STR(json_string_value(json_array_get(json_object_get(r0, "tags"), 99)), "v099");
        RS_CHECK_INT(json_integer_value(json_object_get(docs[k], "refs_omitted")), 25);
        json_decref(docs[k]);
    }
    rs_refs_clear(&refs);
    rs_inventory_free(inv);
}

/* A report-like document with n_v vulnerabilities and n_s secrets of about
 * `size` bytes each. */
static json_t *big_doc(size_t n_v, size_t n_s, size_t size)
{
    json_t *o = json_pack("{s:s, s:s, s:i, s:i, s:{s:i}}", "schema", "regscan.image-report/v1",
                          "report_id", "r", "part", 1, "parts", 1, "summary", "packages", 7);
    json_t *v = json_array(), *s = json_array();
    char *pad = malloc(size + 1);
    memset(pad, 'x', size);
    pad[size] = '\0';
    for (size_t i = 0; i < n_v; i++)
        json_array_append_new(v, json_pack("{s:I, s:s}", "n", (json_int_t)i, "pad", pad));
    for (size_t i = 0; i < n_s; i++)
        json_array_append_new(s, json_pack("{s:I, s:s}", "n", (json_int_t)(1000 + i), "pad", pad));
    free(pad);
    json_object_set_new(o, "vulnerabilities", v);
    json_object_set_new(o, "secrets", s);
    json_object_set_new(o, "policy", json_pack("{s:s}", "verdict", "pass"));
    return o;
}

static const char *const split_keys[] = {"vulnerabilities", "secrets", "misconfigurations", NULL};

static void test_split(void)
{
    char errstr[256] = "";
    char **parts = NULL;
    size_t n = 0;

    /* fits: one part, exactly the compact document */
    json_t *small = big_doc(2, 1, 10);
    RS_CHECK_INT(rs_message_split(small, split_keys, 1000, &parts, &n, errstr, sizeof errstr), 0);
    RS_REQUIRE(n == 1);
    char *whole = json_dumps(small, JSON_COMPACT);
    RS_CHECK_STR(parts[0], whole);
    free(whole);
    rs_message_parts_free(parts, n);
    json_decref(small);

    /* 100 + 30 elements of ~120 bytes into parts of at most 1500 bytes */
    json_t *doc = big_doc(100, 30, 100);
    const size_t max = 1500;
    RS_CHECK_INT(rs_message_split(doc, split_keys, max, &parts, &n, errstr, sizeof errstr), 0);
    RS_CHECK(n > 10);
    json_int_t next_v = 0, next_s = 1000;
    for (size_t i = 0; i < n; i++) {
        RS_CHECK(strlen(parts[i]) <= max);
        json_t *p = json_loads(parts[i], 0, NULL);
        RS_REQUIRE(p != NULL);
        RS_CHECK_INT(json_integer_value(json_object_get(p, "part")), i + 1);
        RS_CHECK_INT(json_integer_value(json_object_get(p, "parts")), n);
        RS_CHECK_STR(json_string_value(json_object_get(p, "report_id")), "r");
        RS_CHECK_INT(json_integer_value(json_object_get(json_object_get(p, "summary"), "packages")),
                     7);
        RS_CHECK_STR(json_string_value(json_object_get(json_object_get(p, "policy"), "verdict")),
                     "pass");
        json_t *v = json_object_get(p, "vulnerabilities"), *s = json_object_get(p, "secrets");
        RS_CHECK(json_is_array(v) && json_is_array(s));
        RS_CHECK(json_array_size(v) + json_array_size(s) > 0);
        for (size_t k = 0; k < json_array_size(v); k++)
            RS_CHECK_INT(json_integer_value(json_object_get(json_array_get(v, k), "n")), next_v++);
        for (size_t k = 0; k < json_array_size(s); k++)
            RS_CHECK_INT(json_integer_value(json_object_get(json_array_get(s, k), "n")), next_s++);
        /* the absent array stays absent */
        RS_CHECK(json_object_get(p, "misconfigurations") == NULL);
        json_decref(p);
    }
    RS_CHECK_INT(next_v, 100); /* every element exactly once, in order */
    RS_CHECK_INT(next_s, 1030);

    /* deterministic */
    char **again = NULL;
    size_t n2 = 0;
    RS_CHECK_INT(rs_message_split(doc, split_keys, max, &again, &n2, errstr, sizeof errstr), 0);
    RS_CHECK_INT(n2, n);
    for (size_t i = 0; i < n && i < n2; i++)
        RS_CHECK_STR(again[i], parts[i]);
    rs_message_parts_free(again, n2);
    rs_message_parts_free(parts, n);

    /* the split document is untouched */
    RS_CHECK_INT(json_array_size(json_object_get(doc, "vulnerabilities")), 100);
    RS_CHECK_INT(json_integer_value(json_object_get(doc, "parts")), 1);
    json_decref(doc);

    /* one element too large for any part */
    doc = big_doc(5, 0, 100);
    json_t *v = json_object_get(doc, "vulnerabilities");
    char pad[3001];
    memset(pad, 'y', 3000);
    pad[3000] = '\0';
    json_object_set_new(json_array_get(v, 3), "pad", json_string(pad));
    parts = (char **)1;
    RS_CHECK_INT(rs_message_split(doc, split_keys, max, &parts, &n, errstr, sizeof errstr),
                 RS_ERR_LIMIT_EXCEEDED);
    RS_CHECK(parts == NULL);
    RS_CHECK_INT(n, 0);
    RS_CHECK(strstr(errstr, "'vulnerabilities[3]' alone needs") != NULL);
    json_decref(doc);

    /* nothing to split */
    doc = big_doc(0, 0, 0);
    json_object_set_new(doc, "report_id", json_string(pad));
    RS_CHECK_INT(rs_message_split(doc, split_keys, max, &parts, &n, errstr, sizeof errstr),
                 RS_ERR_LIMIT_EXCEEDED);
    RS_CHECK(strstr(errstr, "it has no array to split") != NULL);
    /* the fields besides the arrays alone are too large */
    json_array_append_new(json_object_get(doc, "secrets"), json_integer(1));
    RS_CHECK_INT(rs_message_split(doc, split_keys, max, &parts, &n, errstr, sizeof errstr),
                 RS_ERR_LIMIT_EXCEEDED);
    RS_CHECK(strstr(errstr, "its fields besides the arrays are too large") != NULL);
    json_decref(doc);

    json_t *arr = json_array();
    RS_CHECK_INT(rs_message_split(arr, split_keys, max, &parts, &n, errstr, sizeof errstr),
                 RS_ERR_INVALID);
    json_decref(arr);

    /* a real report split: parts stay valid reports carrying the header */
    rs_inventory *inv = sample_inventory();
    rs_report_meta m;
    rs_refs refs = {0};
    rs_platform plat;
    sample_meta(&m, &refs, &plat);
    json_t *im = rs_inventory_msg_build(&m, inv);
    const char *keys[] = {"packages", NULL};
    RS_CHECK_INT(rs_message_split(im, keys, 1300, &parts, &n, errstr, sizeof errstr), 0);
    RS_CHECK_INT(n, 2);
    for (size_t i = 0; i < n; i++) {
        json_t *p = json_loads(parts[i], 0, NULL);
        RS_CHECK_STR(json_string_value(json_object_get(p, "digest")), DA);
        RS_CHECK_INT(json_array_size(json_object_get(p, "packages")), 1);
        json_decref(p);
    }
    rs_message_parts_free(parts, n);
    json_decref(im);
    rs_refs_clear(&refs);
    rs_inventory_free(inv);
}

#define FFFD "\xEF\xBF\xBD"

/* Text that is not UTF-8 anywhere a report or an inventory message takes a
 * string (an error from a registry, a path, an OS field cut upstream)
 * gives a document with U+FFFD, never none; flags are written. */
static void test_reports_invalid_utf8(void)
{
    rs_inventory *inv = sample_inventory();
    snprintf(inv->os.pretty_name, sizeof inv->os.pretty_name, "Debian \xC3");
    inv->os.text_replaced = 1;
    free(inv->pkgs[0].name);
    inv->pkgs[0].name = strdup("libc6\xFF");
    inv->pkgs[0].text_replaced = 1;
    rs_report_meta m;
    rs_refs refs = {0};
    rs_platform plat;
    sample_meta(&m, &refs, &plat);
    RS_CHECK_INT(rs_refs_add(&refs, "contoso.azurecr.io", "team/web", "t\xE2\x82"), 0);
    snprintf(plat.variant, sizeof plat.variant, "v\xF4\x90\x80\x80");
    m.repository = "team/w\xED\x62"; /* ED then "b" */
    m.status = RS_REPORT_ERROR;
    m.error_code = "INVALID";
    m.error_message = "invalid layer 'tar': cannot read 'etc/\xFF\xFE'";
    json_t *rep = rs_report_build(&m, inv);
    RS_REQUIRE(rep != NULL);
    RS_CHECK_STR(json_string_value(json_object_get(json_object_get(rep, "error"), "message")),
                 "invalid layer 'tar': cannot read 'etc/" FFFD FFFD "'");
    RS_CHECK_STR(json_string_value(json_object_get(rep, "repository")), "team/w" FFFD "b");
    RS_CHECK_STR(json_string_value(json_object_get(json_object_get(rep, "platform"), "variant")),
                 "v" FFFD FFFD FFFD FFFD);
    char *tags = json_dumps(
        json_object_get(json_array_get(json_object_get(rep, "refs"), 0), "tags"), JSON_COMPACT);
    /* a tag the request decoder would refuse is left out and counted, as in requests */
    RS_CHECK_STR(tags, "[\"1.4\"]");
    RS_CHECK_INT(json_integer_value(json_object_get(rep, "refs_omitted")), 1);
    free(tags);
    json_t *os = json_object_get(rep, "os");
    RS_CHECK_STR(json_string_value(json_object_get(os, "pretty_name")), "Debian " FFFD);
    char *flags = json_dumps(json_object_get(os, "flags"), JSON_COMPACT);
    RS_CHECK_STR(flags, "[\"invalid-utf8\"]");
    free(flags);
    json_decref(rep);

    json_t *im = rs_inventory_msg_build(&m, inv);
    RS_REQUIRE(im != NULL);
    json_t *pkgs = json_object_get(im, "packages");
    RS_CHECK_STR(json_string_value(json_object_get(json_array_get(pkgs, 0), "name")), "libc6" FFFD);
    flags = json_dumps(json_object_get(json_array_get(pkgs, 0), "flags"), JSON_COMPACT);
    RS_CHECK_STR(flags, "[\"invalid-utf8\"]");
    free(flags);
    RS_CHECK(json_object_get(json_array_get(pkgs, 1), "flags") == NULL);
    char *text = json_dumps(im, JSON_COMPACT);
    RS_CHECK(text != NULL);
    free(text);
    json_decref(im);
    rs_refs_clear(&refs);
    rs_inventory_free(inv);
}

int main(void)
{
    test_request_roundtrip();
    test_request_errors();
    test_request_refs_cap();
    test_ids();
    test_reports();
    test_reports_invalid_utf8();
    test_split();
    return RS_TEST_RESULT();
}
