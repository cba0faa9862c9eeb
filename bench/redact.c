
/*
 * Copyright (C) The Stratum authors
 */


/*
 * What the redaction of a client string (ngx_stratum_redact_client(): the
 * path and the user agent of every audit event, the path and host of the
 * modules' log lines) costs, on ordinary text and on text built to make
 * it work: base64url look-alikes where a token could start at every
 * character, a JOSE header of blanks, layers of percent-encoding.  One
 * process, no nginx; the nginx functions it calls are the fuzz harness's
 * stand-ins, which decode as nginx does.  A benchmark, never a test.
 *
 *   build/redact-bench [SIZE [ROUNDS]]     defaults: 8192 bytes, 2000
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../ngx_stratum_redact.h"
#include "../fuzz/ngx_stratum_fuzz.h"


typedef struct {
    const char  *name;
    const char  *head;        /* once, at the start */
    const char  *unit;        /* repeated to the size */
    const char  *tail;        /* once, at the end */
} ngx_stratum_bench_shape_t;


static ngx_int_t ngx_stratum_bench_arg(int argc, char **argv, int i,
    size_t dflt, size_t *out);
static double ngx_stratum_bench_now(void);


static ngx_stratum_bench_shape_t  ngx_stratum_bench_shapes[] = {
    { "browser user agent", "",
      "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 ", "" },
    { "path of words", "/api/", "tenants/campaigns/reports/", "x.json" },
    { "base64url look-alike", "", "eICD", "..%" },
    { "header of blanks", "x.", "ICAg", "e30.." },
    { "segments of look-alikes", "", "eyJ.eICD.eIC.", "" },
    { "percent layers", "", "%2525", "" },
    { NULL, NULL, NULL, NULL }
};


/* a positive decimal argument, or the default when it is not given */

static ngx_int_t
ngx_stratum_bench_arg(int argc, char **argv, int i, size_t dflt, size_t *out)
{
    char           *end;
    unsigned long   v;

    if (argc <= i) {
        *out = dflt;
        return NGX_OK;
    }

    errno = 0;
    v = strtoul(argv[i], &end, 10);

    if (errno || end == argv[i] || *end != '\0' || v == 0) {
        return NGX_ERROR;
    }

    *out = v;

    return NGX_OK;
}


static double
ngx_stratum_bench_now(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return ts.tv_sec + ts.tv_nsec / 1e9;
}


int
main(int argc, char **argv)
{
    u_char                     *text, *p;
    size_t                      size, n, i, rounds;
    double                      start, us;
    ngx_int_t                   rc;
    ngx_str_t                   str;
    ngx_pool_t                 *pool;
    ngx_stratum_bench_shape_t  *s;

    if (ngx_stratum_bench_arg(argc, argv, 1, 8192, &size) != NGX_OK
        || ngx_stratum_bench_arg(argc, argv, 2, 2000, &rounds) != NGX_OK
        || size < 64)
    {
        fprintf(stderr, "usage: %s [SIZE >= 64 [ROUNDS > 0]]\n", argv[0]);
        return 2;
    }

    ngx_stratum_fuzz_init(0);

    text = malloc(size);
    if (text == NULL) {
        return 1;
    }

    printf("%-26s %8s %12s %10s\n", "shape", "bytes", "us a string",
           "ns a byte");

    for (s = ngx_stratum_bench_shapes; s->name; s++) {

        /* the head, the unit as often as it fits, the tail */

        p = ngx_cpymem(text, s->head, ngx_strlen(s->head));
        n = ngx_strlen(s->unit);

        while ((size_t) (p - text) + n + ngx_strlen(s->tail) <= size) {
            p = ngx_cpymem(p, s->unit, n);
        }

        p = ngx_cpymem(p, s->tail, ngx_strlen(s->tail));
        n = p - text;

        start = ngx_stratum_bench_now();

        for (i = 0; i < rounds; i++) {
            pool = ngx_stratum_fuzz_pool_create();

            /* the redaction may write into its string, as into a copy */

            str.data = ngx_pnalloc(pool, n);
            rc = NGX_ERROR;

            if (str.data) {
                ngx_memcpy(str.data, text, n);
                str.len = n;

                rc = ngx_stratum_redact_client(pool, &str);
            }

            ngx_stratum_fuzz_pool_destroy(pool);

            if (rc != NGX_OK) {
                fprintf(stderr, "redaction failed\n");
                free(text);
                return 1;
            }
        }

        us = (ngx_stratum_bench_now() - start) / rounds * 1e6;

        printf("%-26s %8zu %12.1f %10.2f\n", s->name, n, us, us * 1e3 / n);
    }

    free(text);

    return 0;
}
