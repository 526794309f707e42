/* test_secrets.c - the secret rules, one table of positive and negative
 * cases per rule, run through both literal finders (Hyperscan when the build
 * has it, and the portable one) which must agree exactly; chunk boundaries,
 * overlong lines, and redaction (no byte run of a secret in any output).
 *
 * Secrets are made at run time from templates ({U16}: 16 of A-Z0-9, {N36}:
 * alphanumerics, {B40}: base64, {H32}: hex, {D10}: digits, {L20}: base64url,
 * {b86}: base64 body of a storage key), so that no credential-shaped string
 * sits in the sources. Documentation examples (AKIAIOSFODNN7EXAMPLE, ...)
 * are negatives on purpose: see secrets/rules.c. */
#include "index.h"
#include "base.h"
#include "rs_tarbuild.h"
#include "rs_test.h"
#include "secrets/scanner_int.h"

#include <stdint.h>

struct tcase {
    const char *rule; /* NULL: a negative, nothing may be found */
    const char *tmpl;
};

static const struct tcase cases[] = {
    /* aws-access-key-id */
    {"aws-access-key-id", "aws_access_key_id = AKIA{U16}"},
    {"aws-access-key-id", "key: \"ASIA{U16}\""},
    {NULL, "AKIAIOSFODNN7EXAMPLE"},
    {NULL, "AKIA{U15}"},
    {NULL, "XAKIA{U16}"},
    {NULL, "AKIA{U17}"},
    /* aws-secret-access-key */
    {"aws-secret-access-key", "aws_secret_access_key = {B40}"},
    {"aws-secret-access-key", "AWS_SECRET_ACCESS_KEY=\"{B40}\""},
    {"aws-secret-access-key", "\"SecretAccessKey\": \"{B40}\""},
    {NULL, "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"},
    {NULL, "aws_secret_access_key = ${AWS_SECRET_ACCESS_KEY}"},
    /* azure storage */
    {"azure-storage-connection-string",
     "DefaultEndpointsProtocol=https;AccountName=acct1;AccountKey={b86}==;EndpointSuffix=core"},
    {"azure-storage-account-key", "AZURE_STORAGE_KEY={b86}=="},
    {"azure-storage-account-key", "storage_account_key: \"{b86}==\""},
    {NULL, "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey="
           "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/"
           "KBHBeksoGMGw==;"},
    {NULL, "AccountKey={b86}=="},
    {NULL, "storage_key = {B40}"},
    /* azure-sas-token */
    {"azure-sas-token", "https://acct.blob.example/c/b?sv=2021-08-06&se=2030-01-01T00%3A00Z&"
                        "sr=b&sp=r&sig={B40}AbC%3D"},
    {NULL, "https://acct.blob.example/c/b?sv=2021-08-06&se=2030-01-01&sp=r&sig=abc"},
    {NULL, "a sig={B40}= on its own"},
    /* azure-client-secret */
    {"azure-client-secret", "AZURE_CLIENT_SECRET={N3}7Q~{L34}"},
    {"azure-client-secret", "\"clientSecret\": \"{B40}\""},
    {NULL, "client_secret: <your-client-secret>"},
    {NULL, "client_secret = short1"},
    /* gcp-service-account */
    {"gcp-service-account", "{\"type\": \"service_account\", \"private_key\": \"-----BEGIN "
                            "PRIVATE KEY-----\\nMII{B40}{B40}\\n-----END PRIVATE KEY-----\\n\"}"},
    {NULL, "\"private_key\": \"\""},
    {NULL, "\"private_key\": \"-----BEGIN PRIVATE KEY-----\\n...\""},
    /* github */
    {"github-pat", "token=ghp_{N36}"},
    {"github-oauth-token", "gho_{N36}"},
    {"github-user-token", "ghu_{N36}"},
    {"github-server-token", "ghs_{N36}"},
    {"github-refresh-token", "ghr_{N36}"},
    {"github-fine-grained-pat", "github_pat_{N22}_{N59}"},
    {NULL, "ghp_{N35}"},
    {NULL, "ghp_{N37}"},
    {NULL, "github_pat_{N20}"},
    /* gitlab */
    {"gitlab-pat", "GITLAB_TOKEN glpat-{L20}"},
    {NULL, "glpat-{L19}"},
    {NULL, "glpat-xxxxxxxxxxxxxxxxxxxxxxxxxxxxx"},
    /* slack */
    {"slack-token", "xoxb-{D11}-{D12}-{N24}"},
    {"slack-token", "SLACK=xoxp-{D10}-{D10}-{D12}-{H32}"},
    {NULL, "xoxb-your-bot-token"},
    {"slack-webhook", "https://hooks.slack.com/services/T{U8}/B{U10}/{N24}"},
    {NULL, "https://hooks.slack.com/services/T000/B000/XXXX"},
    /* stripe */
    {"stripe-secret-key", "sk_live_{N24}"},
    {"stripe-restricted-key", "rk_live_{N32}"},
    {NULL, "sk_test_{N24}"},
    {NULL, "sk_live_{N10}"},
    /* private keys */
    {"private-key", "-----BEGIN RSA PRIVATE KEY-----\nMII{B40}{B20}\n-----END RSA PRIVATE KEY-----"},
    {"private-key", "-----BEGIN PRIVATE KEY-----\nMIIE{B60}\n"},
    {"private-key", "-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n"},
    {"openssh-private-key", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn{B60}\n"},
    {NULL, "-----BEGIN PUBLIC KEY-----\nMII{B60}\n"},
    {NULL, "-----BEGIN CERTIFICATE-----\nMII{B60}\n"},
    {NULL, "if (line == \"-----BEGIN RSA PRIVATE KEY-----\") {\n  parse();\n"},
    {NULL, "-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n"},
    /* jwt */
    {"jwt", "Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ{L30}.{L43}"},
    {NULL, "eyJub3RhIjoiand0In0.eyJ{L30}.{L43}"},
    {NULL, "eyJhbGciOiJIUzI1NiJ9.notpayload{L10}.{L43}"},
    /* generic */
    {"generic-password", "DB_PASSWORD={N8}9{N7}"},
    {"generic-password", "password: \"{N10}4x{N6}\""},
    {"generic-secret", "JWT_SECRET = '{H40}'"},
    {"generic-api-key", "\"api_key\": \"{N20}7\""},
    {"generic-api-key", "export AUTH_TOKEN={L30}8"},
    {NULL, "password = changeme123456"},
    {NULL, "password: ${DB_PASSWORD}"},
    {NULL, "password = getpass.getpass(prompt)"},
    {NULL, "if password == \"{N16}\":"},
    {NULL, "PasswordAuthentication yes"},
    {NULL, "password=hunter"},
    {NULL, "secret_name: my-database-credentials"},
    {NULL, "api_key: <YOUR_API_KEY_HERE>"},
    {NULL, "password: **********"},
    {NULL, "password = os.environ.get('PW1234')"},
    /* things that look random but are no secret anywhere */
    {NULL, "sha256:{H64}"},
    {NULL, "d41d8cd98f00b204e9800998ecf8427e  /etc/passwd"},
    {NULL, "id = 123e4567-e89b-12d3-a456-426614174000"},
    {NULL, "{B40}{B40}"},
    {NULL, "{b86}="},
    {NULL, "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor."},
    {NULL, "integrity sha512-{B60}{B20}=="},
};

static uint64_t rng = 0x9e3779b97f4a7c15u;

static unsigned next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng >> 11);
}

