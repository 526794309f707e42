#include "base.h"
#include "rs_test.h"

static int drain(rs_reader *r, char *errstr, size_t errsz)
{
    char chunk[3];
    for (;;) {
        ssize_t got = rs_reader_read(r, chunk, sizeof chunk, errstr, errsz);
        if (got <= 0)
            return (int)got;
    }
}

int main(void)
{
    char errstr[512];
    const char *text = "hello world";
    char good[RS_DIGEST_SIZE];
    rs_sha256_digest(text, strlen(text), good);
    RS_CHECK_STR(good, "sha256:b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9");
    RS_CHECK(rs_digest_valid(good));
    RS_CHECK(!rs_digest_valid("sha256:B94D"));
    RS_CHECK(!rs_digest_valid(
        "sha512:b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"));

    rs_reader *r = rs_reader_verify_new(rs_reader_mem_new(text, strlen(text)), good, 0, "t");
    RS_CHECK_INT(drain(r, errstr, sizeof errstr), 0);
    RS_CHECK_INT(rs_reader_verify_count(r), 11);
    rs_reader_destroy(r);

    const char *bad = "sha256:0000000000000000000000000000000000000000000000000000000000000000";
    r = rs_reader_verify_new(rs_reader_mem_new(text, strlen(text)), bad, 0, "layer-x");
    RS_CHECK_INT(drain(r, errstr, sizeof errstr), RS_ERR_DIGEST_MISMATCH);
    RS_CHECK(strstr(errstr, "digest mismatch for 'layer-x'") != NULL);
    rs_reader_destroy(r);

    r = rs_reader_verify_new(rs_reader_mem_new(text, strlen(text)), good, 5, "big");
    RS_CHECK_INT(drain(r, errstr, sizeof errstr), RS_ERR_LIMIT_EXCEEDED);
    rs_reader_destroy(r);

    char *all = NULL;
    size_t len = 0;
    r = rs_reader_mem_new(text, strlen(text));
    RS_CHECK_INT(rs_reader_slurp(r, 100, &all, &len, errstr, sizeof errstr), 0);
    RS_CHECK_STR(all, "hello world");
    free(all);
    rs_reader_destroy(r);
    r = rs_reader_mem_new(text, strlen(text));
    RS_CHECK_INT(rs_reader_slurp(r, 4, &all, &len, errstr, sizeof errstr), RS_ERR_LIMIT_EXCEEDED);
    rs_reader_destroy(r);

    char red[256];
    rs_log_redact_url("https://user:pw@blob.example/path/x?sig=SECRET&se=1", red, sizeof red);
    RS_CHECK_STR(red, "https://blob.example/path/x");
    return RS_TEST_RESULT();
}
