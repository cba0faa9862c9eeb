
/*
 * Copyright (C) The Stratum authors
 */


/*
 * The permission matcher of the rbac module (ngx_stratum_rbac_match.c,
 * plain C).  Input: a pattern, a newline, a permission; without a
 * newline the input is both.  The pattern is matched both ways the
 * module does: split at configuration time (ngx_stratum_rbac_match())
 * and as the text a token carries (ngx_stratum_rbac_match_text()).
 *
 * Oracles: segments cover their text exactly, ":" between them; the two
 * matchers agree on a pattern within the grammar; the text matcher never
 * grants through a pattern outside it.
 */


#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../ngx_stratum_rbac_match.h"
#include "ngx_stratum_fuzz.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int ngx_stratum_fuzz_split(const unsigned char *p, size_t len,
    int pattern, ngx_stratum_rbac_seg_t *seg);


/* ngx_stratum_rbac_split(), and what its segments must be */

static int
ngx_stratum_fuzz_split(const unsigned char *p, size_t len, int pattern,
    ngx_stratum_rbac_seg_t *seg)
{
    int                   n, i;
    size_t                k;
    const unsigned char  *next;

    n = ngx_stratum_rbac_split(p, len, pattern, seg);

    if (n <= 0) {
        ngx_stratum_fuzz_check(n >= NGX_STRATUM_RBAC_TOO_LONG
                               && n <= NGX_STRATUM_RBAC_EMPTY);
        ngx_stratum_fuzz_check(ngx_stratum_rbac_strerror(n) != NULL);
        return n;
    }

    ngx_stratum_fuzz_check(n <= NGX_STRATUM_RBAC_MAX_SEGMENTS);

    next = p;

    for (i = 0; i < n; i++) {
        ngx_stratum_fuzz_check(seg[i].data == next && seg[i].len > 0);

        for (k = 0; k < seg[i].len; k++) {
            ngx_stratum_fuzz_check(seg[i].data[k] > 0x20
                                   && seg[i].data[k] < 0x7f
                                   && seg[i].data[k] != ':'
                                   && seg[i].data[k] != ','
                                   && seg[i].data[k] != '"');
        }

        if (memchr(seg[i].data, '*', seg[i].len)) {
            ngx_stratum_fuzz_check(pattern && seg[i].len == 1);
        }

        next = seg[i].data + seg[i].len;

        if (i + 1 < n) {
            ngx_stratum_fuzz_check(*next == ':');
            next++;
        }
    }

    ngx_stratum_fuzz_check(next == p + len);

    return n;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                     npat, nperm, by_text, by_segs;
    size_t                  plen, qlen;
    unsigned char          *buf, *pat, *perm, *nl;
    ngx_stratum_rbac_seg_t  ps[NGX_STRATUM_RBAC_MAX_SEGMENTS];
    ngx_stratum_rbac_seg_t  qs[NGX_STRATUM_RBAC_MAX_SEGMENTS];

    /* a copy of its exact size: a read past the input is reported */

    buf = malloc(size ? size : 1);
    if (buf == NULL) {
        abort();
    }

    memcpy(buf, data, size);

    nl = memchr(buf, '\n', size);

    pat = buf;
    plen = nl ? (size_t) (nl - buf) : size;
    perm = nl ? nl + 1 : buf;
    qlen = nl ? size - plen - 1 : size;

    npat = ngx_stratum_fuzz_split(pat, plen, 1, ps);
    nperm = ngx_stratum_fuzz_split(perm, qlen, 0, qs);

    /* a valid permission is a valid pattern that matches it */

    if (nperm > 0) {
        ngx_stratum_fuzz_check(ngx_stratum_rbac_match(qs, nperm, qs, nperm));
        ngx_stratum_fuzz_check(ngx_stratum_rbac_match_text(perm, qlen, qs,
                                                           nperm));
    }

    if (nperm <= 0) {
        goto done;
    }

    by_text = ngx_stratum_rbac_match_text(pat, plen, qs, nperm);

    if (npat > 0) {
        by_segs = ngx_stratum_rbac_match(ps, npat, qs, nperm);
        ngx_stratum_fuzz_check(by_text == by_segs);

    } else {
        ngx_stratum_fuzz_check(!by_text);
    }

done:

    free(buf);

    return 0;
}
