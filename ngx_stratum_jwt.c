
/*
 * Copyright (C) The Stratum authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "ngx_stratum_conf.h"
#include "ngx_stratum_jwt.h"


#define NGX_STRATUM_JWT_KEY_RSA     1
#define NGX_STRATUM_JWT_KEY_EC      2
#define NGX_STRATUM_JWT_KEY_ED      3

#define NGX_STRATUM_JWT_MAX_FILE    (1024 * 1024)
#define NGX_STRATUM_JWT_MIN_RSA     2048


typedef struct {
    ngx_str_t        name;
    const char      *md;
    ngx_uint_t       type;
    int              padding;
    size_t           ec_size;         /* bytes of r and of s */
    const char      *group;
} ngx_stratum_jwt_alg_t;


static ngx_str_t *ngx_stratum_jwt_key_name(ngx_conf_t *cf, ngx_str_t *path,
    ngx_int_t index);
static ngx_int_t ngx_stratum_jwt_add_key(ngx_conf_t *cf, ngx_array_t *keys,
    EVP_PKEY *pkey, ngx_str_t *kid, ngx_int_t only, ngx_str_t *name);
static ngx_uint_t ngx_stratum_jwt_key_algs(EVP_PKEY *pkey);
static EVP_PKEY *ngx_stratum_jwt_jwk_to_pkey(ngx_conf_t *cf, json_t *jwk,
    ngx_str_t *name);
static ngx_int_t ngx_stratum_jwt_jwk_bytes(ngx_conf_t *cf, json_t *jwk,
    const char *name, ngx_str_t *out);
static void ngx_stratum_jwt_cleanup_key(void *data);
static ngx_uint_t ngx_stratum_jwt_verifies(json_t *ops);


static ngx_stratum_jwt_alg_t  ngx_stratum_jwt_algs[NGX_STRATUM_JWT_NALGS] = {
    { ngx_string("RS256"), "SHA256", NGX_STRATUM_JWT_KEY_RSA,
      RSA_PKCS1_PADDING, 0, NULL },
    { ngx_string("RS384"), "SHA384", NGX_STRATUM_JWT_KEY_RSA,
      RSA_PKCS1_PADDING, 0, NULL },
    { ngx_string("RS512"), "SHA512", NGX_STRATUM_JWT_KEY_RSA,
      RSA_PKCS1_PADDING, 0, NULL },
    { ngx_string("PS256"), "SHA256", NGX_STRATUM_JWT_KEY_RSA,
      RSA_PKCS1_PSS_PADDING, 0, NULL },
    { ngx_string("PS384"), "SHA384", NGX_STRATUM_JWT_KEY_RSA,
      RSA_PKCS1_PSS_PADDING, 0, NULL },
    { ngx_string("PS512"), "SHA512", NGX_STRATUM_JWT_KEY_RSA,
      RSA_PKCS1_PSS_PADDING, 0, NULL },
    { ngx_string("ES256"), "SHA256", NGX_STRATUM_JWT_KEY_EC,
      0, 32, "prime256v1" },
    { ngx_string("ES384"), "SHA384", NGX_STRATUM_JWT_KEY_EC,
      0, 48, "secp384r1" },
    { ngx_string("EdDSA"), NULL, NGX_STRATUM_JWT_KEY_ED,
      0, 0, NULL }
};


ngx_int_t
ngx_stratum_jwt_alg_by_name(u_char *name, size_t len)
{
    ngx_uint_t  i;

    for (i = 0; i < NGX_STRATUM_JWT_NALGS; i++) {
        if (ngx_stratum_jwt_algs[i].name.len == len
            && ngx_memcmp(ngx_stratum_jwt_algs[i].name.data, name, len) == 0)
        {
            return i;
        }
    }

    return NGX_ERROR;
}


ngx_str_t *
ngx_stratum_jwt_alg_name(ngx_uint_t alg)
{
    return &ngx_stratum_jwt_algs[alg].name;
}


