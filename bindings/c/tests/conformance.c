/*
 * Runs every SPEC §8 vector in a directory (tests/conformance) through the
 * C ABI and compares exactly as SPEC §8 says. Each case is decided through
 * corsgate_policy_decide and, when every header is one line, through
 * corsgate_policy_decide_values as well; refusals must be explainable.
 *
 * Usage: conformance DIR    Last line: "c-conformance: N passed, M failed".
 */
#define _POSIX_C_SOURCE 200809L

#include <cjson/cJSON.h>
#include <ctype.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corsgate.h"

static int failed;

static void fail(const char *file, const char *name, const char *what, const char *detail) {
    failed++;
    fprintf(stderr, "FAIL %s / %s: %s%s%s\n", file, name ? name : "(policy)", what,
            detail ? ": " : "", detail ? detail : "");
}

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc((size_t)n + 1);
    if (text && fread(text, 1, (size_t)n, f) != (size_t)n) {
        free(text);
        text = NULL;
    }
    if (text) text[n] = '\0';
    fclose(f);
    return text;
}

static char *dup_n(const char *s, size_t n) {
    char *out = malloc(n + 1);
    memcpy(out, s, n);
    out[n] = '\0';
    return out;
}

static void lower(char *s) {
    for (; *s; s++) *s = (char)tolower((unsigned char)*s);
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int is_list_header(const char *lower_name, int *case_insensitive) {
    *case_insensitive = strcmp(lower_name, "access-control-allow-methods") != 0;
    return strcmp(lower_name, "access-control-allow-methods") == 0 ||
           strcmp(lower_name, "access-control-allow-headers") == 0 ||
           strcmp(lower_name, "access-control-expose-headers") == 0;
}

/* "name: value" with the name lowercased and, for list-valued headers, the
 * value as the sorted set of its trimmed items. */
static char *normalize(const char *name, size_t name_len, const char *value, size_t value_len) {
    char *lname = dup_n(name, name_len);
    lower(lname);
    int ci;
    char *norm;
    if (is_list_header(lname, &ci)) {
        size_t count = 1;
        for (size_t i = 0; i < value_len; i++) count += value[i] == ',';
        char **items = calloc(count, sizeof *items);
        size_t n = 0, start = 0;
        for (size_t i = 0; i <= value_len; i++) {
            if (i < value_len && value[i] != ',') continue;
            size_t a = start, b = i;
            while (a < b && (value[a] == ' ' || value[a] == '\t')) a++;
            while (b > a && (value[b - 1] == ' ' || value[b - 1] == '\t')) b--;
            items[n] = dup_n(value + a, b - a);
            if (ci) lower(items[n]);
            n++;
            start = i + 1;
        }
        qsort(items, n, sizeof *items, cmp_str);
        norm = calloc(value_len + n + 1, 1);
        for (size_t i = 0; i < n; i++) {
            if (i > 0 && strcmp(items[i], items[i - 1]) == 0) continue;
            if (*norm) strcat(norm, ",");
            strcat(norm, items[i]);
        }
        for (size_t i = 0; i < n; i++) free(items[i]);
        free(items);
    } else {
        norm = dup_n(value, value_len);
    }
    char *out = malloc(strlen(lname) + strlen(norm) + 3);
    sprintf(out, "%s: %s", lname, norm);
    free(lname);
    free(norm);
    return out;
}

/* Compares two string lists as sets (sorted, duplicates dropped); frees both. */
static int same_set(char **got, size_t ngot, char **want, size_t nwant, char *detail, size_t cap) {
    qsort(got, ngot, sizeof *got, cmp_str);
    qsort(want, nwant, sizeof *want, cmp_str);
    size_t i = 0, j = 0;
    int same = 1;
    while (i < ngot || j < nwant) {
        if (i > 0 && i < ngot && strcmp(got[i], got[i - 1]) == 0) { i++; continue; }
        if (j > 0 && j < nwant && strcmp(want[j], want[j - 1]) == 0) { j++; continue; }
        int c = i == ngot ? 1 : j == nwant ? -1 : strcmp(got[i], want[j]);
        if (c != 0) {
            if (same) snprintf(detail, cap, "%s '%s'", c < 0 ? "unexpected" : "missing", c < 0 ? got[i] : want[j]);
            same = 0;
        }
        if (c <= 0) i++;
        if (c >= 0) j++;
    }
    for (i = 0; i < ngot; i++) free(got[i]);
    for (j = 0; j < nwant; j++) free(want[j]);
    return same;
}

static int str_is(corsgate_str s, const char *want) {
    return s.len == strlen(want) && memcmp(s.data, want, s.len) == 0;
}

/* Returns 1 when the decision matches `expect`, else reports and returns 0. */
static int check_decision(const char *file, const char *name, const corsgate_decision *d, const cJSON *expect) {
    char detail[512];
    corsgate_str s;
    if (corsgate_kind_name(d->kind, &s) != CORSGATE_RESULT_OK ||
        !str_is(s, cJSON_GetObjectItem(expect, "kind")->valuestring)) {
        fail(file, name, "kind", cJSON_GetObjectItem(expect, "kind")->valuestring);
        return 0;
    }
    if (d->allowed != cJSON_IsTrue(cJSON_GetObjectItem(expect, "allowed"))) {
        fail(file, name, "allowed", NULL);
        return 0;
    }
    const cJSON *status = cJSON_GetObjectItem(expect, "status");
    int want_status = cJSON_IsNumber(status) ? status->valueint : 0;
    if (d->status != want_status) {
        snprintf(detail, sizeof detail, "got %u, want %d", (unsigned)d->status, want_status);
        fail(file, name, "status", detail);
        return 0;
    }
    const cJSON *reason = cJSON_GetObjectItem(expect, "reason");
    if (reason) {
        const char *want = cJSON_IsString(reason) ? reason->valuestring : "";
        if (corsgate_reason_name(d->reason, &s) != CORSGATE_RESULT_OK || !str_is(s, want)) {
            snprintf(detail, sizeof detail, "got '%.*s', want '%s'", (int)s.len, s.data, want);
            fail(file, name, "reason", detail);
            return 0;
        }
    }
    const cJSON *headers = cJSON_GetObjectItem(expect, "headers");
    size_t nwant = (size_t)cJSON_GetArraySize(headers);
    char **got = calloc(d->headers_len + 1, sizeof *got);
    char **want = calloc(nwant + 1, sizeof *want);
    for (size_t i = 0; i < d->headers_len; i++)
        got[i] = normalize(d->headers[i].name.data, d->headers[i].name.len, d->headers[i].value.data,
                           d->headers[i].value.len);
    for (size_t i = 0; i < nwant; i++) {
        const cJSON *h = cJSON_GetArrayItem(headers, (int)i);
        const char *hn = cJSON_GetArrayItem(h, 0)->valuestring, *hv = cJSON_GetArrayItem(h, 1)->valuestring;
        want[i] = normalize(hn, strlen(hn), hv, strlen(hv));
    }
    int ok = same_set(got, d->headers_len, want, nwant, detail, sizeof detail);
    free(got);
    free(want);
    if (!ok) {
        fail(file, name, "headers", detail);
        return 0;
    }
    const cJSON *vary = cJSON_GetObjectItem(expect, "vary");
    nwant = (size_t)cJSON_GetArraySize(vary);
    got = calloc(d->vary_len + 1, sizeof *got);
    want = calloc(nwant + 1, sizeof *want);
    for (size_t i = 0; i < d->vary_len; i++) {
        got[i] = dup_n(d->vary[i].data, d->vary[i].len);
        lower(got[i]);
    }
    for (size_t i = 0; i < nwant; i++) {
        const char *v = cJSON_GetArrayItem(vary, (int)i)->valuestring;
        want[i] = dup_n(v, strlen(v));
        lower(want[i]);
    }
    ok = same_set(got, d->vary_len, want, nwant, detail, sizeof detail);
    free(got);
    free(want);
    if (!ok) fail(file, name, "vary", detail);
    return ok;
}

/* The same decision reached two ways must be identical, value for value. */
static int same_decision(const corsgate_decision *a, const corsgate_decision *b) {
    if (a->kind != b->kind || a->allowed != b->allowed || a->status != b->status || a->reason != b->reason ||
        a->headers_len != b->headers_len || a->vary_len != b->vary_len)
        return 0;
    for (size_t i = 0; i < a->headers_len; i++) {
        const corsgate_header *x = &a->headers[i], *y = &b->headers[i];
        if (x->name.len != y->name.len || memcmp(x->name.data, y->name.data, x->name.len) != 0 ||
            x->value.len != y->value.len || memcmp(x->value.data, y->value.data, x->value.len) != 0)
            return 0;
    }
    for (size_t i = 0; i < a->vary_len; i++)
        if (a->vary[i].len != b->vary[i].len || memcmp(a->vary[i].data, b->vary[i].data, a->vary[i].len) != 0)
            return 0;
    return 1;
}

static int eq_ci(const char *a, const char *b) {
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b)) return 0;
    return *a == *b;
}

