/*
 * Copyright (C) The Stratum authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <ngx_sha1.h>

#include <hiredis/hiredis.h>

#include "ngx_stratum.h"
#include "ngx_stratum_redis.h"


#define NGX_STRATUM_RATELIMIT_REDIS          1
#define NGX_STRATUM_RATELIMIT_LOCAL          2

#define NGX_STRATUM_RATELIMIT_FAIL_LOCAL     1
#define NGX_STRATUM_RATELIMIT_FAIL_OPEN      2
#define NGX_STRATUM_RATELIMIT_FAIL_CLOSED    3

/* decisions, index into ngx_stratum_ratelimit_status_words */
#define NGX_STRATUM_RATELIMIT_NONE           0
#define NGX_STRATUM_RATELIMIT_PASSED         1
#define NGX_STRATUM_RATELIMIT_REFUSED        2
#define NGX_STRATUM_RATELIMIT_DRY_RUN        3
#define NGX_STRATUM_RATELIMIT_UNAVAILABLE    4

/* who decided an item, index into ngx_stratum_ratelimit_backend_words */
#define NGX_STRATUM_RATELIMIT_VIA_NONE       0
#define NGX_STRATUM_RATELIMIT_VIA_REDIS      1
#define NGX_STRATUM_RATELIMIT_VIA_LOCAL      2
#define NGX_STRATUM_RATELIMIT_VIA_OPEN       3
#define NGX_STRATUM_RATELIMIT_VIA_FAILED     4
#define NGX_STRATUM_RATELIMIT_VIA_CLOSED     5

#define NGX_STRATUM_RATELIMIT_MAX_KEY        65535
#define NGX_STRATUM_RATELIMIT_MAX_BURST      1000000

/* a state further ahead than this is not one the module wrote */
#define NGX_STRATUM_RATELIMIT_MAX_AHEAD      4000000000000000LL


typedef struct {
    ngx_rbtree_t                    rbtree;
    ngx_rbtree_node_t               sentinel;
    ngx_queue_t                     queue;
} ngx_stratum_ratelimit_sh_t;


typedef struct {
    ngx_str_node_t                  sn;            /* must be first */
    ngx_queue_t                     queue;
    int64_t                         tat;           /* usec, 0: idle */
    u_char                          data[1];
} ngx_stratum_ratelimit_node_t;


typedef struct {
    ngx_str_t                       name;
    ngx_uint_t                      index;
    ngx_http_complex_value_t        key;
    ngx_http_complex_value_t       *tenant;
    int64_t                         interval;      /* usec per request */
    ngx_uint_t                      burst;
    ngx_uint_t                      backend;       /* 0 until decided */
    ngx_uint_t                      failure;       /* 0 until decided */
    ngx_shm_zone_t                 *shm_zone;
    ngx_stratum_ratelimit_sh_t     *sh;
    ngx_slab_pool_t                *shpool;
    u_char                         *file;
    ngx_uint_t                      line;
} ngx_stratum_ratelimit_zone_t;


typedef struct {
    /* first: the other modules find the shared client's table here */
    ngx_stratum_redis_api_t         redis_api;

    ngx_array_t                     zones;   /* of ngx_stratum_..._zone_t * */
    ngx_str_t                       prefix;
    ngx_stratum_redis_conf_t        redis;
    ngx_stratum_auth_api_t         *auth;
    u_char                          sha[40];
} ngx_stratum_ratelimit_main_conf_t;


typedef struct {
    ngx_array_t                    *zones;   /* sorted by index, NULL: off */
    ngx_flag_t                      dry_run;
    ngx_flag_t                      headers;
    ngx_uint_t                      log_level;
} ngx_stratum_ratelimit_loc_conf_t;


typedef struct {
    ngx_stratum_ratelimit_zone_t   *zone;
    ngx_str_t                       key;     /* tenant length, tenant, key */
    ngx_str_t                       rkey;    /* the Redis key */
    uint32_t                        hash;
    ngx_uint_t                      via;
    int64_t                         remaining;
    int64_t                         reset;   /* usec until whole again */
    int64_t                         wait;    /* usec until admitted, or 0 */
    int64_t                         tat;
    ngx_stratum_ratelimit_node_t   *node;
    unsigned                        charged:1; /* local, before Redis */
} ngx_stratum_ratelimit_item_t;


typedef struct {
    ngx_http_request_t             *request;
    ngx_stratum_redis_query_t      *query;       /* in flight */
    ngx_array_t                     items;       /* of ..._item_t */
    u_char                         *seen;        /* by zone index */
    ngx_stratum_ratelimit_zone_t   *zone;        /* that refused */
    ngx_uint_t                      status;
    ngx_uint_t                      backend;
    unsigned                        replied:1;
    unsigned                        eval:1;
} ngx_stratum_ratelimit_ctx_t;


static ngx_int_t ngx_stratum_ratelimit_handler(ngx_http_request_t *r);
static ngx_int_t ngx_stratum_ratelimit_collect(ngx_http_request_t *r,
    ngx_stratum_ratelimit_ctx_t *ctx,
    ngx_stratum_ratelimit_loc_conf_t *lrcf);
static ngx_int_t ngx_stratum_ratelimit_ask(ngx_http_request_t *r,
    ngx_stratum_ratelimit_ctx_t *ctx);
static ngx_int_t ngx_stratum_ratelimit_redis_key(ngx_http_request_t *r,
    ngx_stratum_ratelimit_main_conf_t *lrmcf,
    ngx_stratum_ratelimit_item_t *item);
static void ngx_stratum_ratelimit_redis_handler(void *data,
    redisReply *reply);
static ngx_int_t ngx_stratum_ratelimit_read_reply(ngx_http_request_t *r,
    ngx_stratum_ratelimit_ctx_t *ctx, redisReply *reply);
static ngx_int_t ngx_stratum_ratelimit_resolve(ngx_http_request_t *r,
    ngx_stratum_ratelimit_ctx_t *ctx,
    ngx_stratum_ratelimit_loc_conf_t *lrcf);
static ngx_int_t ngx_stratum_ratelimit_decide(ngx_http_request_t *r,
    ngx_stratum_ratelimit_ctx_t *ctx,
    ngx_stratum_ratelimit_loc_conf_t *lrcf);
static ngx_int_t ngx_stratum_ratelimit_full(ngx_http_request_t *r,
    ngx_stratum_ratelimit_ctx_t *ctx, ngx_stratum_ratelimit_loc_conf_t *lrcf);
static ngx_int_t ngx_stratum_ratelimit_refuse(ngx_http_request_t *r,
    ngx_uint_t status, ngx_uint_t retry);
static ngx_int_t ngx_stratum_ratelimit_add_headers(ngx_http_request_t *r,
    ngx_uint_t limit, ngx_uint_t remaining, ngx_uint_t reset);
static ngx_int_t ngx_stratum_ratelimit_add_header(ngx_http_request_t *r,
    char *name, ngx_uint_t value);

static ngx_int_t ngx_stratum_ratelimit_local(ngx_http_request_t *r,
    ngx_stratum_ratelimit_ctx_t *ctx, ngx_uint_t update);
static void ngx_stratum_ratelimit_refund(ngx_stratum_ratelimit_ctx_t *ctx);
static ngx_int_t ngx_stratum_ratelimit_local_item(ngx_http_request_t *r,
    ngx_stratum_ratelimit_item_t *item, int64_t now, ngx_uint_t update);
static void ngx_stratum_ratelimit_expire(ngx_stratum_ratelimit_zone_t *zone,
    int64_t now, ngx_uint_t force);
static ngx_int_t ngx_stratum_ratelimit_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static uint64_t ngx_stratum_ratelimit_seconds(int64_t usec);

static ngx_stratum_ratelimit_ctx_t *ngx_stratum_ratelimit_get_ctx(
    ngx_http_request_t *r, ngx_flag_t create);
static void ngx_stratum_ratelimit_cleanup_ctx(void *data);