ngx_int_t
ngx_stratum_jwt_load_pem(ngx_conf_t *cf, ngx_str_t *path, ngx_str_t *kid,
    ngx_array_t *keys)
{
    BIO        *bio;
    u_char     *p;
    EVP_PKEY   *pkey;
    ngx_str_t   data, *name;

    if (ngx_stratum_conf_read_file(cf, path, "key file",
                                   NGX_STRATUM_JWT_MAX_FILE, cf->temp_pool,
                                   &data)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    bio = BIO_new_mem_buf(data.data, data.len);
    if (bio == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "BIO_new_mem_buf() failed");
        return NGX_ERROR;
    }

    pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
    BIO_free(bio);

    if (pkey == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" holds no PEM public key (\"BEGIN "
                           "PUBLIC KEY\" or \"BEGIN RSA PUBLIC KEY\"; "
                           "of a certificate, give its key: \"openssl "
                           "x509 -pubkey -noout\")", path);
        ERR_clear_error();
        return NGX_ERROR;
    }

    /* a second key in the file would be ignored silently otherwise */

    p = ngx_strlcasestrn(data.data, data.data + data.len,
                         (u_char *) "-----BEGIN", sizeof("-----BEGIN") - 2);

    if (p && ngx_strlcasestrn(p + 1, data.data + data.len,
                              (u_char *) "-----BEGIN",
                              sizeof("-----BEGIN") - 2)
             != NULL)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" holds more than one PEM block, "
                           "give one key a file", path);
        EVP_PKEY_free(pkey);
        return NGX_ERROR;
    }

    name = ngx_stratum_jwt_key_name(cf, path, -1);
    if (name == NULL) {
        EVP_PKEY_free(pkey);
        return NGX_ERROR;
    }

    return ngx_stratum_jwt_add_key(cf, keys, pkey, kid, -1, name);
}


ngx_int_t
ngx_stratum_jwt_load_jwks(ngx_conf_t *cf, ngx_str_t *path, ngx_array_t *keys)
{
    size_t        i;
    json_t       *root, *list, *jwk, *v;
    EVP_PKEY     *pkey;
    ngx_int_t     only, rc;
    ngx_str_t     data, kid, *name;
    ngx_uint_t    added;
    json_error_t  err;

    if (ngx_stratum_conf_read_file(cf, path, "JWKS file",
                                   NGX_STRATUM_JWT_MAX_FILE, cf->temp_pool,
                                   &data)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    root = json_loadb((char *) data.data, data.len, JSON_REJECT_DUPLICATES,
                      &err);
    if (root == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid JSON in JWKS \"%V\" at line %d: %s",
                           path, err.line, err.text);
        return NGX_ERROR;
    }

    rc = NGX_ERROR;
    added = 0;

    list = json_object_get(root, "keys");
    if (!json_is_array(list)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "JWKS \"%V\" has no \"keys\" array", path);
        goto done;
    }

    json_array_foreach(list, i, jwk) {

        name = ngx_stratum_jwt_key_name(cf, path, i);
        if (name == NULL) {
            goto done;
        }

        if (!json_is_object(jwk)) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "%V is not an object",
                               name);
            goto done;
        }

        /* keys for other uses are skipped, not refused */

        v = json_object_get(jwk, "use");
        if (v && !(json_is_string(v)
                   && ngx_strcmp(json_string_value(v), "sig") == 0))
        {
            continue;
        }

        /* nor keys whose operations leave out "verify" (RFC 7517, 4.3) */

        v = json_object_get(jwk, "key_ops");
        if (v && !ngx_stratum_jwt_verifies(v)) {
            continue;
        }

        only = -1;

        v = json_object_get(jwk, "alg");
        if (v) {
            if (!json_is_string(v)) {
                continue;
            }

            only = ngx_stratum_jwt_alg_by_name((u_char *) json_string_value(v),
                                               json_string_length(v));
            if (only == NGX_ERROR) {
                ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                                   "%V has unsupported \"alg\", skipped",
                                   name);
                continue;
            }
        }

        ngx_str_null(&kid);

        v = json_object_get(jwk, "kid");
        if (v) {
            if (!json_is_string(v) || json_string_length(v) == 0) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "%V has an invalid \"kid\"", name);
                goto done;
            }

            kid.len = json_string_length(v);
            kid.data = ngx_pstrdup(cf->pool, &(ngx_str_t) {
                                       kid.len,
                                       (u_char *) json_string_value(v) });
            if (kid.data == NULL) {
                goto done;
            }
        }

        /* private key material has no place in a verifier's files */

        if (json_object_get(jwk, "d") || json_object_get(jwk, "p")) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "%V holds a private key, give public keys "
                               "only", name);
            goto done;
        }

        pkey = ngx_stratum_jwt_jwk_to_pkey(cf, jwk, name);
        if (pkey == NULL) {
            continue;
        }

        if (only >= 0
            && !(ngx_stratum_jwt_key_algs(pkey) & ((ngx_uint_t) 1 << only)))
        {
            ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                               "%V does not fit its \"alg\", skipped",
                               name);
            EVP_PKEY_free(pkey);
            continue;
        }

        if (ngx_stratum_jwt_add_key(cf, keys, pkey, &kid, only, name)
            != NGX_OK)
        {
            goto done;
        }

        added++;
    }

    if (added == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "JWKS \"%V\" has no usable signature key", path);
        goto done;
    }

    rc = NGX_OK;

