/*
 * libFuzzer harness over the C ABI (include/corsgate.h): SPEC §6 invariants
 * for corsgate_policy_decide and corsgate_policy_decide_values.
 *
 * Input: the first line is the method; every further line is one request
 * header line, "name:value" split at the first ':' (a line without ':' is a
 * name with an empty value). Lines end at '\n'; every other byte, '\r' and
 * NUL included, is passed through. Each input is decided against every
 * policy below (built once); any violation aborts.
 *
 * Build (tests/suites/c.sh does this):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude \
 *     bindings/c/tests/fuzz_decide.c target/release/libcorsgate_ffi.a \
 *     -lpthread -lm -ldl -o fuzz_decide
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corsgate.h"

#define MAX_LINES 64

#define FAIL(...)                                                               \
    do {                                                                        \
        fprintf(stderr, "fuzz_decide: invariant violated: ");                  \
        fprintf(stderr, __VA_ARGS__);                                           \
        fprintf(stderr, "\n");                                                  \
        abort();                                                                \
    } while (0)

/* Which origins a policy may echo: an exact list, a suffix pattern, or any. */
enum allow_kind { ALLOW_LIST, ALLOW_SUFFIX, ALLOW_ANY };

struct policy_case {
    const char *json;
    enum allow_kind allow;
    const char *origins[3]; /* ALLOW_LIST: the list; ALLOW_SUFFIX: scheme, suffix */
    corsgate_policy *policy;
};

static struct policy_case cases[] = {
    {"{\"origins\": [\"https://app.example\", \"http://localhost:8080\"], \"credentials\": true,"
     " \"methods\": [\"PUT\", \"DELETE\", \"patch\"], \"request_headers\": [\"*\", \"authorization\"],"
     " \"expose_headers\": [\"x-a\", \"x-b\"], \"max_age\": 600,"
     " \"private_network\": {\"allow\": true}}",
     ALLOW_LIST, {"https://app.example", "http://localhost:8080", NULL}, NULL},
    {"{\"origins\": [\"*\"], \"methods\": [\"*\"], \"request_headers\": [\"*\"],"
     " \"expose_headers\": [\"*\"]}",
     ALLOW_ANY, {NULL}, NULL},
    {"{\"origins\": [\"https://*.example.com\"], \"credentials\": true, \"methods\": [\"*\"],"
     " \"request_headers\": [\"*\"], \"expose_headers\": [\"x-request-id\"], \"max_age\": 7200}",
     ALLOW_SUFFIX, {"https://", ".example.com", NULL}, NULL},
    {"{\"origins\": [\"https://app.example\"], \"methods\": [\"PUT\"],"
     " \"request_headers\": [\"x-a\", \"authorization\"], \"preflight_status\": 200,"
     " \"private_network\": {\"allow\": true, \"id\": \"01:23:45:67:89:0A\", \"name\": \"dev\"}}",
     ALLOW_LIST, {"https://app.example", NULL}, NULL},
};
#define N_CASES (sizeof cases / sizeof cases[0])

static int built;

static void build_all(void) {
    for (size_t i = 0; i < N_CASES; i++) {
        corsgate_findings *errors = NULL;
        corsgate_result r = corsgate_policy_from_json((const uint8_t *)cases[i].json,
                                                      strlen(cases[i].json), &cases[i].policy, &errors);
        if (r != CORSGATE_RESULT_OK || cases[i].policy == NULL) {
            fprintf(stderr, "fuzz_decide: policy %zu refused (result %u)\n", i, (unsigned)r);
            abort();
        }
        corsgate_findings_free(errors);
    }
    built = 1;
}

static void free_all(void) {
    for (size_t i = 0; i < N_CASES; i++) {
        corsgate_policy_free(cases[i].policy);
        cases[i].policy = NULL;
    }
}

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

static int name_is(corsgate_bytes b, const char *want) {
    size_t n = strlen(want);
    if (b.len != n) return 0;
    for (size_t i = 0; i < n; i++)
        if (lower(b.data[i]) != want[i]) return 0;
    return 1;
}

static int str_name_is(corsgate_str s, const char *want) {
    corsgate_bytes b = {(const uint8_t *)s.data, s.len};
    return name_is(b, want);
}

