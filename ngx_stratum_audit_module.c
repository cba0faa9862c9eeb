
/*
 * Copyright (C) The Stratum authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <jansson.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "ngx_stratum.h"
#include "ngx_stratum_redis.h"


/* bytes of one string field in an event, after UTF-8 repair */
#define NGX_STRATUM_AUDIT_FIELD_MAX     1024

#define NGX_STRATUM_AUDIT_KEY_MIN       16
#define NGX_STRATUM_AUDIT_KEY_MAX       4096
#define NGX_STRATUM_AUDIT_EVENT_MAX     64

#define NGX_STRATUM_AUDIT_KEEP          0
#define NGX_STRATUM_AUDIT_MASK          1
#define NGX_STRATUM_AUDIT_HASH          2
#define NGX_STRATUM_AUDIT_OMIT          3

/* the fields whose treatment is configurable, index into modes[] */
#define NGX_STRATUM_AUDIT_F_IP          0
#define NGX_STRATUM_AUDIT_F_USER        1
#define NGX_STRATUM_AUDIT_F_TENANT      2
#define NGX_STRATUM_AUDIT_F_AGENT       3
#define NGX_STRATUM_AUDIT_NFIELDS       4

#define NGX_STRATUM_AUDIT_HEX_LEN       (SHA256_DIGEST_LENGTH * 2)

/* events a worker may have in flight to Redis; more go to the fallback */
#define NGX_STRATUM_AUDIT_REDIS_PENDING 4096
#define NGX_STRATUM_AUDIT_REDIS_MAXLEN  "1000000"


/* the state of a file sink, in file->data; each worker has its own copy */
typedef struct {
    u_char                     *start;      /* NULL: unbuffered */
    u_char                     *pos;
    u_char                     *last;
    ngx_event_t                *event;
    ngx_msec_t                  flush;

    unsigned                    chain:1;
    uint64_t                    seq;
    u_char                      prev[NGX_STRATUM_AUDIT_HEX_LEN];

    time_t                      error_time;
    ngx_uint_t                  lost;
} ngx_stratum_audit_buf_t;


/* a Redis stream sink; "down" and "spooled" are each worker's own */
typedef struct {
    ngx_str_t                   stream;
    ngx_str_t                   maxlen;     /* as text, for XADD */
    ngx_open_file_t            *fallback;
    u_char                     *file;       /* where it was configured */
    ngx_uint_t                  line;

    unsigned                    down:1;
    ngx_uint_t                  spooled;    /* since it went down */
    time_t                      warn_time;
} ngx_stratum_audit_redis_t;


typedef struct {
    ngx_open_file_t            *file;
    ngx_syslog_peer_t          *syslog;
    ngx_stratum_audit_redis_t  *redis;
} ngx_stratum_audit_sink_t;


/* an event in flight to Redis, in the worker's memory until answered */
typedef struct {
    ngx_queue_t                 queue;
    ngx_stratum_audit_redis_t  *sink;
    size_t                      len;
    u_char                      line[1];    /* newline included */
} ngx_stratum_audit_pending_t;


typedef struct {
    ngx_str_t                   key;
    ngx_stratum_auth_api_t     *auth;
    ngx_stratum_redis_api_t    *redis;
    ngx_array_t                *redis_sinks; /* of ..._audit_redis_t * */

    ngx_int_t                   request_id_index;
    ngx_int_t                   rbac_result_index;
    ngx_int_t                   rbac_missing_index;
    ngx_int_t                   rl_status_index;
    ngx_int_t                   rl_zone_index;
} ngx_stratum_audit_main_conf_t;


typedef struct {
    ngx_array_t                *sinks;      /* of ngx_stratum_audit_sink_t */
    ngx_flag_t                  off;
    ngx_str_t                   event;
    ngx_flag_t                  event_set;
    ngx_flag_t                  requests;
    ngx_array_t                *query;         /* of ngx_str_t: names */
    ngx_uint_t                  modes[NGX_STRATUM_AUDIT_NFIELDS];
} ngx_stratum_audit_loc_conf_t;


/*
 * kept in the main request's pool: the location the request was first
 * routed to and the last event a location declared on the way, found
 * again through the pool cleanup after internal redirects
 */
typedef struct {
    ngx_stratum_audit_loc_conf_t  *salcf;
    ngx_str_t                      event;
} ngx_stratum_audit_ctx_t;


static ngx_int_t ngx_stratum_audit_route_handler(ngx_http_request_t *r);
static ngx_int_t ngx_stratum_audit_log_handler(ngx_http_request_t *r);
static ngx_stratum_audit_ctx_t *ngx_stratum_audit_get_ctx(
    ngx_http_request_t *r, ngx_flag_t create);
static void ngx_stratum_audit_cleanup_ctx(void *data);
static json_t *ngx_stratum_audit_event(ngx_http_request_t *r,
    ngx_stratum_audit_loc_conf_t *salcf, ngx_str_t *declared);
static ngx_int_t ngx_stratum_audit_set_str(ngx_http_request_t *r,
    json_t *obj, const char *key, u_char *data, size_t len,
    json_t *truncated);
static ngx_int_t ngx_stratum_audit_filter_query(ngx_http_request_t *r,
    ngx_array_t *names, ngx_str_t *query);
static ngx_int_t ngx_stratum_audit_secret_arg(ngx_http_request_t *r,
    u_char *name, size_t len, u_char *value, size_t vlen);
static ngx_int_t ngx_stratum_audit_set_field(ngx_http_request_t *r,
    ngx_stratum_audit_loc_conf_t *salcf, json_t *obj, ngx_uint_t field,
    ngx_str_t *value, json_t *truncated);
static size_t ngx_stratum_audit_utf8(u_char *dst, u_char *src, size_t len,
    size_t max, ngx_flag_t *truncated);
static ngx_int_t ngx_stratum_audit_mask(ngx_http_request_t *r,
    ngx_uint_t field, ngx_str_t *value, ngx_str_t *out);
static ngx_int_t ngx_stratum_audit_hash(ngx_http_request_t *r,
    ngx_str_t *value, ngx_str_t *out);
static ngx_int_t ngx_stratum_audit_variable(ngx_http_request_t *r,
    ngx_int_t index, ngx_str_t *value);
static u_char *ngx_stratum_audit_dump(ngx_http_request_t *r, json_t *obj,
    size_t *len);
static void ngx_stratum_audit_write_file(ngx_http_request_t *r,
    ngx_open_file_t *file, json_t *obj);
static void ngx_stratum_audit_write_syslog(ngx_http_request_t *r,
    ngx_syslog_peer_t *peer, u_char *line, size_t len);
static void ngx_stratum_audit_write(ngx_open_file_t *file, ngx_log_t *log,
    u_char *data, size_t len);
static void ngx_stratum_audit_flush(ngx_open_file_t *file, ngx_log_t *log);
static void ngx_stratum_audit_flush_handler(ngx_event_t *ev);
static void ngx_stratum_audit_write_redis(ngx_http_request_t *r,
    ngx_stratum_audit_redis_t *rs, u_char *line, size_t len);
static void ngx_stratum_audit_redis_handler(void *data, redisReply *reply);
static void ngx_stratum_audit_spool(ngx_stratum_audit_redis_t *rs,
    ngx_log_t *log, u_char *line, size_t len, const char *why,
    ngx_uint_t down);
static ngx_int_t ngx_stratum_audit_undelivered_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);

