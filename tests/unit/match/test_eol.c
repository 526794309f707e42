#include "match.h"
#include "rs_test.h"

static rs_os os_of(const char *id, const char *version)
{
    rs_os o;
    memset(&o, 0, sizeof o);
    snprintf(o.id, sizeof o.id, "%s", id);
    snprintf(o.version_id, sizeof o.version_id, "%s", version);
    o.found = 1;
    return o;
}

int main(void)
{
    char date[11];
    int eol = -1;
    rs_os o = os_of("debian", "9");
    RS_CHECK_INT(rs_eol_lookup(&o, "2026-11-27", date, &eol), 1);
    RS_CHECK_STR(date, "2022-06-30");
    RS_CHECK_INT(eol, 1);
    o = os_of("debian", "12.4");
    RS_CHECK_INT(rs_eol_lookup(&o, "2026-11-27", date, &eol), 1);
    RS_CHECK_STR(date, "2028-06-30");
    RS_CHECK_INT(eol, 0);
    RS_CHECK_INT(rs_eol_lookup(&o, "2028-06-30", date, &eol), 1);
    RS_CHECK_INT(eol, 0); /* the last day is still supported */
    RS_CHECK_INT(rs_eol_lookup(&o, "2028-07-01", date, &eol), 1);
    RS_CHECK_INT(eol, 1);
    o = os_of("alpine", "3.18.4");
    RS_CHECK_INT(rs_eol_lookup(&o, "2026-11-27", date, &eol), 1);
    RS_CHECK_STR(date, "2025-05-09");
    RS_CHECK_INT(eol, 1);
    o = os_of("alpine", "3.22.1");
    RS_CHECK_INT(rs_eol_lookup(&o, "2026-11-27", date, &eol), 1);
    RS_CHECK_INT(eol, 0);
    o = os_of("ubuntu", "20.04");
    RS_CHECK_INT(rs_eol_lookup(&o, "2026-11-27", date, &eol), 1);
    RS_CHECK_STR(date, "2025-05-31");
    RS_CHECK_INT(eol, 1);
    o = os_of("ubuntu", "22.04");
    RS_CHECK_INT(rs_eol_lookup(&o, "2026-11-27", date, &eol), 1);
    RS_CHECK_INT(eol, 0);
    o = os_of("debian", "99");
    RS_CHECK_INT(rs_eol_lookup(&o, "2026-11-27", date, &eol), 0);
    RS_CHECK_STR(date, "");
    RS_CHECK_INT(eol, 0);
    o = os_of("fedora", "39");
    RS_CHECK_INT(rs_eol_lookup(&o, "2026-11-27", date, &eol), 1);
    RS_CHECK_STR(date, "2024-11-26");
    RS_CHECK_INT(eol, 1);
    o = os_of("opensuse-tumbleweed", "20240101");
    RS_CHECK_INT(rs_eol_lookup(&o, NULL, date, &eol), 0);
    o.found = 0;
    RS_CHECK_INT(rs_eol_lookup(&o, NULL, date, &eol), 0);
    return RS_TEST_RESULT();
}
