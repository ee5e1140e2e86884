/*
 * Hostile use of the C ABI: NULL pointers, zero lengths, bytes that are not
 * UTF-8, 1 MiB inputs, freeing NULL, unknown enum values, the explain buffer
 * protocol, and one policy (with an origin callback) shared by 8 threads.
 * Every call must return a clear result code and never crash or leak.
 *
 * Last line: "c-hostile: N passed, M failed".
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corsgate.h"

static int passed, failed;

#define CHECK(cond)                                                             \
    do {                                                                        \
        if (cond) {                                                             \
            passed++;                                                           \
        } else {                                                                \
            failed++;                                                           \
            fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);     \
        }                                                                       \
    } while (0)

#define B(s) ((const uint8_t *)(s))
#define LINE(n, v) {{B(n), sizeof(n) - 1}, {B(v), sizeof(v) - 1}}
#define MIB ((size_t)1 << 20)

static int str_is(corsgate_str s, const char *want) {
    return s.len == strlen(want) && memcmp(s.data, want, s.len) == 0;
}

static corsgate_policy *build(const char *json) {
    corsgate_policy *p = NULL;
    corsgate_result r = corsgate_policy_from_json(B(json), strlen(json), &p, NULL);
    CHECK(r == CORSGATE_RESULT_OK && p != NULL);
    return p;
}

/* The first finding's code, or "" (frees the findings). */
static int first_code_is(corsgate_findings *f, const char *code) {
    corsgate_finding item;
    int ok = corsgate_findings_get(f, 0, &item) == CORSGATE_RESULT_OK && str_is(item.code, code);
    corsgate_findings_free(f);
    return ok;
}

static void null_pointers(const corsgate_policy *p) {
    corsgate_decision d;
    corsgate_policy *out = (corsgate_policy *)&d; /* must be overwritten with NULL */
    corsgate_findings *f = NULL;
    corsgate_str s;
    corsgate_finding item;
    size_t len;
    const corsgate_result N = CORSGATE_RESULT_NULL_PARAMETER;

    CHECK(corsgate_version(NULL) == N);
    CHECK(corsgate_result_name(0, NULL) == N);
    CHECK(corsgate_kind_name(0, NULL) == N);
    CHECK(corsgate_reason_name(0, NULL) == N);
    CHECK(corsgate_policy_from_json(B("{}"), 2, NULL, &f) == N);
    CHECK(corsgate_policy_from_toml(B(""), 0, NULL, NULL) == N);
    CHECK(corsgate_policy_from_json(NULL, 5, &out, &f) == N && out == NULL && f == NULL);
    CHECK(corsgate_policy_from_json_with_origin_callback(B("{}"), 2, NULL, NULL, &out, &f) == N);
    CHECK(corsgate_policy_from_toml_with_origin_callback(B(""), 0, NULL, NULL, &out, NULL) == N);
    CHECK(corsgate_policy_decide(NULL, B("GET"), 3, NULL, 0, &d) == N);
    CHECK(corsgate_policy_decide(p, B("GET"), 3, NULL, 0, NULL) == N);
    CHECK(corsgate_policy_decide(p, NULL, 3, NULL, 0, &d) == N);
    CHECK(corsgate_policy_decide(p, B("GET"), 3, NULL, 1, &d) == N);
    corsgate_header_line bad_name = {{NULL, 6}, {B("x"), 1}};
    corsgate_header_line bad_value = {{B("Origin"), 6}, {NULL, 1}};
    CHECK(corsgate_policy_decide(p, B("GET"), 3, &bad_name, 1, &d) == N);
    CHECK(corsgate_policy_decide(p, B("GET"), 3, &bad_value, 1, &d) == N);
    corsgate_bytes dangling = {NULL, 4};
    CHECK(corsgate_policy_decide_values(NULL, B("GET"), 3, NULL, NULL, NULL, NULL, &d) == N);
    CHECK(corsgate_policy_decide_values(p, B("GET"), 3, NULL, NULL, NULL, NULL, NULL) == N);
    CHECK(corsgate_policy_decide_values(p, B("GET"), 3, &dangling, NULL, NULL, NULL, &d) == N);
    CHECK(corsgate_policy_decide_values(p, B("GET"), 3, NULL, NULL, NULL, &dangling, &d) == N);
    CHECK(corsgate_policy_decide(p, B("GET"), 3, NULL, 0, &d) == CORSGATE_RESULT_OK);
    CHECK(corsgate_decision_explain(NULL, NULL, 0, NULL, 0, &len) == N);
    CHECK(corsgate_decision_explain(&d, NULL, 0, NULL, 0, NULL) == N);
    CHECK(corsgate_decision_explain(&d, NULL, 0, NULL, 16, &len) == N);
    CHECK(corsgate_decision_explain(&d, NULL, 9, (char *)&item, sizeof item, &len) == N);
    CHECK(corsgate_vary_merge(NULL, 0, NULL, 0, NULL, 0, NULL) == N);
    CHECK(corsgate_vary_merge(NULL, 1, NULL, 0, NULL, 0, &len) == N);
    CHECK(corsgate_vary_merge(NULL, 0, NULL, 1, NULL, 0, &len) == N);
    CHECK(corsgate_policy_lint(NULL, &f) == N);
    CHECK(corsgate_policy_lint(p, NULL) == N);
    CHECK(corsgate_findings_len(NULL, &len) == N);
    CHECK(corsgate_findings_get(NULL, 0, &item) == N);
    CHECK(corsgate_policy_free(NULL) == CORSGATE_RESULT_OK);
    CHECK(corsgate_findings_free(NULL) == CORSGATE_RESULT_OK);
    (void)s;
}

