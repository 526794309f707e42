/* test_osv.c - OSV records: the boundaries of every real record in
 * tests/data/osv/records (tests/data/osv/boundaries.tsv, made by
 * tests/versions/gen_boundaries.py with the reference comparators), the
 * evaluation rules on hand-written ranges, parsing, keys and the compact form. */
#include "base.h"
#include "match.h"
#include "rs_test.h"

#include <jansson.h>

/* Parses a record from its path under tests/data/osv/records. */
static rs_osv_record *load_record(const char *rel)
{
    char rp[512], path[1024], err[512] = "";
    snprintf(rp, sizeof rp, "osv/records/%s", rel);
    rs_test_data(rp, path, sizeof path);
    json_error_t jerr;
    json_t *j = json_load_file(path, 0, &jerr);
    if (!j) {
        fprintf(stderr, "%s: %s\n", path, jerr.text);
        return NULL;
    }
    rs_osv_record *r = NULL;
    if (rs_osv_parse(j, &r, err, sizeof err) != 0)
        fprintf(stderr, "%s: %s\n", path, err);
    json_decref(j);
    return r;
}

/* Parses a record written in the test. */
static rs_osv_record *parse_str(const char *text)
{
    json_error_t jerr;
    json_t *j = json_loads(text, 0, &jerr);
    if (!j) {
        fprintf(stderr, "bad test JSON: %s: %s\n", jerr.text, text);
        return NULL;
    }
    rs_osv_record *r = NULL;
    char err[512] = "";
    if (rs_osv_parse(j, &r, err, sizeof err) != 0)
        fprintf(stderr, "parse: %s\n", err);
    json_decref(j);
    return r;
}

static rs_affected_state eval(const rs_osv_affected *a, const char *v)
{
    rs_osv_eval ev;
    rs_osv_evaluate(a, rs_version_scheme_for_ecosystem(a->ecosystem), v, &ev);
    return ev.state;
}

/* Any affected entry of r says yes for version v. */
static int any_yes(const rs_osv_record *r, const char *v)
{
    int yes = 0;
    for (size_t i = 0; i < r->n_affected; i++)
        yes |= eval(&r->affected[i], v) == RS_AFFECTED_YES;
    return yes;
}

#define CHECK_EVAL(a, v, want)                                                                     \
    do {                                                                                           \
        rs_affected_state got_ = eval((a), (v));                                                   \
        if (got_ != (want))                                                                        \
            fprintf(stderr, "evaluate '%s' on %s/%s\n", (v), (a)->ecosystem, (a)->name);           \
        RS_CHECK_INT(got_, (want));                                                                \
    } while (0)

/* Every row of boundaries.tsv: record, affected index, version, yes/no. */
static void test_boundaries(void)
{
    char path[1024];
    FILE *f = fopen(rs_test_data("osv/boundaries.tsv", path, sizeof path), "r");
    RS_REQUIRE(f != NULL);
    char line[2048], cur[512] = "";
    rs_osv_record *r = NULL;
    long rows = 0, yes = 0, records = 0;
    const char *ecos[16];
    size_t n_ecos = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        line[strcspn(line, "\n")] = '\0';
        char *field[5] = {0};
        char *p = line;
        for (int i = 0; i < 5 && p; i++) {
            field[i] = p;
            p = strchr(p, '\t');
            if (p)
                *p++ = '\0';
        }
        RS_REQUIRE(field[3] != NULL);
        if (strcmp(cur, field[0]) != 0) {
            rs_osv_record_free(r);
            snprintf(cur, sizeof cur, "%s", field[0]);
            r = load_record(cur);
            RS_REQUIRE(r != NULL);
            records++;
        }
        size_t ai = (size_t)strtoul(field[1], NULL, 10);
        RS_REQUIRE(ai < r->n_affected);
        const rs_osv_affected *a = &r->affected[ai];
        const rs_version_scheme *s = rs_version_scheme_for_ecosystem(a->ecosystem);
        RS_REQUIRE(s != NULL);
        int seen = 0;
        for (size_t k = 0; k < n_ecos; k++)
            seen |= !strcmp(ecos[k], s->name);
        if (!seen && n_ecos < 16)
            ecos[n_ecos++] = s->name;
        rs_osv_eval ev;
        rs_osv_evaluate(a, s, field[2], &ev);
        rs_affected_state want = !strcmp(field[3], "yes") ? RS_AFFECTED_YES : RS_AFFECTED_NO;
        if (ev.state != want)
            fprintf(stderr, "%s affected[%zu] '%s' (%s): got %d, want %s\n", cur, ai, field[2],
                    field[4] ? field[4] : "", (int)ev.state, field[3]);
        RS_CHECK_INT(ev.state, want);
        RS_CHECK_INT(ev.git_ranges_skipped, 0);
        rows++;
        yes += want == RS_AFFECTED_YES;
    }
    fclose(f);
    rs_osv_record_free(r);
    /* every record of tests/data/osv/records and every ordering they use */
    RS_CHECK_INT(records, 26);
    RS_CHECK_INT(n_ecos, 7);
    RS_CHECK_INT(rows, 454);
    RS_CHECK_INT(yes, 244);
}

