
/*
 * Copyright (C) The Stratum authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_stratum_redact.h"


#define NGX_STRATUM_HEADERS_UPSTREAM_KEEP     0
#define NGX_STRATUM_HEADERS_UPSTREAM_REPLACE  1

#define NGX_STRATUM_HEADERS_SERVER_PRODUCT    0
#define NGX_STRATUM_HEADERS_SERVER_KEEP       1
#define NGX_STRATUM_HEADERS_SERVER_OFF        2

/* value syntax flags */
#define NGX_STRATUM_HEADERS_LIST              0x01
#define NGX_STRATUM_HEADERS_PARAMS            0x02
/* browsers compare the tokens byte for byte (structured fields, fetch) */
#define NGX_STRATUM_HEADERS_EXACT             0x04

/* preload lists ask for at least a year, in seconds */
#define NGX_STRATUM_HEADERS_HSTS_PRELOAD_AGE  31536000

#define ngx_stratum_headers_cv(s)  { ngx_string(s), NULL, NULL, NULL, { 0 } }


typedef struct {
    ngx_array_t                *hide;           /* of ngx_str_t */
    ngx_int_t                   realip_index;
} ngx_stratum_headers_main_conf_t;


typedef struct {
    ngx_flag_t                  enable;
    ngx_flag_t                  trust_proxy;
    ngx_uint_t                  upstream;
    ngx_uint_t                  server;
    ngx_array_t                *hide;           /* of ngx_str_t */

    /* NULL: the header is off */
    ngx_http_complex_value_t   *content_type_options;
    ngx_http_complex_value_t   *frame_options;
    ngx_http_complex_value_t   *referrer_policy;
    ngx_http_complex_value_t   *csp;
    ngx_http_complex_value_t   *csp_report_only;
    ngx_http_complex_value_t   *permissions_policy;
    ngx_http_complex_value_t   *xss_protection;
    ngx_http_complex_value_t   *hsts;
    ngx_http_complex_value_t   *coop;
    ngx_http_complex_value_t   *corp;
    ngx_http_complex_value_t   *coep;
} ngx_stratum_headers_loc_conf_t;


typedef struct {
    ngx_str_t                   name;
    ngx_str_t                   lowcase_name;
    ngx_uint_t                  offset;
    ngx_uint_t                  tls_only;
} ngx_stratum_headers_header_t;


typedef struct {
    ngx_str_t                  *tokens;
    ngx_uint_t                  flags;
    char                       *expect;
} ngx_stratum_headers_syntax_t;


static ngx_int_t ngx_stratum_headers_header_filter(ngx_http_request_t *r);
static void ngx_stratum_headers_hide_headers(ngx_http_request_t *r,
    ngx_array_t *hide);
static ngx_int_t ngx_stratum_headers_server(ngx_http_request_t *r,
    ngx_uint_t mode);
static ngx_int_t ngx_stratum_headers_set(ngx_http_request_t *r,
    ngx_stratum_headers_header_t *hh, ngx_http_complex_value_t *cv,
    ngx_uint_t replace);
static ngx_uint_t ngx_stratum_headers_secure(ngx_http_request_t *r,
    ngx_stratum_headers_loc_conf_t *shlcf);
static ngx_uint_t ngx_stratum_headers_forwarded_https(ngx_http_request_t *r);
static ngx_int_t ngx_stratum_headers_find_control(ngx_str_t *value);
static char *ngx_stratum_headers_check_syntax(ngx_str_t *value,
    ngx_stratum_headers_syntax_t *syntax);
static ngx_uint_t ngx_stratum_headers_match_token(u_char *p, u_char *last,
    ngx_stratum_headers_syntax_t *syntax);

static void *ngx_stratum_headers_create_main_conf(ngx_conf_t *cf);
static void *ngx_stratum_headers_create_loc_conf(ngx_conf_t *cf);
static char *ngx_stratum_headers_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);

