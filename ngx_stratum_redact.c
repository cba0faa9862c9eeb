/*
 * Copyright (C) The Stratum authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_stratum_conf.h"
#include "ngx_stratum_redact.h"


/*
 * What of a client's strings may be written down: the audit events and
 * the modules' own error-log lines keep no token, no credential and
 * nothing that a percent-decoding or two turns into one.
 */


/*
 * base64url characters decoded at a time to tell a JOSE header, after a
 * first group of four
 */
#define NGX_STRATUM_REDACT_JOSE_CHUNK   56

/* percent-decodings a client string is looked through for a token */
#define NGX_STRATUM_REDACT_DECODINGS    3


static ngx_uint_t ngx_stratum_redact_named_secret(u_char *p, u_char *last);
static u_char *ngx_stratum_redact_run(u_char **start, u_char *last);
static ngx_uint_t ngx_stratum_redact_b64url_char(u_char c);
static ngx_uint_t ngx_stratum_redact_jose(u_char *p, u_char *last);
static ngx_uint_t ngx_stratum_redact_json_object(u_char *p, u_char *last,
    u_char **seen);
static u_char *ngx_stratum_log_handler(ngx_log_t *log, u_char *buf,
    size_t len);


/* the request ngx_stratum_log_error() logs for, while it does */
static ngx_http_request_t  *ngx_stratum_log_request;


/* 1: an argument name that says a credential, as the application reads it */

