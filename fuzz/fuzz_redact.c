
/*
 * Copyright (C) The Stratum authors
 */


/*
 * The redaction of client strings (ngx_stratum_redact.c) that audit
 * events and the modules' log lines go through, on any bytes.  The
 * input's first byte picks how many blanks a known token's JOSE header
 * has after its brace; the rest is split at its first NUL into the text
 * before and after that token.  Oracles, written apart from the code
 * under test:
 *
 *   - the known token, glued to whatever the input puts around it, never
 *     survives;
 *   - what the redaction keeps holds no token and no credential by name
 *     that the redaction itself would find again (it is a fixed point).
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include <stdio.h>
#include <stdlib.h>

#include "../ngx_stratum_redact.h"
#include "ngx_stratum_fuzz.h"


/* the claims and the signature of the known token */
#define TAIL  ".eyJzdWIiOiJ4In0.c2lnbmF0dXJl"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static u_char *ngx_stratum_fuzz_find(u_char *p, size_t len, u_char *what,
    size_t n);


static u_char *
ngx_stratum_fuzz_find(u_char *p, size_t len, u_char *what, size_t n)
{
    size_t  i;

    for (i = 0; n && i + n <= len; i++) {
        if (ngx_memcmp(p + i, what, n) == 0) {
            return p + i;
        }
    }

    return NULL;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char             *text, *t, *nul, *header;
    size_t              blanks, hlen, tlen, before, after;
    ngx_int_t           rc;
    ngx_str_t           s, again;
    ngx_pool_t         *pool;
    u_char              json[300];
    static ngx_uint_t   init;

    if (!init) {
        ngx_stratum_fuzz_init(1700000000);
        init = 1;
    }

    if (size == 0) {
        return 0;
    }

    blanks = data[0] % 200;
    data++;
    size--;

    pool = ngx_stratum_fuzz_pool_create();

    /* the token: {, the blanks, "alg":"RS256"}, then two segments */

    json[0] = '{';
    ngx_memset(json + 1, ' ', blanks);
    t = ngx_cpymem(json + 1 + blanks, "\"alg\":\"RS256\"}",
                   sizeof("\"alg\":\"RS256\"}") - 1);

    header = ngx_pnalloc(pool, 4 * sizeof(json) / 3 + 4 + sizeof(TAIL));
    if (header == NULL) {
        abort();
    }

    hlen = ngx_stratum_fuzz_base64url(header, json, t - json);
    ngx_memcpy(header + hlen, TAIL, sizeof(TAIL) - 1);
    tlen = hlen + sizeof(TAIL) - 1;

    nul = memchr(data, '\0', size);
    before = nul ? (size_t) (nul - data) : size;
    after = nul ? size - before - 1 : 0;

    /* an allocation of its exact size: a read past the text is reported */

    text = malloc(before + tlen + after + 1);
    if (text == NULL) {
        abort();
    }

    t = ngx_cpymem(text, data, before);
    t = ngx_cpymem(t, header, tlen);
    t = ngx_cpymem(t, data + before + (nul ? 1 : 0), after);

    s.data = text;
    s.len = t - text;

    rc = ngx_stratum_redact_client(pool, &s);
    ngx_stratum_fuzz_check(rc == NGX_OK);

    ngx_stratum_fuzz_check(ngx_stratum_fuzz_find(s.data, s.len, header, tlen)
                           == NULL);

    /* a fixed point: nothing left that the redaction would take */

    ngx_stratum_fuzz_check(!ngx_stratum_redact_holds_token(s.data,
                                                          s.data + s.len));

    again = s;
    rc = ngx_stratum_redact_client(pool, &again);
    ngx_stratum_fuzz_check(rc == NGX_OK);
    ngx_stratum_fuzz_check(again.len == s.len
                           && ngx_memcmp(again.data, s.data, s.len) == 0);

    /* the input alone, as a query argument's name and value would be */

    (void) ngx_stratum_redact_credential_name((u_char *) data, size);
    rc = ngx_stratum_redact_secret(pool, (u_char *) data, size);
    ngx_stratum_fuzz_check(rc == 0 || rc == 1);

    free(text);
    ngx_stratum_fuzz_pool_destroy(pool);

    return 0;
}
