
/*
 * Copyright (C) The Stratum authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <jansson.h>

#include "ngx_stratum.h"
#include "ngx_stratum_rbac_match.h"


#define NGX_STRATUM_RBAC_OFF                    0
#define NGX_STRATUM_RBAC_ALLOWED                1
#define NGX_STRATUM_RBAC_DENIED                 2
#define NGX_STRATUM_RBAC_TENANT_DENIED          3
#define NGX_STRATUM_RBAC_DRY_RUN_DENIED         4
#define NGX_STRATUM_RBAC_DRY_RUN_TENANT_DENIED  5

/* stratum_rbac_require and stratum_rbac_require_any, in cmd->offset */
#define NGX_STRATUM_RBAC_ALL                    0
#define NGX_STRATUM_RBAC_ANY                    1

#define NGX_STRATUM_RBAC_TENANT_NONE_IN_TOKEN   1
#define NGX_STRATUM_RBAC_TENANT_NONE_IN_REQUEST 2
#define NGX_STRATUM_RBAC_TENANT_MISMATCH        3

/* unknown roles each worker remembers having warned about */
#define NGX_STRATUM_RBAC_WARN_MAX               64

#define NGX_STRATUM_RBAC_MAX_FILE               (1024 * 1024)
#define NGX_STRATUM_RBAC_MAX_NAME               255


typedef struct {
    ngx_str_t                   text;
    ngx_stratum_rbac_seg_t     *segs;
    ngx_uint_t                  nsegs;
} ngx_stratum_rbac_pattern_t;


typedef struct {
    ngx_str_t                   name;
    ngx_array_t                 patterns;   /* of ngx_stratum_rbac_pattern_t */
} ngx_stratum_rbac_role_t;


typedef struct {
    ngx_stratum_auth_api_t     *api;
    ngx_array_t                 roles;      /* of ngx_stratum_rbac_role_t */
    ngx_hash_t                  hash;       /* name -> role */
    size_t                      longest;    /* of the role names */

    /* written by each worker in its own copy */
    uint32_t                    warned[NGX_STRATUM_RBAC_WARN_MAX];
    ngx_uint_t                  nwarned;
} ngx_stratum_rbac_main_conf_t;


/* consecutive entries of one group: any one of them is enough */

typedef struct {
    ngx_http_complex_value_t    value;
    ngx_uint_t                  group;
} ngx_stratum_rbac_require_t;


typedef struct {
    ngx_array_t                *require;    /* of ngx_stratum_rbac_require_t */
    ngx_uint_t                  groups;
    ngx_http_complex_value_t   *tenant;
    ngx_flag_t                  dry_run;

    /* the directive that needs authentication here, for merge errors */
    ngx_str_t                   directive;
    u_char                     *file;
    ngx_uint_t                  line;
} ngx_stratum_rbac_loc_conf_t;


typedef struct {
    ngx_uint_t                  result;
    ngx_uint_t                  tenant;     /* why the tenant was refused */
    ngx_array_t                *require;    /* of the deciding location */
    ngx_str_t                  *values;     /* evaluated, one per entry */
    ngx_str_t                   required;   /* rendered when asked for */
    ngx_str_t                   missing;
    unsigned                    has_missing:1;
    unsigned                    missing_valid:1;

    /* the variable cache a subrequest's check uses, one per request */
    ngx_http_variable_value_t  *own;
} ngx_stratum_rbac_ctx_t;



static ngx_int_t ngx_stratum_rbac_handler(ngx_http_request_t *r);
static ngx_int_t ngx_stratum_rbac_value(ngx_http_request_t *r,
    ngx_http_complex_value_t *cv, ngx_str_t *value);
static ngx_stratum_rbac_role_t *ngx_stratum_rbac_find_role(
    ngx_http_request_t *r, ngx_stratum_rbac_main_conf_t *srmcf,
    ngx_str_t *name);
static ngx_int_t ngx_stratum_rbac_precontent_handler(
    ngx_http_request_t *r);
static ngx_int_t ngx_stratum_rbac_decide(ngx_http_request_t *r,
    ngx_stratum_rbac_loc_conf_t *srlcf, ngx_stratum_claims_t *claims,
    ngx_stratum_rbac_ctx_t *ctx);
static ngx_int_t ngx_stratum_rbac_find_roles(ngx_http_request_t *r,
    ngx_stratum_claims_t *claims, ngx_stratum_rbac_role_t ***roles);
static ngx_flag_t ngx_stratum_rbac_granted(ngx_http_request_t *r,
    ngx_stratum_claims_t *claims, ngx_stratum_rbac_role_t **roles,
    ngx_uint_t nroles, ngx_str_t *perm);
static ngx_int_t ngx_stratum_rbac_set_missing(ngx_http_request_t *r,
    ngx_stratum_rbac_ctx_t *ctx, ngx_uint_t from, ngx_uint_t to);
static ngx_uint_t ngx_stratum_rbac_check_tenant(ngx_http_request_t *r,
    ngx_stratum_claims_t *claims, ngx_str_t *value);
static ngx_int_t ngx_stratum_rbac_refuse(ngx_http_request_t *r,
    ngx_stratum_rbac_ctx_t *ctx);
static ngx_stratum_rbac_ctx_t *ngx_stratum_rbac_get_ctx(
    ngx_http_request_t *r, ngx_flag_t create);
static void ngx_stratum_rbac_cleanup_ctx(void *data);

