/*
 * mod_corsgate: CORS for Apache httpd, decided by the corsgate engine
 * through its C ABI (include/corsgate.h, rules in include/README.md).
 *
 * No CORS rule lives here. The module hands the engine the request method
 * and header lines, then applies the decision as SPEC §5 says:
 *
 *  - a preflight is answered by the module (the engine's status and
 *    headers, empty body) in the header_parser hook: after the
 *    <Directory>/<Location>/.htaccess configuration is merged, before
 *    access control, authentication and authorization (Require, AuthType)
 *    and before any handler, so it never meets a 401 or a 405; where no
 *    section or .htaccess can name another policy than the server's, already
 *    in translate_name, ahead of mod_rewrite and the file-system walk;
 *  - every other response (handlers, static files, proxies, 401/404/500
 *    from any module, ErrorDocument pages) gets the decision's headers from
 *    an output filter that runs after mod_headers' and before the HTTP
 *    header filter, inserted for normal and for error responses: the
 *    application's copies of headers corsgate owns are dropped, and Vary is
 *    merged (by the engine's rule, corsgate_vary_merge), never overwritten.
 *
 * Policies are built and validated when the configuration is read, so
 * `apachectl configtest` lists every error with the directive's file and
 * line, and a graceful restart with a broken policy is refused while the
 * running server keeps the old configuration.
 */

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "util_filter.h"

#include "apr_file_io.h"
#include "apr_strings.h"
#include "apr_tables.h"

#include <corsgate.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Request header lines passed on the stack; a request with more uses its pool. */
#define CORSGATE_STACK_LINES 64

/* A policy file larger than this is surely not a policy. */
#define CORSGATE_MAX_FILE (1024 * 1024)

module AP_MODULE_DECLARE_DATA corsgate_module;

typedef struct {
    int set;                  /* a CorsgatePolicy directive appeared here */
    corsgate_policy *policy;  /* NULL: off */
    const char *path;         /* for log lines */
} corsgate_dir_conf;

/* What a response needs from a decision, copied out of it. */
typedef struct {
    size_t nheaders;
    const char *name[CORSGATE_MAX_HEADERS];
    const char *value[CORSGATE_MAX_HEADERS];
    size_t nvary;
    corsgate_str vary[CORSGATE_MAX_VARY];
} corsgate_ctx;

typedef corsgate_result (*corsgate_build_fn)(const uint8_t *text, size_t text_len,
                                             corsgate_policy **policy_out,
                                             corsgate_findings **errors_out);

/* Core's strings are not NUL-terminated: copy them for printf and tables. */
static const char *result_name(apr_pool_t *p, corsgate_result rc)
{
    corsgate_str name;
    if (corsgate_result_name(rc, &name) != CORSGATE_RESULT_OK) {
        return "unknown result";
    }
    return apr_pstrmemdup(p, name.data, name.len);
}

/* ------------------------------------------------------------ configuration */

static apr_status_t free_policy(void *data)
{
    corsgate_policy_free(data);
    return APR_SUCCESS;
}

/* Every finding as "[code] key: message (value: ...; fix: ...)" lines. */
static const char *findings_text(apr_pool_t *p, const corsgate_findings *findings,
                                 size_t *count)
{
    size_t n = 0, i;
    const char *out = "";
    corsgate_finding f;

    if (corsgate_findings_len(findings, &n) != CORSGATE_RESULT_OK) {
        n = 0;
    }
    for (i = 0; i < n; i++) {
        if (corsgate_findings_get(findings, i, &f) != CORSGATE_RESULT_OK) {
            continue;
        }
        out = apr_psprintf(p, "%s\n  [%.*s] %.*s%s%.*s (value: %.*s; fix: %.*s)", out,
                           (int) f.code.len, f.code.data, (int) f.key.len, f.key.data,
                           f.key.len ? ": " : "", (int) f.message.len, f.message.data,
                           (int) f.value.len, f.value.data, (int) f.fix.len, f.fix.data);
    }
    *count = n;
    return out;
}

