
/*
 * Copyright (C) The Stratum authors
 */


#ifndef _NGX_STRATUM_CONF_H_INCLUDED_
#define _NGX_STRATUM_CONF_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


/*
 * code built into each module that uses it is hidden, so that no module
 * calls another's copy
 */

#if (defined __GNUC__)
#define NGX_STRATUM_HIDDEN  __attribute__((visibility("hidden")))
#else
#define NGX_STRATUM_HIDDEN
#endif


/* configuration-time helpers (ngx_stratum_conf.c) */

NGX_STRATUM_HIDDEN ngx_int_t ngx_stratum_conf_read_file(ngx_conf_t *cf,
    ngx_str_t *path, const char *what, size_t max, ngx_pool_t *pool,
    ngx_str_t *out);


#endif /* _NGX_STRATUM_CONF_H_INCLUDED_ */