done:

    json_decref(root);

    return rc;
}


/*
 * how messages name a key: its file, and its place in a JWKS, so that an
 * operator can tell which key of an identity provider's set is refused
 */

static ngx_str_t *
ngx_stratum_jwt_key_name(ngx_conf_t *cf, ngx_str_t *path, ngx_int_t index)
{
    ngx_str_t  *name;

    name = ngx_palloc(cf->temp_pool, sizeof(ngx_str_t));
    if (name == NULL) {
        return NULL;
    }

    name->data = ngx_pnalloc(cf->temp_pool,
                             sizeof("key  in \"\"") + NGX_INT_T_LEN
                             + path->len);
    if (name->data == NULL) {
        return NULL;
    }

    if (index < 0) {
        name->len = ngx_sprintf(name->data, "key in \"%V\"", path)
                    - name->data;

    } else {
        name->len = ngx_sprintf(name->data, "key %i in \"%V\"", index, path)
                    - name->data;
    }

    return name;
}


/*
 * takes ownership of pkey; "only" restricts the key to one algorithm
 * (a JWK's "alg"), -1 allows every algorithm its type supports; "name"
 * says which key it is in messages
 */

static ngx_int_t
ngx_stratum_jwt_add_key(ngx_conf_t *cf, ngx_array_t *keys, EVP_PKEY *pkey,
    ngx_str_t *kid, ngx_int_t only, ngx_str_t *name)
{
    int                     len;
    u_char                 *der, *p;
    EVP_MD                 *md;
    ngx_str_t               part;
    ngx_uint_t              i, algs;
    EVP_PKEY_CTX           *ctx;
    ngx_pool_cleanup_t     *cln;
    ngx_stratum_jwt_key_t  *key, **kp, *other;
    ngx_stratum_jwt_alg_t  *a;

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    key = ngx_pcalloc(cf->pool, sizeof(ngx_stratum_jwt_key_t));
    kp = ngx_array_push(keys);

    if (cln == NULL || key == NULL || kp == NULL) {
        EVP_PKEY_free(pkey);
        return NGX_ERROR;
    }

    *kp = key;
    key->pkey = pkey;
    key->kid = *kid;

    /* from here on the pool owns the key, whatever fails below */

    cln->handler = ngx_stratum_jwt_cleanup_key;
    cln->data = key;

    /* a kid travels into variables and headers; it names one key */

    for (i = 0; i < kid->len; i++) {
        if (kid->data[i] <= 0x20 || kid->data[i] >= 0x7f) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "kid of the %V holds a blank, a control "
                               "or a non-ASCII character", name);
            return NGX_ERROR;
        }
    }

    for (i = 0; kid->len && i + 1 < keys->nelts; i++) {
        other = ((ngx_stratum_jwt_key_t **) keys->elts)[i];

        if (other->kid.len == kid->len
            && ngx_memcmp(other->kid.data, kid->data, kid->len) == 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "%V has a duplicate kid \"%V\"", name, kid);
            return NGX_ERROR;
        }
    }

    if (EVP_PKEY_get_base_id(pkey) == EVP_PKEY_RSA
        && EVP_PKEY_get_bits(pkey) < NGX_STRATUM_JWT_MIN_RSA)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "RSA %V has %d bits, at least %d are required",
                           name, EVP_PKEY_get_bits(pkey),
                           NGX_STRATUM_JWT_MIN_RSA);
        return NGX_ERROR;
    }

    /*
     * a key must be one a signer could hold: RSA with e = 1 verifies a
     * signature anybody can compute, an even or prime modulus and an EC
     * point off the curve are no keys at all
     */

    ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    if (ctx == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "EVP_PKEY_CTX_new_from_pkey() failed");
        ERR_clear_error();
        return NGX_ERROR;
    }

    if (EVP_PKEY_public_check(ctx) != 1) {
        EVP_PKEY_CTX_free(ctx);
        ERR_clear_error();
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "%V fails OpenSSL's public-key check (RSA: an "
                           "odd modulus that is not prime and an odd "
                           "exponent of at least 3; EC: a point on the "
                           "curve)", name);
        return NGX_ERROR;
    }

    EVP_PKEY_CTX_free(ctx);

    algs = ngx_stratum_jwt_key_algs(pkey);

    if (only >= 0) {
        algs &= (ngx_uint_t) 1 << only;
    }

    if (algs == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "%V is of a type no supported algorithm can "
                           "use (RSA, EC P-256, EC P-384 or Ed25519)",
                           name);
        return NGX_ERROR;
    }

    key->algs = algs;

    len = i2d_PUBKEY(pkey, NULL);
    if (len <= 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "i2d_PUBKEY() failed");
        return NGX_ERROR;
    }

    der = ngx_pnalloc(cf->temp_pool, len);
    if (der == NULL) {
        return NGX_ERROR;
    }

    p = der;
    i2d_PUBKEY(pkey, &p);

    part.data = der;
    part.len = len;

    if (ngx_stratum_jwt_sha256(NULL, &part, 1, key->fingerprint) != NGX_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "SHA-256 failed");
        return NGX_ERROR;
    }

    for (i = 0; i < NGX_STRATUM_JWT_NALGS; i++) {

        if (!(algs & ((ngx_uint_t) 1 << i))) {
            continue;
        }

        a = &ngx_stratum_jwt_algs[i];

        if (a->type == NGX_STRATUM_JWT_KEY_ED) {
            continue;
        }

        /* fetched once: an implicit fetch would cost on every request */

        md = EVP_MD_fetch(NULL, a->md, NULL);
        if (md == NULL) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "EVP_MD_fetch(\"%s\") failed", a->md);
            ERR_clear_error();
            return NGX_ERROR;
        }

        key->md[i] = md;

        ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
        if (ctx == NULL) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "EVP_PKEY_CTX_new_from_pkey() failed");
            return NGX_ERROR;
        }

        key->vctx[i] = ctx;

        if (EVP_PKEY_verify_init(ctx) <= 0
            || EVP_PKEY_CTX_set_signature_md(ctx, md) <= 0)
        {
            goto failed;
        }

        if (a->type != NGX_STRATUM_JWT_KEY_RSA) {
            continue;
        }

        if (EVP_PKEY_CTX_set_rsa_padding(ctx, a->padding) <= 0) {
            goto failed;
        }

        if (a->padding == RSA_PKCS1_PSS_PADDING
            && (EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, RSA_PSS_SALTLEN_DIGEST)
                <= 0
                || EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, md) <= 0))
        {
            goto failed;
        }
    }

    return NGX_OK;