static const char *read_policy(cmd_parms *cmd, const char *path, char **text,
                               apr_size_t *len)
{
    apr_file_t *file;
    apr_finfo_t info;
    apr_status_t rv;

    rv = apr_file_open(&file, path, APR_READ | APR_BINARY, APR_OS_DEFAULT, cmd->temp_pool);
    if (rv != APR_SUCCESS) {
        return apr_psprintf(cmd->pool, "CorsgatePolicy %s: cannot open it (%pm)", path, &rv);
    }
    rv = apr_file_info_get(&info, APR_FINFO_SIZE, file);
    if (rv != APR_SUCCESS) {
        return apr_psprintf(cmd->pool, "CorsgatePolicy %s: cannot stat it (%pm)", path, &rv);
    }
    if (info.size > CORSGATE_MAX_FILE) {
        return apr_psprintf(cmd->pool,
                            "CorsgatePolicy %s: %" APR_OFF_T_FMT " bytes is too large for "
                            "a policy (at most %d)", path, info.size, CORSGATE_MAX_FILE);
    }
    *len = (apr_size_t) info.size;
    *text = apr_palloc(cmd->temp_pool, *len + 1);
    rv = apr_file_read_full(file, *text, *len, NULL);
    apr_file_close(file);
    if (rv != APR_SUCCESS && *len > 0) {
        return apr_psprintf(cmd->pool, "CorsgatePolicy %s: cannot read it (%pm)", path, &rv);
    }
    return NULL;
}

static const char *set_policy(cmd_parms *cmd, void *dconf, const char *arg)
{
    corsgate_dir_conf *conf = dconf;
    corsgate_policy *policy = NULL;
    corsgate_findings *findings = NULL;
    corsgate_build_fn build;
    corsgate_result rc;
    const char *path, *err, *list;
    char *text = NULL;
    apr_size_t len = 0, plen;
    size_t n;

    conf->set = 1;
    conf->policy = NULL;
    if (strcasecmp(arg, "off") == 0) {
        conf->path = "off";
        return NULL;
    }
    path = ap_server_root_relative(cmd->pool, arg);
    if (path == NULL) {
        return apr_psprintf(cmd->pool, "CorsgatePolicy %s: not a valid path", arg);
    }
    plen = strlen(path);
    if (plen > 5 && strcasecmp(path + plen - 5, ".json") == 0) {
        build = corsgate_policy_from_json;
    } else if (plen > 5 && strcasecmp(path + plen - 5, ".toml") == 0) {
        build = corsgate_policy_from_toml;
    } else {
        return apr_psprintf(cmd->pool,
                            "CorsgatePolicy %s: unknown format; name the file *.json or *.toml",
                            path);
    }
    err = read_policy(cmd, path, &text, &len);
    if (err != NULL) {
        return err;
    }
    rc = build((const uint8_t *) text, len, &policy, &findings);
    if (rc == CORSGATE_RESULT_INVALID_POLICY) {
        list = findings_text(cmd->pool, findings, &n);
        corsgate_findings_free(findings);
        return apr_psprintf(cmd->pool, "CorsgatePolicy %s: invalid CORS policy, %lu problem%s:%s",
                            path, (unsigned long) n, n == 1 ? "" : "s", list);
    }
    if (rc != CORSGATE_RESULT_OK) {
        return apr_psprintf(cmd->pool, "CorsgatePolicy %s: %s", path, result_name(cmd->pool, rc));
    }
    apr_pool_cleanup_register(cmd->pool, policy, free_policy, apr_pool_cleanup_null);
    if (corsgate_policy_lint(policy, &findings) == CORSGATE_RESULT_OK) {
        list = findings_text(cmd->temp_pool, findings, &n);
        corsgate_findings_free(findings);
        if (n > 0) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, cmd->server,
                         "CorsgatePolicy %s (%s:%d): %lu warning%s:%s", path,
                         cmd->directive->filename, cmd->directive->line_num,
                         (unsigned long) n, n == 1 ? "" : "s", list);
        }
    }
    conf->policy = policy;
    conf->path = path;
    return NULL;
}

static void *create_dir_conf(apr_pool_t *p, char *dir)
{
    (void) dir;
    return apr_pcalloc(p, sizeof(corsgate_dir_conf));
}

/* The innermost CorsgatePolicy wins; `off` turns the module off below. */
static void *merge_dir_conf(apr_pool_t *p, void *base, void *add)
{
    corsgate_dir_conf *parent = base, *child = add;
    corsgate_dir_conf *conf = apr_palloc(p, sizeof(*conf));
    *conf = child->set ? *child : *parent;
    return conf;
}

static const command_rec corsgate_commands[] = {
    AP_INIT_TAKE1("CorsgatePolicy", set_policy, NULL, RSRC_CONF | ACCESS_CONF | OR_FILEINFO,
                  "a corsgate policy file (*.json or *.toml) for this scope, or `off`"),
    {NULL}
};

