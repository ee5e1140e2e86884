/*
 * ngx_http_corsgate_module: CORS for nginx, decided by the corsgate engine
 * through its C ABI (include/corsgate.h, rules in include/README.md).
 *
 * No CORS rule lives here. The module hands the engine the request method
 * and header lines, then applies the decision as SPEC §5 says:
 *
 *  - a preflight is answered by the module (the engine's status and headers,
 *    empty body) in the rewrite phase, ahead of the rewrite module's
 *    `return`/`rewrite` and of the access phase (auth_basic, auth_request),
 *    so it never meets a 401 or a redirect; in a server where no location
 *    sets its own corsgate directives, already in the post-read phase, ahead
 *    of server-level `return`/`rewrite` too;
 *  - every other response (upstream, static, error pages, 4xx/5xx) gets the
 *    decision's headers from a header filter that runs after add_header's:
 *    same-named headers and other Access-Control-* headers the upstream or
 *    add_header set are dropped, and Vary is merged (by the engine's rule,
 *    corsgate_vary_merge), never overwritten.
 *
 * Policies are built and validated at configuration time (`nginx -t` lists
 * every error), so a reload with an invalid policy fails and the running
 * workers keep the old one.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <corsgate.h>


/* Request header lines passed on the stack; a request with more uses its pool. */
#define NGX_HTTP_CORSGATE_STACK_LINES  32

/* A policy file larger than this is surely not a policy. */
#define NGX_HTTP_CORSGATE_MAX_FILE     (1024 * 1024)


typedef corsgate_result (*ngx_http_corsgate_build_pt)(const uint8_t *text,
    size_t text_len, corsgate_policy **policy_out,
    corsgate_findings **errors_out);


typedef struct {
    ngx_str_t                     path;
    corsgate_policy              *policy;
} ngx_http_corsgate_file_t;


typedef struct {
    /* each policy file is built once per configuration, however often named */
    ngx_array_t                   files;    /* of ngx_http_corsgate_file_t */
} ngx_http_corsgate_main_conf_t;


typedef struct {
    /* a location of this server sets corsgate directives of its own */
    ngx_flag_t                    location_overrides;
} ngx_http_corsgate_srv_conf_t;


typedef struct {
    corsgate_policy              *policy;   /* NGX_CONF_UNSET_PTR until merged */
    ngx_flag_t                    enable;   /* `corsgate on|off` */
} ngx_http_corsgate_loc_conf_t;


/* What a decision sets on a response, in strings that outlive the decision. */
typedef struct {
    ngx_uint_t                    nheaders;
    ngx_str_t                     name[CORSGATE_MAX_HEADERS];
    ngx_str_t                     value[CORSGATE_MAX_HEADERS];
    ngx_uint_t                    nvary;
    ngx_str_t                     vary[CORSGATE_MAX_VARY];
} ngx_http_corsgate_headers_t;


/*
 * Kept across internal redirects (error_page, try_files, rewrite ... last),
 * which clear module contexts, through a request pool cleanup entry.
 */
typedef struct {
    corsgate_policy              *policy;   /* of the last location configured */
    corsgate_policy              *decided;  /* the policy `headers` came from */
    ngx_http_corsgate_headers_t   headers;  /* the decision the handler made */
    unsigned                      located:1;
    unsigned                      not_preflight:1;
    unsigned                      answered:1;
} ngx_http_corsgate_ctx_t;


static ngx_int_t ngx_http_corsgate_post_read_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_corsgate_rewrite_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_corsgate_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_corsgate_answer(ngx_http_request_t *r,
    ngx_http_corsgate_ctx_t *ctx);
static ngx_int_t ngx_http_corsgate_header_filter(ngx_http_request_t *r);
static ngx_int_t ngx_http_corsgate_decide(ngx_http_request_t *r,
    const corsgate_policy *policy, corsgate_decision *d);
static ngx_int_t ngx_http_corsgate_keep(ngx_http_request_t *r,
    const corsgate_decision *d, ngx_http_corsgate_headers_t *out);
static ngx_int_t ngx_http_corsgate_set_headers(ngx_http_request_t *r,
    const ngx_http_corsgate_headers_t *hd);
static ngx_uint_t ngx_http_corsgate_is_vary(const ngx_table_elt_t *h);
static ngx_table_elt_t *ngx_http_corsgate_push(ngx_http_request_t *r,
    const ngx_str_t *key, const ngx_str_t *value);
