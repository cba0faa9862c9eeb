
/*
 * Copyright (C) The Stratum authors
 */


/*
 * nginx functions and data that a module's tables (directives, module
 * context) or its cache and response code refer to, so that a target
 * including the module's .c file links.  No target reaches them: each
 * aborts, naming itself.  A target that starts to reach one needs a real
 * stand-in in ngx_stratum_fuzz.c instead.  A module that refers to more
 * adds its lines here.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <ngx_sha1.h>

#include <stdio.h>
#include <stdlib.h>

#include "../ngx_stratum_redis.h"


#define ngx_stratum_fuzz_unreachable()                                       \
    ngx_stratum_fuzz_abort(__func__)


static void ngx_stratum_fuzz_abort(const char *name)
    __attribute__((noreturn));


ngx_uint_t    ngx_pagesize = 4096;
ngx_module_t  ngx_http_core_module;
ngx_module_t  ngx_http_module;
uint32_t     *ngx_crc32_table_short;


static void
ngx_stratum_fuzz_abort(const char *name)
{
    fprintf(stderr, "fuzz stub: %s() reached, it has no stand-in\n", name);
    abort();
}


/* configuration */

char *
ngx_conf_set_flag_slot(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_stratum_fuzz_unreachable();
}


char *
ngx_conf_set_str_slot(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_stratum_fuzz_unreachable();
}


char *
ngx_conf_set_sec_slot(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_stratum_fuzz_unreachable();
}


char *
ngx_conf_set_size_slot(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_stratum_fuzz_unreachable();
}


char *
ngx_conf_set_num_slot(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_stratum_fuzz_unreachable();
}


char *
ngx_conf_set_msec_slot(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_stratum_fuzz_unreachable();
}


char *
ngx_conf_set_enum_slot(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_stratum_fuzz_unreachable();
}


char *
ngx_conf_check_num_bounds(ngx_conf_t *cf, void *post, void *data)
{
    ngx_stratum_fuzz_unreachable();
}


char *
ngx_http_set_complex_value_slot(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_stratum_fuzz_unreachable();
}


ngx_http_variable_t *
ngx_http_add_variable(ngx_conf_t *cf, ngx_str_t *name, ngx_uint_t flags)
{
    ngx_stratum_fuzz_unreachable();
}


ngx_shm_zone_t *
ngx_shared_memory_add(ngx_conf_t *cf, ngx_str_t *name, size_t size,
    void *tag)
{
    ngx_stratum_fuzz_unreachable();
}


ngx_int_t
ngx_http_compile_complex_value(ngx_http_compile_complex_value_t *ccv)
{
    ngx_stratum_fuzz_unreachable();
}


ngx_int_t
ngx_atoi(u_char *line, size_t n)
{
    ngx_stratum_fuzz_unreachable();
}


ssize_t
ngx_parse_size(ngx_str_t *line)
{
    ngx_stratum_fuzz_unreachable();
}


ngx_int_t
ngx_parse_time(ngx_str_t *line, ngx_uint_t is_sec)
{
    ngx_stratum_fuzz_unreachable();
}


/* requests and responses */

ngx_int_t
ngx_http_complex_value(ngx_http_request_t *r, ngx_http_complex_value_t *val,
    ngx_str_t *value)
{
    ngx_stratum_fuzz_unreachable();
}


ngx_int_t
ngx_http_discard_request_body(ngx_http_request_t *r)
{
    ngx_stratum_fuzz_unreachable();
}


ngx_int_t
ngx_http_send_header(ngx_http_request_t *r)
{
    ngx_stratum_fuzz_unreachable();
}


ngx_int_t
ngx_http_output_filter(ngx_http_request_t *r, ngx_chain_t *chain)
{
    ngx_stratum_fuzz_unreachable();
}


void
ngx_http_finalize_request(ngx_http_request_t *r, ngx_int_t rc)
{
    ngx_stratum_fuzz_unreachable();
}


void
ngx_http_core_run_phases(ngx_http_request_t *r)
{
    ngx_stratum_fuzz_unreachable();
}


void
ngx_http_run_posted_requests(ngx_connection_t *c)
{
    ngx_stratum_fuzz_unreachable();
}


void
ngx_http_request_empty_handler(ngx_http_request_t *r)
{
    ngx_stratum_fuzz_unreachable();
}