/* ----------------------------------------------------------------- requests */

static int decide(request_rec *r, const corsgate_policy *policy, corsgate_decision *d)
{
    const apr_array_header_t *arr = apr_table_elts(r->headers_in);
    const apr_table_entry_t *e = (const apr_table_entry_t *) arr->elts;
    corsgate_header_line stack[CORSGATE_STACK_LINES], *lines = stack;
    const char *path;
    corsgate_result rc;
    int i, n = 0;

    if (arr->nelts > CORSGATE_STACK_LINES) {
        lines = apr_palloc(r->pool, sizeof(*lines) * (apr_size_t) arr->nelts);
    }
    /* every line as received, repeats included: the engine picks its own */
    for (i = 0; i < arr->nelts; i++) {
        if (e[i].key == NULL) {
            continue;
        }
        lines[n].name.data = (const uint8_t *) e[i].key;
        lines[n].name.len = strlen(e[i].key);
        lines[n].value.data = (const uint8_t *) (e[i].val ? e[i].val : "");
        lines[n].value.len = e[i].val ? strlen(e[i].val) : 0;
        n++;
    }
    /* r->uri: the decoded path <Location> sections match on */
    path = r->uri ? r->uri : "/";
    rc = corsgate_policy_decide_path(policy, (const uint8_t *) r->method, strlen(r->method),
                                     (const uint8_t *) path, strlen(path), lines, (size_t) n, d);
    if (rc != CORSGATE_RESULT_OK) {
        ap_log_rerror(APLOG_MARK, APLOG_ALERT, 0, r, "corsgate_policy_decide_path() failed: %s",
                      result_name(r->pool, rc));
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

/* Copies what the response needs: every value into the request's pool. */
static corsgate_ctx *keep(request_rec *r, const corsgate_decision *d)
{
    corsgate_ctx *ctx = apr_palloc(r->pool, sizeof(*ctx));
    size_t j;

    ctx->nheaders = d->headers_len;
    for (j = 0; j < d->headers_len; j++) {
        ctx->name[j] = apr_pstrmemdup(r->pool, d->headers[j].name.data, d->headers[j].name.len);
        ctx->value[j] = apr_pstrmemdup(r->pool, d->headers[j].value.data,
                                       d->headers[j].value.len);
    }
    ctx->nvary = d->vary_len;
    for (j = 0; j < d->vary_len; j++) {
        ctx->vary[j] = d->vary[j];
    }
    return ctx;
}

typedef struct {
    const corsgate_ctx *ctx;
    apr_array_header_t *drop; /* of const char *: names to unset */
    apr_array_header_t *vary; /* of corsgate_bytes: Vary lines, in order */
} scan_t;

static int scan_header(void *data, const char *key, const char *val)
{
    scan_t *s = data;
    bool owned = false;
    size_t j, len = strlen(key);

    if (strcasecmp(key, "Vary") == 0) {
        corsgate_bytes *line = apr_array_push(s->vary);
        line->data = (const uint8_t *) val;
        line->len = strlen(val);
        return 1;
    }
    if (corsgate_response_header_is_cors((const uint8_t *) key, len, &owned)
        != CORSGATE_RESULT_OK) {
        owned = false;
    }
    for (j = 0; !owned && j < s->ctx->nheaders; j++) {
        owned = strcasecmp(key, s->ctx->name[j]) == 0;
    }
    if (owned) {
        *(const char **) apr_array_push(s->drop) = key;
    }
    return 1;
}

/*
 * Sets the decision's headers on the response: err_headers_out, which
 * Apache sends on every response, errors included. The application's
 * copies of headers corsgate owns go first, and Vary is merged.
 */
static void apply(request_rec *r, const corsgate_ctx *ctx)
{
    scan_t s;
    size_t j, need = 0, len = 0;
    int i;
    uint8_t *buf;
    corsgate_result rc;
    const corsgate_bytes *lines;

    s.ctx = ctx;
    s.drop = apr_array_make(r->pool, 4, sizeof(const char *));
    s.vary = apr_array_make(r->pool, 2, sizeof(corsgate_bytes));
    apr_table_do(scan_header, &s, r->headers_out, NULL);
    apr_table_do(scan_header, &s, r->err_headers_out, NULL);
    for (i = 0; i < s.drop->nelts; i++) {
        const char *name = apr_pstrdup(r->pool, ((const char **) s.drop->elts)[i]);
        apr_table_unset(r->headers_out, name);
        apr_table_unset(r->err_headers_out, name);
    }
    for (j = 0; j < ctx->nheaders; j++) {
        apr_table_setn(r->err_headers_out, ctx->name[j], ctx->value[j]);
    }
    if (ctx->nvary == 0) {
        return;
    }
    lines = (const corsgate_bytes *) s.vary->elts;
    rc = corsgate_vary_merge(lines, (size_t) s.vary->nelts, ctx->vary, ctx->nvary, NULL, 0,
                             &need);
    if (rc == CORSGATE_RESULT_UNCHANGED) {
        return;
    }
    if (rc != CORSGATE_RESULT_BUFFER_TOO_SMALL && rc != CORSGATE_RESULT_OK) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "corsgate_vary_merge() failed: %s",
                      result_name(r->pool, rc));
        return;
    }
    buf = apr_palloc(r->pool, need + 1);
    rc = corsgate_vary_merge(lines, (size_t) s.vary->nelts, ctx->vary, ctx->nvary, buf, need,
                             &len);
    if (rc != CORSGATE_RESULT_OK) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "corsgate_vary_merge() failed: %s",
                      result_name(r->pool, rc));
        return;
    }
    buf[len] = '\0';
    /* The earlier lines stay as they were; the last one becomes the merge. */
    {
        apr_array_header_t *keep_lines = apr_array_copy(r->pool, s.vary);
        apr_table_unset(r->headers_out, "Vary");
        apr_table_unset(r->err_headers_out, "Vary");
        for (i = 0; i + 1 < keep_lines->nelts; i++) {
            const corsgate_bytes *l = &((const corsgate_bytes *) keep_lines->elts)[i];
            apr_table_addn(r->err_headers_out, "Vary",
                           apr_pstrmemdup(r->pool, (const char *) l->data, l->len));
        }
        apr_table_addn(r->err_headers_out, "Vary", (const char *) buf);
    }
}