static void *ngx_stratum_audit_create_main_conf(ngx_conf_t *cf);
static void *ngx_stratum_audit_create_loc_conf(ngx_conf_t *cf);
static char *ngx_stratum_audit_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static char *ngx_stratum_audit_log(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_stratum_audit_set_query(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_stratum_audit_set_event(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_stratum_audit_set_field_mode(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_stratum_audit_key_file(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_open_file_t *ngx_stratum_audit_open_file(ngx_conf_t *cf,
    ngx_str_t *name, ssize_t size, ngx_msec_t flush, ngx_uint_t chain);
static ngx_stratum_audit_redis_t *ngx_stratum_audit_redis_sink(
    ngx_conf_t *cf, ngx_str_t *name, ngx_str_t *maxlen, ngx_str_t *fallback);
static ngx_int_t ngx_stratum_audit_find_variable(ngx_conf_t *cf,
    char *name);
static ngx_int_t ngx_stratum_audit_add_variables(ngx_conf_t *cf);
static ngx_int_t ngx_stratum_audit_init(ngx_conf_t *cf);
static ngx_int_t ngx_stratum_audit_init_process(ngx_cycle_t *cycle);
static void ngx_stratum_audit_exit_process(ngx_cycle_t *cycle);


static ngx_command_t  ngx_stratum_audit_commands[] = {

    { ngx_string("stratum_audit_log"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_stratum_audit_log,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("stratum_audit_event"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_stratum_audit_set_event,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("stratum_audit_requests"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_stratum_audit_loc_conf_t, requests),
      NULL },

    { ngx_string("stratum_audit_query"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_stratum_audit_set_query,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_stratum_audit_loc_conf_t, query),
      NULL },

    { ngx_string("stratum_audit_field"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE2,
      ngx_stratum_audit_set_field_mode,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("stratum_audit_hash_key_file"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_stratum_audit_key_file,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_stratum_audit_module_ctx = {
    ngx_stratum_audit_add_variables,       /* preconfiguration */
    ngx_stratum_audit_init,                /* postconfiguration */

    ngx_stratum_audit_create_main_conf,    /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_stratum_audit_create_loc_conf,     /* create location configuration */
    ngx_stratum_audit_merge_loc_conf       /* merge location configuration */
};


ngx_module_t  ngx_stratum_audit_module = {
    NGX_MODULE_V1,
    &ngx_stratum_audit_module_ctx,         /* module context */
    ngx_stratum_audit_commands,            /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_stratum_audit_init_process,        /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_stratum_audit_exit_process,        /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


/* indexed by ngx_stratum_auth_result_e; empty: not a refusal */
static ngx_str_t  ngx_stratum_audit_auth_reasons[] = {
    ngx_null_string,
    ngx_null_string,
    ngx_string("token_missing"),
    ngx_string("token_malformed"),
    ngx_string("token_too_large"),
    ngx_string("bad_header"),
    ngx_string("bad_algorithm"),
    ngx_string("unknown_kid"),
    ngx_string("bad_signature"),
    ngx_string("token_expired"),
    ngx_string("token_not_yet_valid"),
    ngx_string("bad_issuer"),
    ngx_string("bad_audience"),
    ngx_string("lifetime_exceeded"),
    ngx_string("bad_claims"),
    ngx_string("mfa_required")
};


static const char  *ngx_stratum_audit_field_names[] = {
    "ip_address", "user_id", "tenant_id", "user_agent"
};


static ngx_conf_enum_t  ngx_stratum_audit_modes[] = {
    { ngx_string("keep"), NGX_STRATUM_AUDIT_KEEP },
    { ngx_string("mask"), NGX_STRATUM_AUDIT_MASK },
    { ngx_string("hash"), NGX_STRATUM_AUDIT_HASH },
    { ngx_string("omit"), NGX_STRATUM_AUDIT_OMIT },
    { ngx_null_string, 0 }
};


static ngx_http_variable_t  ngx_stratum_audit_variables[] = {

    { ngx_string("stratum_audit_undelivered"), NULL,
      ngx_stratum_audit_undelivered_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


/* each worker's events in flight to Redis, and what Redis did not get */
static ngx_queue_t  ngx_stratum_audit_pending;
static ngx_uint_t   ngx_stratum_audit_npending;
static ngx_uint_t   ngx_stratum_audit_undelivered;


static u_char  ngx_stratum_audit_zero_hash[NGX_STRATUM_AUDIT_HEX_LEN + 1] =
    "0000000000000000000000000000000000000000000000000000000000000000";


static ngx_int_t
ngx_stratum_audit_route_handler(ngx_http_request_t *r)
{
    ngx_stratum_audit_ctx_t       *ctx;
    ngx_stratum_audit_loc_conf_t  *salcf;

    salcf = ngx_http_get_module_loc_conf(r, ngx_stratum_audit_module);

    if (salcf->sinks == NULL && !salcf->event_set) {
        return NGX_DECLINED;
    }

    ctx = ngx_stratum_audit_get_ctx(r, 1);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ctx->salcf == NULL) {
        ctx->salcf = salcf;
    }

    if (salcf->event.len) {
        ctx->event = salcf->event;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "stratum audit: location noted, event \"%V\"",
                   &ctx->event);

    return NGX_DECLINED;
}


static ngx_int_t
ngx_stratum_audit_log_handler(ngx_http_request_t *r)
{
    u_char                        *line;
    size_t                         len;
    json_t                        *obj;
    ngx_str_t                     *declared;
    ngx_uint_t                     i;
    ngx_stratum_audit_ctx_t       *ctx;
    ngx_stratum_audit_sink_t      *sink;
    ngx_stratum_audit_loc_conf_t  *salcf;

    ctx = ngx_stratum_audit_get_ctx(r, 0);

    if (ctx && ctx->salcf) {
        salcf = ctx->salcf;
        declared = &ctx->event;

    } else {
        salcf = ngx_http_get_module_loc_conf(r, ngx_stratum_audit_module);
        declared = &salcf->event;
    }

    if (salcf->sinks == NULL) {
        return NGX_OK;
    }

    obj = ngx_stratum_audit_event(r, salcf, declared);
    if (obj == NULL) {
        return NGX_OK;
    }

    sink = salcf->sinks->elts;

    for (i = 0; i < salcf->sinks->nelts; i++) {
        if (sink[i].file) {
            ngx_stratum_audit_write_file(r, sink[i].file, obj);
        }
    }

    /* syslog and Redis get one line, without a file's chain fields */

    line = NULL;
    len = 0;

    for (i = 0; i < salcf->sinks->nelts; i++) {
        if (sink[i].file) {
            continue;
        }

        if (line == NULL) {
            json_object_del(obj, "seq");
            json_object_del(obj, "prev");
            json_object_del(obj, "pid");

            line = ngx_stratum_audit_dump(r, obj, &len);
            if (line == NULL) {
                ngx_stratum_log_error(NGX_LOG_ALERT, r, 0,
                                      "stratum audit: an event for syslog and "
                                      "Redis was lost: no memory");
                break;
            }
        }

        if (sink[i].syslog) {
            ngx_stratum_audit_write_syslog(r, sink[i].syslog, line, len);

        } else {
            ngx_stratum_audit_write_redis(r, sink[i].redis, line, len);
        }
    }

    json_decref(obj);

    return NGX_OK;
}


static ngx_stratum_audit_ctx_t *
ngx_stratum_audit_get_ctx(ngx_http_request_t *r, ngx_flag_t create)
{
    ngx_pool_cleanup_t       *cln;
    ngx_stratum_audit_ctx_t  *ctx;

    r = r->main;

    ctx = ngx_http_get_module_ctx(r, ngx_stratum_audit_module);
    if (ctx) {
        return ctx;
    }

    for (cln = r->pool->cleanup; cln; cln = cln->next) {
        if (cln->handler == ngx_stratum_audit_cleanup_ctx) {
            ctx = cln->data;
            ngx_http_set_ctx(r, ctx, ngx_stratum_audit_module);
            return ctx;
        }
    }

    if (!create) {
        return NULL;
    }

    cln = ngx_pool_cleanup_add(r->pool, sizeof(ngx_stratum_audit_ctx_t));
    if (cln == NULL) {
        return NULL;
    }

    ctx = cln->data;
    ngx_memzero(ctx, sizeof(ngx_stratum_audit_ctx_t));

    cln->handler = ngx_stratum_audit_cleanup_ctx;

    ngx_http_set_ctx(r, ctx, ngx_stratum_audit_module);

    return ctx;
}


static void
ngx_stratum_audit_cleanup_ctx(void *data)
{
    /* nothing to free: the handler only marks the context */
}


/* the event of the request, or NULL when it is not one */

static json_t *
ngx_stratum_audit_event(ngx_http_request_t *r,
    ngx_stratum_audit_loc_conf_t *salcf, ngx_str_t *declared)
{
    u_char                         *p, *last;
    json_t                         *obj, *truncated;
    ngx_tm_t                        tm;
    ngx_str_t                       type, reason, detail, value, ua, path;
    ngx_str_t                       query;
    ngx_int_t                       rc;
    ngx_uint_t                      status, refused;
    ngx_time_t                     *tp;
    const char                     *detail_key;
    ngx_stratum_claims_t           *claims;
    ngx_stratum_audit_main_conf_t  *samcf;
    u_char                          ts[sizeof("1970-01-01T00:00:00.000Z")];

    samcf = ngx_http_get_module_main_conf(r, ngx_stratum_audit_module);

    if (r->err_status) {
        status = r->err_status;

    } else if (r->headers_out.status) {
        status = r->headers_out.status;

    } else {
        status = 0;
    }

    claims = samcf->auth ? samcf->auth->claims(r) : NULL;

    ngx_str_null(&type);
    ngx_str_null(&reason);
    ngx_str_null(&detail);
    detail_key = NULL;
    refused = 1;

    if (claims
        && claims->result != NGX_STRATUM_AUTH_OFF
        && claims->result != NGX_STRATUM_AUTH_OK
        && (claims->result != NGX_STRATUM_AUTH_MISSING
            || status == NGX_HTTP_UNAUTHORIZED))
    {
        ngx_str_set(&type, "auth_failure");
        reason = ngx_stratum_audit_auth_reasons[claims->result];

    } else {
        if (ngx_stratum_audit_variable(r, samcf->rbac_result_index, &value)
            == NGX_OK)
        {
            if (value.len == sizeof("denied") - 1
                && ngx_strncmp(value.data, "denied", value.len) == 0)
            {
                ngx_str_set(&type, "authorization_denied");
                ngx_str_set(&reason, "permission_denied");
                detail_key = "permission";
                (void) ngx_stratum_audit_variable(r, samcf->rbac_missing_index,
                                                  &detail);

            } else if (value.len == sizeof("tenant_denied") - 1
                       && ngx_strncmp(value.data, "tenant_denied", value.len)
                          == 0)
            {
                ngx_str_set(&type, "authorization_denied");
                ngx_str_set(&reason, "tenant_denied");
            }
        }

        if (type.len == 0
            && ngx_stratum_audit_variable(r, samcf->rl_status_index, &value)
               == NGX_OK)
        {
            if (value.len == sizeof("refused") - 1
                && ngx_strncmp(value.data, "refused", value.len) == 0)
            {
                ngx_str_set(&type, "rate_limited");
                ngx_str_set(&reason, "rate_limited");

            } else if (value.len == sizeof("unavailable") - 1
                       && ngx_strncmp(value.data, "unavailable", value.len)
                          == 0
                       && status == NGX_HTTP_SERVICE_UNAVAILABLE)
            {
                ngx_str_set(&type, "rate_limited");
                ngx_str_set(&reason, "rate_limit_unavailable");
            }

            if (type.len) {
                detail_key = "zone";
                (void) ngx_stratum_audit_variable(r, samcf->rl_zone_index,
                                                  &detail);
            }
        }
    }

    if (type.len == 0) {
        refused = 0;

        if (declared->len) {
            type = *declared;

        } else if (salcf->requests) {
            ngx_str_set(&type, "request");

        } else {
            return NULL;
        }
    }

    /*
     * TODO: about 15 allocations per event (a string and a table entry
     * per field) cost ~40 % of the throughput of an empty_gif location;
     * a per-worker object whose values are updated in place would save
     * most of them
     */

    obj = json_object();
    truncated = json_array();

    if (obj == NULL || truncated == NULL) {
        goto failed;
    }

    tp = ngx_timeofday();
    ngx_gmtime(tp->sec, &tm);

    p = ngx_sprintf(ts, "%4d-%02d-%02dT%02d:%02d:%02d.%03MZ",
                    tm.ngx_tm_year, tm.ngx_tm_mon, tm.ngx_tm_mday,
                    tm.ngx_tm_hour, tm.ngx_tm_min, tm.ngx_tm_sec,
                    tp->msec);

    rc = json_object_set_new(obj, "timestamp",
                             json_stringn_nocheck((char *) ts, p - ts));

    rc |= ngx_stratum_audit_set_str(r, obj, "event_type", type.data,
                                    type.len, truncated);

    rc |= json_object_set_new(obj, "success",
                              json_boolean(!refused && status < 400));

    if (claims && claims->result == NGX_STRATUM_AUTH_OK) {
        rc |= ngx_stratum_audit_set_field(r, salcf, obj,
                                          NGX_STRATUM_AUDIT_F_USER,
                                          &claims->sub, truncated);

        rc |= ngx_stratum_audit_set_field(r, salcf, obj,
                                          NGX_STRATUM_AUDIT_F_TENANT,
                                          claims->has_tenant
                                          ? &claims->tenant_id : NULL,
                                          truncated);

        rc |= json_object_set_new(obj, "mfa_used",
                                  json_boolean(claims->mfa));

    } else {
        rc |= ngx_stratum_audit_set_field(r, salcf, obj,
                                          NGX_STRATUM_AUDIT_F_USER, NULL,
                                          truncated);
        rc |= ngx_stratum_audit_set_field(r, salcf, obj,
                                          NGX_STRATUM_AUDIT_F_TENANT, NULL,
                                          truncated);
        rc |= json_object_set_new(obj, "mfa_used", json_false());
    }

    rc |= ngx_stratum_audit_set_field(r, salcf, obj, NGX_STRATUM_AUDIT_F_IP,
                                      &r->connection->addr_text, truncated);

    if (r->headers_in.user_agent) {
        ua = r->headers_in.user_agent->value;

        if (ngx_stratum_redact_client(r->pool, &ua) != NGX_OK) {
            goto failed;
        }

        rc |= ngx_stratum_audit_set_field(r, salcf, obj,
                                          NGX_STRATUM_AUDIT_F_AGENT, &ua,
                                          truncated);

    } else {
        rc |= ngx_stratum_audit_set_field(r, salcf, obj,
                                          NGX_STRATUM_AUDIT_F_AGENT, NULL,
                                          truncated);
    }

    rc |= ngx_stratum_audit_set_str(r, obj, "method",
                                    r->method_name.data, r->method_name.len,
                                    truncated);

    /* the path the client asked for, before any internal redirect */

    p = r->unparsed_uri.data;
    last = p ? p + r->unparsed_uri.len : NULL;

    if (p) {
        p = ngx_strlchr(p, last, '?');
        if (p == NULL) {
            p = last;
        }
    }

    path.data = r->unparsed_uri.data;
    path.len = p ? (size_t) (p - path.data) : 0;

    if (ngx_stratum_redact_client(r->pool, &path) != NGX_OK) {
        goto failed;
    }

    rc |= ngx_stratum_audit_set_str(r, obj, "path", path.data, path.len,
                                    truncated);

    if (salcf->query && p && p < last) {
        query.data = p + 1;
        query.len = last - p - 1;

        if (ngx_stratum_audit_filter_query(r, salcf->query, &query)
            != NGX_OK)
        {
            goto failed;
        }

        if (query.len) {
            rc |= ngx_stratum_audit_set_str(r, obj, "query", query.data,
                                            query.len, truncated);
        }
    }

    rc |= json_object_set_new(obj, "status", json_integer(status));

    if (ngx_stratum_audit_variable(r, samcf->request_id_index, &value)
        == NGX_OK)
    {
        rc |= ngx_stratum_audit_set_str(r, obj, "request_id", value.data,
                                        value.len, truncated);
    }

    if (reason.len) {
        rc |= ngx_stratum_audit_set_str(r, obj, "reason", reason.data,
                                        reason.len, truncated);
    }

    if (detail_key && detail.len) {

        /* a permission may be made of request variables ("docs:$arg_d") */

        if (ngx_stratum_redact_client(r->pool, &detail) != NGX_OK) {
            goto failed;
        }

        rc |= ngx_stratum_audit_set_str(r, obj, detail_key, detail.data,
                                        detail.len, truncated);
    }

    if (refused && declared->len) {
        rc |= ngx_stratum_audit_set_str(r, obj, "declared_event",
                                        declared->data, declared->len,
                                        truncated);
    }

    if (json_array_size(truncated)) {
        rc |= json_object_set(obj, "truncated", truncated);
    }

    json_decref(truncated);
    truncated = NULL;

    if (rc != 0) {
        goto failed;
    }

    return obj;

failed:

    ngx_stratum_log_error(NGX_LOG_ALERT, r, 0,
                          "stratum audit: event not built: out of memory");

    if (obj) {
        json_decref(obj);
    }

    if (truncated) {
        json_decref(truncated);
    }

    return NULL;
}


/* a client-supplied string, made valid UTF-8 and capped */

/*
 * a query string as the event keeps it: only the arguments the location
 * names (a query string may carry any credential), in their order; the
 * value of one that still carries a credential, by its name or because
 * it is a JOSE token, becomes [redacted]
 */

static ngx_int_t
ngx_stratum_audit_filter_query(ngx_http_request_t *r, ngx_array_t *names,
    ngx_str_t *query)
{
    u_char      *p, *last, *arg, *eq, *end, *out, *o;
    size_t       len;
    ngx_int_t    rc;
    ngx_str_t   *name;
    ngx_uint_t   i;

    static u_char  redacted[] = "[redacted]";

    p = query->data;
    last = p + query->len;

    /* a kept argument takes at least 3 bytes ("a=&") and may grow by 10 */

    out = ngx_pnalloc(r->pool, query->len
                               + (query->len / 2 + 1) * (sizeof(redacted) - 1));
    if (out == NULL) {
        return NGX_ERROR;
    }

    o = out;

    for (arg = p; arg < last; arg = end + 1) {
        end = ngx_strlchr(arg, last, '&');
        if (end == NULL) {
            end = last;
        }

        eq = ngx_strlchr(arg, end, '=');
        len = (eq ? eq : end) - arg;

        name = names->elts;

        for (i = 0; i < names->nelts; i++) {
            if (name[i].len == len
                && ngx_strncasecmp(name[i].data, arg, len) == 0)
            {
                break;
            }
        }

        if (i == names->nelts) {
            continue;
        }

        if (o > out) {
            *o++ = '&';
        }

        rc = (eq == NULL) ? 0
                          : ngx_stratum_audit_secret_arg(r, arg, len, eq + 1,
                                                         end - eq - 1);
        if (rc == NGX_ERROR) {
            return NGX_ERROR;
        }

        if (rc == 0) {
            o = ngx_cpymem(o, arg, end - arg);
            continue;
        }

        o = ngx_cpymem(o, arg, len + 1);
        o = ngx_cpymem(o, redacted, sizeof(redacted) - 1);
    }

    query->data = out;
    query->len = o - out;

    return NGX_OK;
}


/* 1: a credential, by its name or its value, as the application reads them */

static ngx_int_t
ngx_stratum_audit_secret_arg(ngx_http_request_t *r, u_char *name, size_t len,
    u_char *value, size_t vlen)
{
    if (ngx_stratum_redact_credential_name(name, len)) {
        return 1;
    }

    /*
     * the value: a token anywhere in it, "Bearer <token>", quoted, or
     * between other text, is a run of base64url characters
     */

    if (ngx_stratum_redact_holds_token(value, value + vlen)) {
        return 1;
    }

    return ngx_stratum_redact_secret(r->pool, value, vlen);
}


static ngx_int_t
ngx_stratum_audit_set_str(ngx_http_request_t *r, json_t *obj,
    const char *key, u_char *data, size_t len, json_t *truncated)
{
    u_char      *buf;
    size_t       n;
    ngx_flag_t   cut;

    if (data == NULL) {
        return json_object_set_new(obj, key, json_null());
    }

    /* 3 bytes of slack: one U+FFFD may overshoot by that much */
    buf = ngx_pnalloc(r->pool, ngx_min(len * 3, NGX_STRATUM_AUDIT_FIELD_MAX)
                               + 4);
    if (buf == NULL) {
        return -1;
    }

    cut = 0;
    n = ngx_stratum_audit_utf8(buf, data, len, NGX_STRATUM_AUDIT_FIELD_MAX,
                               &cut);

    if (cut && json_array_append_new(truncated, json_string(key)) != 0) {
        return -1;
    }

    return json_object_set_new(obj, key,
                               json_stringn_nocheck((char *) buf, n));
}


static ngx_int_t
ngx_stratum_audit_set_field(ngx_http_request_t *r,
    ngx_stratum_audit_loc_conf_t *salcf, json_t *obj, ngx_uint_t field,
    ngx_str_t *value, json_t *truncated)
{
    ngx_str_t    out;
    const char  *key;

    key = ngx_stratum_audit_field_names[field];

    switch (salcf->modes[field]) {

    case NGX_STRATUM_AUDIT_OMIT:
        return 0;

    case NGX_STRATUM_AUDIT_MASK:
        if (value && ngx_stratum_audit_mask(r, field, value, &out) != NGX_OK)
        {
            return -1;
        }

        break;

    case NGX_STRATUM_AUDIT_HASH:
        if (value && ngx_stratum_audit_hash(r, value, &out) != NGX_OK) {
            return -1;
        }

        break;

    default: /* NGX_STRATUM_AUDIT_KEEP */
        if (value) {
            out = *value;
        }
    }

    if (value == NULL) {
        return json_object_set_new(obj, key, json_null());
    }

    return ngx_stratum_audit_set_str(r, obj, key, out.data, out.len,
                                     truncated);
}


/*
 * copies at most max bytes of valid UTF-8 (RFC 3629: no overlong forms,
 * no surrogates, nothing above U+10FFFF), each invalid byte replaced by
 * U+FFFD; dst holds max + 3 bytes
 */

static size_t
ngx_stratum_audit_utf8(u_char *dst, u_char *src, size_t len, size_t max,
    ngx_flag_t *truncated)
{
    u_char      c, *d, *end;
    size_t      n, i;
    uint32_t    cp, min;

    d = dst;
    end = src + len;

    while (src < end) {
        c = *src;

        if (c < 0x80) {
            n = 1;
            cp = c;
            min = 0;

        } else if ((c & 0xe0) == 0xc0) {
            n = 2;
            cp = c & 0x1f;
            min = 0x80;

        } else if ((c & 0xf0) == 0xe0) {
            n = 3;
            cp = c & 0x0f;
            min = 0x800;

        } else if ((c & 0xf8) == 0xf0) {
            n = 4;
            cp = c & 0x07;
            min = 0x10000;

        } else {
            goto invalid;
        }

        if ((size_t) (end - src) < n) {
            goto invalid;
        }

        for (i = 1; i < n; i++) {
            if ((src[i] & 0xc0) != 0x80) {
                goto invalid;
            }

            cp = (cp << 6) | (src[i] & 0x3f);
        }

        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
            goto invalid;
        }

        if ((size_t) (d - dst) + n > max) {
            *truncated = 1;
            break;
        }

        d = ngx_cpymem(d, src, n);
        src += n;

        continue;

    invalid:

        if ((size_t) (d - dst) + 3 > max) {
            *truncated = 1;
            break;
        }

        *d++ = 0xef;
        *d++ = 0xbf;
        *d++ = 0xbd;
        src++;
    }

    return d - dst;
}


/*
 * ip_address: 203.0.113.x, or the /48 of an IPv6 address; user_id and
 * tenant_id: up to two leading ASCII characters, then "***", then the
 * domain of an e-mail-like value
 */

static ngx_int_t
ngx_stratum_audit_mask(ngx_http_request_t *r, ngx_uint_t field,
    ngx_str_t *value, ngx_str_t *out)
{
    u_char               *p, *a, *at;
    size_t                keep;
    struct sockaddr_in   *sin;
#if (NGX_HAVE_INET6)
    struct sockaddr_in6  *sin6;
#endif

    if (field == NGX_STRATUM_AUDIT_F_IP) {
        p = ngx_pnalloc(r->pool, NGX_INET6_ADDRSTRLEN + sizeof("::/48"));
        if (p == NULL) {
            return NGX_ERROR;
        }

        out->data = p;

        switch (r->connection->sockaddr->sa_family) {

        case AF_INET:
            sin = (struct sockaddr_in *) r->connection->sockaddr;
            a = (u_char *) &sin->sin_addr;
            out->len = ngx_sprintf(p, "%ud.%ud.%ud.x", a[0], a[1], a[2]) - p;
            return NGX_OK;

#if (NGX_HAVE_INET6)
        case AF_INET6:
            sin6 = (struct sockaddr_in6 *) r->connection->sockaddr;
            a = sin6->sin6_addr.s6_addr;

            if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
                out->len = ngx_sprintf(p, "%ud.%ud.%ud.x",
                                       a[12], a[13], a[14]) - p;
                return NGX_OK;
            }

            out->len = ngx_sprintf(p, "%xd:%xd:%xd::/48",
                                   (a[0] << 8) | a[1], (a[2] << 8) | a[3],
                                   (a[4] << 8) | a[5]) - p;
            return NGX_OK;
#endif

        default:
            ngx_str_set(out, "x");
            return NGX_OK;
        }
    }

    at = ngx_strlchr(value->data, value->data + value->len, '@');

    keep = 0;

    while (keep < 2
           && keep < (at ? (size_t) (at - value->data) : value->len / 2)
           && value->data[keep] < 0x80)
    {
        keep++;
    }

    p = ngx_pnalloc(r->pool, value->len + sizeof("***"));
    if (p == NULL) {
        return NGX_ERROR;
    }

    out->data = p;

    p = ngx_cpymem(p, value->data, keep);
    p = ngx_cpymem(p, "***", 3);

    if (at) {
        p = ngx_cpymem(p, at, value->data + value->len - at);
    }

    out->len = p - out->data;

    return NGX_OK;
}


/* HMAC-SHA-256 with the configured key, in hex */

static ngx_int_t
ngx_stratum_audit_hash(ngx_http_request_t *r, ngx_str_t *value,
    ngx_str_t *out)
{
    u_char                         *p;
    unsigned int                    n;
    ngx_stratum_audit_main_conf_t  *samcf;
    u_char                          md[EVP_MAX_MD_SIZE];

    samcf = ngx_http_get_module_main_conf(r, ngx_stratum_audit_module);

    if (HMAC(EVP_sha256(), samcf->key.data, (int) samcf->key.len,
             value->data, value->len, md, &n)
        == NULL)
    {
        ngx_stratum_log_error(NGX_LOG_ALERT, r, 0,
                              "stratum audit: HMAC() failed");
        return NGX_ERROR;
    }

    p = ngx_pnalloc(r->pool, n * 2);
    if (p == NULL) {
        return NGX_ERROR;
    }

    out->data = p;
    out->len = ngx_hex_dump(p, md, n) - p;

    return NGX_OK;
}


static ngx_int_t
ngx_stratum_audit_variable(ngx_http_request_t *r, ngx_int_t index,
    ngx_str_t *value)
{
    ngx_http_variable_value_t  *vv;

    if (index == NGX_ERROR) {
        return NGX_DECLINED;
    }

    vv = ngx_http_get_indexed_variable(r, index);

    if (vv == NULL || vv->not_found) {
        return NGX_DECLINED;
    }

    value->data = vv->data;
    value->len = vv->len;

    return NGX_OK;
}


/* the event as one line, newline included */

static u_char *
ngx_stratum_audit_dump(ngx_http_request_t *r, json_t *obj, size_t *len)
{
    u_char  *buf;
    size_t   size, n;

    size = 1024;

    for ( ;; ) {
        buf = ngx_pnalloc(r->pool, size + 1);
        if (buf == NULL) {
            return NULL;
        }

        n = json_dumpb(obj, (char *) buf, size, JSON_COMPACT);

        if (n == 0) {
            ngx_stratum_log_error(NGX_LOG_ALERT, r, 0,
                                  "stratum audit: json_dumpb() failed");
            return NULL;
        }

        if (n <= size) {
            break;
        }

        size = n;
    }

    buf[n++] = '\n';
    *len = n;

    return buf;
}


static void
ngx_stratum_audit_write_file(ngx_http_request_t *r, ngx_open_file_t *file,
    json_t *obj)
{
    u_char                   *line;
    size_t                    len;
    ngx_stratum_audit_buf_t  *buf;
    u_char                    md[SHA256_DIGEST_LENGTH];

    buf = file->data;

    if (buf->chain) {
        if (json_object_set_new(obj, "pid", json_integer(ngx_pid)) != 0
            || json_object_set_new(obj, "seq",
                                   json_integer((json_int_t) buf->seq + 1))
               != 0
            || json_object_set_new(obj, "prev",
                                   json_stringn_nocheck((char *) buf->prev,
                                                NGX_STRATUM_AUDIT_HEX_LEN))
               != 0)
        {
            return;
        }
    }

    line = ngx_stratum_audit_dump(r, obj, &len);
    if (line == NULL) {
        buf->lost++;
        return;
    }

    if (buf->chain) {
        buf->seq++;
        SHA256(line, len - 1, md);
        ngx_hex_dump(buf->prev, md, SHA256_DIGEST_LENGTH);
    }

    if (buf->start == NULL) {
        ngx_stratum_audit_write(file, ngx_cycle->log, line, len);
        return;
    }

    if (len > (size_t) (buf->last - buf->pos)) {
        ngx_stratum_audit_flush(file, ngx_cycle->log);
    }

    if (len > (size_t) (buf->last - buf->pos)) {
        /* longer than the whole buffer */
        ngx_stratum_audit_write(file, ngx_cycle->log, line, len);
        return;
    }

    buf->pos = ngx_cpymem(buf->pos, line, len);

    if (buf->event && !buf->event->timer_set) {
        ngx_add_timer(buf->event, buf->flush);
    }
}


static void
ngx_stratum_audit_write_syslog(ngx_http_request_t *r,
    ngx_syslog_peer_t *peer, u_char *line, size_t len)
{
    u_char  *buf, *p;

    if (peer->busy) {
        return;
    }

    /* PRI and HEADER of an RFC 3164 message, as nginx writes them */
    buf = ngx_pnalloc(r->pool, sizeof("<255>Jan 01 00:00:00 ") - 1
                               + ngx_cycle->hostname.len + 1
                               + peer->tag.len + 2 + len);
    if (buf == NULL) {
        return;
    }

    p = ngx_syslog_add_header(peer, buf);

    /* no newline in a datagram */
    p = ngx_cpymem(p, line, len - 1);

    peer->busy = 1;
    (void) ngx_syslog_send(peer, buf, p - buf);
    peer->busy = 0;
}


/* whole lines only, in one write() on a file opened with O_APPEND */

static void
ngx_stratum_audit_write(ngx_open_file_t *file, ngx_log_t *log, u_char *data,
    size_t len)
{
    u_char                   *p;
    ssize_t                   n;
    ngx_err_t                 err;
    ngx_uint_t                lines;
    ngx_stratum_audit_buf_t  *buf;

    buf = file->data;

    n = ngx_write_fd(file->fd, data, len);

    if ((size_t) n == len) {
        return;
    }

    err = (n == -1) ? ngx_errno : 0;

    lines = 0;

    for (p = data; p < data + len; p++) {
        if (*p == '\n') {
            lines++;
        }
    }

    buf->lost += lines;

    /* at most one line a second in the error log */

    if (ngx_time() == buf->error_time) {
        return;
    }

    buf->error_time = ngx_time();

    if (n == -1) {
        ngx_log_error(NGX_LOG_ALERT, log, err,
                      ngx_write_fd_n " to \"%s\" failed, %ui audit events "
                      "lost so far", file->name.data, buf->lost);

    } else {
        ngx_log_error(NGX_LOG_ALERT, log, 0,
                      ngx_write_fd_n " to \"%s\" was incomplete: %z of %uz, "
                      "%ui audit events lost so far",
                      file->name.data, n, len, buf->lost);
    }
}


static void
ngx_stratum_audit_flush(ngx_open_file_t *file, ngx_log_t *log)
{
    ngx_stratum_audit_buf_t  *buf;

    buf = file->data;

    if (buf->start && buf->pos > buf->start) {
        ngx_stratum_audit_write(file, log, buf->start, buf->pos - buf->start);
        buf->pos = buf->start;
    }

    if (buf->event && buf->event->timer_set) {
        ngx_del_timer(buf->event);
    }
}


static void
ngx_stratum_audit_flush_handler(ngx_event_t *ev)
{
    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, ev->log, 0,
                   "stratum audit: flush timer");

    ngx_stratum_audit_flush(ev->data, ev->log);
}


/*
 * XADD STREAM MAXLEN ~ N * event LINE, answered later: the line waits in
 * the worker's memory until Redis has taken it, and goes to the sink's
 * fallback file when Redis refuses it, does not answer in time, or is
 * known to be down (the client's breaker answers at once then)
 */

static void
ngx_stratum_audit_write_redis(ngx_http_request_t *r,
    ngx_stratum_audit_redis_t *rs, u_char *line, size_t len)
{
    size_t                          argvlen[8];
    ngx_int_t                       rc;
    const char                     *argv[8];
    ngx_stratum_redis_query_t      *query;
    ngx_stratum_audit_pending_t    *p;
    ngx_stratum_audit_main_conf_t  *samcf;

    /* Redis is slower than the events: not an outage, the sink stays up */

    if (ngx_stratum_audit_npending >= NGX_STRATUM_AUDIT_REDIS_PENDING) {
        ngx_stratum_audit_spool(rs, ngx_cycle->log, line, len,
                                "too many events in flight", 0);
        return;
    }

    p = ngx_alloc(offsetof(ngx_stratum_audit_pending_t, line) + len,
                  ngx_cycle->log);
    if (p == NULL) {
        ngx_stratum_audit_spool(rs, ngx_cycle->log, line, len,
                                "no memory", 0);
        return;
    }

    p->sink = rs;
    p->len = len;
    ngx_memcpy(p->line, line, len);

    argv[0] = "XADD";
    argvlen[0] = sizeof("XADD") - 1;
    argv[1] = (char *) rs->stream.data;
    argvlen[1] = rs->stream.len;
    argv[2] = "MAXLEN";
    argvlen[2] = sizeof("MAXLEN") - 1;
    argv[3] = "~";
    argvlen[3] = 1;
    argv[4] = (char *) rs->maxlen.data;
    argvlen[4] = rs->maxlen.len;
    argv[5] = "*";
    argvlen[5] = 1;
    argv[6] = "event";
    argvlen[6] = sizeof("event") - 1;
    argv[7] = (char *) p->line;
    argvlen[7] = len - 1;

    samcf = ngx_http_get_module_main_conf(r, ngx_stratum_audit_module);

    rc = samcf->redis->query(8, argv, argvlen,
                             ngx_stratum_audit_redis_handler, p, &query);

    if (rc != NGX_OK) {
        ngx_free(p);
        ngx_stratum_audit_spool(rs, ngx_cycle->log, line, len,
                                rc == NGX_DECLINED ? "Redis is down"
                                                   : "no memory",
                                rc == NGX_DECLINED);
        return;
    }

    ngx_queue_insert_tail(&ngx_stratum_audit_pending, &p->queue);
    ngx_stratum_audit_npending++;
}


static void
ngx_stratum_audit_redis_handler(void *data, redisReply *reply)
{
    ngx_stratum_audit_pending_t *p = data;

    u_char                      why[128];
    ngx_stratum_audit_redis_t  *rs;

    ngx_queue_remove(&p->queue);
    ngx_stratum_audit_npending--;

    rs = p->sink;

    if (reply == NULL) {
        ngx_stratum_audit_spool(rs, ngx_cycle->log, p->line, p->len,
                                "Redis unreachable or too slow", 1);

    } else if (reply->type == REDIS_REPLY_ERROR) {
        ngx_cpystrn(why, (u_char *) reply->str,
                    ngx_min((size_t) reply->len + 1, sizeof(why)));

        ngx_stratum_audit_spool(rs, ngx_cycle->log, p->line, p->len,
                                (char *) why, 1);

    } else if (reply->type != REDIS_REPLY_STRING) {
        ngx_stratum_audit_spool(rs, ngx_cycle->log, p->line, p->len,
                                "an unexpected reply", 1);

    } else if (rs->down) {
        ngx_log_error(NGX_LOG_NOTICE, ngx_cycle->log, 0,
                      "stratum audit: Redis stream \"%V\" takes events "
                      "again, %ui went to \"%s\" meanwhile",
                      &rs->stream, rs->spooled, rs->fallback->name.data);

        rs->down = 0;
        rs->spooled = 0;
    }

    ngx_free(p);
}


/*
 * an event that Redis did not take: into the fallback file, counted.
 * "down": Redis failed, which is logged once until it takes events
 * again; otherwise (a full queue, no memory, the worker exiting) at most
 * one line a second
 */

static void
ngx_stratum_audit_spool(ngx_stratum_audit_redis_t *rs, ngx_log_t *log,
    u_char *line, size_t len, const char *why, ngx_uint_t down)
{
    ngx_stratum_audit_undelivered++;

    if (down || rs->down) {
        rs->spooled++;
    }

    if (down && !rs->down) {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "stratum audit: Redis stream \"%V\" did not take an "
                      "event (%s), events go to \"%s\" until it does",
                      &rs->stream, why, rs->fallback->name.data);
        rs->down = 1;

    } else if (!down && ngx_time() != rs->warn_time) {
        rs->warn_time = ngx_time();

        ngx_log_error(NGX_LOG_WARN, log, 0,
                      "stratum audit: an event for Redis stream \"%V\" "
                      "went to \"%s\" (%s), %ui so far in this worker",
                      &rs->stream, rs->fallback->name.data, why,
                      ngx_stratum_audit_undelivered);
    }

    ngx_stratum_audit_write(rs->fallback, log, line, len);
}


static ngx_int_t
ngx_stratum_audit_undelivered_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    u_char  *p;

    p = ngx_pnalloc(r->pool, NGX_INT_T_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    v->len = ngx_sprintf(p, "%ui", ngx_stratum_audit_undelivered) - p;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;
    v->data = p;

    return NGX_OK;
}


static void *
ngx_stratum_audit_create_main_conf(ngx_conf_t *cf)
{
    ngx_stratum_audit_main_conf_t  *samcf;

    samcf = ngx_pcalloc(cf->pool, sizeof(ngx_stratum_audit_main_conf_t));
    if (samcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     samcf->key = { 0, NULL };
     *     samcf->auth = NULL;
     */

    samcf->request_id_index = NGX_ERROR;
    samcf->rbac_result_index = NGX_ERROR;
    samcf->rbac_missing_index = NGX_ERROR;
    samcf->rl_status_index = NGX_ERROR;
    samcf->rl_zone_index = NGX_ERROR;

    return samcf;
}


static void *
ngx_stratum_audit_create_loc_conf(ngx_conf_t *cf)
{
    ngx_uint_t                     i;
    ngx_stratum_audit_loc_conf_t  *salcf;

    salcf = ngx_pcalloc(cf->pool, sizeof(ngx_stratum_audit_loc_conf_t));
    if (salcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     salcf->sinks = NULL;
     *     salcf->off = 0;
     *     salcf->event = { 0, NULL };
     *     salcf->event_set = 0;
     */

    salcf->requests = NGX_CONF_UNSET;
    salcf->query = NGX_CONF_UNSET_PTR;

    for (i = 0; i < NGX_STRATUM_AUDIT_NFIELDS; i++) {
        salcf->modes[i] = NGX_CONF_UNSET_UINT;
    }

    return salcf;
}


static char *
ngx_stratum_audit_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_stratum_audit_loc_conf_t *prev = parent;
    ngx_stratum_audit_loc_conf_t *conf = child;

    ngx_uint_t                      i;
    ngx_stratum_audit_main_conf_t  *samcf;

    if (conf->sinks == NULL && !conf->off) {
        conf->sinks = prev->sinks;
        conf->off = prev->off;
    }

    if (!conf->event_set) {
        conf->event = prev->event;
        conf->event_set = prev->event_set;
    }

    ngx_conf_merge_value(conf->requests, prev->requests, 0);
    ngx_conf_merge_ptr_value(conf->query, prev->query, NULL);

    samcf = ngx_http_conf_get_module_main_conf(cf, ngx_stratum_audit_module);

    for (i = 0; i < NGX_STRATUM_AUDIT_NFIELDS; i++) {
        ngx_conf_merge_uint_value(conf->modes[i], prev->modes[i],
                                  NGX_STRATUM_AUDIT_KEEP);

        if (conf->modes[i] == NGX_STRATUM_AUDIT_HASH
            && samcf->key.len == 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"stratum_audit_field %s hash\" needs "
                               "\"stratum_audit_hash_key_file\"",
                               ngx_stratum_audit_field_names[i]);
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


/*
 * stratum_audit_log PATH [buffer=SIZE [flush=TIME]] [chain]
 *                 | syslog:... | redis:STREAM fallback=PATH [maxlen=N] | off
 */

static char *
ngx_stratum_audit_log(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_stratum_audit_loc_conf_t *salcf = conf;

    ssize_t                    size;
    ngx_str_t                 *value, s, maxlen, fallback;
    ngx_uint_t                 i, chain;
    ngx_msec_t                 flush;
    ngx_syslog_peer_t         *peer;
    ngx_stratum_audit_sink_t  *sink;

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        if (cf->args->nelts != 2) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\"", &value[2]);
            return NGX_CONF_ERROR;
        }

        if (salcf->sinks) {
            return "is duplicate";
        }

        salcf->off = 1;
        return NGX_CONF_OK;
    }

    if (salcf->off) {
        return "is duplicate";
    }

    size = 0;
    flush = 0;
    chain = 0;
    ngx_str_null(&maxlen);
    ngx_str_null(&fallback);

    for (i = 2; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "maxlen=", 7) == 0) {
            if (maxlen.len) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "duplicate \"maxlen\"");
                return NGX_CONF_ERROR;
            }

            maxlen.len = value[i].len - 7;
            maxlen.data = value[i].data + 7;

            if (maxlen.len == 0 || ngx_atoi(maxlen.data, maxlen.len) <= 0) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid maxlen \"%V\", it must be a "
                                   "number of entries above 0", &maxlen);
                return NGX_CONF_ERROR;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "fallback=", 9) == 0) {
            if (fallback.len) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "duplicate \"fallback\"");
                return NGX_CONF_ERROR;
            }

            fallback.len = value[i].len - 9;
            fallback.data = value[i].data + 9;

            if (fallback.len == 0) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "empty fallback file name");
                return NGX_CONF_ERROR;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "buffer=", 7) == 0) {
            s.len = value[i].len - 7;
            s.data = value[i].data + 7;

            size = ngx_parse_size(&s);

            if (size <= 0 || size > 16 * 1024 * 1024) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid buffer size \"%V\"", &s);
                return NGX_CONF_ERROR;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "flush=", 6) == 0) {
            s.len = value[i].len - 6;
            s.data = value[i].data + 6;

            flush = ngx_parse_time(&s, 0);

            if (flush == (ngx_msec_t) NGX_ERROR || flush == 0) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid flush time \"%V\"", &s);
                return NGX_CONF_ERROR;
            }

            continue;
        }

        if (ngx_strcmp(value[i].data, "chain") == 0) {
            chain = 1;
            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\"", &value[i]);
        return NGX_CONF_ERROR;
    }

    if (flush && size == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"flush\" needs \"buffer\"");
        return NGX_CONF_ERROR;
    }

    if (salcf->sinks == NULL) {
        salcf->sinks = ngx_array_create(cf->pool, 1,
                                        sizeof(ngx_stratum_audit_sink_t));
        if (salcf->sinks == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    sink = ngx_array_push(salcf->sinks);
    if (sink == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(sink, sizeof(ngx_stratum_audit_sink_t));

    if ((maxlen.len || fallback.len)
        && ngx_strncmp(value[1].data, "redis:", 6) != 0)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"maxlen\" and \"fallback\" are for "
                           "\"redis:\" sinks only");
        return NGX_CONF_ERROR;
    }

    if (ngx_strncmp(value[1].data, "syslog:", 7) == 0) {
        if (size || chain) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"buffer\", \"flush\" and \"chain\" are "
                               "for files only");
            return NGX_CONF_ERROR;
        }

        peer = ngx_pcalloc(cf->pool, sizeof(ngx_syslog_peer_t));
        if (peer == NULL) {
            return NGX_CONF_ERROR;
        }

        if (ngx_syslog_process_conf(cf, peer) != NGX_CONF_OK) {
            return NGX_CONF_ERROR;
        }

        sink->syslog = peer;

        return NGX_CONF_OK;
    }

    if (ngx_strncmp(value[1].data, "redis:", 6) == 0) {
        if (size || chain) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"buffer\", \"flush\" and \"chain\" are "
                               "for files only");
            return NGX_CONF_ERROR;
        }

        sink->redis = ngx_stratum_audit_redis_sink(cf, &value[1],
                                                   &maxlen, &fallback);
        if (sink->redis == NULL) {
            return NGX_CONF_ERROR;
        }

        return NGX_CONF_OK;
    }

    sink->file = ngx_stratum_audit_open_file(cf, &value[1], size, flush,
                                             chain);
    if (sink->file == NULL) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/*
 * a file sink, or the fallback of a Redis sink: one ngx_open_file_t for
 * each path, whatever locations share it, which nginx reopens
 */