ngx_uint_t
ngx_stratum_redact_credential_name(u_char *name, size_t len)
{
    u_char      *d, *p, *q;
    ngx_str_t   *s;
    u_char       low[3 * sizeof("x_amz_security_token")];

    /* "-" is compared as "_": "access-token", "X-Amz-Signature" */

    static ngx_str_t  names[] = {
        ngx_string("access_token"),
        ngx_string("id_token"),
        ngx_string("refresh_token"),
        ngx_string("auth_token"),
        ngx_string("token"),
        ngx_string("jwt"),
        ngx_string("bearer"),
        ngx_string("auth"),
        ngx_string("authorization"),
        ngx_string("code"),
        ngx_string("assertion"),
        ngx_string("client_assertion"),
        ngx_string("client_secret"),
        ngx_string("secret"),
        ngx_string("private_key"),
        ngx_string("password"),
        ngx_string("passwd"),
        ngx_string("pass"),
        ngx_string("pwd"),
        ngx_string("otp"),
        ngx_string("api_key"),
        ngx_string("apikey"),
        ngx_string("key"),
        ngx_string("signature"),
        ngx_string("sig"),
        ngx_string("credential"),
        ngx_string("credentials"),
        ngx_string("session"),
        ngx_string("session_id"),
        ngx_string("sessionid"),
        ngx_string("jsessionid"),
        ngx_string("phpsessid"),
        ngx_string("x_amz_signature"),
        ngx_string("x_amz_credential"),
        ngx_string("x_amz_security_token"),
        ngx_string("x_goog_signature"),
        ngx_string("x_goog_credential"),
        ngx_null_string
    };

    /*
     * "access%5Ftoken" is "access_token" to the application; a name of
     * more than three times the longest one cannot decode to any
     */

    if (len > sizeof(low)) {
        return 0;
    }

    d = low;
    p = name;
    ngx_unescape_uri(&d, &p, len, 0);

    for (q = low; q < d; q++) {
        if (*q == '-') {
            *q = '_';
        }
    }

    for (s = names; s->len; s++) {
        if (s->len == (size_t) (d - low)
            && ngx_strncasecmp(s->data, low, s->len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


/*
 * a client string as an audit event or a log line keeps it (the path, the
 * user agent, a permission made of request variables, the host): each
 * JOSE token in it becomes [redacted]; a token that shows only once the
 * text is percent-decoded ("%2E" for its dots), or a credential by name
 * in it ("x;jsessionid=", "?code=" inside, decoded or not), takes the
 * whole string with it
 */

ngx_int_t
ngx_stratum_redact_client(ngx_pool_t *pool, ngx_str_t *str)
{
    ngx_int_t  rc;

    if (ngx_stratum_redact_tokens(pool, str) != NGX_OK) {
        return NGX_ERROR;
    }

    rc = ngx_stratum_redact_secret(pool, str->data, str->len);

    if (rc == 1) {
        ngx_str_set(str, "[redacted]");
    }

    return (rc == NGX_ERROR) ? NGX_ERROR : NGX_OK;
}


/*
 * 1: a credential by name in the text, or a JOSE token or a credential
 * by name once it is percent-decoded, or decoded again, up to
 * NGX_STRATUM_REDACT_DECODINGS times (a client that encodes twice:
 * "%252E" for the dots)
 */

ngx_int_t
ngx_stratum_redact_secret(ngx_pool_t *pool, u_char *data, size_t len)
{
    u_char      *d, *p, *buf, *last;
    ngx_uint_t   n;

    /* a string nginx never set (a refused request line) has no data */

    if (len == 0) {
        return 0;
    }

    last = data + len;

    if (ngx_stratum_redact_named_secret(data, last)) {
        return 1;
    }

    if (ngx_strlchr(data, last, '%') == NULL) {
        return 0;
    }

    buf = ngx_pnalloc(pool, len);
    if (buf == NULL) {
        return NGX_ERROR;
    }

    p = data;

    for (n = 0; n < NGX_STRATUM_REDACT_DECODINGS; n++) {

        /* in place from the second time on: it never writes ahead */

        d = buf;
        ngx_unescape_uri(&d, &p, last - p, 0);
        last = d;

        if (ngx_stratum_redact_holds_token(buf, last)
            || ngx_stratum_redact_named_secret(buf, last))
        {
            return 1;
        }

        if (ngx_strlchr(buf, last, '%') == NULL) {
            break;
        }

        p = buf;
    }

    return 0;
}


/*
 * 1: "NAME=" where NAME says a credential and follows the start of the
 * text or one of "?&;#+ " (a URL inside a value, a path parameter)
 */

static ngx_uint_t
ngx_stratum_redact_named_secret(u_char *p, u_char *last)
{
    u_char  *eq;

    for ( /* void */ ; p < last; p = eq + 1) {
        for (eq = p; eq < last; eq++) {
            if (*eq == '=' || *eq == '?' || *eq == '&' || *eq == ';'
                || *eq == '#' || *eq == '+' || *eq == ' ')
            {
                break;
            }
        }

        if (eq < last && *eq == '='
            && ngx_stratum_redact_credential_name(p, eq - p))
        {
            return 1;
        }
    }

    return 0;
}


/* 1: a JOSE token somewhere in the text, "Bearer <token>", quoted, ... */

ngx_uint_t
ngx_stratum_redact_holds_token(u_char *p, u_char *last)
{
    u_char  *run;

    for ( /* void */ ; p < last; p = run) {
        run = ngx_stratum_redact_run(&p, last);

        if (ngx_stratum_redact_jose(p, run)) {
            return 1;
        }
    }

    return 0;
}


/*
 * a client string as an event or a log line keeps it (the path, the user
 * agent, the host, a subrequest's URI): each JOSE token in it becomes
 * [redacted], wherever the client put it
 */

ngx_int_t
ngx_stratum_redact_tokens(ngx_pool_t *pool, ngx_str_t *str)
{
    u_char  *p, *last, *run, *from, *out, *o;

    static u_char  redacted[] = "[redacted]";

    if (str->len == 0) {
        return NGX_OK;
    }

    last = str->data + str->len;
    from = str->data;
    out = NULL;
    o = NULL;

    for (p = str->data; p < last; p = run) {
        run = ngx_stratum_redact_run(&p, last);

        if (!ngx_stratum_redact_jose(p, run)) {
            continue;
        }

        /* a token is 5 bytes at least ("eyJ.."), "[redacted]" 10 */

        if (out == NULL) {
            out = ngx_pnalloc(pool,
                              str->len + (str->len / 5 + 1)
                                         * (sizeof(redacted) - 1));
            if (out == NULL) {
                return NGX_ERROR;
            }

            o = out;
        }

        o = ngx_cpymem(o, from, p - from);
        o = ngx_cpymem(o, redacted, sizeof(redacted) - 1);
        from = run;
    }

    if (out) {
        o = ngx_cpymem(o, from, last - from);
        str->data = out;
        str->len = o - out;
    }

    return NGX_OK;
}


/*
 * the next run of base64url characters and dots from *start on: *start
 * moves to where it begins, its end is returned; "=" belongs to a run
 * only as padding: "id_token=eyJ..." is two
 */

static u_char *
ngx_stratum_redact_run(u_char **start, u_char *last)
{
    u_char  *p, *run;

    p = *start;

    while (p < last && !ngx_stratum_redact_b64url_char(*p)) {
        p++;
    }

    for (run = p; run < last; run++) {
        if (*run == '=') {
            if (run + 1 < last && run[1] != '=' && run[1] != '.') {
                break;
            }

            continue;
        }

        if (!ngx_stratum_redact_b64url_char(*run)) {
            break;
        }
    }

    if (run < last && *run == '=') {
        run++;
    }

    *start = p;

    return run;
}


static ngx_uint_t
ngx_stratum_redact_b64url_char(u_char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
}


/*
 * 1: a compact JWS or JWE, padded or not, in a run of base64url
 * characters and dots: three segments or more, the first a JSON object
 * (a JOSE header) however it is spaced.  The token may be glued to what
 * comes before it ("xx" or "x." and a token), so it may begin at any
 * character of any segment that two more follow where the base64url of
 * "{" or of a blank can begin
 */

static ngx_uint_t
ngx_stratum_redact_jose(u_char *p, u_char *last)
{
    u_char      *seg, *end, *q, *seen;
    ngx_uint_t   dots, k;
    u_char      *skip[4];

    dots = 0;

    for (q = p; q < last; q++) {
        if (*q == '.') {
            dots++;
        }
    }

    for (seg = p; dots >= 2; seg = end + 1, dots--) {
        end = ngx_strlchr(seg, last, '.');

        /*
         * a start a multiple of 4 characters after one already tried
         * reads the same bytes from the first that is no blank on: a
         * long run of blanks is decoded once, not once for each start
         */

        skip[0] = skip[1] = skip[2] = skip[3] = NULL;

        for (q = seg; q < end; q++) {
            if (*q != 'e' && *q != 'I' && *q != 'C' && *q != 'D') {
                continue;
            }

            k = (q - seg) & 3;

            if (q <= skip[k]) {
                continue;
            }

            if (ngx_stratum_redact_json_object(q, end, &seen)) {
                return 1;
            }

            skip[k] = seen;
        }
    }

    return 0;
}


/*
 * 1: the base64url at "p" decodes to "{" and a quote, with any number of
 * blanks before and after the brace (jansson reads such a header); on 0,
 * "*seen" is where the group of four characters begins that holds the
 * first byte no blank, or "last" when there is none
 */

static ngx_uint_t
ngx_stratum_redact_json_object(u_char *p, u_char *last, u_char **seen)
{
    u_char      *chunk, *q, *e;
    size_t       n, step;
    ngx_str_t    src, dst;
    ngx_uint_t   brace;
    u_char       buf[NGX_STRATUM_REDACT_JOSE_CHUNK / 4 * 3];

    brace = 0;
    *seen = p;

    /*
     * the first step is one group of four characters: its three bytes
     * decide most starts (text that only looks like base64url), so a
     * long run of such text costs a few bytes a start, not a chunk; the
     * step never takes the pointer past "last"
     */

    step = 4;

    for (chunk = p; chunk < last; chunk += n) {
        n = ngx_min((size_t) (last - chunk), step);
        step = NGX_STRATUM_REDACT_JOSE_CHUNK;

        src.data = chunk;
        src.len = n;

        while (src.len && chunk[src.len - 1] == '=') {
            src.len--;
        }

        if (src.len % 4 == 1) {
            src.len--;
        }

        dst.data = buf;

        if (src.len < 2 || ngx_decode_base64url(&dst, &src) != NGX_OK) {
            break;
        }

        e = dst.data + dst.len;

        for (q = dst.data; q < e; q++) {
            if (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n') {
                continue;
            }

            if (!brace) {
                *seen = chunk + (q - dst.data) / 3 * 4;

                if (*q == '{') {
                    brace = 1;
                    continue;
                }
            }

            return brace && *q == '"';
        }
    }

    /* what is left is no more than a character: no byte */

    if (!brace) {
        *seen = last;
    }

    return 0;
}


/*
 * ngx_log_error() for a request, with what nginx adds to such a line
 * (client, server, request line, subrequest, host) written without what
 * may carry a token: the query string becomes "?...", the path and the
 * host are redacted as the audit module redacts them, the Referer is
 * left out.  A token read from "$arg_access_token" or a path segment
 * thus never reaches the error log through the modules' own lines.
 */

void
ngx_stratum_log_error(ngx_uint_t level, ngx_http_request_t *r, ngx_err_t err,
    const char *fmt, ...)
{
    u_char                *p;
    va_list                args;
    ngx_log_t             *log;
    ngx_log_handler_pt     handler;
    u_char                 msg[NGX_MAX_ERROR_STR];

    log = r->connection->log;

    if (log->log_level < level) {
        return;
    }

    va_start(args, fmt);
    p = ngx_vslprintf(msg, msg + sizeof(msg), fmt, args);
    va_end(args);

    handler = log->handler;
    log->handler = ngx_stratum_log_handler;
    ngx_stratum_log_request = r;

    ngx_log_error(level, log, err, "%*s", (size_t) (p - msg), msg);

    log->handler = handler;
    ngx_stratum_log_request = NULL;
}


static u_char *
ngx_stratum_log_handler(ngx_log_t *log, u_char *buf, size_t len)
{
    u_char                    *p, *q, *last;
    ngx_str_t                  path, host, uri;
    ngx_uint_t                 args;
    ngx_http_request_t        *r, *mr;
    ngx_http_core_srv_conf_t  *cscf;

    /* a line logged from here (no memory for the redaction) is plain */

    log->handler = NULL;

    r = ngx_stratum_log_request;
    p = buf;
    last = buf + len;

    if (r == NULL) {
        return p;
    }

    mr = r->main;

    if (log->action) {
        p = ngx_slprintf(p, last, " while %s", log->action);
    }

    p = ngx_slprintf(p, last, ", client: %V", &r->connection->addr_text);

    cscf = ngx_http_get_module_srv_conf(mr, ngx_http_core_module);
    if (cscf) {
        p = ngx_slprintf(p, last, ", server: %V", &cscf->server_name);
    }

    /* the path the client sent, up to its query string */

    path = mr->unparsed_uri;
    args = 0;

    if (path.data) {
        q = ngx_strlchr(path.data, path.data + path.len, '?');
        if (q) {
            path.len = q - path.data;
            args = 1;
        }

        if (ngx_stratum_redact_client(r->pool, &path) != NGX_OK) {
            ngx_str_set(&path, "[redacted]");
        }

        p = ngx_slprintf(p, last, ", request: \"%V %V%s%s%V\"",
                         &mr->method_name, &path, args ? "?..." : "",
                         mr->http_protocol.len ? " " : "",
                         &mr->http_protocol);
    }

    if (r != mr) {
        uri = r->uri;

        if (ngx_stratum_redact_client(r->pool, &uri) != NGX_OK) {
            ngx_str_set(&uri, "[redacted]");
        }

        p = ngx_slprintf(p, last, ", subrequest: \"%V\"", &uri);
    }

    /*
     * the Host header as the client sent it, as nginx writes it too (in
     * the lowercased server name a token could not be told)
     */

    if (mr->headers_in.host) {
        host = mr->headers_in.host->value;

        if (ngx_stratum_redact_client(r->pool, &host) != NGX_OK) {
            ngx_str_set(&host, "[redacted]");
        }

        p = ngx_slprintf(p, last, ", host: \"%V\"", &host);
    }

    return p;
}