static ngx_int_t ngx_stratum_rbac_variable_result(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_stratum_rbac_variable_required(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_stratum_rbac_variable_missing(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_stratum_rbac_set_variable(ngx_http_variable_value_t *v,
    ngx_str_t *value);

static ngx_int_t ngx_stratum_rbac_add_variables(ngx_conf_t *cf);
static void *ngx_stratum_rbac_create_main_conf(ngx_conf_t *cf);
static char *ngx_stratum_rbac_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_stratum_rbac_create_loc_conf(ngx_conf_t *cf);
static char *ngx_stratum_rbac_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static char *ngx_stratum_rbac_roles_file(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_stratum_rbac_role(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_stratum_rbac_require(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_stratum_rbac_tenant(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_stratum_rbac_parse_file(ngx_conf_t *cf,
    ngx_stratum_rbac_main_conf_t *srmcf, ngx_str_t *path, json_t *root);
static ngx_stratum_rbac_role_t *ngx_stratum_rbac_add_role(ngx_conf_t *cf,
    ngx_stratum_rbac_main_conf_t *srmcf, ngx_str_t *name, ngx_uint_t n,
    ngx_str_t *path);
static ngx_int_t ngx_stratum_rbac_add_pattern(ngx_conf_t *cf,
    ngx_stratum_rbac_role_t *role, ngx_str_t *text, ngx_str_t *path);
static void ngx_stratum_rbac_where(ngx_conf_t *cf,
    ngx_stratum_rbac_loc_conf_t *srlcf, ngx_command_t *cmd);
static ngx_int_t ngx_stratum_rbac_init(ngx_conf_t *cf);


static ngx_command_t  ngx_stratum_rbac_commands[] = {

    { ngx_string("stratum_rbac_roles_file"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_stratum_rbac_roles_file,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("stratum_rbac_role"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_2MORE,
      ngx_stratum_rbac_role,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("stratum_rbac_require"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_HTTP_LIF_CONF
      |NGX_HTTP_LMT_CONF|NGX_CONF_1MORE,
      ngx_stratum_rbac_require,
      NGX_HTTP_LOC_CONF_OFFSET,
      NGX_STRATUM_RBAC_ALL,
      NULL },

    { ngx_string("stratum_rbac_require_any"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_HTTP_LIF_CONF
      |NGX_HTTP_LMT_CONF|NGX_CONF_1MORE,
      ngx_stratum_rbac_require,
      NGX_HTTP_LOC_CONF_OFFSET,
      NGX_STRATUM_RBAC_ANY,
      NULL },

    { ngx_string("stratum_rbac_tenant"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_stratum_rbac_tenant,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("stratum_rbac_dry_run"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_stratum_rbac_loc_conf_t, dry_run),
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_stratum_rbac_module_ctx = {
    ngx_stratum_rbac_add_variables,        /* preconfiguration */
    ngx_stratum_rbac_init,                 /* postconfiguration */

    ngx_stratum_rbac_create_main_conf,     /* create main configuration */
    ngx_stratum_rbac_init_main_conf,       /* init main configuration */

    ngx_stratum_create_srv_conf,           /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_stratum_rbac_create_loc_conf,      /* create location configuration */
    ngx_stratum_rbac_merge_loc_conf        /* merge location configuration */
};


ngx_module_t  ngx_stratum_rbac_module = {
    NGX_MODULE_V1,
    &ngx_stratum_rbac_module_ctx,          /* module context */
    ngx_stratum_rbac_commands,             /* module directives */
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


/* indexed by NGX_STRATUM_RBAC_OFF ... */

static ngx_str_t  ngx_stratum_rbac_words[] = {
    ngx_string("off"),
    ngx_string("allowed"),
    ngx_string("denied"),
    ngx_string("tenant_denied"),
    ngx_string("dry_run_denied"),
    ngx_string("dry_run_tenant_denied")
};


/* indexed by NGX_STRATUM_RBAC_TENANT_... */

static ngx_str_t  ngx_stratum_rbac_tenant_reasons[] = {
    ngx_null_string,
    ngx_string("the token carries no tenant"),
    ngx_string("the request names no tenant"),
    ngx_string("tenant mismatch")
};


static ngx_http_variable_t  ngx_stratum_rbac_vars[] = {

    { ngx_string("stratum_rbac_result"), NULL,
      ngx_stratum_rbac_variable_result, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("stratum_rbac_required"), NULL,
      ngx_stratum_rbac_variable_required, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("stratum_rbac_missing"), NULL,
      ngx_stratum_rbac_variable_missing, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


static ngx_int_t
ngx_stratum_rbac_handler(ngx_http_request_t *r)
{
    ngx_int_t                      rc;
    ngx_str_t                      missing;
    ngx_stratum_claims_t          *claims;
    ngx_stratum_rbac_ctx_t        *ctx;
    ngx_stratum_rbac_loc_conf_t   *srlcf;
    ngx_stratum_rbac_main_conf_t  *srmcf;

    srlcf = ngx_http_get_module_loc_conf(r, ngx_stratum_rbac_module);

    if (srlcf->require == NULL && srlcf->tenant == NULL) {
        return NGX_DECLINED;
    }

    srmcf = ngx_http_get_module_main_conf(r, ngx_stratum_rbac_module);

    /*
     * the token is checked first whatever the order of the phase's
     * handlers; auth off here (never so after "nginx -t") grants nothing
     */

    rc = srmcf->api->handler(r);

    /*
     * under "satisfy any" auth leaves its 401 to the phase, where an
     * "allow" would let the request in without a token: where
     * permissions are due, a missing or bad token is refused for good,
     * as a denial is, or dropping the token would get further than a
     * token without the permission
     */

    if (rc == NGX_HTTP_UNAUTHORIZED && !srlcf->dry_run) {
        return srmcf->api->refuse(r);
    }

    if (rc != NGX_OK && rc != NGX_DECLINED) {
        return rc;
    }

    claims = srmcf->api->claims(r);

    if (claims && claims->result != NGX_STRATUM_AUTH_OK) {

        /*
         * "stratum_auth optional" without a token: where permissions
         * are required, that is a missing token, answered as auth would
         */

        if (!srlcf->dry_run) {
            return srmcf->api->refuse(r);
        }

        claims = NULL;
    }

    ctx = ngx_stratum_rbac_get_ctx(r, 1);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /*
     * decided again after an internal redirect even to the same location:
     * what is required may come from variables that have changed since
     */

    if (ngx_stratum_rbac_decide(r, srlcf, claims, ctx) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "stratum rbac: decision: %V",
                   &ngx_stratum_rbac_words[ctx->result]);

    if (ctx->result == NGX_STRATUM_RBAC_ALLOWED) {
        return NGX_OK;
    }

    if (srlcf->dry_run) {
        ctx->result = (ctx->result == NGX_STRATUM_RBAC_DENIED)
                      ? NGX_STRATUM_RBAC_DRY_RUN_DENIED
                      : NGX_STRATUM_RBAC_DRY_RUN_TENANT_DENIED;
    }

    if (ctx->result == NGX_STRATUM_RBAC_DRY_RUN_DENIED
        || ctx->result == NGX_STRATUM_RBAC_DENIED)
    {
        if (ctx->missing_valid) {

            /* request variables may have made it: "docs:$arg_doc:read" */

            missing = ctx->missing;

            if (ngx_stratum_redact_client(r->pool, &missing) != NGX_OK) {
                ngx_str_set(&missing, "[redacted]");
            }

            ngx_stratum_log_error(NGX_LOG_INFO, r, 0,
                                  "stratum rbac: %spermission denied, missing "
                                  "\"%V\"", srlcf->dry_run ? "dry run: " : "",
                                  &missing);

        } else {
            ngx_stratum_log_error(NGX_LOG_INFO, r, 0,
                                  "stratum rbac: %spermission denied, the "
                                  "required permission is empty or invalid",
                                  srlcf->dry_run ? "dry run: " : "");
        }

    } else {
        ngx_stratum_log_error(NGX_LOG_INFO, r, 0,
                              "stratum rbac: %stenant denied: %V",
                              srlcf->dry_run ? "dry run: " : "",
                              &ngx_stratum_rbac_tenant_reasons[ctx->tenant]);
    }

    if (srlcf->dry_run) {
        /* as if the module were not there: it grants nothing either */
        return NGX_DECLINED;
    }

    /*
     * final even under "satisfy any", where the auth handler's NGX_OK
     * alone would let the request in
     */

    return ngx_stratum_rbac_refuse(r, ctx);
}


static ngx_int_t
ngx_stratum_rbac_decide(ngx_http_request_t *r,
    ngx_stratum_rbac_loc_conf_t *srlcf, ngx_stratum_claims_t *claims,
    ngx_stratum_rbac_ctx_t *ctx)
{
    ngx_int_t                    nroles;
    ngx_str_t                    value, *values;
    ngx_uint_t                   i, k, n;
    ngx_flag_t                   granted;
    ngx_stratum_rbac_role_t    **roles;
    ngx_stratum_rbac_require_t  *req;

    /* "off" until decided, should an internal error cut this short */

    ctx->result = NGX_STRATUM_RBAC_OFF;
    ctx->tenant = 0;
    ctx->require = srlcf->require;
    ctx->values = NULL;
    ngx_str_null(&ctx->required);
    ngx_str_null(&ctx->missing);
    ctx->has_missing = 0;
    ctx->missing_valid = 0;

    if (srlcf->require) {
        req = srlcf->require->elts;
        n = srlcf->require->nelts;

        values = ngx_palloc(r->pool, n * sizeof(ngx_str_t));
        if (values == NULL) {
            return NGX_ERROR;
        }

        for (i = 0; i < n; i++) {
            if (ngx_stratum_rbac_value(r, &req[i].value, &values[i])
                != NGX_OK)
            {
                return NGX_ERROR;
            }
        }

        /* complete only now, for $stratum_rbac_required */

        ctx->values = values;

        nroles = 0;
        roles = NULL;

        if (claims) {
            nroles = ngx_stratum_rbac_find_roles(r, claims, &roles);
            if (nroles == NGX_ERROR) {
                return NGX_ERROR;
            }
        }

        for (i = 0; i < n; i = k) {
            granted = 0;

            for (k = i; k < n && req[k].group == req[i].group; k++) {
                if (!granted
                    && ngx_stratum_rbac_granted(r, claims, roles, nroles,
                                                &ctx->values[k]))
                {
                    granted = 1;
                }
            }

            if (!granted) {
                ctx->result = NGX_STRATUM_RBAC_DENIED;
                return ngx_stratum_rbac_set_missing(r, ctx, i, k);
            }
        }
    }

    if (srlcf->tenant) {
        if (ngx_stratum_rbac_value(r, srlcf->tenant, &value) != NGX_OK) {
            return NGX_ERROR;
        }

        ctx->tenant = ngx_stratum_rbac_check_tenant(r, claims, &value);

        if (ctx->tenant) {
            ctx->result = NGX_STRATUM_RBAC_TENANT_DENIED;
            return NGX_OK;
        }
    }

    ctx->result = NGX_STRATUM_RBAC_ALLOWED;

    return NGX_OK;
}


/*
 * what a location requires, for the request at hand.  A subrequest
 * shares the variable cache of its main request: a "map" of $uri, or a
 * map of that map, may still hold the main request's value, and an SSI
 * include of another tenant's path would be checked as the page's
 * tenant.  In a subrequest the value is computed twice, as nginx hands
 * it and with an empty cache of the subrequest's own, so that every
 * variable is computed from the subrequest itself; when the two differ,
 * the value is empty, which denies.  A "set" variable or a regex capture
 * cannot be computed again (the one may be stale, the other is only
 * stored): in a subrequest they read as empty and deny.
 */

static ngx_int_t
ngx_stratum_rbac_value(ngx_http_request_t *r, ngx_http_complex_value_t *cv,
    ngx_str_t *value)
{
    size_t                      size;
    ngx_int_t                   rc;
    ngx_str_t                   own_value;
    ngx_stratum_rbac_ctx_t     *ctx;
    ngx_http_variable_value_t  *shared;
    ngx_http_core_main_conf_t  *cmcf;

    if (ngx_http_complex_value(r, cv, value) != NGX_OK) {
        return NGX_ERROR;
    }

    if (r == r->main || cv->flushes == NULL) {
        return NGX_OK;
    }

    ctx = ngx_stratum_rbac_get_ctx(r, 1);
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    cmcf = ngx_http_get_module_main_conf(r, ngx_http_core_module);
    size = cmcf->variables.nelts * sizeof(ngx_http_variable_value_t);

    if (ctx->own == NULL) {
        ctx->own = ngx_palloc(r->main->pool, size);
        if (ctx->own == NULL) {
            return NGX_ERROR;
        }
    }

    shared = r->variables;

    ngx_memzero(ctx->own, size);

    r->variables = ctx->own;
    rc = ngx_http_complex_value(r, cv, &own_value);

    r->variables = shared;

    if (rc != NGX_OK) {
        return NGX_ERROR;
    }

    if (own_value.len != value->len
        || ngx_memcmp(own_value.data, value->data, value->len) != 0)
    {
        ngx_stratum_log_error(NGX_LOG_INFO, r, 0,
                              "stratum rbac: a requirement of this subrequest "
                              "has one value with the main request's "
                              "variables and another with its own: denied");

        value->len = 0;
    }

    return NGX_OK;
}


/*
 * nginx's hash keeps its names in lower case: the lookup goes by the
 * lower-case name and the match is then checked exactly, for role names
 * are case-sensitive ("Admin" is not "admin")
 */

static ngx_stratum_rbac_role_t *
ngx_stratum_rbac_find_role(ngx_http_request_t *r,
    ngx_stratum_rbac_main_conf_t *srmcf, ngx_str_t *name)
{
    u_char                   *low;
    ngx_uint_t                key;
    ngx_stratum_rbac_role_t  *role;
    u_char                    buf[64];

    /* on every request: the pool only for names longer than usual */

    low = buf;

    if (name->len > sizeof(buf)) {
        low = ngx_pnalloc(r->pool, name->len);
        if (low == NULL) {
            return NULL;
        }
    }

    key = ngx_hash_strlow(low, name->data, name->len);

    role = ngx_hash_find(&srmcf->hash, key, low, name->len);

    if (role == NULL
        || role->name.len != name->len
        || ngx_memcmp(role->name.data, name->data, name->len) != 0)
    {
        return NULL;
    }

    return role;
}


/*
 * the table's entries for the roles of the token, looked up once per
 * request; returns how many, or NGX_ERROR
 */

static ngx_int_t
ngx_stratum_rbac_find_roles(ngx_http_request_t *r,
    ngx_stratum_claims_t *claims, ngx_stratum_rbac_role_t ***roles)
{
    uint32_t                       crc;
    ngx_str_t                     *name;
    ngx_uint_t                     i, k, n;
    ngx_stratum_rbac_role_t       *role, **found;
    ngx_stratum_rbac_main_conf_t  *srmcf;

    if (claims->roles.nelts == 0) {
        return 0;
    }

    srmcf = ngx_http_get_module_main_conf(r, ngx_stratum_rbac_module);

    found = ngx_palloc(r->pool, claims->roles.nelts * sizeof(void *));
    if (found == NULL) {
        return NGX_ERROR;
    }

    name = claims->roles.elts;
    n = 0;

    for (i = 0; i < claims->roles.nelts; i++) {
        role = NULL;

        if (srmcf->roles.nelts && name[i].len <= srmcf->longest) {
            role = ngx_stratum_rbac_find_role(r, srmcf, &name[i]);
        }

        if (role) {
            found[n++] = role;
            continue;
        }

        /* once per worker and name, not per request */

        crc = ngx_crc32_short(name[i].data, name[i].len);

        for (k = 0; k < srmcf->nwarned; k++) {
            if (srmcf->warned[k] == crc) {
                break;
            }
        }

        if (k < srmcf->nwarned
            || srmcf->nwarned == NGX_STRATUM_RBAC_WARN_MAX)
        {
            continue;
        }

        srmcf->warned[srmcf->nwarned++] = crc;

        ngx_stratum_log_error(NGX_LOG_WARN, r, 0,
                              "stratum rbac: unknown role \"%V\" in a token, "
                              "it grants nothing%s", &name[i],
                              srmcf->nwarned == NGX_STRATUM_RBAC_WARN_MAX
                              ? "; further unknown roles are not logged" : "");
    }

    *roles = found;

    return n;
}


static ngx_flag_t
ngx_stratum_rbac_granted(ngx_http_request_t *r, ngx_stratum_claims_t *claims,
    ngx_stratum_rbac_role_t **roles, ngx_uint_t nroles, ngx_str_t *perm)
{
    int                          nsegs;
    ngx_str_t                   *p;
    ngx_uint_t                   i, k;
    ngx_stratum_rbac_pattern_t  *pat;
    ngx_stratum_rbac_seg_t       segs[NGX_STRATUM_RBAC_MAX_SEGMENTS];

    nsegs = ngx_stratum_rbac_split(perm->data, perm->len, 0, segs);

    if (nsegs <= 0) {
        ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "stratum rbac: required \"%V\" invalid: %s",
                       perm, ngx_stratum_rbac_strerror(nsegs));
        return 0;
    }

    if (claims == NULL) {
        return 0;
    }

    p = claims->permissions.elts;

    for (i = 0; i < claims->permissions.nelts; i++) {
        if (ngx_stratum_rbac_match_text(p[i].data, p[i].len, segs, nsegs)) {
            ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                           "stratum rbac: \"%V\" granted by claim \"%V\"",
                           perm, &p[i]);
            return 1;
        }
    }

    for (i = 0; i < nroles; i++) {
        pat = roles[i]->patterns.elts;

        for (k = 0; k < roles[i]->patterns.nelts; k++) {
            if (ngx_stratum_rbac_match(pat[k].segs, pat[k].nsegs, segs,
                                       nsegs))
            {
                ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                               "stratum rbac: \"%V\" granted by role "
                               "\"%V\", \"%V\"",
                               perm, &roles[i]->name, &pat[k].text);
                return 1;
            }
        }
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "stratum rbac: \"%V\" not granted", perm);

    return 0;
}


/* the group of entries [from, to) that nothing granted, "a|b" */

static ngx_int_t
ngx_stratum_rbac_set_missing(ngx_http_request_t *r,
    ngx_stratum_rbac_ctx_t *ctx, ngx_uint_t from, ngx_uint_t to)
{
    u_char                  *p;
    size_t                   len;
    ngx_uint_t               i;
    ngx_stratum_rbac_seg_t   segs[NGX_STRATUM_RBAC_MAX_SEGMENTS];

    ctx->has_missing = 1;
    ctx->missing_valid = 1;

    len = 0;

    for (i = from; i < to; i++) {
        len += ctx->values[i].len + 1;

        /* only a valid permission is ever echoed in a response */

        if (ngx_stratum_rbac_split(ctx->values[i].data, ctx->values[i].len,
                                   0, segs)
            <= 0)
        {
            ctx->missing_valid = 0;
        }
    }

    if (to - from == 1) {
        ctx->missing = ctx->values[from];
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ctx->missing.data = p;

    for (i = from; i < to; i++) {
        if (i != from) {
            *p++ = '|';
        }

        p = ngx_cpymem(p, ctx->values[i].data, ctx->values[i].len);
    }

    ctx->missing.len = p - ctx->missing.data;

    return NGX_OK;
}


/* 0 when the request stays inside the token's tenant, else why not */

static ngx_uint_t
ngx_stratum_rbac_check_tenant(ngx_http_request_t *r,
    ngx_stratum_claims_t *claims, ngx_str_t *value)
{
    if (claims == NULL || !claims->has_tenant || claims->tenant_id.len == 0) {
        return NGX_STRATUM_RBAC_TENANT_NONE_IN_TOKEN;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "stratum rbac: tenant \"%V\", token's \"%V\"",
                   value, &claims->tenant_id);

    if (value->len == 0) {
        return NGX_STRATUM_RBAC_TENANT_NONE_IN_REQUEST;
    }

    if (value->len != claims->tenant_id.len
        || ngx_memcmp(value->data, claims->tenant_id.data, value->len) != 0)
    {
        return NGX_STRATUM_RBAC_TENANT_MISMATCH;
    }

    return 0;
}


/*
 * 403 with a JSON body naming what is missing; as for nginx's own pages,
 * an error_page for 403 takes over instead
 */

static ngx_int_t
ngx_stratum_rbac_refuse(ngx_http_request_t *r, ngx_stratum_rbac_ctx_t *ctx)
{
    size_t      len;
    ngx_buf_t  *b;

    if (ctx->result == NGX_STRATUM_RBAC_TENANT_DENIED) {
        len = sizeof("{\"detail\":\"Tenant access denied: \"}\n") - 1
              + ngx_stratum_rbac_tenant_reasons[ctx->tenant].len;

    } else {
        len = sizeof("{\"detail\":\"Permission denied: \"}\n") - 1
              + (ctx->missing_valid ? ctx->missing.len : 0);
    }

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* a valid permission needs no JSON escaping, see the grammar */

    if (ctx->result == NGX_STRATUM_RBAC_TENANT_DENIED) {
        b->last = ngx_sprintf(b->last,
                              "{\"detail\":\"Tenant access denied: %V\"}\n",
                              &ngx_stratum_rbac_tenant_reasons[ctx->tenant]);

    } else if (ctx->missing_valid) {
        b->last = ngx_sprintf(b->last,
                              "{\"detail\":\"Permission denied: %V\"}\n",
                              &ctx->missing);

    } else {
        b->last = ngx_cpymem(b->last, "{\"detail\":\"Permission denied\"}\n",
                             sizeof("{\"detail\":\"Permission denied\"}\n")
                             - 1);
    }

    return ngx_stratum_send_refusal(r, NGX_HTTP_FORBIDDEN, b);
}


/*
 * the decision lives in the main request's pool and is found again
 * through its cleanup after an internal redirect (error_page) clears
 * module contexts, so that the log phase still sees it
 */

static ngx_stratum_rbac_ctx_t *
ngx_stratum_rbac_get_ctx(ngx_http_request_t *r, ngx_flag_t create)
{
    ngx_pool_cleanup_t      *cln;
    ngx_stratum_rbac_ctx_t  *ctx;

    r = r->main;

    ctx = ngx_http_get_module_ctx(r, ngx_stratum_rbac_module);
    if (ctx) {
        return ctx;
    }

    for (cln = r->pool->cleanup; cln; cln = cln->next) {
        if (cln->handler == ngx_stratum_rbac_cleanup_ctx) {
            ctx = cln->data;
            ngx_http_set_ctx(r, ctx, ngx_stratum_rbac_module);
            return ctx;
        }
    }

    if (!create) {
        return NULL;
    }

    cln = ngx_pool_cleanup_add(r->pool, sizeof(ngx_stratum_rbac_ctx_t));
    if (cln == NULL) {
        return NULL;
    }

    ctx = cln->data;
    ngx_memzero(ctx, sizeof(ngx_stratum_rbac_ctx_t));

    cln->handler = ngx_stratum_rbac_cleanup_ctx;

    ngx_http_set_ctx(r, ctx, ngx_stratum_rbac_module);

    return ctx;
}


static void
ngx_stratum_rbac_cleanup_ctx(void *data)
{
    /* nothing to free: the handler only marks the context */
}


static ngx_int_t
ngx_stratum_rbac_variable_result(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_stratum_rbac_ctx_t  *ctx;

    ctx = ngx_stratum_rbac_get_ctx(r, 0);

    return ngx_stratum_rbac_set_variable(v,
               &ngx_stratum_rbac_words[ctx ? ctx->result
                                           : NGX_STRATUM_RBAC_OFF]);
}


/* what the deciding location required: "a,b|c" is a, and b or c */

static ngx_int_t
ngx_stratum_rbac_variable_required(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    u_char                      *p;
    size_t                       len;
    ngx_uint_t                   i;
    ngx_stratum_rbac_ctx_t      *ctx;
    ngx_stratum_rbac_require_t  *req;

    ctx = ngx_stratum_rbac_get_ctx(r, 0);

    if (ctx == NULL || ctx->require == NULL || ctx->values == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    if (ctx->required.data == NULL) {
        req = ctx->require->elts;
        len = 0;

        for (i = 0; i < ctx->require->nelts; i++) {
            len += ctx->values[i].len + 1;
        }

        p = ngx_pnalloc(r->pool, len);
        if (p == NULL) {
            return NGX_ERROR;
        }

        ctx->required.data = p;

        for (i = 0; i < ctx->require->nelts; i++) {
            if (i) {
                *p++ = (req[i].group == req[i - 1].group) ? '|' : ',';
            }

            p = ngx_cpymem(p, ctx->values[i].data, ctx->values[i].len);
        }

        ctx->required.len = p - ctx->required.data;
    }

    return ngx_stratum_rbac_set_variable(v, &ctx->required);
}


static ngx_int_t
ngx_stratum_rbac_variable_missing(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_stratum_rbac_ctx_t  *ctx;

    ctx = ngx_stratum_rbac_get_ctx(r, 0);

    if (ctx == NULL || !ctx->has_missing) {
        v->not_found = 1;
        return NGX_OK;
    }

    return ngx_stratum_rbac_set_variable(v, &ctx->missing);
}


static ngx_int_t
ngx_stratum_rbac_set_variable(ngx_http_variable_value_t *v, ngx_str_t *value)
{
    v->len = value->len;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;
    v->data = value->data;

    return NGX_OK;
}


static ngx_int_t
ngx_stratum_rbac_add_variables(ngx_conf_t *cf)
{
    return ngx_stratum_add_variables(cf, ngx_stratum_rbac_vars);
}


static void *
ngx_stratum_rbac_create_main_conf(ngx_conf_t *cf)
{
    ngx_stratum_rbac_main_conf_t  *srmcf;

    srmcf = ngx_pcalloc(cf->pool, sizeof(ngx_stratum_rbac_main_conf_t));
    if (srmcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     srmcf->api = NULL;
     *     srmcf->hash = { NULL, 0 };
     *     srmcf->nwarned = 0;
     */

    if (ngx_array_init(&srmcf->roles, cf->pool, 8,
                       sizeof(ngx_stratum_rbac_role_t))
        != NGX_OK)
    {
        return NULL;
    }

    return srmcf;
}


/*
 * runs before any location of this module is merged: the auth module
 * must be there, and merged before us, for api->enabled() to be right
 */

static char *
ngx_stratum_rbac_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_stratum_rbac_main_conf_t *srmcf = conf;

    size_t                    size;
    ngx_uint_t                i, auth, rbac;
    ngx_hash_key_t           *key;
    ngx_hash_init_t           hash;
    ngx_stratum_rbac_role_t  *role;

    srmcf->api = ngx_stratum_auth_api(cf);

    if (srmcf->api == NULL) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "ngx_stratum_rbac_module needs "
                      "ngx_stratum_auth_module (API version %d), "
                      "which is not loaded: load ngx_stratum_auth_module "
                      "before ngx_stratum_rbac_module",
                      NGX_STRATUM_AUTH_API_VERSION);
        return NGX_CONF_ERROR;
    }

    /*
     * modules are merged in the order of cycle->modules; ->index is only
     * a free slot, which a reload that changes the load order keeps
     */

    auth = 0;
    rbac = 0;

    for (i = 0; cf->cycle->modules[i]; i++) {
        if (cf->cycle->modules[i] == srmcf->api->module) {
            auth = i;

        } else if (cf->cycle->modules[i] == &ngx_stratum_rbac_module) {
            rbac = i;
        }
    }

    if (auth > rbac) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "load ngx_stratum_auth_module before "
                      "ngx_stratum_rbac_module");
        return NGX_CONF_ERROR;
    }

    if (srmcf->roles.nelts == 0) {
        return NGX_CONF_OK;
    }

    key = ngx_palloc(cf->temp_pool,
                     srmcf->roles.nelts * sizeof(ngx_hash_key_t));
    if (key == NULL) {
        return NGX_CONF_ERROR;
    }

    role = srmcf->roles.elts;
    size = 0;

    for (i = 0; i < srmcf->roles.nelts; i++) {
        key[i].key = role[i].name;
        key[i].key_hash = ngx_hash_key_lc(role[i].name.data,
                                          role[i].name.len);
        srmcf->longest = ngx_max(srmcf->longest, role[i].name.len);
        key[i].value = &role[i];

        /* an element: the value, the length, the name, aligned */

        size = ngx_max(size, sizeof(void *)
                             + ngx_align(role[i].name.len + 2,
                                         sizeof(void *)));
    }

    hash.hash = &srmcf->hash;
    hash.key = ngx_hash_key_lc;
    hash.max_size = ngx_max((ngx_uint_t) 512, 4 * srmcf->roles.nelts);
    hash.bucket_size = ngx_align(size + sizeof(void *), ngx_cacheline_size);
    hash.name = "stratum_rbac_roles_hash";
    hash.pool = cf->pool;
    hash.temp_pool = NULL;

    if (ngx_hash_init(&hash, key, srmcf->roles.nelts) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static void *
ngx_stratum_rbac_create_loc_conf(ngx_conf_t *cf)
{
    ngx_stratum_rbac_loc_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_stratum_rbac_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     conf->groups = 0;
     *     conf->directive = { 0, NULL };
     *     conf->file = NULL;
     *     conf->line = 0;
     */

    conf->require = NGX_CONF_UNSET_PTR;
    conf->tenant = NGX_CONF_UNSET_PTR;
    conf->dry_run = NGX_CONF_UNSET;

    return conf;
}


static char *
ngx_stratum_rbac_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_stratum_rbac_loc_conf_t *prev = parent;
    ngx_stratum_rbac_loc_conf_t *conf = child;

    ngx_stratum_srv_conf_t        *sscf;
    ngx_http_core_loc_conf_t      *clcf;
    ngx_stratum_rbac_main_conf_t  *srmcf;

    if (conf->file == NULL) {
        conf->directive = prev->directive;
        conf->file = prev->file;
        conf->line = prev->line;
    }

    /* the entries of one level replace the inherited ones as a whole */

    ngx_conf_merge_ptr_value(conf->require, prev->require, NULL);
    ngx_conf_merge_ptr_value(conf->tenant, prev->tenant, NULL);
    ngx_conf_merge_value(conf->dry_run, prev->dry_run, 0);

    if (conf->require == NULL && conf->tenant == NULL) {
        return NGX_CONF_OK;
    }

    sscf = ngx_http_conf_get_module_srv_conf(cf, ngx_stratum_rbac_module);
    sscf->guarded = 1;

    srmcf = ngx_http_conf_get_module_main_conf(cf, ngx_stratum_rbac_module);

    if (srmcf->api->enabled(cf)) {
        return NGX_CONF_OK;
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    if (clcf->name.len) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"%V\" in %s:%ui applies to location \"%V\", where "
                      "\"stratum_auth\" is off: permissions and tenants "
                      "need a validated token; set \"stratum_auth on\" "
                      "there, or \"%V off\"",
                      &conf->directive, conf->file, conf->line, &clcf->name,
                      &conf->directive);

    } else {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"%V\" in %s:%ui applies to a server where "
                      "\"stratum_auth\" is off: permissions and tenants "
                      "need a validated token; set \"stratum_auth on\" at "
                      "the server level, or \"%V off\" there",
                      &conf->directive, conf->file, conf->line,
                      &conf->directive);
    }

    return NGX_CONF_ERROR;
}


static char *
ngx_stratum_rbac_roles_file(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_stratum_rbac_main_conf_t *srmcf = conf;

    json_t        *root;
    ngx_int_t      rc;
    ngx_str_t     *value, path, data;
    json_error_t   err;

    value = cf->args->elts;
    path = value[1];

    if (ngx_stratum_conf_read_file(cf, &path, "roles file",
                                   NGX_STRATUM_RBAC_MAX_FILE, cf->temp_pool,
                                   &data)
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    root = json_loadb((char *) data.data, data.len, JSON_REJECT_DUPLICATES,
                      &err);
    if (root == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid JSON in roles file \"%V\" at line %d, "
                           "column %d: %s",
                           &path, err.line, err.column, err.text);
        return NGX_CONF_ERROR;
    }

    rc = ngx_stratum_rbac_parse_file(cf, srmcf, &path, root);

    json_decref(root);

    return rc == NGX_OK ? NGX_CONF_OK : NGX_CONF_ERROR;
}


static ngx_int_t
ngx_stratum_rbac_parse_file(ngx_conf_t *cf,
    ngx_stratum_rbac_main_conf_t *srmcf, ngx_str_t *path, json_t *root)
{
    size_t                    i;
    json_t                   *roles, *obj, *perms, *v;
    ngx_str_t                 name, text;
    const char               *key, *rkey;
    ngx_stratum_rbac_role_t  *role;

    if (!json_is_object(root)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "roles file \"%V\" is not a JSON object", path);
        return NGX_ERROR;
    }

    json_object_foreach(root, key, v) {
        if (ngx_strcmp(key, "roles") != 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "roles file \"%V\": unknown key \"%s\"",
                               path, key);
            return NGX_ERROR;
        }
    }

    roles = json_object_get(root, "roles");

    if (!json_is_object(roles)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "roles file \"%V\" has no \"roles\" object", path);
        return NGX_ERROR;
    }

    json_object_foreach(roles, rkey, obj) {
        name.data = (u_char *) rkey;
        name.len = ngx_strlen(rkey);

        if (!json_is_object(obj)) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "roles file \"%V\": role \"%V\" is not "
                               "an object", path, &name);
            return NGX_ERROR;
        }

        json_object_foreach(obj, key, v) {
            if (ngx_strcmp(key, "permissions") == 0) {
                continue;
            }

            if (ngx_strcmp(key, "description") != 0) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "roles file \"%V\": role \"%V\": "
                                   "unknown key \"%s\"", path, &name, key);
                return NGX_ERROR;
            }

            if (!json_is_string(v)) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "roles file \"%V\": role \"%V\": "
                                   "\"description\" is not a string",
                                   path, &name);
                return NGX_ERROR;
            }
        }

        perms = json_object_get(obj, "permissions");

        if (!json_is_array(perms)) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "roles file \"%V\": role \"%V\" has no "
                               "\"permissions\" list", path, &name);
            return NGX_ERROR;
        }

        role = ngx_stratum_rbac_add_role(cf, srmcf, &name,
                                         json_array_size(perms), path);
        if (role == NULL) {
            return NGX_ERROR;
        }

        json_array_foreach(perms, i, v) {
            if (!json_is_string(v)) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "roles file \"%V\": role \"%V\": "
                                   "permission %uz is not a string",
                                   path, &name, i);
                return NGX_ERROR;
            }

            text.data = (u_char *) json_string_value(v);
            text.len = json_string_length(v);

            if (ngx_stratum_rbac_add_pattern(cf, role, &text, path)
                != NGX_OK)
            {
                return NGX_ERROR;
            }
        }
    }

    return NGX_OK;
}