static ngx_http_corsgate_ctx_t *ngx_http_corsgate_get_ctx(
    ngx_http_request_t *r, ngx_uint_t create);
static void ngx_http_corsgate_ctx_cleanup(void *data);

static char *ngx_http_corsgate_policy(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_corsgate_enable(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static void ngx_http_corsgate_note_location(ngx_conf_t *cf);
static corsgate_policy *ngx_http_corsgate_load(ngx_conf_t *cf,
    ngx_str_t *path);
static u_char *ngx_http_corsgate_read(ngx_conf_t *cf, ngx_str_t *path,
    size_t *len);
static void ngx_http_corsgate_log_findings(ngx_conf_t *cf, ngx_uint_t level,
    ngx_str_t *path, const char *what, const corsgate_findings *findings);
static void ngx_http_corsgate_free_policy(void *data);

static void *ngx_http_corsgate_create_main_conf(ngx_conf_t *cf);
static void *ngx_http_corsgate_create_srv_conf(ngx_conf_t *cf);
static void *ngx_http_corsgate_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_corsgate_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static ngx_int_t ngx_http_corsgate_init(ngx_conf_t *cf);


static ngx_command_t  ngx_http_corsgate_commands[] = {

    { ngx_string("corsgate_policy"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_corsgate_policy,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("corsgate"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_http_corsgate_enable,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_corsgate_loc_conf_t, enable),
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_corsgate_module_ctx = {
    NULL,                                  /* preconfiguration */
    ngx_http_corsgate_init,                /* postconfiguration */

    ngx_http_corsgate_create_main_conf,    /* create main configuration */
    NULL,                                  /* init main configuration */

    ngx_http_corsgate_create_srv_conf,     /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_corsgate_create_loc_conf,     /* create location configuration */
    ngx_http_corsgate_merge_loc_conf       /* merge location configuration */
};


ngx_module_t  ngx_http_corsgate_module = {
    NGX_MODULE_V1,
    &ngx_http_corsgate_module_ctx,         /* module context */
    ngx_http_corsgate_commands,            /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;


/* Request time. */

static ngx_int_t
ngx_http_corsgate_post_read_handler(ngx_http_request_t *r)
{
    ngx_http_corsgate_srv_conf_t  *scf;

    /*
     * The location is not known yet: only a server whose locations all
     * inherit its policy can answer here, ahead of its own `return`.
     */
    scf = ngx_http_get_module_srv_conf(r, ngx_http_corsgate_module);

    if (scf->location_overrides) {
        return NGX_DECLINED;
    }

    return ngx_http_corsgate_handler(r);
}


static ngx_int_t
ngx_http_corsgate_rewrite_handler(ngx_http_request_t *r)
{
    return ngx_http_corsgate_handler(r);
}


static ngx_int_t
ngx_http_corsgate_handler(ngx_http_request_t *r)
{
    corsgate_decision              d;
    ngx_http_corsgate_ctx_t       *ctx;
    ngx_http_corsgate_loc_conf_t  *lcf;

    if (r != r->main) {
        return NGX_DECLINED;
    }

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_corsgate_module);

    if (lcf->enable == NGX_CONF_UNSET && lcf->policy == NULL) {
        /* no corsgate directive here: an earlier location's choice stands */
        return NGX_DECLINED;
    }

    ctx = ngx_http_corsgate_get_ctx(r, 1);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->policy = lcf->enable == 0 ? NULL : lcf->policy;
    ctx->located = 1;

    /* the kind does not depend on the policy: decide it once */
    if (ctx->policy == NULL || ctx->not_preflight || ctx->answered
        || r->error_page)
    {
        return NGX_DECLINED;
    }

    if (ngx_http_corsgate_decide(r, ctx->policy, &d) != NGX_OK) {
        return NGX_DECLINED;
    }

    /* the header filter applies this decision: decide once per request */
    if (ngx_http_corsgate_keep(r, &d, &ctx->headers) == NGX_OK) {
        ctx->decided = ctx->policy;
    }

    if (d.kind != CORSGATE_KIND_PREFLIGHT) {
        ctx->not_preflight = 1;
        return NGX_DECLINED;
    }

    r->headers_out.status = d.status;

    ngx_http_finalize_request(r, ngx_http_corsgate_answer(r, ctx));

    return NGX_DONE;
}


static ngx_int_t
ngx_http_corsgate_answer(ngx_http_request_t *r, ngx_http_corsgate_ctx_t *ctx)
{
    ngx_int_t     rc;
    corsgate_str  length;

    rc = ngx_http_discard_request_body(r);

    if (rc != NGX_OK) {
        return rc;
    }

    /* the header filter sets the decision's headers, as on any response */
    ctx->answered = 1;

    /* core's rule: an empty body says so, except in a 204 */
    if (corsgate_preflight_content_length((uint16_t) r->headers_out.status,
                                          &length)
        != CORSGATE_RESULT_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->headers_out.content_length_n = length.len ? 0 : -1;
    r->header_only = 1;

    return ngx_http_send_header(r);
}


static ngx_int_t
ngx_http_corsgate_header_filter(ngx_http_request_t *r)
{
    corsgate_policy               *policy;
    corsgate_decision              d;
    ngx_http_corsgate_ctx_t       *ctx;
    ngx_http_corsgate_headers_t    fresh;
    ngx_http_corsgate_loc_conf_t  *lcf;

    if (r != r->main) {
        return ngx_http_next_header_filter(r);
    }

    ctx = ngx_http_corsgate_get_ctx(r, 0);

    if (ctx != NULL && ctx->located) {
        policy = ctx->policy;

    } else {
        /* finalized before the rewrite phase: the server's choice */
        lcf = ngx_http_get_module_loc_conf(r, ngx_http_corsgate_module);
        policy = lcf->enable == 0 || lcf->policy == NGX_CONF_UNSET_PTR
                 ? NULL : lcf->policy;
    }

    if (policy == NULL) {
        return ngx_http_next_header_filter(r);
    }

    if (ctx != NULL && ctx->decided == policy) {
        if (ngx_http_corsgate_set_headers(r, &ctx->headers) != NGX_OK) {
            return NGX_ERROR;
        }

        return ngx_http_next_header_filter(r);
    }

    if (ngx_http_corsgate_decide(r, policy, &d) == NGX_OK) {
        if (ngx_http_corsgate_keep(r, &d, &fresh) != NGX_OK
            || ngx_http_corsgate_set_headers(r, &fresh) != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    return ngx_http_next_header_filter(r);
}


static ngx_int_t
ngx_http_corsgate_decide(ngx_http_request_t *r, const corsgate_policy *policy,
    corsgate_decision *d)
{
    size_t                 n, total;
    ngx_uint_t             i;
    corsgate_str           name;
    corsgate_result        rc;
    ngx_list_part_t       *part;
    ngx_table_elt_t       *h;
    corsgate_header_line   stack[NGX_HTTP_CORSGATE_STACK_LINES], *lines;

    total = 0;
    for (part = &r->headers_in.headers.part; part; part = part->next) {
        total += part->nelts;
    }

    lines = stack;
    if (total > NGX_HTTP_CORSGATE_STACK_LINES) {
        lines = ngx_palloc(r->pool, total * sizeof(corsgate_header_line));
        if (lines == NULL) {
            return NGX_ERROR;
        }
    }

    /* every line as received, repeats included: the engine picks its own */
    n = 0;
    for (part = &r->headers_in.headers.part; part; part = part->next) {
        h = part->elts;
        for (i = 0; i < part->nelts && n < total; i++) {
            lines[n].name.data = h[i].key.data;
            lines[n].name.len = h[i].key.len;
            lines[n].value.data = h[i].value.data;
            lines[n].value.len = h[i].value.len;
            n++;
        }
    }

    /* r->uri: the decoded, normalized path locations match on */
    rc = corsgate_policy_decide_path(policy, r->method_name.data,
                                     r->method_name.len, r->uri.data,
                                     r->uri.len, lines, n, d);

    if (rc != CORSGATE_RESULT_OK) {
        if (corsgate_result_name(rc, &name) != CORSGATE_RESULT_OK) {
            name.data = "unknown result";
            name.len = sizeof("unknown result") - 1;
        }

        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "corsgate_policy_decide_path() failed: %*s",
                      name.len, (u_char *) name.data);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * Copies what the response needs out of a decision: the values borrow from
 * the policy (it outlives the request), the request's header lines (they
 * live as long as it) or, as their source says, the decision's own buffer,
 * which is copied.
 */
static ngx_int_t
ngx_http_corsgate_keep(ngx_http_request_t *r, const corsgate_decision *d,
    ngx_http_corsgate_headers_t *out)
{
    size_t         j;
    const u_char  *p;

    out->nheaders = d->headers_len;

    for (j = 0; j < d->headers_len; j++) {
        out->name[j].len = d->headers[j].name.len;
        out->name[j].data = (u_char *) d->headers[j].name.data;

        p = (const u_char *) d->headers[j].value.data;
        out->value[j].len = d->headers[j].value.len;
        out->value[j].data = (u_char *) p;

        /* a value the decision built lives in it: copy that one */
        if (d->headers[j].source == CORSGATE_SOURCE_REBUILT) {
            out->value[j].data = ngx_pnalloc(r->pool, out->value[j].len);
            if (out->value[j].data == NULL) {
                return NGX_ERROR;
            }

            ngx_memcpy(out->value[j].data, p, out->value[j].len);
        }
    }

    out->nvary = d->vary_len;

    for (j = 0; j < d->vary_len; j++) {
        out->vary[j].len = d->vary[j].len;
        out->vary[j].data = (u_char *) d->vary[j].data;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_corsgate_set_headers(ngx_http_request_t *r,
    const ngx_http_corsgate_headers_t *hd)
{
    size_t            len, nlines;
    u_char           *buf;
    ngx_str_t         key, value;
    ngx_uint_t        i, j;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h, *last, *stack[NGX_HTTP_CORSGATE_STACK_LINES];
    ngx_table_elt_t **vary;
    corsgate_str      tokens[CORSGATE_MAX_VARY];
    corsgate_bytes   *lines, line_stack[NGX_HTTP_CORSGATE_STACK_LINES];
    corsgate_result   rc;
    bool              owned;

    /*
     * Drop what the upstream or add_header set: every header corsgate owns
     * and any header the decision sets (hash 0: not sent). Note the Vary
     * lines, for core to merge the decision's tokens into.
     */
    nlines = 0;
    vary = stack;
    lines = line_stack;

    for (part = &r->headers_out.headers.part; part; part = part->next) {
        h = part->elts;

        for (i = 0; i < part->nelts; i++) {
            if (h[i].hash == 0) {
                continue;
            }

            /* Which headers corsgate owns is core's rule, not ours. */
            if (corsgate_response_header_is_cors(h[i].key.data, h[i].key.len,
                                                 &owned)
                    == CORSGATE_RESULT_OK
                && owned)
            {
                h[i].hash = 0;
                continue;
            }

            for (j = 0; j < hd->nheaders; j++) {
                if (h[i].key.len == hd->name[j].len
                    && ngx_strncasecmp(h[i].key.data, hd->name[j].data,
                                       h[i].key.len) == 0)
                {
                    h[i].hash = 0;
                    break;
                }
            }

            if (h[i].hash != 0 && ngx_http_corsgate_is_vary(&h[i])) {
                nlines++;
            }
        }
    }

    if (nlines > NGX_HTTP_CORSGATE_STACK_LINES) {
        vary = ngx_palloc(r->pool, nlines * sizeof(*vary));
        lines = ngx_palloc(r->pool, nlines * sizeof(*lines));
        if (vary == NULL || lines == NULL) {
            return NGX_ERROR;
        }
    }

    j = 0;
    for (part = &r->headers_out.headers.part; part; part = part->next) {
        h = part->elts;

        for (i = 0; i < part->nelts && j < nlines; i++) {
            if (h[i].hash != 0 && ngx_http_corsgate_is_vary(&h[i])) {
                vary[j] = &h[i];
                lines[j].data = h[i].value.data;
                lines[j].len = h[i].value.len;
                j++;
            }
        }
    }

    for (j = 0; j < hd->nheaders; j++) {
        if (ngx_http_corsgate_push(r, &hd->name[j], &hd->value[j]) == NULL) {
            return NGX_ERROR;
        }
    }

    if (hd->nvary == 0) {
        return NGX_OK;
    }

    for (j = 0; j < hd->nvary; j++) {
        tokens[j].data = (const char *) hd->vary[j].data;
        tokens[j].len = hd->vary[j].len;
    }

    /* How Vary is merged is core's rule too: ask for the length, then fill. */
    len = 0;
    rc = corsgate_vary_merge(lines, nlines, tokens, hd->nvary, NULL, 0, &len);

    if (rc == CORSGATE_RESULT_UNCHANGED) {
        return NGX_OK;
    }

    if (rc != CORSGATE_RESULT_BUFFER_TOO_SMALL) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "corsgate_vary_merge() failed: %d", (int) rc);
        return NGX_ERROR;
    }

    buf = ngx_pnalloc(r->pool, len);
    if (buf == NULL) {
        return NGX_ERROR;
    }

    if (corsgate_vary_merge(lines, nlines, tokens, hd->nvary, buf, len, &len)
        != CORSGATE_RESULT_OK)
    {
        return NGX_ERROR;
    }

    value.len = len;
    value.data = buf;

    if (nlines > 0) {
        last = vary[nlines - 1];
        last->value = value;
        return NGX_OK;
    }

    ngx_str_set(&key, "Vary");

    return ngx_http_corsgate_push(r, &key, &value) ? NGX_OK : NGX_ERROR;
}


static ngx_uint_t
ngx_http_corsgate_is_vary(const ngx_table_elt_t *h)
{
    return h->key.len == sizeof("Vary") - 1
           && ngx_strncasecmp(h->key.data, (u_char *) "Vary",
                              sizeof("Vary") - 1) == 0;
}


static ngx_table_elt_t *
ngx_http_corsgate_push(ngx_http_request_t *r, const ngx_str_t *key,
    const ngx_str_t *value)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NULL;
    }

    h->hash = 1;
    h->key = *key;
    h->value = *value;
    h->lowcase_key = NULL;
#if (nginx_version >= 1023000)
    h->next = NULL;
#endif

    return h;
}


static ngx_http_corsgate_ctx_t *
ngx_http_corsgate_get_ctx(ngx_http_request_t *r, ngx_uint_t create)
{
    ngx_pool_cleanup_t       *cln;
    ngx_http_corsgate_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_corsgate_module);
    if (ctx != NULL) {
        return ctx;
    }

    if (r->internal || r->filter_finalize) {
        for (cln = r->pool->cleanup; cln; cln = cln->next) {
            if (cln->handler == ngx_http_corsgate_ctx_cleanup) {
                ctx = cln->data;
                ngx_http_set_ctx(r, ctx, ngx_http_corsgate_module);
                return ctx;
            }
        }
    }

    if (!create) {
        return NULL;
    }

    cln = ngx_pool_cleanup_add(r->pool, sizeof(ngx_http_corsgate_ctx_t));
    if (cln == NULL) {
        return NULL;
    }

    ctx = cln->data;
    ngx_memzero(ctx, sizeof(ngx_http_corsgate_ctx_t));
    cln->handler = ngx_http_corsgate_ctx_cleanup;

    ngx_http_set_ctx(r, ctx, ngx_http_corsgate_module);

    return ctx;
}


static void
ngx_http_corsgate_ctx_cleanup(void *data)
{
    /* nothing to free: the entry only keeps the context findable */
}


/* Configuration time. */

static char *
ngx_http_corsgate_policy(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_corsgate_loc_conf_t *lcf = conf;

    ngx_str_t  *value;

    if (lcf->policy != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    lcf->policy = ngx_http_corsgate_load(cf, &value[1]);
    if (lcf->policy == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_http_corsgate_note_location(cf);

    return NGX_CONF_OK;
}


static char *
ngx_http_corsgate_enable(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char  *rv;

    rv = ngx_conf_set_flag_slot(cf, cmd, conf);

    if (rv == NGX_CONF_OK) {
        ngx_http_corsgate_note_location(cf);
    }

    return rv;
}


/* A location with its own choice: its server cannot answer before it. */
static void
ngx_http_corsgate_note_location(ngx_conf_t *cf)
{
    ngx_http_corsgate_srv_conf_t  *scf;

    if (cf->cmd_type & NGX_HTTP_LOC_CONF) {
        scf = ngx_http_conf_get_module_srv_conf(cf, ngx_http_corsgate_module);
        scf->location_overrides = 1;
    }
}


static corsgate_policy *
ngx_http_corsgate_load(ngx_conf_t *cf, ngx_str_t *name)
{
    u_char                         *text;
    size_t                          len;
    ngx_str_t                       path, result;
    ngx_uint_t                      i;
    corsgate_str                    s;
    corsgate_result                 rc;
    corsgate_policy                *policy;
    corsgate_findings              *findings;
    ngx_pool_cleanup_t             *cln;
    ngx_http_corsgate_file_t       *file;
    ngx_http_corsgate_build_pt      build;
    ngx_http_corsgate_main_conf_t  *mcf;

    path = *name;

    if (ngx_conf_full_name(cf->cycle, &path, 1) != NGX_OK) {
        return NULL;
    }

    mcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_corsgate_module);

    file = mcf->files.elts;
    for (i = 0; i < mcf->files.nelts; i++) {
        if (file[i].path.len == path.len
            && ngx_strncmp(file[i].path.data, path.data, path.len) == 0)
        {
            return file[i].policy;
        }
    }

    if (path.len > 5
        && ngx_strncasecmp(path.data + path.len - 5, (u_char *) ".json", 5)
           == 0)
    {
        build = corsgate_policy_from_json;

    } else if (path.len > 5
               && ngx_strncasecmp(path.data + path.len - 5,
                                  (u_char *) ".toml", 5) == 0)
    {
        build = corsgate_policy_from_toml;

    } else {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "corsgate_policy \"%V\": unknown format; name the "
                           "file *.json or *.toml", &path);
        return NULL;
    }

    text = ngx_http_corsgate_read(cf, &path, &len);
    if (text == NULL) {
        return NULL;
    }

    policy = NULL;
    findings = NULL;

    rc = build(text, len, &policy, &findings);

    if (rc == CORSGATE_RESULT_INVALID_POLICY) {
        ngx_http_corsgate_log_findings(cf, NGX_LOG_EMERG, &path, "error",
                                       findings);
        corsgate_findings_free(findings);
        return NULL;
    }

    if (rc != CORSGATE_RESULT_OK) {
        ngx_str_set(&result, "unknown result");

        if (corsgate_result_name(rc, &s) == CORSGATE_RESULT_OK) {
            result.len = s.len;
            result.data = (u_char *) s.data;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "corsgate_policy \"%V\": building the policy "
                           "failed: %V", &path, &result);
        return NULL;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        corsgate_policy_free(policy);
        return NULL;
    }

    /* freed with this configuration: after the last worker using it exits */
    cln->handler = ngx_http_corsgate_free_policy;
    cln->data = policy;

    if (corsgate_policy_lint(policy, &findings) == CORSGATE_RESULT_OK) {
        ngx_http_corsgate_log_findings(cf, NGX_LOG_WARN, &path, "warning",
                                       findings);
        corsgate_findings_free(findings);
    }

    file = ngx_array_push(&mcf->files);
    if (file == NULL) {
        return NULL;
    }

    file->path = path;
    file->policy = policy;

    return policy;
}


static u_char *
ngx_http_corsgate_read(ngx_conf_t *cf, ngx_str_t *path, size_t *len)
{
    u_char           *text;
    off_t             size;
    ssize_t           n;
    ngx_file_t        file;
    ngx_file_info_t   fi;

    ngx_memzero(&file, sizeof(ngx_file_t));
    file.name = *path;
    file.log = cf->log;

    file.fd = ngx_open_file(path->data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);

    if (file.fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "corsgate_policy: " ngx_open_file_n " \"%V\" failed",
                           path);
        return NULL;
    }

    text = NULL;

    if (ngx_fd_info(file.fd, &fi) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "corsgate_policy: " ngx_fd_info_n " \"%V\" failed",
                           path);
        goto done;
    }

    size = ngx_file_size(&fi);

    if (size > NGX_HTTP_CORSGATE_MAX_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "corsgate_policy \"%V\": file of %O bytes is "
                           "larger than %d", path, size,
                           NGX_HTTP_CORSGATE_MAX_FILE);
        goto done;
    }

    text = ngx_pnalloc(cf->temp_pool, size + 1);
    if (text == NULL) {
        goto done;
    }

    n = ngx_read_file(&file, text, (size_t) size, 0);

    if (n != (ssize_t) size) {
        if (n != NGX_ERROR) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "corsgate_policy \"%V\": read %z of %O bytes",
                               path, n, size);
        }

        text = NULL;
        goto done;
    }

    *len = (size_t) size;

done:

    if (ngx_close_file(file.fd) == NGX_FILE_ERROR) {
        ngx_log_error(NGX_LOG_ALERT, cf->log, ngx_errno,
                      ngx_close_file_n " \"%V\" failed", path);
    }

    return text;
}