/* The random runs of the last expansion: no output may hold 6 bytes of one. */
static char runs[16][200];
static size_t n_runs;

static const char *alphabet(char c)
{
    switch (c) {
    case 'U': return "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    case 'N': return "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    case 'B': case 'b':
        return "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    case 'H': return "0123456789abcdef";
    case 'D': return "0123456789";
    default: return "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    }
}

/* Expands tmpl into out (random runs drawn afresh). */
static void expand(const char *tmpl, char *out, size_t size)
{
    size_t o = 0;
    n_runs = 0;
    for (const char *p = tmpl; *p && o + 1 < size;) {
        if (p[0] == '{' && p[1] && strchr("UNBbHDL", p[1]) && p[2] >= '0' && p[2] <= '9') {
            char *end;
            long n = strtol(p + 2, &end, 10);
            const char *a = alphabet(p[1]);
            size_t k = strlen(a), start = o;
            for (long i = 0; i < n && o + 1 < size; i++)
                out[o++] = a[next_rand() % k];
            if (n_runs < 16)
                snprintf(runs[n_runs++], sizeof runs[0], "%.*s", (int)(o - start), out + start);
            p = end + 1;
        } else {
            out[o++] = *p++;
        }
    }
    out[o] = '\0';
}

/* 1 when `s` holds 6 consecutive bytes of a random run of the expansion. */
static int leaks(const char *s)
{
    for (size_t r = 0; r < n_runs; r++)
        for (size_t i = 0; i + 6 <= strlen(runs[r]); i++)
            if (memmem(s, strlen(s), runs[r] + i, 6))
                return 1;
    return 0;
}

static void scan(const char *text, size_t len, rs_secrets_backend b, size_t chunk,
                 rs_secrets *out)
{
    rs_secrets_stream *s = rs_secrets_stream_new(b);
    RS_REQUIRE(s != NULL);
    for (size_t o = 0; o < len; o += chunk)
        RS_REQUIRE(rs_secrets_stream_feed(s, text + o, len - o < chunk ? len - o : chunk) == 0);
    RS_REQUIRE(rs_secrets_stream_end(s, out) == 0);
    rs_secrets_stream_free(s);
}

/* The findings of two scans are the same list. */
static int same(const rs_secrets *a, const rs_secrets *b)
{
    if (a->n != b->n)
        return 0;
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->items[i].rule, b->items[i].rule) || a->items[i].line != b->items[i].line ||
            strcmp(a->items[i].match, b->items[i].match))
            return 0;
    return 1;
}

