
/*
 * Copyright (C) The Stratum authors
 */


#ifndef _NGX_STRATUM_RBAC_MATCH_H_INCLUDED_
#define _NGX_STRATUM_RBAC_MATCH_H_INCLUDED_


#include <stddef.h>


/*
 * Permissions, the patterns that grant them, and matching one against the
 * other.  Plain C without nginx, so that a fuzzer or a unit test can build
 * this file alone.
 *
 *     permission  = segment *( ":" segment )
 *     pattern     = "*" / pattern-seg *( ":" pattern-seg )
 *     pattern-seg = segment / "*"
 *     segment     = 1*( %x21-7E except DQUOTE "*" "," ":" "\" "|" )
 *
 * "*" alone grants every permission.  Elsewhere "*" is one whole segment
 * and stands for exactly one segment, so "campaigns:*" matches
 * "campaigns:read" but neither "campaigns" nor "campaigns:read:extra".
 * Everything else compares byte for byte.
 */


#define NGX_STRATUM_RBAC_MAX_SEGMENTS   16

/* ngx_stratum_rbac_split() errors */
#define NGX_STRATUM_RBAC_EMPTY          (-1)
#define NGX_STRATUM_RBAC_EMPTY_SEGMENT  (-2)
#define NGX_STRATUM_RBAC_STAR_IN_WORD   (-3)
#define NGX_STRATUM_RBAC_STAR           (-4)
#define NGX_STRATUM_RBAC_BAD_CHAR       (-5)
#define NGX_STRATUM_RBAC_TOO_LONG       (-6)


typedef struct {
    const unsigned char  *data;
    size_t                len;
} ngx_stratum_rbac_seg_t;


int ngx_stratum_rbac_split(const unsigned char *p, size_t len, int pattern,
    ngx_stratum_rbac_seg_t *seg);
const char *ngx_stratum_rbac_strerror(int err);
int ngx_stratum_rbac_match(const ngx_stratum_rbac_seg_t *pat, size_t npat,
    const ngx_stratum_rbac_seg_t *perm, size_t nperm);
int ngx_stratum_rbac_match_text(const unsigned char *p, size_t len,
    const ngx_stratum_rbac_seg_t *perm, size_t nperm);


#endif /* _NGX_STRATUM_RBAC_MATCH_H_INCLUDED_ */