static char *
ngx_stratum_rbac_role(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_stratum_rbac_main_conf_t *srmcf = conf;

    ngx_str_t                *value;
    ngx_uint_t                i;
    ngx_stratum_rbac_role_t  *role;

    value = cf->args->elts;

    role = ngx_stratum_rbac_add_role(cf, srmcf, &value[1],
                                     cf->args->nelts - 2, NULL);
    if (role == NULL) {
        return NGX_CONF_ERROR;
    }

    for (i = 2; i < cf->args->nelts; i++) {
        if (ngx_stratum_rbac_add_pattern(cf, role, &value[i], NULL)
            != NGX_OK)
        {
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


/*
 * a new role, its name copied and room made for n patterns; "path" names
 * the roles file it comes from, NULL when it is inline
 */

static ngx_stratum_rbac_role_t *
ngx_stratum_rbac_add_role(ngx_conf_t *cf,
    ngx_stratum_rbac_main_conf_t *srmcf, ngx_str_t *name, ngx_uint_t n,
    ngx_str_t *path)
{
    u_char                   *p, *end;
    ngx_uint_t                i;
    ngx_stratum_rbac_role_t  *role;

    /* as the auth module takes role claims: no control characters, no "," */

    p = name->data;
    end = p + name->len;

    while (p < end && *p >= 0x20 && *p != 0x7f && *p != ',') {
        p++;
    }

    if (name->len == 0 || name->len > NGX_STRATUM_RBAC_MAX_NAME || p != end) {
        if (path) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "roles file \"%V\": invalid role name \"%V\"",
                               path, name);

        } else {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid role name \"%V\"", name);
        }

        return NULL;
    }

    role = srmcf->roles.elts;

    for (i = 0; i < srmcf->roles.nelts; i++) {
        if (role[i].name.len != name->len) {
            continue;
        }

        /* one hash entry per name whatever its case, see find_role() */

        if (ngx_memcmp(role[i].name.data, name->data, name->len) != 0
            && ngx_strncasecmp(role[i].name.data, name->data, name->len)
               == 0)
        {
            if (path) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "roles file \"%V\": roles \"%V\" and "
                                   "\"%V\" differ only in case", path,
                                   &role[i].name, name);

            } else {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "roles \"%V\" and \"%V\" differ only in "
                                   "case", &role[i].name, name);
            }

            return NULL;
        }

        if (ngx_memcmp(role[i].name.data, name->data, name->len) == 0) {
            if (path) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "roles file \"%V\": duplicate role "
                                   "\"%V\"", path, name);

            } else {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "duplicate role \"%V\"", name);
            }

            return NULL;
        }
    }

    role = ngx_array_push(&srmcf->roles);
    if (role == NULL) {
        return NULL;
    }

    role->name.len = name->len;
    role->name.data = ngx_pstrdup(cf->pool, name);
    if (role->name.data == NULL) {
        return NULL;
    }

    if (ngx_array_init(&role->patterns, cf->pool, n ? n : 1,
                       sizeof(ngx_stratum_rbac_pattern_t))
        != NGX_OK)
    {
        return NULL;
    }

    return role;
}