/* introduced "0", last_affected, limit, versions lists. */
static void test_events(void)
{
    rs_osv_record *r = parse_str(
        "{\"id\":\"T-1\",\"affected\":["
        "{\"package\":{\"ecosystem\":\"PyPI\",\"name\":\"a\"},\"ranges\":[{\"type\":\"ECOSYSTEM\","
        "\"events\":[{\"introduced\":\"0\"},{\"fixed\":\"1.0\"}]}]},"
        "{\"package\":{\"ecosystem\":\"npm\",\"name\":\"b\"},\"ranges\":[{\"type\":\"ECOSYSTEM\","
        "\"events\":[{\"introduced\":\"1.0.0\"},{\"last_affected\":\"1.2.3\"}]}]},"
        "{\"package\":{\"ecosystem\":\"npm\",\"name\":\"c\"},\"ranges\":[{\"type\":\"ECOSYSTEM\","
        "\"events\":[{\"introduced\":\"1.0.0\"},{\"limit\":\"1.5.0\"}]}]},"
        "{\"package\":{\"ecosystem\":\"npm\",\"name\":\"d\"},\"ranges\":[{\"type\":\"ECOSYSTEM\","
        "\"events\":[{\"introduced\":\"1.0.0\"},{\"limit\":\"*\"}]}]},"
        "{\"package\":{\"ecosystem\":\"Maven\",\"name\":\"g:e\"},\"versions\":[\"1.0\",\"2.0.1\"]},"
        "{\"package\":{\"ecosystem\":\"npm\",\"name\":\"f\"},\"ranges\":[{\"type\":\"ECOSYSTEM\","
        "\"events\":[{\"introduced\":\"2.0.0\"},{\"fixed\":\"2.1.0\"},{\"introduced\":\"0\"},"
        "{\"fixed\":\"1.5.0\"}]}]},"
        "{\"package\":{\"ecosystem\":\"npm\",\"name\":\"g\"},\"ranges\":[{\"type\":\"ECOSYSTEM\","
        "\"events\":[{\"introduced\":\"1.0.0\"},{\"fixed\":\"1.1.0\"},{\"limit\":\"1.0.5\"}]}]}"
        "]}");
    RS_REQUIRE(r != NULL && r->n_affected == 7);
    const rs_osv_affected *a = r->affected;
    /* introduced "0": everything below the fix, whatever its form */
    CHECK_EVAL(&a[0], "0", RS_AFFECTED_YES);
    CHECK_EVAL(&a[0], "0.0.0.dev0", RS_AFFECTED_YES);
    CHECK_EVAL(&a[0], "1!0.1", RS_AFFECTED_NO); /* epoch 1 sorts above 1.0 */
    CHECK_EVAL(&a[0], "1.0rc1", RS_AFFECTED_YES);
    CHECK_EVAL(&a[0], "1.0.0", RS_AFFECTED_NO);
    /* last_affected: at it is affected, above it is not */
    CHECK_EVAL(&a[1], "0.9.9", RS_AFFECTED_NO);
    CHECK_EVAL(&a[1], "1.0.0", RS_AFFECTED_YES);
    CHECK_EVAL(&a[1], "1.2.3", RS_AFFECTED_YES);
    CHECK_EVAL(&a[1], "1.2.3+build", RS_AFFECTED_YES);
    CHECK_EVAL(&a[1], "1.2.4-0", RS_AFFECTED_NO);
    CHECK_EVAL(&a[1], "1.2.4", RS_AFFECTED_NO);
    /* limit: the range ends below the limit */
    CHECK_EVAL(&a[2], "1.0.0", RS_AFFECTED_YES);
    CHECK_EVAL(&a[2], "1.4.99", RS_AFFECTED_YES);
    CHECK_EVAL(&a[2], "1.5.0", RS_AFFECTED_NO);
    CHECK_EVAL(&a[2], "3.0.0", RS_AFFECTED_NO);
    CHECK_EVAL(&a[2], "0.1.0", RS_AFFECTED_NO);
    CHECK_EVAL(&a[3], "99.0.0", RS_AFFECTED_YES);
    CHECK_EVAL(&a[3], "0.9.0", RS_AFFECTED_NO);
    /* versions list: equal in the ecosystem's order (Maven 1.0 == 1.0.0) */
    CHECK_EVAL(&a[4], "1.0", RS_AFFECTED_YES);
    CHECK_EVAL(&a[4], "1.0.0", RS_AFFECTED_YES);
    CHECK_EVAL(&a[4], "2.0.1", RS_AFFECTED_YES);
    CHECK_EVAL(&a[4], "2.0", RS_AFFECTED_NO);
    CHECK_EVAL(&a[4], "1.5", RS_AFFECTED_NO);
    /* events out of order are sorted first */
    CHECK_EVAL(&a[5], "1.0.0", RS_AFFECTED_YES);
    CHECK_EVAL(&a[5], "1.5.0", RS_AFFECTED_NO);
    CHECK_EVAL(&a[5], "1.9.9", RS_AFFECTED_NO);
    CHECK_EVAL(&a[5], "2.0.5", RS_AFFECTED_YES);
    CHECK_EVAL(&a[5], "2.1.0", RS_AFFECTED_NO);
    /* a limit below the fix cuts the range short */
    CHECK_EVAL(&a[6], "1.0.4", RS_AFFECTED_YES);
    CHECK_EVAL(&a[6], "1.0.5", RS_AFFECTED_NO);
    CHECK_EVAL(&a[6], "1.0.9", RS_AFFECTED_NO);
    const char *fx[4];
    RS_CHECK_INT(rs_osv_fixed_versions(&a[5], fx, 4), 2);
    RS_CHECK_STR(fx[0], "2.1.0");
    RS_CHECK_STR(fx[1], "1.5.0");
    RS_CHECK_INT(rs_osv_fixed_versions(&a[5], fx, 1), 1);
    RS_CHECK_INT(rs_osv_fixed_versions(&a[1], fx, 4), 0);
    rs_osv_record_free(r);
}

