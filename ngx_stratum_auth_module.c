
/*
 * Copyright (C) The Stratum authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <jansson.h>

#include "ngx_stratum.h"
#include "ngx_stratum_jwt.h"


#define NGX_STRATUM_AUTH_MODE_OFF       0
#define NGX_STRATUM_AUTH_MODE_ON        1
#define NGX_STRATUM_AUTH_MODE_OPTIONAL  2

/* NumericDate values are clamped to this, so leeway sums cannot overflow */
#define NGX_STRATUM_AUTH_TIME_MAX       ((int64_t) 1 << 48)

#define NGX_STRATUM_AUTH_CACHE_HIT      1
#define NGX_STRATUM_AUTH_CACHE_MISS     2

#define NGX_STRATUM_AUTH_MEMO_LEN       256
#define NGX_STRATUM_AUTH_MEMO_KEYS      4


typedef struct {
    /* must be first: other modules read it, see ngx_stratum.h */
    ngx_stratum_auth_api_t      api;

    /* for cache keys, fetched once per configuration */
    EVP_MD                     *sha256;
} ngx_stratum_auth_main_conf_t;


/*
 * the last JOSE header a location accepted, kept per worker: the tokens
 * of one issuer share it, so it is parsed and checked once, not per token
 */

typedef struct {
    size_t                      len;
    ngx_uint_t                  alg;
    ngx_uint_t                  nkeys;
    ngx_stratum_jwt_key_t      *keys[NGX_STRATUM_AUTH_MEMO_KEYS];
    u_char                      header[NGX_STRATUM_AUTH_MEMO_LEN];
} ngx_stratum_auth_memo_t;


typedef struct {
    ngx_uint_t                  mode;
    ngx_array_t                *keys;          /* of ngx_stratum_jwt_key_t * */
    ngx_uint_t                  algs;
    ngx_str_t                   issuer;
    ngx_str_t                   audience;
    time_t                      leeway;
    time_t                      max_lifetime;
    ngx_http_complex_value_t   *token;
    size_t                      max_token_size;
    ngx_flag_t                  mfa;
    ngx_array_t                *mfa_roles;     /* of ngx_str_t */
    ngx_array_t                *mfa_methods;   /* of ngx_str_t */
    ngx_shm_zone_t             *cache;
    ngx_stratum_auth_memo_t    *memo;

    /* where "stratum_auth" was set, for errors found while merging */
    u_char                     *file;
    ngx_uint_t                  line;

    /* where "stratum_auth_cache" was set */
    u_char                     *cache_file;
    ngx_uint_t                  cache_line;

    /* what a cached verification is bound to */
    u_char                      policy[NGX_STRATUM_JWT_FP_LEN];
} ngx_stratum_auth_loc_conf_t;


typedef struct {
    ngx_rbtree_t                rbtree;
    ngx_rbtree_node_t           sentinel;
    ngx_queue_t                 queue;
} ngx_stratum_auth_cache_sh_t;


typedef struct {
    ngx_stratum_auth_cache_sh_t  *sh;
    ngx_slab_pool_t              *shpool;
} ngx_stratum_auth_cache_t;


/* the time claims, as checked on every request, cached or not */

typedef struct {
    int64_t                     exp;
    int64_t                     nbf;
    int64_t                     iat;
    unsigned                    has_nbf:1;
    unsigned                    has_iat:1;
} ngx_stratum_auth_times_t;


typedef struct {
    ngx_rbtree_node_t           node;
    ngx_queue_t                 queue;
    u_char                      digest[NGX_STRATUM_JWT_FP_LEN];
    ngx_stratum_auth_times_t    times;
    u_short                     len;
    u_char                      data[1];
} ngx_stratum_auth_cache_node_t;


typedef struct {
    ngx_stratum_claims_t        claims;
    ngx_stratum_auth_loc_conf_t *decided;      /* conf of the last decision */
    ngx_str_t                   token;
    json_t                     *payload;       /* parsed lazily on a hit */
    ngx_uint_t                  cache_status;
    const char                 *bad_claim;     /* for the log line */
    unsigned                    refusal_logged:1;
} ngx_stratum_auth_ctx_t;


static ngx_int_t ngx_stratum_auth_handler(ngx_http_request_t *r);
static ngx_int_t ngx_stratum_auth_precontent_handler(
    ngx_http_request_t *r);
static ngx_stratum_auth_result_e ngx_stratum_auth_check(ngx_http_request_t *r,
    ngx_stratum_auth_loc_conf_t *sacf, ngx_stratum_auth_ctx_t *ctx);
static ngx_int_t ngx_stratum_auth_get_token(ngx_http_request_t *r,
    ngx_stratum_auth_loc_conf_t *sacf, ngx_str_t *token);
static ngx_stratum_auth_result_e ngx_stratum_auth_verify(
    ngx_http_request_t *r, ngx_stratum_auth_loc_conf_t *sacf,
    ngx_stratum_auth_ctx_t *ctx, ngx_stratum_auth_times_t *times);
static ngx_stratum_auth_result_e ngx_stratum_auth_check_header(
    ngx_stratum_auth_loc_conf_t *sacf, json_t *header,
    ngx_stratum_jwt_key_t ***keys, ngx_uint_t *nkeys, ngx_uint_t *alg,
    ngx_pool_t *pool);
static ngx_stratum_auth_result_e ngx_stratum_auth_check_claims(
    ngx_http_request_t *r, ngx_stratum_auth_loc_conf_t *sacf,
    ngx_stratum_auth_ctx_t *ctx, ngx_stratum_auth_times_t *times);
static ngx_stratum_auth_result_e ngx_stratum_auth_bad_claim(
    ngx_stratum_auth_ctx_t *ctx, const char *name);
static ngx_stratum_auth_result_e ngx_stratum_auth_check_times(
    ngx_stratum_auth_loc_conf_t *sacf, ngx_stratum_auth_times_t *times);
static ngx_int_t ngx_stratum_auth_numeric_date(json_t *v, int64_t *out);
static ngx_int_t ngx_stratum_auth_claim_string(ngx_pool_t *pool, json_t *v,
    ngx_str_t *out);
static ngx_int_t ngx_stratum_auth_claim_list(ngx_pool_t *pool, json_t *v,
    ngx_array_t *out);
static ngx_flag_t ngx_stratum_auth_mfa_required(
    ngx_stratum_auth_loc_conf_t *sacf, ngx_stratum_claims_t *claims);
static ngx_int_t ngx_stratum_auth_refuse(ngx_http_request_t *r,
    ngx_stratum_auth_result_e result, ngx_flag_t final);
static ngx_int_t ngx_stratum_auth_refuse_request(ngx_http_request_t *r);

static ngx_stratum_auth_ctx_t *ngx_stratum_auth_get_ctx(
    ngx_http_request_t *r, ngx_flag_t create);
static void ngx_stratum_auth_cleanup_ctx(void *data);
static ngx_stratum_claims_t *ngx_stratum_auth_claims(ngx_http_request_t *r);
static ngx_flag_t ngx_stratum_auth_enabled(ngx_conf_t *cf);
static json_t *ngx_stratum_auth_payload(ngx_http_request_t *r,
    ngx_stratum_auth_ctx_t *ctx);

static ngx_int_t ngx_stratum_auth_cache_key(ngx_http_request_t *r,
    ngx_stratum_auth_loc_conf_t *sacf, ngx_str_t *token, u_char *digest);
static ngx_int_t ngx_stratum_auth_cache_lookup(ngx_http_request_t *r,
    ngx_stratum_auth_loc_conf_t *sacf, u_char *digest,
    ngx_stratum_claims_t *claims, ngx_stratum_auth_times_t *times);
static void ngx_stratum_auth_cache_store(ngx_http_request_t *r,
    ngx_stratum_auth_loc_conf_t *sacf, u_char *digest,
    ngx_stratum_claims_t *claims, ngx_stratum_auth_times_t *times);
static ngx_rbtree_node_t *ngx_stratum_auth_cache_find(
    ngx_stratum_auth_cache_t *cache, u_char *digest);
static void ngx_stratum_auth_cache_expire(ngx_stratum_auth_cache_t *cache,
    time_t now, ngx_uint_t n);
static void ngx_stratum_auth_cache_rbtree_insert_value(
    ngx_rbtree_node_t *temp, ngx_rbtree_node_t *node,
    ngx_rbtree_node_t *sentinel);
static ngx_int_t ngx_stratum_auth_cache_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);

