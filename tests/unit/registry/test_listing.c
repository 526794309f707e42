/* test_listing.c - the listing guard (listing.c) and the deadline arithmetic and
 * REGSCAN_HTTP_* settings of httppolicy.c. */
#include "base.h"
#include "registry.h"
#include "registry_int.h"
#include "rs_test.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_guard_pages(void)
{
    rs_listing_guard g;
    char why[256], url[64];
    rs_listing_guard_init(&g, 5000);
    /* 5000 distinct pages pass (the set grows past its first 64 slots) */
    for (int i = 0; i < 5000; i++) {
        snprintf(url, sizeof url, "http://r/v2/_catalog?last=%d", i);
        RS_CHECK_INT(rs_listing_guard_page(&g, url, why, sizeof why), 0);
    }
    RS_CHECK_INT(g.pages, 5000);
    RS_CHECK(g.n_slots <= 4 * 5000); /* O(pages) memory */
    /* the cap */
    RS_CHECK_INT(rs_listing_guard_page(&g, "http://r/v2/_catalog?last=new", why, sizeof why),
                 RS_ERR_LIMIT_EXCEEDED);
    RS_CHECK_STR(why, "too many pages (limit 5000)");
    rs_listing_guard_free(&g);

    /* a Link back to any earlier page, not only the last one */
    rs_listing_guard_init(&g, 100);
    RS_CHECK_INT(rs_listing_guard_page(&g, "http://r/a", why, sizeof why), 0);
    RS_CHECK_INT(rs_listing_guard_page(&g, "http://r/b", why, sizeof why), 0);
    RS_CHECK_INT(rs_listing_guard_page(&g, "http://r/c", why, sizeof why), 0);
    RS_CHECK_INT(rs_listing_guard_page(&g, "http://r/a", why, sizeof why), RS_ERR_INVALID);
    RS_CHECK_STR(why, "Link header returns to an earlier page (after 3 pages)");
    rs_listing_guard_free(&g);
}

static uint64_t page_hash(const char *const *names)
{
    uint64_t h = RS_LISTING_HASH_INIT;
    for (; *names; names++)
        h = rs_listing_hash_name(h, *names);
    return h;
}

static void test_guard_names(void)
{
    rs_listing_guard g;
    char why[256];
    static const char *const p1[] = {"a", "bc", NULL}, *const p2[] = {"ab", "c", NULL};
    static const char *const none[] = {NULL};
    rs_listing_guard_init(&g, 100);
    RS_CHECK(page_hash(p1) != page_hash(p2)); /* names are separated */
    RS_CHECK_INT(rs_listing_guard_page(&g, "u1", why, sizeof why), 0);
    RS_CHECK_INT(rs_listing_guard_names(&g, page_hash(p1), 2, why, sizeof why), 0);
    RS_CHECK_INT(rs_listing_guard_page(&g, "u2", why, sizeof why), 0);
    RS_CHECK_INT(rs_listing_guard_names(&g, page_hash(p2), 2, why, sizeof why), 0);
    RS_CHECK_INT(rs_listing_guard_page(&g, "u3", why, sizeof why), 0);
    RS_CHECK_INT(rs_listing_guard_names(&g, page_hash(p2), 2, why, sizeof why), RS_ERR_INVALID);
    RS_CHECK_STR(why, "page 3 repeats the names of the previous page");
    /* empty pages in a row are not a repeat (a registry may end with one) */
    RS_CHECK_INT(rs_listing_guard_names(&g, page_hash(none), 0, why, sizeof why), 0);
    RS_CHECK_INT(rs_listing_guard_names(&g, page_hash(none), 0, why, sizeof why), 0);
    rs_listing_guard_free(&g);
}

static void test_deadline(void)
{
    rs_http_policy p = RS_HTTP_POLICY_DEFAULT;
    RS_CHECK_INT(p.deadline_floor_ms, 30000);
    RS_CHECK_INT(p.deadline_rate, 1048576);
    /* unknown size, nothing received: the floor */
    RS_CHECK_INT(rs_http_deadline_ms(&p, -1, 0), 30000);
    /* 100 MiB declared: 30 s + 100 s */
    RS_CHECK_INT(rs_http_deadline_ms(&p, 100LL << 20, 5), 130000);
    /* more received than declared (no Content-Length): the received count */
    RS_CHECK_INT(rs_http_deadline_ms(&p, 0, 3LL << 20), 33000);
    /* a part of a second rounds down */
    RS_CHECK_INT(rs_http_deadline_ms(&p, 1572864, 0), 31500);
    /* saturates instead of overflowing */
    RS_CHECK(rs_http_deadline_ms(&p, LLONG_MAX, 0) > 0);
    p.deadline_rate = 1;
    RS_CHECK(rs_http_deadline_ms(&p, LLONG_MAX / 2, 0) == LLONG_MAX);
    /* no floor: no deadline */
    p.deadline_floor_ms = 0;
    RS_CHECK_INT(rs_http_deadline_ms(&p, 1LL << 40, 0), 0);
}

static void test_policy_env(void)
{
    rs_http_policy p = RS_HTTP_POLICY_DEFAULT;
    char errstr[256];
    setenv("REGSCAN_HTTP_DEADLINE_FLOOR", "2", 1);
    setenv("REGSCAN_HTTP_DEADLINE_RATE", "4096", 1);
    setenv("REGSCAN_HTTP_STALL_TIME", "3", 1);
    setenv("REGSCAN_HTTP_STALL_RATE", "100", 1);
    setenv("REGSCAN_HTTP_RETRIES", "1", 1);
    setenv("REGSCAN_HTTP_RETRY_AFTER_CAP", "5", 1);
    setenv("REGSCAN_HTTP_BACKOFF_MS", "50", 1);
    setenv("REGSCAN_HTTP_CONNECT_TIMEOUT", "4", 1);
    RS_CHECK_INT(rs_http_policy_env(&p, errstr, sizeof errstr), 0);
    RS_CHECK_INT(p.deadline_floor_ms, 2000);
    RS_CHECK_INT(p.deadline_rate, 4096);
    RS_CHECK_INT(p.low_speed_time, 3);
    RS_CHECK_INT(p.low_speed_limit, 100);
    RS_CHECK_INT(p.max_retries, 1);
    RS_CHECK_INT(p.retry_after_cap_ms, 5000);
    RS_CHECK_INT(p.backoff_base_ms, 50);
    RS_CHECK_INT(p.connect_timeout_ms, 4000);
    RS_CHECK_INT(p.backoff_cap_ms, 10000);
    setenv("REGSCAN_HTTP_RETRIES", "21", 1);
    RS_CHECK_INT(rs_http_policy_env(&p, errstr, sizeof errstr), RS_ERR_CONFIG);
    RS_CHECK_STR(errstr, "REGSCAN_HTTP_RETRIES: '21' is not an integer from 0 to 20");
    setenv("REGSCAN_HTTP_RETRIES", "1", 1);
    setenv("REGSCAN_HTTP_DEADLINE_FLOOR", "2s", 1);
    RS_CHECK_INT(rs_http_policy_env(&p, errstr, sizeof errstr), RS_ERR_CONFIG);
    RS_CHECK_STR(errstr, "REGSCAN_HTTP_DEADLINE_FLOOR: '2s' is not an integer from 1 to 86400");
    unsetenv("REGSCAN_HTTP_DEADLINE_FLOOR");
}

int main(void)
{
    test_guard_pages();
    test_guard_names();
    test_deadline();
    test_policy_env();
    return RS_TEST_RESULT();
}