/*
 * One line per finding, so `nginx -t` shows every problem at once:
 *   corsgate_policy "/etc/nginx/cors.toml": error 1/2 [invalid-origin] ...
 */
static void
ngx_http_corsgate_log_findings(ngx_conf_t *cf, ngx_uint_t level,
    ngx_str_t *path, const char *what, const corsgate_findings *findings)
{
    size_t            i, n;
    corsgate_finding  f;

    if (corsgate_findings_len(findings, &n) != CORSGATE_RESULT_OK) {
        return;
    }

    for (i = 0; i < n; i++) {
        if (corsgate_findings_get(findings, i, &f) != CORSGATE_RESULT_OK) {
            continue;
        }

        if (f.value.len == 0) {
            ngx_conf_log_error(level, cf, 0,
                               "corsgate_policy \"%V\": %s %uz/%uz [%*s] %*s; "
                               "fix: %*s",
                               path, what, i + 1, n,
                               f.code.len, (u_char *) f.code.data,
                               f.message.len, (u_char *) f.message.data,
                               f.fix.len, (u_char *) f.fix.data);
            continue;
        }

        ngx_conf_log_error(level, cf, 0,
                           "corsgate_policy \"%V\": %s %uz/%uz [%*s] %*s "
                           "(value: \"%*s\"); fix: %*s",
                           path, what, i + 1, n,
                           f.code.len, (u_char *) f.code.data,
                           f.message.len, (u_char *) f.message.data,
                           f.value.len, (u_char *) f.value.data,
                           f.fix.len, (u_char *) f.fix.data);
    }
}