static char *ngx_stratum_headers_value(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_stratum_headers_hsts(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_stratum_headers_hide(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_stratum_headers_trust_proxy(ngx_conf_t *cf, void *post,
    void *data);

static ngx_int_t ngx_stratum_headers_init(ngx_conf_t *cf);


static ngx_str_t  ngx_stratum_headers_cto_tokens[] = {
    ngx_string("nosniff"),
    ngx_null_string
};


static ngx_str_t  ngx_stratum_headers_frame_tokens[] = {
    ngx_string("DENY"),
    ngx_string("SAMEORIGIN"),
    ngx_null_string
};


static ngx_str_t  ngx_stratum_headers_referrer_tokens[] = {
    ngx_string("no-referrer"),
    ngx_string("no-referrer-when-downgrade"),
    ngx_string("origin"),
    ngx_string("origin-when-cross-origin"),
    ngx_string("same-origin"),
    ngx_string("strict-origin"),
    ngx_string("strict-origin-when-cross-origin"),
    ngx_string("unsafe-url"),
    ngx_null_string
};


static ngx_str_t  ngx_stratum_headers_xss_tokens[] = {
    ngx_string("0"),
    ngx_string("1"),
    ngx_null_string
};


static ngx_str_t  ngx_stratum_headers_coop_tokens[] = {
    ngx_string("same-origin"),
    ngx_string("same-origin-allow-popups"),
    ngx_string("noopener-allow-popups"),
    ngx_string("unsafe-none"),
    ngx_null_string
};


static ngx_str_t  ngx_stratum_headers_corp_tokens[] = {
    ngx_string("same-origin"),
    ngx_string("same-site"),
    ngx_string("cross-origin"),
    ngx_null_string
};


static ngx_str_t  ngx_stratum_headers_coep_tokens[] = {
    ngx_string("require-corp"),
    ngx_string("credentialless"),
    ngx_string("unsafe-none"),
    ngx_null_string
};


static ngx_stratum_headers_syntax_t  ngx_stratum_headers_cto_syntax = {
    ngx_stratum_headers_cto_tokens, 0,
    "it must be \"nosniff\" or \"off\""
};


static ngx_stratum_headers_syntax_t  ngx_stratum_headers_frame_syntax = {
    ngx_stratum_headers_frame_tokens, 0,
    "it must be \"DENY\", \"SAMEORIGIN\" or \"off\" (ALLOW-FROM is "
    "obsolete, use \"frame-ancestors\" in stratum_headers_csp)"
};


static ngx_stratum_headers_syntax_t  ngx_stratum_headers_referrer_syntax = {
    ngx_stratum_headers_referrer_tokens, NGX_STRATUM_HEADERS_LIST,
    "it must be a comma-separated list of referrer policies"
};


static ngx_stratum_headers_syntax_t  ngx_stratum_headers_xss_syntax = {
    ngx_stratum_headers_xss_tokens, NGX_STRATUM_HEADERS_PARAMS,
    "it must be \"0\", \"1\", \"1; mode=block\" or \"off\""
};


static ngx_stratum_headers_syntax_t  ngx_stratum_headers_coop_syntax = {
    ngx_stratum_headers_coop_tokens,
    NGX_STRATUM_HEADERS_PARAMS|NGX_STRATUM_HEADERS_EXACT,
    "it must be \"same-origin\", \"same-origin-allow-popups\", "
    "\"noopener-allow-popups\", \"unsafe-none\" or \"off\""
};


static ngx_stratum_headers_syntax_t  ngx_stratum_headers_corp_syntax = {
    ngx_stratum_headers_corp_tokens, NGX_STRATUM_HEADERS_EXACT,
    "it must be \"same-origin\", \"same-site\", \"cross-origin\" or \"off\""
};


static ngx_stratum_headers_syntax_t  ngx_stratum_headers_coep_syntax = {
    ngx_stratum_headers_coep_tokens,
    NGX_STRATUM_HEADERS_PARAMS|NGX_STRATUM_HEADERS_EXACT,
    "it must be \"require-corp\", \"credentialless\", \"unsafe-none\" "
    "or \"off\""
};


static ngx_conf_post_t  ngx_stratum_headers_trust_proxy_post = {
    ngx_stratum_headers_trust_proxy
};


static ngx_conf_enum_t  ngx_stratum_headers_upstream_modes[] = {
    { ngx_string("keep"), NGX_STRATUM_HEADERS_UPSTREAM_KEEP },
    { ngx_string("replace"), NGX_STRATUM_HEADERS_UPSTREAM_REPLACE },
    { ngx_null_string, 0 }
};


static ngx_conf_enum_t  ngx_stratum_headers_server_modes[] = {
    { ngx_string("product"), NGX_STRATUM_HEADERS_SERVER_PRODUCT },
    { ngx_string("keep"), NGX_STRATUM_HEADERS_SERVER_KEEP },
    { ngx_string("off"), NGX_STRATUM_HEADERS_SERVER_OFF },
    { ngx_null_string, 0 }
};


/* in the order they are sent */

static ngx_stratum_headers_header_t  ngx_stratum_headers_headers[] = {

    { ngx_string("Strict-Transport-Security"),
      ngx_string("strict-transport-security"),
      offsetof(ngx_stratum_headers_loc_conf_t, hsts), 1 },

    { ngx_string("X-Content-Type-Options"),
      ngx_string("x-content-type-options"),
      offsetof(ngx_stratum_headers_loc_conf_t, content_type_options), 0 },

    { ngx_string("X-Frame-Options"),
      ngx_string("x-frame-options"),
      offsetof(ngx_stratum_headers_loc_conf_t, frame_options), 0 },

    { ngx_string("Content-Security-Policy"),
      ngx_string("content-security-policy"),
      offsetof(ngx_stratum_headers_loc_conf_t, csp), 0 },

    { ngx_string("Content-Security-Policy-Report-Only"),
      ngx_string("content-security-policy-report-only"),
      offsetof(ngx_stratum_headers_loc_conf_t, csp_report_only), 0 },

    { ngx_string("Referrer-Policy"),
      ngx_string("referrer-policy"),
      offsetof(ngx_stratum_headers_loc_conf_t, referrer_policy), 0 },

    { ngx_string("Permissions-Policy"),
      ngx_string("permissions-policy"),
      offsetof(ngx_stratum_headers_loc_conf_t, permissions_policy), 0 },

    { ngx_string("X-XSS-Protection"),
      ngx_string("x-xss-protection"),
      offsetof(ngx_stratum_headers_loc_conf_t, xss_protection), 0 },

    { ngx_string("Cross-Origin-Opener-Policy"),
      ngx_string("cross-origin-opener-policy"),
      offsetof(ngx_stratum_headers_loc_conf_t, coop), 0 },

    { ngx_string("Cross-Origin-Resource-Policy"),
      ngx_string("cross-origin-resource-policy"),
      offsetof(ngx_stratum_headers_loc_conf_t, corp), 0 },

    { ngx_string("Cross-Origin-Embedder-Policy"),
      ngx_string("cross-origin-embedder-policy"),
      offsetof(ngx_stratum_headers_loc_conf_t, coep), 0 },

    { ngx_null_string, ngx_null_string, 0, 0 }
};


/* disclosure headers hidden unless "stratum_headers_hide off" */

static ngx_str_t  ngx_stratum_headers_hide_default[] = {
    ngx_string("X-Powered-By"),
    ngx_string("X-AspNet-Version"),
    ngx_string("X-AspNetMvc-Version"),
    ngx_null_string
};


/* headers that nginx needs to frame the response */

static ngx_str_t  ngx_stratum_headers_hide_refused[] = {
    ngx_string("Date"),
    ngx_string("Content-Type"),
    ngx_string("Content-Length"),
    ngx_string("Transfer-Encoding"),
    ngx_string("Connection"),
    ngx_string("Keep-Alive"),
    ngx_string("Location"),
    ngx_null_string
};


static ngx_http_complex_value_t  ngx_stratum_headers_default_cto =
    ngx_stratum_headers_cv("nosniff");

static ngx_http_complex_value_t  ngx_stratum_headers_default_frame =
    ngx_stratum_headers_cv("DENY");

static ngx_http_complex_value_t  ngx_stratum_headers_default_referrer =
    ngx_stratum_headers_cv("strict-origin-when-cross-origin");

static ngx_http_complex_value_t  ngx_stratum_headers_default_csp =
    ngx_stratum_headers_cv("default-src 'self'");

static ngx_http_complex_value_t  ngx_stratum_headers_default_permissions =
    ngx_stratum_headers_cv("geolocation=(), microphone=(), camera=()");

static ngx_http_complex_value_t  ngx_stratum_headers_default_xss =
    ngx_stratum_headers_cv("0");

static ngx_http_complex_value_t  ngx_stratum_headers_default_hsts =
    ngx_stratum_headers_cv("max-age=31536000; includeSubDomains");


static ngx_command_t  ngx_stratum_headers_commands[] = {

    { ngx_string("stratum_headers"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_stratum_headers_loc_conf_t, enable),
      NULL },

    { ngx_string("stratum_headers_content_type_options"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_stratum_headers_value,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_stratum_headers_loc_conf_t, content_type_options),
      &ngx_stratum_headers_cto_syntax },

    { ngx_string("stratum_headers_frame_options"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_stratum_headers_value,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_stratum_headers_loc_conf_t, frame_options),
      &ngx_stratum_headers_frame_syntax },

    { ngx_string("stratum_headers_referrer_policy"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_stratum_headers_value,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_stratum_headers_loc_conf_t, referrer_policy),
      &ngx_stratum_headers_referrer_syntax },

    { ngx_string("stratum_headers_csp"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_stratum_headers_value,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_stratum_headers_loc_conf_t, csp),
      NULL },

    { ngx_string("stratum_headers_csp_report_only"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_stratum_headers_value,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_stratum_headers_loc_conf_t, csp_report_only),
      NULL },

    { ngx_string("stratum_headers_permissions_policy"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_stratum_headers_value,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_stratum_headers_loc_conf_t, permissions_policy),
      NULL },

    { ngx_string("stratum_headers_xss_protection"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_stratum_headers_value,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_stratum_headers_loc_conf_t, xss_protection),
      &ngx_stratum_headers_xss_syntax },

    { ngx_string("stratum_headers_coop"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_stratum_headers_value,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_stratum_headers_loc_conf_t, coop),
      &ngx_stratum_headers_coop_syntax },

    { ngx_string("stratum_headers_corp"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_stratum_headers_value,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_stratum_headers_loc_conf_t, corp),
      &ngx_stratum_headers_corp_syntax },

    { ngx_string("stratum_headers_coep"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_stratum_headers_value,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_stratum_headers_loc_conf_t, coep),
      &ngx_stratum_headers_coep_syntax },

    { ngx_string("stratum_headers_hsts"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_stratum_headers_hsts,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("stratum_headers_hsts_trust_proxy"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_stratum_headers_loc_conf_t, trust_proxy),
      &ngx_stratum_headers_trust_proxy_post },

    { ngx_string("stratum_headers_upstream"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_stratum_headers_loc_conf_t, upstream),
      &ngx_stratum_headers_upstream_modes },

    { ngx_string("stratum_headers_server"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_stratum_headers_loc_conf_t, server),
      &ngx_stratum_headers_server_modes },

    { ngx_string("stratum_headers_hide"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_stratum_headers_hide,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_stratum_headers_module_ctx = {
    NULL,                                  /* preconfiguration */
    ngx_stratum_headers_init,              /* postconfiguration */

    ngx_stratum_headers_create_main_conf,  /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_stratum_headers_create_loc_conf,   /* create location configuration */
    ngx_stratum_headers_merge_loc_conf     /* merge location configuration */
};


ngx_module_t  ngx_stratum_headers_module = {
    NGX_MODULE_V1,
    &ngx_stratum_headers_module_ctx,       /* module context */
    ngx_stratum_headers_commands,          /* module directives */
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


static ngx_http_output_header_filter_pt  ngx_stratum_headers_next_header_filter;


static ngx_int_t
ngx_stratum_headers_header_filter(ngx_http_request_t *r)
{
    ngx_uint_t                       secure, replace;
    ngx_http_complex_value_t        *cv;
    ngx_stratum_headers_header_t    *hh;
    ngx_stratum_headers_loc_conf_t  *shlcf;

    shlcf = ngx_http_get_module_loc_conf(r, ngx_stratum_headers_module);

    /* the headers of a subrequest are never sent */

    if (!shlcf->enable || r != r->main) {
        return ngx_stratum_headers_next_header_filter(r);
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "stratum headers filter, status %ui",
                   r->headers_out.status);

    if (shlcf->hide) {
        ngx_stratum_headers_hide_headers(r, shlcf->hide);
    }

    if (ngx_stratum_headers_server(r, shlcf->server) != NGX_OK) {
        return NGX_ERROR;
    }

    replace = (shlcf->upstream == NGX_STRATUM_HEADERS_UPSTREAM_REPLACE);
    secure = 0;

    if (shlcf->hsts) {
        secure = ngx_stratum_headers_secure(r, shlcf);
    }

    for (hh = ngx_stratum_headers_headers; hh->name.len; hh++) {

        cv = *(ngx_http_complex_value_t **) ((char *) shlcf + hh->offset);

        if (cv == NULL || (hh->tls_only && !secure)) {
            continue;
        }

        if (ngx_stratum_headers_set(r, hh, cv, replace) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    return ngx_stratum_headers_next_header_filter(r);
}


static void
ngx_stratum_headers_hide_headers(ngx_http_request_t *r, ngx_array_t *hide)
{
    ngx_str_t        *name;
    ngx_uint_t        i, n;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    name = hide->elts;
    part = &r->headers_out.headers.part;
    h = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].hash == 0) {
            continue;
        }

        for (n = 0; n < hide->nelts; n++) {
            if (h[i].key.len == name[n].len
                && ngx_strncasecmp(h[i].key.data, name[n].data, name[n].len)
                   == 0)
            {
                ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                               "stratum headers hide \"%V\"", &h[i].key);

                h[i].hash = 0;
                break;
            }
        }
    }
}


static ngx_int_t
ngx_stratum_headers_server(ngx_http_request_t *r, ngx_uint_t mode)
{
    u_char                    *p, *last;
    ngx_table_elt_t           *h;
    ngx_http_core_loc_conf_t  *clcf;

    if (mode == NGX_STRATUM_HEADERS_SERVER_KEEP) {
        return NGX_OK;
    }

    h = r->headers_out.server;

    if (h) {

        /* a "Server" header set by an upstream or another module */

        if (h->hash == 0) {
            return NGX_OK;
        }

        if (mode == NGX_STRATUM_HEADERS_SERVER_OFF) {
            h->hash = 0;
            return NGX_OK;
        }

        /* the product name ends at the first "/" or blank */

        p = h->value.data;
        last = p + h->value.len;

        while (p < last && *p != '/' && *p != ' ' && *p != '\t') {
            p++;
        }

        if (p != h->value.data) {
            h->value.len = p - h->value.data;
        }

        return NGX_OK;
    }

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    if (mode == NGX_STRATUM_HEADERS_SERVER_PRODUCT
        && clcf->server_tokens == NGX_HTTP_SERVER_TOKENS_OFF)
    {
        /* nginx itself sends the product name only */
        return NGX_OK;
    }

    /*
     * the header filters send no "Server" line of their own once
     * r->headers_out.server is set; a zero hash keeps it out entirely
     */

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    ngx_str_set(&h->key, "Server");
    ngx_str_set(&h->value, "nginx");
    h->lowcase_key = (u_char *) "server";
    h->hash = (mode == NGX_STRATUM_HEADERS_SERVER_OFF) ? 0 : 1;

    r->headers_out.server = h;

    return NGX_OK;
}


static ngx_int_t
ngx_stratum_headers_set(ngx_http_request_t *r,
    ngx_stratum_headers_header_t *hh, ngx_http_complex_value_t *cv,
    ngx_uint_t replace)
{
    ngx_int_t         pos;
    ngx_str_t         value;
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h, *found;

    if (ngx_http_complex_value(r, cv, &value) != NGX_OK) {
        return NGX_ERROR;
    }

    /* like add_header, an empty value sends no header */

    if (value.len == 0) {
        return NGX_OK;
    }

    if (cv->lengths) {
        pos = ngx_stratum_headers_find_control(&value);

        if (pos != NGX_DECLINED) {
            ngx_stratum_log_error(NGX_LOG_ERR, r, 0,
                                  "stratum headers: value of \"%V\" has a "
                                  "control character at offset %i, header not "
                                  "sent", &hh->name, pos);
            return NGX_OK;
        }
    }

    found = NULL;
    part = &r->headers_out.headers.part;
    h = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].hash == 0
            || h[i].key.len != hh->name.len
            || ngx_strncasecmp(h[i].key.data, hh->name.data, hh->name.len)
               != 0)
        {
            continue;
        }

        if (!replace) {
            ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                           "stratum headers keep \"%V\"", &hh->name);
            return NGX_OK;
        }

        if (found == NULL) {
            found = &h[i];
            found->value = value;
            continue;
        }

        /* a second copy of a replaced header */

        h[i].hash = 0;
    }

    if (found) {
        ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "stratum headers replace \"%V: %V\"",
                       &hh->name, &value);
        return NGX_OK;
    }

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    h->key = hh->name;
    h->value = value;
    h->lowcase_key = hh->lowcase_name.data;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "stratum headers add \"%V: %V\"", &hh->name, &value);

    return NGX_OK;
}


