
/*
 * Copyright (C) The Stratum authors
 */


/*
 * The JOSE header and claims checks of the auth module, on any JSON:
 * the first byte picks the location's policy, the rest is one JSON text,
 * checked as a header (ngx_stratum_auth_check_header()) and as claims
 * (ngx_stratum_auth_check_claims(), then the time and MFA checks), after
 * which every variable of the module is read.  Signatures are not
 * involved here: fuzz_auth_token drives the same checks through a signed
 * token.
 *
 * Oracles: the keys a header picks fit its "alg" and "kid"; an accepted
 * token's identity strings hold no control character and no comma; no
 * variable holds a control character; times stay within +-2^48.
 */


#include "../ngx_stratum_auth_module.c"

#include "ngx_stratum_fuzz_auth.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void ngx_stratum_fuzz_header(ngx_stratum_auth_loc_conf_t *sacf,
    json_t *json, ngx_pool_t *pool);
static ngx_array_t *ngx_stratum_fuzz_keys(ngx_conf_t *cf);


static const char  *ngx_stratum_fuzz_claim_names[] = {
    "sub", "aud", "iss", "exp", "roles", "permissions", "amr", "tenant_id",
    "email", "groups", "a", NULL
};


static void
ngx_stratum_fuzz_header(ngx_stratum_auth_loc_conf_t *sacf, json_t *json,
    ngx_pool_t *pool)
{
    json_t                     *kid;
    ngx_uint_t                  i, nkeys, alg;
    ngx_stratum_jwt_key_t     **keys;
    ngx_stratum_auth_result_e   result;

    result = ngx_stratum_auth_check_header(sacf, json, &keys, &nkeys, &alg,
                                           pool);
    if (result != NGX_STRATUM_AUTH_OK) {
        return;
    }

    ngx_stratum_fuzz_check(alg < NGX_STRATUM_JWT_NALGS);
    ngx_stratum_fuzz_check(sacf->algs & ((ngx_uint_t) 1 << alg));
    ngx_stratum_fuzz_check(nkeys > 0 && nkeys <= sacf->keys->nelts);

    kid = json_object_get(json, "kid");

    for (i = 0; i < nkeys; i++) {
        ngx_stratum_fuzz_check(keys[i]->algs & ((ngx_uint_t) 1 << alg));

        if (kid == NULL) {
            ngx_stratum_fuzz_check(keys[i]->kid.len == 0);

        } else {
            ngx_stratum_fuzz_check(keys[i]->kid.len
                                   == json_string_length(kid)
                                   && ngx_memcmp(keys[i]->kid.data,
                                                 json_string_value(kid),
                                                 keys[i]->kid.len) == 0);
        }
    }
}


static ngx_array_t *
ngx_stratum_fuzz_keys(ngx_conf_t *cf)
{
    ngx_uint_t               i;
    ngx_array_t             *keys;
    ngx_stratum_jwt_key_t   *key, **kp;

    /* no key material: the header check only matches kids and types */

    static struct {
        const char  *kid;
        ngx_uint_t   algs;
    }  fake[] = {
        { "k2", 0x3f },
        { "", (ngx_uint_t) 1 << NGX_STRATUM_JWT_ES256 },
        { "ed", (ngx_uint_t) 1 << NGX_STRATUM_JWT_EDDSA },
        { "k1", (ngx_uint_t) 1 << NGX_STRATUM_JWT_ES384 },
        { "", (ngx_uint_t) 1 << NGX_STRATUM_JWT_ES256 },
        { "", (ngx_uint_t) 1 << NGX_STRATUM_JWT_PS512 }
    };

    keys = ngx_array_create(cf->pool, 4, sizeof(ngx_stratum_jwt_key_t *));

    for (i = 0; i < sizeof(fake) / sizeof(fake[0]); i++) {
        key = ngx_pcalloc(cf->pool, sizeof(ngx_stratum_jwt_key_t));
        key->kid.data = (u_char *) fake[i].kid;
        key->kid.len = ngx_strlen(fake[i].kid);
        key->algs = fake[i].algs;

        kp = ngx_array_push(keys);
        *kp = key;
    }

    return keys;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t                       *json;
    ngx_stratum_auth_ctx_t       *ctx;
    ngx_stratum_auth_times_t      times;
    ngx_stratum_auth_result_e     result;
    ngx_stratum_fuzz_request_t    fr;
    ngx_stratum_auth_loc_conf_t  *sacf;
    static ngx_conf_t             cf;
    static ngx_uint_t             init;

    if (!init) {
        ngx_stratum_fuzz_init(NGX_STRATUM_FUZZ_NOW);
        ngx_stratum_auth_module.ctx_index = 0;
        ngx_stratum_fuzz_conf_init(&cf);
        ngx_stratum_fuzz_make_policies(&cf, ngx_stratum_fuzz_keys(&cf));
        init = 1;
    }

    if (size < 1) {
        return 0;
    }

    sacf = ngx_stratum_fuzz_policies[data[0]];

    /* as the module parses a decoded header or payload */

    json = json_loadb((const char *) data + 1, size - 1,
                      JSON_REJECT_DUPLICATES, NULL);
    if (json == NULL) {
        return 0;
    }

    ngx_stratum_fuzz_request(&fr, NULL, 0);

    ngx_stratum_fuzz_header(sacf, json, fr.r->pool);

    if (!json_is_object(json)) {
        /* the module refuses such a payload before any claim is read */
        goto done;
    }

    ctx = ngx_stratum_auth_get_ctx(fr.r, 1);
    ngx_stratum_fuzz_check(ctx != NULL);

    ctx->payload = json_incref(json);

    ngx_memzero(&times, sizeof(ngx_stratum_auth_times_t));

    result = ngx_stratum_auth_check_claims(fr.r, sacf, ctx, &times);

    /* a claim of the wrong type is always named in the log line */
    ngx_stratum_fuzz_check((result == NGX_STRATUM_AUTH_BAD_CLAIMS)
                           == (ctx->bad_claim != NULL));

    if (result == NGX_STRATUM_AUTH_OK) {
        ngx_stratum_fuzz_check(times.exp >= -NGX_STRATUM_AUTH_TIME_MAX
                               && times.exp <= NGX_STRATUM_AUTH_TIME_MAX);
        ngx_stratum_fuzz_check(!times.has_nbf
                               || (times.nbf >= -NGX_STRATUM_AUTH_TIME_MAX
                                   && times.nbf <= NGX_STRATUM_AUTH_TIME_MAX));
        ngx_stratum_fuzz_check(!times.has_iat
                               || (times.iat >= -NGX_STRATUM_AUTH_TIME_MAX
                                   && times.iat <= NGX_STRATUM_AUTH_TIME_MAX));

        ngx_stratum_fuzz_identity(&ctx->claims);

        result = ngx_stratum_auth_check_times(sacf, &times);

        if (result == NGX_STRATUM_AUTH_OK
            && !ctx->claims.mfa
            && ngx_stratum_auth_mfa_required(sacf, &ctx->claims))
        {
            result = NGX_STRATUM_AUTH_MFA_REQUIRED;
        }
    }

    ctx->claims.result = result;
    ctx->decided = sacf;

    ngx_stratum_fuzz_variables(fr.r, ngx_stratum_fuzz_claim_names);

done:

    ngx_stratum_fuzz_pool_destroy(fr.r->pool);
    json_decref(json);

    return 0;
}