failed:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "cannot prepare %V for %V",
                       name, &ngx_stratum_jwt_algs[i].name);
    ERR_clear_error();

    return NGX_ERROR;
}


static ngx_uint_t
ngx_stratum_jwt_key_algs(EVP_PKEY *pkey)
{
    char    group[64];
    size_t  len;

    switch (EVP_PKEY_get_base_id(pkey)) {

    case EVP_PKEY_RSA:
        return 0x3f;                                    /* RS* and PS* */

    case EVP_PKEY_RSA_PSS:
        return 0x38;                                    /* PS* */

    case EVP_PKEY_ED25519:
        return (ngx_uint_t) 1 << NGX_STRATUM_JWT_EDDSA;

    case EVP_PKEY_EC:

        if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME,
                                           group, sizeof(group), &len)
            != 1)
        {
            return 0;
        }

        if (ngx_strcmp(group, "prime256v1") == 0) {
            return (ngx_uint_t) 1 << NGX_STRATUM_JWT_ES256;
        }

        if (ngx_strcmp(group, "secp384r1") == 0) {
            return (ngx_uint_t) 1 << NGX_STRATUM_JWT_ES384;
        }

        return 0;

    default:
        return 0;
    }
}


static EVP_PKEY *
ngx_stratum_jwt_jwk_to_pkey(ngx_conf_t *cf, json_t *jwk, ngx_str_t *name)
{
    u_char           *point;
    BIGNUM           *bn_n, *bn_e;
    json_t           *kty, *crv;
    EVP_PKEY         *pkey;
    ngx_str_t         a, b;
    const char       *type, *group;
    OSSL_PARAM       *params;
    EVP_PKEY_CTX     *ctx;
    OSSL_PARAM_BLD   *bld;

    kty = json_object_get(jwk, "kty");
    crv = json_object_get(jwk, "crv");

    if (!json_is_string(kty)) {
        ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                           "%V has no \"kty\", skipped", name);
        return NULL;
    }

    type = json_string_value(kty);

    if (ngx_strcmp(type, "OKP") == 0) {

        if (!json_is_string(crv)
            || ngx_strcmp(json_string_value(crv), "Ed25519") != 0
            || ngx_stratum_jwt_jwk_bytes(cf, jwk, "x", &a) != NGX_OK)
        {
            goto unusable;
        }

        pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL,
                                           a.data, a.len);
        if (pkey == NULL) {
            goto unusable;
        }

        return pkey;
    }

    bld = NULL;
    params = NULL;
    ctx = NULL;
    pkey = NULL;
    bn_n = NULL;
    bn_e = NULL;

    if (ngx_strcmp(type, "RSA") == 0) {

        if (ngx_stratum_jwt_jwk_bytes(cf, jwk, "n", &a) != NGX_OK
            || ngx_stratum_jwt_jwk_bytes(cf, jwk, "e", &b) != NGX_OK)
        {
            goto unusable;
        }

        bn_n = BN_bin2bn(a.data, a.len, NULL);
        bn_e = BN_bin2bn(b.data, b.len, NULL);
        bld = OSSL_PARAM_BLD_new();

        if (bn_n == NULL || bn_e == NULL || bld == NULL
            || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n)
            || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e))
        {
            goto failed;
        }

    } else if (ngx_strcmp(type, "EC") == 0) {

        if (!json_is_string(crv)) {
            goto unusable;
        }

        if (ngx_strcmp(json_string_value(crv), "P-256") == 0) {
            group = "prime256v1";

        } else if (ngx_strcmp(json_string_value(crv), "P-384") == 0) {
            group = "secp384r1";

        } else {
            goto unusable;
        }

        if (ngx_stratum_jwt_jwk_bytes(cf, jwk, "x", &a) != NGX_OK
            || ngx_stratum_jwt_jwk_bytes(cf, jwk, "y", &b) != NGX_OK
            || a.len != b.len)
        {
            goto unusable;
        }

        /* an uncompressed point: 0x04 || x || y */

        point = ngx_pnalloc(cf->temp_pool, 1 + a.len + b.len);
        if (point == NULL) {
            return NULL;
        }

        point[0] = 0x04;
        ngx_memcpy(point + 1, a.data, a.len);
        ngx_memcpy(point + 1 + a.len, b.data, b.len);

        bld = OSSL_PARAM_BLD_new();

        if (bld == NULL
            || !OSSL_PARAM_BLD_push_utf8_string(bld,
                                                OSSL_PKEY_PARAM_GROUP_NAME,
                                                group, 0)
            || !OSSL_PARAM_BLD_push_octet_string(bld,
                                                 OSSL_PKEY_PARAM_PUB_KEY,
                                                 point, 1 + a.len + b.len))
        {
            goto failed;
        }

    } else {
        goto unusable;
    }

    params = OSSL_PARAM_BLD_to_param(bld);
    ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);

    if (params == NULL || ctx == NULL
        || EVP_PKEY_fromdata_init(ctx) <= 0
        || EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
    {
        pkey = NULL;
    }

failed:

    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    EVP_PKEY_CTX_free(ctx);
    BN_free(bn_n);
    BN_free(bn_e);

    if (pkey) {
        return pkey;
    }

unusable:

    ERR_clear_error();

    ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                       "%V is not a usable RSA, EC P-256, EC P-384 or "
                       "Ed25519 public key, skipped", name);

    return NULL;
}