static ngx_uint_t
ngx_stratum_headers_secure(ngx_http_request_t *r,
    ngx_stratum_headers_loc_conf_t *shlcf)
{
    ngx_connection_t                 *c;
    ngx_http_variable_value_t        *vv;
    ngx_stratum_headers_main_conf_t  *shmcf;

    c = r->connection;

#if (NGX_HTTP_SSL)
    if (c->ssl) {
        return 1;
    }
#endif

    if (!shlcf->trust_proxy) {
        return 0;
    }

    shmcf = ngx_http_get_module_main_conf(r, ngx_stratum_headers_module);

    if (shmcf->realip_index == NGX_CONF_UNSET) {
        return 0;
    }

    /*
     * $realip_remote_addr is the peer's address kept by the realip module;
     * when realip has not replaced the client address the variable points
     * at the connection's own address text, and the peer is not one that
     * set_real_ip_from trusts
     */

    vv = ngx_http_get_flushed_variable(r, shmcf->realip_index);

    if (vv == NULL || vv->not_found) {
        return 0;
    }

    if (vv->data == c->addr_text.data && vv->len == c->addr_text.len) {
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, c->log, 0,
                       "stratum headers: peer not trusted by realip");
        return 0;
    }

    return ngx_stratum_headers_forwarded_https(r);
}


