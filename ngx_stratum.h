
/*
 * Copyright (C) The Stratum authors
 */


#ifndef _NGX_STRATUM_H_INCLUDED_
#define _NGX_STRATUM_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_stratum_conf.h"
#include "ngx_stratum_redact.h"


/*
 * What the auth module hands to the other modules of the project.
 *
 * The modules are separate shared objects, so none links against another:
 * a module that needs the claims finds the auth module by name at
 * configuration time (ngx_stratum_auth_api()) and calls through the table
 * kept in the auth module's main configuration.  The claims live in the
 * request pool and survive internal redirects.
 */


#define NGX_STRATUM_AUTH_MODULE_NAME  "ngx_stratum_auth_module"
#define NGX_STRATUM_AUTH_API_VERSION  1


typedef enum {
    NGX_STRATUM_AUTH_OFF = 0,
    NGX_STRATUM_AUTH_OK,
    NGX_STRATUM_AUTH_MISSING,
    NGX_STRATUM_AUTH_MALFORMED,
    NGX_STRATUM_AUTH_TOO_LARGE,
    NGX_STRATUM_AUTH_BAD_HEADER,
    NGX_STRATUM_AUTH_BAD_ALGORITHM,
    NGX_STRATUM_AUTH_UNKNOWN_KID,
    NGX_STRATUM_AUTH_BAD_SIGNATURE,
    NGX_STRATUM_AUTH_EXPIRED,
    NGX_STRATUM_AUTH_NOT_YET_VALID,
    NGX_STRATUM_AUTH_BAD_ISSUER,
    NGX_STRATUM_AUTH_BAD_AUDIENCE,
    NGX_STRATUM_AUTH_LIFETIME_EXCEEDED,
    NGX_STRATUM_AUTH_BAD_CLAIMS,
    NGX_STRATUM_AUTH_MFA_REQUIRED
} ngx_stratum_auth_result_e;


typedef struct {
    ngx_stratum_auth_result_e   result;

    /* set only when result is NGX_STRATUM_AUTH_OK */
    ngx_str_t                   sub;
    ngx_str_t                   tenant_id;
    ngx_str_t                   kid;
    ngx_str_t                   alg;
    ngx_array_t                 roles;          /* of ngx_str_t */
    ngx_array_t                 permissions;    /* of ngx_str_t */
    time_t                      exp;
    unsigned                    has_tenant:1;
    unsigned                    mfa:1;
} ngx_stratum_claims_t;


typedef struct {
    ngx_uint_t                  version;
    ngx_module_t               *module;

    /*
     * the claims of the request, NULL when no decision was made; the
     * decision itself is claims->result
     */
    ngx_stratum_claims_t     *(*claims)(ngx_http_request_t *r);

    /*
     * the auth access handler: a module that must run after it calls it
     * first (handlers of one phase run in no order a module can rely on);
     * it decides once per location and returns the same answer again
     */
    ngx_int_t                 (*handler)(ngx_http_request_t *r);

    /*
     * answers 401 for the request's auth result, as the auth module
     * would, and for good even under "satisfy any": for a module that
     * needs a token where auth is optional or another module may allow
     */
    ngx_int_t                 (*refuse)(ngx_http_request_t *r);

    /*
     * whether authentication is on or optional where the location being
     * merged is; valid in merge_loc_conf of a module loaded after auth
     */
    ngx_flag_t                (*enabled)(ngx_conf_t *cf);
} ngx_stratum_auth_api_t;


/*
 * the server configuration of a module that guards locations: whether
 * any location of the server (or the server itself) is guarded by it
 */

typedef struct {
    ngx_uint_t                  guarded;
} ngx_stratum_srv_conf_t;


/* shared by the modules that refuse requests (ngx_stratum_http.c) */

NGX_STRATUM_HIDDEN ngx_int_t ngx_stratum_send_refusal(ngx_http_request_t *r,
    ngx_uint_t status, ngx_buf_t *body);
NGX_STRATUM_HIDDEN void *ngx_stratum_create_srv_conf(ngx_conf_t *cf);
NGX_STRATUM_HIDDEN ngx_int_t ngx_stratum_check_internal(
    ngx_http_request_t *r, ngx_stratum_srv_conf_t *sscf,
    ngx_http_handler_pt access);
NGX_STRATUM_HIDDEN ngx_uint_t ngx_stratum_unnormalized(ngx_str_t *uri,
    ngx_flag_t merge_slashes);


/*
 * the main configuration of the HTTP module of that name, or NULL when it
 * is not loaded; the tables that modules lend each other live at its
 * start.  Call it at configuration time only.
 */

static ngx_inline void *
ngx_stratum_module_main_conf(ngx_conf_t *cf, const char *name)
{
    ngx_uint_t            i;
    ngx_module_t         *m;
    ngx_http_conf_ctx_t  *ctx;

    for (i = 0; cf->cycle->modules[i]; i++) {
        m = cf->cycle->modules[i];

        if (m->type == NGX_HTTP_MODULE
            && ngx_strcmp(m->name, name) == 0)
        {
            ctx = (ngx_http_conf_ctx_t *) cf->ctx;
            return ctx->main_conf[m->ctx_index];
        }
    }

    return NULL;
}


/* registers a module's variables: a table ending in ngx_http_null_variable */

static ngx_inline ngx_int_t
ngx_stratum_add_variables(ngx_conf_t *cf, ngx_http_variable_t *vars)
{
    ngx_http_variable_t  *var, *v;

    for (v = vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


/* the auth module's table, or NULL when the auth module is not loaded */

static ngx_inline ngx_stratum_auth_api_t *
ngx_stratum_auth_api(ngx_conf_t *cf)
{
    ngx_stratum_auth_api_t  *api;

    api = ngx_stratum_module_main_conf(cf, NGX_STRATUM_AUTH_MODULE_NAME);

    if (api == NULL || api->version != NGX_STRATUM_AUTH_API_VERSION) {
        return NULL;
    }

    return api;
}


#endif /* _NGX_STRATUM_H_INCLUDED_ */
