/* test_auth.c - WWW-Authenticate parsing, token responses, JWT expiry, base64. */
#include "registry.h"
#include "base.h"
#include "rs_test.h"
#include "rs_testfile.h"

#include <time.h>

/* tests/data/auth/<name>, whole. */
static char *load(const char *name, size_t *len)
{
    char rel[256];
    snprintf(rel, sizeof rel, "auth/%s", name);
    return rs_test_load(rel, 1024 * 1024, len);
}

/* tests/data/auth/challenges.txt: value|scheme|realm|service|scope|error */
static void test_challenges(void)
{
    size_t len;
    char *text = load("challenges.txt", &len);
    int cases = 0;
    for (char *line = text; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        if (line[0] != '#') {
            char *f[6] = {line, NULL, NULL, NULL, NULL, NULL};
            char *p = line;
            /* split from the right: the value itself may hold '|'-free text only */
            for (int i = 1; i < 6; i++) {
                p = strchr(p, '|');
                RS_REQUIRE(p != NULL);
                *p++ = '\0';
                f[i] = p;
            }
            rs_auth_challenge ch;
            int rc = rs_auth_challenge_parse(f[0], &ch);
            cases++;
            if (!strcmp(f[1], "invalid")) {
                if (rc != RS_ERR_INVALID)
                    fprintf(stderr, "  accepted: %s\n", f[0]);
                RS_CHECK_INT(rc, RS_ERR_INVALID);
            } else {
                if (rc)
                    fprintf(stderr, "  rejected: %s\n", f[0]);
                RS_CHECK_INT(rc, 0);
                RS_CHECK_INT(ch.scheme,
                             !strcmp(f[1], "bearer") ? RS_CHALLENGE_BEARER : RS_CHALLENGE_BASIC);
                RS_CHECK_STR(ch.realm, f[2]);
                RS_CHECK_STR(ch.service, f[3]);
                RS_CHECK_STR(ch.scope, f[4]);
                RS_CHECK_STR(ch.error, f[5]);
            }
        }
        line = nl ? nl + 1 : NULL;
    }
    RS_CHECK_INT(cases, 18);
    free(text);
    rs_auth_challenge ch;
    RS_CHECK_INT(rs_auth_challenge_parse(NULL, &ch), RS_ERR_INVALID);
    /* the parse stops at the terminator: a scheme ending the string once read
     * on past it (found by tests/fuzz/fuzz_auth_challenge.c) */
    static const char past_end[] = "Basic\0 realm=\"beyond\"";
    RS_CHECK_INT(rs_auth_challenge_parse(past_end, &ch), 0);
    RS_CHECK_INT(ch.scheme, RS_CHALLENGE_BASIC);
    RS_CHECK_STR(ch.realm, "");
}

static void test_tokens(void)
{
    char errstr[256];
    char *tok = NULL;
    time_t exp = 0;
    size_t len;
    char *json;

    /* distribution: token + access_token, expires_in counted from issued_at */
    json = load("distribution-token.json", &len);
    time_t issued = 1700000000; /* 2023-11-14T22:13:20Z */
    RS_CHECK_INT(rs_auth_token_parse(json, len, issued + 20, &tok, &exp, errstr, sizeof errstr), 0);
    RS_CHECK_STR(tok, "dGVzdHRva2Vu.eyJ4IjoxfQ.c2ln");
    RS_CHECK_INT(exp, issued + 300);
    free(tok);
    /* a clock far from issued_at: count from now instead */
    RS_CHECK_INT(rs_auth_token_parse(json, len, issued + 86400, &tok, &exp, errstr, sizeof errstr),
                 0);
    RS_CHECK_INT(exp, issued + 86400 + 300);
    free(tok);
    free(json);

    /* ACR: access_token only, no expires_in: the JWT's exp */
    json = load("acr-token.json", &len);
    RS_CHECK_INT(rs_auth_token_parse(json, len, 1700000100, &tok, &exp, errstr, sizeof errstr), 0);
    RS_CHECK(tok != NULL && strncmp(tok, "eyJ", 3) == 0);
    RS_CHECK_INT(exp, 1700003600);
    int64_t jexp = 0;
    RS_CHECK_INT(rs_auth_jwt_exp(tok, &jexp), 0);
    RS_CHECK_INT(jexp, 1700003600);
    free(tok);
    free(json);

    /* opaque token, no expiry at all: 60 s */
    const char *j1 = "{\"token\":\"opaque-token\"}";
    RS_CHECK_INT(rs_auth_token_parse(j1, strlen(j1), 1000, &tok, &exp, errstr, sizeof errstr), 0);
    RS_CHECK_STR(tok, "opaque-token");
    RS_CHECK_INT(exp, 1060);
    free(tok);

    /* empty token falls back to access_token */
    const char *j2 = "{\"token\":\"\",\"access_token\":\"at\",\"expires_in\":120}";
    RS_CHECK_INT(rs_auth_token_parse(j2, strlen(j2), 1000, &tok, &exp, errstr, sizeof errstr), 0);
    RS_CHECK_STR(tok, "at");
    RS_CHECK_INT(exp, 1120);
    free(tok);

    const char *bad[] = {"{}", "{\"token\":5}", "not json", "[\"token\"]",
                         "{\"token\":\"has space\"}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tok = NULL;
        RS_CHECK_INT(
            rs_auth_token_parse(bad[i], strlen(bad[i]), 1000, &tok, &exp, errstr, sizeof errstr),
            RS_ERR_INVALID);
        RS_CHECK(tok == NULL);
    }
    /* the message never echoes the response (it could hold a token) */
    const char *j3 = "{\"token\":\"sec ret\"}";
    rs_auth_token_parse(j3, strlen(j3), 1000, &tok, &exp, errstr, sizeof errstr);
    RS_CHECK(strstr(errstr, "sec") == NULL);
}

