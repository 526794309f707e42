/* fuzz_osv.c - libFuzzer target for rs_osv_parse: OSV records from osv.dev
 * exports and directories are untrusted JSON. A parsed record goes through its
 * compact snapshot form (rs_osv_to_json) and must parse again to the same
 * form; every affected entry is evaluated against its own fixed and listed
 * versions with its ecosystem's scheme, as the matcher would. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "match.h"

static void evaluate_all(const rs_osv_record *r)
{
    for (size_t i = 0; i < r->n_affected; i++) {
        const rs_osv_affected *a = &r->affected[i];
        const rs_version_scheme *s = rs_version_scheme_for_ecosystem(a->ecosystem);
        if (!s)
            continue; /* the database drops such entries (unknown_ecosystem) */
        const char *fixed[16];
        size_t nf = rs_osv_fixed_versions(a, fixed, 16);
        rs_osv_eval ev;
        for (size_t k = 0; k < nf && k < 16; k++)
            rs_osv_evaluate(a, s, fixed[k], &ev);
        for (size_t k = 0; k < a->n_versions && k < 16; k++)
            rs_osv_evaluate(a, s, a->versions[k], &ev);
        rs_osv_evaluate(a, s, "0", &ev);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char errstr[256];
    json_t *j = json_loadb((const char *)data, size, 0, NULL);
    rs_osv_record *r = NULL, *again = NULL;
    json_t *enc = NULL, *enc2 = NULL;
    if (!j || rs_osv_parse(j, &r, errstr, sizeof errstr) != 0)
        goto out;
    evaluate_all(r);
    if (!(enc = rs_osv_to_json(r)))
        goto out;
    if (rs_osv_parse(enc, &again, errstr, sizeof errstr) != 0)
        abort(); /* the snapshot form must read back */
    if (!(enc2 = rs_osv_to_json(again)) || !json_equal(enc, enc2))
        abort();
out:
    json_decref(enc2);
    json_decref(enc);
    rs_osv_record_free(again);
    rs_osv_record_free(r);
    json_decref(j);
    return 0;
}
