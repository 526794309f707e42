/* test_findings.c - secrets and misconfigurations as the index stage leaves
 * them in the inventory: they survive its JSON form (the `inv:` cache, which a
 * rematch reads alone), an entry cached before they existed decodes with
 * none, malformed ones are refused, and a report built from the inventory
 * lists them and counts them in its summary. */
#include "base.h"
#include "report.h"
#include "rs_test.h"

static rs_inventory *sample(void)
{
    rs_inventory *inv = rs_inventory_new();
    RS_REQUIRE(inv);
    RS_REQUIRE(rs_inventory_add_layer(inv, "sha256:aa") == 0);
    RS_REQUIRE(rs_inventory_add_layer(inv, "sha256:bb") == 0);
    rs_secret s = {.rule = "aws-access-key-id", .severity = "critical",
                   .title = "AWS access key ID", .path = "/app/.env", .line = 2,
                   .match = "AKIA****", .layer = "sha256:aa", .deleted_in_layer = "sha256:bb"};
    RS_REQUIRE(rs_secrets_add(&inv->secrets, &s) == 0);
    rs_secret c = {.rule = "generic-password", .severity = "medium", .title = "Password",
                   .path = "config:Env", .line = 1, .match = "PASSWORD=****"};
    RS_REQUIRE(rs_secrets_add(&inv->secrets, &c) == 0);
    RS_REQUIRE(rs_misconfigs_add(&inv->misconfigs, "root-user", "high", "runs as root",
                                 "config.User is not set", "4.1") == 0);
    RS_REQUIRE(rs_misconfigs_add(&inv->misconfigs, "sshd-installed", "medium", "sshd",
                                 "/usr/sbin/sshd", NULL) == 0);
    rs_inventory_finish(inv);
    return inv;
}

static void test_round_trip(void)
{
    rs_inventory *inv = sample(), *back = NULL;
    char err[256] = "";
    json_t *j = rs_inventory_to_json(inv);
    RS_REQUIRE(j);
    char *s = json_dumps(j, JSON_COMPACT);
    json_t *again = json_loads(s, 0, NULL);
    RS_CHECK_INT(rs_inventory_from_json(again, &back, err, sizeof err), 0);
    RS_REQUIRE(back);
    RS_REQUIRE(back->secrets.n == 2 && back->misconfigs.n == 2);
    /* sorted by path: "/app/.env" before "config:Env" */
    RS_CHECK_STR(back->secrets.items[0].rule, "aws-access-key-id");
    RS_CHECK_STR(back->secrets.items[0].deleted_in_layer, "sha256:bb");
    RS_CHECK_INT(back->secrets.items[0].line, 2);
    RS_CHECK_STR(back->secrets.items[1].path, "config:Env");
    RS_CHECK(back->secrets.items[1].layer == NULL);
    RS_CHECK_STR(back->misconfigs.items[0].id, "root-user");
    RS_CHECK_STR(back->misconfigs.items[0].cis, "4.1");
    RS_CHECK(back->misconfigs.items[1].cis == NULL);
    json_t *j2 = rs_inventory_to_json(back);
    RS_CHECK(json_equal(j, j2));
    json_decref(j2);
    json_decref(again);
    free(s);
    json_decref(j);
    rs_inventory_free(back);
    rs_inventory_free(inv);
}

static void test_old_and_bad(void)
{
    char err[256] = "";
    rs_inventory *inv = NULL;
    json_t *old = json_loads("{\"os\":{\"id\":\"debian\",\"version_id\":\"12\"},\"layers\":[],"
                             "\"packages\":[]}",
                             0, NULL);
    RS_CHECK_INT(rs_inventory_from_json(old, &inv, err, sizeof err), 0);
    RS_REQUIRE(inv);
    RS_CHECK_INT(inv->secrets.n, 0);
    RS_CHECK_INT(inv->misconfigs.n, 0);
    rs_inventory_free(inv);
    static const char *const bad[] = {
        "\"secrets\":{}", "\"secrets\":[{\"rule\":\"x\"}]",
        "\"secrets\":[{\"rule\":\"x\",\"severity\":\"low\",\"path\":\"/a\",\"line\":-1,\"match\":\"m\"}]",
        "\"misconfigurations\":[{\"id\":1,\"severity\":\"low\"}]", "\"misconfigurations\":\"x\"",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char doc[512];
        snprintf(doc, sizeof doc, "{\"layers\":[],\"packages\":[],%s}", bad[i]);
        json_t *j = json_loads(doc, 0, NULL);
        RS_REQUIRE(j);
        inv = NULL;
        RS_CHECK_INT(rs_inventory_from_json(j, &inv, err, sizeof err), RS_ERR_INVALID);
        RS_CHECK(inv == NULL);
        json_decref(j);
    }
    json_decref(old);
}

static void test_report(void)
{
    rs_inventory *inv = sample();
    rs_report_meta m;
    char id[40], when[32];
    rs_report_meta_init(&m, "t", "r", "repo", "sha256:cc", "v", 3, "w", id, when);
    json_t *r = rs_report_build(&m, inv);
    RS_REQUIRE(r);
    json_t *sum = json_object_get(r, "summary");
    RS_CHECK_INT(json_integer_value(json_object_get(sum, "secrets")), 2);
    RS_CHECK_INT(json_integer_value(json_object_get(sum, "misconfigurations")), 2);
    json_t *s0 = json_array_get(json_object_get(r, "secrets"), 0);
    RS_CHECK_STR(json_string_value(json_object_get(s0, "match")), "AKIA****");
    RS_CHECK_STR(json_string_value(json_object_get(s0, "deleted_in_layer")), "sha256:bb");
    json_t *m1 = json_array_get(json_object_get(r, "misconfigurations"), 1);
    RS_CHECK_STR(json_string_value(json_object_get(m1, "id")), "sshd-installed");
    RS_CHECK(json_is_null(json_object_get(m1, "cis")));
    json_decref(r);
    /* an error report has empty sections */
    r = rs_report_build(&m, NULL);
    RS_CHECK_INT(json_array_size(json_object_get(r, "secrets")), 0);
    RS_CHECK_INT(json_integer_value(json_object_get(json_object_get(r, "summary"), "secrets")), 0);
    json_decref(r);
    rs_inventory_free(inv);
}

int main(void)
{
    test_round_trip();
    test_old_and_bad();
    test_report();
    printf("%d passed, %d failed\n", rs_test_passed, rs_test_failed);
    return rs_test_failed != 0;
}
