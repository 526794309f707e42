/* test_composer.c - the Composer analyzer: installed.json of Composer 1 (an
 * array) and 2 ({"packages": [...]}), the leading "v" of a version dropped. */
#include "analyzers/composer_int.h"
#include "base.h"
#include "lang_check.h"

int main(void)
{
    static const char path[] = "/var/www/vendor/composer/installed.json";
    RS_CHECK_INT(rs_analyzer_composer.wants(path), 1);
    RS_CHECK_INT(rs_analyzer_composer.wants("/var/www/vendor/composer/installed.php"), 0);
    RS_CHECK_INT(rs_analyzer_composer.wants("/installed.json"), 0);
    rs_analysis a = {0};
    parse_data(&rs_analyzer_composer, "composer/installed-v1.json", path, &a);
    static const lang_want v1[] = {
        {"monolog/monolog", "1.25.1", "pkg:composer/monolog/monolog@1.25.1"},
        {"symfony/http-foundation", "5.4.0", "pkg:composer/symfony/http-foundation@5.4.0"},
        {"acme/dev", "dev-main", "pkg:composer/acme/dev@dev-main"},
    };
    check_pkgs(&a, "composer", "Packagist", path, v1, 3);
    RS_CHECK_INT(a.n_malformed, 2);
    rs_analysis_clear(&a);
    parse_data(&rs_analyzer_composer, "composer/installed-v2.json", path, &a);
    static const lang_want v2[] = {
        {"guzzlehttp/guzzle", "7.4.0", "pkg:composer/guzzlehttp/guzzle@7.4.0"},
        {"symfony/polyfill-mbstring", "1.23.1", "pkg:composer/symfony/polyfill-mbstring@1.23.1"},
        {"acme/vendorlike", "version-1", "pkg:composer/acme/vendorlike@version-1"},
    };
    check_pkgs(&a, "composer", "Packagist", path, v2, 3);
    RS_CHECK_INT(a.n_malformed, 0);
    rs_analysis_clear(&a);
    size_t m;
    RS_CHECK_INT(parse_text(&rs_analyzer_composer, path, "{\"packages\":{}}", &m), 0);
    RS_CHECK_INT(m, 1);
    RS_CHECK_INT(parse_text(&rs_analyzer_composer, path, "[{\"name\":\"a/\",\"version\":\"1\"},"
                                                         "{\"name\":\"/b\",\"version\":\"1\"},"
                                                         "{\"name\":\"a/b/c\",\"version\":\"1\"},"
                                                         "7]",
                            &m),
                 0);
    RS_CHECK_INT(m, 4);
    return RS_TEST_RESULT();
}