static ngx_open_file_t *
ngx_stratum_audit_open_file(ngx_conf_t *cf, ngx_str_t *name, ssize_t size,
    ngx_msec_t flush, ngx_uint_t chain)
{
    ngx_open_file_t          *file;
    ngx_stratum_audit_buf_t  *buf;

    if (name->len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "empty file name");
        return NULL;
    }

    file = ngx_conf_open_file(cf->cycle, name);
    if (file == NULL) {
        return NULL;
    }

    if (file->data) {
        buf = file->data;

        if (file->flush != ngx_stratum_audit_flush) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\" is written by another module", name);
            return NULL;
        }

        if ((size_t) size != (size_t) (buf->last - buf->start)
            || flush != buf->flush
            || chain != buf->chain)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\" is already used with other "
                               "parameters", name);
            return NULL;
        }

        return file;
    }

    buf = ngx_pcalloc(cf->pool, sizeof(ngx_stratum_audit_buf_t));
    if (buf == NULL) {
        return NULL;
    }

    if (size) {
        buf->start = ngx_pnalloc(cf->pool, size);
        if (buf->start == NULL) {
            return NULL;
        }

        buf->pos = buf->start;
        buf->last = buf->start + size;
    }

    if (flush) {
        buf->event = ngx_pcalloc(cf->pool, sizeof(ngx_event_t));
        if (buf->event == NULL) {
            return NULL;
        }

        buf->event->data = file;
        buf->event->handler = ngx_stratum_audit_flush_handler;
        buf->event->log = &cf->cycle->new_log;
        buf->event->cancelable = 1;

        buf->flush = flush;
    }

    buf->chain = chain;
    ngx_memcpy(buf->prev, ngx_stratum_audit_zero_hash,
               NGX_STRATUM_AUDIT_HEX_LEN);

    /* nginx calls it before a reopen and when a worker exits */
    file->flush = ngx_stratum_audit_flush;
    file->data = buf;

    return file;
}