/* a pattern of the table, copied and split once here */

static ngx_int_t
ngx_stratum_rbac_add_pattern(ngx_conf_t *cf, ngx_stratum_rbac_role_t *role,
    ngx_str_t *text, ngx_str_t *path)
{
    int                          n;
    ngx_str_t                    copy;
    ngx_stratum_rbac_seg_t       segs[NGX_STRATUM_RBAC_MAX_SEGMENTS];
    ngx_stratum_rbac_pattern_t  *pat;

    copy.len = text->len;
    copy.data = ngx_pnalloc(cf->pool, text->len);
    if (copy.data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(copy.data, text->data, text->len);

    n = ngx_stratum_rbac_split(copy.data, copy.len, 1, segs);

    if (n <= 0) {
        if (path) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "roles file \"%V\": role \"%V\": invalid "
                               "permission pattern \"%V\": %s",
                               path, &role->name, text,
                               ngx_stratum_rbac_strerror(n));

        } else {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "role \"%V\": invalid permission pattern "
                               "\"%V\": %s", &role->name, text,
                               ngx_stratum_rbac_strerror(n));
        }

        return NGX_ERROR;
    }

    pat = ngx_array_push(&role->patterns);
    if (pat == NULL) {
        return NGX_ERROR;
    }

    pat->text = copy;
    pat->nsegs = n;

    pat->segs = ngx_palloc(cf->pool, n * sizeof(ngx_stratum_rbac_seg_t));
    if (pat->segs == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(pat->segs, segs, n * sizeof(ngx_stratum_rbac_seg_t));

    return NGX_OK;
}


