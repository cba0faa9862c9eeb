
/*
 * Copyright (C) The Stratum authors
 */


#ifndef _NGX_STRATUM_JWT_H_INCLUDED_
#define _NGX_STRATUM_JWT_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include <openssl/evp.h>


/* the JWS algorithms, by their bit in a key's or a policy's mask */

#define NGX_STRATUM_JWT_RS256      0
#define NGX_STRATUM_JWT_RS384      1
#define NGX_STRATUM_JWT_RS512      2
#define NGX_STRATUM_JWT_PS256      3
#define NGX_STRATUM_JWT_PS384      4
#define NGX_STRATUM_JWT_PS512      5
#define NGX_STRATUM_JWT_ES256      6
#define NGX_STRATUM_JWT_ES384      7
#define NGX_STRATUM_JWT_EDDSA      8
#define NGX_STRATUM_JWT_NALGS      9

#define NGX_STRATUM_JWT_FP_LEN     32


/* a key set is an ngx_array_t of ngx_stratum_jwt_key_t pointers */

typedef struct {
    ngx_str_t        kid;                 /* empty: the key has no kid */
    EVP_PKEY        *pkey;
    ngx_uint_t       algs;                /* mask of usable algorithms */

    /* verification contexts prepared once per algorithm, reused */
    EVP_PKEY_CTX    *vctx[NGX_STRATUM_JWT_NALGS];
    EVP_MD          *md[NGX_STRATUM_JWT_NALGS];

    /* SHA-256 of the DER public key, to tell policies apart */
    u_char           fingerprint[NGX_STRATUM_JWT_FP_LEN];
} ngx_stratum_jwt_key_t;


typedef struct {
    ngx_str_t        signing_input;       /* "header.payload", in place */
    ngx_str_t        encoded_header;      /* in place */
    ngx_str_t        header;              /* decoded */
    ngx_str_t        payload;             /* decoded */
    ngx_str_t        signature;           /* decoded */
} ngx_stratum_jwt_t;


ngx_int_t ngx_stratum_jwt_alg_by_name(u_char *name, size_t len);
ngx_str_t *ngx_stratum_jwt_alg_name(ngx_uint_t alg);

ngx_int_t ngx_stratum_jwt_load_pem(ngx_conf_t *cf, ngx_str_t *path,
    ngx_str_t *kid, ngx_array_t *keys);
ngx_int_t ngx_stratum_jwt_load_jwks(ngx_conf_t *cf, ngx_str_t *path,
    ngx_array_t *keys);

ngx_int_t ngx_stratum_jwt_decode_base64url(ngx_str_t *dst, u_char *src,
    size_t len);
ngx_int_t ngx_stratum_jwt_split(ngx_pool_t *pool, u_char *token, size_t len,
    ngx_stratum_jwt_t *jwt);
ngx_int_t ngx_stratum_jwt_verify(ngx_stratum_jwt_key_t *key, ngx_uint_t alg,
    ngx_stratum_jwt_t *jwt, ngx_log_t *log);
ngx_int_t ngx_stratum_jwt_sha256(EVP_MD *sha256, ngx_str_t *parts,
    ngx_uint_t n, u_char *md);


#endif /* _NGX_STRATUM_JWT_H_INCLUDED_ */
