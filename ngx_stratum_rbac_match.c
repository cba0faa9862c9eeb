
/*
 * Copyright (C) The Stratum authors
 */


#include <string.h>

#include "ngx_stratum_rbac_match.h"


#define ngx_stratum_rbac_is_star(p, n)  ((n) == 1 && (p)[0] == '*')


/*
 * splits a permission ("pattern" false) or a pattern into its segments;
 * "seg" has room for NGX_STRATUM_RBAC_MAX_SEGMENTS.  Returns the number
 * of segments, or one of the negative errors when the text is outside the
 * grammar.  The segments point into "p".
 */

int
ngx_stratum_rbac_split(const unsigned char *p, size_t len, int pattern,
    ngx_stratum_rbac_seg_t *seg)
{
    int                   n;
    unsigned char         c;
    const unsigned char  *s, *end;

    if (len == 0) {
        return NGX_STRATUM_RBAC_EMPTY;
    }

    end = p + len;
    s = p;
    n = 0;

    for ( ;; ) {

        if (p == end || *p == ':') {
            if (p == s) {
                return NGX_STRATUM_RBAC_EMPTY_SEGMENT;
            }

            if (n == NGX_STRATUM_RBAC_MAX_SEGMENTS) {
                return NGX_STRATUM_RBAC_TOO_LONG;
            }

            seg[n].data = s;
            seg[n].len = p - s;
            n++;

            if (p == end) {
                return n;
            }

            s = ++p;
            continue;
        }

        c = *p;

        if (c == '*') {
            if (!pattern) {
                return NGX_STRATUM_RBAC_STAR;
            }

            /* a whole segment or nothing */

            if (p != s || (p + 1 != end && p[1] != ':')) {
                return NGX_STRATUM_RBAC_STAR_IN_WORD;
            }

        } else if (c < 0x21 || c > 0x7e
                   || c == '"' || c == ',' || c == '\\' || c == '|')
        {
            return NGX_STRATUM_RBAC_BAD_CHAR;
        }

        p++;
    }
}


const char *
ngx_stratum_rbac_strerror(int err)
{
    switch (err) {

    case NGX_STRATUM_RBAC_EMPTY:
        return "it is empty";

    case NGX_STRATUM_RBAC_EMPTY_SEGMENT:
        return "an empty segment";

    case NGX_STRATUM_RBAC_STAR_IN_WORD:
        return "\"*\" inside a segment, it can only be a whole segment";

    case NGX_STRATUM_RBAC_STAR:
        return "\"*\" in a permission that is required";

    case NGX_STRATUM_RBAC_BAD_CHAR:
        return "a character that is not allowed: segments are printable "
               "ASCII without space, double quote, comma, backslash "
               "or \"|\"";

    case NGX_STRATUM_RBAC_TOO_LONG:
        return "more than 16 segments";

    default:
        return "unknown error";
    }
}


/* a pattern split at configuration time against a required permission */

int
ngx_stratum_rbac_match(const ngx_stratum_rbac_seg_t *pat, size_t npat,
    const ngx_stratum_rbac_seg_t *perm, size_t nperm)
{
    size_t  i;

    if (npat == 1 && ngx_stratum_rbac_is_star(pat[0].data, pat[0].len)) {
        return 1;
    }

    if (npat != nperm) {
        return 0;
    }

    for (i = 0; i < npat; i++) {

        if (ngx_stratum_rbac_is_star(pat[i].data, pat[i].len)) {
            continue;
        }

        if (pat[i].len != perm[i].len
            || memcmp(pat[i].data, perm[i].data, pat[i].len) != 0)
        {
            return 0;
        }
    }

    return 1;
}


/*
 * a pattern as it came in a token, never split: a segment matches only
 * when it is "*" or equal to a segment of the (valid) permission, so a
 * pattern outside the grammar matches nothing without being checked
 */

int
ngx_stratum_rbac_match_text(const unsigned char *p, size_t len,
    const ngx_stratum_rbac_seg_t *perm, size_t nperm)
{
    size_t                n, i;
    const unsigned char  *end, *colon;

    if (ngx_stratum_rbac_is_star(p, len)) {
        return 1;
    }

    end = p + len;

    for (i = 0; i < nperm; i++) {
        colon = memchr(p, ':', end - p);
        n = (colon ? colon : end) - p;

        if (!ngx_stratum_rbac_is_star(p, n)
            && (n != perm[i].len || memcmp(p, perm[i].data, n) != 0))
        {
            return 0;
        }

        if (colon == NULL) {
            return i + 1 == nperm;
        }

        p = colon + 1;
    }

    /* the pattern has more segments than the permission */

    return 0;
}