static int have_hs;

/* Scans with both finders, checks they agree and returns the portable's. */
static void scan_both(const char *text, size_t len, size_t chunk, rs_secrets *out)
{
    scan(text, len, RS_SECRETS_PORTABLE, chunk, out);
    if (have_hs) {
        rs_secrets h = {0};
        scan(text, len, RS_SECRETS_HYPERSCAN, chunk, &h);
        RS_CHECK(same(out, &h));
        rs_secrets_clear(&h);
    }
}

static void test_table(void)
{
    size_t n_rules;
    const rs_secret_rule_info *rules = rs_secrets_rules(&n_rules);
    int covered[64] = {0}, negatives = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[1024];
        expand(cases[i].tmpl, text, sizeof text);
        rs_secrets f = {0};
        scan_both(text, strlen(text), 4096, &f);
        if (!cases[i].rule) {
            negatives++;
            if (f.n)
                fprintf(stderr, "case %zu: false positive %s\n", i, f.items[0].rule);
            RS_CHECK_INT(f.n, 0);
        } else {
            if (f.n != 1)
                fprintf(stderr, "case %zu (%s): %zu findings\n", i, cases[i].rule, f.n);
            RS_CHECK_INT(f.n, 1);
            if (f.n) {
                RS_CHECK_STR(f.items[0].rule, cases[i].rule);
                RS_CHECK_INT(f.items[0].line, 1);
                RS_CHECK(!leaks(f.items[0].match));
                RS_CHECK(strstr(f.items[0].match, "****") != NULL);
            }
            for (size_t r = 0; r < n_rules && r < 64; r++)
                covered[r] |= !strcmp(rules[r].id, cases[i].rule);
        }
        rs_secrets_clear(&f);
    }
    for (size_t r = 0; r < n_rules; r++) {
        if (!covered[r])
            fprintf(stderr, "rule %s has no positive case\n", rules[r].id);
        RS_CHECK(covered[r]);
    }
    RS_CHECK(negatives >= 40);
}

/* A token at every offset around the window's edge, fed in chunks of
 * several sizes: found once, on its line, redacted. */
static void test_boundaries(void)
{
    char token[64];
    expand("ghp_{N36}", token, sizeof token);
    size_t len = 65536 * 2 + 100;
    char *buf = malloc(len);
    RS_REQUIRE(buf);
    static const size_t chunks[] = {1, 7, 4096, 65536, 1 << 20};
    for (size_t at = 65536 - 50; at < 65536 + 10; at += 3) {
        memset(buf, 'x', len);
        for (size_t i = 79; i < len; i += 80)
            buf[i] = '\n';
        memset(buf + at - 1, ' ', 1);
        memcpy(buf + at, token, 40);
        buf[at + 40] = ' ';
        size_t line = 1;
        for (size_t i = 0; i < at; i++)
            line += buf[i] == '\n';
        /* a token cut by a newline of the filler is not one: put it on a line of its own */
        for (size_t i = at - 1; i <= at + 40; i++)
            if (buf[i] == '\n')
                buf[i] = ' ';
        for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
            rs_secrets f = {0};
            scan_both(buf, len, chunks[c], &f);
            RS_CHECK_INT(f.n, 1);
            if (f.n) {
                RS_CHECK_STR(f.items[0].rule, "github-pat");
                RS_CHECK_INT(f.items[0].line, line);
                RS_CHECK(!leaks(f.items[0].match));
            }
            rs_secrets_clear(&f);
        }
    }
    free(buf);
}