/* Several affected entries for one package: qs, log4j-core, Django. */
static void test_several_entries(void)
{
    rs_osv_record *qs = load_record("npm/GHSA-hrpp-h998-j3pp.json");
    rs_osv_record *l1 = load_record("Maven/GHSA-jfh8-c2jp-5v3q.json");
    rs_osv_record *l2 = load_record("Maven/GHSA-7rjr-3q55-vv33.json");
    rs_osv_record *dj = load_record("PyPI/GHSA-jh3w-4vvf-mjgr.json");
    RS_REQUIRE(qs && l1 && l2 && dj);
    RS_CHECK_INT(qs->n_affected, 9);
    RS_CHECK_INT(any_yes(qs, "6.5.2"), 1);
    CHECK_EVAL(&qs->affected[5], "6.5.2", RS_AFFECTED_YES);
    CHECK_EVAL(&qs->affected[6], "6.5.2", RS_AFFECTED_NO);
    RS_CHECK_INT(any_yes(qs, "6.5.3"), 0);
    RS_CHECK_INT(any_yes(qs, "6.2.3"), 1);
    RS_CHECK_INT(any_yes(qs, "6.2.4"), 0);
    RS_CHECK_INT(any_yes(qs, "6.3.0"), 1);
    RS_CHECK_INT(any_yes(qs, "6.10.3"), 0);
    RS_CHECK_INT(any_yes(qs, "6.11.0"), 0);
    /* Log4Shell: 2.3.1 and 2.12.2 fixed, 2.14.1 not, 2.15.0 fixed; 45046 up to 2.16.0 */
    RS_CHECK_INT(any_yes(l1, "2.0-beta9"), 1);
    RS_CHECK_INT(any_yes(l1, "2.3.1"), 0);
    RS_CHECK_INT(any_yes(l1, "2.3.2"), 0);
    RS_CHECK_INT(any_yes(l1, "2.4"), 1);
    RS_CHECK_INT(any_yes(l1, "2.12.1"), 1);
    RS_CHECK_INT(any_yes(l1, "2.12.2"), 0);
    RS_CHECK_INT(any_yes(l1, "2.14.1"), 1);
    RS_CHECK_INT(any_yes(l1, "2.15.0"), 0);
    RS_CHECK_INT(any_yes(l2, "2.15.0"), 1);
    RS_CHECK_INT(any_yes(l2, "2.16.0"), 0);
    RS_CHECK_INT(any_yes(l2, "2.12.3"), 0);
    /* Django: 3.2.x below 3.2.20, 4.0 and 4.1 below 4.1.10, 4.2 below 4.2.3 */
    RS_CHECK_INT(any_yes(dj, "3.1.14"), 0);
    RS_CHECK_INT(any_yes(dj, "3.2.19"), 1);
    RS_CHECK_INT(any_yes(dj, "3.2.20"), 0);
    RS_CHECK_INT(any_yes(dj, "4.0"), 1);
    RS_CHECK_INT(any_yes(dj, "4.1.9"), 1);
    RS_CHECK_INT(any_yes(dj, "4.1.10"), 0);
    RS_CHECK_INT(any_yes(dj, "4.2rc1"), 0);
    RS_CHECK_INT(any_yes(dj, "4.2.2"), 1);
    RS_CHECK_INT(any_yes(dj, "5.0"), 0);
    rs_osv_record_free(qs);
    rs_osv_record_free(l1);
    rs_osv_record_free(l2);
    rs_osv_record_free(dj);
}

