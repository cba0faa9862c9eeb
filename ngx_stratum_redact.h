/*
 * Copyright (C) The Stratum authors
 */


#ifndef _NGX_STRATUM_REDACT_H_INCLUDED_
#define _NGX_STRATUM_REDACT_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_stratum_conf.h"


/* client strings without their secrets (ngx_stratum_redact.c) */

NGX_STRATUM_HIDDEN ngx_int_t ngx_stratum_redact_tokens(ngx_pool_t *pool,
    ngx_str_t *str);
NGX_STRATUM_HIDDEN ngx_int_t ngx_stratum_redact_client(ngx_pool_t *pool,
    ngx_str_t *str);
NGX_STRATUM_HIDDEN ngx_int_t ngx_stratum_redact_secret(ngx_pool_t *pool,
    u_char *data, size_t len);
NGX_STRATUM_HIDDEN ngx_uint_t ngx_stratum_redact_holds_token(u_char *p,
    u_char *last);
NGX_STRATUM_HIDDEN ngx_uint_t ngx_stratum_redact_credential_name(
    u_char *name, size_t len);

NGX_STRATUM_HIDDEN void ngx_stratum_log_error(ngx_uint_t level,
    ngx_http_request_t *r, ngx_err_t err, const char *fmt, ...);


#endif /* _NGX_STRATUM_REDACT_H_INCLUDED_ */
