
/*
 * Copyright (C) The Stratum authors
 */


#ifndef _NGX_STRATUM_FUZZ_H_INCLUDED_
#define _NGX_STRATUM_FUZZ_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include <stdio.h>
#include <stdlib.h>


/*
 * The fuzz targets run the modules' parsing code without nginx: the few
 * nginx core functions that code reaches are stood in for by
 * ngx_stratum_fuzz.c.  Every pool allocation is a malloc() of its exact
 * size, so AddressSanitizer sees an overrun of any one of them (inside a
 * real nginx pool it would land in the next allocation unnoticed), and a
 * pool's memory is freed, after its cleanups ran, by
 * ngx_stratum_fuzz_pool_destroy(), so LeakSanitizer sees what escaped it.
 *
 * Targets are linked with --gc-sections: a module function that the
 * target cannot reach may call anything, while one it can reach and that
 * starts to use a function missing here fails the link, by name.
 */


/* an oracle: a property every input must keep; a broken one aborts */
#define ngx_stratum_fuzz_check(expr)                                         \
    do {                                                                      \
        if (!(expr)) {                                                        \
            fprintf(stderr, "oracle failed: %s (%s:%d)\n", #expr,             \
                    __FILE__, __LINE__);                                      \
            abort();                                                          \
        }                                                                     \
    } while (0)


extern ngx_log_t    ngx_stratum_fuzz_log;
extern ngx_cycle_t  ngx_stratum_fuzz_cycle;


/* sets the clock (ngx_time()) and the log; called by every target once */
void ngx_stratum_fuzz_init(time_t now);

ngx_pool_t *ngx_stratum_fuzz_pool_create(void);
void ngx_stratum_fuzz_pool_destroy(ngx_pool_t *pool);

/* an ngx_conf_t for configuration-time code, with its pool and temp pool */
void ngx_stratum_fuzz_conf_init(ngx_conf_t *cf);
void ngx_stratum_fuzz_conf_free(ngx_conf_t *cf);

/* the value of a base64url character, or NGX_ERROR outside the alphabet */
ngx_int_t ngx_stratum_fuzz_base64url_value(u_char c);

/* strict base64url of src into dst, which holds 4 * len / 3 + 4 bytes */
size_t ngx_stratum_fuzz_base64url(u_char *dst, const u_char *src,
    size_t len);


#endif /* _NGX_STRATUM_FUZZ_H_INCLUDED_ */
