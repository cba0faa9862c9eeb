
/*
 * Copyright (C) The Stratum authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_stratum.h"


/*
 * a refusal from an access-phase handler: the JSON body in "body", unless
 * an error_page for the status takes over as it would for nginx's own
 * pages; the caller returns what this returns
 */

ngx_int_t
ngx_stratum_send_refusal(ngx_http_request_t *r, ngx_uint_t status,
    ngx_buf_t *body)
{
    ngx_int_t                  rc;
    ngx_uint_t                 i;
    ngx_chain_t                out;
    ngx_http_err_page_t       *err_page;
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    if (clcf->error_pages
        && r->uri_changes != 0
        && (!r->error_page || clcf->recursive_error_pages))
    {
        err_page = clcf->error_pages->elts;

        for (i = 0; i < clcf->error_pages->nelts; i++) {
            if (err_page[i].status == (ngx_int_t) status) {
                return status;
            }
        }
    }

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        return status;
    }

    body->last_buf = (r == r->main) ? 1 : 0;
    body->last_in_chain = 1;

    r->headers_out.status = status;
    r->headers_out.content_length_n = body->last - body->pos;
    ngx_str_set(&r->headers_out.content_type, "application/json");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = NULL;

    rc = ngx_http_send_header(r);

    if (rc != NGX_ERROR && rc <= NGX_OK && !r->header_only) {
        out.buf = body;
        out.next = NULL;

        rc = ngx_http_output_filter(r, &out);
    }

    ngx_http_finalize_request(r, rc);

    return NGX_DONE;
}


void *
ngx_stratum_create_srv_conf(ngx_conf_t *cf)
{
    return ngx_pcalloc(cf->pool, sizeof(ngx_stratum_srv_conf_t));
}


/*
 * the precontent check of a module that guards locations.  nginx runs no
 * access phase for a subrequest (auth_request, an SSI include, slice,
 * mirror): the module's access handler runs again here, a phase
 * subrequests do pass through, so that a protected location answers no
 * subrequest unchecked; the handler's NGX_OK would end this phase early,
 * skipping try_files
 */

ngx_int_t
ngx_stratum_check_internal(ngx_http_request_t *r,
    ngx_stratum_srv_conf_t *sscf, ngx_http_handler_pt access)
{
    ngx_int_t                  rc;
    ngx_http_core_srv_conf_t  *cscf;

    /* a server that guards no location has nothing to escape from */

    if (!sscf->guarded) {
        return NGX_DECLINED;
    }

    /*
     * nginx normalizes the URI a client sends, never one set inside
     * nginx: an SSI include, an X-Accel-Redirect from the upstream, an
     * error_page or try_files URI, or a rewrite built from "$arg_..." of
     * "//t2/x" matches no protected "location ~ ^/t2/" and is served by
     * whatever location catches it, from the same file; such a URI is
     * refused wherever it lands.  A client's URI passes as nginx left it.
     */

    cscf = ngx_http_get_module_srv_conf(r, ngx_http_core_module);

    if (ngx_stratum_unnormalized(&r->uri, cscf->merge_slashes)) {
        ngx_stratum_log_error(NGX_LOG_ERR, r, 0,
                              "stratum: %s to a URI with \"//\", \".\" or "
                              "\"..\" segments, or without a leading \"/\", "
                              "is refused: it would escape the location of "
                              "its normalized form",
                              (r != r->main) ? "a subrequest" : "a redirect");
        return NGX_HTTP_BAD_REQUEST;
    }

    if (r == r->main) {
        return NGX_DECLINED;
    }

    rc = access(r);

    return (rc == NGX_OK) ? NGX_DECLINED : rc;
}


/*
 * a URI that does not begin with "/" ("admin/x" matches no "^/admin/"), a
 * "." or ".." segment, or "//" unless merge_slashes is off: what nginx
 * would not have left in a client's URI
 */

ngx_uint_t
ngx_stratum_unnormalized(ngx_str_t *uri, ngx_flag_t merge_slashes)
{
    u_char  *p, *last;

    p = uri->data;
    last = p + uri->len;

    if (p == last || *p != '/') {
        return 1;
    }

    for ( /* void */ ; p < last; p++) {
        if (*p != '/') {
            continue;
        }

        if (merge_slashes && p + 1 < last && p[1] == '/') {
            return 1;
        }

        if (p + 1 < last && p[1] == '.'
            && (p + 2 == last || p[2] == '/'
                || (p[2] == '.' && (p + 3 == last || p[3] == '/'))))
        {
            return 1;
        }
    }

    return 0;
}
