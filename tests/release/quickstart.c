/* The C quick start as a whole program, built against an installed corsgate
 * (the release tarball or the Debian packages) by tests/suites/release.sh.
 * Usage: quickstart VERSION  -- prints the preflight's answer; exits 1 on
 * any difference from what the policy says. */
#include <corsgate.h>
#include <stdio.h>
#include <string.h>

#define STR(s) { (const uint8_t *)(s), sizeof(s) - 1 }

static int fail(const char *what) {
    fprintf(stderr, "quickstart: %s\n", what);
    return 1;
}

int main(int argc, char **argv) {
    struct corsgate_str version;
    if (argc != 2 || corsgate_version(&version) != CORSGATE_RESULT_OK) return fail("usage: quickstart VERSION");
    if (version.len != strlen(argv[1]) || memcmp(version.data, argv[1], version.len) != 0) {
        fprintf(stderr, "quickstart: the library is %.*s, expected %s\n", (int)version.len, version.data, argv[1]);
        return 1;
    }

    const char *toml = "origins = [\"https://app.example.com\"]\n"
                       "credentials = true\n"
                       "methods = [\"PUT\"]\n";
    corsgate_policy *policy = NULL;
    corsgate_findings *errors = NULL;
    if (corsgate_policy_from_toml((const uint8_t *)toml, strlen(toml), &policy, &errors) != CORSGATE_RESULT_OK) {
        corsgate_findings_free(errors);
        return fail("the policy was refused");
    }

    /* A policy with two problems is refused with both listed. */
    const char *bad = "origins = [\"*\"]\ncredentials = true\nmax_age = -1\n";
    corsgate_policy *refused = NULL;
    if (corsgate_policy_from_toml((const uint8_t *)bad, strlen(bad), &refused, &errors) != CORSGATE_RESULT_INVALID_POLICY)
        return fail("a bad policy was accepted");
    size_t problems = 0;
    corsgate_findings_len(errors, &problems);
    corsgate_findings_free(errors);
    if (problems != 2) return fail("a bad policy's two problems were not both listed");

    corsgate_header_line lines[] = {
        { STR("Origin"), STR("https://app.example.com") },
        { STR("Access-Control-Request-Method"), STR("PUT") },
    };
    corsgate_decision d;
    if (corsgate_policy_decide(policy, (const uint8_t *)"OPTIONS", 7, lines, 2, &d) != CORSGATE_RESULT_OK)
        return fail("decide failed");
    if (d.kind != CORSGATE_KIND_PREFLIGHT || !d.allowed || d.status != 204)
        return fail("the preflight was not accepted with 204");
    printf("status %u\n", (unsigned)d.status);
    int origin = 0;
    for (size_t i = 0; i < d.headers_len; i++) {
        printf("%.*s: %.*s\n", (int)d.headers[i].name.len, d.headers[i].name.data,
               (int)d.headers[i].value.len, d.headers[i].value.data);
        if (d.headers[i].value.len == 23 && memcmp(d.headers[i].value.data, "https://app.example.com", 23) == 0)
            origin = 1;
    }
    corsgate_policy_free(policy);
    return origin ? 0 : fail("Access-Control-Allow-Origin did not echo the origin");
}