/*
 * stratum_rbac_require PERM ... (all of them), stratum_rbac_require_any
 * PERM ... (one of them); each line is added to the level's requirements,
 * "off" clears the inherited ones
 */

static char *
ngx_stratum_rbac_require(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_stratum_rbac_loc_conf_t *srlcf = conf;

    int                                n;
    ngx_str_t                         *value;
    ngx_uint_t                         i;
    ngx_stratum_rbac_seg_t             segs[NGX_STRATUM_RBAC_MAX_SEGMENTS];
    ngx_stratum_rbac_require_t        *req;
    ngx_http_compile_complex_value_t   ccv;

    value = cf->args->elts;

    if (cf->args->nelts == 2
        && ngx_strcasecmp(value[1].data, (u_char *) "off") == 0)
    {
        if (srlcf->require == NULL) {
            return "is duplicate";
        }

        if (srlcf->require != NGX_CONF_UNSET_PTR) {
            goto conflict;
        }

        srlcf->require = NULL;
        return NGX_CONF_OK;
    }

    if (srlcf->require == NULL) {
        goto conflict;
    }

    /* "a:b off" would ask for a permission named "off" */

    for (i = 1; i < cf->args->nelts; i++) {
        if (ngx_strcasecmp(value[i].data, (u_char *) "off") == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"off\" in \"%V\" clears the inherited "
                               "requirements and takes no permission with it",
                               &cmd->name);
            return NGX_CONF_ERROR;
        }
    }

    if (srlcf->require == NGX_CONF_UNSET_PTR) {
        srlcf->require = ngx_array_create(cf->pool, cf->args->nelts,
                                          sizeof(ngx_stratum_rbac_require_t));
        if (srlcf->require == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    for (i = 1; i < cf->args->nelts; i++) {
        req = ngx_array_push(srlcf->require);
        if (req == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));

        ccv.cf = cf;
        ccv.value = &value[i];
        ccv.complex_value = &req->value;

        if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
            return NGX_CONF_ERROR;
        }

        /* a value with variables is checked on each request instead */

        if (req->value.lengths == NULL) {
            n = ngx_stratum_rbac_split(value[i].data, value[i].len, 0, segs);

            if (n <= 0) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid permission \"%V\" in \"%V\": %s",
                                   &value[i], &cmd->name,
                                   ngx_stratum_rbac_strerror(n));
                return NGX_CONF_ERROR;
            }
        }

        /* "require" makes a group of each entry, "require_any" of all */

        req->group = srlcf->groups;

        if (cmd->offset != NGX_STRATUM_RBAC_ANY) {
            srlcf->groups++;
        }
    }

    if (cmd->offset == NGX_STRATUM_RBAC_ANY) {
        srlcf->groups++;
    }

    ngx_stratum_rbac_where(cf, srlcf, cmd);

    return NGX_CONF_OK;