/* "redis:STREAM": the Redis client is the rate-limit module's */

static ngx_stratum_audit_redis_t *
ngx_stratum_audit_redis_sink(ngx_conf_t *cf, ngx_str_t *name,
    ngx_str_t *maxlen, ngx_str_t *fallback)
{
    ngx_stratum_audit_redis_t      *rs, **rsp;
    ngx_stratum_audit_main_conf_t  *samcf;

    samcf = ngx_http_conf_get_module_main_conf(cf, ngx_stratum_audit_module);

    if (samcf->redis == NULL) {
        samcf->redis = ngx_stratum_redis_api(cf);

        if (samcf->redis == NULL) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\" needs the Redis client of "
                               NGX_STRATUM_REDIS_MODULE_NAME ", which is "
                               "not loaded", name);
            return NULL;
        }
    }

    rs = ngx_pcalloc(cf->pool, sizeof(ngx_stratum_audit_redis_t));
    if (rs == NULL) {
        return NULL;
    }

    rs->stream.len = name->len - 6;
    rs->stream.data = name->data + 6;

    if (rs->stream.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "no stream name in \"%V\"", name);
        return NULL;
    }

    /* a maxlen given is checked where it is read */

    if (maxlen->len) {
        rs->maxlen = *maxlen;

    } else {
        ngx_str_set(&rs->maxlen, NGX_STRATUM_AUDIT_REDIS_MAXLEN);
    }

    /* where events go that Redis does not take: never nowhere */

    if (fallback->len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" needs \"fallback=FILE\", where events "
                           "go while Redis does not take them", name);
        return NULL;
    }

    rs->fallback = ngx_stratum_audit_open_file(cf, fallback, 0, 0, 0);
    if (rs->fallback == NULL) {
        return NULL;
    }

    rs->file = cf->conf_file->file.name.data;
    rs->line = cf->conf_file->line;

    /* whether a Redis server is set is known once the settings merge */

    if (samcf->redis_sinks == NULL) {
        samcf->redis_sinks = ngx_array_create(cf->pool, 1,
                                        sizeof(ngx_stratum_audit_redis_t *));
        if (samcf->redis_sinks == NULL) {
            return NULL;
        }
    }

    rsp = ngx_array_push(samcf->redis_sinks);
    if (rsp == NULL) {
        return NULL;
    }

    *rsp = rs;

    return rs;
}