/* The decision this request answers with: its own, or the one of the
 * request an ErrorDocument or another internal redirect came from. */
static corsgate_ctx *find_ctx(request_rec *r)
{
    for (; r != NULL; r = r->prev) {
        corsgate_ctx *ctx = ap_get_module_config(r->request_config, &corsgate_module);
        if (ctx != NULL) {
            return ctx;
        }
    }
    return NULL;
}

static int answer_preflight(request_rec *r, const corsgate_decision *d)
{
    corsgate_str length;
    corsgate_ctx *ctx = keep(r, d);

    /* a preflight's body is not read: drop it before answering */
    if (ap_discard_request_body(r) != OK) {
        r->connection->keepalive = AP_CONN_CLOSE;
    }
    r->status = d->status;
    /* Apache sends 500 for a status it has no line for (e.g. 299): name it. */
    if (strtol(ap_get_status_line(d->status), NULL, 10) != d->status) {
        r->status_line = apr_psprintf(r->pool, "%d ", d->status);
    }
    apply(r, ctx);
    if (corsgate_preflight_content_length(d->status, &length) == CORSGATE_RESULT_OK
        && length.len > 0) {
        apr_table_setn(r->headers_out, "Content-Length",
                       apr_pstrmemdup(r->pool, length.data, length.len));
    }
    r->header_only = 1;
    /* DONE from this hook: Apache skips access control, authentication and
     * the handler, and finalizes the response (status and headers only). */
    return DONE;
}

/*
 * Whether preflights may be answered in translate_name, before Apache maps
 * the URL to the file system: only when no CorsgatePolicy sits inside a
 * section and no directory lets .htaccess files set one (AllowOverride
 * FileInfo), so the server-level policy is the one every request gets.
 * Set for each configuration (startup, graceful restart).
 */
static int early;

static int is_wrapper(const char *directive)
{
    /* conditional sections are resolved while parsing, not per request */
    return strncasecmp(directive, "<If", 3) == 0 && strcasecmp(directive, "<If") != 0
           ? 1 : strcasecmp(directive, "<VirtualHost") == 0;
}

/* Whether a CorsgatePolicy directive sits inside a per-request section. */
static int in_section(const ap_directive_t *node, int inside)
{
    for (; node != NULL; node = node->next) {
        if (strcasecmp(node->directive, "CorsgatePolicy") == 0 && inside) {
            return 1;
        }
        if (node->first_child != NULL
            && in_section(node->first_child,
                          inside || (node->directive[0] == '<' && !is_wrapper(node->directive)))) {
            return 1;
        }
    }
    return 0;
}

