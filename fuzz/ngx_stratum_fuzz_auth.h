
/*
 * Copyright (C) The Stratum authors
 */


/*
 * What the auth targets share: included after ngx_stratum_auth_module.c,
 * whose static functions they call.  A location configuration is made by
 * the module's own create and merge functions; the first input byte
 * picks its policy, so one corpus covers the directives' combinations.
 */


#ifndef _NGX_STRATUM_FUZZ_AUTH_H_INCLUDED_
#define _NGX_STRATUM_FUZZ_AUTH_H_INCLUDED_


#include <stdio.h>
#include <stdlib.h>

#include "ngx_stratum_fuzz.h"


#define NGX_STRATUM_FUZZ_NOW        1700000000

/* every algorithm but PS512, so that an allowed-list refusal is reachable */
#define NGX_STRATUM_FUZZ_ALGS       (0x1ff & ~(1 << NGX_STRATUM_JWT_PS512))

#define NGX_STRATUM_FUZZ_POLICIES   256


typedef struct {
    ngx_http_request_t        *r;
    ngx_connection_t          *c;
    ngx_table_elt_t           *authorization;
} ngx_stratum_fuzz_request_t;


static ngx_array_t *ngx_stratum_fuzz_words(ngx_pool_t *pool,
    const char **words);
static void ngx_stratum_fuzz_make_policies(ngx_conf_t *cf,
    ngx_array_t *keys);
static void ngx_stratum_fuzz_request(ngx_stratum_fuzz_request_t *fr,
    u_char *value, size_t len);
static void ngx_stratum_fuzz_printable(ngx_str_t *s, ngx_uint_t no_comma);
static void ngx_stratum_fuzz_variables(ngx_http_request_t *r,
    const char **claims);
static void ngx_stratum_fuzz_identity(ngx_stratum_claims_t *claims);


static ngx_stratum_auth_loc_conf_t
    *ngx_stratum_fuzz_policies[NGX_STRATUM_FUZZ_POLICIES];


static ngx_array_t *
ngx_stratum_fuzz_words(ngx_pool_t *pool, const char **words)
{
    ngx_str_t    *s;
    ngx_array_t  *a;

    a = ngx_array_create(pool, 2, sizeof(ngx_str_t));

    while (*words) {
        s = ngx_array_push(a);
        s->data = (u_char *) *words;
        s->len = ngx_strlen(*words);
        words++;
    }

    return a;
}


/*
 * the policy of byte "b": bit 0 issuer, 1 audience, 2 max_lifetime,
 * 3 own MFA methods, 4 MFA on, 5 MFA roles, 6-7 leeway
 */

static void
ngx_stratum_fuzz_make_policies(ngx_conf_t *cf, ngx_array_t *keys)
{
    char                         *rv;
    ngx_uint_t                    b;
    ngx_stratum_auth_loc_conf_t  *prev, *conf;

    static const char              *methods[] = { "otp", "hwk", NULL };
    static const char              *roles[] = { "admin", "root", NULL };
    static time_t                   leeways[] = { 0, 60, 3600,
                                                  10L * 365 * 86400 };
    static ngx_stratum_srv_conf_t   sscf;
    static void                    *srv_conf[] = { &sscf };
    static ngx_http_conf_ctx_t      ctx;

    /* the merge marks the server it merges for, as nginx's merge lets it */

    ctx.srv_conf = srv_conf;
    cf->ctx = &ctx;

    for (b = 0; b < NGX_STRATUM_FUZZ_POLICIES; b++) {
        prev = ngx_stratum_auth_create_loc_conf(cf);
        conf = ngx_stratum_auth_create_loc_conf(cf);

        conf->mode = NGX_STRATUM_AUTH_MODE_ON;
        conf->keys = keys;
        conf->algs = NGX_STRATUM_FUZZ_ALGS;

        if (b & 0x01) {
            ngx_str_set(&conf->issuer, "https://idp.example");
        }

        if (b & 0x02) {
            ngx_str_set(&conf->audience, "api");
        }

        if (b & 0x04) {
            conf->max_lifetime = 3600;
        }

        if (b & 0x08) {
            conf->mfa_methods = ngx_stratum_fuzz_words(cf->pool, methods);
        }

        if (b & 0x10) {
            conf->mfa = 1;
        }

        if (b & 0x20) {
            conf->mfa_roles = ngx_stratum_fuzz_words(cf->pool, roles);
        }

        conf->leeway = leeways[b >> 6];

        sscf.guarded = 0;

        rv = ngx_stratum_auth_merge_loc_conf(cf, prev, conf);
        ngx_stratum_fuzz_check(rv == NGX_CONF_OK && sscf.guarded);

        ngx_stratum_fuzz_policies[b] = conf;
    }
}