static void zero_lengths(const corsgate_policy *p) {
    corsgate_decision d;
    corsgate_policy *out = NULL;
    corsgate_findings *f = NULL;
    /* An empty policy is a syntax error, not a crash. */
    CHECK(corsgate_policy_from_json(NULL, 0, &out, &f) == CORSGATE_RESULT_INVALID_POLICY && out == NULL);
    CHECK(first_code_is(f, "invalid-syntax"));
    CHECK(corsgate_policy_from_toml(B(""), 0, &out, &f) == CORSGATE_RESULT_INVALID_POLICY);
    CHECK(first_code_is(f, "no-origins"));
    /* Empty method, no lines: not a CORS request. */
    CHECK(corsgate_policy_decide(p, NULL, 0, NULL, 0, &d) == CORSGATE_RESULT_OK);
    CHECK(d.kind == CORSGATE_KIND_NOT_CORS && !d.allowed && d.status == 0 && d.headers_len == 0);
    /* Empty names are skipped; an empty Origin is invalid. */
    corsgate_header_line lines[] = {{{NULL, 0}, {NULL, 0}}, {{B("Origin"), 6}, {NULL, 0}}};
    CHECK(corsgate_policy_decide(p, B("GET"), 3, lines, 2, &d) == CORSGATE_RESULT_OK);
    CHECK(d.kind == CORSGATE_KIND_ACTUAL && !d.allowed && d.reason == CORSGATE_REASON_INVALID_ORIGIN);
    /* An empty ACRM line still makes a preflight. */
    corsgate_bytes origin = {B("https://app.example.com"), 23}, empty = {NULL, 0};
    CHECK(corsgate_policy_decide_values(p, B("OPTIONS"), 7, &origin, &empty, &empty, &empty, &d) ==
          CORSGATE_RESULT_OK);
    CHECK(d.kind == CORSGATE_KIND_PREFLIGHT && d.status == 403 && d.reason == CORSGATE_REASON_INVALID_METHOD);
}