static ngx_int_t
ngx_stratum_jwt_jwk_bytes(ngx_conf_t *cf, json_t *jwk, const char *name,
    ngx_str_t *out)
{
    json_t  *v;

    v = json_object_get(jwk, name);
    if (!json_is_string(v)) {
        return NGX_DECLINED;
    }

    out->data = ngx_pnalloc(cf->temp_pool,
                            ngx_base64_decoded_length(json_string_length(v)));
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    if (ngx_stratum_jwt_decode_base64url(out, (u_char *) json_string_value(v),
                                         json_string_length(v))
        != NGX_OK
        || out->len == 0)
    {
        return NGX_DECLINED;
    }

    return NGX_OK;
}


static ngx_uint_t
ngx_stratum_jwt_verifies(json_t *ops)
{
    size_t   i;
    json_t  *op;

    if (!json_is_array(ops)) {
        return 0;
    }

    json_array_foreach(ops, i, op) {
        if (json_is_string(op)
            && ngx_strcmp(json_string_value(op), "verify") == 0)
        {
            return 1;
        }
    }

    return 0;
}


static void
ngx_stratum_jwt_cleanup_key(void *data)
{
    ngx_stratum_jwt_key_t  *key = data;

    ngx_uint_t  i;

    for (i = 0; i < NGX_STRATUM_JWT_NALGS; i++) {
        EVP_PKEY_CTX_free(key->vctx[i]);
        EVP_MD_free(key->md[i]);
    }

    EVP_PKEY_free(key->pkey);
}


