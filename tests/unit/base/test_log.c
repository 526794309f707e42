/* test_log.c - log lines whose message quotes bytes that are not UTF-8 or
 * control characters: a JSON line is still written (U+FFFD), a text line
 * shows controls as '?'. stderr goes to a temporary file. */
#include "base.h"
#include "rs_test.h"

#include <unistd.h>

/* Logs one error line in `format` and returns what reached stderr. */
static char *log_line(const char *format, const char *msg, char *buf, size_t size)
{
    FILE *tmp = tmpfile();
    RS_REQUIRE(tmp != NULL);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    RS_REQUIRE(saved >= 0 && dup2(fileno(tmp), STDERR_FILENO) >= 0);
    RS_REQUIRE(rs_log_init("t", format, "info") == 0);
    rs_log(RS_LOG_ERROR, "cannot read '%s'", msg);
    fflush(stderr);
    RS_REQUIRE(dup2(saved, STDERR_FILENO) >= 0);
    close(saved);
    rewind(tmp);
    size_t n = fread(buf, 1, size - 1, tmp);
    buf[n] = '\0';
    fclose(tmp);
    return buf;
}

int main(void)
{
    char buf[1024];
    const char *line = log_line("json", "etc/\xFF\x1B[31m", buf, sizeof buf);
    const char *msg = strstr(line, "\"msg\":");
    RS_CHECK_STR(msg, "\"msg\":\"cannot read 'etc/\xEF\xBF\xBD\\u001B[31m'\"}\n");
    line = log_line("text", "a\xFF\x1B[31m\nforged line\xC2\x9B", buf, sizeof buf);
    msg = strstr(line, " t: ");
    RS_CHECK_STR(msg, " t: cannot read 'a\xEF\xBF\xBD?[31m?forged line?'\n");
    return RS_TEST_RESULT();
}