static void not_utf8(const corsgate_policy *p) {
    corsgate_policy *out = NULL;
    corsgate_findings *f = NULL;
    const char policy[] = "{\"origins\": [\"https://\xff\xfe.example\"]}";
    CHECK(corsgate_policy_from_json(B(policy), sizeof policy - 1, &out, &f) == CORSGATE_RESULT_INVALID_POLICY);
    CHECK(first_code_is(f, "invalid-syntax"));
    const char toml[] = "origins = [\"https://app.example.com\"] # \xc3\x28";
    CHECK(corsgate_policy_from_toml(B(toml), sizeof toml - 1, &out, &f) == CORSGATE_RESULT_INVALID_POLICY);
    CHECK(first_code_is(f, "invalid-syntax"));

    corsgate_decision d;
    corsgate_header_line lines[] = {LINE("Origin", "https://app.example.com\xff"),
                                    LINE("Access-Control-Request-Method", "P\xc3\x9cT")};
    CHECK(corsgate_policy_decide(p, B("OPTIONS"), 7, lines, 2, &d) == CORSGATE_RESULT_OK);
    CHECK(d.kind == CORSGATE_KIND_PREFLIGHT && d.reason == CORSGATE_REASON_INVALID_ORIGIN && d.headers_len == 0);
    lines[0] = (corsgate_header_line)LINE("Origin", "https://app.example.com");
    CHECK(corsgate_policy_decide(p, B("OPTIONS"), 7, lines, 2, &d) == CORSGATE_RESULT_OK);
    CHECK(d.reason == CORSGATE_REASON_INVALID_METHOD);

    /* Explain escapes the bytes; a URL that is not UTF-8 still explains. */
    char buf[4096];
    size_t len = 0;
    CHECK(corsgate_decision_explain(&d, B("https://x/\xff\n"), 12, buf, sizeof buf, &len) == CORSGATE_RESULT_OK);
    CHECK(strlen(buf) == len && strstr(buf, "\\xc3\\x9c") != NULL && strstr(buf, "\\xef\\xbf\\xbd\\x0a") != NULL);
}