static void
ngx_stratum_fuzz_request(ngx_stratum_fuzz_request_t *fr, u_char *value,
    size_t len)
{
    ngx_pool_t  *pool;

    pool = ngx_stratum_fuzz_pool_create();

    fr->c = ngx_pcalloc(pool, sizeof(ngx_connection_t));
    fr->c->log = &ngx_stratum_fuzz_log;
    fr->c->pool = pool;

    fr->r = ngx_pcalloc(pool, sizeof(ngx_http_request_t));
    fr->r->main = fr->r;
    fr->r->pool = pool;
    fr->r->connection = fr->c;
    fr->r->ctx = ngx_pcalloc(pool, sizeof(void *));

    fr->authorization = NULL;

    if (value) {
        fr->authorization = ngx_pcalloc(pool, sizeof(ngx_table_elt_t));
        ngx_str_set(&fr->authorization->key, "Authorization");
        fr->authorization->value.data = value;
        fr->authorization->value.len = len;
        fr->authorization->hash = 1;
        fr->r->headers_in.authorization = fr->authorization;
    }
}


/* what may reach a header or a log: no control characters */

static void
ngx_stratum_fuzz_printable(ngx_str_t *s, ngx_uint_t no_comma)
{
    size_t  i;

    for (i = 0; i < s->len; i++) {
        ngx_stratum_fuzz_check(s->data[i] >= 0x20 && s->data[i] != 0x7f);
        ngx_stratum_fuzz_check(!no_comma || s->data[i] != ',');
    }
}


/*
 * every variable of the module, as a log format or proxy_set_header
 * would read them, after a decision; "claims" names the claim variables
 */

static void
ngx_stratum_fuzz_variables(ngx_http_request_t *r, const char **claims)
{
    ngx_str_t                   name, value;
    ngx_int_t                   rc;
    ngx_http_variable_t        *v;
    ngx_http_variable_value_t   vv;
    u_char                      buf[64];

    for (v = ngx_stratum_auth_vars; v->name.len; v++) {

        if (v->flags & NGX_HTTP_VAR_PREFIX) {
            continue;
        }

        ngx_memzero(&vv, sizeof(ngx_http_variable_value_t));

        rc = v->get_handler(r, &vv, v->data);
        ngx_stratum_fuzz_check(rc == NGX_OK);

        if (vv.not_found) {
            continue;
        }

        value.data = vv.data;
        value.len = vv.len;

        ngx_stratum_fuzz_printable(&value, 0);
    }

    for ( /* void */ ; *claims; claims++) {
        name.data = buf;
        name.len = ngx_sprintf(buf, "stratum_auth_claim_%s", *claims) - buf;

        ngx_memzero(&vv, sizeof(ngx_http_variable_value_t));

        rc = ngx_stratum_auth_variable_claim(r, &vv, (uintptr_t) &name);
        ngx_stratum_fuzz_check(rc == NGX_OK);

        if (vv.not_found) {
            continue;
        }

        value.data = vv.data;
        value.len = vv.len;

        ngx_stratum_fuzz_printable(&value, 0);
    }
}


/* the identity an accepted token hands to other modules */

static void
ngx_stratum_fuzz_identity(ngx_stratum_claims_t *claims)
{
    ngx_str_t   *s;
    ngx_uint_t   i;

    ngx_stratum_fuzz_printable(&claims->sub, 1);
    ngx_stratum_fuzz_printable(&claims->tenant_id, 1);

    s = claims->roles.elts;

    for (i = 0; i < claims->roles.nelts; i++) {
        ngx_stratum_fuzz_check(s[i].len > 0);
        ngx_stratum_fuzz_printable(&s[i], 1);
    }

    s = claims->permissions.elts;

    for (i = 0; i < claims->permissions.nelts; i++) {
        ngx_stratum_fuzz_check(s[i].len > 0);
        ngx_stratum_fuzz_printable(&s[i], 1);
    }
}


#endif /* _NGX_STRATUM_FUZZ_AUTH_H_INCLUDED_ */