/* SEMVER versus ECOSYSTEM ranges, GIT ranges, empty ranges. */
static void test_range_types(void)
{
    rs_osv_record *r = parse_str(
        "{\"id\":\"T-2\",\"affected\":["
        "{\"package\":{\"ecosystem\":\"Debian:12\",\"name\":\"a\"},\"ranges\":[{\"type\":"
        "\"SEMVER\",\"events\":[{\"introduced\":\"0\"},{\"fixed\":\"1.0.0\"}]}]},"
        "{\"package\":{\"ecosystem\":\"Debian:12\",\"name\":\"a\"},\"ranges\":[{\"type\":"
        "\"ECOSYSTEM\",\"events\":[{\"introduced\":\"0\"},{\"fixed\":\"1.0.0\"}]}]},"
        "{\"package\":{\"ecosystem\":\"npm\",\"name\":\"b\"},\"ranges\":["
        "{\"type\":\"GIT\",\"repo\":\"https://example.invalid/b\",\"events\":[{\"introduced\":"
        "\"0\"},{\"fixed\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}]},"
        "{\"type\":\"ECOSYSTEM\",\"events\":[{\"introduced\":\"1.0.0\"},{\"fixed\":\"1.0.2\"}]},"
        "{\"type\":\"GIT\",\"repo\":\"https://example.invalid/b\",\"events\":[{\"introduced\":"
        "\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\"}]}]},"
        "{\"package\":{\"ecosystem\":\"npm\",\"name\":\"c\"},\"ranges\":[{\"type\":\"ECOSYSTEM\","
        "\"events\":[{\"introduced\":\"1.0.0\"},{\"fixed\":\"1.0.0\"}]}]},"
        "{\"package\":{\"ecosystem\":\"npm\",\"name\":\"d\"},\"ranges\":[{\"type\":\"ECOSYSTEM\","
        "\"events\":[{\"fixed\":\"1.0.0\"},{\"introduced\":\"1.0.0\"}]}]},"
        "{\"package\":{\"ecosystem\":\"Go\",\"name\":\"example.com/m\"},\"ranges\":[{\"type\":"
        "\"SEMVER\",\"events\":[{\"introduced\":\"1.2.0\"},{\"fixed\":\"1.2.5\"}]}]}"
        "]}");
    RS_REQUIRE(r != NULL && r->n_affected == 6);
    const rs_osv_affected *a = r->affected;
    RS_CHECK_INT(a[0].ranges[0].type, RS_RANGE_SEMVER);
    RS_CHECK_INT(a[1].ranges[0].type, RS_RANGE_ECOSYSTEM);
    /* "1.0.0-rc.1" is a prerelease below 1.0.0 in SemVer, a revision above it in dpkg */
    CHECK_EVAL(&a[0], "1.0.0-rc.1", RS_AFFECTED_YES);
    CHECK_EVAL(&a[1], "1.0.0-rc.1", RS_AFFECTED_NO);
    CHECK_EVAL(&a[0], "0.9.0", RS_AFFECTED_YES);
    CHECK_EVAL(&a[1], "0.9.0", RS_AFFECTED_YES);
    /* "1.0.0~rc1" is below 1.0.0 in dpkg and no SemVer at all */
    CHECK_EVAL(&a[1], "1.0.0~rc1", RS_AFFECTED_YES);
    CHECK_EVAL(&a[0], "1.0.0~rc1", RS_AFFECTED_UNKNOWN);
    /* GIT ranges are skipped and counted; the ECOSYSTEM range still decides */
    rs_osv_eval ev;
    rs_osv_evaluate(&a[2], &rs_version_semver, "1.0.1", &ev);
    RS_CHECK_INT(ev.state, RS_AFFECTED_YES);
    RS_CHECK_INT(ev.git_ranges_skipped, 1); /* the YES stops before the second GIT range */
    rs_osv_evaluate(&a[2], &rs_version_semver, "1.0.2", &ev);
    RS_CHECK_INT(ev.state, RS_AFFECTED_NO);
    RS_CHECK_INT(ev.git_ranges_skipped, 2);
    const char *fx[4];
    RS_CHECK_INT(rs_osv_fixed_versions(&a[2], fx, 4), 1);
    RS_CHECK_STR(fx[0], "1.0.2");
    /* equal introduced and fixed: an empty range, in either order */
    for (int k = 3; k <= 4; k++) {
        CHECK_EVAL(&a[k], "0.9.0", RS_AFFECTED_NO);
        CHECK_EVAL(&a[k], "1.0.0", RS_AFFECTED_NO);
        CHECK_EVAL(&a[k], "1.0.1", RS_AFFECTED_NO);
    }
    /* Go: SEMVER ranges without "v", installed versions with it */
    CHECK_EVAL(&a[5], "v1.2.0", RS_AFFECTED_YES);
    CHECK_EVAL(&a[5], "v1.2.4", RS_AFFECTED_YES);
    CHECK_EVAL(&a[5], "v1.2.5", RS_AFFECTED_NO);
    CHECK_EVAL(&a[5], "v1.1.9", RS_AFFECTED_NO);
    CHECK_EVAL(&a[5], "v1.2.5-0.20230101000000-abcdefabcdef", RS_AFFECTED_YES);
    rs_osv_record_free(r);
}

