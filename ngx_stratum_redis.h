/*
 * Copyright (C) The Stratum authors
 */


#ifndef _NGX_STRATUM_REDIS_H_INCLUDED_
#define _NGX_STRATUM_REDIS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>
#include <ngx_event_connect.h>

#include <hiredis/hiredis.h>

#include "ngx_stratum.h"


/*
 * A small Redis client inside nginx's event loop, shared by the modules
 * of the project.  Connections are nginx connections driven by nginx's
 * events and timers; hiredis only formats commands and parses replies.
 * Each worker has its own client: up to pool_size keepalive connections,
 * on which commands are pipelined (a command goes to the least busy one,
 * the commands queued in one pass of the event loop leave in one send()),
 * and a circuit breaker.
 *
 * The configuration part (ngx_stratum_redis_conf_t) lives in the main
 * configuration of the module that owns the "stratum_redis_..."
 * directives, the rate-limit module; the client itself is made in
 * init_process.  The other modules use that worker's client through the
 * table below (ngx_stratum_redis_api()), never a copy of their own.
 */


typedef struct ngx_stratum_redis_s        ngx_stratum_redis_t;
typedef struct ngx_stratum_redis_query_s  ngx_stratum_redis_query_t;


/*
 * called once per query, never from inside ngx_stratum_redis_query();
 * reply is NULL when Redis could not be asked or did not answer in time
 * (the client has counted it as a failure), else any reply, error replies
 * included; the client frees the reply when the handler returns
 */
typedef void (*ngx_stratum_redis_handler_pt)(void *data, redisReply *reply);


typedef struct {
    ngx_addr_t                 *addr;          /* NULL: no Redis */
    ngx_str_t                   user;
    ngx_str_t                   password;
    ngx_int_t                   database;
    ngx_msec_t                  connect_timeout;
    ngx_msec_t                  send_timeout;
    ngx_msec_t                  read_timeout;
    ngx_uint_t                  pool_size;
    ngx_uint_t                  max_fails;
    ngx_msec_t                  fail_timeout;
} ngx_stratum_redis_conf_t;


void ngx_stratum_redis_conf_init(ngx_stratum_redis_conf_t *rcf);
char *ngx_stratum_redis_conf_merge(ngx_conf_t *cf,
    ngx_stratum_redis_conf_t *rcf);
char *ngx_stratum_redis_set_server(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_stratum_redis_set_secret(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

ngx_stratum_redis_t *ngx_stratum_redis_create(ngx_cycle_t *cycle,
    ngx_stratum_redis_conf_t *rcf);
void ngx_stratum_redis_destroy(ngx_stratum_redis_t *rd);

/*
 * NGX_OK: sent or being sent, the handler will be called; NGX_DECLINED:
 * Redis is known to be down (the breaker is open) or the connection failed
 * at once, the handler will not be called; NGX_ERROR: no memory
 */
ngx_int_t ngx_stratum_redis_query(ngx_stratum_redis_t *rd, ngx_uint_t argc,
    const char **argv, const size_t *argvlen,
    ngx_stratum_redis_handler_pt handler, void *data,
    ngx_stratum_redis_query_t **query);

/* the handler of a query in flight will not be called */
void ngx_stratum_redis_cancel(ngx_stratum_redis_query_t *q);

/* whether the breaker lets queries through in this worker */
ngx_flag_t ngx_stratum_redis_is_up(ngx_stratum_redis_t *rd);


#define NGX_STRATUM_REDIS_MODULE_NAME  "ngx_stratum_ratelimit_module"
#define NGX_STRATUM_REDIS_API_VERSION  1


typedef struct {
    ngx_uint_t                  version;

    /* the settings, merged: conf->addr is NULL when no server is set */
    ngx_stratum_redis_conf_t   *conf;

    /*
     * ngx_stratum_redis_query() on this worker's client; NGX_DECLINED
     * also when the worker has none.  Queries still in flight when the
     * worker exits are dropped without their handlers being called.
     */
    ngx_int_t                 (*query)(ngx_uint_t argc, const char **argv,
                                       const size_t *argvlen,
                                       ngx_stratum_redis_handler_pt handler,
                                       void *data,
                                       ngx_stratum_redis_query_t **query);
} ngx_stratum_redis_api_t;


/*
 * the shared client's table, or NULL when the module that keeps it is not
 * loaded; call it at configuration time only, and read conf->addr from
 * postconfiguration on, once the settings are merged
 */

static ngx_inline ngx_stratum_redis_api_t *
ngx_stratum_redis_api(ngx_conf_t *cf)
{
    ngx_stratum_redis_api_t  *api;

    api = ngx_stratum_module_main_conf(cf, NGX_STRATUM_REDIS_MODULE_NAME);

    if (api == NULL || api->version != NGX_STRATUM_REDIS_API_VERSION) {
        return NULL;
    }

    return api;
}


#endif /* _NGX_STRATUM_REDIS_H_INCLUDED_ */
