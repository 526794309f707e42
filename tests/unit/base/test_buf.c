#include "base.h"
#include "rs_test.h"

int main(void)
{
    rs_buf b = RS_BUF_INIT;
    RS_CHECK_INT(rs_buf_puts(&b, "abc"), 0);
    RS_CHECK_INT(rs_buf_printf(&b, "-%d-%s", 42, "x"), 0);
    RS_CHECK_STR(b.data, "abc-42-x");
    RS_CHECK_INT(b.len, 8);
    rs_buf_reset(&b);
    RS_CHECK_STR(b.data, "");
    b.limit = 4;
    RS_CHECK_INT(rs_buf_puts(&b, "1234"), 0);
    RS_CHECK_INT(rs_buf_puts(&b, "5"), RS_ERR_LIMIT_EXCEEDED);
    RS_CHECK_STR(b.data, "1234");
    char *s = rs_buf_steal(&b);
    RS_CHECK_STR(s, "1234");
    RS_CHECK(b.data == NULL);
    free(s);
    rs_buf_free(&b);
    char *e = rs_buf_steal(&b);
    RS_CHECK_STR(e, "");
    free(e);
    return RS_TEST_RESULT();
}