/* stratum_audit_query ARG ... | off */

static char *
ngx_stratum_audit_set_query(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_stratum_audit_loc_conf_t *salcf = conf;

    ngx_str_t   *value, *name;
    ngx_uint_t   i;

    if (salcf->query != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (cf->args->nelts == 2
        && ngx_strcasecmp(value[1].data, (u_char *) "off") == 0)
    {
        salcf->query = NULL;
        return NGX_CONF_OK;
    }

    salcf->query = ngx_array_create(cf->pool, cf->args->nelts - 1,
                                    sizeof(ngx_str_t));
    if (salcf->query == NULL) {
        return NGX_CONF_ERROR;
    }

    for (i = 1; i < cf->args->nelts; i++) {
        if (ngx_strcasecmp(value[i].data, (u_char *) "on") == 0
            || ngx_strcasecmp(value[i].data, (u_char *) "off") == 0)
        {
            return "takes the names of the arguments to record, not "
                   "\"on\": a query string may carry credentials";
        }

        if (value[i].len == 0
            || ngx_strlchr(value[i].data, value[i].data + value[i].len, '&')
            || ngx_strlchr(value[i].data, value[i].data + value[i].len, '='))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid argument name \"%V\" in "
                               "\"stratum_audit_query\"", &value[i]);
            return NGX_CONF_ERROR;
        }

        name = ngx_array_push(salcf->query);
        if (name == NULL) {
            return NGX_CONF_ERROR;
        }

        *name = value[i];
    }

    return NGX_CONF_OK;
}