/* Decides through corsgate_policy_decide_values when each read header is one line. */
static int check_values(const corsgate_policy *policy, const char *method, const char *path,
                        const corsgate_header_line *lines, size_t n, const corsgate_decision *want) {
    static const char *const names[4] = {"origin", "access-control-request-method",
                                         "access-control-request-headers",
                                         "access-control-request-private-network"};
    corsgate_bytes values[4];
    const corsgate_bytes *ptrs[4] = {NULL, NULL, NULL, NULL};
    for (size_t i = 0; i < n; i++) {
        for (int k = 0; k < 4; k++) {
            char *name = dup_n((const char *)lines[i].name.data, lines[i].name.len);
            int match = eq_ci(name, names[k]);
            free(name);
            if (!match) continue;
            if (ptrs[k]) return 1; /* several lines: only the lines form can say that */
            values[k] = lines[i].value;
            ptrs[k] = &values[k];
        }
    }
    corsgate_decision d;
    if (corsgate_policy_decide_values_path(policy, (const uint8_t *)method, strlen(method), (const uint8_t *)path,
                                           strlen(path), ptrs[0], ptrs[1], ptrs[2], ptrs[3], &d) != CORSGATE_RESULT_OK)
        return 0;
    return same_decision(&d, want);
}

static int check_explain(const corsgate_policy *policy, const char *method, const corsgate_header_line *lines,
                         size_t n, const corsgate_decision *d) {
    const uint8_t *url = (const uint8_t *)"https://api.example.com/resource";
    size_t len = 1;
    (void)policy, (void)method, (void)lines, (void)n;
    corsgate_result r = corsgate_decision_explain(d, url, 32, NULL, 0, &len);
    if (d->reason == CORSGATE_REASON_NONE) return r == CORSGATE_RESULT_NOTHING_TO_EXPLAIN && len == 0;
    if (r != CORSGATE_RESULT_BUFFER_TOO_SMALL || len == 0) return 0;
    char *buf = malloc(len + 1);
    r = corsgate_decision_explain(d, url, 32, buf, len + 1, &len);
    corsgate_str reason;
    corsgate_reason_name(d->reason, &reason);
    int ok = r == CORSGATE_RESULT_OK && strlen(buf) == len && strncmp(buf, "reason: ", 8) == 0 &&
             strncmp(buf + 8, reason.data, reason.len) == 0 && strstr(buf, "\nchrome: ") && strstr(buf, "\nfirefox: ");
    for (size_t i = 0; ok && i < len; i++)
        ok = buf[i] == '\n' || (unsigned char)buf[i] >= 0x20; /* request bytes are escaped */
    free(buf);
    return ok;
}

