/* secrets/rules.c - the secret rules: stable ids, severities, the literals
 * that find them, and one matcher per kind of rule that verifies a hit on
 * its line and builds the redacted form.
 *
 * Redaction policy: a match shows only what is public knowledge — the
 * token's documented prefix ("AKIA****", "ghp_****"), the name of the key an
 * assignment sets ("DB_PASSWORD=****"), the PEM label ("BEGIN RSA PRIVATE
 * KEY ****") — and never a byte of the secret's random part. AWS access key
 * ids are not secret by themselves, but name an account and a principal:
 * redacted all the same.
 *
 * Documentation examples are not findings: the values AWS publishes in its
 * docs (AKIAIOSFODNN7EXAMPLE, wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY, any
 * key id ending in EXAMPLE) and Azurite's well-known development storage key
 * ship in SDKs and docs of every real tree; GitHub secret scanning skips
 * them too (Trivy reports them). Placeholders of generic assignments
 * ("changeme", "${VAR}", "<password>", "xxxx") are skipped likewise. */
#include "secrets_int.h"
#include "base.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

enum {
    R_AWS_ID,
    R_AWS_SECRET,
    R_AZ_CONN,
    R_AZ_KEY,
    R_AZ_SAS,
    R_AZ_CLIENT,
    R_GCP_SA,
    R_GH_PAT,
    R_GH_OAUTH,
    R_GH_USER,
    R_GH_SERVER,
    R_GH_REFRESH,
    R_GH_FINE,
    R_GITLAB,
    R_SLACK_TOKEN,
    R_SLACK_HOOK,
    R_STRIPE_SK,
    R_STRIPE_RK,
    R_OPENSSH,
    R_PRIVATE_KEY,
    R_JWT,
    R_GEN_PASSWORD,
    R_GEN_SECRET,
    R_GEN_APIKEY,
    R_COUNT
};

static const rs_secret_rule_info rules[R_COUNT] = {
    [R_AWS_ID] = {"aws-access-key-id", "critical", "AWS access key ID"},
    [R_AWS_SECRET] = {"aws-secret-access-key", "critical", "AWS secret access key"},
    [R_AZ_CONN] = {"azure-storage-connection-string", "critical",
                   "Azure storage account connection string"},
    [R_AZ_KEY] = {"azure-storage-account-key", "critical", "Azure storage account key"},
    [R_AZ_SAS] = {"azure-sas-token", "high", "Azure shared access signature (SAS) token"},
    [R_AZ_CLIENT] = {"azure-client-secret", "high",
                     "Azure service principal (OAuth) client secret"},
    [R_GCP_SA] = {"gcp-service-account", "critical", "GCP service account private key"},
    [R_GH_PAT] = {"github-pat", "critical", "GitHub personal access token"},
    [R_GH_OAUTH] = {"github-oauth-token", "critical", "GitHub OAuth access token"},
    [R_GH_USER] = {"github-user-token", "critical", "GitHub user-to-server token"},
    [R_GH_SERVER] = {"github-server-token", "critical", "GitHub server-to-server token"},
    [R_GH_REFRESH] = {"github-refresh-token", "critical", "GitHub refresh token"},
    [R_GH_FINE] = {"github-fine-grained-pat", "critical",
                   "GitHub fine-grained personal access token"},
    [R_GITLAB] = {"gitlab-pat", "critical", "GitLab personal access token"},
    [R_SLACK_TOKEN] = {"slack-token", "high", "Slack token"},
    [R_SLACK_HOOK] = {"slack-webhook", "high", "Slack incoming webhook URL"},
    [R_STRIPE_SK] = {"stripe-secret-key", "critical", "Stripe live secret key"},
    [R_STRIPE_RK] = {"stripe-restricted-key", "high", "Stripe live restricted key"},
    [R_OPENSSH] = {"openssh-private-key", "high", "OpenSSH private key"},
    [R_PRIVATE_KEY] = {"private-key", "high", "PEM private key"},
    [R_JWT] = {"jwt", "medium", "JSON Web Token"},
    [R_GEN_PASSWORD] = {"generic-password", "medium", "Password assignment"},
    [R_GEN_SECRET] = {"generic-secret", "medium", "Secret assignment"},
    [R_GEN_APIKEY] = {"generic-api-key", "medium", "API key or token assignment"},
};