static ngx_uint_t
ngx_stratum_headers_forwarded_https(ngx_http_request_t *r)
{
    u_char           *p, *start, *end;
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h, *last;

    last = NULL;
    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == sizeof("X-Forwarded-Proto") - 1
            && ngx_strncasecmp(h[i].key.data, (u_char *) "X-Forwarded-Proto",
                               sizeof("X-Forwarded-Proto") - 1)
               == 0)
        {
            last = &h[i];
        }
    }

    if (last == NULL) {
        return 0;
    }

    /*
     * proxies append: the last element of the last header line is the one
     * the trusted peer added
     */

    start = last->value.data;
    end = start + last->value.len;

    for (p = end; p > start; p--) {
        if (p[-1] == ',') {
            break;
        }
    }

    start = p;

    while (start < end && (*start == ' ' || *start == '\t')) {
        start++;
    }

    while (end > start && (end[-1] == ' ' || end[-1] == '\t')) {
        end--;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "stratum headers: trusted X-Forwarded-Proto \"%*s\"",
                   end - start, start);

    return (end - start == sizeof("https") - 1
            && ngx_strncasecmp(start, (u_char *) "https",
                               sizeof("https") - 1)
               == 0);
}


static ngx_int_t
ngx_stratum_headers_find_control(ngx_str_t *value)
{
    size_t  i;

    for (i = 0; i < value->len; i++) {
        if (value->data[i] < 0x20 || value->data[i] == 0x7f) {
            return i;
        }
    }

    return NGX_DECLINED;
}


