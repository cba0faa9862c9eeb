
/*
 * Copyright (C) The Stratum authors
 */


/*
 * The RBAC grammar and matching without nginx (ngx_stratum_rbac_match.c);
 * prints TAP:
 *
 *     cc -Wall -Wextra -I. -o /tmp/rbac-match t/rbac/match_test.c \
 *         ngx_stratum_rbac_match.c && /tmp/rbac-match
 */


#include <stdio.h>
#include <string.h>

#include "ngx_stratum_rbac_match.h"


static int  ngx_stratum_rbac_test_n;
static int  ngx_stratum_rbac_test_failed;


static void
ngx_stratum_rbac_test_ok(int ok, const char *what, const char *a,
    const char *b)
{
    ngx_stratum_rbac_test_n++;

    if (!ok) {
        ngx_stratum_rbac_test_failed++;
    }

    printf("%sok %d - %s \"%s\" \"%s\"\n", ok ? "" : "not ",
           ngx_stratum_rbac_test_n, what, a, b);
}


/* a pattern against a permission, split and as text, both ways agreeing */

static void
ngx_stratum_rbac_test_match(const char *pattern, const char *perm,
    int expect)
{
    int                     npat, nperm, split, text;
    ngx_stratum_rbac_seg_t  pat[NGX_STRATUM_RBAC_MAX_SEGMENTS];
    ngx_stratum_rbac_seg_t  seg[NGX_STRATUM_RBAC_MAX_SEGMENTS];

    nperm = ngx_stratum_rbac_split((const unsigned char *) perm,
                                   strlen(perm), 0, seg);
    npat = ngx_stratum_rbac_split((const unsigned char *) pattern,
                                  strlen(pattern), 1, pat);

    if (nperm <= 0) {
        ngx_stratum_rbac_test_ok(!expect, "invalid permission", pattern,
                                 perm);
        return;
    }

    split = npat > 0 && ngx_stratum_rbac_match(pat, npat, seg, nperm);
    text = ngx_stratum_rbac_match_text((const unsigned char *) pattern,
                                       strlen(pattern), seg, nperm);

    ngx_stratum_rbac_test_ok(split == expect && text == expect,
                             expect ? "matches" : "does not match",
                             pattern, perm);
}


static void
ngx_stratum_rbac_test_split(const char *text, int pattern, int expect)
{
    int                     n;
    ngx_stratum_rbac_seg_t  seg[NGX_STRATUM_RBAC_MAX_SEGMENTS];

    n = ngx_stratum_rbac_split((const unsigned char *) text, strlen(text),
                               pattern, seg);

    ngx_stratum_rbac_test_ok(n == expect,
                             pattern ? "splits as a pattern"
                                     : "splits as a permission",
                             text, ngx_stratum_rbac_strerror(n));
}


