/* fuzz_policy.c - libFuzzer target for the policy reader and OpenVEX
 * documents (common/policy): the input is parsed as a policy (its VEX
 * files, named relative to a folder that does not exist, fail to load), then
 * as an OpenVEX document added to an empty policy, which is applied to a
 * fixed report: statements, purl comparison and the verdict. */
#include <stddef.h>
#include <stdint.h>

#include "policy.h"
#include "policy_int.h"

#define DIGEST "sha256:1111111111111111111111111111111111111111111111111111111111111111"

static json_t *sample_report(void)
{
    return json_pack("{s:{s:i}, s:[{s:s, s:[s], s:[s], s:s, s:s, s:s, s:s, s:b, s:s, s:s}],"
                     " s:[{s:s, s:s, s:s}], s:[{s:s, s:s}]}",
                     "summary", "packages", 1, "vulnerabilities", "id", "GHSA-aaaa", "aliases",
                     "CVE-2021-0001", "upstream", "CVE-2021-0001", "package", "left-pad", "purl",
                     "pkg:npm/%40scope/left-pad@1.0?x=y", "installed_version", "1.0", "severity",
                     "high", "fixable", 1, "path", "/app/x", "match", "affected", "secrets",
                     "rule", "aws-access-key-id", "severity", "critical", "path", "/app/.env",
                     "misconfigurations", "id", "RS-CFG-ROOT", "severity", "high");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    rs_policy *p = NULL;
    if (rs_policy_parse((const char *)data, size, "/nonexistent", &p, err, sizeof err) == 0) {
        json_t *r = sample_report();
        rs_policy_apply(p, DIGEST, NULL, 1798761600, r);
        json_decref(r);
        rs_policy_free(p);
    }
    p = NULL;
    if (rs_policy_parse("{\"fail_on\": {\"vulnerability_severity\": \"low\"}}", 47, NULL, &p, err,
                        sizeof err) != 0)
        return 0;
    if (rs_vex_parse(p, "fuzz.json", (const char *)data, size, err, sizeof err) == 0) {
        json_t *r = sample_report();
        rs_policy_apply(p, DIGEST, NULL, 1798761600, r);
        json_decref(r);
    }
    rs_policy_free(p);
    return 0;
}