static char *
ngx_stratum_headers_check_syntax(ngx_str_t *value,
    ngx_stratum_headers_syntax_t *syntax)
{
    u_char  *p, *last, *end;

    p = value->data;
    last = p + value->len;

    for ( ;; ) {

        while (p < last && (*p == ' ' || *p == '\t')) {
            p++;
        }

        end = p;

        while (end < last && *end != ',' && *end != ';') {
            end++;
        }

        if (!ngx_stratum_headers_match_token(p, end, syntax)) {
            return syntax->expect;
        }

        if (end == last) {
            return NGX_CONF_OK;
        }

        if (*end == ';') {

            /* parameters: "name=value" pairs up to the end of the value */

            if (!(syntax->flags & NGX_STRATUM_HEADERS_PARAMS)) {
                return syntax->expect;
            }

            for (p = end; p < last; p = end) {
                p++;

                while (p < last && (*p == ' ' || *p == '\t')) {
                    p++;
                }

                for (end = p; end < last && *end != ';'; end++) {
                    /* void */
                }

                if (ngx_strlchr(p, end, '=') == NULL) {
                    return syntax->expect;
                }
            }

            return NGX_CONF_OK;
        }

        /* a comma */

        if (!(syntax->flags & NGX_STRATUM_HEADERS_LIST)) {
            return syntax->expect;
        }

        p = end + 1;
    }
}