static void huge_inputs(const corsgate_policy *p) {
    char *big = malloc(MIB + 64);
    corsgate_policy *out = NULL;
    corsgate_findings *f = NULL;

    /* 1 MiB of whitespace around a valid policy builds. */
    memset(big, ' ', MIB);
    const char *tail = "{\"origins\": [\"https://app.example.com\"]}";
    memcpy(big + MIB - strlen(tail), tail, strlen(tail));
    CHECK(corsgate_policy_from_json(B(big), MIB, &out, &f) == CORSGATE_RESULT_OK && out && !f);
    corsgate_policy_free(out);
    /* 1 MiB of garbage is refused. */
    memset(big, '[', MIB);
    CHECK(corsgate_policy_from_json(B(big), MIB, &out, &f) == CORSGATE_RESULT_INVALID_POLICY && !out);
    CHECK(first_code_is(f, "invalid-syntax"));
    CHECK(corsgate_policy_from_toml(B(big), MIB, &out, &f) == CORSGATE_RESULT_INVALID_POLICY && !out);
    CHECK(first_code_is(f, "invalid-syntax"));

    corsgate_decision d;
    /* A 1 MiB Origin, ACRM, ACRH and method. */
    memset(big, 'a', MIB);
    corsgate_header_line lines[3] = {{{B("Origin"), 6}, {B(big), MIB}},
                                     LINE("Access-Control-Request-Method", "PUT"),
                                     LINE("Access-Control-Request-Headers", "x")};
    CHECK(corsgate_policy_decide(p, B("OPTIONS"), 7, lines, 3, &d) == CORSGATE_RESULT_OK);
    CHECK(d.reason == CORSGATE_REASON_INVALID_ORIGIN && !d.allowed);
    lines[0] = (corsgate_header_line)LINE("Origin", "https://app.example.com");
    lines[1].value = (corsgate_bytes){B(big), MIB};
    CHECK(corsgate_policy_decide(p, B("OPTIONS"), 7, lines, 3, &d) == CORSGATE_RESULT_OK);
    CHECK(d.reason == CORSGATE_REASON_INVALID_METHOD);
    lines[1] = (corsgate_header_line)LINE("Access-Control-Request-Method", "PUT");
    memset(big, ',', MIB);
    lines[2].value = (corsgate_bytes){B(big), MIB};
    CHECK(corsgate_policy_decide(p, B("OPTIONS"), 7, lines, 3, &d) == CORSGATE_RESULT_OK);
    CHECK(d.reason == CORSGATE_REASON_INVALID_REQUEST_HEADERS && d.status == 403);
    CHECK(corsgate_policy_decide(p, B(big), MIB, lines, 1, &d) == CORSGATE_RESULT_OK);
    CHECK(d.kind == CORSGATE_KIND_ACTUAL && d.allowed);

    /* 64 Ki ACRH lines of one byte each: over the line limit. */
    size_t n = 65536;
    corsgate_header_line *many = malloc(n * sizeof *many);
    many[0] = (corsgate_header_line)LINE("Origin", "https://app.example.com");
    many[1] = (corsgate_header_line)LINE("Access-Control-Request-Method", "PUT");
    for (size_t i = 2; i < n; i++) many[i] = (corsgate_header_line)LINE("access-control-request-headers", "x");
    CHECK(corsgate_policy_decide(p, B("OPTIONS"), 7, many, n, &d) == CORSGATE_RESULT_OK);
    CHECK(d.reason == CORSGATE_REASON_INVALID_REQUEST_HEADERS);

    /* Explaining a 1 MiB Origin reports its size instead of quoting it. */
    memset(big, 'a', MIB);
    lines[0].value = (corsgate_bytes){B(big), MIB};
    size_t len = 0;
    CHECK(corsgate_policy_decide(p, B("GET"), 3, lines, 1, &d) == CORSGATE_RESULT_OK);
    CHECK(d.reason == CORSGATE_REASON_INVALID_ORIGIN && d.refusal.value.len == MIB);
    CHECK(corsgate_decision_explain(&d, B(big), MIB, NULL, 0, &len) == CORSGATE_RESULT_BUFFER_TOO_SMALL);
    CHECK(len > MIB); /* the 1 MiB URL is quoted, twice */
    free(many);
    free(big);
}

static void explain_protocol(const corsgate_policy *p) {
    corsgate_header_line lines[] = {LINE("Origin", "https://evil.example")};
    const uint8_t *url = B("https://api.example.com/");
    size_t len = 0, needed = 0;
    corsgate_decision d;
    CHECK(corsgate_policy_decide(p, B("GET"), 3, lines, 1, &d) == CORSGATE_RESULT_OK);
    CHECK(corsgate_decision_explain(&d, url, 24, NULL, 0, &needed) == CORSGATE_RESULT_BUFFER_TOO_SMALL);
    CHECK(needed > 0);
    char *buf = malloc(needed + 1);
    memset(buf, 'x', needed + 1);
    CHECK(corsgate_decision_explain(&d, url, 24, buf, needed, &len) == CORSGATE_RESULT_BUFFER_TOO_SMALL);
    CHECK(len == needed && buf[0] == '\0' && buf[1] == 'x');
    CHECK(corsgate_decision_explain(&d, url, 24, buf, needed + 1, &len) == CORSGATE_RESULT_OK);
    CHECK(len == needed && buf[len] == '\0' && strlen(buf) == len);
    CHECK(strncmp(buf, "reason: origin-not-allowed\nwhy: ", 32) == 0);
    free(buf);
    lines[0] = (corsgate_header_line)LINE("Origin", "https://app.example.com");
    char small[8];
    CHECK(corsgate_policy_decide(p, B("GET"), 3, lines, 1, &d) == CORSGATE_RESULT_OK);
    CHECK(corsgate_decision_explain(&d, url, 24, small, sizeof small, &len) == CORSGATE_RESULT_NOTHING_TO_EXPLAIN);
    CHECK(len == 0);
    CHECK(corsgate_policy_decide(p, B("GET"), 3, NULL, 0, &d) == CORSGATE_RESULT_OK);
    CHECK(corsgate_decision_explain(&d, NULL, 0, small, sizeof small, &len) == CORSGATE_RESULT_NOTHING_TO_EXPLAIN);
    /* A decision corsgate never wrote is refused, not read as one. */
    lines[0] = (corsgate_header_line)LINE("Origin", "https://evil.example");
    CHECK(corsgate_policy_decide(p, B("GET"), 3, lines, 1, &d) == CORSGATE_RESULT_OK);
    d.refusal.check = 0xffffu;
    CHECK(corsgate_decision_explain(&d, url, 24, small, sizeof small, &len) == CORSGATE_RESULT_INVALID_ARGUMENT);
}

