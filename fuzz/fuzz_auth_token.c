
/*
 * Copyright (C) The Stratum authors
 */


/*
 * The auth module's whole request-time decision, ngx_stratum_auth_check(),
 * from the Authorization header to the claims, with real keys loaded by
 * ngx_stratum_jwt_load_pem() (Ed25519 "ed", two EC P-256 without a kid,
 * EC P-384 "k1", RSA 2048 "k2"), then every variable.
 *
 * Input: byte 0 picks the policy (see ngx_stratum_fuzz_auth.h); byte 1
 * the mode.  Mode bit 0 clear: the rest is the Authorization header value
 * as sent.  Set: the rest is a JOSE header, a NUL and a payload; the
 * target signs them with the key that fits the header's "alg" (Ed25519
 * when none does), so that the checks after the signature are reached.
 *
 * Oracles: a decision made again with the header memo filled is the same
 * decision with the same identity; an accepted token's identity strings
 * and every variable are free of control characters.
 */


#include "../ngx_stratum_auth_module.c"

#include <openssl/pem.h>

#include "ngx_stratum_fuzz_auth.h"


typedef struct {
    const char      *kid;
    const char      *type;
    const char      *param;
    size_t           bits;
    EVP_PKEY        *pkey;
} ngx_stratum_fuzz_key_t;


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static ngx_array_t *ngx_stratum_fuzz_load_keys(ngx_conf_t *cf);
static ngx_int_t ngx_stratum_fuzz_sign(ngx_pool_t *pool, const u_char *in,
    size_t len, ngx_str_t *out);
static ngx_int_t ngx_stratum_fuzz_eq(ngx_str_t *a, ngx_str_t *b);
static void ngx_stratum_fuzz_same(ngx_stratum_claims_t *a,
    ngx_stratum_claims_t *b);


static ngx_stratum_fuzz_key_t  ngx_stratum_fuzz_keys[] = {
    { "ed", "ED25519", NULL, 0, NULL },
    { NULL, "EC", "P-256", 0, NULL },
    { NULL, "EC", "P-256", 0, NULL },
    { "k1", "EC", "P-384", 0, NULL },
    { "k2", "RSA", NULL, 2048, NULL }
};


static const char  *ngx_stratum_fuzz_claim_names[] = {
    "sub", "aud", "roles", "tenant_id", "groups", "a", NULL
};


static ngx_array_t *
ngx_stratum_fuzz_load_keys(ngx_conf_t *cf)
{
    int                      fd;
    BIO                     *bio;
    ngx_str_t                path, kid;
    ngx_uint_t               i;
    ngx_array_t             *keys;
    ngx_stratum_fuzz_key_t  *k;
    char                     name[] = "/tmp/stratum-fuzz-key.XXXXXX";

    keys = ngx_array_create(cf->pool, 4, sizeof(ngx_stratum_jwt_key_t *));

    for (i = 0; i < sizeof(ngx_stratum_fuzz_keys) / sizeof(k[0]); i++) {
        k = &ngx_stratum_fuzz_keys[i];

        if (k->bits) {
            k->pkey = EVP_PKEY_Q_keygen(NULL, NULL, k->type, k->bits);

        } else if (k->param) {
            k->pkey = EVP_PKEY_Q_keygen(NULL, NULL, k->type, k->param);

        } else {
            k->pkey = EVP_PKEY_Q_keygen(NULL, NULL, k->type);
        }

        ngx_stratum_fuzz_check(k->pkey != NULL);

        /* the public half goes through the module's own PEM loader */

        ngx_memcpy(name + sizeof(name) - 7, "XXXXXX", 6);
        fd = mkstemp(name);
        ngx_stratum_fuzz_check(fd != -1);

        bio = BIO_new_fd(fd, BIO_CLOSE);
        ngx_stratum_fuzz_check(bio != NULL
                               && PEM_write_bio_PUBKEY(bio, k->pkey) == 1);
        BIO_free(bio);

        path.len = ngx_strlen(name);
        path.data = ngx_pnalloc(cf->pool, path.len + 1);
        ngx_memcpy(path.data, name, path.len + 1);

        kid.data = (u_char *) k->kid;
        kid.len = k->kid ? ngx_strlen(k->kid) : 0;

        ngx_stratum_fuzz_check(ngx_stratum_jwt_load_pem(cf, &path, &kid, keys)
                               == NGX_OK);
        unlink(name);
    }

    return keys;
}