/* Overlong lines (minified code): tokens anywhere in a 300 KiB line are
 * found once each, the windows overlapping; a private key split over lines
 * at a window edge is found. */
static void test_long_line(void)
{
    size_t len = 300 * 1024;
    char *buf = malloc(len);
    RS_REQUIRE(buf);
    memset(buf, 'a', len);
    char tok[64];
    size_t at[] = {100, 65536 - 900, 65536 - 20, 131072 - 400, 200000, len - 60};
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
        expand("sk_live_{N30}", tok, sizeof tok);
        buf[at[i] - 1] = ';';
        memcpy(buf + at[i], tok, 38);
        buf[at[i] + 38] = ';';
    }
    for (size_t c = 1000; c <= 1 << 20; c *= 8) {
        rs_secrets f = {0};
        scan_both(buf, len, c, &f);
        RS_CHECK_INT(f.n, sizeof at / sizeof at[0]);
        rs_secrets_clear(&f);
    }
    /* a PEM header ending a window: its key material is in the next one */
    memset(buf, 'b', len);
    for (size_t i = 99; i < len; i += 100)
        buf[i] = '\n';
    char key[200];
    expand("-----BEGIN RSA PRIVATE KEY-----\nMII{B70}", key, sizeof key);
    size_t pos = 65536 - 32 - 1 - 10;
    buf[pos - 1] = '\n';
    memcpy(buf + pos, key, strlen(key));
    buf[pos + strlen(key)] = '\n';
    rs_secrets f = {0};
    scan_both(buf, len, 4096, &f);
    RS_CHECK_INT(f.n, 1);
    if (f.n)
        RS_CHECK_STR(f.items[0].rule, "private-key");
    rs_secrets_clear(&f);
    free(buf);
}

/* A corpus mixing every case on many lines: both finders agree. */
static void test_agree(void)
{
    size_t cap = 1 << 20, len = 0;
    char *buf = malloc(cap);
    RS_REQUIRE(buf);
    for (int round = 0; round < 30; round++)
        for (size_t i = 0; i < sizeof cases / sizeof cases[0] && len + 2048 < cap; i++) {
            char text[1024];
            expand(cases[i].tmpl, text, sizeof text);
            len += (size_t)snprintf(buf + len, cap - len, "%s\n", text);
        }
    rs_secrets f = {0};
    scan_both(buf, len, 65536, &f);
    RS_CHECK(f.n > 0);
    rs_secrets_clear(&f);
    free(buf);
}

static void test_entropy(void)
{
    RS_CHECK(rs_secrets_entropy("aaaa", 4) == 0.0);
    RS_CHECK(rs_secrets_entropy("abcd", 4) == 2.0);
    RS_CHECK(rs_secrets_entropy("", 0) == 0.0);
}

/* Runs the secrets analyzer over `len` bytes of `data` declared `size` bytes. */
static int analyzer_run(const char *data, size_t len, uint64_t size, size_t *found)
{
    const rs_analyzer *a = rs_analyzer_find("secrets");
    void *st = NULL;
    char err[256];
    rs_analysis an = {0};
    RS_REQUIRE(a && a->begin("/app/x", size, &st, err, sizeof err) == 0);
    RS_REQUIRE(a->feed(st, data, len) == 0);
    int rc = a->end(st, &an, err, sizeof err);
    *found = an.secrets.n;
    rs_analysis_clear(&an);
    return rc;
}

/* The analyzer: text is scanned, binaries are not, text over 10 MiB is a
 * LIMIT_EXCEEDED skip (a binary of that size is not), noisy paths unwanted. */