static void
ngx_http_corsgate_free_policy(void *data)
{
    corsgate_policy_free(data);
}


static void *
ngx_http_corsgate_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_corsgate_main_conf_t  *mcf;

    mcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_corsgate_main_conf_t));
    if (mcf == NULL) {
        return NULL;
    }

    if (ngx_array_init(&mcf->files, cf->pool, 4,
                       sizeof(ngx_http_corsgate_file_t))
        != NGX_OK)
    {
        return NULL;
    }

    return mcf;
}


static void *
ngx_http_corsgate_create_srv_conf(ngx_conf_t *cf)
{
    return ngx_pcalloc(cf->pool, sizeof(ngx_http_corsgate_srv_conf_t));
}


static void *
ngx_http_corsgate_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_corsgate_loc_conf_t  *lcf;

    lcf = ngx_palloc(cf->pool, sizeof(ngx_http_corsgate_loc_conf_t));
    if (lcf == NULL) {
        return NULL;
    }

    lcf->policy = NGX_CONF_UNSET_PTR;
    lcf->enable = NGX_CONF_UNSET;

    return lcf;
}


static char *
ngx_http_corsgate_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_corsgate_loc_conf_t *prev = parent;
    ngx_http_corsgate_loc_conf_t *conf = child;

    if (conf->policy != NGX_CONF_UNSET_PTR) {
        /* a policy named here turns corsgate on here, unless `corsgate off` */
        if (conf->enable == NGX_CONF_UNSET) {
            conf->enable = 1;
        }

        return NGX_CONF_OK;
    }

    ngx_conf_merge_ptr_value(conf->policy, prev->policy, NULL);
    ngx_conf_merge_value(conf->enable, prev->enable, NGX_CONF_UNSET);

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_corsgate_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt            *h;
    ngx_http_core_main_conf_t      *cmcf;
    ngx_http_corsgate_main_conf_t  *mcf;

    mcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_corsgate_module);

    if (mcf->files.nelts == 0) {
        /* loaded but unused: stay out of every request */
        return NGX_OK;
    }

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_POST_READ_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_corsgate_post_read_handler;

    /*
     * Handlers of a phase run last-pushed first, and this module's
     * postconfiguration runs after the rewrite module's: preflights are
     * answered before `return`, `rewrite` and the access phase.
     */
    h = ngx_array_push(&cmcf->phases[NGX_HTTP_REWRITE_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_corsgate_rewrite_handler;

    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_corsgate_header_filter;

    return NGX_OK;
}