/* "header.payload.signature", signed as the header's "alg" asks */

static ngx_int_t
ngx_stratum_fuzz_sign(ngx_pool_t *pool, const u_char *in, size_t len,
    ngx_str_t *out)
{
    u_char         *p, *nul, *sig, *r;
    size_t          hlen, plen, siglen, n;
    json_t         *header, *alg;
    EVP_PKEY       *pkey;
    ngx_int_t       a;
    EVP_MD_CTX     *mctx;
    ECDSA_SIG      *esig;
    const EVP_MD   *md;
    const BIGNUM   *bn_r, *bn_s;
    EVP_PKEY_CTX   *pctx;
    const u_char   *der;

    nul = memchr(in, '\0', len);
    hlen = nul ? (size_t) (nul - in) : len;
    plen = nul ? len - hlen - 1 : 0;

    a = NGX_STRATUM_JWT_EDDSA;

    header = json_loadb((const char *) in, hlen, 0, NULL);
    alg = json_object_get(header, "alg");

    if (json_is_string(alg)) {
        a = ngx_stratum_jwt_alg_by_name((u_char *) json_string_value(alg),
                                        json_string_length(alg));
        if (a == NGX_ERROR) {
            a = NGX_STRATUM_JWT_EDDSA;
        }
    }

    json_decref(header);

    switch (a) {
    case NGX_STRATUM_JWT_EDDSA:
        pkey = ngx_stratum_fuzz_keys[0].pkey;
        md = NULL;
        break;
    case NGX_STRATUM_JWT_ES256:
        pkey = ngx_stratum_fuzz_keys[2].pkey;
        md = EVP_sha256();
        break;
    case NGX_STRATUM_JWT_ES384:
        pkey = ngx_stratum_fuzz_keys[3].pkey;
        md = EVP_sha384();
        break;
    default:
        pkey = ngx_stratum_fuzz_keys[4].pkey;
        md = (a == NGX_STRATUM_JWT_RS256 || a == NGX_STRATUM_JWT_PS256)
             ? EVP_sha256()
             : (a == NGX_STRATUM_JWT_RS384 || a == NGX_STRATUM_JWT_PS384)
               ? EVP_sha384() : EVP_sha512();
        break;
    }

    /* room for both parts encoded, a 512-byte signature and the dots */

    n = 4 * (hlen + plen) / 3 + 8 + 4 * 512 / 3 + 8;
    out->data = ngx_pnalloc(pool, n);
    sig = ngx_pnalloc(pool, 512);

    p = out->data;
    p += ngx_stratum_fuzz_base64url(p, in, hlen);
    *p++ = '.';
    p += ngx_stratum_fuzz_base64url(p, nul ? nul + 1 : in, plen);

    mctx = EVP_MD_CTX_new();
    ngx_stratum_fuzz_check(mctx != NULL);
    ngx_stratum_fuzz_check(EVP_DigestSignInit(mctx, &pctx, md, NULL, pkey)
                           == 1);

    if (a == NGX_STRATUM_JWT_PS256 || a == NGX_STRATUM_JWT_PS384
        || a == NGX_STRATUM_JWT_PS512)
    {
        ngx_stratum_fuzz_check(
            EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1
            && EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST)
               == 1);
    }

    siglen = 512;
    ngx_stratum_fuzz_check(EVP_DigestSign(mctx, sig, &siglen, out->data,
                                          p - out->data)
                           == 1);
    EVP_MD_CTX_free(mctx);

    if (a == NGX_STRATUM_JWT_ES256 || a == NGX_STRATUM_JWT_ES384) {

        /* DER to the JWS form, r || s */

        n = (a == NGX_STRATUM_JWT_ES256) ? 32 : 48;
        der = sig;
        esig = d2i_ECDSA_SIG(NULL, &der, siglen);
        ngx_stratum_fuzz_check(esig != NULL);

        ECDSA_SIG_get0(esig, &bn_r, &bn_s);
        r = ngx_pnalloc(pool, 2 * n);
        BN_bn2binpad(bn_r, r, n);
        BN_bn2binpad(bn_s, r + n, n);
        ECDSA_SIG_free(esig);

        sig = r;
        siglen = 2 * n;
    }

    *p++ = '.';
    p += ngx_stratum_fuzz_base64url(p, sig, siglen);

    out->len = p - out->data;

    return NGX_OK;
}