static ngx_int_t ngx_stratum_auth_variable_result(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_stratum_auth_variable_str(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_stratum_auth_variable_list(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_stratum_auth_variable_mfa(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_stratum_auth_variable_cache(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_stratum_auth_variable_claim(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_stratum_auth_set_escaped(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, ngx_str_t *value);
static ngx_int_t ngx_stratum_auth_set_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, ngx_str_t *value);

static ngx_int_t ngx_stratum_auth_add_variables(ngx_conf_t *cf);
static void *ngx_stratum_auth_create_main_conf(ngx_conf_t *cf);
static void ngx_stratum_auth_cleanup_main_conf(void *data);
static void *ngx_stratum_auth_create_loc_conf(ngx_conf_t *cf);
static char *ngx_stratum_auth_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static ngx_int_t ngx_stratum_auth_policy(ngx_stratum_auth_loc_conf_t *sacf);
static char *ngx_stratum_auth(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_stratum_auth_key_file(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_stratum_auth_jwks_file(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_stratum_auth_algorithms(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_stratum_auth_max_lifetime(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_stratum_auth_cache_zone(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_stratum_auth_cache(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_stratum_auth_words_slot(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_stratum_auth_token_slot(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_stratum_auth_nonempty(ngx_conf_t *cf, void *post,
    void *data);
static ngx_int_t ngx_stratum_auth_init(ngx_conf_t *cf);


static ngx_conf_post_handler_pt  ngx_stratum_auth_nonempty_p =
    ngx_stratum_auth_nonempty;

/* clock skew beyond an hour is a broken clock, not skew */
static ngx_conf_num_bounds_t  ngx_stratum_auth_leeway_bounds = {
    ngx_conf_check_num_bounds, 0, 3600
};

static ngx_conf_num_bounds_t  ngx_stratum_auth_token_size_bounds = {
    ngx_conf_check_num_bounds, 16, 1024 * 1024
};


static ngx_command_t  ngx_stratum_auth_commands[] = {

    { ngx_string("stratum_auth"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_stratum_auth,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("stratum_auth_key_file"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE12,
      ngx_stratum_auth_key_file,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("stratum_auth_jwks_file"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_stratum_auth_jwks_file,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("stratum_auth_algorithms"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_stratum_auth_algorithms,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("stratum_auth_issuer"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_stratum_auth_loc_conf_t, issuer),
      &ngx_stratum_auth_nonempty_p },

    { ngx_string("stratum_auth_audience"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_stratum_auth_loc_conf_t, audience),
      &ngx_stratum_auth_nonempty_p },

    { ngx_string("stratum_auth_leeway"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_stratum_auth_loc_conf_t, leeway),
      &ngx_stratum_auth_leeway_bounds },

    { ngx_string("stratum_auth_max_lifetime"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_stratum_auth_max_lifetime,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_stratum_auth_loc_conf_t, max_lifetime),
      NULL },

    { ngx_string("stratum_auth_token"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_stratum_auth_token_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_stratum_auth_loc_conf_t, token),
      NULL },

    { ngx_string("stratum_auth_max_token_size"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_stratum_auth_loc_conf_t, max_token_size),
      &ngx_stratum_auth_token_size_bounds },

    { ngx_string("stratum_auth_mfa"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_stratum_auth_loc_conf_t, mfa),
      NULL },

    { ngx_string("stratum_auth_mfa_roles"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_stratum_auth_words_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_stratum_auth_loc_conf_t, mfa_roles),
      NULL },

    { ngx_string("stratum_auth_mfa_methods"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_stratum_auth_words_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_stratum_auth_loc_conf_t, mfa_methods),
      NULL },

    { ngx_string("stratum_auth_cache_zone"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_stratum_auth_cache_zone,
      0,
      0,
      NULL },

    { ngx_string("stratum_auth_cache"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_stratum_auth_cache,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_stratum_auth_module_ctx = {
    ngx_stratum_auth_add_variables,        /* preconfiguration */
    ngx_stratum_auth_init,                 /* postconfiguration */

    ngx_stratum_auth_create_main_conf,     /* create main configuration */
    NULL,                                  /* init main configuration */

    ngx_stratum_create_srv_conf,           /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_stratum_auth_create_loc_conf,      /* create location configuration */
    ngx_stratum_auth_merge_loc_conf        /* merge location configuration */
};


ngx_module_t  ngx_stratum_auth_module = {
    NGX_MODULE_V1,
    &ngx_stratum_auth_module_ctx,          /* module context */
    ngx_stratum_auth_commands,             /* module directives */
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


/* indexed by ngx_stratum_auth_result_e */

static ngx_str_t  ngx_stratum_auth_words[] = {
    ngx_string("off"),
    ngx_string("ok"),
    ngx_string("missing"),
    ngx_string("malformed"),
    ngx_string("too_large"),
    ngx_string("bad_header"),
    ngx_string("bad_algorithm"),
    ngx_string("unknown_kid"),
    ngx_string("bad_signature"),
    ngx_string("expired"),
    ngx_string("not_yet_valid"),
    ngx_string("bad_issuer"),
    ngx_string("bad_audience"),
    ngx_string("lifetime_exceeded"),
    ngx_string("bad_claims"),
    ngx_string("mfa_required")
};


static ngx_str_t  ngx_stratum_auth_details[] = {
    ngx_null_string,
    ngx_null_string,
    ngx_string("token missing"),
    ngx_string("token malformed"),
    ngx_string("token too large"),
    ngx_string("token header invalid"),
    ngx_string("algorithm not allowed"),
    ngx_string("unknown key"),
    ngx_string("bad signature"),
    ngx_string("token expired"),
    ngx_string("token not yet valid"),
    ngx_string("issuer mismatch"),
    ngx_string("audience mismatch"),
    ngx_string("token lifetime too long"),
    ngx_string("invalid claims"),
    ngx_string("a second factor is required")
};


static ngx_conf_enum_t  ngx_stratum_auth_modes[] = {
    { ngx_string("off"), NGX_STRATUM_AUTH_MODE_OFF },
    { ngx_string("on"), NGX_STRATUM_AUTH_MODE_ON },
    { ngx_string("optional"), NGX_STRATUM_AUTH_MODE_OPTIONAL },
    { ngx_null_string, 0 }
};


/* RFC 8176 methods that are a factor beyond a password */

static ngx_str_t  ngx_stratum_auth_default_methods[] = {
    ngx_string("mfa"), ngx_string("otp"), ngx_string("hwk"),
    ngx_string("swk"), ngx_string("sms"), ngx_string("tel"),
    ngx_string("sc"), ngx_string("fpt"), ngx_string("face"),
    ngx_string("iris"), ngx_string("retina"), ngx_string("vbm")
};


static ngx_http_variable_t  ngx_stratum_auth_vars[] = {

    { ngx_string("stratum_auth_result"), NULL,
      ngx_stratum_auth_variable_result, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("stratum_auth_sub"), NULL,
      ngx_stratum_auth_variable_str,
      offsetof(ngx_stratum_claims_t, sub),
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("stratum_auth_tenant_id"), NULL,
      ngx_stratum_auth_variable_str,
      offsetof(ngx_stratum_claims_t, tenant_id),
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("stratum_auth_kid"), NULL,
      ngx_stratum_auth_variable_str,
      offsetof(ngx_stratum_claims_t, kid),
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("stratum_auth_alg"), NULL,
      ngx_stratum_auth_variable_str,
      offsetof(ngx_stratum_claims_t, alg),
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("stratum_auth_roles"), NULL,
      ngx_stratum_auth_variable_list,
      offsetof(ngx_stratum_claims_t, roles),
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("stratum_auth_permissions"), NULL,
      ngx_stratum_auth_variable_list,
      offsetof(ngx_stratum_claims_t, permissions),
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("stratum_auth_mfa"), NULL,
      ngx_stratum_auth_variable_mfa, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("stratum_auth_cache_status"), NULL,
      ngx_stratum_auth_variable_cache, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("stratum_auth_claim_"), NULL,
      ngx_stratum_auth_variable_claim, 0,
      NGX_HTTP_VAR_NOCACHEABLE|NGX_HTTP_VAR_PREFIX, 0 },

      ngx_http_null_variable
};


static ngx_str_t  ngx_stratum_auth_bearer = ngx_string("Bearer");


static ngx_int_t
ngx_stratum_auth_handler(ngx_http_request_t *r)
{
    ngx_stratum_auth_ctx_t       *ctx;
    ngx_stratum_auth_loc_conf_t  *sacf;

    sacf = ngx_http_get_module_loc_conf(r, ngx_stratum_auth_module);

    if (sacf->mode == NGX_STRATUM_AUTH_MODE_OFF) {
        return NGX_DECLINED;
    }

    ctx = ngx_stratum_auth_get_ctx(r, 1);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* an internal redirect to a location of the same policy decides once */

    if (ctx->decided != sacf) {
        ctx->claims.result = ngx_stratum_auth_check(r, sacf, ctx);
        ctx->decided = sacf;
    }

    switch (ctx->claims.result) {

    case NGX_STRATUM_AUTH_OK:
        return NGX_OK;

    case NGX_STRATUM_AUTH_MISSING:
        if (sacf->mode == NGX_STRATUM_AUTH_MODE_OPTIONAL) {
            return NGX_OK;
        }
        break;

    case NGX_STRATUM_AUTH_OFF:
        /* an internal failure, already logged */
        return NGX_HTTP_INTERNAL_SERVER_ERROR;

    default:
        break;
    }

    return ngx_stratum_auth_refuse(r, ctx->claims.result, 0);
}


static ngx_stratum_auth_result_e
ngx_stratum_auth_check(ngx_http_request_t *r,
    ngx_stratum_auth_loc_conf_t *sacf, ngx_stratum_auth_ctx_t *ctx)
{
    ngx_int_t                   rc;
    ngx_stratum_claims_t       *claims;
    ngx_stratum_auth_times_t    times;
    ngx_stratum_auth_result_e   result;
    u_char                      digest[NGX_STRATUM_JWT_FP_LEN];

    claims = &ctx->claims;

    ngx_memzero(claims, sizeof(ngx_stratum_claims_t));
    ngx_memzero(&times, sizeof(ngx_stratum_auth_times_t));
    ctx->cache_status = 0;
    ctx->refusal_logged = 0;
    ctx->bad_claim = NULL;

    if (ctx->payload) {
        json_decref(ctx->payload);
        ctx->payload = NULL;
    }

    rc = ngx_stratum_auth_get_token(r, sacf, &ctx->token);

    if (rc == NGX_ERROR) {
        return NGX_STRATUM_AUTH_OFF;
    }

    if (rc == NGX_DECLINED) {
        return NGX_STRATUM_AUTH_MISSING;
    }

    if (rc == NGX_ABORT) {
        return NGX_STRATUM_AUTH_MALFORMED;
    }

    if (ctx->token.len > sacf->max_token_size) {
        return NGX_STRATUM_AUTH_TOO_LARGE;
    }

    if (sacf->cache) {
        if (ngx_stratum_auth_cache_key(r, sacf, &ctx->token, digest)
            != NGX_OK)
        {
            return NGX_STRATUM_AUTH_OFF;
        }

        rc = ngx_stratum_auth_cache_lookup(r, sacf, digest, claims, &times);

        if (rc == NGX_ERROR) {
            return NGX_STRATUM_AUTH_OFF;
        }

        ctx->cache_status = (rc == NGX_OK) ? NGX_STRATUM_AUTH_CACHE_HIT
                                           : NGX_STRATUM_AUTH_CACHE_MISS;
    }

    if (ctx->cache_status != NGX_STRATUM_AUTH_CACHE_HIT) {

        result = ngx_stratum_auth_verify(r, sacf, ctx, &times);
        if (result != NGX_STRATUM_AUTH_OK) {
            return result;
        }

        if (sacf->cache) {
            ngx_stratum_auth_cache_store(r, sacf, digest, claims, &times);
        }
    }

    result = ngx_stratum_auth_check_times(sacf, &times);
    if (result != NGX_STRATUM_AUTH_OK) {
        return result;
    }

    if (!claims->mfa && ngx_stratum_auth_mfa_required(sacf, claims)) {
        return NGX_STRATUM_AUTH_MFA_REQUIRED;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "stratum auth: token accepted, kid \"%V\", cache %ui",
                   &claims->kid, ctx->cache_status);

    return NGX_STRATUM_AUTH_OK;
}


/* NGX_DECLINED: no token was sent; NGX_ABORT: one that is no Bearer token */

static ngx_int_t
ngx_stratum_auth_get_token(ngx_http_request_t *r,
    ngx_stratum_auth_loc_conf_t *sacf, ngx_str_t *token)
{
    u_char           *p, *end;
    ngx_table_elt_t  *h;

    if (sacf->token) {
        if (ngx_http_complex_value(r, sacf->token, token) != NGX_OK) {
            return NGX_ERROR;
        }

        return token->len ? NGX_OK : NGX_DECLINED;
    }

    h = r->headers_in.authorization;
    if (h == NULL) {
        return NGX_DECLINED;
    }

    /*
     * RFC 6750, 2.1: "Bearer" 1*SP token, the scheme case-insensitive;
     * another scheme is no token, but anything else that starts with
     * "Bearer" is a token present and malformed, never one ignored
     */

    p = h->value.data;
    end = p + h->value.len;

    if (h->value.len < ngx_stratum_auth_bearer.len
        || ngx_strncasecmp(p, ngx_stratum_auth_bearer.data,
                           ngx_stratum_auth_bearer.len) != 0)
    {
        return NGX_DECLINED;
    }

    p += ngx_stratum_auth_bearer.len;

    if (p == end) {
        return NGX_DECLINED;
    }

    if (*p != ' ' && *p != '\t') {
        return NGX_ABORT;
    }

    while (p < end && (*p == ' ' || *p == '\t')) {
        p++;
    }

    while (end > p && (end[-1] == ' ' || end[-1] == '\t')) {
        end--;
    }

    token->data = p;
    token->len = end - p;

    return token->len ? NGX_OK : NGX_DECLINED;
}


static ngx_stratum_auth_result_e
ngx_stratum_auth_verify(ngx_http_request_t *r,
    ngx_stratum_auth_loc_conf_t *sacf, ngx_stratum_auth_ctx_t *ctx,
    ngx_stratum_auth_times_t *times)
{
    json_t                      *header;
    ngx_int_t                    rc;
    ngx_uint_t                   i, nkeys, alg;
    ngx_stratum_jwt_t            jwt;
    ngx_stratum_jwt_key_t      **keys;
    ngx_stratum_auth_memo_t     *memo;
    ngx_stratum_auth_result_e    result;

    /* set on every path that uses them; said so for older compilers */

    keys = NULL;
    nkeys = 0;
    alg = 0;

    rc = ngx_stratum_jwt_split(r->pool, ctx->token.data, ctx->token.len,
                               &jwt);
    if (rc == NGX_ERROR) {
        return NGX_STRATUM_AUTH_OFF;
    }

    if (rc == NGX_DECLINED) {
        return NGX_STRATUM_AUTH_MALFORMED;
    }

    memo = sacf->memo;

    if (memo->len == jwt.encoded_header.len
        && ngx_memcmp(memo->header, jwt.encoded_header.data, memo->len) == 0)
    {
        keys = memo->keys;
        nkeys = memo->nkeys;
        alg = memo->alg;

    } else {
        header = json_loadb((char *) jwt.header.data, jwt.header.len,
                            JSON_REJECT_DUPLICATES, NULL);
        if (header == NULL) {
            return NGX_STRATUM_AUTH_MALFORMED;
        }

        result = ngx_stratum_auth_check_header(sacf, header, &keys, &nkeys,
                                               &alg, r->pool);
        json_decref(header);

        if (result != NGX_STRATUM_AUTH_OK) {
            return result;
        }

        if (jwt.encoded_header.len <= NGX_STRATUM_AUTH_MEMO_LEN
            && nkeys <= NGX_STRATUM_AUTH_MEMO_KEYS)
        {
            ngx_memcpy(memo->header, jwt.encoded_header.data,
                       jwt.encoded_header.len);
            ngx_memcpy(memo->keys, keys, nkeys * sizeof(void *));
            memo->nkeys = nkeys;
            memo->alg = alg;
            memo->len = jwt.encoded_header.len;
        }
    }

    /* the payload is parsed before the signature is checked */

    ctx->payload = json_loadb((char *) jwt.payload.data, jwt.payload.len,
                              JSON_REJECT_DUPLICATES, NULL);

    if (ctx->payload == NULL || !json_is_object(ctx->payload)) {
        return NGX_STRATUM_AUTH_MALFORMED;
    }

    result = NGX_STRATUM_AUTH_BAD_SIGNATURE;

    for (i = 0; i < nkeys; i++) {
        rc = ngx_stratum_jwt_verify(keys[i], alg, &jwt, ngx_cycle->log);

        if (rc == NGX_ERROR) {
            return NGX_STRATUM_AUTH_OFF;
        }

        if (rc == NGX_OK) {
            ctx->claims.kid = keys[i]->kid;
            result = NGX_STRATUM_AUTH_OK;
            break;
        }
    }

    if (result != NGX_STRATUM_AUTH_OK) {
        return result;
    }

    ctx->claims.alg = *ngx_stratum_jwt_alg_name(alg);

    return ngx_stratum_auth_check_claims(r, sacf, ctx, times);
}


/*
 * checks the JOSE header and picks the keys that may verify the token:
 * the token names at most which key, never how to verify it
 */

static ngx_stratum_auth_result_e
ngx_stratum_auth_check_header(ngx_stratum_auth_loc_conf_t *sacf,
    json_t *header, ngx_stratum_jwt_key_t ***keys, ngx_uint_t *nkeys,
    ngx_uint_t *alg, ngx_pool_t *pool)
{
    json_t                  *v, *kid;
    ngx_int_t                a;
    ngx_uint_t               i, n, known;
    const char              *typ;
    ngx_stratum_jwt_key_t  **all, **found, *key;

    if (!json_is_object(header)) {
        return NGX_STRATUM_AUTH_MALFORMED;
    }

    /* RFC 7515, 4.1.11: no extension is understood here */

    if (json_object_get(header, "crit") != NULL) {
        return NGX_STRATUM_AUTH_BAD_HEADER;
    }

    v = json_object_get(header, "typ");
    if (v) {
        if (!json_is_string(v)) {
            return NGX_STRATUM_AUTH_BAD_HEADER;
        }

        typ = json_string_value(v);

        if (ngx_strcasecmp((u_char *) typ, (u_char *) "JWT") != 0
            && ngx_strcasecmp((u_char *) typ, (u_char *) "at+jwt") != 0
            && ngx_strcasecmp((u_char *) typ,
                              (u_char *) "application/at+jwt") != 0)
        {
            return NGX_STRATUM_AUTH_BAD_HEADER;
        }
    }

    v = json_object_get(header, "alg");
    if (!json_is_string(v)) {
        return NGX_STRATUM_AUTH_BAD_HEADER;
    }

    a = ngx_stratum_jwt_alg_by_name((u_char *) json_string_value(v),
                                    json_string_length(v));

    if (a == NGX_ERROR || !(sacf->algs & ((ngx_uint_t) 1 << a))) {
        return NGX_STRATUM_AUTH_BAD_ALGORITHM;
    }

    kid = json_object_get(header, "kid");
    if (kid && (!json_is_string(kid) || json_string_length(kid) == 0)) {
        return NGX_STRATUM_AUTH_BAD_HEADER;
    }

    all = sacf->keys->elts;
    n = 0;
    known = 0;

    found = ngx_palloc(pool, sacf->keys->nelts * sizeof(void *));
    if (found == NULL) {
        return NGX_STRATUM_AUTH_OFF;
    }

    for (i = 0; i < sacf->keys->nelts; i++) {
        key = all[i];

        if (kid) {
            if (key->kid.len != json_string_length(kid)
                || ngx_memcmp(key->kid.data, json_string_value(kid),
                              key->kid.len) != 0)
            {
                continue;
            }

        } else if (key->kid.len) {
            continue;
        }

        known++;

        if (key->algs & ((ngx_uint_t) 1 << a)) {
            found[n++] = key;
        }
    }

    if (known == 0) {
        return NGX_STRATUM_AUTH_UNKNOWN_KID;
    }

    if (n == 0) {
        return NGX_STRATUM_AUTH_BAD_ALGORITHM;
    }

    *keys = found;
    *nkeys = n;
    *alg = a;

    return NGX_STRATUM_AUTH_OK;
}


static ngx_stratum_auth_result_e
ngx_stratum_auth_check_claims(ngx_http_request_t *r,
    ngx_stratum_auth_loc_conf_t *sacf, ngx_stratum_auth_ctx_t *ctx,
    ngx_stratum_auth_times_t *times)
{
    size_t                 i;
    json_t                *v, *m, *claims;
    ngx_str_t             *method;
    ngx_uint_t             k, n;
    ngx_stratum_claims_t  *out;

    claims = ctx->payload;
    out = &ctx->claims;

    /* RFC 7519 NumericDate: JSON numbers only, never coerced */

    if (ngx_stratum_auth_numeric_date(json_object_get(claims, "exp"),
                                      &times->exp)
        != NGX_OK)
    {
        return ngx_stratum_auth_bad_claim(ctx, "exp");
    }

    v = json_object_get(claims, "nbf");
    times->has_nbf = (v != NULL);

    if (v && ngx_stratum_auth_numeric_date(v, &times->nbf) != NGX_OK) {
        return ngx_stratum_auth_bad_claim(ctx, "nbf");
    }

    v = json_object_get(claims, "iat");
    times->has_iat = (v != NULL);

    if (v && ngx_stratum_auth_numeric_date(v, &times->iat) != NGX_OK) {
        return ngx_stratum_auth_bad_claim(ctx, "iat");
    }

    v = json_object_get(claims, "iss");

    if (v && !json_is_string(v)) {
        return ngx_stratum_auth_bad_claim(ctx, "iss");
    }

    if (sacf->issuer.len
        && (v == NULL
            || json_string_length(v) != sacf->issuer.len
            || ngx_memcmp(json_string_value(v), sacf->issuer.data,
                          sacf->issuer.len) != 0))
    {
        return NGX_STRATUM_AUTH_BAD_ISSUER;
    }

    v = json_object_get(claims, "aud");

    if (json_is_string(v)) {
        if (sacf->audience.len
            && (json_string_length(v) != sacf->audience.len
                || ngx_memcmp(json_string_value(v), sacf->audience.data,
                              sacf->audience.len) != 0))
        {
            return NGX_STRATUM_AUTH_BAD_AUDIENCE;
        }

    } else if (json_is_array(v)) {
        k = 0;

        json_array_foreach(v, i, m) {
            if (!json_is_string(m)) {
                return ngx_stratum_auth_bad_claim(ctx, "aud");
            }

            if (json_string_length(m) == sacf->audience.len
                && ngx_memcmp(json_string_value(m), sacf->audience.data,
                              sacf->audience.len) == 0)
            {
                k = 1;
            }
        }

        if (sacf->audience.len && !k) {
            return NGX_STRATUM_AUTH_BAD_AUDIENCE;
        }

    } else if (v) {
        return ngx_stratum_auth_bad_claim(ctx, "aud");

    } else if (sacf->audience.len) {
        return NGX_STRATUM_AUTH_BAD_AUDIENCE;
    }

    if (sacf->max_lifetime
        && times->has_iat
        && times->exp - times->iat > (int64_t) sacf->max_lifetime)
    {
        return NGX_STRATUM_AUTH_LIFETIME_EXCEEDED;
    }

    if (ngx_stratum_auth_claim_string(r->pool, json_object_get(claims, "sub"),
                                      &out->sub)
        != NGX_OK)
    {
        return ngx_stratum_auth_bad_claim(ctx, "sub");
    }

    v = json_object_get(claims, "tenant_id");

    if (json_is_integer(v)) {
        out->tenant_id.data = ngx_pnalloc(r->pool, NGX_INT64_LEN);
        if (out->tenant_id.data == NULL) {
            return NGX_STRATUM_AUTH_OFF;
        }

        out->tenant_id.len = ngx_sprintf(out->tenant_id.data, "%L",
                                         (int64_t) json_integer_value(v))
                             - out->tenant_id.data;

    } else if (ngx_stratum_auth_claim_string(r->pool, v, &out->tenant_id)
               != NGX_OK)
    {
        return ngx_stratum_auth_bad_claim(ctx, "tenant_id");
    }

    out->has_tenant = (v != NULL);

    if (ngx_stratum_auth_claim_list(r->pool, json_object_get(claims, "roles"),
                                    &out->roles)
        != NGX_OK)
    {
        return ngx_stratum_auth_bad_claim(ctx, "roles");
    }

    if (ngx_stratum_auth_claim_list(r->pool,
                                    json_object_get(claims, "permissions"),
                                    &out->permissions)
        != NGX_OK)
    {
        return ngx_stratum_auth_bad_claim(ctx, "permissions");
    }

    /* a second factor: "mfa": true, or an "amr" method that is one */

    v = json_object_get(claims, "mfa");

    if (v && !json_is_boolean(v)) {
        return ngx_stratum_auth_bad_claim(ctx, "mfa");
    }

    out->mfa = json_is_true(v);

    v = json_object_get(claims, "amr");

    if (v && !json_is_array(v)) {
        return ngx_stratum_auth_bad_claim(ctx, "amr");
    }

    json_array_foreach(v, i, m) {
        if (!json_is_string(m)) {
            return ngx_stratum_auth_bad_claim(ctx, "amr");
        }

        if (sacf->mfa_methods) {
            method = sacf->mfa_methods->elts;
            n = sacf->mfa_methods->nelts;

        } else {
            method = ngx_stratum_auth_default_methods;
            n = sizeof(ngx_stratum_auth_default_methods) / sizeof(ngx_str_t);
        }

        for (k = 0; k < n; k++) {
            if (method[k].len == json_string_length(m)
                && ngx_memcmp(method[k].data, json_string_value(m),
                              method[k].len) == 0)
            {
                out->mfa = 1;
            }
        }
    }

    out->exp = (time_t) times->exp;

    return NGX_STRATUM_AUTH_OK;
}


/* names the claim in the log line: the reason, never the value */

static ngx_stratum_auth_result_e
ngx_stratum_auth_bad_claim(ngx_stratum_auth_ctx_t *ctx, const char *name)
{
    ctx->bad_claim = name;

    return NGX_STRATUM_AUTH_BAD_CLAIMS;
}


/* rechecked on every request: a cached token ages like any other */

static ngx_stratum_auth_result_e
ngx_stratum_auth_check_times(ngx_stratum_auth_loc_conf_t *sacf,
    ngx_stratum_auth_times_t *times)
{
    int64_t  now, leeway;

    now = ngx_time();
    leeway = sacf->leeway;

    /* RFC 7519, 4.1.4: valid only before exp */

    if (times->exp <= now - leeway) {
        return NGX_STRATUM_AUTH_EXPIRED;
    }

    if (times->has_nbf && times->nbf > now + leeway) {
        return NGX_STRATUM_AUTH_NOT_YET_VALID;
    }

    if (times->has_iat && times->iat > now + leeway) {
        return NGX_STRATUM_AUTH_NOT_YET_VALID;
    }

    if (sacf->max_lifetime
        && times->exp - now > (int64_t) sacf->max_lifetime + leeway)
    {
        return NGX_STRATUM_AUTH_LIFETIME_EXCEEDED;
    }

    return NGX_STRATUM_AUTH_OK;
}


static ngx_int_t
ngx_stratum_auth_numeric_date(json_t *v, int64_t *out)
{
    double   d;
    int64_t  n;

    if (json_is_integer(v)) {
        n = (int64_t) json_integer_value(v);

    } else if (json_is_real(v)) {
        d = json_real_value(v);

        /* jansson refuses NaN and infinities; clamp the rest */

        if (d >= (double) NGX_STRATUM_AUTH_TIME_MAX) {
            n = NGX_STRATUM_AUTH_TIME_MAX;

        } else if (d <= (double) -NGX_STRATUM_AUTH_TIME_MAX) {
            n = -NGX_STRATUM_AUTH_TIME_MAX;

        } else {
            n = (int64_t) d;
        }

    } else {
        return NGX_DECLINED;
    }

    if (n > NGX_STRATUM_AUTH_TIME_MAX) {
        n = NGX_STRATUM_AUTH_TIME_MAX;

    } else if (n < -NGX_STRATUM_AUTH_TIME_MAX) {
        n = -NGX_STRATUM_AUTH_TIME_MAX;
    }

    *out = n;

    return NGX_OK;
}


/*
 * a string claim that travels into headers and logs: control characters
 * and the list separator are refused; absent leaves "out" empty
 */

static ngx_int_t
ngx_stratum_auth_claim_string(ngx_pool_t *pool, json_t *v, ngx_str_t *out)
{
    u_char      *p;
    size_t       i, len;

    ngx_str_null(out);

    if (v == NULL) {
        return NGX_OK;
    }

    if (!json_is_string(v)) {
        return NGX_DECLINED;
    }

    p = (u_char *) json_string_value(v);
    len = json_string_length(v);

    for (i = 0; i < len; i++) {
        if (p[i] < 0x20 || p[i] == 0x7f || p[i] == ',') {
            return NGX_DECLINED;
        }
    }

    out->data = ngx_pnalloc(pool, len);
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(out->data, p, len);
    out->len = len;

    return NGX_OK;
}


static ngx_int_t
ngx_stratum_auth_claim_list(ngx_pool_t *pool, json_t *v, ngx_array_t *out)
{
    size_t      i;
    json_t     *m;
    ngx_str_t  *s;

    if (ngx_array_init(out, pool, v ? json_array_size(v) + 1 : 1,
                       sizeof(ngx_str_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (v == NULL) {
        return NGX_OK;
    }

    if (!json_is_array(v)) {
        return NGX_DECLINED;
    }

    json_array_foreach(v, i, m) {
        s = ngx_array_push(out);
        if (s == NULL) {
            return NGX_ERROR;
        }

        if (!json_is_string(m)
            || json_string_length(m) == 0
            || ngx_stratum_auth_claim_string(pool, m, s) != NGX_OK)
        {
            return NGX_DECLINED;
        }
    }

    return NGX_OK;
}


static ngx_flag_t
ngx_stratum_auth_mfa_required(ngx_stratum_auth_loc_conf_t *sacf,
    ngx_stratum_claims_t *claims)
{
    ngx_str_t   *role, *mfa;
    ngx_uint_t   i, k;

    if (sacf->mfa) {
        return 1;
    }

    if (sacf->mfa_roles == NULL) {
        return 0;
    }

    role = claims->roles.elts;
    mfa = sacf->mfa_roles->elts;

    for (i = 0; i < claims->roles.nelts; i++) {
        for (k = 0; k < sacf->mfa_roles->nelts; k++) {
            if (role[i].len == mfa[k].len
                && ngx_memcmp(role[i].data, mfa[k].data, mfa[k].len) == 0)
            {
                return 1;
            }
        }
    }

    return 0;
}


/*
 * 401 with an RFC 6750 challenge; the JSON body is ours unless an
 * error_page for 401 takes over, as it would for nginx's own pages
 */

static ngx_int_t
ngx_stratum_auth_refuse(ngx_http_request_t *r,
    ngx_stratum_auth_result_e result, ngx_flag_t final)
{
    u_char                    *p;
    size_t                     len;
    ngx_buf_t                 *b;
    ngx_str_t                 *detail;
    ngx_table_elt_t           *h;
    ngx_stratum_auth_ctx_t    *ctx;
    ngx_http_core_loc_conf_t  *clcf;

    detail = &ngx_stratum_auth_details[result];

    /* once a decision: rbac may refuse again what auth refused */

    ctx = ngx_stratum_auth_get_ctx(r, 0);

    if (ctx == NULL || !ctx->refusal_logged) {
        if (result == NGX_STRATUM_AUTH_BAD_CLAIMS && ctx && ctx->bad_claim) {
            ngx_stratum_log_error(NGX_LOG_INFO, r, 0,
                                  "stratum auth: token refused: %V: \"%s\"",
                                  detail, ctx->bad_claim);

        } else {
            ngx_stratum_log_error(NGX_LOG_INFO, r, 0,
                                  "stratum auth: token refused: %V", detail);
        }

        if (ctx) {
            ctx->refusal_logged = 1;
        }
    }

    /* a refusal after an internal redirect replaces the earlier challenge */

    h = r->headers_out.www_authenticate;

    if (h == NULL) {
        h = ngx_list_push(&r->headers_out.headers);
        if (h == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    if (result == NGX_STRATUM_AUTH_MISSING) {
        ngx_str_set(&h->value, "Bearer");

    } else {
        len = sizeof("Bearer error=\"insufficient_user_authentication\", "
                     "error_description=\"\"") - 1 + detail->len;

        h->value.data = ngx_pnalloc(r->pool, len);
        if (h->value.data == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        p = ngx_sprintf(h->value.data,
                        "Bearer error=\"%s\", error_description=\"%V\"",
                        result == NGX_STRATUM_AUTH_MFA_REQUIRED
                        ? "insufficient_user_authentication"
                        : "invalid_token",
                        detail);

        h->value.len = p - h->value.data;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "WWW-Authenticate");
#if (nginx_version >= 1023000)
    h->next = NULL;
#endif
    r->headers_out.www_authenticate = h;

    /*
     * under "satisfy any" the phase decides: another access module may
     * still let the request in, else nginx answers with the status;
     * unless the refusal is final (rbac's, where permissions are due)
     */

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    if (!final && clcf->satisfy == NGX_HTTP_SATISFY_ANY) {
        return NGX_HTTP_UNAUTHORIZED;
    }

    len = sizeof("{\"detail\":\"\"}\n") - 1 + detail->len;

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->last = ngx_sprintf(b->last, "{\"detail\":\"%V\"}\n", detail);

    return ngx_stratum_send_refusal(r, NGX_HTTP_UNAUTHORIZED, b);
}


static ngx_int_t
ngx_stratum_auth_refuse_request(ngx_http_request_t *r)
{
    ngx_stratum_auth_ctx_t  *ctx;

    ctx = ngx_stratum_auth_get_ctx(r, 0);

    if (ctx == NULL || ctx->claims.result == NGX_STRATUM_AUTH_OK
        || ctx->claims.result == NGX_STRATUM_AUTH_OFF)
    {
        return ngx_stratum_auth_refuse(r, NGX_STRATUM_AUTH_MISSING, 1);
    }

    return ngx_stratum_auth_refuse(r, ctx->claims.result, 1);
}


/*
 * the context lives in the main request's pool and is found again
 * through its cleanup after an internal redirect clears module contexts
 */

static ngx_stratum_auth_ctx_t *
ngx_stratum_auth_get_ctx(ngx_http_request_t *r, ngx_flag_t create)
{
    ngx_pool_cleanup_t      *cln;
    ngx_stratum_auth_ctx_t  *ctx;

    r = r->main;

    ctx = ngx_http_get_module_ctx(r, ngx_stratum_auth_module);
    if (ctx) {
        return ctx;
    }

    for (cln = r->pool->cleanup; cln; cln = cln->next) {
        if (cln->handler == ngx_stratum_auth_cleanup_ctx) {
            ctx = cln->data;
            ngx_http_set_ctx(r, ctx, ngx_stratum_auth_module);
            return ctx;
        }
    }

    if (!create) {
        return NULL;
    }

    cln = ngx_pool_cleanup_add(r->pool, sizeof(ngx_stratum_auth_ctx_t));
    if (cln == NULL) {
        return NULL;
    }

    ctx = cln->data;
    ngx_memzero(ctx, sizeof(ngx_stratum_auth_ctx_t));

    cln->handler = ngx_stratum_auth_cleanup_ctx;

    ngx_http_set_ctx(r, ctx, ngx_stratum_auth_module);

    return ctx;
}


static void
ngx_stratum_auth_cleanup_ctx(void *data)
{
    ngx_stratum_auth_ctx_t  *ctx = data;

    if (ctx->payload) {
        json_decref(ctx->payload);
        ctx->payload = NULL;
    }
}


static ngx_stratum_claims_t *
ngx_stratum_auth_claims(ngx_http_request_t *r)
{
    ngx_stratum_auth_ctx_t  *ctx;

    ctx = ngx_stratum_auth_get_ctx(r, 0);
    if (ctx == NULL || ctx->decided == NULL) {
        return NULL;
    }

    return &ctx->claims;
}


static ngx_flag_t
ngx_stratum_auth_enabled(ngx_conf_t *cf)
{
    ngx_http_conf_ctx_t          *ctx;
    ngx_stratum_auth_loc_conf_t  *sacf;

    ctx = (ngx_http_conf_ctx_t *) cf->ctx;
    sacf = ctx->loc_conf[ngx_stratum_auth_module.ctx_index];

    return sacf->mode == NGX_STRATUM_AUTH_MODE_ON
           || sacf->mode == NGX_STRATUM_AUTH_MODE_OPTIONAL;
}


/* the claims of an accepted token, parsed again only when asked for */

static json_t *
ngx_stratum_auth_payload(ngx_http_request_t *r, ngx_stratum_auth_ctx_t *ctx)
{
    ngx_stratum_jwt_t  jwt;

    if (ctx->claims.result != NGX_STRATUM_AUTH_OK) {
        return NULL;
    }

    if (ctx->payload == NULL
        && ngx_stratum_jwt_split(r->pool, ctx->token.data, ctx->token.len,
                                 &jwt)
           == NGX_OK)
    {
        ctx->payload = json_loadb((char *) jwt.payload.data, jwt.payload.len,
                                  JSON_REJECT_DUPLICATES, NULL);
    }

    return ctx->payload;
}


static ngx_int_t
ngx_stratum_auth_cache_key(ngx_http_request_t *r,
    ngx_stratum_auth_loc_conf_t *sacf, ngx_str_t *token, u_char *digest)
{
    ngx_str_t                      parts[2];
    ngx_stratum_auth_main_conf_t  *samcf;

    samcf = ngx_http_get_module_main_conf(r, ngx_stratum_auth_module);

    parts[0].data = sacf->policy;
    parts[0].len = sizeof(sacf->policy);
    parts[1] = *token;

    return ngx_stratum_jwt_sha256(samcf->sha256, parts, 2, digest);
}


/* NGX_OK: a hit, claims and times filled; NGX_DECLINED: a miss */

static ngx_int_t
ngx_stratum_auth_cache_lookup(ngx_http_request_t *r,
    ngx_stratum_auth_loc_conf_t *sacf, u_char *digest,
    ngx_stratum_claims_t *claims, ngx_stratum_auth_times_t *times)
{
    u_char                         *p, *last, *copy;
    u_short                         n, len;
    ngx_uint_t                      i, k;
    ngx_str_t                      *s;
    ngx_array_t                    *lists[2];
    ngx_rbtree_node_t              *node;
    ngx_stratum_auth_cache_t       *cache;
    ngx_stratum_auth_cache_node_t  *cn;

    cache = sacf->cache->data;

    ngx_shmtx_lock(&cache->shpool->mutex);

    node = ngx_stratum_auth_cache_find(cache, digest);

    if (node == NULL) {
        ngx_shmtx_unlock(&cache->shpool->mutex);
        return NGX_DECLINED;
    }

    cn = (ngx_stratum_auth_cache_node_t *) node;

    if (cn->times.exp <= (int64_t) ngx_time()) {
        ngx_queue_remove(&cn->queue);
        ngx_rbtree_delete(&cache->sh->rbtree, node);
        ngx_slab_free_locked(cache->shpool, node);
        ngx_shmtx_unlock(&cache->shpool->mutex);
        return NGX_DECLINED;
    }

    ngx_queue_remove(&cn->queue);
    ngx_queue_insert_head(&cache->sh->queue, &cn->queue);

    copy = ngx_pnalloc(r->pool, cn->len);
    if (copy == NULL) {
        ngx_shmtx_unlock(&cache->shpool->mutex);
        return NGX_ERROR;
    }

    ngx_memcpy(copy, cn->data, cn->len);
    *times = cn->times;
    len = cn->len;

    ngx_shmtx_unlock(&cache->shpool->mutex);

    /*
     * the entry: flags, alg, then sub, tenant_id and kid, then the roles
     * and the permissions, each a count and then strings; a string is
     * its u_short length and its bytes
     */

    p = copy;
    last = copy + len;

    claims->mfa = (p[0] & 1) ? 1 : 0;
    claims->has_tenant = (p[0] & 2) ? 1 : 0;
    claims->alg = *ngx_stratum_jwt_alg_name(p[1]);
    claims->exp = (time_t) times->exp;
    p += 2;

    for (i = 0; i < 3; i++) {
        s = (i == 0) ? &claims->sub
                     : (i == 1) ? &claims->tenant_id : &claims->kid;

        ngx_memcpy(&n, p, sizeof(u_short));
        s->len = n;
        s->data = p + sizeof(u_short);
        p += sizeof(u_short) + n;
    }

    lists[0] = &claims->roles;
    lists[1] = &claims->permissions;

    for (i = 0; i < 2; i++) {
        ngx_memcpy(&n, p, sizeof(u_short));
        p += sizeof(u_short);

        if (ngx_array_init(lists[i], r->pool, n + 1, sizeof(ngx_str_t))
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        for (k = 0; k < n; k++) {
            s = ngx_array_push(lists[i]);
            ngx_memcpy(&len, p, sizeof(u_short));
            s->len = len;
            s->data = p + sizeof(u_short);
            p += sizeof(u_short) + len;
        }
    }

    if (p != last) {
        ngx_stratum_log_error(NGX_LOG_ALERT, r, 0,
                              "stratum auth: corrupt cache entry");
        return NGX_ERROR;
    }

    return NGX_OK;
}


static void
ngx_stratum_auth_cache_store(ngx_http_request_t *r,
    ngx_stratum_auth_loc_conf_t *sacf, u_char *digest,
    ngx_stratum_claims_t *claims, ngx_stratum_auth_times_t *times)
{
    u_char                         *p;
    size_t                          size;
    u_short                         n;
    ngx_int_t                       alg;
    ngx_uint_t                      i, k;
    ngx_str_t                      *s, *strs[3];
    ngx_array_t                    *lists[2];
    ngx_rbtree_node_t              *node;
    ngx_stratum_auth_cache_t       *cache;
    ngx_stratum_auth_cache_node_t  *cn;

    strs[0] = &claims->sub;
    strs[1] = &claims->tenant_id;
    strs[2] = &claims->kid;
    lists[0] = &claims->roles;
    lists[1] = &claims->permissions;

    size = 2;

    for (i = 0; i < 3; i++) {
        size += sizeof(u_short) + strs[i]->len;
    }

    for (i = 0; i < 2; i++) {
        size += sizeof(u_short);
        s = lists[i]->elts;

        for (k = 0; k < lists[i]->nelts; k++) {
            size += sizeof(u_short) + s[k].len;
        }
    }

    /* larger claims are simply not cached */

    if (size > 8192) {
        return;
    }

    alg = ngx_stratum_jwt_alg_by_name(claims->alg.data, claims->alg.len);

    cache = sacf->cache->data;

    ngx_shmtx_lock(&cache->shpool->mutex);

    if (ngx_stratum_auth_cache_find(cache, digest) != NULL) {
        ngx_shmtx_unlock(&cache->shpool->mutex);
        return;
    }

    ngx_stratum_auth_cache_expire(cache, ngx_time(), 2);

    size += offsetof(ngx_stratum_auth_cache_node_t, data);

    node = ngx_slab_alloc_locked(cache->shpool, size);

    /* when the zone is full, the least recently used entries give way */

    for (i = 0; node == NULL && i < 16; i++) {
        ngx_stratum_auth_cache_expire(cache, 0, 1);
        node = ngx_slab_alloc_locked(cache->shpool, size);
    }

    if (node == NULL) {
        ngx_shmtx_unlock(&cache->shpool->mutex);
        ngx_stratum_log_error(NGX_LOG_WARN, r, 0,
                              "stratum auth: could not allocate a cache entry "
                              "in \"%V\"", &sacf->cache->shm.name);
        return;
    }

    cn = (ngx_stratum_auth_cache_node_t *) node;

    ngx_memcpy(&node->key, digest, sizeof(ngx_rbtree_key_t));
    ngx_memcpy(cn->digest, digest, NGX_STRATUM_JWT_FP_LEN);
    cn->times = *times;
    cn->len = (u_short) (size - offsetof(ngx_stratum_auth_cache_node_t,
                                         data));

    p = cn->data;
    *p++ = (u_char) ((claims->mfa ? 1 : 0) | (claims->has_tenant ? 2 : 0));
    *p++ = (u_char) alg;

    for (i = 0; i < 3; i++) {
        n = (u_short) strs[i]->len;
        p = ngx_cpymem(p, &n, sizeof(u_short));
        p = n ? ngx_cpymem(p, strs[i]->data, n) : p;
    }

    for (i = 0; i < 2; i++) {
        n = (u_short) lists[i]->nelts;
        p = ngx_cpymem(p, &n, sizeof(u_short));
        s = lists[i]->elts;

        for (k = 0; k < lists[i]->nelts; k++) {
            n = (u_short) s[k].len;
            p = ngx_cpymem(p, &n, sizeof(u_short));
            p = ngx_cpymem(p, s[k].data, n);
        }
    }

    ngx_rbtree_insert(&cache->sh->rbtree, node);
    ngx_queue_insert_head(&cache->sh->queue, &cn->queue);

    ngx_shmtx_unlock(&cache->shpool->mutex);
}


static ngx_rbtree_node_t *
ngx_stratum_auth_cache_find(ngx_stratum_auth_cache_t *cache, u_char *digest)
{
    ngx_int_t                       rc;
    ngx_rbtree_key_t                key;
    ngx_rbtree_node_t              *node, *sentinel;
    ngx_stratum_auth_cache_node_t  *cn;

    ngx_memcpy(&key, digest, sizeof(ngx_rbtree_key_t));

    node = cache->sh->rbtree.root;
    sentinel = cache->sh->rbtree.sentinel;

    while (node != sentinel) {

        if (key < node->key) {
            node = node->left;
            continue;
        }

        if (key > node->key) {
            node = node->right;
            continue;
        }

        cn = (ngx_stratum_auth_cache_node_t *) node;

        rc = ngx_memcmp(digest, cn->digest, NGX_STRATUM_JWT_FP_LEN);

        if (rc == 0) {
            return node;
        }

        node = (rc < 0) ? node->left : node->right;
    }

    return NULL;
}


/*
 * drops up to n entries from the least recently used end: only expired
 * ones when "now" is given, any when it is 0
 */

static void
ngx_stratum_auth_cache_expire(ngx_stratum_auth_cache_t *cache, time_t now,
    ngx_uint_t n)
{
    ngx_queue_t                    *q;
    ngx_stratum_auth_cache_node_t  *cn;

    while (n--) {

        if (ngx_queue_empty(&cache->sh->queue)) {
            return;
        }

        q = ngx_queue_last(&cache->sh->queue);
        cn = ngx_queue_data(q, ngx_stratum_auth_cache_node_t, queue);

        if (now && cn->times.exp > (int64_t) now) {
            return;
        }

        ngx_queue_remove(q);
        ngx_rbtree_delete(&cache->sh->rbtree, &cn->node);
        ngx_slab_free_locked(cache->shpool, cn);
    }
}


static void
ngx_stratum_auth_cache_rbtree_insert_value(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel)
{
    ngx_rbtree_node_t              **p;
    ngx_stratum_auth_cache_node_t   *cn, *cnt;

    for ( ;; ) {

        if (node->key < temp->key) {
            p = &temp->left;

        } else if (node->key > temp->key) {
            p = &temp->right;

        } else {
            cn = (ngx_stratum_auth_cache_node_t *) node;
            cnt = (ngx_stratum_auth_cache_node_t *) temp;

            p = (ngx_memcmp(cn->digest, cnt->digest, NGX_STRATUM_JWT_FP_LEN)
                 < 0) ? &temp->left : &temp->right;
        }

        if (*p == sentinel) {
            break;
        }

        temp = *p;
    }

    *p = node;
    node->parent = temp;
    node->left = sentinel;
    node->right = sentinel;
    ngx_rbt_red(node);
}


static ngx_int_t
ngx_stratum_auth_cache_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_stratum_auth_cache_t  *ocache = data;

    size_t                     len;
    ngx_stratum_auth_cache_t  *cache;

    cache = shm_zone->data;

    if (ocache) {
        cache->sh = ocache->sh;
        cache->shpool = ocache->shpool;
        return NGX_OK;
    }

    cache->shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        cache->sh = cache->shpool->data;
        return NGX_OK;
    }

    cache->sh = ngx_slab_alloc(cache->shpool,
                               sizeof(ngx_stratum_auth_cache_sh_t));
    if (cache->sh == NULL) {
        return NGX_ERROR;
    }

    cache->shpool->data = cache->sh;

    ngx_rbtree_init(&cache->sh->rbtree, &cache->sh->sentinel,
                    ngx_stratum_auth_cache_rbtree_insert_value);
    ngx_queue_init(&cache->sh->queue);

    len = sizeof(" in stratum_auth_cache_zone \"\"") + shm_zone->shm.name.len;

    cache->shpool->log_ctx = ngx_slab_alloc(cache->shpool, len);
    if (cache->shpool->log_ctx == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(cache->shpool->log_ctx, " in stratum_auth_cache_zone \"%V\"%Z",
                &shm_zone->shm.name);

    cache->shpool->log_nomem = 0;

    return NGX_OK;
}


static ngx_int_t
ngx_stratum_auth_variable_result(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_stratum_claims_t  *claims;

    claims = ngx_stratum_auth_claims(r);

    return ngx_stratum_auth_set_variable(r, v,
               &ngx_stratum_auth_words[claims ? claims->result
                                              : NGX_STRATUM_AUTH_OFF]);
}


static ngx_int_t
ngx_stratum_auth_variable_str(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_stratum_claims_t  *claims;

    claims = ngx_stratum_auth_claims(r);

    if (claims == NULL || claims->result != NGX_STRATUM_AUTH_OK) {
        v->not_found = 1;
        return NGX_OK;
    }

    return ngx_stratum_auth_set_variable(r, v,
                                         (ngx_str_t *) ((char *) claims
                                                        + data));
}


static ngx_int_t
ngx_stratum_auth_variable_list(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    u_char                *p;
    size_t                 len;
    ngx_str_t             *s, value;
    ngx_uint_t             i;
    ngx_array_t           *list;
    ngx_stratum_claims_t  *claims;

    claims = ngx_stratum_auth_claims(r);

    if (claims == NULL || claims->result != NGX_STRATUM_AUTH_OK) {
        v->not_found = 1;
        return NGX_OK;
    }

    list = (ngx_array_t *) ((char *) claims + data);
    s = list->elts;
    len = 0;

    for (i = 0; i < list->nelts; i++) {
        len += s[i].len + 1;
    }

    value.data = ngx_pnalloc(r->pool, len);
    if (value.data == NULL) {
        return NGX_ERROR;
    }

    p = value.data;

    for (i = 0; i < list->nelts; i++) {
        if (i) {
            *p++ = ',';
        }

        p = ngx_cpymem(p, s[i].data, s[i].len);
    }

    value.len = p - value.data;

    return ngx_stratum_auth_set_variable(r, v, &value);
}


static ngx_int_t
ngx_stratum_auth_variable_mfa(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t              value;
    ngx_stratum_claims_t  *claims;

    claims = ngx_stratum_auth_claims(r);

    if (claims == NULL
        || (claims->result != NGX_STRATUM_AUTH_OK
            && claims->result != NGX_STRATUM_AUTH_MFA_REQUIRED))
    {
        v->not_found = 1;
        return NGX_OK;
    }

    if (claims->mfa) {
        ngx_str_set(&value, "1");

    } else {
        ngx_str_set(&value, "0");
    }

    return ngx_stratum_auth_set_variable(r, v, &value);
}


static ngx_int_t
ngx_stratum_auth_variable_cache(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t                value;
    ngx_stratum_auth_ctx_t  *ctx;

    ctx = ngx_stratum_auth_get_ctx(r, 0);

    if (ctx == NULL || ctx->cache_status == 0) {
        v->not_found = 1;
        return NGX_OK;
    }

    if (ctx->cache_status == NGX_STRATUM_AUTH_CACHE_HIT) {
        ngx_str_set(&value, "HIT");

    } else {
        ngx_str_set(&value, "MISS");
    }

    return ngx_stratum_auth_set_variable(r, v, &value);
}


/*
 * $stratum_auth_claim_NAME: strings as they are, arrays of strings joined
 * with commas, anything else as compact JSON; control characters never
 * reach a header or a log raw
 */

static ngx_int_t
ngx_stratum_auth_variable_claim(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t *var = (ngx_str_t *) data;

    u_char                  *p;
    char                    *dump;
    size_t                   i, len;
    json_t                  *payload, *claim, *m;
    ngx_str_t                value;
    ngx_stratum_auth_ctx_t  *ctx;
    u_char                   name[256];

    ctx = ngx_stratum_auth_get_ctx(r, 0);

    len = var->len - (sizeof("stratum_auth_claim_") - 1);

    if (ctx == NULL || len == 0 || len >= sizeof(name)
        || (payload = ngx_stratum_auth_payload(r, ctx)) == NULL)
    {
        v->not_found = 1;
        return NGX_OK;
    }

    ngx_memcpy(name, var->data + sizeof("stratum_auth_claim_") - 1, len);
    name[len] = '\0';

    claim = json_object_get(payload, (char *) name);
    if (claim == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    if (json_is_string(claim)) {
        value.data = (u_char *) json_string_value(claim);
        value.len = json_string_length(claim);

        return ngx_stratum_auth_set_escaped(r, v, &value);
    }

    if (json_is_array(claim)) {
        len = 0;

        json_array_foreach(claim, i, m) {
            if (!json_is_string(m)) {
                goto dump;
            }

            len += json_string_length(m) + 1;
        }

        value.data = ngx_pnalloc(r->pool, len);
        if (value.data == NULL) {
            return NGX_ERROR;
        }

        p = value.data;

        json_array_foreach(claim, i, m) {
            if (i) {
                *p++ = ',';
            }

            p = ngx_cpymem(p, json_string_value(m), json_string_length(m));
        }

        value.len = p - value.data;

        return ngx_stratum_auth_set_escaped(r, v, &value);
    }

dump:

    dump = json_dumps(claim, JSON_COMPACT|JSON_ENCODE_ANY|JSON_ENSURE_ASCII);
    if (dump == NULL) {
        return NGX_ERROR;
    }

    value.len = ngx_strlen(dump);
    value.data = ngx_pnalloc(r->pool, value.len);

    if (value.data) {
        ngx_memcpy(value.data, dump, value.len);
    }

    free(dump);

    if (value.data == NULL) {
        return NGX_ERROR;
    }

    /* JSON_ENSURE_ASCII leaves DEL (0x7f) as it is */

    return ngx_stratum_auth_set_escaped(r, v, &value);
}


/* control characters become \u00XX; a value without any is not copied */

static ngx_int_t
ngx_stratum_auth_set_escaped(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, ngx_str_t *value)
{
    u_char      *p;
    size_t       i, n;
    ngx_str_t    escaped;

    n = 0;

    for (i = 0; i < value->len; i++) {
        if (value->data[i] < 0x20 || value->data[i] == 0x7f) {
            n++;
        }
    }

    if (n == 0) {
        return ngx_stratum_auth_set_variable(r, v, value);
    }

    escaped.data = ngx_pnalloc(r->pool, value->len + n * 5);
    if (escaped.data == NULL) {
        return NGX_ERROR;
    }

    p = escaped.data;

    for (i = 0; i < value->len; i++) {
        if (value->data[i] < 0x20 || value->data[i] == 0x7f) {
            p = ngx_sprintf(p, "\\u%04xd", (int) value->data[i]);

        } else {
            *p++ = value->data[i];
        }
    }

    escaped.len = p - escaped.data;

    return ngx_stratum_auth_set_variable(r, v, &escaped);
}


static ngx_int_t
ngx_stratum_auth_set_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, ngx_str_t *value)
{
    v->len = value->len;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;
    v->data = value->data;

    return NGX_OK;
}


static ngx_int_t
ngx_stratum_auth_add_variables(ngx_conf_t *cf)
{
    return ngx_stratum_add_variables(cf, ngx_stratum_auth_vars);
}


static void *
ngx_stratum_auth_create_main_conf(ngx_conf_t *cf)
{
    ngx_pool_cleanup_t            *cln;
    ngx_stratum_auth_main_conf_t  *samcf;

    samcf = ngx_pcalloc(cf->pool, sizeof(ngx_stratum_auth_main_conf_t));
    if (samcf == NULL) {
        return NULL;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NULL;
    }

    samcf->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    if (samcf->sha256 == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "EVP_MD_fetch(\"SHA256\") failed");
        return NULL;
    }

    cln->handler = ngx_stratum_auth_cleanup_main_conf;
    cln->data = samcf;

    samcf->api.version = NGX_STRATUM_AUTH_API_VERSION;
    samcf->api.module = &ngx_stratum_auth_module;
    samcf->api.claims = ngx_stratum_auth_claims;
    samcf->api.handler = ngx_stratum_auth_handler;
    samcf->api.refuse = ngx_stratum_auth_refuse_request;
    samcf->api.enabled = ngx_stratum_auth_enabled;

    return samcf;
}


static void
ngx_stratum_auth_cleanup_main_conf(void *data)
{
    ngx_stratum_auth_main_conf_t  *samcf = data;

    EVP_MD_free(samcf->sha256);
}


static void *
ngx_stratum_auth_create_loc_conf(ngx_conf_t *cf)
{
    ngx_stratum_auth_loc_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_stratum_auth_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     conf->issuer = { 0, NULL };
     *     conf->audience = { 0, NULL };
     *     conf->token = NULL;
     *     conf->file = NULL;
     *     conf->memo = NULL;
     */

    conf->mode = NGX_CONF_UNSET_UINT;
    conf->keys = NGX_CONF_UNSET_PTR;
    conf->algs = NGX_CONF_UNSET_UINT;
    conf->leeway = NGX_CONF_UNSET;
    conf->max_lifetime = NGX_CONF_UNSET;
    conf->max_token_size = NGX_CONF_UNSET_SIZE;
    conf->mfa = NGX_CONF_UNSET;
    conf->mfa_roles = NGX_CONF_UNSET_PTR;
    conf->mfa_methods = NGX_CONF_UNSET_PTR;
    conf->cache = NGX_CONF_UNSET_PTR;

    return conf;
}


static char *
ngx_stratum_auth_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_stratum_auth_loc_conf_t *prev = parent;
    ngx_stratum_auth_loc_conf_t *conf = child;

    char                    *mode;
    ngx_uint_t               i, usable;
    ngx_stratum_jwt_key_t  **key;
    ngx_stratum_srv_conf_t  *sscf;

    if (conf->mode == NGX_CONF_UNSET_UINT) {
        conf->mode = prev->mode;
        conf->file = prev->file;
        conf->line = prev->line;
    }

    ngx_conf_merge_uint_value(conf->mode, prev->mode,
                              NGX_STRATUM_AUTH_MODE_OFF);
    ngx_conf_merge_ptr_value(conf->keys, prev->keys, NULL);
    ngx_conf_merge_uint_value(conf->algs, prev->algs,
                              (ngx_uint_t) 1 << NGX_STRATUM_JWT_RS256);
    ngx_conf_merge_str_value(conf->issuer, prev->issuer, "");
    ngx_conf_merge_str_value(conf->audience, prev->audience, "");
    ngx_conf_merge_sec_value(conf->leeway, prev->leeway, 0);
    ngx_conf_merge_value(conf->max_lifetime, prev->max_lifetime, 0);
    ngx_conf_merge_size_value(conf->max_token_size, prev->max_token_size,
                              8192);
    ngx_conf_merge_value(conf->mfa, prev->mfa, 0);
    ngx_conf_merge_ptr_value(conf->mfa_roles, prev->mfa_roles, NULL);
    ngx_conf_merge_ptr_value(conf->mfa_methods, prev->mfa_methods, NULL);
    if (conf->cache == NGX_CONF_UNSET_PTR) {
        conf->cache = prev->cache;
        conf->cache_file = prev->cache_file;
        conf->cache_line = prev->cache_line;
    }

    ngx_conf_merge_ptr_value(conf->cache, prev->cache, NULL);

    /* a zone is sized only by stratum_auth_cache_zone, read by now */

    if (conf->cache && conf->cache->shm.size == 0) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "unknown stratum_auth_cache_zone \"%V\" "
                      "in %s:%ui", &conf->cache->shm.name,
                      conf->cache_file, conf->cache_line);
        return NGX_CONF_ERROR;
    }

    if (conf->token == NULL) {
        conf->token = prev->token;
    }

    if (conf->mode == NGX_STRATUM_AUTH_MODE_OFF) {
        return NGX_CONF_OK;
    }

    /* the server of this location, during the merge as at run time */

    sscf = ngx_http_conf_get_module_srv_conf(cf, ngx_stratum_auth_module);
    sscf->guarded = 1;

    /* the module never falls back to not verifying */

    usable = 0;

    if (conf->keys) {
        key = conf->keys->elts;

        for (i = 0; i < conf->keys->nelts; i++) {
            if (key[i]->algs & conf->algs) {
                usable++;
            }
        }
    }

    mode = (conf->mode == NGX_STRATUM_AUTH_MODE_ON) ? "on" : "optional";

    if (usable == 0) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"stratum_auth %s\" in %s:%ui but no key is "
                      "configured that the allowed algorithms can use: "
                      "add \"stratum_auth_key_file\" or "
                      "\"stratum_auth_jwks_file\" at the same level or "
                      "above, or check \"stratum_auth_algorithms\"",
                      mode, conf->file, conf->line);
        return NGX_CONF_ERROR;
    }

    /* a request without a token would pass where a second factor is due */

    if (conf->mode == NGX_STRATUM_AUTH_MODE_OPTIONAL && conf->mfa) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"stratum_auth optional\" in %s:%ui lets a request "
                      "without a token through, where \"stratum_auth_mfa "
                      "on\" asks for a second factor: use \"stratum_auth "
                      "on\" there, or \"stratum_auth_mfa off\"",
                      conf->file, conf->line);
        return NGX_CONF_ERROR;
    }

    conf->memo = ngx_pcalloc(cf->pool, sizeof(ngx_stratum_auth_memo_t));
    if (conf->memo == NULL) {
        return NGX_CONF_ERROR;
    }

    if (ngx_stratum_auth_policy(conf) != NGX_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "SHA-256 failed");
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/*
 * a digest of everything a verification depends on but the clock and
 * the leeway (checked again on every hit), so that a cached result is
 * never reused under another policy or after a key is rotated out
 */

static ngx_int_t
ngx_stratum_auth_policy(ngx_stratum_auth_loc_conf_t *sacf)
{
    int64_t                  n;
    ngx_int_t                rc;
    ngx_str_t               *method;
    ngx_uint_t               i;
    EVP_MD_CTX              *md;
    ngx_stratum_jwt_key_t  **key;

    md = EVP_MD_CTX_new();
    if (md == NULL) {
        return NGX_ERROR;
    }

    rc = EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 ? NGX_OK : NGX_ERROR;

    key = sacf->keys->elts;

    for (i = 0; rc == NGX_OK && i < sacf->keys->nelts; i++) {
        n = key[i]->kid.len;

        if (EVP_DigestUpdate(md, key[i]->fingerprint,
                             NGX_STRATUM_JWT_FP_LEN) != 1
            || EVP_DigestUpdate(md, &key[i]->algs, sizeof(ngx_uint_t)) != 1
            || EVP_DigestUpdate(md, &n, sizeof(int64_t)) != 1
            || EVP_DigestUpdate(md, key[i]->kid.data, n) != 1)
        {
            rc = NGX_ERROR;
        }
    }

    /* the second factor is judged by the methods, so they count too */

    if (sacf->mfa_methods) {
        method = sacf->mfa_methods->elts;

        for (i = 0; rc == NGX_OK && i < sacf->mfa_methods->nelts; i++) {
            if (EVP_DigestUpdate(md, method[i].data, method[i].len) != 1
                || EVP_DigestUpdate(md, "\n", 1) != 1)
            {
                rc = NGX_ERROR;
            }
        }
    }

    n = sacf->max_lifetime;

    if (rc == NGX_OK
        && (EVP_DigestUpdate(md, &sacf->algs, sizeof(ngx_uint_t)) != 1
            || EVP_DigestUpdate(md, &n, sizeof(int64_t)) != 1
            || EVP_DigestUpdate(md, sacf->issuer.data, sacf->issuer.len)
               != 1
            || EVP_DigestUpdate(md, "\n", 1) != 1
            || EVP_DigestUpdate(md, sacf->audience.data,
                                sacf->audience.len) != 1
            || EVP_DigestFinal_ex(md, sacf->policy, NULL) != 1))
    {
        rc = NGX_ERROR;
    }

    EVP_MD_CTX_free(md);

    return rc;
}


static char *
ngx_stratum_auth(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_stratum_auth_loc_conf_t *sacf = conf;

    ngx_str_t   *value;
    ngx_uint_t   i;

    if (sacf->mode != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    for (i = 0; ngx_stratum_auth_modes[i].name.len; i++) {
        if (ngx_strcmp(ngx_stratum_auth_modes[i].name.data, value[1].data)
            == 0)
        {
            sacf->mode = ngx_stratum_auth_modes[i].value;
            sacf->file = cf->conf_file->file.name.data;
            sacf->line = cf->conf_file->line;
            return NGX_CONF_OK;
        }
    }

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid value \"%V\" in \"%V\", "
                       "it must be \"on\", \"off\" or \"optional\"",
                       &value[1], &cmd->name);

    return NGX_CONF_ERROR;
}


static char *
ngx_stratum_auth_key_file(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_stratum_auth_loc_conf_t *sacf = conf;

    ngx_str_t  *value, kid;

    value = cf->args->elts;

    ngx_str_null(&kid);

    if (cf->args->nelts == 3) {
        if (value[2].len <= 4
            || ngx_strncmp(value[2].data, "kid=", 4) != 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\", "
                               "expected \"kid=...\"", &value[2]);
            return NGX_CONF_ERROR;
        }

        kid.data = value[2].data + 4;
        kid.len = value[2].len - 4;
    }

    if (sacf->keys == NGX_CONF_UNSET_PTR) {
        sacf->keys = ngx_array_create(cf->pool, 4, sizeof(void *));
        if (sacf->keys == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    if (ngx_stratum_jwt_load_pem(cf, &value[1], &kid, sacf->keys) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static char *
ngx_stratum_auth_jwks_file(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_stratum_auth_loc_conf_t *sacf = conf;

    ngx_str_t  *value;

    value = cf->args->elts;

    if (sacf->keys == NGX_CONF_UNSET_PTR) {
        sacf->keys = ngx_array_create(cf->pool, 4, sizeof(void *));
        if (sacf->keys == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    if (ngx_stratum_jwt_load_jwks(cf, &value[1], sacf->keys) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static char *
ngx_stratum_auth_algorithms(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_stratum_auth_loc_conf_t *sacf = conf;

    ngx_int_t    alg;
    ngx_str_t   *value;
    ngx_uint_t   i;

    if (sacf->algs != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    sacf->algs = 0;
    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {
        alg = ngx_stratum_jwt_alg_by_name(value[i].data, value[i].len);

        if (alg == NGX_ERROR) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "unknown algorithm \"%V\", expected one of "
                               "RS256 RS384 RS512 PS256 PS384 PS512 ES256 "
                               "ES384 EdDSA (case-sensitive)", &value[i]);
            return NGX_CONF_ERROR;
        }

        sacf->algs |= (ngx_uint_t) 1 << alg;
    }

    return NGX_CONF_OK;
}


static char *
ngx_stratum_auth_max_lifetime(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_stratum_auth_loc_conf_t *sacf = conf;

    ngx_str_t  *value;

    value = cf->args->elts;

    if (sacf->max_lifetime != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    if (ngx_strcmp(value[1].data, "off") == 0) {
        sacf->max_lifetime = 0;
        return NGX_CONF_OK;
    }

    sacf->max_lifetime = ngx_parse_time(&value[1], 1);

    if (sacf->max_lifetime == (time_t) NGX_ERROR || sacf->max_lifetime == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid value \"%V\" in \"%V\"",
                           &value[1], &cmd->name);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static char *
ngx_stratum_auth_cache_zone(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    u_char                    *p;
    ssize_t                    size;
    ngx_str_t                 *value, name, s;
    ngx_shm_zone_t            *shm_zone;
    ngx_stratum_auth_cache_t  *cache;

    value = cf->args->elts;

    p = (u_char *) ngx_strchr(value[1].data, ':');

    if (p == NULL || p == value[1].data) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid zone \"%V\", expected NAME:SIZE",
                           &value[1]);
        return NGX_CONF_ERROR;
    }

    name.data = value[1].data;
    name.len = p - value[1].data;

    s.data = p + 1;
    s.len = value[1].data + value[1].len - s.data;

    size = ngx_parse_size(&s);

    if (size == NGX_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid zone size \"%V\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    if (size < (ssize_t) (8 * ngx_pagesize)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "zone \"%V\" is too small", &value[1]);
        return NGX_CONF_ERROR;
    }

    cache = ngx_pcalloc(cf->pool, sizeof(ngx_stratum_auth_cache_t));
    if (cache == NULL) {
        return NGX_CONF_ERROR;
    }

    shm_zone = ngx_shared_memory_add(cf, &name, size,
                                     &ngx_stratum_auth_module);
    if (shm_zone == NULL) {
        return NGX_CONF_ERROR;
    }

    if (shm_zone->data) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "duplicate zone \"%V\"", &name);
        return NGX_CONF_ERROR;
    }

    shm_zone->init = ngx_stratum_auth_cache_init_zone;
    shm_zone->data = cache;

    return NGX_CONF_OK;
}


static char *
ngx_stratum_auth_cache(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_stratum_auth_loc_conf_t *sacf = conf;

    ngx_str_t  *value;

    if (sacf->cache != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        sacf->cache = NULL;
        return NGX_CONF_OK;
    }

    sacf->cache = ngx_shared_memory_add(cf, &value[1], 0,
                                        &ngx_stratum_auth_module);
    if (sacf->cache == NULL) {
        return NGX_CONF_ERROR;
    }

    sacf->cache_file = cf->conf_file->file.name.data;
    sacf->cache_line = cf->conf_file->line;

    return NGX_CONF_OK;
}


static char *
ngx_stratum_auth_token_slot(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_str_t  *value;

    value = cf->args->elts;

    if (value[1].len == 0) {
        return "takes no empty value";
    }

    return ngx_http_set_complex_value_slot(cf, cmd, conf);
}


/* all the arguments of one directive, into an array of ngx_str_t */

static char *
ngx_stratum_auth_words_slot(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char  *p = conf;

    ngx_str_t     *value, *s;
    ngx_uint_t     i;
    ngx_array_t  **a;

    a = (ngx_array_t **) (p + cmd->offset);

    if (*a != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    *a = ngx_array_create(cf->pool, cf->args->nelts - 1, sizeof(ngx_str_t));
    if (*a == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {
        if (value[i].len == 0) {
            return "takes no empty value";
        }

        s = ngx_array_push(*a);
        if (s == NULL) {
            return NGX_CONF_ERROR;
        }

        *s = value[i];
    }

    return NGX_CONF_OK;
}


static char *
ngx_stratum_auth_nonempty(ngx_conf_t *cf, void *post, void *data)
{
    ngx_str_t  *s = data;

    if (s->len == 0) {
        return "must not be empty";
    }

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_stratum_auth_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_ACCESS_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_stratum_auth_handler;

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_PRECONTENT_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_stratum_auth_precontent_handler;

    return NGX_OK;
}


static ngx_int_t
ngx_stratum_auth_precontent_handler(ngx_http_request_t *r)
{
    return ngx_stratum_check_internal(r,
               ngx_http_get_module_srv_conf(r, ngx_stratum_auth_module),
               ngx_stratum_auth_handler);
}