/* Without a path, a file with routes is refused and one without decides the same. */
static int check_pathless(const corsgate_policy *policy, int routes, const char *method,
                          const corsgate_header_line *lines, size_t n, const corsgate_decision *want) {
    corsgate_decision d;
    corsgate_result r = corsgate_policy_decide(policy, (const uint8_t *)method, strlen(method), lines, n, &d);
    if (routes) return r == CORSGATE_RESULT_NEEDS_PATH;
    return r == CORSGATE_RESULT_OK && same_decision(&d, want);
}

static int run_cases(const char *file, const corsgate_policy *policy, int routes, const cJSON *cases) {
    int passed = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, cases) {
        const char *name = cJSON_GetObjectItem(c, "name")->valuestring;
        const cJSON *request = cJSON_GetObjectItem(c, "request");
        const char *method = cJSON_GetObjectItem(request, "method")->valuestring;
        const cJSON *path_item = cJSON_GetObjectItem(request, "path");
        const char *path = cJSON_IsString(path_item) ? path_item->valuestring : "/";
        const cJSON *headers = cJSON_GetObjectItem(request, "headers");
        size_t n = (size_t)cJSON_GetArraySize(headers);
        corsgate_header_line *lines = calloc(n + 1, sizeof *lines);
        for (size_t i = 0; i < n; i++) {
            const cJSON *h = cJSON_GetArrayItem(headers, (int)i);
            const char *hn = cJSON_GetArrayItem(h, 0)->valuestring, *hv = cJSON_GetArrayItem(h, 1)->valuestring;
            lines[i].name = (corsgate_bytes){(const uint8_t *)hn, strlen(hn)};
            lines[i].value = (corsgate_bytes){(const uint8_t *)hv, strlen(hv)};
        }
        corsgate_decision d;
        corsgate_result r = corsgate_policy_decide_path(policy, (const uint8_t *)method, strlen(method),
                                                        (const uint8_t *)path, strlen(path), lines, n, &d);
        if (r != CORSGATE_RESULT_OK) {
            fail(file, name, "decide did not return OK", NULL);
        } else if (check_decision(file, name, &d, cJSON_GetObjectItem(c, "expect"))) {
            if (!check_values(policy, method, path, lines, n, &d))
                fail(file, name, "corsgate_policy_decide_values_path disagrees", NULL);
            else if (!check_pathless(policy, routes, method, lines, n, &d))
                fail(file, name, "corsgate_policy_decide without a path", NULL);
            else if (!check_explain(policy, method, lines, n, &d))
                fail(file, name, "explain", NULL);
            else
                passed++;
        }
        free(lines);
    }
    return passed;
}