const rs_secret_rule_info *rs_secrets_rules(size_t *n)
{
    *n = R_COUNT;
    return rules;
}

#define LIT(t, nc, r) {t, sizeof t - 1, nc, r}

/* Every literal is at least 3 bytes (the portable filter reads byte pairs)
 * and at most SEC_MAX_BEHIND. Case-insensitive ones are written lowercase. */
static const sec_literal literals[] = {
    LIT("AKIA", 0, R_AWS_ID),
    LIT("ASIA", 0, R_AWS_ID),
    LIT("ABIA", 0, R_AWS_ID),
    LIT("ACCA", 0, R_AWS_ID),
    LIT("secret_access_key", 1, R_AWS_SECRET),
    LIT("secretaccesskey", 1, R_AWS_SECRET),
    LIT("secret-access-key", 1, R_AWS_SECRET),
    LIT("aws_secret_key", 1, R_AWS_SECRET),
    LIT("AccountKey=", 0, R_AZ_CONN),
    LIT("storage_account_key", 1, R_AZ_KEY),
    LIT("storageaccountkey", 1, R_AZ_KEY),
    LIT("storage_key", 1, R_AZ_KEY),
    LIT("account_key", 1, R_AZ_KEY),
    LIT("sig=", 0, R_AZ_SAS),
    LIT("client_secret", 1, R_AZ_CLIENT),
    LIT("clientsecret", 1, R_AZ_CLIENT),
    LIT("client-secret", 1, R_AZ_CLIENT),
    LIT("\"private_key\"", 0, R_GCP_SA),
    LIT("ghp_", 0, R_GH_PAT),
    LIT("gho_", 0, R_GH_OAUTH),
    LIT("ghu_", 0, R_GH_USER),
    LIT("ghs_", 0, R_GH_SERVER),
    LIT("ghr_", 0, R_GH_REFRESH),
    LIT("github_pat_", 0, R_GH_FINE),
    LIT("glpat-", 0, R_GITLAB),
    LIT("xoxb-", 0, R_SLACK_TOKEN),
    LIT("xoxp-", 0, R_SLACK_TOKEN),
    LIT("xoxa-", 0, R_SLACK_TOKEN),
    LIT("xoxr-", 0, R_SLACK_TOKEN),
    LIT("xoxs-", 0, R_SLACK_TOKEN),
    LIT("xoxe-", 0, R_SLACK_TOKEN),
    LIT("hooks.slack.com/services/", 1, R_SLACK_HOOK),
    LIT("sk_live_", 0, R_STRIPE_SK),
    LIT("rk_live_", 0, R_STRIPE_RK),
    LIT("-----BEGIN OPENSSH PRIVATE KEY-----", 0, R_OPENSSH),
    LIT("-----BEGIN ", 0, R_PRIVATE_KEY),
    LIT("eyJ", 0, R_JWT),
    LIT("password", 1, R_GEN_PASSWORD),
    LIT("passwd", 1, R_GEN_PASSWORD),
    LIT("secret", 1, R_GEN_SECRET),
    LIT("api_key", 1, R_GEN_APIKEY),
    LIT("apikey", 1, R_GEN_APIKEY),
    LIT("api-key", 1, R_GEN_APIKEY),
    LIT("access_token", 1, R_GEN_APIKEY),
    LIT("auth_token", 1, R_GEN_APIKEY),
};

const sec_literal *sec_literals(size_t *n)
{
    *n = sizeof literals / sizeof literals[0];
    return literals;
}

/* ---- character classes -------------------------------------------------- */