/*
 * strict base64url (RFC 7515, section 2): the URL-safe alphabet only,
 * no padding, and no stray bits in the last character, so that every
 * byte string has exactly one encoding; dst->data must hold
 * ngx_base64_decoded_length(len) bytes
 */

ngx_int_t
ngx_stratum_jwt_decode_base64url(ngx_str_t *dst, u_char *src, size_t len)
{
    u_char    *d, *end;
    uint32_t   v, a, b, c, e;

    /* 0xff marks a byte outside the alphabet */

    static const u_char  values[256] = {
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 62,   0xff, 0xff,     /* - */
        52,   53,   54,   55,   56,   57,   58,   59,       /* 0-7 */
        60,   61,   0xff, 0xff, 0xff, 0xff, 0xff, 0xff,     /* 8-9 */
        0xff, 0,    1,    2,    3,    4,    5,    6,        /* A-G */
        7,    8,    9,    10,   11,   12,   13,   14,
        15,   16,   17,   18,   19,   20,   21,   22,
        23,   24,   25,   0xff, 0xff, 0xff, 0xff, 63,       /* Z, _ */
        0xff, 26,   27,   28,   29,   30,   31,   32,       /* a-g */
        33,   34,   35,   36,   37,   38,   39,   40,
        41,   42,   43,   44,   45,   46,   47,   48,
        49,   50,   51,   0xff, 0xff, 0xff, 0xff, 0xff,     /* z */

        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff
    };

    if (len % 4 == 1) {
        return NGX_DECLINED;
    }

    d = dst->data;
    end = src + (len & ~(size_t) 3);

    /* four characters make three bytes; an invalid one sets bit 7 */

    while (src < end) {
        a = values[src[0]];
        b = values[src[1]];
        c = values[src[2]];
        e = values[src[3]];

        if ((a | b | c | e) & 0x80) {
            return NGX_DECLINED;
        }

        v = (a << 18) | (b << 12) | (c << 6) | e;

        *d++ = (u_char) (v >> 16);
        *d++ = (u_char) (v >> 8);
        *d++ = (u_char) v;

        src += 4;
    }

    switch (len % 4) {

    case 2:
        a = values[src[0]];
        b = values[src[1]];

        if (((a | b) & 0x80) || (b & 0x0f)) {
            return NGX_DECLINED;
        }

        *d++ = (u_char) ((a << 2) | (b >> 4));
        break;

    case 3:
        a = values[src[0]];
        b = values[src[1]];
        c = values[src[2]];

        if (((a | b | c) & 0x80) || (c & 0x03)) {
            return NGX_DECLINED;
        }

        *d++ = (u_char) ((a << 2) | (b >> 4));
        *d++ = (u_char) ((b << 4) | (c >> 2));
        break;
    }

    dst->len = d - dst->data;

    return NGX_OK;
}