/* Vary is merged by core's rule: no repeats, `*` left alone, no trailing comma. */
static void vary_merge(void) {
    corsgate_str tokens[] = {{"Origin", 6}, {"Access-Control-Request-Method", 29}};
    corsgate_bytes lines[] = {{B("Accept,"), 7}, {B("origin"), 6}};
    uint8_t buf[64];
    size_t len = 0;
    CHECK(corsgate_vary_merge(lines, 2, tokens, 2, NULL, 0, &len) == CORSGATE_RESULT_BUFFER_TOO_SMALL);
    CHECK(len == strlen("origin, Access-Control-Request-Method"));
    CHECK(corsgate_vary_merge(lines, 2, tokens, 2, buf, sizeof buf, &len) == CORSGATE_RESULT_OK);
    CHECK(len == 37 && memcmp(buf, "origin, Access-Control-Request-Method", len) == 0);
    CHECK(corsgate_vary_merge(lines, 1, tokens, 2, buf, sizeof buf, &len) == CORSGATE_RESULT_OK);
    CHECK(len == 45 && memcmp(buf, "Accept, Origin, Access-Control-Request-Method", len) == 0);
    CHECK(corsgate_vary_merge(NULL, 0, tokens, 1, buf, sizeof buf, &len) == CORSGATE_RESULT_OK);
    CHECK(len == 6 && memcmp(buf, "Origin", 6) == 0);
    corsgate_bytes star[] = {{B("Accept"), 6}, {B(" * "), 3}};
    CHECK(corsgate_vary_merge(star, 2, tokens, 2, buf, sizeof buf, &len) == CORSGATE_RESULT_UNCHANGED && len == 0);
    corsgate_bytes full[] = {{B("ORIGIN, access-control-request-method"), 37}};
    CHECK(corsgate_vary_merge(full, 1, tokens, 2, buf, sizeof buf, &len) == CORSGATE_RESULT_UNCHANGED);
}