void
ngx_http_block_reading(ngx_http_request_t *r)
{
    ngx_stratum_fuzz_unreachable();
}


void
ngx_http_test_reading(ngx_http_request_t *r)
{
    ngx_stratum_fuzz_unreachable();
}


ngx_buf_t *
ngx_create_temp_buf(ngx_pool_t *pool, size_t size)
{
    ngx_stratum_fuzz_unreachable();
}


void *
ngx_list_push(ngx_list_t *list)
{
    ngx_stratum_fuzz_unreachable();
}


/* shared memory */

void *
ngx_slab_alloc(ngx_slab_pool_t *pool, size_t size)
{
    ngx_stratum_fuzz_unreachable();
}


void *
ngx_slab_alloc_locked(ngx_slab_pool_t *pool, size_t size)
{
    ngx_stratum_fuzz_unreachable();
}


void
ngx_slab_free_locked(ngx_slab_pool_t *pool, void *p)
{
    ngx_stratum_fuzz_unreachable();
}


void
ngx_shmtx_lock(ngx_shmtx_t *mtx)
{
    ngx_stratum_fuzz_unreachable();
}


void
ngx_shmtx_unlock(ngx_shmtx_t *mtx)
{
    ngx_stratum_fuzz_unreachable();
}


void
ngx_rbtree_insert(ngx_rbtree_t *tree, ngx_rbtree_node_t *node)
{
    ngx_stratum_fuzz_unreachable();
}


void
ngx_rbtree_delete(ngx_rbtree_t *tree, ngx_rbtree_node_t *node)
{
    ngx_stratum_fuzz_unreachable();
}


void
ngx_str_rbtree_insert_value(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel)
{
    ngx_stratum_fuzz_unreachable();
}


ngx_str_node_t *
ngx_str_rbtree_lookup(ngx_rbtree_t *rbtree, ngx_str_t *name, uint32_t hash)
{
    ngx_stratum_fuzz_unreachable();
}


/* hashes */

void
ngx_sha1_init(ngx_sha1_t *ctx)
{
    ngx_stratum_fuzz_unreachable();
}


void
ngx_sha1_update(ngx_sha1_t *ctx, const void *data, size_t size)
{
    ngx_stratum_fuzz_unreachable();
}


void
ngx_sha1_final(u_char result[20], ngx_sha1_t *ctx)
{
    ngx_stratum_fuzz_unreachable();
}


/*
 * the project's Redis client, for a target that includes a module using
 * it without linking ngx_stratum_redis.c; weak, so that linking it wins
 */

__attribute__((weak)) void
ngx_stratum_redis_conf_init(ngx_stratum_redis_conf_t *rcf)
{
    ngx_stratum_fuzz_unreachable();
}


__attribute__((weak)) char *
ngx_stratum_redis_conf_merge(ngx_conf_t *cf, ngx_stratum_redis_conf_t *rcf)
{
    ngx_stratum_fuzz_unreachable();
}


__attribute__((weak)) char *
ngx_stratum_redis_set_server(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_stratum_fuzz_unreachable();
}


__attribute__((weak)) char *
ngx_stratum_redis_set_secret(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_stratum_fuzz_unreachable();
}


__attribute__((weak)) ngx_stratum_redis_t *
ngx_stratum_redis_create(ngx_cycle_t *cycle, ngx_stratum_redis_conf_t *rcf)
{
    ngx_stratum_fuzz_unreachable();
}


__attribute__((weak)) void
ngx_stratum_redis_destroy(ngx_stratum_redis_t *rd)
{
    ngx_stratum_fuzz_unreachable();
}


__attribute__((weak)) ngx_int_t
ngx_stratum_redis_query(ngx_stratum_redis_t *rd, ngx_uint_t argc,
    const char **argv, const size_t *argvlen,
    ngx_stratum_redis_handler_pt handler, void *data,
    ngx_stratum_redis_query_t **query)
{
    ngx_stratum_fuzz_unreachable();
}


__attribute__((weak)) void
ngx_stratum_redis_cancel(ngx_stratum_redis_query_t *q)
{
    ngx_stratum_fuzz_unreachable();
}


__attribute__((weak)) ngx_flag_t
ngx_stratum_redis_is_up(ngx_stratum_redis_t *rd)
{
    ngx_stratum_fuzz_unreachable();
}
