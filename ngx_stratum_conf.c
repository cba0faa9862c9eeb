
/*
 * Copyright (C) The Stratum authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_stratum_conf.h"


/*
 * reads a whole file named in the configuration (a key, a JWKS, a roles
 * table) into "out", NUL-terminated, from "pool"; "path" is made absolute
 * in place.  "what" names the file in the messages.  The file must be a
 * regular one: it is opened without blocking, so that a FIFO or a device
 * fails "nginx -t" instead of stalling it.  What was read of a file that
 * fails is wiped: it may be a secret (the audit hash key).
 */

ngx_int_t
ngx_stratum_conf_read_file(ngx_conf_t *cf, ngx_str_t *path, const char *what,
    size_t max, ngx_pool_t *pool, ngx_str_t *out)
{
    ssize_t          n;
    ngx_fd_t         fd;
    ngx_int_t        rc;
    ngx_file_t       file;
    ngx_file_info_t  fi;

    ngx_str_null(out);

    if (ngx_conf_full_name(cf->cycle, path, 1) != NGX_OK) {
        return NGX_ERROR;
    }

    fd = ngx_open_file(path->data, NGX_FILE_RDONLY|NGX_FILE_NONBLOCK,
                       NGX_FILE_OPEN, 0);
    if (fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_open_file_n " \"%V\" failed", path);
        return NGX_ERROR;
    }

    rc = NGX_ERROR;

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_fd_info_n " \"%V\" failed", path);
        goto done;
    }

    if (!ngx_is_file(&fi)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "%s \"%V\" is not a regular file", what, path);
        goto done;
    }

    if (ngx_file_size(&fi) > (off_t) max) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "%s \"%V\" is larger than %uz bytes",
                           what, path, max);
        goto done;
    }

    out->len = (size_t) ngx_file_size(&fi);

    /* one byte more: the NUL, and an empty file is not a NULL buffer */

    out->data = ngx_pnalloc(pool, out->len + 1);
    if (out->data == NULL) {
        goto done;
    }

    ngx_memzero(&file, sizeof(ngx_file_t));
    file.fd = fd;
    file.name = *path;
    file.log = cf->log;

    n = ngx_read_file(&file, out->data, out->len, 0);
    if (n == NGX_ERROR) {
        goto done;
    }

    if ((size_t) n != out->len) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           ngx_read_file_n " \"%V\" returned only %z bytes",
                           path, n);
        goto done;
    }

    out->data[out->len] = '\0';
    rc = NGX_OK;

done:

    if (rc != NGX_OK && out->data) {
        ngx_explicit_memzero(out->data, out->len);
        ngx_str_null(out);
    }

    if (ngx_close_file(fd) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_ALERT, cf, ngx_errno,
                           ngx_close_file_n " \"%V\" failed", path);
    }

    return rc;
}