static ngx_int_t
ngx_stratum_fuzz_eq(ngx_str_t *a, ngx_str_t *b)
{
    return a->len == b->len
           && (a->len == 0 || ngx_memcmp(a->data, b->data, a->len) == 0);
}


static void
ngx_stratum_fuzz_same(ngx_stratum_claims_t *a, ngx_stratum_claims_t *b)
{
    ngx_stratum_fuzz_check(a->result == b->result);

    if (a->result != NGX_STRATUM_AUTH_OK) {
        return;
    }

    ngx_stratum_fuzz_check(ngx_stratum_fuzz_eq(&a->sub, &b->sub)
                           && ngx_stratum_fuzz_eq(&a->tenant_id,
                                                  &b->tenant_id)
                           && ngx_stratum_fuzz_eq(&a->kid, &b->kid)
                           && ngx_stratum_fuzz_eq(&a->alg, &b->alg));
    ngx_stratum_fuzz_check(a->roles.nelts == b->roles.nelts
                           && a->permissions.nelts == b->permissions.nelts
                           && a->exp == b->exp && a->mfa == b->mfa);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char                       *value;
    ngx_str_t                     token;
    ngx_pool_t                   *pool;
    ngx_stratum_claims_t          first;
    ngx_stratum_auth_ctx_t       *ctx;
    ngx_stratum_fuzz_request_t    fr;
    ngx_stratum_auth_loc_conf_t  *sacf;
    static ngx_conf_t             cf;
    static ngx_uint_t             init;

    if (!init) {
        ngx_stratum_fuzz_init(NGX_STRATUM_FUZZ_NOW);
        ngx_stratum_auth_module.ctx_index = 0;
        ngx_stratum_fuzz_conf_init(&cf);
        ngx_stratum_fuzz_make_policies(&cf, ngx_stratum_fuzz_load_keys(&cf));
        init = 1;
    }

    if (size < 2) {
        return 0;
    }

    sacf = ngx_stratum_fuzz_policies[data[0]];

    /* each input starts from an empty memo, for reproducible runs */

    ngx_memzero(sacf->memo, sizeof(ngx_stratum_auth_memo_t));

    pool = ngx_stratum_fuzz_pool_create();

    if (data[1] & 1) {
        ngx_stratum_fuzz_sign(pool, data + 2, size - 2, &token);

        value = ngx_pnalloc(pool, sizeof("Bearer ") - 1 + token.len);
        ngx_memcpy(value, "Bearer ", sizeof("Bearer ") - 1);
        ngx_memcpy(value + sizeof("Bearer ") - 1, token.data, token.len);

        token.data = value;
        token.len += sizeof("Bearer ") - 1;

    } else {
        /* a copy of its exact size: a read past the header is reported */

        token.len = size - 2;
        token.data = ngx_pnalloc(pool, token.len);
        ngx_memcpy(token.data, data + 2, token.len);
    }

    ngx_stratum_fuzz_request(&fr, token.data, token.len);

    ctx = ngx_stratum_auth_get_ctx(fr.r, 1);
    ngx_stratum_fuzz_check(ctx != NULL);

    ctx->claims.result = ngx_stratum_auth_check(fr.r, sacf, ctx);
    ctx->decided = sacf;

    ngx_stratum_fuzz_check(ctx->claims.result != NGX_STRATUM_AUTH_OFF);

    if (ctx->claims.result == NGX_STRATUM_AUTH_OK) {
        ngx_stratum_fuzz_identity(&ctx->claims);
    }

    ngx_stratum_fuzz_variables(fr.r, ngx_stratum_fuzz_claim_names);

    /* the same token again, now that the memo may hold its header */

    first = ctx->claims;

    ctx->claims.result = ngx_stratum_auth_check(fr.r, sacf, ctx);

    ngx_stratum_fuzz_same(&first, &ctx->claims);

    ngx_stratum_fuzz_pool_destroy(fr.r->pool);
    ngx_stratum_fuzz_pool_destroy(pool);

    return 0;
}