static int is_alnum(int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
static int is_upper_num(int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
static int is_b64(int c)
{
    return is_alnum(c) || c == '+' || c == '/';
}
static int is_b64url(int c)
{
    return is_alnum(c) || c == '-' || c == '_';
}
static int is_ident(int c)
{
    return is_alnum(c) || c == '_' || c == '-' || c == '.';
}
static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

/* Bytes of class `cls` from `at` on the line, at most `max`. */
static size_t run(const sec_line *ln, size_t at, int (*cls)(int), size_t max)
{
    size_t n = 0;
    while (at + n < ln->end && n < max && cls((unsigned char)ln->buf[at + n]))
        n++;
    return n;
}

/* The byte at `at` of the line, or 0 outside it. */
static int byte_at(const sec_line *ln, size_t at)
{
    return at >= ln->start && at < ln->end ? (unsigned char)ln->buf[at] : 0;
}

double rs_secrets_entropy(const char *data, size_t n)
{
    size_t count[256] = {0};
    double h = 0;
    for (size_t i = 0; i < n; i++)
        count[(unsigned char)data[i]]++;
    for (size_t i = 0; i < 256; i++)
        if (count[i]) {
            double p = (double)count[i] / (double)n;
            h -= p * log2(p);
        }
    return h;
}

static void redact(sec_hit *h, const char *shown, size_t n)
{
    if (n > SEC_REDACTED_MAX - 5)
        n = SEC_REDACTED_MAX - 5;
    snprintf(h->redacted, sizeof h->redacted, "%.*s****", (int)n, shown);
}

static int hit(sec_hit *h, int rule, size_t vstart, size_t vend, const char *shown, size_t n)
{
    h->rule = rule;
    h->vstart = vstart;
    h->vend = vend;
    h->pending = 0;
    redact(h, shown, n);
    return 1;
}

/* ---- token rules: a documented prefix and a fixed alphabet --------------- */

struct token {
    int rule;
    size_t min, max; /* length of the body after the prefix */
    int (*cls)(int);
};

static const struct token tokens[] = {
    {R_AWS_ID, 16, 16, is_upper_num},   {R_GH_PAT, 36, 36, is_alnum},
    {R_GH_OAUTH, 36, 36, is_alnum},     {R_GH_USER, 36, 36, is_alnum},
    {R_GH_SERVER, 36, 36, is_alnum},    {R_GH_REFRESH, 36, 36, is_alnum},
    {R_STRIPE_SK, 24, 99, is_alnum},    {R_STRIPE_RK, 24, 99, is_alnum},
};

static int is_fine_pat(int c)
{
    return is_alnum(c) || c == '_';
}

/* `prefix` + body of [min, max] bytes of cls, with no token byte on either side. */
static int match_token(const sec_literal *lit, const sec_line *ln, size_t at, sec_hit *h)
{
    const struct token *t = NULL;
    for (size_t i = 0; i < sizeof tokens / sizeof tokens[0]; i++)
        if (tokens[i].rule == lit->rule)
            t = &tokens[i];
    if (!t || is_alnum(byte_at(ln, at - 1)))
        return 0;
    size_t body = at + lit->len, n = run(ln, body, t->cls, t->max + 1);
    if (n < t->min || n > t->max || is_alnum(byte_at(ln, body + n)))
        return 0;
    /* AWS publishes key ids ending in EXAMPLE in its documentation */
    if (lit->rule == R_AWS_ID && memcmp(ln->buf + body + n - 7, "EXAMPLE", 7) == 0)
        return 0;
    return hit(h, lit->rule, at, body + n, lit->text, lit->len);
}

static int match_fine_pat(const sec_literal *lit, const sec_line *ln, size_t at, sec_hit *h)
{
    size_t body = at + lit->len, n = run(ln, body, is_fine_pat, 83);
    if (is_alnum(byte_at(ln, at - 1)) || n != 82)
        return 0;
    return hit(h, lit->rule, at, body + n, lit->text, lit->len);
}

static int match_gitlab(const sec_literal *lit, const sec_line *ln, size_t at, sec_hit *h)
{
    size_t body = at + lit->len, n = run(ln, body, is_b64url, 21);
    if (is_alnum(byte_at(ln, at - 1)) || n != 20)
        return 0;
    return hit(h, lit->rule, at, body + n, lit->text, lit->len);
}

/* xox?-<digits>-<digits or letters>..., at least 8 bytes each part */
static int match_slack(const sec_literal *lit, const sec_line *ln, size_t at, sec_hit *h)
{
    size_t p = at + lit->len, d = run(ln, p, is_digit, 20);
    if (is_alnum(byte_at(ln, at - 1)) || d < 8 || byte_at(ln, p + d) != '-')
        return 0;
    size_t rest = run(ln, p + d + 1, is_b64url, 200);
    if (rest < 8)
        return 0;
    return hit(h, lit->rule, at, p + d + 1 + rest, lit->text, lit->len);
}

static int is_upper_alnum(int c)
{
    return is_upper_num(c);
}

/* hooks.slack.com/services/T<id>/B<id>/<24 alphanumerics> */
static int match_slack_hook(const sec_literal *lit, const sec_line *ln, size_t at, sec_hit *h)
{
    size_t p = at + lit->len;
    for (int part = 0; part < 2; part++) {
        if (byte_at(ln, p) != (part ? 'B' : 'T'))
            return 0;
        size_t n = run(ln, p + 1, is_upper_alnum, 13);
        if (n < 8 || n > 12 || byte_at(ln, p + 1 + n) != '/')
            return 0;
        p += n + 2;
    }
    size_t n = run(ln, p, is_alnum, 25);
    if (n != 24)
        return 0;
    return hit(h, lit->rule, at + lit->len, p + n, "hooks.slack.com/services/", 25);
}

/* ---- assignments: KEY [quote] sep [quote] VALUE ---------------------------- */

struct assign {
    size_t key_start, key_end; /* the whole key as written: "DB_PASSWORD" */
    size_t vstart, vend;
};

/* From the literal at `at`, reads the rest of the key, a separator (=, :,
 * :=, =>) and the value (quoted: up to its quote; bare: up to a blank or a
 * delimiter). Returns 1 with *a filled, 0 when the line is no assignment. */
static int parse_assign(const sec_line *ln, size_t at, size_t lit_len, struct assign *a)
{
    size_t ks = at;
    while (ks > ln->start && at - ks < 32 && is_ident(byte_at(ln, ks - 1)))
        ks--;
    size_t p = at + lit_len;
    p += run(ln, p, is_ident, 24);
    a->key_start = ks;
    a->key_end = p;
    int c = byte_at(ln, p);
    if (c == '"' || c == '\'')
        p++;
    while (byte_at(ln, p) == ' ' || byte_at(ln, p) == '\t')
        p++;
    c = byte_at(ln, p);
    if (c == ':' && byte_at(ln, p + 1) == '=')
        p += 2;
    else if (c == '=' && byte_at(ln, p + 1) == '>')
        p += 2;
    else if ((c == '=' && byte_at(ln, p + 1) != '=') || (c == ':' && byte_at(ln, p + 1) != ':'))
        p += 1;
    else
        return 0;
    while (byte_at(ln, p) == ' ' || byte_at(ln, p) == '\t')
        p++;
    int q = byte_at(ln, p);
    if (q == '"' || q == '\'' || q == '`')
        p++;
    else
        q = 0;
    size_t v = p;
    while (p < ln->end && p - v <= 256) {
        int b = (unsigned char)ln->buf[p];
        if (q ? b == q : (b == ' ' || b == '\t' || b == ',' || b == ';' || b == '"' ||
                          b == '\'' || b == ')' || b == '}' || b == ']' || b == '<'))
            break;
        p++;
    }
    if (p - v > 256 || (q && byte_at(ln, p) != q))
        return 0;
    a->vstart = v;
    a->vend = p;
    return 1;
}

/* 1 when the value is a placeholder, a reference or code, not a secret. */
static int placeholder(const char *v, size_t n)
{
    static const char *const words[] = {
        "example", "changeme", "change_me", "placeholder", "dummy", "redacted", "xxxx",
        "****",    "your",     "sample",    "secret",      "password", "passwd", "12345",
        "abcdef",  "test",     "fake",      "todo",        "none",     "null",   "${",
        "{{",      "%(",       "$(",        "://",         "<",        "(",      "....",
        "env.",    "environ",  "getenv",    "config.",     "settings.", "process.",
    };
    if (!n || v[0] == '$' || v[0] == '%' || v[0] == '/' || v[0] == '@' || v[0] == '{' ||
        v[0] == '[' || v[0] == '.' || v[0] == '~')
        return 1;
    for (size_t w = 0; w < sizeof words / sizeof words[0]; w++) {
        size_t k = strlen(words[w]);
        for (size_t i = 0; i + k <= n; i++)
            if (strncasecmp(v + i, words[w], k) == 0)
                return 1;
    }
    return 0;
}

/* Random enough to be a credential: digits and letters, and a Shannon
 * entropy of at least min(3.5, 0.8 * log2(n)) bits per byte. */
static int random_enough(const char *v, size_t n, size_t min_len)
{
    int digit = 0, alpha = 0;
    if (n < min_len)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c <= ' ' || c >= 0x7f)
            return 0; /* blanks, control bytes, non-ASCII: prose, not a token */
        digit |= is_digit(c);
        alpha |= (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
    }
    double need = 0.8 * log2((double)n);
    if (need > 3.5)
        need = 3.5;
    return digit && alpha && rs_secrets_entropy(v, n) >= need && !placeholder(v, n);
}

/* The key shown in the redacted match: "DB_PASSWORD=". */
static int hit_assign(sec_hit *h, int rule, const sec_line *ln, const struct assign *a)
{
    char shown[64];
    size_t k = a->key_end - a->key_start;
    if (k > 48)
        k = 48;
    snprintf(shown, sizeof shown, "%.*s=", (int)k, ln->buf + a->key_start);
    return hit(h, rule, a->vstart, a->vend, shown, strlen(shown));
}

static int all_of(const char *v, size_t n, int (*cls)(int))
{
    for (size_t i = 0; i < n; i++)
        if (!cls((unsigned char)v[i]))
            return 0;
    return 1;
}

static const char azurite_key[] =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/* A storage account key: 86 base64 bytes and "==", not Azurite's. */
static int storage_key(const char *v, size_t n)
{
    return n == 88 && v[86] == '=' && v[87] == '=' && all_of(v, 86, is_b64) &&
           memcmp(v, azurite_key, 88) != 0;
}

static int client_secret(const char *v, size_t n)
{
    /* the current format: 3 bytes, a digit, "Q~", 31 to 34 bytes */
    if (n >= 37 && n <= 40 && is_digit((unsigned char)v[3]) && v[4] == 'Q' && v[5] == '~')
        return 1;
    return n >= 32 && n <= 44 && random_enough(v, n, 32);
}

static int match_assign(const sec_literal *lit, const sec_line *ln, size_t at, sec_hit *h)
{
    struct assign a;
    if (!parse_assign(ln, at, lit->len, &a))
        return 0;
    const char *v = ln->buf + a.vstart;
    size_t n = a.vend - a.vstart;
    int ok = 0;
    switch (lit->rule) {
    case R_AWS_SECRET:
        ok = n == 40 && all_of(v, n, is_b64) &&
             memcmp(v, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", 40) != 0;
        break;
    case R_AZ_KEY:
        ok = storage_key(v, n);
        break;
    case R_AZ_CLIENT:
        ok = client_secret(v, n);
        break;
    default:
        ok = random_enough(v, n, 12);
    }
    return ok ? hit_assign(h, lit->rule, ln, &a) : 0;
}

/* ---- Azure ------------------------------------------------------------- */

static int line_has(const sec_line *ln, const char *s)
{
    size_t k = strlen(s);
    for (size_t i = ln->start; i + k <= ln->end; i++)
        if (strncasecmp(ln->buf + i, s, k) == 0)
            return 1;
    return 0;
}

/* AccountKey=<key> in a line that also names the account */
static int match_az_conn(const sec_literal *lit, const sec_line *ln, size_t at, sec_hit *h)
{
    size_t v = at + lit->len, n = run(ln, v, is_b64, 87);
    while (n < 88 && byte_at(ln, v + n) == '=')
        n++;
    if (!storage_key(ln->buf + v, n) || !line_has(ln, "AccountName="))
        return 0;
    return hit(h, lit->rule, v, v + n, "AccountKey=", 11);
}

static int is_sas(int c)
{
    return is_b64(c) || c == '%';
}

/* sig=<signature> of a SAS query: a signed version (sv=) and expiry or
 * permissions (se=, sp=) on the same line, a signature of 40+ bytes that
 * ends in "=" or its URL encoding */
static int match_az_sas(const sec_literal *lit, const sec_line *ln, size_t at, sec_hit *h)
{
    int before = byte_at(ln, at - 1);
    if (before != '?' && before != '&')
        return 0;
    size_t v = at + lit->len, n = run(ln, v, is_sas, 200);
    while (byte_at(ln, v + n) == '=')
        n++;
    const char *s = ln->buf + v;
    int padded = (n && s[n - 1] == '=') || (n > 3 && strncasecmp(s + n - 3, "%3D", 3) == 0);
    if (n < 40 || !padded || !line_has(ln, "sv=") ||
        (!line_has(ln, "se=") && !line_has(ln, "sp=")))
        return 0;
    return hit(h, lit->rule, v, v + n, "sig=", 4);
}

/* ---- keys -------------------------------------------------------------- */

int sec_key_material(const char *line, size_t n)
{
    size_t i = 0;
    while (i < n && (line[i] == ' ' || line[i] == '\t' || line[i] == '"' || line[i] == '\''))
        i++;
    if (n - i >= 10 && strncmp(line + i, "Proc-Type:", 10) == 0)
        return 1;
    size_t k = 0;
    while (i + k < n && is_b64((unsigned char)line[i + k]))
        k++;
    return k >= 40;
}

/* "-----BEGIN [LABEL ]PRIVATE KEY[ BLOCK]-----" then key material: on the
 * next line, or after an escaped "\n" in a string (JSON, source code). */
static int match_pem(const sec_literal *lit, const sec_line *ln, size_t at, sec_hit *h)
{
    size_t p = at + 11, label = p; /* after "-----BEGIN " */
    while (p < ln->end && p - label < 24 && ((ln->buf[p] >= 'A' && ln->buf[p] <= 'Z') ||
                                             ln->buf[p] == ' ' || is_digit(ln->buf[p])))
        p++;
    size_t end = p;
    if (end - label < 11 || memcmp(ln->buf + end - 11, "PRIVATE KEY", 11) != 0) {
        if (end - label < 17 || memcmp(ln->buf + end - 17, "PRIVATE KEY BLOCK", 17) != 0)
            return 0;
    }
    if (p + 5 > ln->end || memcmp(ln->buf + p, "-----", 5) != 0)
        return 0;
    int rule = lit->rule == R_OPENSSH ? R_OPENSSH : R_PRIVATE_KEY;
    if (lit->rule == R_PRIVATE_KEY && end - label == 19 &&
        memcmp(ln->buf + label, "OPENSSH PRIVATE KEY", 19) == 0)
        return 0; /* its own rule */
    char shown[48];
    snprintf(shown, sizeof shown, "BEGIN %.*s ", (int)(end - label), ln->buf + label);
    size_t after = p + 5;
    if (after + 2 <= ln->end && ln->buf[after] == '\\' && ln->buf[after + 1] == 'n')
        return sec_key_material(ln->buf + after + 2, ln->end - after - 2)
                   ? hit(h, rule, after, ln->end, shown, strlen(shown))
                   : 0;
    hit(h, rule, after, ln->end, shown, strlen(shown));
    if (ln->end >= ln->len) {
        h->pending = 1; /* the next line is not in this buffer yet */
        return 1;
    }
    const char *next = ln->buf + ln->end + 1;
    const char *nl = memchr(next, '\n', ln->len - ln->end - 1);
    size_t nn = nl ? (size_t)(nl - next) : ln->len - ln->end - 1;
    if (!nl)
        return h->pending = 1; /* unfinished: decided when it is */
    return sec_key_material(next, nn);
}

/* "private_key": "-----BEGIN PRIVATE KEY-----\n<key>" of a service account file */
static int match_gcp(const sec_literal *lit, const sec_line *ln, size_t at, sec_hit *h)
{
    size_t p = at + lit->len;
    while (byte_at(ln, p) == ' ')
        p++;
    if (byte_at(ln, p++) != ':')
        return 0;
    while (byte_at(ln, p) == ' ')
        p++;
    if (byte_at(ln, p++) != '"')
        return 0;
    static const char head[] = "-----BEGIN PRIVATE KEY-----\\n";
    size_t k = sizeof head - 1;
    if (p + k > ln->end || memcmp(ln->buf + p, head, k) != 0 ||
        !sec_key_material(ln->buf + p + k, ln->end - p - k))
        return 0;
    return hit(h, lit->rule, p, ln->end, "\"private_key\": \"-----BEGIN PRIVATE KEY-----", 43);
}

/* ---- JWT --------------------------------------------------------------- */

/* 1 when the base64url header (n bytes) decodes to JSON naming "alg". */
static int jwt_header(const char *s, size_t n)
{
    char *out = NULL;
    size_t o = 0;
    int yes = rs_base64_decode(s, n, &out, &o) == 0 && memmem(out, o, "\"alg\"", 5) != NULL;
    free(out);
    return yes;
}

static int match_jwt(const sec_literal *lit, const sec_line *ln, size_t at, sec_hit *h)
{
    if (is_b64url(byte_at(ln, at - 1)) || byte_at(ln, at - 1) == '.')
        return 0;
    size_t p = at, seg[3];
    for (int i = 0; i < 3; i++) {
        seg[i] = run(ln, p, is_b64url, 800);
        if (seg[i] < 10 || seg[i] >= 800)
            return 0;
        if (i == 1 && memcmp(ln->buf + p, "eyJ", 3) != 0)
            return 0;
        p += seg[i];
        if (i < 2 && byte_at(ln, p++) != '.')
            return 0;
    }
    if (!jwt_header(ln->buf + at, seg[0] < 80 ? seg[0] : 80))
        return 0;
    return hit(h, lit->rule, at, p, lit->text, lit->len);
}

int sec_match(const sec_literal *lit, const sec_line *ln, size_t at, sec_hit *h)
{
    memset(h, 0, sizeof *h);
    switch (lit->rule) {
    case R_AWS_ID:
    case R_GH_PAT:
    case R_GH_OAUTH:
    case R_GH_USER:
    case R_GH_SERVER:
    case R_GH_REFRESH:
    case R_STRIPE_SK:
    case R_STRIPE_RK:
        return match_token(lit, ln, at, h);
    case R_GH_FINE:
        return match_fine_pat(lit, ln, at, h);
    case R_GITLAB:
        return match_gitlab(lit, ln, at, h);
    case R_SLACK_TOKEN:
        return match_slack(lit, ln, at, h);
    case R_SLACK_HOOK:
        return match_slack_hook(lit, ln, at, h);
    case R_AZ_CONN:
        return match_az_conn(lit, ln, at, h);
    case R_AZ_SAS:
        return match_az_sas(lit, ln, at, h);
    case R_GCP_SA:
        return match_gcp(lit, ln, at, h);
    case R_OPENSSH:
    case R_PRIVATE_KEY:
        return match_pem(lit, ln, at, h);
    case R_JWT:
        return match_jwt(lit, ln, at, h);
    default:
        return match_assign(lit, ln, at, h);
    }
}