static ngx_uint_t
ngx_stratum_headers_match_token(u_char *p, u_char *last,
    ngx_stratum_headers_syntax_t *syntax)
{
    size_t      len;
    ngx_str_t  *tokens;

    while (last > p && (last[-1] == ' ' || last[-1] == '\t')) {
        last--;
    }

    len = last - p;

    for (tokens = syntax->tokens; tokens->len; tokens++) {
        if (tokens->len != len) {
            continue;
        }

        if ((syntax->flags & NGX_STRATUM_HEADERS_EXACT)
            ? ngx_strncmp(tokens->data, p, len) == 0
            : ngx_strncasecmp(tokens->data, p, len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


static void *
ngx_stratum_headers_create_main_conf(ngx_conf_t *cf)
{
    ngx_str_t                        *name, *s;
    ngx_stratum_headers_main_conf_t  *shmcf;

    shmcf = ngx_pcalloc(cf->pool, sizeof(ngx_stratum_headers_main_conf_t));
    if (shmcf == NULL) {
        return NULL;
    }

    shmcf->hide = ngx_array_create(cf->pool, 4, sizeof(ngx_str_t));
    if (shmcf->hide == NULL) {
        return NULL;
    }

    for (s = ngx_stratum_headers_hide_default; s->len; s++) {
        name = ngx_array_push(shmcf->hide);
        if (name == NULL) {
            return NULL;
        }

        *name = *s;
    }

    shmcf->realip_index = NGX_CONF_UNSET;

    return shmcf;
}


static void *
ngx_stratum_headers_create_loc_conf(ngx_conf_t *cf)
{
    ngx_stratum_headers_loc_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_stratum_headers_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    conf->enable = NGX_CONF_UNSET;
    conf->trust_proxy = NGX_CONF_UNSET;
    conf->upstream = NGX_CONF_UNSET_UINT;
    conf->server = NGX_CONF_UNSET_UINT;
    conf->hide = NGX_CONF_UNSET_PTR;

    conf->content_type_options = NGX_CONF_UNSET_PTR;
    conf->frame_options = NGX_CONF_UNSET_PTR;
    conf->referrer_policy = NGX_CONF_UNSET_PTR;
    conf->csp = NGX_CONF_UNSET_PTR;
    conf->csp_report_only = NGX_CONF_UNSET_PTR;
    conf->permissions_policy = NGX_CONF_UNSET_PTR;
    conf->xss_protection = NGX_CONF_UNSET_PTR;
    conf->hsts = NGX_CONF_UNSET_PTR;
    conf->coop = NGX_CONF_UNSET_PTR;
    conf->corp = NGX_CONF_UNSET_PTR;
    conf->coep = NGX_CONF_UNSET_PTR;

    return conf;
}


static char *
ngx_stratum_headers_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_stratum_headers_loc_conf_t  *prev = parent;
    ngx_stratum_headers_loc_conf_t  *conf = child;

    ngx_stratum_headers_main_conf_t  *shmcf;

    shmcf = ngx_http_conf_get_module_main_conf(cf, ngx_stratum_headers_module);

    ngx_conf_merge_value(conf->enable, prev->enable, 0);
    ngx_conf_merge_value(conf->trust_proxy, prev->trust_proxy, 0);
    ngx_conf_merge_uint_value(conf->upstream, prev->upstream,
                              NGX_STRATUM_HEADERS_UPSTREAM_KEEP);
    ngx_conf_merge_uint_value(conf->server, prev->server,
                              NGX_STRATUM_HEADERS_SERVER_PRODUCT);
    ngx_conf_merge_ptr_value(conf->hide, prev->hide, shmcf->hide);

    ngx_conf_merge_ptr_value(conf->content_type_options,
                             prev->content_type_options,
                             &ngx_stratum_headers_default_cto);
    ngx_conf_merge_ptr_value(conf->frame_options, prev->frame_options,
                             &ngx_stratum_headers_default_frame);
    ngx_conf_merge_ptr_value(conf->referrer_policy, prev->referrer_policy,
                             &ngx_stratum_headers_default_referrer);
    ngx_conf_merge_ptr_value(conf->csp, prev->csp,
                             &ngx_stratum_headers_default_csp);
    ngx_conf_merge_ptr_value(conf->csp_report_only, prev->csp_report_only,
                             NULL);
    ngx_conf_merge_ptr_value(conf->permissions_policy,
                             prev->permissions_policy,
                             &ngx_stratum_headers_default_permissions);
    ngx_conf_merge_ptr_value(conf->xss_protection, prev->xss_protection,
                             &ngx_stratum_headers_default_xss);
    ngx_conf_merge_ptr_value(conf->hsts, prev->hsts,
                             &ngx_stratum_headers_default_hsts);
    ngx_conf_merge_ptr_value(conf->coop, prev->coop, NULL);
    ngx_conf_merge_ptr_value(conf->corp, prev->corp, NULL);
    ngx_conf_merge_ptr_value(conf->coep, prev->coep, NULL);

    return NGX_CONF_OK;
}


static char *
ngx_stratum_headers_value(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char  *p = conf;

    char                              *rv;
    ngx_int_t                          pos;
    ngx_str_t                         *value;
    ngx_http_complex_value_t         **cvp, *cv;
    ngx_stratum_headers_syntax_t      *syntax;
    ngx_http_compile_complex_value_t   ccv;

    cvp = (ngx_http_complex_value_t **) (p + cmd->offset);

    if (*cvp != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        *cvp = NULL;
        return NGX_CONF_OK;
    }

    if (value[1].len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "empty value in \"%V\" directive, "
                           "use \"off\" to send no header", &cmd->name);
        return NGX_CONF_ERROR;
    }

    pos = ngx_stratum_headers_find_control(&value[1]);

    if (pos != NGX_DECLINED) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid value in \"%V\" directive, "
                           "control character 0x%02xd at offset %i",
                           &cmd->name, (int) value[1].data[pos], pos);
        return NGX_CONF_ERROR;
    }

    cv = ngx_palloc(cf->pool, sizeof(ngx_http_complex_value_t));
    if (cv == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));

    ccv.cf = cf;
    ccv.value = &value[1];
    ccv.complex_value = cv;

    if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    /* a value with variables is checked for control characters only */

    syntax = cmd->post;

    if (syntax && cv->lengths == NULL) {
        rv = ngx_stratum_headers_check_syntax(&value[1], syntax);

        if (rv != NGX_CONF_OK) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid value \"%V\" in \"%V\" directive, %s",
                               &value[1], &cmd->name, rv);
            return NGX_CONF_ERROR;
        }
    }

    *cvp = cv;

    return NGX_CONF_OK;
}