/*
 * splits a compact JWS into its three parts and decodes them into one
 * allocation; NGX_DECLINED means the token is malformed
 */

ngx_int_t
ngx_stratum_jwt_split(ngx_pool_t *pool, u_char *token, size_t len,
    ngx_stratum_jwt_t *jwt)
{
    u_char  *dot1, *dot2, *end, *buf;

    end = token + len;

    dot1 = ngx_strlchr(token, end, '.');
    if (dot1 == NULL) {
        return NGX_DECLINED;
    }

    dot2 = ngx_strlchr(dot1 + 1, end, '.');
    if (dot2 == NULL || ngx_strlchr(dot2 + 1, end, '.') != NULL) {
        return NGX_DECLINED;
    }

    if (dot1 == token || dot2 == dot1 + 1 || dot2 + 1 == end) {
        return NGX_DECLINED;
    }

    buf = ngx_pnalloc(pool, ngx_base64_decoded_length(len));
    if (buf == NULL) {
        return NGX_ERROR;
    }

    jwt->signing_input.data = token;
    jwt->signing_input.len = dot2 - token;
    jwt->encoded_header.data = token;
    jwt->encoded_header.len = dot1 - token;

    jwt->header.data = buf;

    if (ngx_stratum_jwt_decode_base64url(&jwt->header, token, dot1 - token)
        != NGX_OK)
    {
        return NGX_DECLINED;
    }

    jwt->payload.data = jwt->header.data + jwt->header.len;

    if (ngx_stratum_jwt_decode_base64url(&jwt->payload, dot1 + 1,
                                         dot2 - dot1 - 1)
        != NGX_OK)
    {
        return NGX_DECLINED;
    }

    jwt->signature.data = jwt->payload.data + jwt->payload.len;

    if (ngx_stratum_jwt_decode_base64url(&jwt->signature, dot2 + 1,
                                         end - dot2 - 1)
        != NGX_OK)
    {
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/* NGX_OK: the signature is good; NGX_DECLINED: it is not */

ngx_int_t
ngx_stratum_jwt_verify(ngx_stratum_jwt_key_t *key, ngx_uint_t alg,
    ngx_stratum_jwt_t *jwt, ngx_log_t *log)
{
    int                     ok, len;
    u_char                 *sig, *p;
    size_t                  siglen;
    BIGNUM                 *r, *s;
    unsigned int            mdlen;
    EVP_MD_CTX             *mctx;
    ECDSA_SIG              *esig;
    ngx_stratum_jwt_alg_t  *a;
    u_char                  md[EVP_MAX_MD_SIZE];
    u_char                  der[160];

    a = &ngx_stratum_jwt_algs[alg];

    if (a->type == NGX_STRATUM_JWT_KEY_ED) {

        mctx = EVP_MD_CTX_new();
        if (mctx == NULL) {
            return NGX_ERROR;
        }

        ok = EVP_DigestVerifyInit_ex(mctx, NULL, NULL, NULL, NULL,
                                     key->pkey, NULL) == 1
             && EVP_DigestVerify(mctx, jwt->signature.data,
                                 jwt->signature.len,
                                 jwt->signing_input.data,
                                 jwt->signing_input.len) == 1;

        EVP_MD_CTX_free(mctx);
        goto done;
    }

    if (EVP_Digest(jwt->signing_input.data, jwt->signing_input.len, md,
                   &mdlen, key->md[alg], NULL)
        != 1)
    {
        ngx_log_error(NGX_LOG_ALERT, log, 0,
                      "stratum jwt: EVP_Digest() failed");
        ERR_clear_error();
        return NGX_ERROR;
    }

    sig = jwt->signature.data;
    siglen = jwt->signature.len;

    if (a->type == NGX_STRATUM_JWT_KEY_EC) {

        /* JWS carries r || s (RFC 7518, 3.4); OpenSSL wants DER */

        if (siglen != 2 * a->ec_size) {
            return NGX_DECLINED;
        }

        esig = ECDSA_SIG_new();
        r = BN_bin2bn(sig, a->ec_size, NULL);
        s = BN_bin2bn(sig + a->ec_size, a->ec_size, NULL);

        if (esig == NULL || r == NULL || s == NULL
            || ECDSA_SIG_set0(esig, r, s) != 1)
        {
            ECDSA_SIG_free(esig);
            BN_free(r);
            BN_free(s);
            ERR_clear_error();
            return NGX_ERROR;
        }

        len = i2d_ECDSA_SIG(esig, NULL);

        if (len <= 0 || (size_t) len > sizeof(der)) {
            ECDSA_SIG_free(esig);
            return NGX_ERROR;
        }

        p = der;
        i2d_ECDSA_SIG(esig, &p);
        ECDSA_SIG_free(esig);

        sig = der;
        siglen = len;
    }

    ok = EVP_PKEY_verify(key->vctx[alg], sig, siglen, md, mdlen) == 1;

done:

    if (!ok) {
        ERR_clear_error();
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/* "sha256" is a fetched digest, or NULL for OpenSSL's implicit one */

ngx_int_t
ngx_stratum_jwt_sha256(EVP_MD *sha256, ngx_str_t *parts, ngx_uint_t n,
    u_char *md)
{
    ngx_int_t    rc;
    ngx_uint_t   i;
    EVP_MD_CTX  *ctx;

    ctx = EVP_MD_CTX_new();
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    rc = (EVP_DigestInit_ex(ctx, sha256 ? sha256 : EVP_sha256(), NULL) == 1)
         ? NGX_OK : NGX_ERROR;

    for (i = 0; rc == NGX_OK && i < n; i++) {
        if (EVP_DigestUpdate(ctx, parts[i].data, parts[i].len) != 1) {
            rc = NGX_ERROR;
        }
    }

    if (rc == NGX_OK && EVP_DigestFinal_ex(ctx, md, NULL) != 1) {
        rc = NGX_ERROR;
    }

    EVP_MD_CTX_free(ctx);

    if (rc != NGX_OK) {
        ERR_clear_error();
    }

    return rc;
}