static int is_ows(uint8_t c) { return c == ' ' || c == '\t'; }

static corsgate_bytes trim(corsgate_bytes b) {
    while (b.len > 0 && is_ows(b.data[0])) {
        b.data++;
        b.len--;
    }
    while (b.len > 0 && is_ows(b.data[b.len - 1])) b.len--;
    return b;
}

static int bytes_eq(const void *a, size_t alen, const void *b, size_t blen) {
    return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

/* Whether a comma-separated value has an item that is exactly "*". */
static int has_star_item(corsgate_str v) {
    size_t start = 0;
    for (size_t i = 0; i <= v.len; i++) {
        if (i == v.len || v.data[i] == ',') {
            size_t a = start, b = i;
            while (a < b && is_ows((uint8_t)v.data[a])) a++;
            while (b > a && is_ows((uint8_t)v.data[b - 1])) b--;
            if (b - a == 1 && v.data[a] == '*') return 1;
            start = i + 1;
        }
    }
    return 0;
}

static int origin_permitted(const struct policy_case *pc, corsgate_str o) {
    switch (pc->allow) {
    case ALLOW_ANY:
        return 1;
    case ALLOW_LIST:
        for (size_t i = 0; pc->origins[i]; i++)
            if (bytes_eq(o.data, o.len, pc->origins[i], strlen(pc->origins[i]))) return 1;
        return 0;
    case ALLOW_SUFFIX: {
        size_t pl = strlen(pc->origins[0]), sl = strlen(pc->origins[1]);
        return o.len > pl + sl && memcmp(o.data, pc->origins[0], pl) == 0 &&
               memcmp(o.data + o.len - sl, pc->origins[1], sl) == 0;
    }
    }
    return 0;
}

static void check(const struct policy_case *pc, const corsgate_decision *d, const corsgate_header_line *lines,
                  size_t n_lines) {
    if (d->headers_len > CORSGATE_MAX_HEADERS) FAIL("headers_len %zu", d->headers_len);
    if (d->vary_len > CORSGATE_MAX_VARY) FAIL("vary_len %zu", d->vary_len);
    if (d->kind > CORSGATE_KIND_ACTUAL) FAIL("kind %u", (unsigned)d->kind);
    if (d->reason > CORSGATE_REASON_INVALID_REQUEST_HEADERS) FAIL("reason %u", (unsigned)d->reason);
    if ((d->kind == CORSGATE_KIND_PREFLIGHT) != (d->status != 0)) FAIL("status %u", d->status);
    if (d->allowed && d->reason != CORSGATE_REASON_NONE) FAIL("allowed with a reason");
    /* not-cors: only an any-origin policy answers, with `*` (SPEC §8 vectors). */
    if (d->kind == CORSGATE_KIND_NOT_CORS && d->headers_len != 0 && pc->allow != ALLOW_ANY)
        FAIL("not-cors with headers");

    size_t acao = 0;
    int credentials = 0;
    corsgate_str acao_value = {"", 0};
    for (size_t i = 0; i < d->headers_len; i++) {
        corsgate_str n = d->headers[i].name, v = d->headers[i].value;
        if (n.data == NULL || v.data == NULL) FAIL("NULL data");
        for (size_t k = 0; k < n.len; k++)
            if ((uint8_t)n.data[k] <= 0x20 || (uint8_t)n.data[k] >= 0x7f) FAIL("bad name byte");
        for (size_t k = 0; k < v.len; k++) {
            uint8_t c = (uint8_t)v.data[k];
            if ((c < 0x20 && c != '\t') || c == 0x7f) FAIL("control byte 0x%02x in a value", c);
            if (c >= 0x80) FAIL("non-ASCII byte 0x%02x in a value", c);
        }
        if (str_name_is(n, "access-control-allow-origin")) {
            acao++;
            acao_value = v;
        }
        if (str_name_is(n, "access-control-allow-credentials")) credentials = 1;
    }
    if (acao > 1) FAIL("%zu Access-Control-Allow-Origin", acao);
    if ((acao == 1) != d->allowed) FAIL("allowed=%d but %zu ACAO", d->allowed, acao);
    if (credentials)
        for (size_t i = 0; i < d->headers_len; i++)
            if (has_star_item(d->headers[i].value)) FAIL("* beside credentials");
    if (acao == 1 && !(acao_value.len == 1 && acao_value.data[0] == '*')) {
        if (!origin_permitted(pc, acao_value)) FAIL("echoed an origin the policy does not allow");
        int found = 0;
        for (size_t i = 0; i < n_lines; i++) {
            if (!name_is(lines[i].name, "origin")) continue;
            corsgate_bytes t = trim(lines[i].value);
            if (bytes_eq(t.data, t.len, acao_value.data, acao_value.len)) found = 1;
        }
        if (!found) FAIL("echoed origin is not the request's");
        if (d->kind == CORSGATE_KIND_NOT_CORS) FAIL("not-cors echoed an origin");
    }
}

static int same(const corsgate_decision *a, const corsgate_decision *b) {
    if (a->kind != b->kind || a->allowed != b->allowed || a->status != b->status || a->reason != b->reason ||
        a->headers_len != b->headers_len || a->vary_len != b->vary_len)
        return 0;
    for (size_t i = 0; i < a->headers_len; i++)
        if (!bytes_eq(a->headers[i].name.data, a->headers[i].name.len, b->headers[i].name.data,
                      b->headers[i].name.len) ||
            !bytes_eq(a->headers[i].value.data, a->headers[i].value.len, b->headers[i].value.data,
                      b->headers[i].value.len))
            return 0;
    for (size_t i = 0; i < a->vary_len; i++)
        if (!bytes_eq(a->vary[i].data, a->vary[i].len, b->vary[i].data, b->vary[i].len)) return 0;
    return 1;
}

static const char *const read_names[4] = {"origin", "access-control-request-method",
                                          "access-control-request-headers",
                                          "access-control-request-private-network"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!built) {
        build_all();
        atexit(free_all);
    }
    /* Split: method, then header lines. Copy so ASan sees exact bounds. */
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf) return 0;
    if (size) memcpy(buf, data, size);
    size_t pos = 0, end = 0;
    while (end < size && buf[end] != '\n') end++;
    const uint8_t *method = buf;
    size_t method_len = end;
    pos = end < size ? end + 1 : size;

    corsgate_header_line lines[MAX_LINES];
    size_t n = 0;
    while (pos < size && n < MAX_LINES) {
        end = pos;
        while (end < size && buf[end] != '\n') end++;
        size_t colon = pos;
        while (colon < end && buf[colon] != ':') colon++;
        lines[n].name.data = buf + pos;
        lines[n].name.len = colon - pos;
        lines[n].value.data = colon < end ? buf + colon + 1 : NULL;
        lines[n].value.len = colon < end ? end - colon - 1 : 0;
        n++;
        pos = end < size ? end + 1 : size;
    }

    /* decide_values applies when each header the engine reads is on at most one line. */
    corsgate_bytes values[4];
    const corsgate_bytes *value_ptrs[4] = {NULL, NULL, NULL, NULL};
    int single = 1;
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < 4; k++)
            if (name_is(lines[i].name, read_names[k])) {
                if (value_ptrs[k]) single = 0;
                values[k] = lines[i].value;
                value_ptrs[k] = &values[k];
            }

    for (size_t c = 0; c < N_CASES; c++) {
        corsgate_decision d, e;
        corsgate_result r = corsgate_policy_decide(cases[c].policy, method, method_len, lines, n, &d);
        if (r != CORSGATE_RESULT_OK) FAIL("decide returned %u", (unsigned)r);
        check(&cases[c], &d, lines, n);
        if (single) {
            r = corsgate_policy_decide_values(cases[c].policy, method, method_len, value_ptrs[0], value_ptrs[1],
                                              value_ptrs[2], value_ptrs[3], &e);
            if (r != CORSGATE_RESULT_OK) FAIL("decide_values returned %u", (unsigned)r);
            check(&cases[c], &e, lines, n);
            if (!same(&d, &e)) FAIL("decide and decide_values disagree (policy %zu)", c);
        }
    }
    free(buf);
    return 0;
}