static char *
ngx_stratum_audit_set_event(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_stratum_audit_loc_conf_t *salcf = conf;

    u_char     c;
    ngx_str_t  *value;
    ngx_uint_t  i;

    if (salcf->event_set) {
        return "is duplicate";
    }

    value = cf->args->elts;

    salcf->event_set = 1;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        return NGX_CONF_OK;
    }

    if (value[1].len == 0 || value[1].len > NGX_STRATUM_AUDIT_EVENT_MAX) {
        goto invalid;
    }

    for (i = 0; i < value[1].len; i++) {
        c = value[1].data[i];

        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
              || c == '_' || c == '.' || c == '-'))
        {
            goto invalid;
        }
    }

    salcf->event = value[1];

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid event name \"%V\": 1 to %d of a-z, 0-9, "
                       "\"_\", \".\" and \"-\"", &value[1],
                       NGX_STRATUM_AUDIT_EVENT_MAX);

    return NGX_CONF_ERROR;
}


static char *
ngx_stratum_audit_set_field_mode(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_stratum_audit_loc_conf_t *salcf = conf;

    ngx_str_t         *value;
    ngx_uint_t         i, field;
    ngx_conf_enum_t   *e;

    value = cf->args->elts;

    for (field = 0; field < NGX_STRATUM_AUDIT_NFIELDS; field++) {
        if (ngx_strcmp(value[1].data, ngx_stratum_audit_field_names[field])
            == 0)
        {
            break;
        }
    }

    if (field == NGX_STRATUM_AUDIT_NFIELDS) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid field \"%V\": ip_address, user_id, "
                           "tenant_id or user_agent", &value[1]);
        return NGX_CONF_ERROR;
    }

    if (salcf->modes[field] != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    e = ngx_stratum_audit_modes;

    for (i = 0; e[i].name.len; i++) {
        if (e[i].name.len == value[2].len
            && ngx_strcmp(e[i].name.data, value[2].data) == 0)
        {
            break;
        }
    }

    if (e[i].name.len == 0
        || (field == NGX_STRATUM_AUDIT_F_AGENT
            && e[i].value == NGX_STRATUM_AUDIT_MASK))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid mode \"%V\" for \"%V\"",
                           &value[2], &value[1]);
        return NGX_CONF_ERROR;
    }

    salcf->modes[field] = e[i].value;

    return NGX_CONF_OK;
}