static char *
ngx_stratum_headers_hsts(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_stratum_headers_loc_conf_t *shlcf = conf;

    u_char                    *p;
    time_t                     max_age;
    ngx_str_t                 *value, s;
    ngx_uint_t                 i, subdomains, preload;
    ngx_http_complex_value_t  *cv;

    if (shlcf->hsts != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (cf->args->nelts == 2 && ngx_strcmp(value[1].data, "off") == 0) {
        shlcf->hsts = NULL;
        return NGX_CONF_OK;
    }

    max_age = NGX_ERROR;
    subdomains = 0;
    preload = 0;

    for (i = 1; i < cf->args->nelts; i++) {

        if (max_age == NGX_ERROR
            && ngx_strncasecmp(value[i].data, (u_char *) "max-age=", 8) == 0)
        {
            s.len = value[i].len - 8;
            s.data = value[i].data + 8;

            max_age = ngx_parse_time(&s, 1);

            if (max_age == NGX_ERROR) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid \"max-age\" value \"%V\" "
                                   "in \"%V\" directive", &s, &cmd->name);
                return NGX_CONF_ERROR;
            }

            continue;
        }

        if (!subdomains
            && value[i].len == sizeof("includeSubDomains") - 1
            && ngx_strcasecmp(value[i].data, (u_char *) "includeSubDomains")
               == 0)
        {
            subdomains = 1;
            continue;
        }

        if (!preload && ngx_strcasecmp(value[i].data, (u_char *) "preload")
                        == 0)
        {
            preload = 1;
            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\" in \"%V\" directive",
                           &value[i], &cmd->name);
        return NGX_CONF_ERROR;
    }

    if (max_age == NGX_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" directive requires the \"max-age\" "
                           "parameter", &cmd->name);
        return NGX_CONF_ERROR;
    }

    if (preload && !subdomains) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"preload\" in \"%V\" directive requires "
                           "\"includeSubDomains\"", &cmd->name);
        return NGX_CONF_ERROR;
    }

    if (preload && max_age < NGX_STRATUM_HEADERS_HSTS_PRELOAD_AGE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"preload\" in \"%V\" directive requires "
                           "\"max-age\" of at least %d seconds (one year)",
                           &cmd->name, NGX_STRATUM_HEADERS_HSTS_PRELOAD_AGE);
        return NGX_CONF_ERROR;
    }

    cv = ngx_pcalloc(cf->pool, sizeof(ngx_http_complex_value_t));
    if (cv == NULL) {
        return NGX_CONF_ERROR;
    }

    p = ngx_pnalloc(cf->pool, sizeof("max-age=; includeSubDomains; preload")
                              - 1 + NGX_TIME_T_LEN);
    if (p == NULL) {
        return NGX_CONF_ERROR;
    }

    cv->value.data = p;

    p = ngx_sprintf(p, "max-age=%T", max_age);

    if (subdomains) {
        p = ngx_cpymem(p, "; includeSubDomains",
                       sizeof("; includeSubDomains") - 1);
    }

    if (preload) {
        p = ngx_cpymem(p, "; preload", sizeof("; preload") - 1);
    }

    cv->value.len = p - cv->value.data;

    shlcf->hsts = cv;

    return NGX_CONF_OK;
}


