/* fuzz_scan_request.c - libFuzzer target for rs_scan_request_decode: Kafka
 * messages are untrusted bytes. A request that decodes must encode, and its
 * encoding must decode again (anything else aborts: a codec disagreement). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char errstr[256];
    rs_scan_request req, again;
    char *json = NULL;
    int rc = rs_scan_request_decode(data, size, &req, errstr, sizeof errstr);
    if (rc == 0) {
        if (rs_scan_request_encode(&req, &json) != 0)
            abort();
        if (rs_scan_request_decode(json, strlen(json), &again, errstr, sizeof errstr) != 0)
            abort();
        rs_scan_request_free(&again);
    }
    free(json);
    rs_scan_request_free(&req);
    return 0;
}