static char *
ngx_stratum_audit_key_file(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_stratum_audit_main_conf_t *samcf = conf;

    size_t      len;
    ngx_str_t  *value, name, data;

    if (samcf->key.data) {
        return "is duplicate";
    }

    value = cf->args->elts;
    name = value[1];

    if (ngx_stratum_conf_read_file(cf, &name, "hash key file",
                                   NGX_STRATUM_AUDIT_KEY_MAX, cf->pool, &data)
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    len = data.len;

    /* a final newline is not part of the key */
    while (len && (data.data[len - 1] == '\n' || data.data[len - 1] == '\r')) {
        len--;
    }

    if (len < NGX_STRATUM_AUDIT_KEY_MIN) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "hash key in \"%V\" is shorter than %d bytes",
                           &name, NGX_STRATUM_AUDIT_KEY_MIN);
        ngx_explicit_memzero(data.data, data.len);
        return NGX_CONF_ERROR;
    }

    samcf->key.data = data.data;
    samcf->key.len = len;

    return NGX_CONF_OK;
}


/* the index of a variable another module defined, without creating it */

static ngx_int_t
ngx_stratum_audit_find_variable(ngx_conf_t *cf, char *name)
{
    ngx_str_t                   s;
    ngx_uint_t                  i;
    ngx_hash_key_t             *key;
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    if (cmcf->variables_keys == NULL) {
        return NGX_ERROR;
    }

    s.data = (u_char *) name;
    s.len = ngx_strlen(name);

    key = cmcf->variables_keys->keys.elts;

    for (i = 0; i < cmcf->variables_keys->keys.nelts; i++) {
        if (key[i].key.len == s.len
            && ngx_strncmp(key[i].key.data, s.data, s.len) == 0)
        {
            return ngx_http_get_variable_index(cf, &s);
        }
    }

    return NGX_ERROR;
}