static void test_jwt_and_base64(void)
{
    int64_t exp = 0;
    RS_CHECK_INT(rs_auth_jwt_exp("a.eyJleHAiOjQyfQ.sig", &exp), 0); /* {"exp":42} */
    RS_CHECK_INT(exp, 42);
    RS_CHECK_INT(rs_auth_jwt_exp("a.eyJleHAiOiI0MiJ9.sig", &exp), RS_ERR_INVALID); /* "42" */
    RS_CHECK_INT(rs_auth_jwt_exp("no-dots", &exp), RS_ERR_INVALID);
    RS_CHECK_INT(rs_auth_jwt_exp("a.!!!.b", &exp), RS_ERR_INVALID);
    RS_CHECK_INT(rs_auth_jwt_exp("a.bm90IGpzb24.b", &exp), RS_ERR_INVALID); /* "not json" */

    char *out = NULL;
    size_t n = 0;
    RS_CHECK_INT(rs_base64_decode("dXNlcjpwYXNz", 12, &out, &n), 0);
    RS_CHECK_STR(out, "user:pass");
    RS_CHECK_INT(n, 9);
    free(out);
    RS_CHECK_INT(rs_base64_decode("Pz8_Pg", 6, &out, &n), 0); /* base64url of "??>>"[0..3] */
    RS_CHECK_STR(out, "??\?>");
    free(out);
    RS_CHECK_INT(rs_base64_decode("Pz8/Pg==", 8, &out, &n), 0);
    RS_CHECK_STR(out, "??\?>");
    free(out);
    RS_CHECK_INT(rs_base64_decode("a", 1, &out, &n), RS_ERR_INVALID);
    RS_CHECK_INT(rs_base64_decode("ab$d", 4, &out, &n), RS_ERR_INVALID);
}

static void test_static_bearer(void)
{
    rs_auth_conf conf = {RS_AUTH_BEARER, NULL, NULL, "static-tok"};
    rs_auth *a = rs_auth_new(&conf, NULL, "reg.example.test", 0);
    RS_REQUIRE(a != NULL);
    char errstr[256], *v = NULL;
    RS_CHECK_INT(rs_auth_header(a, "repository:a:pull", &v, errstr, sizeof errstr), 0);
    RS_CHECK_STR(v, "Bearer static-tok");
    free(v);
    /* a 401 with the static token is final and the message names the registry, not the token */
    RS_CHECK_INT(rs_auth_challenge_answer(a, "Bearer realm=\"https://x.example.test/t\"",
                                          "repository:a:pull", &v, errstr, sizeof errstr),
                 RS_ERR_UNAUTHORIZED);
    RS_CHECK(strstr(errstr, "reg.example.test") != NULL);
    RS_CHECK(strstr(errstr, "static-tok") == NULL);
    rs_auth_destroy(a);

    rs_auth_conf basic = {RS_AUTH_BASIC, "user", "pass", NULL};
    a = rs_auth_new(&basic, NULL, "reg.example.test", 0);
    /* nothing is sent before the registry has asked */
    RS_CHECK_INT(rs_auth_header(a, "repository:a:pull", &v, errstr, sizeof errstr), 0);
    RS_CHECK(v == NULL);
    RS_CHECK_INT(rs_auth_challenge_answer(a, "Basic realm=\"r\"", "repository:a:pull", &v, errstr,
                                          sizeof errstr),
                 0);
    RS_CHECK_STR(v, "Basic dXNlcjpwYXNz");
    free(v);
    RS_CHECK_INT(rs_auth_header(a, "repository:b:pull", &v, errstr, sizeof errstr), 0);
    RS_CHECK_STR(v, "Basic dXNlcjpwYXNz");
    free(v);
    rs_auth_destroy(a);

    rs_auth_conf none = {RS_AUTH_NONE, NULL, NULL, NULL};
    a = rs_auth_new(&none, NULL, "reg.example.test", 0);
    RS_CHECK_INT(rs_auth_challenge_answer(a, "Basic realm=\"r\"", NULL, &v, errstr, sizeof errstr),
                 RS_ERR_UNAUTHORIZED);
    RS_CHECK(strstr(errstr, "requires credentials") != NULL);
    RS_CHECK_INT(rs_auth_challenge_answer(a, "", NULL, &v, errstr, sizeof errstr),
                 RS_ERR_UNAUTHORIZED);
    /* a plain-http realm for an https registry is refused before any request */
    RS_CHECK_INT(rs_auth_challenge_answer(a, "Bearer realm=\"http://x.example.test/t\"", NULL, &v,
                                          errstr, sizeof errstr),
                 RS_ERR_UNAUTHORIZED);
    RS_CHECK(strstr(errstr, "not an https url") != NULL);
    rs_auth_destroy(a);
}

int main(void)
{
    test_challenges();
    test_tokens();
    test_jwt_and_base64();
    test_static_bearer();
    return RS_TEST_RESULT();
}
