/* test_gem.c - the RubyGems analyzer: which paths, the assignments
 * Gem::Specification#to_ruby writes (and older forms), malformed specs. */
#include "analyzers/gem_int.h"
#include "base.h"
#include "lang_check.h"

static void test_wants(void)
{
    RS_CHECK_INT(rs_analyzer_gem.wants("/usr/local/bundle/specifications/rack-2.2.6.4.gemspec"), 1);
    RS_CHECK_INT(rs_analyzer_gem.wants("/var/lib/gems/3.1.0/specifications/x.gemspec"), 1);
    RS_CHECK_INT(rs_analyzer_gem.wants("/usr/share/rubygems-integration/all/specifications/"
                                       "rack-2.2.6.4.gemspec"),
                 1);
    RS_CHECK_INT(rs_analyzer_gem.wants("/usr/local/bundle/gems/rack-2.2.6.4/rack.gemspec"), 0);
    RS_CHECK_INT(rs_analyzer_gem.wants("/specifications/.gemspec"), 0);
    RS_CHECK_INT(rs_analyzer_gem.wants("/x/myspecifications/a.gemspec"), 0);
}

static void test_specs(void)
{
    static const char path[] = "/usr/local/bundle/specifications/rack-2.2.6.4.gemspec";
    rs_analysis a = {0};
    parse_data(&rs_analyzer_gem, "gem/rack-2.2.6.4.gemspec", path, &a);
    static const lang_want rack[] = {{"rack", "2.2.6.4", "pkg:gem/rack@2.2.6.4"}};
    check_pkgs(&a, "gem", "RubyGems", path, rack, 1);
    rs_analysis_clear(&a);
    parse_data(&rs_analyzer_gem, "gem/old-style.gemspec", "/s/specifications/j.gemspec", &a);
    static const lang_want json[] = {{"json_pure", "1.8.6", "pkg:gem/json_pure@1.8.6"}};
    check_pkgs(&a, "gem", "RubyGems", "/s/specifications/j.gemspec", json, 1);
    rs_analysis_clear(&a);
}

static void test_malformed(void)
{
    static const char *const bad[] = {
        "",
        "s.name = \"x\"\n",
        "s.version = \"1\"\n",
        "s.name = \"a b\"\ns.version = \"1\"\n",
        "s.name = \"x#{y}\"\ns.version = \"1\"\n",
        "s.name = \"x\"\ns.version = Gem::Version.new(\"1\"\n",
        "s.name = x\ns.version = \"1\"\n",
        "s.name = \"x\ns.version = \"1\"\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        size_t m;
        RS_CHECK_INT(parse_text(&rs_analyzer_gem, "/specifications/x.gemspec", bad[i], &m), 0);
        RS_CHECK_INT(m, 1);
    }
    size_t m;
    /* the first of each wins; other keys ending in "version" are not it */
    RS_CHECK_INT(parse_text(&rs_analyzer_gem, "/specifications/x.gemspec",
                            "  s.rubygems_version = \"3\"\n  s.name='x'.freeze\n"
                            "s.required_ruby_version = \"2\"\n s.version = '1.0'\n"
                            "s.version = \"9\"\n",
                            &m),
                 1);
    RS_CHECK_INT(m, 0);
}

int main(void)
{
    test_wants();
    test_specs();
    test_malformed();
    return RS_TEST_RESULT();
}