conflict:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "\"off\" and permissions in \"stratum_rbac_require\" "
                       "or \"stratum_rbac_require_any\" at the same level");

    return NGX_CONF_ERROR;
}


static char *
ngx_stratum_rbac_tenant(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_stratum_rbac_loc_conf_t *srlcf = conf;

    ngx_str_t                         *value;
    ngx_http_compile_complex_value_t   ccv;

    if (srlcf->tenant != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        srlcf->tenant = NULL;
        return NGX_CONF_OK;
    }

    if (value[1].len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "empty value in \"%V\"", &cmd->name);
        return NGX_CONF_ERROR;
    }

    srlcf->tenant = ngx_palloc(cf->pool, sizeof(ngx_http_complex_value_t));
    if (srlcf->tenant == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));

    ccv.cf = cf;
    ccv.value = &value[1];
    ccv.complex_value = srlcf->tenant;

    if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    ngx_stratum_rbac_where(cf, srlcf, cmd);

    return NGX_CONF_OK;
}


/* remembers the first directive of a level that needs authentication */

static void
ngx_stratum_rbac_where(ngx_conf_t *cf, ngx_stratum_rbac_loc_conf_t *srlcf,
    ngx_command_t *cmd)
{
    if (srlcf->file) {
        return;
    }

    srlcf->directive = cmd->name;
    srlcf->file = cf->conf_file->file.name.data;
    srlcf->line = cf->conf_file->line;
}