static void names_and_findings(const corsgate_policy *p) {
    corsgate_str s;
    CHECK(corsgate_version(&s) == CORSGATE_RESULT_OK && s.len >= 5 && s.data[1] == '.');
    CHECK(corsgate_result_name(CORSGATE_RESULT_BUFFER_TOO_SMALL, &s) == CORSGATE_RESULT_OK &&
          str_is(s, "CORSGATE_RESULT_BUFFER_TOO_SMALL"));
    CHECK(corsgate_result_name(0xffffffffu, &s) == CORSGATE_RESULT_INVALID_ARGUMENT);
    CHECK(corsgate_kind_name(CORSGATE_KIND_PREFLIGHT, &s) == CORSGATE_RESULT_OK && str_is(s, "preflight"));
    CHECK(corsgate_kind_name(3, &s) == CORSGATE_RESULT_INVALID_ARGUMENT);
    CHECK(corsgate_reason_name(CORSGATE_REASON_NONE, &s) == CORSGATE_RESULT_OK && s.len == 0 && s.data != NULL);
    CHECK(corsgate_reason_name(CORSGATE_REASON_HEADER_NOT_ALLOWED, &s) == CORSGATE_RESULT_OK &&
          str_is(s, "header-not-allowed"));
    CHECK(corsgate_reason_name(1000, &s) == CORSGATE_RESULT_INVALID_ARGUMENT);

    corsgate_findings *w = NULL;
    size_t len = 99;
    corsgate_finding item;
    CHECK(corsgate_policy_lint(p, &w) == CORSGATE_RESULT_OK && w != NULL);
    CHECK(corsgate_findings_len(w, &len) == CORSGATE_RESULT_OK && len == 0);
    CHECK(corsgate_findings_get(w, 0, &item) == CORSGATE_RESULT_OUT_OF_RANGE);
    CHECK(corsgate_findings_get(w, (size_t)-1, &item) == CORSGATE_RESULT_OUT_OF_RANGE);
    corsgate_findings_free(w);

    const char *toml = "origins = [\"http://a.example\"]\nmax_age = 86400\n";
    corsgate_policy *risky = NULL;
    CHECK(corsgate_policy_from_toml(B(toml), strlen(toml), &risky, NULL) == CORSGATE_RESULT_OK);
    CHECK(corsgate_policy_lint(risky, &w) == CORSGATE_RESULT_OK);
    CHECK(corsgate_findings_len(w, &len) == CORSGATE_RESULT_OK && len == 2);
    CHECK(corsgate_findings_get(w, 1, &item) == CORSGATE_RESULT_OK && str_is(item.code, "insecure-origin") &&
          str_is(item.value, "http://a.example") && item.fix.len > 0);
    CHECK(str_is(item.key, "origins"));
    CHECK(corsgate_findings_get(w, 0, &item) == CORSGATE_RESULT_OK && str_is(item.key, "max_age"));
    corsgate_findings_free(w);
    corsgate_policy_free(risky);

    /* Every problem at once. */
    const char *json = "{\"origins\": [\"https://a.example/\", \"*\"], \"credentials\": true, \"max_age\": -1,"
                       " \"surprise\": 1}";
    corsgate_findings *e = NULL;
    CHECK(corsgate_policy_from_json(B(json), strlen(json), &risky, &e) == CORSGATE_RESULT_INVALID_POLICY);
    CHECK(corsgate_findings_len(e, &len) == CORSGATE_RESULT_OK && len >= 4);
    corsgate_findings_free(e);
}

/* Credentialed `request_headers = ["*"]`: rebuilt names live in the decision. */
static void reflected_names(void) {
    corsgate_policy *p = build("{\"origins\": [\"https://app.example.com\"], \"credentials\": true,"
                               " \"request_headers\": [\"*\"]}");
    corsgate_header_line lines[] = {LINE("Origin", "https://app.example.com"),
                                    LINE("Access-Control-Request-Method", "GET"),
                                    LINE("Access-Control-Request-Headers", "X-One, ,X-Two"),
                                    LINE("Access-Control-Request-Headers", "x-three")};
    corsgate_decision *d = malloc(sizeof *d);
    CHECK(corsgate_policy_decide(p, B("OPTIONS"), 7, lines, 4, d) == CORSGATE_RESULT_OK);
    CHECK(d->allowed && d->headers_len == 3);
    const corsgate_header *h = &d->headers[2];
    CHECK(str_is(h->name, "Access-Control-Allow-Headers") && str_is(h->value, "x-one,x-two,x-three"));
    CHECK(h->source == CORSGATE_SOURCE_REBUILT);
    CHECK((const uint8_t *)h->value.data >= d->reflected &&
          (const uint8_t *)h->value.data < d->reflected + CORSGATE_REFLECTED_HEADERS_CAP);
    CHECK(d->headers[0].source == CORSGATE_SOURCE_ORIGIN);
    CHECK(d->headers[0].value.data == (const char *)lines[0].value.data); /* borrowed, not copied */
    CHECK(d->headers[1].source == CORSGATE_SOURCE_POLICY);
    free(d);
    corsgate_policy_free(p);
}