/* Versions that cannot be compared give UNKNOWN, never a crash or a silent no. */
static void test_unparseable(void)
{
    rs_osv_record *r = parse_str(
        "{\"id\":\"T-3\",\"affected\":["
        "{\"package\":{\"ecosystem\":\"npm\",\"name\":\"a\"},\"ranges\":[{\"type\":\"ECOSYSTEM\","
        "\"events\":[{\"introduced\":\"0\"},{\"fixed\":\"1.0.0\"}]}]},"
        "{\"package\":{\"ecosystem\":\"npm\",\"name\":\"b\"},\"ranges\":[{\"type\":\"ECOSYSTEM\","
        "\"events\":[{\"introduced\":\"0\"},{\"fixed\":\"banana\"}]}]},"
        "{\"package\":{\"ecosystem\":\"npm\",\"name\":\"c\"},\"ranges\":["
        "{\"type\":\"ECOSYSTEM\",\"events\":[{\"introduced\":\"2.0.0\"},{\"fixed\":\"2.x\"}]},"
        "{\"type\":\"ECOSYSTEM\",\"events\":[{\"introduced\":\"0\"},{\"fixed\":\"1.0.0\"}]}]},"
        "{\"package\":{\"ecosystem\":\"npm\",\"name\":\"d\"},\"ranges\":[{\"type\":\"ECOSYSTEM\","
        "\"events\":[{\"introduced\":\"1.0.0\"},{\"limit\":\"next\"}]}]},"
        "{\"package\":{\"ecosystem\":\"Bitnami\",\"name\":\"e\"},\"ranges\":[{\"type\":"
        "\"ECOSYSTEM\",\"events\":[{\"introduced\":\"0\"},{\"fixed\":\"1.0.0\"}]}]}"
        "]}");
    RS_REQUIRE(r != NULL && r->n_affected == 5);
    const rs_osv_affected *a = r->affected;
    rs_osv_eval ev;
    /* an installed version that is not SemVer */
    rs_osv_evaluate(&a[0], &rs_version_semver, "not-a-version", &ev);
    RS_CHECK_INT(ev.state, RS_AFFECTED_UNKNOWN);
    RS_CHECK_STR(ev.unparsed, "not-a-version");
    rs_osv_evaluate(&a[0], &rs_version_semver, "", &ev);
    RS_CHECK_INT(ev.state, RS_AFFECTED_UNKNOWN);
    /* an event version that is not SemVer */
    rs_osv_evaluate(&a[1], &rs_version_semver, "1.0.0", &ev);
    RS_CHECK_INT(ev.state, RS_AFFECTED_UNKNOWN);
    RS_CHECK_STR(ev.unparsed, "banana");
    /* a bad range does not hide a good one that says yes ... */
    rs_osv_evaluate(&a[2], &rs_version_semver, "0.5.0", &ev);
    RS_CHECK_INT(ev.state, RS_AFFECTED_YES);
    /* ... and makes a no unknown */
    rs_osv_evaluate(&a[2], &rs_version_semver, "2.5.0", &ev);
    RS_CHECK_INT(ev.state, RS_AFFECTED_UNKNOWN);
    RS_CHECK_STR(ev.unparsed, "2.x");
    /* a limit that cannot be compared */
    rs_osv_evaluate(&a[3], &rs_version_semver, "1.5.0", &ev);
    RS_CHECK_INT(ev.state, RS_AFFECTED_UNKNOWN);
    RS_CHECK_STR(ev.unparsed, "next");
    /* an ecosystem without an order: no scheme at all */
    RS_CHECK(rs_version_scheme_for_ecosystem("Bitnami") == NULL);
    rs_osv_evaluate(&a[4], NULL, "0.5.0", &ev);
    RS_CHECK_INT(ev.state, RS_AFFECTED_UNKNOWN);
    /* dpkg and PEP 440 refuse what is not theirs */
    rs_osv_record *d = load_record("Debian/DLA-3008-1.json");
    RS_REQUIRE(d != NULL);
    rs_osv_evaluate(&d->affected[0], &rs_version_dpkg, "1.1.0 l", &ev);
    RS_CHECK_INT(ev.state, RS_AFFECTED_UNKNOWN);
    rs_osv_evaluate(&d->affected[0], &rs_version_dpkg, "a1.0", &ev);
    RS_CHECK_INT(ev.state, RS_AFFECTED_UNKNOWN);
    rs_osv_record_free(d);
    rs_osv_record *py = load_record("PyPI/GHSA-8q59-q68h-6hv4.json");
    RS_REQUIRE(py != NULL);
    rs_osv_evaluate(&py->affected[0], &rs_version_pep440, "5.3-custom build", &ev);
    RS_CHECK_INT(ev.state, RS_AFFECTED_UNKNOWN);
    rs_osv_evaluate(&py->affected[0], &rs_version_pep440, "5.3.1", &ev);
    RS_CHECK_INT(ev.state, RS_AFFECTED_YES);
    rs_osv_record_free(py);
    rs_osv_record_free(r);
}