static ngx_int_t
ngx_stratum_rbac_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_ACCESS_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_stratum_rbac_handler;

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_PRECONTENT_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_stratum_rbac_precontent_handler;

    return NGX_OK;
}


static ngx_int_t
ngx_stratum_rbac_precontent_handler(ngx_http_request_t *r)
{
    ngx_int_t                rc;
    ngx_stratum_rbac_ctx_t  *ctx, decision;
    ngx_stratum_srv_conf_t  *sscf;

    sscf = ngx_http_get_module_srv_conf(r, ngx_stratum_rbac_module);

    if (r == r->main) {
        /* the access phase has decided; only where the URI leads is left */
        return ngx_stratum_check_internal(r, sscf, ngx_stratum_rbac_handler);
    }

    /*
     * the main request keeps its own decision for its variables, the log
     * and the audit record; a subrequest's refusal has answered already
     */

    ctx = ngx_stratum_rbac_get_ctx(r, 0);

    if (ctx) {
        decision = *ctx;

    } else {
        ngx_memzero(&decision, sizeof(ngx_stratum_rbac_ctx_t));
    }

    rc = ngx_stratum_check_internal(r, sscf, ngx_stratum_rbac_handler);

    /* no decision of its own: "off", whatever the subrequests decided */

    ctx = ngx_stratum_rbac_get_ctx(r, 0);

    if (ctx) {
        decision.own = ctx->own;
        *ctx = decision;
    }

    return rc;
}