static ngx_int_t
ngx_stratum_audit_add_variables(ngx_conf_t *cf)
{
    return ngx_stratum_add_variables(cf, ngx_stratum_audit_variables);
}


static ngx_int_t
ngx_stratum_audit_init(ngx_conf_t *cf)
{
    ngx_uint_t                      i;
    ngx_http_handler_pt            *h;
    ngx_http_core_main_conf_t      *cmcf;
    ngx_stratum_audit_redis_t     **rs;
    ngx_stratum_audit_main_conf_t  *samcf;

    samcf = ngx_http_conf_get_module_main_conf(cf, ngx_stratum_audit_module);

    samcf->auth = ngx_stratum_auth_api(cf);

    if (samcf->redis_sinks && samcf->redis->conf->addr == NULL) {
        rs = samcf->redis_sinks->elts;

        for (i = 0; i < samcf->redis_sinks->nelts; i++) {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "the Redis stream sink \"%V\" in %s:%ui needs "
                          "\"stratum_redis_server\"",
                          &rs[i]->stream, rs[i]->file, rs[i]->line);
        }

        return NGX_ERROR;
    }

    samcf->request_id_index = ngx_stratum_audit_find_variable(cf,
                                                              "request_id");
    samcf->rbac_result_index = ngx_stratum_audit_find_variable(cf,
                                                  "stratum_rbac_result");
    samcf->rbac_missing_index = ngx_stratum_audit_find_variable(cf,
                                                  "stratum_rbac_missing");
    samcf->rl_status_index = ngx_stratum_audit_find_variable(cf,
                                                  "stratum_ratelimit_status");
    samcf->rl_zone_index = ngx_stratum_audit_find_variable(cf,
                                                  "stratum_ratelimit_zone");

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, cf->log, 0,
                   "stratum audit: auth %s, rbac %s, ratelimit %s",
                   samcf->auth ? "found" : "absent",
                   samcf->rbac_result_index != NGX_ERROR ? "found" : "absent",
                   samcf->rl_status_index != NGX_ERROR ? "found" : "absent");

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_REWRITE_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_stratum_audit_route_handler;

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_LOG_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_stratum_audit_log_handler;

    return NGX_OK;
}


static ngx_int_t
ngx_stratum_audit_init_process(ngx_cycle_t *cycle)
{
    ngx_queue_init(&ngx_stratum_audit_pending);
    ngx_stratum_audit_npending = 0;

    return NGX_OK;
}


/*
 * the events Redis has not answered for yet go to the fallback: Redis may
 * have taken some of them, an event is never lost instead
 */

static void
ngx_stratum_audit_exit_process(ngx_cycle_t *cycle)
{
    ngx_queue_t                  *q;
    ngx_stratum_audit_pending_t  *p;

    if (ngx_stratum_audit_pending.next == NULL) {
        return;
    }

    while (!ngx_queue_empty(&ngx_stratum_audit_pending)) {
        q = ngx_queue_head(&ngx_stratum_audit_pending);

        /* the analyzer loses track of an entry removed before it is freed */
        /* NOLINTNEXTLINE(clang-analyzer-unix.Malloc) */
        ngx_queue_remove(q);

        p = ngx_queue_data(q, ngx_stratum_audit_pending_t, queue);

        ngx_stratum_audit_spool(p->sink, cycle->log, p->line, p->len,
                                "the worker exits", 0);
        ngx_free(p);
    }

    ngx_stratum_audit_npending = 0;
}