static ngx_int_t ngx_stratum_ratelimit_variable_status(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_stratum_ratelimit_variable_zone(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_stratum_ratelimit_variable_backend(
    ngx_http_request_t *r, ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_stratum_ratelimit_variable_redis(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_stratum_ratelimit_set_variable(
    ngx_http_variable_value_t *v, ngx_str_t *value);

static ngx_int_t ngx_stratum_ratelimit_add_variables(ngx_conf_t *cf);
static void *ngx_stratum_ratelimit_create_main_conf(ngx_conf_t *cf);
static char *ngx_stratum_ratelimit_init_main_conf(ngx_conf_t *cf,
    void *conf);
static void *ngx_stratum_ratelimit_create_loc_conf(ngx_conf_t *cf);
static char *ngx_stratum_ratelimit_merge_loc_conf(ngx_conf_t *cf,
    void *parent, void *child);
static char *ngx_stratum_ratelimit_zone(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_stratum_ratelimit_zone_param(ngx_conf_t *cf,
    ngx_stratum_ratelimit_zone_t *zone, ngx_str_t *param,
    ngx_uint_t *rate);
static char *ngx_stratum_ratelimit(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_stratum_ratelimit_init(ngx_conf_t *cf);
static ngx_int_t ngx_stratum_ratelimit_init_process(ngx_cycle_t *cycle);
static void ngx_stratum_ratelimit_exit_process(ngx_cycle_t *cycle);
static ngx_int_t ngx_stratum_ratelimit_redis_query(ngx_uint_t argc,
    const char **argv, const size_t *argvlen,
    ngx_stratum_redis_handler_pt handler, void *data,
    ngx_stratum_redis_query_t **query);


static ngx_conf_enum_t  ngx_stratum_ratelimit_log_levels[] = {
    { ngx_string("info"), NGX_LOG_INFO },
    { ngx_string("notice"), NGX_LOG_NOTICE },
    { ngx_string("warn"), NGX_LOG_WARN },
    { ngx_string("error"), NGX_LOG_ERR },
    { ngx_null_string, 0 }
};


static ngx_conf_num_bounds_t  ngx_stratum_ratelimit_database_bounds = {
    ngx_conf_check_num_bounds, 0, 65535
};


static ngx_command_t  ngx_stratum_ratelimit_commands[] = {

    { ngx_string("stratum_ratelimit_zone"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_2MORE,
      ngx_stratum_ratelimit_zone,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("stratum_ratelimit"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_stratum_ratelimit,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("stratum_ratelimit_dry_run"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_stratum_ratelimit_loc_conf_t, dry_run),
      NULL },

    { ngx_string("stratum_ratelimit_headers"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_stratum_ratelimit_loc_conf_t, headers),
      NULL },

    { ngx_string("stratum_ratelimit_log_level"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_stratum_ratelimit_loc_conf_t, log_level),
      &ngx_stratum_ratelimit_log_levels },

    { ngx_string("stratum_ratelimit_key_prefix"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_stratum_ratelimit_main_conf_t, prefix),
      NULL },

    { ngx_string("stratum_redis_server"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_stratum_redis_set_server,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_stratum_ratelimit_main_conf_t, redis),
      NULL },

    { ngx_string("stratum_redis_user"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_stratum_redis_set_secret,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_stratum_ratelimit_main_conf_t, redis.user),
      NULL },

    { ngx_string("stratum_redis_password"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_stratum_redis_set_secret,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_stratum_ratelimit_main_conf_t, redis.password),
      NULL },

    { ngx_string("stratum_redis_database"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_stratum_ratelimit_main_conf_t, redis.database),
      &ngx_stratum_ratelimit_database_bounds },

    { ngx_string("stratum_redis_connect_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_stratum_ratelimit_main_conf_t, redis.connect_timeout),
      NULL },

    { ngx_string("stratum_redis_send_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_stratum_ratelimit_main_conf_t, redis.send_timeout),
      NULL },

    { ngx_string("stratum_redis_read_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_stratum_ratelimit_main_conf_t, redis.read_timeout),
      NULL },

    { ngx_string("stratum_redis_pool_size"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_stratum_ratelimit_main_conf_t, redis.pool_size),
      NULL },

    { ngx_string("stratum_redis_max_fails"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_stratum_ratelimit_main_conf_t, redis.max_fails),
      NULL },

    { ngx_string("stratum_redis_fail_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_stratum_ratelimit_main_conf_t, redis.fail_timeout),
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_stratum_ratelimit_module_ctx = {
    ngx_stratum_ratelimit_add_variables,   /* preconfiguration */
    ngx_stratum_ratelimit_init,            /* postconfiguration */

    ngx_stratum_ratelimit_create_main_conf, /* create main configuration */
    ngx_stratum_ratelimit_init_main_conf,  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_stratum_ratelimit_create_loc_conf, /* create location configuration */
    ngx_stratum_ratelimit_merge_loc_conf   /* merge location configuration */
};


ngx_module_t  ngx_stratum_ratelimit_module = {
    NGX_MODULE_V1,
    &ngx_stratum_ratelimit_module_ctx,     /* module context */
    ngx_stratum_ratelimit_commands,        /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_stratum_ratelimit_init_process,    /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_stratum_ratelimit_exit_process,    /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_str_t  ngx_stratum_ratelimit_status_words[] = {
    ngx_null_string,
    ngx_string("passed"),
    ngx_string("refused"),
    ngx_string("dry_run"),
    ngx_string("unavailable")
};


static ngx_str_t  ngx_stratum_ratelimit_backend_words[] = {
    ngx_string("none"),
    ngx_string("redis"),
    ngx_string("local")
};


static ngx_http_variable_t  ngx_stratum_ratelimit_vars[] = {

    { ngx_string("stratum_ratelimit_status"), NULL,
      ngx_stratum_ratelimit_variable_status, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("stratum_ratelimit_zone"), NULL,
      ngx_stratum_ratelimit_variable_zone, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("stratum_ratelimit_backend"), NULL,
      ngx_stratum_ratelimit_variable_backend, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("stratum_ratelimit_redis"), NULL,
      ngx_stratum_ratelimit_variable_redis, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


/*
 * GCRA for every zone of the request at once, in Redis's own time: all
 * zones are checked first, and only when every one admits the request
 * are the new states written, each with its expiry.  KEYS: one per zone;
 * ARGV: per zone, the interval (usec per request) and the burst.  The
 * reply: 1 when admitted, then per zone the remaining allowance, usec
 * until it is whole again, usec until the request would be admitted.
 */

static const char  ngx_stratum_ratelimit_script[] =
    "local t = redis.call('TIME')\n"
    "local now = tonumber(t[1]) * 1000000 + tonumber(t[2])\n"
    "local out, tats, ok = {}, {}, 1\n"
    "for i = 1, #KEYS do\n"
    "  local iv = tonumber(ARGV[2 * i - 1])\n"
    "  local cap = tonumber(ARGV[2 * i]) * iv\n"
    "  local tat = now\n"
    "  local v = redis.call('GET', KEYS[i])\n"
    "  if v then\n"
    "    tat = tonumber(v)\n"
    "    if not tat or tat ~= tat or tat < 0 or tat > now + 4e15 then\n"
    "      return redis.error_reply('STRATUM invalid state')\n"
    "    end\n"
    "    if tat < now then tat = now end\n"
    "  end\n"
    "  local new = tat + iv\n"
    "  if new - now > cap then\n"
    "    ok = 0\n"
    "    out[3 * i - 1] = 0\n"
    "    out[3 * i] = tat - now\n"
    "    out[3 * i + 1] = new - now - cap\n"
    "  else\n"
    "    out[3 * i - 1] = math.floor((cap - new + now) / iv)\n"
    "    out[3 * i] = new - now\n"
    "    out[3 * i + 1] = 0\n"
    "  end\n"
    "  tats[i] = new\n"
    "end\n"
    "out[1] = ok\n"
    "if ok == 1 then\n"
    "  for i = 1, #KEYS do\n"
    "    redis.call('SET', KEYS[i], string.format('%.0f', tats[i]), 'PX',\n"
    "      string.format('%.0f', math.ceil((tats[i] - now) / 1000)))\n"
    "  end\n"
    "end\n"
    "return out\n";


/* per worker, made in init_process when a Redis server is configured */
static ngx_stratum_redis_t  *ngx_stratum_ratelimit_redis;


static ngx_int_t
ngx_stratum_ratelimit_handler(ngx_http_request_t *r)
{
    ngx_int_t                           rc;
    ngx_uint_t                          i, nredis;
    ngx_stratum_ratelimit_ctx_t        *ctx;
    ngx_stratum_ratelimit_item_t       *item;
    ngx_stratum_ratelimit_loc_conf_t   *lrcf;
    ngx_stratum_ratelimit_main_conf_t  *lrmcf;

    lrcf = ngx_http_get_module_loc_conf(r, ngx_stratum_ratelimit_module);

    if (lrcf->zones == NULL) {
        return NGX_DECLINED;
    }

    lrmcf = ngx_http_get_module_main_conf(r, ngx_stratum_ratelimit_module);

    /* keys may come from the claims: the token is checked first */

    if (lrmcf->auth) {
        rc = lrmcf->auth->handler(r);

        if (rc != NGX_OK && rc != NGX_DECLINED) {
            return rc;
        }
    }

    ctx = ngx_stratum_ratelimit_get_ctx(r, 1);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ctx->query) {
        /* a write event while Redis is being asked */
        return NGX_AGAIN;
    }

    if (ctx->replied) {
        ctx->replied = 0;
        return ngx_stratum_ratelimit_resolve(r, ctx, lrcf);
    }

    if (ngx_stratum_ratelimit_collect(r, ctx, lrcf) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ctx->items.nelts == 0) {
        return NGX_DECLINED;
    }

    item = ctx->items.elts;
    nredis = 0;

    for (i = 0; i < ctx->items.nelts; i++) {
        if (item[i].via == NGX_STRATUM_RATELIMIT_VIA_REDIS) {
            nredis++;
        }
    }

    if (nredis == 0) {
        return ngx_stratum_ratelimit_resolve(r, ctx, lrcf);
    }

    /*
     * local zones alongside Redis ones take their share before Redis is
     * asked: Redis spends nothing for a request a local zone refuses,
     * and the share goes back when Redis refuses (see resolve())
     */

    if (nredis < ctx->items.nelts) {
        rc = ngx_stratum_ratelimit_local(r, ctx, 1);

        if (rc == NGX_ERROR) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (rc == NGX_BUSY) {
            return ngx_stratum_ratelimit_full(r, ctx, lrcf);
        }

        if (rc == NGX_DECLINED) {
            for (i = 0; i < ctx->items.nelts; i++) {
                if (item[i].via == NGX_STRATUM_RATELIMIT_VIA_REDIS) {
                    item[i].via = NGX_STRATUM_RATELIMIT_VIA_NONE;
                }
            }

            return ngx_stratum_ratelimit_decide(r, ctx, lrcf);
        }

        for (i = 0; i < ctx->items.nelts; i++) {
            if (item[i].via == NGX_STRATUM_RATELIMIT_VIA_LOCAL) {
                item[i].charged = 1;
            }
        }
    }

    rc = ngx_stratum_ratelimit_ask(r, ctx);

    if (rc == NGX_ERROR) {
        ngx_stratum_ratelimit_refund(ctx);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc == NGX_OK) {
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "stratum ratelimit: waiting for redis");

        /* the request waits; a client that goes away cancels the query */

        r->main->count++;
        r->read_event_handler = ngx_http_test_reading;
        r->write_event_handler = ngx_http_request_empty_handler;

        return NGX_AGAIN;
    }

    /* NGX_DECLINED: Redis is down, the failure policies decide at once */

    for (i = 0; i < ctx->items.nelts; i++) {
        if (item[i].via == NGX_STRATUM_RATELIMIT_VIA_REDIS) {
            item[i].via = NGX_STRATUM_RATELIMIT_VIA_FAILED;
        }
    }

    return ngx_stratum_ratelimit_resolve(r, ctx, lrcf);
}


/*
 * the items of the zones of this location that this request has not
 * met yet (an internal redirect never counts a request twice in a zone);
 * a zone whose key is empty does not count the request
 */

static ngx_int_t
ngx_stratum_ratelimit_collect(ngx_http_request_t *r,
    ngx_stratum_ratelimit_ctx_t *ctx, ngx_stratum_ratelimit_loc_conf_t *lrcf)
{
    u_char                         *p;
    ngx_str_t                       value, tenant;
    ngx_uint_t                      i;
    ngx_stratum_ratelimit_item_t   *item;
    ngx_stratum_ratelimit_zone_t  **zones, *zone;

    ctx->items.nelts = 0;
    zones = lrcf->zones->elts;

    for (i = 0; i < lrcf->zones->nelts; i++) {
        zone = zones[i];

        if (ctx->seen[zone->index]) {
            continue;
        }

        ctx->seen[zone->index] = 1;

        if (ngx_http_complex_value(r, &zone->key, &value) != NGX_OK) {
            return NGX_ERROR;
        }

        if (value.len == 0) {
            ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                           "stratum ratelimit: empty key in zone \"%V\", "
                           "not counted", &zone->name);
            continue;
        }

        ngx_str_set(&tenant, "");

        if (zone->tenant
            && ngx_http_complex_value(r, zone->tenant, &tenant) != NGX_OK)
        {
            return NGX_ERROR;
        }

        if (value.len + tenant.len > NGX_STRATUM_RATELIMIT_MAX_KEY) {
            ngx_stratum_log_error(NGX_LOG_ERR, r, 0,
                                  "stratum ratelimit: the key in zone \"%V\" "
                                  "is longer than %d bytes", &zone->name,
                                  NGX_STRATUM_RATELIMIT_MAX_KEY);
            return NGX_ERROR;
        }

        item = ngx_array_push(&ctx->items);
        if (item == NULL) {
            return NGX_ERROR;
        }

        ngx_memzero(item, sizeof(ngx_stratum_ratelimit_item_t));

        item->zone = zone;
        item->key.len = 2 + tenant.len + value.len;

        item->key.data = ngx_pnalloc(r->pool, item->key.len);
        if (item->key.data == NULL) {
            return NGX_ERROR;
        }

        /* the tenant's length first: no two pairs give the same bytes */

        p = item->key.data;
        *p++ = (u_char) (tenant.len >> 8);
        *p++ = (u_char) (tenant.len & 0xff);
        p = ngx_cpymem(p, tenant.data, tenant.len);
        ngx_memcpy(p, value.data, value.len);

        item->hash = ngx_crc32_short(item->key.data, item->key.len);
        item->via = (zone->backend == NGX_STRATUM_RATELIMIT_REDIS)
                    ? NGX_STRATUM_RATELIMIT_VIA_REDIS
                    : NGX_STRATUM_RATELIMIT_VIA_LOCAL;

        ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "stratum ratelimit: zone \"%V\", key of %uz bytes, "
                       "backend %ui", &zone->name, value.len, item->via);
    }

    return NGX_OK;
}


/* one EVALSHA (EVAL after NOSCRIPT) for all of the Redis zones */

static ngx_int_t
ngx_stratum_ratelimit_ask(ngx_http_request_t *r,
    ngx_stratum_ratelimit_ctx_t *ctx)
{
    u_char                             *p;
    size_t                             *argvlen;
    ngx_int_t                           rc;
    ngx_uint_t                          i, n, argc;
    const char                        **argv;
    ngx_stratum_ratelimit_item_t       *item;
    ngx_stratum_ratelimit_main_conf_t  *lrmcf;

    lrmcf = ngx_http_get_module_main_conf(r, ngx_stratum_ratelimit_module);

    item = ctx->items.elts;
    n = 0;

    for (i = 0; i < ctx->items.nelts; i++) {
        if (item[i].via == NGX_STRATUM_RATELIMIT_VIA_REDIS) {
            n++;
        }
    }

    argc = 3 + 3 * n;

    argv = ngx_palloc(r->pool, argc * sizeof(char *));
    if (argv == NULL) {
        return NGX_ERROR;
    }

    argvlen = ngx_palloc(r->pool, argc * sizeof(size_t));
    if (argvlen == NULL) {
        return NGX_ERROR;
    }

    /* the numbers: the count of keys, then two per zone */

    p = ngx_pnalloc(r->pool, (2 * n + 1) * NGX_INT64_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    if (ctx->eval) {
        argv[0] = "EVAL";
        argvlen[0] = 4;
        argv[1] = ngx_stratum_ratelimit_script;
        argvlen[1] = sizeof(ngx_stratum_ratelimit_script) - 1;

    } else {
        argv[0] = "EVALSHA";
        argvlen[0] = 7;
        argv[1] = (char *) lrmcf->sha;
        argvlen[1] = sizeof(lrmcf->sha);
    }

    argv[2] = (char *) p;
    p = ngx_sprintf(p, "%ui", n);
    argvlen[2] = p - (u_char *) argv[2];

    argc = 3;

    for (i = 0; i < ctx->items.nelts; i++) {
        if (item[i].via != NGX_STRATUM_RATELIMIT_VIA_REDIS) {
            continue;
        }

        if (item[i].rkey.data == NULL
            && ngx_stratum_ratelimit_redis_key(r, lrmcf, &item[i]) != NGX_OK)
        {
            return NGX_ERROR;
        }

        argv[argc] = (char *) item[i].rkey.data;
        argvlen[argc++] = item[i].rkey.len;
    }

    for (i = 0; i < ctx->items.nelts; i++) {
        if (item[i].via != NGX_STRATUM_RATELIMIT_VIA_REDIS) {
            continue;
        }

        argv[argc] = (char *) p;
        p = ngx_sprintf(p, "%L", item[i].zone->interval);
        argvlen[argc] = p - (u_char *) argv[argc];
        argc++;

        argv[argc] = (char *) p;
        p = ngx_sprintf(p, "%ui", item[i].zone->burst);
        argvlen[argc] = p - (u_char *) argv[argc];
        argc++;
    }

    ctx->request = r;

    rc = ngx_stratum_redis_query(ngx_stratum_ratelimit_redis, argc, argv,
                                 argvlen, ngx_stratum_ratelimit_redis_handler,
                                 ctx, &ctx->query);

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "stratum ratelimit: %s for %ui zones",
                   argv[0], n);

    if (rc != NGX_OK) {
        ctx->query = NULL;
    }

    return rc;
}


/*
 * PREFIX "tenant:{" HEX(tenant) "}:" ZONE ":" HEX(key): hexadecimal keeps
 * any byte out of the structure, so that different keys never meet, and
 * the braces make the tenant the hash tag of Redis Cluster
 */

static ngx_int_t
ngx_stratum_ratelimit_redis_key(ngx_http_request_t *r,
    ngx_stratum_ratelimit_main_conf_t *lrmcf,
    ngx_stratum_ratelimit_item_t *item)
{
    u_char                        *p, *tenant, *value;
    size_t                         tlen, vlen;
    ngx_stratum_ratelimit_zone_t  *zone;

    zone = item->zone;

    tlen = (item->key.data[0] << 8) | item->key.data[1];
    tenant = item->key.data + 2;
    value = tenant + tlen;
    vlen = item->key.len - 2 - tlen;

    item->rkey.len = lrmcf->prefix.len + sizeof("tenant:{}::") - 1
                     + 2 * tlen + zone->name.len + 2 * vlen;

    item->rkey.data = ngx_pnalloc(r->pool, item->rkey.len);
    if (item->rkey.data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(item->rkey.data, lrmcf->prefix.data, lrmcf->prefix.len);
    p = ngx_cpymem(p, "tenant:{", sizeof("tenant:{") - 1);
    p = ngx_hex_dump(p, tenant, tlen);
    *p++ = '}';
    *p++ = ':';
    p = ngx_cpymem(p, zone->name.data, zone->name.len);
    *p++ = ':';
    ngx_hex_dump(p, value, vlen);

    return NGX_OK;
}


static void
ngx_stratum_ratelimit_redis_handler(void *data, redisReply *reply)
{
    ngx_stratum_ratelimit_ctx_t  *ctx = data;

    ngx_uint_t                     i;
    ngx_connection_t              *c;
    ngx_http_request_t            *r;
    ngx_stratum_ratelimit_item_t  *item;

    r = ctx->request;
    c = r->connection;

    ctx->query = NULL;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, c->log, 0,
                   "stratum ratelimit: redis replied, type %d",
                   reply ? reply->type : 0);

    /* the script is not cached after a restart or SCRIPT FLUSH */

    if (reply && reply->type == REDIS_REPLY_ERROR && !ctx->eval
        && reply->len >= 8 && ngx_strncmp(reply->str, "NOSCRIPT", 8) == 0)
    {
        ctx->eval = 1;

        if (ngx_stratum_ratelimit_ask(r, ctx) == NGX_OK) {
            return;
        }

        reply = NULL;
    }

    if (ngx_stratum_ratelimit_read_reply(r, ctx, reply) != NGX_OK) {
        item = ctx->items.elts;

        for (i = 0; i < ctx->items.nelts; i++) {
            if (item[i].via == NGX_STRATUM_RATELIMIT_VIA_REDIS) {
                item[i].via = NGX_STRATUM_RATELIMIT_VIA_FAILED;
            }
        }
    }

    ctx->replied = 1;

    r->main->count--;
    r->read_event_handler = ngx_http_block_reading;
    r->write_event_handler = ngx_http_core_run_phases;

    ngx_http_core_run_phases(r);
    ngx_http_run_posted_requests(c);
}


/* anything but the array the script returns is a failure */

static ngx_int_t
ngx_stratum_ratelimit_read_reply(ngx_http_request_t *r,
    ngx_stratum_ratelimit_ctx_t *ctx, redisReply *reply)
{
    ngx_uint_t                     i, j, n, admitted, waits;
    redisReply                   **e;
    ngx_stratum_ratelimit_item_t  *item;

    if (reply == NULL) {
        /* counted and logged by the client */
        return NGX_ERROR;
    }

    if (reply->type == REDIS_REPLY_ERROR) {
        ngx_stratum_log_error(NGX_LOG_WARN, r, 0,
                              "stratum ratelimit: redis replied \"%*s\"",
                              ngx_min(reply->len, 120), reply->str);
        return NGX_ERROR;
    }

    item = ctx->items.elts;
    n = 0;

    for (i = 0; i < ctx->items.nelts; i++) {
        if (item[i].via == NGX_STRATUM_RATELIMIT_VIA_REDIS) {
            n++;
        }
    }

    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 1 + 3 * n) {
        goto invalid;
    }

    e = reply->element;

    for (i = 0; i < reply->elements; i++) {
        if (e[i]->type != REDIS_REPLY_INTEGER) {
            goto invalid;
        }
    }

    if (e[0]->integer != 0 && e[0]->integer != 1) {
        goto invalid;
    }

    admitted = (ngx_uint_t) e[0]->integer;
    waits = 0;
    j = 1;

    for (i = 0; i < ctx->items.nelts; i++) {
        if (item[i].via != NGX_STRATUM_RATELIMIT_VIA_REDIS) {
            continue;
        }

        item[i].remaining = e[j]->integer;
        item[i].reset = e[j + 1]->integer;
        item[i].wait = e[j + 2]->integer;
        j += 3;

        if (item[i].remaining < 0
            || item[i].remaining > (int64_t) item[i].zone->burst
            || item[i].reset < 0
            || item[i].reset > NGX_STRATUM_RATELIMIT_MAX_AHEAD
            || item[i].wait < 0
            || item[i].wait > NGX_STRATUM_RATELIMIT_MAX_AHEAD)
        {
            goto invalid;
        }

        if (item[i].wait) {
            waits++;
        }
    }

    if ((admitted && waits) || (!admitted && !waits)) {
        goto invalid;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "stratum ratelimit: redis %s",
                   admitted ? "admits" : "refuses");

    return NGX_OK;

invalid:

    ngx_stratum_log_error(NGX_LOG_WARN, r, 0,
                          "stratum ratelimit: unexpected reply from redis, "
                          "type %d", reply->type);

    return NGX_ERROR;
}


/*
 * Redis has answered or failed: the failure policies, then the local
 * zones (when nothing so far refuses), then the outcome
 */

static ngx_int_t
ngx_stratum_ratelimit_resolve(ngx_http_request_t *r,
    ngx_stratum_ratelimit_ctx_t *ctx, ngx_stratum_ratelimit_loc_conf_t *lrcf)
{
    ngx_int_t                      rc;
    ngx_uint_t                     i, local, refused;
    ngx_stratum_ratelimit_item_t  *item;

    item = ctx->items.elts;
    local = 0;
    refused = 0;

    for (i = 0; i < ctx->items.nelts; i++) {

        if (item[i].via == NGX_STRATUM_RATELIMIT_VIA_FAILED) {

            switch (item[i].zone->failure) {

            case NGX_STRATUM_RATELIMIT_FAIL_OPEN:
                item[i].via = NGX_STRATUM_RATELIMIT_VIA_OPEN;
                break;

            case NGX_STRATUM_RATELIMIT_FAIL_CLOSED:
                item[i].via = NGX_STRATUM_RATELIMIT_VIA_CLOSED;
                refused = 1;
                break;

            default: /* NGX_STRATUM_RATELIMIT_FAIL_LOCAL */
                item[i].via = NGX_STRATUM_RATELIMIT_VIA_LOCAL;
                break;
            }
        }

        if (item[i].via == NGX_STRATUM_RATELIMIT_VIA_LOCAL
            && !item[i].charged)
        {
            /* a zone that falls back to local now */
            local = 1;
        }

        if (item[i].via == NGX_STRATUM_RATELIMIT_VIA_REDIS && item[i].wait) {
            refused = 1;
        }
    }

    if (local && !refused) {
        rc = ngx_stratum_ratelimit_local(r, ctx, 1);

        if (rc == NGX_ERROR || rc == NGX_BUSY) {
            ngx_stratum_ratelimit_refund(ctx);

            return (rc == NGX_BUSY) ? ngx_stratum_ratelimit_full(r, ctx, lrcf)
                                    : NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (rc == NGX_DECLINED) {
            refused = 1;
        }
    }

    /* the local zones charged before Redis was asked get their share back */

    if (refused) {
        ngx_stratum_ratelimit_refund(ctx);
    }

    return ngx_stratum_ratelimit_decide(r, ctx, lrcf);
}


static ngx_int_t
ngx_stratum_ratelimit_decide(ngx_http_request_t *r,
    ngx_stratum_ratelimit_ctx_t *ctx, ngx_stratum_ratelimit_loc_conf_t *lrcf)
{
    ngx_uint_t                     i, retry;
    ngx_stratum_ratelimit_item_t  *item, *worst, *tight, *closed;

    item = ctx->items.elts;
    worst = NULL;
    tight = NULL;
    closed = NULL;
    ctx->backend = NGX_STRATUM_RATELIMIT_VIA_NONE;

    for (i = 0; i < ctx->items.nelts; i++) {

        switch (item[i].via) {

        case NGX_STRATUM_RATELIMIT_VIA_CLOSED:
            closed = &item[i];
            continue;

        case NGX_STRATUM_RATELIMIT_VIA_REDIS:
            ctx->backend = NGX_STRATUM_RATELIMIT_VIA_REDIS;
            break;

        case NGX_STRATUM_RATELIMIT_VIA_LOCAL:
            if (ctx->backend == NGX_STRATUM_RATELIMIT_VIA_NONE) {
                ctx->backend = NGX_STRATUM_RATELIMIT_VIA_LOCAL;
            }
            break;

        default:
            /* not counted: failed open, or not asked */
            continue;
        }

        if (item[i].wait) {
            if (worst == NULL || item[i].wait > worst->wait) {
                worst = &item[i];
            }

            continue;
        }

        if (tight == NULL
            || item[i].remaining < tight->remaining
            || (item[i].remaining == tight->remaining
                && item[i].reset > tight->reset))
        {
            tight = &item[i];
        }
    }

    if (closed) {
        /* Redis failed and this zone must not let anything through */

        ctx->zone = closed->zone;
        ctx->backend = NGX_STRATUM_RATELIMIT_VIA_NONE;

        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "stratum ratelimit: redis unavailable, zone \"%V\" "
                       "fails closed", &closed->zone->name);

        if (lrcf->dry_run) {
            ctx->status = NGX_STRATUM_RATELIMIT_DRY_RUN;
            return NGX_DECLINED;
        }

        ctx->status = NGX_STRATUM_RATELIMIT_UNAVAILABLE;

        return ngx_stratum_ratelimit_refuse(r,
                                            NGX_HTTP_SERVICE_UNAVAILABLE, 1);
    }

    if (worst) {
        ctx->zone = worst->zone;

        /* never earlier than the moment the zone admits again */
        retry = ngx_stratum_ratelimit_seconds(worst->wait);

        ngx_stratum_log_error(lrcf->log_level, r, 0,
                              "stratum ratelimit: limiting requests%s, "
                              "zone \"%V\", retry after %ui s",
                              lrcf->dry_run ? " (dry run)" : "",
                              &worst->zone->name, retry);

        if (lrcf->dry_run) {
            ctx->status = NGX_STRATUM_RATELIMIT_DRY_RUN;
            return NGX_DECLINED;
        }

        ctx->status = NGX_STRATUM_RATELIMIT_REFUSED;

        if (lrcf->headers
            && ngx_stratum_ratelimit_add_headers(r, worst->zone->burst, 0,
                                                 retry)
               != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_stratum_ratelimit_refuse(r, NGX_HTTP_TOO_MANY_REQUESTS,
                                            retry);
    }

    ctx->status = NGX_STRATUM_RATELIMIT_PASSED;

    if (tight && lrcf->headers && !lrcf->dry_run
        && ngx_stratum_ratelimit_add_headers(r, tight->zone->burst,
               (ngx_uint_t) tight->remaining,
               ngx_stratum_ratelimit_seconds(tight->reset))
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /*
     * NGX_DECLINED rather than NGX_OK: under "satisfy any" NGX_OK would
     * skip the other access checks, and a limit grants no access
     */

    return NGX_DECLINED;
}


/*
 * 429 (or 503 when Redis is down and the zone fails closed) with
 * Retry-After and a small JSON body, unless an error_page takes over
 */

/*
 * a local zone with no room for a new key: like a zone failing closed,
 * 503 (dry run: let through), the error log names the zone
 */

static ngx_int_t
ngx_stratum_ratelimit_full(ngx_http_request_t *r,
    ngx_stratum_ratelimit_ctx_t *ctx, ngx_stratum_ratelimit_loc_conf_t *lrcf)
{
    if (lrcf->dry_run) {
        ctx->status = NGX_STRATUM_RATELIMIT_DRY_RUN;
        return NGX_DECLINED;
    }

    ctx->status = NGX_STRATUM_RATELIMIT_UNAVAILABLE;

    return ngx_stratum_ratelimit_refuse(r, NGX_HTTP_SERVICE_UNAVAILABLE, 1);
}


static ngx_int_t
ngx_stratum_ratelimit_refuse(ngx_http_request_t *r, ngx_uint_t status,
    ngx_uint_t retry)
{
    size_t      len;
    ngx_buf_t  *b;
    ngx_str_t   detail;

    if (ngx_stratum_ratelimit_add_header(r, "Retry-After", retry) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (status == NGX_HTTP_TOO_MANY_REQUESTS) {
        ngx_str_set(&detail, "rate limit exceeded");

    } else {
        ngx_str_set(&detail, "rate limit unavailable");
    }

    len = sizeof("{\"detail\":\"\",\"retry_after\":}\n") - 1 + detail.len
          + NGX_INT_T_LEN;

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->last = ngx_sprintf(b->last, "{\"detail\":\"%V\",\"retry_after\":%ui}\n",
                          &detail, retry);

    return ngx_stratum_send_refusal(r, status, b);
}


/*
 * RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset (the separate
 * fields of draft-ietf-httpapi-ratelimit-headers), of the zone that
 * refused, or of the zone with the least allowance left
 */

static ngx_int_t
ngx_stratum_ratelimit_add_headers(ngx_http_request_t *r, ngx_uint_t limit,
    ngx_uint_t remaining, ngx_uint_t reset)
{
    if (ngx_stratum_ratelimit_add_header(r, "RateLimit-Limit", limit)
        != NGX_OK
        || ngx_stratum_ratelimit_add_header(r, "RateLimit-Remaining",
                                            remaining)
           != NGX_OK
        || ngx_stratum_ratelimit_add_header(r, "RateLimit-Reset", reset)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_stratum_ratelimit_add_header(ngx_http_request_t *r, char *name,
    ngx_uint_t value)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->value.data = ngx_pnalloc(r->pool, NGX_INT_T_LEN);
    if (h->value.data == NULL) {
        h->hash = 0;
        return NGX_ERROR;
    }

    h->value.len = ngx_sprintf(h->value.data, "%ui", value) - h->value.data;
    h->key.data = (u_char *) name;
    h->key.len = ngx_strlen(name);
    h->hash = 1;
#if (nginx_version >= 1023000)
    h->next = NULL;
#endif

    return NGX_OK;
}


/* whole seconds, rounded up, at least 1 */

static uint64_t
ngx_stratum_ratelimit_seconds(int64_t usec)
{
    if (usec <= 1000000) {
        return 1;
    }

    return (uint64_t) (usec + 999999) / 1000000;
}


/*
 * GCRA in the shared memory of each zone, the zones locked in the order
 * of their indexes (every location lists its zones in that order), so
 * that all of them are decided as one; with update, the states change
 * only when every zone admits the request.  NGX_DECLINED: refused.
 */

static ngx_int_t
ngx_stratum_ratelimit_local(ngx_http_request_t *r,
    ngx_stratum_ratelimit_ctx_t *ctx, ngx_uint_t update)
{
    int64_t                        now;
    ngx_int_t                      rc;
    ngx_uint_t                     i, n, refused;
    ngx_time_t                    *tp;
    ngx_stratum_ratelimit_item_t  *item;

    tp = ngx_timeofday();
    now = (int64_t) tp->sec * 1000000 + (int64_t) tp->msec * 1000;

    item = ctx->items.elts;
    rc = NGX_OK;
    refused = 0;

    for (n = 0; n < ctx->items.nelts; n++) {
        if (item[n].via != NGX_STRATUM_RATELIMIT_VIA_LOCAL
            || item[n].charged)
        {
            continue;
        }

        ngx_shmtx_lock(&item[n].zone->shpool->mutex);

        rc = ngx_stratum_ratelimit_local_item(r, &item[n], now, update);

        if (rc == NGX_ERROR || rc == NGX_BUSY) {
            n++;
            break;
        }

        if (rc == NGX_DECLINED) {
            refused = 1;
        }
    }

    if (rc != NGX_ERROR && rc != NGX_BUSY && !refused && update) {
        for (i = 0; i < n; i++) {
            if (item[i].via != NGX_STRATUM_RATELIMIT_VIA_LOCAL
                || item[i].charged)
            {
                continue;
            }

            item[i].node->tat = item[i].tat;

            ngx_queue_remove(&item[i].node->queue);
            ngx_queue_insert_head(&item[i].zone->sh->queue,
                                  &item[i].node->queue);
        }
    }

    while (n--) {
        if (item[n].via == NGX_STRATUM_RATELIMIT_VIA_LOCAL
            && !item[n].charged)
        {
            ngx_shmtx_unlock(&item[n].zone->shpool->mutex);
        }
    }

    if (rc == NGX_ERROR || rc == NGX_BUSY) {
        return rc;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "stratum ratelimit: local %s%s",
                   refused ? "refuses" : "admits",
                   update ? "" : " (check only)");

    return refused ? NGX_DECLINED : NGX_OK;
}


/*
 * gives back the interval each local zone charged before Redis was asked:
 * a GCRA state is the sum of the intervals taken, so this undoes exactly
 * that request's share, whatever others took meanwhile.  The state is
 * looked up again: it may have been evicted since.
 */

static void
ngx_stratum_ratelimit_refund(ngx_stratum_ratelimit_ctx_t *ctx)
{
    ngx_uint_t                     i;
    ngx_str_node_t                *sn;
    ngx_stratum_ratelimit_item_t  *item;
    ngx_stratum_ratelimit_node_t  *node;

    item = ctx->items.elts;

    for (i = 0; i < ctx->items.nelts; i++) {
        if (!item[i].charged) {
            continue;
        }

        item[i].charged = 0;

        ngx_shmtx_lock(&item[i].zone->shpool->mutex);

        sn = ngx_str_rbtree_lookup(&item[i].zone->sh->rbtree, &item[i].key,
                                   item[i].hash);
        node = (ngx_stratum_ratelimit_node_t *) sn;

        if (node) {
            node->tat -= item[i].zone->interval;
        }

        ngx_shmtx_unlock(&item[i].zone->shpool->mutex);
    }
}


/* the zone is locked; with update, a node exists afterwards */

static ngx_int_t
ngx_stratum_ratelimit_local_item(ngx_http_request_t *r,
    ngx_stratum_ratelimit_item_t *item, int64_t now, ngx_uint_t update)
{
    size_t                         size;
    int64_t                        tat, cap;
    ngx_str_node_t                *sn;
    ngx_stratum_ratelimit_node_t  *node;
    ngx_stratum_ratelimit_zone_t  *zone;

    zone = item->zone;

    if (update) {
        ngx_stratum_ratelimit_expire(zone, now, 0);
    }

    sn = ngx_str_rbtree_lookup(&zone->sh->rbtree, &item->key, item->hash);
    node = (ngx_stratum_ratelimit_node_t *) sn;

    if (node == NULL && update) {
        size = offsetof(ngx_stratum_ratelimit_node_t, data) + item->key.len;

        node = ngx_slab_alloc_locked(zone->shpool, size);

        if (node == NULL) {
            ngx_stratum_ratelimit_expire(zone, now, 1);

            node = ngx_slab_alloc_locked(zone->shpool, size);
            if (node == NULL) {
                /* as limit_req does: the request is refused, not failed */
                ngx_stratum_log_error(NGX_LOG_ERR, r, 0,
                                      "stratum ratelimit: zone \"%V\" is "
                                      "full, request refused with 503",
                                      &zone->name);
                return NGX_BUSY;
            }
        }

        ngx_memcpy(node->data, item->key.data, item->key.len);

        node->sn.node.key = item->hash;
        node->sn.str.len = item->key.len;
        node->sn.str.data = node->data;
        node->tat = 0;

        ngx_rbtree_insert(&zone->sh->rbtree, &node->sn.node);
        ngx_queue_insert_head(&zone->sh->queue, &node->queue);
    }

    item->node = node;

    tat = (node && node->tat > now) ? node->tat : now;
    cap = (int64_t) zone->burst * zone->interval;

    item->tat = tat + zone->interval;

    if (item->tat - now > cap) {
        item->remaining = 0;
        item->reset = tat - now;
        item->wait = item->tat - now - cap;
        return NGX_DECLINED;
    }

    item->remaining = (cap - (item->tat - now)) / zone->interval;
    item->reset = item->tat - now;
    item->wait = 0;

    return NGX_OK;
}


/*
 * removes up to two states that have run out (the allowance is whole
 * again, so forgetting them changes nothing); force removes the least
 * recently used one whatever its state, to make room
 */

static void
ngx_stratum_ratelimit_expire(ngx_stratum_ratelimit_zone_t *zone,
    int64_t now, ngx_uint_t force)
{
    ngx_uint_t                     n;
    ngx_queue_t                   *q;
    ngx_stratum_ratelimit_node_t  *node;

    for (n = 0; n < 2; n++) {

        if (ngx_queue_empty(&zone->sh->queue)) {
            return;
        }

        q = ngx_queue_last(&zone->sh->queue);
        node = ngx_queue_data(q, ngx_stratum_ratelimit_node_t, queue);

        if (!force && node->tat > now) {
            return;
        }

        ngx_queue_remove(q);
        ngx_rbtree_delete(&zone->sh->rbtree, &node->sn.node);
        ngx_slab_free_locked(zone->shpool, node);

        if (force) {
            return;
        }
    }
}


static ngx_int_t
ngx_stratum_ratelimit_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_stratum_ratelimit_zone_t  *ozone = data;

    size_t                         len;
    ngx_stratum_ratelimit_zone_t  *zone;

    zone = shm_zone->data;

    if (ozone) {
        zone->sh = ozone->sh;
        zone->shpool = ozone->shpool;
        return NGX_OK;
    }

    zone->shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        zone->sh = zone->shpool->data;
        return NGX_OK;
    }

    zone->sh = ngx_slab_alloc(zone->shpool,
                              sizeof(ngx_stratum_ratelimit_sh_t));
    if (zone->sh == NULL) {
        return NGX_ERROR;
    }

    zone->shpool->data = zone->sh;

    ngx_rbtree_init(&zone->sh->rbtree, &zone->sh->sentinel,
                    ngx_str_rbtree_insert_value);
    ngx_queue_init(&zone->sh->queue);

    len = sizeof(" in stratum_ratelimit_zone \"\"") + shm_zone->shm.name.len;

    zone->shpool->log_ctx = ngx_slab_alloc(zone->shpool, len);
    if (zone->shpool->log_ctx == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(zone->shpool->log_ctx, " in stratum_ratelimit_zone \"%V\"%Z",
                &shm_zone->shm.name);

    zone->shpool->log_nomem = 0;

    return NGX_OK;
}


/*
 * the context lives in the main request's pool and is found again
 * through its cleanup after an internal redirect clears module contexts
 */

static ngx_stratum_ratelimit_ctx_t *
ngx_stratum_ratelimit_get_ctx(ngx_http_request_t *r, ngx_flag_t create)
{
    ngx_pool_cleanup_t                 *cln;
    ngx_stratum_ratelimit_ctx_t        *ctx;
    ngx_stratum_ratelimit_main_conf_t  *lrmcf;

    r = r->main;

    ctx = ngx_http_get_module_ctx(r, ngx_stratum_ratelimit_module);
    if (ctx) {
        return ctx;
    }

    for (cln = r->pool->cleanup; cln; cln = cln->next) {
        if (cln->handler == ngx_stratum_ratelimit_cleanup_ctx) {
            ctx = cln->data;
            ngx_http_set_ctx(r, ctx, ngx_stratum_ratelimit_module);
            return ctx;
        }
    }

    if (!create) {
        return NULL;
    }

    lrmcf = ngx_http_get_module_main_conf(r, ngx_stratum_ratelimit_module);

    cln = ngx_pool_cleanup_add(r->pool, sizeof(ngx_stratum_ratelimit_ctx_t));
    if (cln == NULL) {
        return NULL;
    }

    ctx = cln->data;
    ngx_memzero(ctx, sizeof(ngx_stratum_ratelimit_ctx_t));

    cln->handler = ngx_stratum_ratelimit_cleanup_ctx;

    ctx->seen = ngx_pcalloc(r->pool, lrmcf->zones.nelts);
    if (ctx->seen == NULL) {
        return NULL;
    }

    if (ngx_array_init(&ctx->items, r->pool, lrmcf->zones.nelts,
                       sizeof(ngx_stratum_ratelimit_item_t))
        != NGX_OK)
    {
        return NULL;
    }

    ngx_http_set_ctx(r, ctx, ngx_stratum_ratelimit_module);

    return ctx;
}


/* the request is gone: a reply still on its way finds nobody */

static void
ngx_stratum_ratelimit_cleanup_ctx(void *data)
{
    ngx_stratum_ratelimit_ctx_t  *ctx = data;

    if (ctx->query) {
        ngx_stratum_redis_cancel(ctx->query);
        ctx->query = NULL;
    }
}


static ngx_int_t
ngx_stratum_ratelimit_variable_status(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_stratum_ratelimit_ctx_t  *ctx;

    ctx = ngx_stratum_ratelimit_get_ctx(r, 0);

    if (ctx == NULL || ctx->status == NGX_STRATUM_RATELIMIT_NONE) {
        v->not_found = 1;
        return NGX_OK;
    }

    return ngx_stratum_ratelimit_set_variable(v,
               &ngx_stratum_ratelimit_status_words[ctx->status]);
}


static ngx_int_t
ngx_stratum_ratelimit_variable_zone(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_stratum_ratelimit_ctx_t  *ctx;

    ctx = ngx_stratum_ratelimit_get_ctx(r, 0);

    if (ctx == NULL || ctx->zone == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    return ngx_stratum_ratelimit_set_variable(v, &ctx->zone->name);
}


static ngx_int_t
ngx_stratum_ratelimit_variable_backend(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_stratum_ratelimit_ctx_t  *ctx;

    ctx = ngx_stratum_ratelimit_get_ctx(r, 0);

    if (ctx == NULL || ctx->status == NGX_STRATUM_RATELIMIT_NONE) {
        v->not_found = 1;
        return NGX_OK;
    }

    return ngx_stratum_ratelimit_set_variable(v,
               &ngx_stratum_ratelimit_backend_words[ctx->backend]);
}


static ngx_int_t
ngx_stratum_ratelimit_variable_redis(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t  value;

    if (ngx_stratum_ratelimit_redis == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    if (ngx_stratum_redis_is_up(ngx_stratum_ratelimit_redis)) {
        ngx_str_set(&value, "up");

    } else {
        ngx_str_set(&value, "down");
    }

    return ngx_stratum_ratelimit_set_variable(v, &value);
}


static ngx_int_t
ngx_stratum_ratelimit_set_variable(ngx_http_variable_value_t *v,
    ngx_str_t *value)
{
    v->len = value->len;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;
    v->data = value->data;

    return NGX_OK;
}


static ngx_int_t
ngx_stratum_ratelimit_add_variables(ngx_conf_t *cf)
{
    return ngx_stratum_add_variables(cf, ngx_stratum_ratelimit_vars);
}


static void *
ngx_stratum_ratelimit_create_main_conf(ngx_conf_t *cf)
{
    ngx_stratum_ratelimit_main_conf_t  *lrmcf;

    lrmcf = ngx_pcalloc(cf->pool, sizeof(ngx_stratum_ratelimit_main_conf_t));
    if (lrmcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     lrmcf->prefix = { 0, NULL };
     *     lrmcf->auth = NULL;
     */

    if (ngx_array_init(&lrmcf->zones, cf->pool, 4,
                       sizeof(ngx_stratum_ratelimit_zone_t *))
        != NGX_OK)
    {
        return NULL;
    }

    ngx_stratum_redis_conf_init(&lrmcf->redis);

    lrmcf->redis_api.version = NGX_STRATUM_REDIS_API_VERSION;
    lrmcf->redis_api.conf = &lrmcf->redis;
    lrmcf->redis_api.query = ngx_stratum_ratelimit_redis_query;

    return lrmcf;
}


static char *
ngx_stratum_ratelimit_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_stratum_ratelimit_main_conf_t *lrmcf = conf;

    char                           *rv;
    u_char                          digest[20];
    ngx_uint_t                      i;
    ngx_sha1_t                      sha1;
    ngx_stratum_ratelimit_zone_t  **zones, *zone;

    rv = ngx_stratum_redis_conf_merge(cf, &lrmcf->redis);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    if (lrmcf->prefix.data == NULL) {
        ngx_str_set(&lrmcf->prefix, "stratum:rl:");
    }

    /* without a Redis server, zones are local unless they say otherwise */

    zones = lrmcf->zones.elts;

    for (i = 0; i < lrmcf->zones.nelts; i++) {
        zone = zones[i];

        if (zone->backend == 0) {
            zone->backend = lrmcf->redis.addr ? NGX_STRATUM_RATELIMIT_REDIS
                                              : NGX_STRATUM_RATELIMIT_LOCAL;
        }

        if (zone->backend == NGX_STRATUM_RATELIMIT_REDIS
            && lrmcf->redis.addr == NULL)
        {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "zone \"%V\" in %s:%ui uses the redis backend "
                          "but \"stratum_redis_server\" is not set",
                          &zone->name, zone->file, zone->line);
            return NGX_CONF_ERROR;
        }

        if (zone->backend == NGX_STRATUM_RATELIMIT_LOCAL
            && zone->failure != 0)
        {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "zone \"%V\" in %s:%ui uses the local backend, "
                          "\"failure\" applies only to the redis backend",
                          &zone->name, zone->file, zone->line);
            return NGX_CONF_ERROR;
        }

        if (zone->failure == 0) {
            zone->failure = NGX_STRATUM_RATELIMIT_FAIL_LOCAL;
        }
    }

    ngx_sha1_init(&sha1);
    ngx_sha1_update(&sha1, ngx_stratum_ratelimit_script,
                    sizeof(ngx_stratum_ratelimit_script) - 1);
    ngx_sha1_final(digest, &sha1);

    ngx_hex_dump(lrmcf->sha, digest, sizeof(digest));

    return NGX_CONF_OK;
}


static void *
ngx_stratum_ratelimit_create_loc_conf(ngx_conf_t *cf)
{
    ngx_stratum_ratelimit_loc_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_stratum_ratelimit_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    conf->zones = NGX_CONF_UNSET_PTR;
    conf->dry_run = NGX_CONF_UNSET;
    conf->headers = NGX_CONF_UNSET;
    conf->log_level = NGX_CONF_UNSET_UINT;

    return conf;
}


static char *
ngx_stratum_ratelimit_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child)
{
    ngx_stratum_ratelimit_loc_conf_t *prev = parent;
    ngx_stratum_ratelimit_loc_conf_t *conf = child;

    ngx_conf_merge_ptr_value(conf->zones, prev->zones, NULL);
    ngx_conf_merge_value(conf->dry_run, prev->dry_run, 0);
    ngx_conf_merge_value(conf->headers, prev->headers, 1);
    ngx_conf_merge_uint_value(conf->log_level, prev->log_level,
                              NGX_LOG_WARN);

    return NGX_CONF_OK;
}


/*
 * stratum_ratelimit_zone NAME:SIZE key=VALUE rate=Nr/s|r/m|r/h [burst=N]
 *     [tenant=VALUE] [backend=redis|local] [failure=local|open|closed]
 */

static char *
ngx_stratum_ratelimit_zone(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_stratum_ratelimit_main_conf_t *lrmcf = conf;

    u_char                         *p, ch;
    char                           *rv;
    ssize_t                         size;
    ngx_str_t                      *value, name, s;
    ngx_uint_t                      i, rate;
    ngx_shm_zone_t                 *shm_zone;
    ngx_stratum_ratelimit_zone_t   *zone, **zp;

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

    /* the name is part of the Redis keys: no separator, no brace */

    for (i = 0; i < name.len; i++) {
        ch = name.data[i];

        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')
              || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-'
              || ch == '.'))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid zone name \"%V\", only letters, "
                               "digits, \"_\", \"-\" and \".\" are allowed",
                               &name);
            return NGX_CONF_ERROR;
        }
    }

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

    zone = ngx_pcalloc(cf->pool, sizeof(ngx_stratum_ratelimit_zone_t));
    if (zone == NULL) {
        return NGX_CONF_ERROR;
    }

    zone->name = name;
    zone->file = cf->conf_file->file.name.data;
    zone->line = cf->conf_file->line;

    rate = 0;

    for (i = 2; i < cf->args->nelts; i++) {
        rv = ngx_stratum_ratelimit_zone_param(cf, zone, &value[i], &rate);
        if (rv != NGX_CONF_OK) {
            return rv;
        }
    }

    if (zone->key.value.data == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "zone \"%V\" has no \"key\" parameter", &name);
        return NGX_CONF_ERROR;
    }

    if (rate == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "zone \"%V\" has no \"rate\" parameter", &name);
        return NGX_CONF_ERROR;
    }

    if (zone->burst == 0) {
        zone->burst = ngx_min(rate, NGX_STRATUM_RATELIMIT_MAX_BURST);
    }

    shm_zone = ngx_shared_memory_add(cf, &name, size,
                                     &ngx_stratum_ratelimit_module);
    if (shm_zone == NULL) {
        return NGX_CONF_ERROR;
    }

    if (shm_zone->data) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "duplicate zone \"%V\"", &name);
        return NGX_CONF_ERROR;
    }

    shm_zone->init = ngx_stratum_ratelimit_init_zone;
    shm_zone->data = zone;

    zone->shm_zone = shm_zone;
    zone->index = lrmcf->zones.nelts;

    zp = ngx_array_push(&lrmcf->zones);
    if (zp == NULL) {
        return NGX_CONF_ERROR;
    }

    *zp = zone;

    return NGX_CONF_OK;
}


static char *
ngx_stratum_ratelimit_zone_param(ngx_conf_t *cf,
    ngx_stratum_ratelimit_zone_t *zone, ngx_str_t *param, ngx_uint_t *rate)
{
    u_char                            *last;
    int64_t                            period;
    ngx_int_t                          n;
    ngx_str_t                          s;
    ngx_http_compile_complex_value_t   ccv;

    if (ngx_strncmp(param->data, "key=", 4) == 0
        || ngx_strncmp(param->data, "tenant=", 7) == 0)
    {
        s.data = (u_char *) ngx_strchr(param->data, '=') + 1;
        s.len = param->data + param->len - s.data;

        if (s.len == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\"", param);
            return NGX_CONF_ERROR;
        }

        ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));

        ccv.cf = cf;
        ccv.value = &s;

        if (param->data[0] == 'k') {
            if (zone->key.value.data) {
                goto duplicate;
            }

            ccv.complex_value = &zone->key;

        } else {
            if (zone->tenant) {
                goto duplicate;
            }

            zone->tenant = ngx_palloc(cf->pool,
                                      sizeof(ngx_http_complex_value_t));
            if (zone->tenant == NULL) {
                return NGX_CONF_ERROR;
            }

            ccv.complex_value = zone->tenant;
        }

        if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
            return NGX_CONF_ERROR;
        }

        return NGX_CONF_OK;
    }

    if (ngx_strncmp(param->data, "rate=", 5) == 0) {
        if (*rate) {
            goto duplicate;
        }

        last = param->data + param->len;

        if (param->len < 5 + 4 || ngx_strncmp(last - 3, "r/", 2) != 0) {
            goto invalid;
        }

        switch (last[-1]) {
        case 's':
            period = 1000000;
            break;
        case 'm':
            period = 60 * 1000000LL;
            break;
        case 'h':
            period = 3600 * 1000000LL;
            break;
        default:
            goto invalid;
        }

        n = ngx_atoi(param->data + 5, param->len - 5 - 3);

        if (n <= 0 || period / n == 0) {
            goto invalid;
        }

        /* TODO: rates that do not divide the period evenly round down */

        *rate = n;
        zone->interval = period / n;

        return NGX_CONF_OK;
    }

    if (ngx_strncmp(param->data, "burst=", 6) == 0) {
        if (zone->burst) {
            goto duplicate;
        }

        n = ngx_atoi(param->data + 6, param->len - 6);

        if (n <= 0 || n > NGX_STRATUM_RATELIMIT_MAX_BURST) {
            goto invalid;
        }

        zone->burst = n;

        return NGX_CONF_OK;
    }

    if (ngx_strncmp(param->data, "backend=", 8) == 0) {
        if (zone->backend) {
            goto duplicate;
        }

        s.data = param->data + 8;
        s.len = param->len - 8;

        if (s.len == 5 && ngx_strncmp(s.data, "redis", 5) == 0) {
            zone->backend = NGX_STRATUM_RATELIMIT_REDIS;

        } else if (s.len == 5 && ngx_strncmp(s.data, "local", 5) == 0) {
            zone->backend = NGX_STRATUM_RATELIMIT_LOCAL;

        } else {
            goto invalid;
        }

        return NGX_CONF_OK;
    }

    if (ngx_strncmp(param->data, "failure=", 8) == 0) {
        if (zone->failure) {
            goto duplicate;
        }

        s.data = param->data + 8;
        s.len = param->len - 8;

        if (s.len == 5 && ngx_strncmp(s.data, "local", 5) == 0) {
            zone->failure = NGX_STRATUM_RATELIMIT_FAIL_LOCAL;

        } else if (s.len == 4 && ngx_strncmp(s.data, "open", 4) == 0) {
            zone->failure = NGX_STRATUM_RATELIMIT_FAIL_OPEN;

        } else if (s.len == 6 && ngx_strncmp(s.data, "closed", 6) == 0) {
            zone->failure = NGX_STRATUM_RATELIMIT_FAIL_CLOSED;

        } else {
            goto invalid;
        }

        return NGX_CONF_OK;
    }

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "invalid parameter \"%V\"",
                       param);
    return NGX_CONF_ERROR;

duplicate:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "duplicate parameter \"%V\"",
                       param);
    return NGX_CONF_ERROR;
}


