/* test_dotnet.c - the .NET analyzer: packages of a deps.json, projects and
 * references skipped, malformed keys counted. */
#include "analyzers/dotnet_int.h"
#include "base.h"
#include "lang_check.h"

int main(void)
{
    RS_CHECK_INT(rs_analyzer_dotnet.wants("/app/App.deps.json"), 1);
    RS_CHECK_INT(rs_analyzer_dotnet.wants("/app/.deps.json"), 0);
    RS_CHECK_INT(rs_analyzer_dotnet.wants("/app/App.runtimeconfig.json"), 0);
    static const char path[] = "/app/App.deps.json";
    rs_analysis a = {0};
    parse_data(&rs_analyzer_dotnet, "dotnet/app.deps.json", path, &a);
    static const lang_want want[] = {
        {"Newtonsoft.Json", "12.0.1", "pkg:nuget/Newtonsoft.Json@12.0.1"},
        {"System.Text.Encodings.Web", "4.5.0", "pkg:nuget/System.Text.Encodings.Web@4.5.0"},
    };
    check_pkgs(&a, "dotnet", "NuGet", path, want, 2);
    RS_CHECK_INT(a.n_malformed, 2);
    rs_analysis_clear(&a);
    size_t m;
    RS_CHECK_INT(parse_text(&rs_analyzer_dotnet, path, "{\"libraries\":[]}", &m), 0);
    RS_CHECK_INT(m, 1);
    RS_CHECK_INT(parse_text(&rs_analyzer_dotnet, path, "nope", &m), 0);
    RS_CHECK_INT(m, 1);
    RS_CHECK_INT(parse_text(&rs_analyzer_dotnet, path,
                            "{\"libraries\":{\"A/1/2\":{\"type\":\"package\"},"
                            "\"A/\":{\"type\":\"package\"}}}",
                            &m),
                 0);
    RS_CHECK_INT(m, 2);
    return RS_TEST_RESULT();
}