/* Fields read from real records, and the compact form read back. */
static void test_parse(void)
{
    rs_osv_record *r = load_record("Debian/DLA-3008-1.json");
    RS_REQUIRE(r != NULL);
    RS_CHECK_STR(r->id, "DLA-3008-1");
    RS_CHECK_INT(r->n_aliases, 0);
    RS_CHECK_INT(r->n_upstream, 2);
    RS_CHECK_STR(r->upstream[0], "CVE-2022-1292");
    RS_CHECK_STR(r->upstream[1], "DEBIAN-CVE-2022-1292");
    RS_CHECK(r->cvss3 == NULL);
    RS_CHECK_STR(r->severity, "");
    RS_CHECK_INT(r->n_affected, 1);
    RS_CHECK_STR(r->affected[0].ecosystem, "Debian:9");
    RS_CHECK_STR(r->affected[0].name, "openssl");
    RS_CHECK_STR(r->affected[0].key, "Debian:9\x1fopenssl");
    RS_CHECK_INT(r->affected[0].n_versions, 19);
    rs_osv_record_free(r);

    r = load_record("npm/GHSA-qwcr-r2fm-qrc7.json");
    RS_REQUIRE(r != NULL);
    RS_CHECK_STR(r->cvss3, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H");
    RS_CHECK_STR(r->cvss4, "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N");
    RS_CHECK_STR(r->severity, "high");
    RS_CHECK_INT(r->n_aliases, 1);
    RS_CHECK_STR(r->aliases[0], "CVE-2024-45590");
    rs_osv_record_free(r);

    r = load_record("PyPI/GHSA-j8r2-6x86-q33q.json");
    RS_REQUIRE(r != NULL);
    RS_CHECK_STR(r->severity, "medium"); /* MODERATE */
    rs_osv_record_free(r);

    r = load_record("Ubuntu/UBUNTU-CVE-2024-3094.json");
    RS_REQUIRE(r != NULL);
    RS_CHECK_STR(r->affected[0].key, "Ubuntu:20.04\x1fxz-utils");
    RS_CHECK_STR(r->affected[0].ecosystem, "Ubuntu:20.04:LTS");
    rs_osv_record_free(r);

    /* Go records with zero times and without summary parse */
    r = load_record("Go/GO-2022-1059.json");
    RS_REQUIRE(r != NULL);
    RS_CHECK_INT(r->affected[0].ranges[0].type, RS_RANGE_SEMVER);
    RS_CHECK(strlen(r->summary) > 0);
    /* the compact form reads back to the same record */
    json_t *j = rs_osv_to_json(r);
    RS_REQUIRE(j != NULL);
    rs_osv_record *back = NULL;
    char err[256] = "";
    RS_CHECK_INT(rs_osv_parse(j, &back, err, sizeof err), 0);
    json_decref(j);
    RS_REQUIRE(back != NULL);
    RS_CHECK_STR(back->id, r->id);
    RS_CHECK_STR(back->summary, r->summary);
    RS_CHECK_STR(back->modified, r->modified);
    RS_CHECK_INT(back->n_aliases, r->n_aliases);
    RS_CHECK_INT(back->n_affected, 1);
    RS_CHECK_STR(back->affected[0].key, r->affected[0].key);
    RS_CHECK_INT(back->affected[0].ranges[0].n_events, 2);
    RS_CHECK_STR(back->affected[0].ranges[0].events[1].version, "0.3.8");
    RS_CHECK_INT(back->affected[0].ranges[0].events[1].kind, RS_EV_FIXED);
    CHECK_EVAL(&back->affected[0], "v0.3.7", RS_AFFECTED_YES);
    CHECK_EVAL(&back->affected[0], "v0.3.8", RS_AFFECTED_NO);
    rs_osv_record_free(back);
    rs_osv_record_free(r);

    /* every real record round-trips with its severity inputs */
    r = load_record("Ubuntu/UBUNTU-CVE-2023-38545.json");
    RS_REQUIRE(r != NULL);
    j = rs_osv_to_json(r);
    RS_CHECK_INT(rs_osv_parse(j, &back, err, sizeof err), 0);
    json_decref(j);
    RS_REQUIRE(back != NULL);
    RS_CHECK_STR(back->cvss3, r->cvss3);
    RS_CHECK_STR(back->severity, r->severity);
    RS_CHECK_STR(back->affected[2].severity, r->affected[2].severity);
    RS_CHECK_INT(back->affected[0].n_versions, 20);
    rs_osv_record_free(back);
    rs_osv_record_free(r);
}

/* Severity inputs: the vector's prefix decides its version, not `type`. */
static void test_severity_inputs(void)
{
    rs_osv_record *r = parse_str(
        "{\"id\":\"T-4\",\"severity\":[{\"type\":\"CVSS_V4\",\"score\":"
        "\"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\"},{\"type\":\"CVSS_V2\",\"score\":"
        "\"AV:N/AC:L/Au:N/C:P/I:P/A:P\"}],\"aliases\":[\"T-4\",\"CVE-1\",\"CVE-1\"],"
        "\"affected\":[{\"package\":{\"ecosystem\":\"Debian:11\",\"name\":\"x\"},"
        "\"ecosystem_specific\":{\"urgency\":\"unimportant\"},\"ranges\":[{\"type\":"
        "\"ECOSYSTEM\",\"events\":[{\"introduced\":\"0\"}]}]},"
        "{\"ranges\":[{\"type\":\"GIT\",\"repo\":\"r\",\"events\":[{\"introduced\":\"0\"}]}]}]}");
    RS_REQUIRE(r != NULL);
    RS_CHECK_STR(r->cvss3, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H");
    RS_CHECK(r->cvss4 == NULL);
    RS_CHECK_STR(r->cvss2, "AV:N/AC:L/Au:N/C:P/I:P/A:P");
    RS_CHECK_INT(r->n_aliases, 1); /* itself and the duplicate dropped */
    RS_CHECK_STR(r->aliases[0], "CVE-1");
    RS_CHECK_INT(r->n_affected, 1); /* the entry without a package dropped */
    RS_CHECK_STR(r->affected[0].severity, "negligible");
    CHECK_EVAL(&r->affected[0], "1:99.0-1", RS_AFFECTED_YES);
    rs_osv_record_free(r);
}

/* Malformed records are refused with a message naming the field. */
/* A record without summary or details (or with empty ones) is kept, and its
 * compact form, which writes "summary": "", reads back (fuzz_osv found that
 * the snapshot dropped such records: the empty string was refused). */
static void test_no_summary(void)
{
    const char *texts[] = {
        "{\"id\": \"NOSUM-1\", \"affected\": [{\"package\": {\"ecosystem\": \"npm\", "
        "\"name\": \"a\"}, \"ranges\": [{\"type\": \"ECOSYSTEM\", \"events\": "
        "[{\"introduced\": \"0\"}, {\"fixed\": \"1.0.0\"}]}]}]}",
        "{\"id\": \"NOSUM-2\", \"summary\": \"\", \"details\": \"\", \"affected\": []}",
    };
    for (size_t i = 0; i < 2; i++) {
        char err[256] = "";
        json_t *j = json_loads(texts[i], 0, NULL);
        rs_osv_record *r = NULL, *back = NULL;
        RS_REQUIRE(j != NULL);
        RS_CHECK_INT(rs_osv_parse(j, &r, err, sizeof err), 0);
        RS_REQUIRE(r != NULL);
        RS_CHECK_STR(r->summary, "");
        json_t *c = rs_osv_to_json(r);
        RS_REQUIRE(c != NULL);
        RS_CHECK_STR(json_string_value(json_object_get(c, "summary")), "");
        RS_CHECK_INT(rs_osv_parse(c, &back, err, sizeof err), 0);
        RS_REQUIRE(back != NULL);
        RS_CHECK_STR(back->id, r->id);
        RS_CHECK_INT(back->n_affected, r->n_affected);
        rs_osv_record_free(back);
        rs_osv_record_free(r);
        json_decref(c);
        json_decref(j);
    }
}

static void check_refused(const char *text, const char *needle)
{
    json_t *j = json_loads(text, 0, NULL);
    RS_REQUIRE(j != NULL);
    rs_osv_record *r = (rs_osv_record *)1;
    char err[512] = "";
    RS_CHECK_INT(rs_osv_parse(j, &r, err, sizeof err), RS_ERR_INVALID);
    RS_CHECK(r == NULL);
    if (!strstr(err, needle)) {
        fprintf(stderr, "message lacks \"%s\": %s\n", needle, err);
        RS_CHECK(strstr(err, needle) != NULL);
    }
    json_decref(j);
}

static void test_refused(void)
{
#define PKG "\"package\":{\"ecosystem\":\"npm\",\"name\":\"a\"}"
    check_refused("[]", "not a JSON object");
    check_refused("{\"summary\":\"x\"}", "id");
    check_refused("{\"id\":7}", "id");
    check_refused("{\"id\":\"\"}", "id");
    check_refused("{\"id\":\"X\",\"aliases\":\"CVE-1\"}", "aliases");
    check_refused("{\"id\":\"X\",\"affected\":{}}", "affected");
    check_refused("{\"id\":\"X\",\"affected\":[{\"package\":{\"name\":\"a\"}}]}", "package");
    check_refused("{\"id\":\"X\",\"affected\":[{" PKG ",\"ranges\":[{\"type\":\"ECOSYSTEM\","
                  "\"events\":[{\"introduced\":\"0\",\"fixed\":\"1.0.0\"}]}]}]}",
                  "affected[0].ranges[0].events[0]");
    check_refused("{\"id\":\"X\",\"affected\":[{" PKG ",\"ranges\":[{\"type\":\"SEMVER2\","
                  "\"events\":[{\"introduced\":\"0\"}]}]}]}",
                  "unknown range type");
    check_refused("{\"id\":\"X\",\"affected\":[{" PKG ",\"ranges\":[{\"type\":\"ECOSYSTEM\","
                  "\"events\":[{\"fixed\":\"1.0.0\"}]}]}]}",
                  "no introduced");
    check_refused("{\"id\":\"X\",\"affected\":[{" PKG ",\"ranges\":[{\"type\":\"ECOSYSTEM\","
                  "\"events\":[]}]}]}",
                  "events");
    check_refused("{\"id\":\"X\",\"affected\":[{" PKG ",\"ranges\":[{\"type\":\"ECOSYSTEM\","
                  "\"events\":[{\"introduced\":0}]}]}]}",
                  "events[0]");
    check_refused("{\"id\":\"X\",\"affected\":[{" PKG ",\"versions\":[1]}]}", "versions[0]");
#undef PKG
}

static void check_key(const char *eco, const char *name, const char *want)
{
    char *k = NULL;
    RS_CHECK_INT(rs_osv_key(eco, name, &k), 0);
    RS_CHECK_STR(k, want);
    free(k);
}

static void test_keys(void)
{
    check_key("PyPI", "PyYAML", "PyPI\x1fpyyaml");
    check_key("PyPI", "Django",
              "PyPI\x1f"
              "django");
    check_key("PyPI", "zope.interface", "PyPI\x1fzope-interface");
    check_key("PyPI", "Foo__Bar-._baz",
              "PyPI\x1f"
              "foo-bar-baz");
    check_key("Ubuntu:22.04:LTS", "curl",
              "Ubuntu:22.04\x1f"
              "curl");
    check_key("Ubuntu:23.10", "curl",
              "Ubuntu:23.10\x1f"
              "curl");
    check_key("Debian:9", "openssl", "Debian:9\x1fopenssl");
    check_key("NuGet", "Newtonsoft.Json", "NuGet\x1fnewtonsoft.json");
    check_key("Maven", "org.Apache:Log4j", "Maven\x1forg.Apache:Log4j");
    check_key("npm", "@Scope/Pkg", "npm\x1f@Scope/Pkg");
    char base[32];
    rs_osv_ecosystem_base("Ubuntu:22.04:LTS", base, sizeof base);
    RS_CHECK_STR(base, "Ubuntu");
    rs_osv_ecosystem_base("crates.io", base, sizeof base);
    RS_CHECK_STR(base, "crates.io");
    rs_osv_ecosystem_base("Alpine:v3.18", base, 4);
    RS_CHECK_STR(base, "Alp");
}

int main(void)
{
    test_no_summary();
    test_boundaries();
    test_events();
    test_several_entries();
    test_range_types();
    test_unparseable();
    test_parse();
    test_severity_inputs();
    test_refused();
    test_keys();
    return RS_TEST_RESULT();
}