static int allows_fileinfo(const ap_conf_vector_t *dir)
{
    const core_dir_config *cd = ap_get_core_module_config(dir);
    return cd != NULL && (cd->override & OR_FILEINFO) != 0;
}

static int corsgate_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                                server_rec *s)
{
    int i;

    early = !in_section(ap_conftree, 0);
    for (; early && s != NULL; s = s->next) {
        const core_server_config *cs = ap_get_core_module_config(s->module_config);
        if (allows_fileinfo(s->lookup_defaults)) {
            early = 0;
        }
        for (i = 0; early && cs->sec_dir != NULL && i < cs->sec_dir->nelts; i++) {
            if (allows_fileinfo(((ap_conf_vector_t **) cs->sec_dir->elts)[i])) {
                early = 0;
            }
        }
    }
    return OK;
}

/* Preflights where the server-level policy is every request's (see `early`),
 * answered ahead of mod_rewrite and mod_alias and of the file-system walk. */
static int corsgate_translate_name(request_rec *r)
{
    corsgate_dir_conf *conf = ap_get_module_config(r->per_dir_config, &corsgate_module);
    corsgate_decision *d;
    int rc;

    if (!early || r->main != NULL || r->prev != NULL || conf == NULL || conf->policy == NULL) {
        return DECLINED;
    }
    d = apr_palloc(r->pool, sizeof(*d));
    rc = decide(r, conf->policy, d);
    if (rc != OK) {
        return rc;
    }
    if (d->kind == CORSGATE_KIND_PREFLIGHT) {
        return answer_preflight(r, d);
    }
    ap_set_module_config(r->request_config, &corsgate_module, keep(r, d));
    return DECLINED;
}

static int corsgate_header_parser(request_rec *r)
{
    corsgate_dir_conf *conf = ap_get_module_config(r->per_dir_config, &corsgate_module);
    corsgate_decision *d;
    int rc;

    if (r->prev != NULL && find_ctx(r->prev) != NULL) {
        /* An internal redirect (ErrorDocument): the first decision stands. */
        return DECLINED;
    }
    if (ap_get_module_config(r->request_config, &corsgate_module) != NULL) {
        return DECLINED; /* decided in translate_name */
    }
    if (conf == NULL || conf->policy == NULL) {
        return DECLINED;
    }
    d = apr_palloc(r->pool, sizeof(*d));
    rc = decide(r, conf->policy, d);
    if (rc != OK) {
        return rc;
    }
    if (d->kind == CORSGATE_KIND_PREFLIGHT && r->main == NULL) {
        return answer_preflight(r, d);
    }
    ap_set_module_config(r->request_config, &corsgate_module, keep(r, d));
    return DECLINED;
}

static apr_status_t corsgate_out_filter(ap_filter_t *f, apr_bucket_brigade *bb)
{
    apply(f->r, f->ctx);
    ap_remove_output_filter(f);
    return ap_pass_brigade(f->next, bb);
}

static void insert_filter(request_rec *r)
{
    corsgate_ctx *ctx = find_ctx(r);
    if (ctx != NULL && r->main == NULL) {
        ap_add_output_filter("CORSGATE", ctx, r, r->connection);
    }
}

static void register_hooks(apr_pool_t *p)
{
    (void) p;
    /* After mod_headers' FIXUP_HEADERS_OUT/ERR (AP_FTYPE_CONTENT_SET), before
     * the HTTP header filter (AP_FTYPE_PROTOCOL). */
    ap_register_output_filter("CORSGATE", corsgate_out_filter, NULL,
                              (ap_filter_type) (AP_FTYPE_CONTENT_SET + 5));
    static const char *const before[] = {"mod_rewrite.c", "mod_alias.c", NULL};
    ap_hook_post_config(corsgate_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_translate_name(corsgate_translate_name, NULL, before, APR_HOOK_FIRST);
    ap_hook_header_parser(corsgate_header_parser, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_insert_filter(insert_filter, NULL, NULL, APR_HOOK_LAST);
    ap_hook_insert_error_filter(insert_filter, NULL, NULL, APR_HOOK_LAST);
}

AP_DECLARE_MODULE(corsgate) = {
    STANDARD20_MODULE_STUFF,
    create_dir_conf,
    merge_dir_conf,
    NULL,
    NULL,
    corsgate_commands,
    register_hooks,
#if defined(AP_MODULE_FLAG_ALWAYS_MERGE)
    AP_MODULE_FLAG_NONE
#endif
};
