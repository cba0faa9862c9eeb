
/*
 * Copyright (C) The Stratum authors
 */


/*
 * JWKS loading, ngx_stratum_jwt_load_jwks(), on any file content.  The
 * input is written to an in-memory file (memfd) that the loader opens by
 * its /proc/self/fd name, so the module's own file reading runs too, and
 * each input gets a configuration pool of its own: the keys' cleanups
 * free the OpenSSL objects when it is destroyed, and LeakSanitizer sees
 * any that was not handed to one.
 *
 * Oracles: a JWKS that loads has at least one key; every key has an
 * EVP_PKEY and a non-empty algorithm mask that its type can use; an RSA
 * key has 2048 bits or more.
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "../ngx_stratum_jwt.h"
#include "ngx_stratum_fuzz.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void ngx_stratum_fuzz_key(ngx_stratum_jwt_key_t *key);


static void
ngx_stratum_fuzz_key(ngx_stratum_jwt_key_t *key)
{
    int  type;

    ngx_stratum_fuzz_check(key->pkey != NULL);
    ngx_stratum_fuzz_check(key->algs != 0
                           && key->algs < (1 << NGX_STRATUM_JWT_NALGS));

    type = EVP_PKEY_get_base_id(key->pkey);

    switch (type) {

    case EVP_PKEY_RSA:
        ngx_stratum_fuzz_check((key->algs & ~0x3f) == 0);
        ngx_stratum_fuzz_check(EVP_PKEY_get_bits(key->pkey) >= 2048);
        break;

    case EVP_PKEY_EC:
        ngx_stratum_fuzz_check(
            key->algs == (1 << NGX_STRATUM_JWT_ES256)
            || key->algs == (1 << NGX_STRATUM_JWT_ES384));
        break;

    case EVP_PKEY_ED25519:
        ngx_stratum_fuzz_check(key->algs == (1 << NGX_STRATUM_JWT_EDDSA));
        break;

    default:
        ngx_stratum_fuzz_check(type == EVP_PKEY_RSA);
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ngx_int_t                rc;
    ngx_str_t                path;
    ngx_uint_t               i;
    ngx_conf_t               cf;
    ngx_array_t             *keys;
    ngx_stratum_jwt_key_t  **key;
    static int               fd = -1;
    static u_char            name[64];

    if (fd == -1) {
        ngx_stratum_fuzz_init(1700000000);

        fd = memfd_create("stratum-fuzz-jwks", 0);
        ngx_stratum_fuzz_check(fd != -1);

        ngx_sprintf(name, "/proc/self/fd/%d%Z", fd);
    }

    ngx_stratum_fuzz_check(ftruncate(fd, 0) == 0);
    ngx_stratum_fuzz_check(size == 0
                           || pwrite(fd, data, size, 0) == (ssize_t) size);

    ngx_stratum_fuzz_conf_init(&cf);

    /* the loader may rewrite the name into a full one: a fresh copy */

    path.len = ngx_strlen(name);
    path.data = ngx_pnalloc(cf.pool, path.len + 1);
    ngx_memcpy(path.data, name, path.len + 1);

    keys = ngx_array_create(cf.pool, 1, sizeof(ngx_stratum_jwt_key_t *));

    rc = ngx_stratum_jwt_load_jwks(&cf, &path, keys);

    ngx_stratum_fuzz_check(rc == NGX_OK || rc == NGX_ERROR);

    if (rc == NGX_OK) {
        ngx_stratum_fuzz_check(keys->nelts > 0);

        key = keys->elts;

        for (i = 0; i < keys->nelts; i++) {
            ngx_stratum_fuzz_key(key[i]);
        }
    }

    ngx_stratum_fuzz_conf_free(&cf);

    return 0;
}