static char *
ngx_stratum_headers_hide(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_stratum_headers_loc_conf_t *shlcf = conf;

    u_char                           *p, *last;
    ngx_str_t                        *value, *name, *s;
    ngx_uint_t                        i;
    ngx_stratum_headers_main_conf_t  *shmcf;

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0) {

        if (shlcf->hide != NGX_CONF_UNSET_PTR) {
            return "is duplicate";
        }

        if (cf->args->nelts > 2) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"off\" cannot be combined with header "
                               "names in \"%V\" directive", &cmd->name);
            return NGX_CONF_ERROR;
        }

        shlcf->hide = NULL;
        return NGX_CONF_OK;
    }

    if (shlcf->hide == NULL) {
        return "is duplicate";
    }

    if (shlcf->hide == NGX_CONF_UNSET_PTR) {
        shmcf = ngx_http_conf_get_module_main_conf(cf,
                                                   ngx_stratum_headers_module);

        shlcf->hide = ngx_array_create(cf->pool, shmcf->hide->nelts + 4,
                                       sizeof(ngx_str_t));
        if (shlcf->hide == NULL) {
            return NGX_CONF_ERROR;
        }

        name = ngx_array_push_n(shlcf->hide, shmcf->hide->nelts);
        if (name == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_memcpy(name, shmcf->hide->elts,
                   shmcf->hide->nelts * sizeof(ngx_str_t));
    }

    for (i = 1; i < cf->args->nelts; i++) {

        if (ngx_strcmp(value[i].data, "off") == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"off\" cannot be combined with header "
                               "names in \"%V\" directive", &cmd->name);
            return NGX_CONF_ERROR;
        }

        /* a field name is a token (RFC 9110, section 5.1) */

        last = value[i].data + value[i].len;

        for (p = value[i].data; p < last; p++) {
            if (*p <= 0x20 || *p >= 0x7f
                || ngx_strchr("\"(),/:;<=>?@[\\]{}", *p) != NULL)
            {
                break;
            }
        }

        if (value[i].len == 0 || p != last) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid header name \"%V\" in \"%V\" "
                               "directive", &value[i], &cmd->name);
            return NGX_CONF_ERROR;
        }

        if (value[i].len == sizeof("Server") - 1
            && ngx_strcasecmp(value[i].data, (u_char *) "Server") == 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\" directive cannot hide \"%V\", "
                               "use \"stratum_headers_server off\"",
                               &cmd->name, &value[i]);
            return NGX_CONF_ERROR;
        }

        for (s = ngx_stratum_headers_hide_refused; s->len; s++) {
            if (s->len == value[i].len
                && ngx_strncasecmp(s->data, value[i].data, s->len) == 0)
            {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "\"%V\" directive cannot hide \"%V\", "
                                   "nginx needs it to frame the response",
                                   &cmd->name, &value[i]);
                return NGX_CONF_ERROR;
            }
        }

        name = ngx_array_push(shlcf->hide);
        if (name == NULL) {
            return NGX_CONF_ERROR;
        }

        *name = value[i];
    }

    return NGX_CONF_OK;
}


static char *
ngx_stratum_headers_trust_proxy(ngx_conf_t *cf, void *post, void *data)
{
    ngx_flag_t  *fp = data;

    ngx_str_t                         name;
    ngx_uint_t                        i;
    ngx_stratum_headers_main_conf_t  *shmcf;

    if (!*fp) {
        return NGX_CONF_OK;
    }

    shmcf = ngx_http_conf_get_module_main_conf(cf, ngx_stratum_headers_module);

    if (shmcf->realip_index != NGX_CONF_UNSET) {
        return NGX_CONF_OK;
    }

    /* the trust rule is the realip module's, looked up by name */

    for (i = 0; cf->cycle->modules[i]; i++) {
        if (ngx_strcmp(cf->cycle->modules[i]->name, "ngx_http_realip_module")
            == 0)
        {
            break;
        }
    }

    if (cf->cycle->modules[i] == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"stratum_headers_hsts_trust_proxy\" requires "
                           "nginx built with the realip module");
        return NGX_CONF_ERROR;
    }

    ngx_str_set(&name, "realip_remote_addr");

    shmcf->realip_index = ngx_http_get_variable_index(cf, &name);

    if (shmcf->realip_index == NGX_ERROR) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_stratum_headers_init(ngx_conf_t *cf)
{
    ngx_stratum_headers_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_stratum_headers_header_filter;

    return NGX_OK;
}