/* stratum_ratelimit ZONE ... | off */

static char *
ngx_stratum_ratelimit(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_stratum_ratelimit_loc_conf_t *lrcf = conf;

    ngx_str_t                          *value;
    ngx_uint_t                          i, j, k;
    ngx_stratum_ratelimit_zone_t      **zones, **used, *zone;
    ngx_stratum_ratelimit_main_conf_t  *lrmcf;

    value = cf->args->elts;

    if (lrcf->zones == NULL) {
        return "is duplicate";
    }

    if (cf->args->nelts == 2 && ngx_strcmp(value[1].data, "off") == 0) {
        if (lrcf->zones != NGX_CONF_UNSET_PTR) {
            return "is duplicate";
        }

        lrcf->zones = NULL;
        return NGX_CONF_OK;
    }

    if (lrcf->zones == NGX_CONF_UNSET_PTR) {
        lrcf->zones = ngx_array_create(cf->pool, 2,
                                   sizeof(ngx_stratum_ratelimit_zone_t *));
        if (lrcf->zones == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    lrmcf = ngx_http_conf_get_module_main_conf(cf,
                                               ngx_stratum_ratelimit_module);
    zones = lrmcf->zones.elts;

    for (i = 1; i < cf->args->nelts; i++) {

        zone = NULL;

        for (j = 0; j < lrmcf->zones.nelts; j++) {
            if (zones[j]->name.len == value[i].len
                && ngx_strncmp(zones[j]->name.data, value[i].data,
                               value[i].len) == 0)
            {
                zone = zones[j];
                break;
            }
        }

        if (zone == NULL) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "unknown zone \"%V\", declare it with "
                               "\"stratum_ratelimit_zone\" before using it",
                               &value[i]);
            return NGX_CONF_ERROR;
        }

        used = lrcf->zones->elts;

        for (k = 0; k < lrcf->zones->nelts; k++) {
            if (used[k] == zone) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "zone \"%V\" is already used here",
                                   &value[i]);
                return NGX_CONF_ERROR;
            }
        }

        if (ngx_array_push(lrcf->zones) == NULL) {
            return NGX_CONF_ERROR;
        }

        /* kept in the order of the indexes: the order of locking */

        used = lrcf->zones->elts;

        for (k = lrcf->zones->nelts - 1; k > 0; k--) {
            if (used[k - 1]->index < zone->index) {
                break;
            }

            used[k] = used[k - 1];
        }

        used[k] = zone;
    }

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_stratum_ratelimit_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt                *h;
    ngx_http_core_main_conf_t          *cmcf;
    ngx_stratum_ratelimit_main_conf_t  *lrmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_ACCESS_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_stratum_ratelimit_handler;

    lrmcf = ngx_http_conf_get_module_main_conf(cf,
                                               ngx_stratum_ratelimit_module);
    lrmcf->auth = ngx_stratum_auth_api(cf);

    return NGX_OK;
}