int
main(void)
{
    ngx_stratum_rbac_test_match("*", "campaigns:read", 1);
    ngx_stratum_rbac_test_match("*", "a:b:c:d", 1);
    ngx_stratum_rbac_test_match("*", "solo", 1);
    ngx_stratum_rbac_test_match("campaigns:*", "campaigns:read", 1);
    ngx_stratum_rbac_test_match("campaigns:*", "campaigns:delete", 1);
    ngx_stratum_rbac_test_match("campaigns:*", "campaigns", 0);
    ngx_stratum_rbac_test_match("campaigns:*", "campaigns:", 0);
    ngx_stratum_rbac_test_match("campaigns:*", "campaignsX:read", 0);
    ngx_stratum_rbac_test_match("campaigns:*", "Campaigns:read", 0);
    ngx_stratum_rbac_test_match("campaigns:*", "campaigns:read:extra", 0);
    ngx_stratum_rbac_test_match("*:read", "users:read", 1);
    ngx_stratum_rbac_test_match("*:read", "users:write", 0);
    ngx_stratum_rbac_test_match("*:read", "read", 0);
    ngx_stratum_rbac_test_match("a:*:c", "a:b:c", 1);
    ngx_stratum_rbac_test_match("a:*:c", "a:b:d", 0);
    ngx_stratum_rbac_test_match("*:*", "a:b", 1);
    ngx_stratum_rbac_test_match("*:*", "a", 0);
    ngx_stratum_rbac_test_match("*:*", "a:b:c", 0);
    ngx_stratum_rbac_test_match("campaigns:read", "campaigns:read", 1);
    ngx_stratum_rbac_test_match("campaigns:read", "campaigns:rea", 0);
    ngx_stratum_rbac_test_match("campaigns:rea", "campaigns:read", 0);
    ngx_stratum_rbac_test_match("camp*:read", "campaigns:read", 0);
    ngx_stratum_rbac_test_match("campaigns:re*", "campaigns:read", 0);
    ngx_stratum_rbac_test_match("**", "campaigns", 0);
    ngx_stratum_rbac_test_match("campaigns::read", "campaigns:read", 0);
    ngx_stratum_rbac_test_match("campaigns:read:", "campaigns:read", 0);
    ngx_stratum_rbac_test_match(":campaigns:read", "campaigns:read", 0);
    ngx_stratum_rbac_test_match("", "campaigns", 0);

    ngx_stratum_rbac_test_split("", 1, NGX_STRATUM_RBAC_EMPTY);
    ngx_stratum_rbac_test_split("a::b", 1, NGX_STRATUM_RBAC_EMPTY_SEGMENT);
    ngx_stratum_rbac_test_split("a:", 0, NGX_STRATUM_RBAC_EMPTY_SEGMENT);
    ngx_stratum_rbac_test_split(":a", 0, NGX_STRATUM_RBAC_EMPTY_SEGMENT);
    ngx_stratum_rbac_test_split("a*:b", 1, NGX_STRATUM_RBAC_STAR_IN_WORD);
    ngx_stratum_rbac_test_split("a:*b", 1, NGX_STRATUM_RBAC_STAR_IN_WORD);
    ngx_stratum_rbac_test_split("a:**", 1, NGX_STRATUM_RBAC_STAR_IN_WORD);
    ngx_stratum_rbac_test_split("a:*", 0, NGX_STRATUM_RBAC_STAR);
    ngx_stratum_rbac_test_split("a b", 1, NGX_STRATUM_RBAC_BAD_CHAR);
    ngx_stratum_rbac_test_split("a,b", 0, NGX_STRATUM_RBAC_BAD_CHAR);
    ngx_stratum_rbac_test_split("a|b", 0, NGX_STRATUM_RBAC_BAD_CHAR);
    ngx_stratum_rbac_test_split("a\"b", 0, NGX_STRATUM_RBAC_BAD_CHAR);
    ngx_stratum_rbac_test_split("a\\b", 0, NGX_STRATUM_RBAC_BAD_CHAR);
    ngx_stratum_rbac_test_split("a\tb", 0, NGX_STRATUM_RBAC_BAD_CHAR);
    ngx_stratum_rbac_test_split("caf\xc3\xa9", 0, NGX_STRATUM_RBAC_BAD_CHAR);
    ngx_stratum_rbac_test_split("a:b:c:d:e:f:g:h:i:j:k:l:m:n:o:p", 0, 16);
    ngx_stratum_rbac_test_split("a:b:c:d:e:f:g:h:i:j:k:l:m:n:o:p:q", 0,
                                NGX_STRATUM_RBAC_TOO_LONG);
    ngx_stratum_rbac_test_split("*", 1, 1);
    ngx_stratum_rbac_test_split("*:*:read", 1, 3);
    ngx_stratum_rbac_test_split("org.members/v1:get-all_2", 0, 2);

    printf("1..%d\n", ngx_stratum_rbac_test_n);

    return ngx_stratum_rbac_test_failed ? 1 : 0;
}
