
/*
 * Copyright (C) The Stratum authors
 */


/*
 * The token parser: ngx_stratum_jwt_split() and the strict base64url
 * decoder, on any bytes.  Besides the sanitizers, two oracles written
 * apart from the code under test:
 *
 *   - a token is accepted exactly when it is three non-empty segments of
 *     the base64url alphabet, none of a length of 4n+1, none with stray
 *     bits in its last character;
 *   - what is accepted encodes back to exactly the input (one encoding
 *     per byte string, so a signature covers one token string).
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include <stdio.h>
#include <stdlib.h>

#include "../ngx_stratum_jwt.h"
#include "ngx_stratum_fuzz.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static ngx_int_t ngx_stratum_fuzz_segment_ok(const u_char *p, size_t len);
static size_t ngx_stratum_fuzz_decoded_len(size_t len);
static void ngx_stratum_fuzz_roundtrip(ngx_str_t *decoded,
    const u_char *encoded, size_t len);


static ngx_int_t
ngx_stratum_fuzz_segment_ok(const u_char *p, size_t len)
{
    size_t     i;
    ngx_int_t  v;

    if (len % 4 == 1) {
        return 0;
    }

    v = 0;

    for (i = 0; i < len; i++) {
        v = ngx_stratum_fuzz_base64url_value(p[i]);
        if (v == NGX_ERROR) {
            return 0;
        }
    }

    /* the bits of the last character that fall outside the bytes */

    if (len % 4 == 2 && (v & 0x0f)) {
        return 0;
    }

    if (len % 4 == 3 && (v & 0x03)) {
        return 0;
    }

    return 1;
}


static size_t
ngx_stratum_fuzz_decoded_len(size_t len)
{
    return len / 4 * 3 + (len % 4 == 2 ? 1 : 0) + (len % 4 == 3 ? 2 : 0);
}


static void
ngx_stratum_fuzz_roundtrip(ngx_str_t *decoded, const u_char *encoded,
    size_t len)
{
    u_char  *p;
    size_t   n;

    ngx_stratum_fuzz_check(decoded->len == ngx_stratum_fuzz_decoded_len(len));

    p = malloc(4 * decoded->len / 3 + 4);
    if (p == NULL) {
        abort();
    }

    n = ngx_stratum_fuzz_base64url(p, decoded->data, decoded->len);

    ngx_stratum_fuzz_check(n == len && memcmp(p, encoded, len) == 0);

    free(p);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char             *token, *dot1, *dot2, *end;
    size_t              n;
    ngx_int_t           rc, ok;
    ngx_str_t           dst;
    ngx_pool_t         *pool;
    ngx_stratum_jwt_t   jwt;
    static ngx_uint_t   init;

    if (!init) {
        ngx_stratum_fuzz_init(1700000000);
        init = 1;
    }

    /* a copy of its exact size: a read past the token is reported */

    token = malloc(size ? size : 1);
    if (token == NULL) {
        abort();
    }

    ngx_memcpy(token, data, size);
    end = token + size;

    /* the decoder alone, into exactly the room its result needs */

    n = ngx_stratum_fuzz_decoded_len(size);
    dst.data = malloc(n ? n : 1);
    if (dst.data == NULL) {
        abort();
    }

    rc = ngx_stratum_jwt_decode_base64url(&dst, token, size);

    ngx_stratum_fuzz_check(rc == NGX_OK || rc == NGX_DECLINED);
    ngx_stratum_fuzz_check((rc == NGX_OK) == ngx_stratum_fuzz_segment_ok(token,
                                                                     size));
    if (rc == NGX_OK) {
        ngx_stratum_fuzz_roundtrip(&dst, token, size);
    }

    free(dst.data);

    /* the splitter, against the grammar */

    dot1 = memchr(token, '.', size);
    dot2 = dot1 ? memchr(dot1 + 1, '.', end - dot1 - 1) : NULL;

    ok = dot2 != NULL
         && memchr(dot2 + 1, '.', end - dot2 - 1) == NULL
         && ngx_stratum_fuzz_segment_ok(token, dot1 - token)
         && dot1 != token
         && ngx_stratum_fuzz_segment_ok(dot1 + 1, dot2 - dot1 - 1)
         && dot2 != dot1 + 1
         && ngx_stratum_fuzz_segment_ok(dot2 + 1, end - dot2 - 1)
         && dot2 + 1 != end;

    pool = ngx_stratum_fuzz_pool_create();

    ngx_memzero(&jwt, sizeof(ngx_stratum_jwt_t));

    rc = ngx_stratum_jwt_split(pool, token, size, &jwt);

    ngx_stratum_fuzz_check(rc == NGX_OK || rc == NGX_DECLINED);
    ngx_stratum_fuzz_check((rc == NGX_OK) == ok);

    if (rc == NGX_OK) {
        ngx_stratum_fuzz_check(jwt.encoded_header.data == token
                               && jwt.encoded_header.len
                                  == (size_t) (dot1 - token));
        ngx_stratum_fuzz_check(jwt.signing_input.data == token
                               && jwt.signing_input.len
                                  == (size_t) (dot2 - token));

        ngx_stratum_fuzz_roundtrip(&jwt.header, token, dot1 - token);
        ngx_stratum_fuzz_roundtrip(&jwt.payload, dot1 + 1, dot2 - dot1 - 1);
        ngx_stratum_fuzz_roundtrip(&jwt.signature, dot2 + 1, end - dot2 - 1);
    }

    ngx_stratum_fuzz_pool_destroy(pool);
    free(token);

    return 0;
}