static ngx_int_t
ngx_stratum_ratelimit_init_process(ngx_cycle_t *cycle)
{
    ngx_stratum_ratelimit_main_conf_t  *lrmcf;

    lrmcf = ngx_http_cycle_get_module_main_conf(cycle,
                                                ngx_stratum_ratelimit_module);

    if (lrmcf == NULL || lrmcf->redis.addr == NULL) {
        return NGX_OK;
    }

    ngx_stratum_ratelimit_redis = ngx_stratum_redis_create(cycle,
                                                           &lrmcf->redis);
    if (ngx_stratum_ratelimit_redis == NULL) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static void
ngx_stratum_ratelimit_exit_process(ngx_cycle_t *cycle)
{
    if (ngx_stratum_ratelimit_redis) {
        ngx_stratum_redis_destroy(ngx_stratum_ratelimit_redis);
        ngx_stratum_ratelimit_redis = NULL;
    }
}


/* the worker's client, lent to the other modules (ngx_stratum_redis_api) */

static ngx_int_t
ngx_stratum_ratelimit_redis_query(ngx_uint_t argc, const char **argv,
    const size_t *argvlen, ngx_stratum_redis_handler_pt handler, void *data,
    ngx_stratum_redis_query_t **query)
{
    if (ngx_stratum_ratelimit_redis == NULL) {
        return NGX_DECLINED;
    }

    return ngx_stratum_redis_query(ngx_stratum_ratelimit_redis, argc, argv,
                                   argvlen, handler, data, query);
}