static void test_analyzer(void)
{
    char text[128], bin[128];
    expand("key: ghp_{N36}\n", text, sizeof text);
    memcpy(bin, text, sizeof bin);
    bin[3] = '\0';
    size_t n = 9;
    RS_CHECK_INT(analyzer_run(text, strlen(text), strlen(text), &n), 0);
    RS_CHECK_INT(n, 1);
    RS_CHECK_INT(analyzer_run(bin, strlen(text), strlen(text), &n), 0);
    RS_CHECK_INT(n, 0);
    RS_CHECK_INT(analyzer_run(text, strlen(text), (uint64_t)11 << 20, &n), RS_ERR_LIMIT_EXCEEDED);
    RS_CHECK_INT(analyzer_run(bin, strlen(text), (uint64_t)11 << 20, &n), 0);
    /* mostly invalid UTF-8 is binary; Latin-1 text with a few accents is not */
    char latin[200];
    snprintf(latin, sizeof latin, "caf\xe9 na\xefve %s", text);
    RS_CHECK_INT(analyzer_run(latin, strlen(latin), strlen(latin), &n), 0);
    RS_CHECK_INT(n, 1);
    const rs_analyzer *a = rs_analyzer_find("secrets");
    RS_CHECK_INT(a->wants("/app/.env"), 1);
    RS_CHECK_INT(a->wants("/usr/share/doc/x/README"), 0);
    RS_CHECK_INT(a->wants("/usr/lib/x/libz.so"), 0);
    RS_CHECK_INT(a->wants("/etc/ssl/certs/ca.pem"), 0);
}

static rs_layer_result *walk(const tent *e, size_t n)
{
    size_t len;
    char *data = mktar(e, n, F_GZIP, &len), err[256] = "";
    rs_reader *r = rs_reader_mem_new(data, len);
    rs_layer_result *res = NULL, *back = NULL;
    RS_REQUIRE(r && rs_layer_analyze(r, NULL, NULL, &res, err, sizeof err) == 0);
    rs_reader_destroy(r);
    free(data);
    /* through the JSON form, as a cached or sandboxed result would come */
    json_t *j = rs_layer_result_to_json(res);
    int rc = j ? rs_layer_result_from_json(j, &back, err, sizeof err) : -1;
    if (rc)
        fprintf(stderr, "from_json: %s\n", err);
    RS_REQUIRE(rc == 0);
    json_decref(j);
    rs_layer_result_free(res);
    return back;
}

/* Layers through the walker and the merge: a secret deleted by a whiteout,
 * one replaced by a clean file, one re-added unchanged (it keeps its first
 * layer), one behind a hard link (reported at its own path once). */
static void test_layers(void)
{
    char env[128], cfg[128], keep[128];
    expand("KEY=AKIA{U16}\n", env, sizeof env);
    expand("{\"t\": \"ghp_{N36}\"}\n", cfg, sizeof cfg);
    expand("x\nsk_live_{N30}\n", keep, sizeof keep);
    tent l0[] = {{T_FILE, "app/.env", env, 0},
                 {T_FILE, "app/cfg.json", cfg, 0},
                 {T_FILE, "srv/keep", keep, 0},
                 {T_HARDLINK, "srv/link", "srv/keep", 0}};
    tent l1[] = {{T_FILE, "app/.wh..env", "", 0},
                 {T_FILE, "app/cfg.json", "{}\n", 0},
                 {T_FILE, "srv/keep", keep, 0}};
    rs_layer_result *L[2] = {walk(l0, 4), walk(l1, 3)};
    char *digests[2] = {"sha256:l0", "sha256:l1"};
    rs_inventory *inv = NULL;
    char err[256];
    RS_REQUIRE(rs_merge_layers(L, digests, 2, &inv, err, sizeof err) == 0);
    RS_REQUIRE(inv->secrets.n == 3);
    const rs_secret *s = inv->secrets.items;
    RS_CHECK_STR(s[0].path, "/app/.env");
    RS_CHECK_STR(s[0].rule, "aws-access-key-id");
    RS_CHECK_STR(s[0].layer, "sha256:l0");
    RS_CHECK_STR(s[0].deleted_in_layer, "sha256:l1");
    RS_CHECK_STR(s[1].path, "/app/cfg.json");
    RS_CHECK_STR(s[1].deleted_in_layer, "sha256:l1");
    RS_CHECK_STR(s[2].path, "/srv/keep");
    RS_CHECK_INT(s[2].line, 2);
    RS_CHECK_STR(s[2].layer, "sha256:l0");
    RS_CHECK(s[2].deleted_in_layer == NULL);
    rs_inventory_free(inv);
    rs_layer_result_free(L[0]);
    rs_layer_result_free(L[1]);
}

int main(void)
{
    have_hs = rs_secrets_backend_available(RS_SECRETS_HYPERSCAN);
    printf("literal finder: %s\n", rs_secrets_backend_name());
    test_table();
    test_boundaries();
    test_long_line();
    test_agree();
    test_entropy();
    test_analyzer();
    test_layers();
    printf("%d passed, %d failed\n", rs_test_passed, rs_test_failed);
    return rs_test_failed != 0;
}