/* One policy, 8 threads, an origin callback counting its calls. */
struct shared {
    const corsgate_policy *policy;
    atomic_long callback_calls;
};

static int tenant_callback(void *userdata, const char *origin, size_t len) {
    struct shared *s = userdata;
    atomic_fetch_add(&s->callback_calls, 1);
    const char *suffix = ".tenants.example.net";
    size_t n = strlen(suffix);
    return origin[len] == '\0' && len > n && strcmp(origin + len - n, suffix) == 0;
}

enum { THREADS = 8, ROUNDS = 5000 };

static void *worker(void *arg) {
    struct shared *s = arg;
    long bad = 0;
    corsgate_decision d;
    for (int i = 0; i < ROUNDS; i++) {
        corsgate_header_line listed[] = {LINE("Origin", "https://app.example.com"),
                                         LINE("Access-Control-Request-Method", "PUT"),
                                         LINE("Access-Control-Request-Headers", "Content-Type, X-Trace")};
        corsgate_header_line tenant[] = {LINE("Origin", "https://a.tenants.example.net")};
        corsgate_header_line stranger[] = {LINE("Origin", "https://evil.example")};
        bad += corsgate_policy_decide(s->policy, B("OPTIONS"), 7, listed, 3, &d) != CORSGATE_RESULT_OK ||
               !d.allowed || d.status != 204 || d.headers_len != 4 || !str_is(d.headers[3].value, "content-type,x-trace");
        bad += corsgate_policy_decide(s->policy, B("GET"), 3, tenant, 1, &d) != CORSGATE_RESULT_OK || !d.allowed ||
               !str_is(d.headers[0].value, "https://a.tenants.example.net");
        bad += corsgate_policy_decide(s->policy, B("GET"), 3, stranger, 1, &d) != CORSGATE_RESULT_OK ||
               d.allowed || d.reason != CORSGATE_REASON_ORIGIN_NOT_ALLOWED;
    }
    return (void *)bad;
}

static void threads(void) {
    const char *json = "{\"origins\": [\"https://app.example.com\"], \"credentials\": true,"
                       " \"methods\": [\"PUT\"], \"request_headers\": [\"*\"]}";
    struct shared s;
    s.policy = NULL;
    atomic_init(&s.callback_calls, 0);
    corsgate_policy *p = NULL;
    CHECK(corsgate_policy_from_json_with_origin_callback(B(json), strlen(json), tenant_callback, &s, &p, NULL) ==
          CORSGATE_RESULT_OK);
    s.policy = p;
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) CHECK(pthread_create(&t[i], NULL, worker, &s) == 0);
    long bad = 0;
    for (int i = 0; i < THREADS; i++) {
        void *r;
        CHECK(pthread_join(t[i], &r) == 0);
        bad += (long)r;
    }
    CHECK(bad == 0);
    /* Called once per tenant and per stranger decision, never for the listed origin. */
    CHECK(atomic_load(&s.callback_calls) == 2L * THREADS * ROUNDS);
    corsgate_policy_free(p);
}

int main(void) {
    corsgate_policy *p = build("{\"origins\": [\"https://app.example.com\"], \"methods\": [\"PUT\"],"
                               " \"request_headers\": [\"content-type\"]}");
    null_pointers(p);
    zero_lengths(p);
    not_utf8(p);
    huge_inputs(p);
    explain_protocol(p);
    names_and_findings(p);
    corsgate_policy_free(p);
    reflected_names();
    vary_merge();
    threads();
    printf("c-hostile: %d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