/* An invalid-policy file: every listed code must be reported. */
static void check_errors(const char *file, corsgate_findings *errors, const cJSON *codes) {
    size_t len = 0;
    if (corsgate_findings_len(errors, &len) != CORSGATE_RESULT_OK || len == 0) {
        fail(file, NULL, "no findings", NULL);
        return;
    }
    const cJSON *code;
    cJSON_ArrayForEach(code, codes) {
        int found = 0;
        for (size_t i = 0; i < len; i++) {
            corsgate_finding f;
            if (corsgate_findings_get(errors, i, &f) != CORSGATE_RESULT_OK || f.message.len == 0 || f.fix.len == 0) {
                fail(file, NULL, "finding without message or fix", NULL);
                return;
            }
            found |= str_is(f.code, code->valuestring);
        }
        if (!found) fail(file, NULL, "missing error code", code->valuestring);
    }
    corsgate_finding past;
    if (corsgate_findings_get(errors, len, &past) != CORSGATE_RESULT_OUT_OF_RANGE)
        fail(file, NULL, "findings_get past the end", NULL);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s tests/conformance\n", argv[0]);
        return 2;
    }
    char pattern[4096];
    snprintf(pattern, sizeof pattern, "%s/*.json", argv[1]);
    glob_t files;
    if (glob(pattern, 0, NULL, &files) != 0 || files.gl_pathc == 0) {
        fprintf(stderr, "no vectors in %s\n", argv[1]);
        return 2;
    }
    int passed = 0, invalid = 0;
    for (size_t f = 0; f < files.gl_pathc; f++) {
        const char *path = files.gl_pathv[f];
        const char *file = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
        char *text = read_file(path);
        cJSON *vector = text ? cJSON_Parse(text) : NULL;
        free(text);
        if (!vector) {
            fail(file, NULL, "unreadable vector", NULL);
            continue;
        }
        char *policy_json = cJSON_PrintUnformatted(cJSON_GetObjectItem(vector, "policy"));
        corsgate_policy *policy = NULL;
        corsgate_findings *errors = NULL;
        corsgate_result r =
            corsgate_policy_from_json((const uint8_t *)policy_json, strlen(policy_json), &policy, &errors);
        const cJSON *codes = cJSON_GetObjectItem(vector, "errors");
        if (codes) {
            invalid++;
            if (r != CORSGATE_RESULT_INVALID_POLICY || policy != NULL)
                fail(file, NULL, "policy built, but must fail", NULL);
            else
                check_errors(file, errors, codes);
        } else if (r != CORSGATE_RESULT_OK) {
            corsgate_finding first;
            corsgate_findings_get(errors, 0, &first);
            char detail[256];
            snprintf(detail, sizeof detail, "%.*s", (int)first.message.len, first.message.data);
            fail(file, NULL, "policy refused", detail);
        } else {
            int routes = cJSON_GetObjectItem(cJSON_GetObjectItem(vector, "policy"), "routes") != NULL;
            passed += run_cases(file, policy, routes, cJSON_GetObjectItem(vector, "cases"));
        }
        corsgate_findings_free(errors);
        corsgate_policy_free(policy);
        free(policy_json);
        cJSON_Delete(vector);
    }
    printf("c-conformance: %zu files, %d invalid policies checked\n", files.gl_pathc, invalid);
    globfree(&files);
    printf("c-conformance: %d passed, %d failed\n", passed, failed);
    return failed == 0 && passed > 0 ? 0 : 1;
}
