
/*
 * Copyright (C) The Stratum authors
 */


/*
 * Stand-ins for the nginx core functions that the fuzzed code reaches.
 * They keep nginx's contracts (a pool frees everything at once, after
 * its cleanups; an array grows by doubling; the "%V"-style formats read
 * their arguments with nginx's types) and nothing more.  They are not
 * nginx's implementations: a difference that matters to the modules is a
 * bug here.
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ngx_stratum_fuzz.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/asan_interface.h>
#define ngx_stratum_fuzz_poison(p, n)  ASAN_POISON_MEMORY_REGION(p, n)
#endif
#endif

#ifndef ngx_stratum_fuzz_poison
#define ngx_stratum_fuzz_poison(p, n)
#endif


static void ngx_stratum_fuzz_oom(void);
static u_char *ngx_stratum_fuzz_copy(u_char *buf, u_char *last,
    const u_char *src, size_t len);
static u_char *ngx_stratum_fuzz_number(u_char *buf, u_char *last,
    uint64_t ui64, u_char zero, ngx_uint_t hex, size_t width);


ngx_log_t                   ngx_stratum_fuzz_log;
ngx_cycle_t                 ngx_stratum_fuzz_cycle;

static ngx_time_t           ngx_stratum_fuzz_time;
volatile ngx_time_t        *ngx_cached_time = &ngx_stratum_fuzz_time;
volatile ngx_cycle_t       *ngx_cycle = &ngx_stratum_fuzz_cycle;

/* FUZZ_VERBOSE=1 in the environment prints what the code logs */
static ngx_uint_t           ngx_stratum_fuzz_verbose;


void
ngx_stratum_fuzz_init(time_t now)
{
    ngx_stratum_fuzz_time.sec = now;
    ngx_stratum_fuzz_time.msec = 0;

    ngx_stratum_fuzz_log.log_level = NGX_LOG_DEBUG_ALL;
    ngx_stratum_fuzz_cycle.log = &ngx_stratum_fuzz_log;

    ngx_stratum_fuzz_verbose = (getenv("FUZZ_VERBOSE") != NULL);
}


static void
ngx_stratum_fuzz_oom(void)
{
    fprintf(stderr, "fuzz shim: out of memory\n");
    abort();
}


/* pools: every allocation is its own malloc(), kept on the "large" list */

ngx_pool_t *
ngx_stratum_fuzz_pool_create(void)
{
    ngx_pool_t  *pool;

    pool = calloc(1, sizeof(ngx_pool_t));
    if (pool == NULL) {
        ngx_stratum_fuzz_oom();
    }

    pool->log = &ngx_stratum_fuzz_log;

    return pool;
}


ngx_pool_t *
ngx_create_pool(size_t size, ngx_log_t *log)
{
    return ngx_stratum_fuzz_pool_create();
}


void
ngx_stratum_fuzz_pool_destroy(ngx_pool_t *pool)
{
    ngx_pool_large_t    *l, *next;
    ngx_pool_cleanup_t  *c;

    for (c = pool->cleanup; c; c = c->next) {
        if (c->handler) {
            c->handler(c->data);
        }
    }

    for (l = pool->large; l; l = next) {
        next = l->next;
        free(l->alloc);
        free(l);
    }

    free(pool);
}


void
ngx_destroy_pool(ngx_pool_t *pool)
{
    ngx_stratum_fuzz_pool_destroy(pool);
}


void *
ngx_pnalloc(ngx_pool_t *pool, size_t size)
{
    void              *p;
    ngx_pool_large_t  *l;

    /* malloc(0) may return NULL; a pool never fails on a 0-byte request */

    p = malloc(size ? size : 1);
    l = malloc(sizeof(ngx_pool_large_t));

    if (p == NULL || l == NULL) {
        ngx_stratum_fuzz_oom();
    }

    if (size == 0) {
        ngx_stratum_fuzz_poison(p, 1);
    }

    l->alloc = p;
    l->next = pool->large;
    pool->large = l;

    return p;
}


void *
ngx_palloc(ngx_pool_t *pool, size_t size)
{
    return ngx_pnalloc(pool, size);
}


void *
ngx_pcalloc(ngx_pool_t *pool, size_t size)
{
    void  *p;

    p = ngx_pnalloc(pool, size);
    ngx_memzero(p, size);

    return p;
}


void *
ngx_pmemalign(ngx_pool_t *pool, size_t size, size_t alignment)
{
    return ngx_pnalloc(pool, size);
}


ngx_int_t
ngx_pfree(ngx_pool_t *pool, void *p)
{
    return NGX_DECLINED;
}


ngx_pool_cleanup_t *
ngx_pool_cleanup_add(ngx_pool_t *p, size_t size)
{
    ngx_pool_cleanup_t  *c;

    c = ngx_palloc(p, sizeof(ngx_pool_cleanup_t));

    c->data = size ? ngx_palloc(p, size) : NULL;
    c->handler = NULL;
    c->next = p->cleanup;
    p->cleanup = c;

    return c;
}


/*
 * arrays: a full array moves to twice the room; the old elements stay
 * allocated, as in a real pool, but are poisoned, so a pointer kept into
 * them across a push is reported when used
 */

ngx_array_t *
ngx_array_create(ngx_pool_t *p, ngx_uint_t n, size_t size)
{
    ngx_array_t  *a;

    a = ngx_palloc(p, sizeof(ngx_array_t));

    if (ngx_array_init(a, p, n, size) != NGX_OK) {
        return NULL;
    }

    return a;
}


void *
ngx_array_push_n(ngx_array_t *a, ngx_uint_t n)
{
    void        *elt, *new;
    ngx_uint_t   nalloc;

    if (a->nelts + n > a->nalloc) {
        nalloc = 2 * ((n >= a->nalloc) ? n : a->nalloc);

        new = ngx_palloc(a->pool, nalloc * a->size);
        ngx_memcpy(new, a->elts, a->nelts * a->size);
        ngx_stratum_fuzz_poison(a->elts, a->nalloc * a->size);

        a->elts = new;
        a->nalloc = nalloc;
    }

    elt = (u_char *) a->elts + a->size * a->nelts;
    a->nelts += n;

    return elt;
}


void *
ngx_array_push(ngx_array_t *a)
{
    return ngx_array_push_n(a, 1);
}


void
ngx_stratum_fuzz_conf_init(ngx_conf_t *cf)
{
    ngx_memzero(cf, sizeof(ngx_conf_t));

    cf->pool = ngx_stratum_fuzz_pool_create();
    cf->temp_pool = ngx_stratum_fuzz_pool_create();
    cf->cycle = &ngx_stratum_fuzz_cycle;
    cf->log = &ngx_stratum_fuzz_log;
}


void
ngx_stratum_fuzz_conf_free(ngx_conf_t *cf)
{
    ngx_stratum_fuzz_pool_destroy(cf->temp_pool);
    ngx_stratum_fuzz_pool_destroy(cf->pool);
}


/* strings */

u_char *
ngx_pstrdup(ngx_pool_t *pool, ngx_str_t *src)
{
    u_char  *dst;

    dst = ngx_pnalloc(pool, src->len);
    ngx_memcpy(dst, src->data, src->len);

    return dst;
}


ngx_int_t
ngx_strncasecmp(u_char *s1, u_char *s2, size_t n)
{
    ngx_uint_t  c1, c2;

    while (n--) {
        c1 = ngx_tolower(*s1);
        c2 = ngx_tolower(*s2);

        if (c1 != c2) {
            return c1 - c2;
        }

        if (c1 == 0) {
            return 0;
        }

        s1++;
        s2++;
    }

    return 0;
}


ngx_int_t
ngx_strcasecmp(u_char *s1, u_char *s2)
{
    return ngx_strncasecmp(s1, s2, (size_t) -1);
}


/* "s2" (lowercase, n + 1 bytes) in s1 up to "last", in any case */

u_char *
ngx_strlcasestrn(u_char *s1, u_char *last, u_char *s2, size_t n)
{
    u_char  *p;

    for (p = s1; p < last && (size_t) (last - p) > n; p++) {
        if (ngx_tolower(*p) == ngx_tolower(s2[0])
            && ngx_strncasecmp(p + 1, s2 + 1, n) == 0)
        {
            return p;
        }
    }

    return NULL;
}


u_char *
ngx_hex_dump(u_char *dst, u_char *src, size_t len)
{
    static const u_char  hex[] = "0123456789abcdef";

    while (len--) {
        *dst++ = hex[*src >> 4];
        *dst++ = hex[*src++ & 0xf];
    }

    return dst;
}


/* a wipe the compiler may not drop: glibc's explicit_bzero() */

void
ngx_explicit_memzero(void *buf, size_t n)
{
    explicit_bzero(buf, n);
}


/*
 * percent-decoding as nginx does it for type 0, which the redaction uses:
 * "%" and two hex digits is a byte; a "%" before a byte that is no hex
 * digit is dropped and the byte kept; "%", a hex digit and a byte that
 * is none are all three dropped; an escape cut short by the end is
 * dropped.  It never writes ahead of what it has read, so it may decode
 * in place.
 */

static ngx_int_t
ngx_stratum_fuzz_hex(u_char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    c |= 0x20;

    return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}


void
ngx_unescape_uri(u_char **dst, u_char **src, size_t size, ngx_uint_t type)
{
    u_char     *d, *s, *end;
    ngx_int_t   hi, lo;

    d = *dst;
    s = *src;
    end = s + size;

    while (s < end) {
        if (*s != '%') {
            *d++ = *s++;
            continue;
        }

        s++;

        if (s == end) {
            break;
        }

        hi = ngx_stratum_fuzz_hex(*s);

        if (hi < 0) {
            *d++ = *s++;
            continue;
        }

        s++;

        if (s == end) {
            break;
        }

        lo = ngx_stratum_fuzz_hex(*s++);

        if (lo >= 0) {
            *d++ = (u_char) (hi << 4 | lo);
        }
    }

    *dst = d;
    *src = s;
}


/* the value of a base64url character, or NGX_ERROR outside the alphabet */

ngx_int_t
ngx_stratum_fuzz_base64url_value(u_char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }

    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }

    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }

    if (c == '-') {
        return 62;
    }

    if (c == '_') {
        return 63;
    }

    return NGX_ERROR;
}


/*
 * base64url as nginx decodes it: what comes from the first "=" on is
 * ignored; before it, a length of 4n+1 or a byte outside the alphabet
 * fails, and the bits left over in the last character are dropped
 */

ngx_int_t
ngx_decode_base64url(ngx_str_t *dst, ngx_str_t *src)
{
    u_char      *d;
    size_t       i, len;
    uint32_t     acc;
    ngx_int_t    v;
    ngx_uint_t   bits;

    for (len = 0; len < src->len && src->data[len] != '='; len++) {
        /* void */
    }

    if (len % 4 == 1) {
        return NGX_ERROR;
    }

    d = dst->data;
    acc = 0;
    bits = 0;

    for (i = 0; i < len; i++) {
        v = ngx_stratum_fuzz_base64url_value(src->data[i]);
        if (v == NGX_ERROR) {
            return NGX_ERROR;
        }

        acc = (acc << 6) | (uint32_t) v;
        bits += 6;

        if (bits >= 8) {
            bits -= 8;
            *d++ = (u_char) (acc >> bits);
        }
    }

    dst->len = d - dst->data;

    return NGX_OK;
}


size_t
ngx_stratum_fuzz_base64url(u_char *dst, const u_char *src, size_t len)
{
    u_char      *d;
    uint32_t     v;
    const char  *abc;

    abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    d = dst;

    while (len >= 3) {
        v = ((uint32_t) src[0] << 16) | ((uint32_t) src[1] << 8) | src[2];

        *d++ = abc[(v >> 18) & 0x3f];
        *d++ = abc[(v >> 12) & 0x3f];
        *d++ = abc[(v >> 6) & 0x3f];
        *d++ = abc[v & 0x3f];

        src += 3;
        len -= 3;
    }

    if (len == 1) {
        *d++ = abc[src[0] >> 2];
        *d++ = abc[(src[0] & 0x03) << 4];

    } else if (len == 2) {
        *d++ = abc[src[0] >> 2];
        *d++ = abc[((src[0] & 0x03) << 4) | (src[1] >> 4)];
        *d++ = abc[(src[1] & 0x0f) << 2];
    }

    return d - dst;
}


/*
 * nginx's formats ("%V", "%uz", "%*s", ...), each argument read with the
 * type nginx reads it with; a format nginx does not have aborts
 */

u_char *
ngx_vslprintf(u_char *buf, u_char *last, const char *fmt, va_list args)
{
    int                    d;
    u_char                *p, zero;
    size_t                 len, width, slen;
    double                 f;
    int64_t                i64;
    uint64_t               ui64;
    ngx_str_t             *v;
    ngx_uint_t             hex, sign, frac, has_frac;
    ngx_variable_value_t  *vv;
    char                   tmp[64];

    while (*fmt && buf < last) {

        if (*fmt != '%') {
            *buf++ = *fmt++;
            continue;
        }

        fmt++;

        zero = (u_char) ((*fmt == '0') ? '0' : ' ');
        width = 0;
        sign = 1;
        hex = 0;
        frac = 0;
        has_frac = 0;
        slen = (size_t) -1;

        while (*fmt >= '0' && *fmt <= '9') {
            width = width * 10 + (*fmt++ - '0');
        }

        for ( ;; ) {
            switch (*fmt) {

            case 'u':
                sign = 0;
                fmt++;
                continue;

            case 'm':
                width = NGX_INT_T_LEN;
                fmt++;
                continue;

            case 'X':
                hex = 2;
                sign = 0;
                fmt++;
                continue;

            case 'x':
                hex = 1;
                sign = 0;
                fmt++;
                continue;

            case '.':
                fmt++;
                has_frac = 1;

                while (*fmt >= '0' && *fmt <= '9') {
                    frac = frac * 10 + (*fmt++ - '0');
                }

                continue;

            case '*':
                slen = va_arg(args, size_t);
                fmt++;
                continue;

            default:
                break;
            }

            break;
        }

        /* a branch per nginx type, some alike on this platform */
        /* NOLINTBEGIN(bugprone-branch-clone) */

        switch (*fmt) {

        case 'V':
            v = va_arg(args, ngx_str_t *);
            buf = ngx_stratum_fuzz_copy(buf, last, v->data, v->len);
            fmt++;
            continue;

        case 'v':
            vv = va_arg(args, ngx_variable_value_t *);
            buf = ngx_stratum_fuzz_copy(buf, last, vv->data, vv->len);
            fmt++;
            continue;

        case 's':
            p = va_arg(args, u_char *);

            if (slen == (size_t) -1) {
                while (*p && buf < last) {
                    *buf++ = *p++;
                }

            } else {
                buf = ngx_stratum_fuzz_copy(buf, last, p, slen);
            }

            fmt++;
            continue;

        case 'c':
            d = va_arg(args, int);
            *buf++ = (u_char) (d & 0xff);
            fmt++;
            continue;

        case 'Z':
            *buf++ = '\0';
            fmt++;
            continue;

        case 'N':
            *buf++ = LF;
            fmt++;
            continue;

        case '%':
            *buf++ = '%';
            fmt++;
            continue;

        case 'f':
            f = va_arg(args, double);
            len = snprintf(tmp, sizeof(tmp), "%0*.*f", (int) width,
                           (int) (has_frac ? frac : 0), f);
            len = ngx_min(ngx_min(len, sizeof(tmp) - 1),
                          (size_t) (last - buf));
            buf = ngx_cpymem(buf, tmp, len);
            fmt++;
            continue;

        case 'p':
            ui64 = (uintptr_t) va_arg(args, void *);
            buf = ngx_stratum_fuzz_number(buf, last, ui64, '0', 2,
                                          2 * sizeof(void *));
            fmt++;
            continue;

        case 'O':
            i64 = (int64_t) va_arg(args, off_t);
            sign = 1;
            break;

        case 'P':
            i64 = (int64_t) va_arg(args, ngx_pid_t);
            sign = 1;
            break;

        case 'T':
            i64 = (int64_t) va_arg(args, time_t);
            sign = 1;
            break;

        case 'M':
            ui64 = (uint64_t) va_arg(args, ngx_msec_t);
            i64 = 0;
            sign = 0;
            break;

        case 'z':
            if (sign) {
                i64 = (int64_t) va_arg(args, ssize_t);
            } else {
                ui64 = (uint64_t) va_arg(args, size_t);
            }
            break;

        case 'i':
            if (sign) {
                i64 = (int64_t) va_arg(args, ngx_int_t);
            } else {
                ui64 = (uint64_t) va_arg(args, ngx_uint_t);
            }
            break;

        case 'd':
            if (sign) {
                i64 = (int64_t) va_arg(args, int);
            } else {
                ui64 = (uint64_t) va_arg(args, u_int);
            }
            break;

        case 'l':
            if (sign) {
                i64 = (int64_t) va_arg(args, long);
            } else {
                ui64 = (uint64_t) va_arg(args, u_long);
            }
            break;

        case 'D':
            if (sign) {
                i64 = (int64_t) va_arg(args, int32_t);
            } else {
                ui64 = (uint64_t) va_arg(args, uint32_t);
            }
            break;

        case 'L':
            if (sign) {
                i64 = va_arg(args, int64_t);
            } else {
                ui64 = va_arg(args, uint64_t);
            }
            break;

        case 'A':
            if (sign) {
                i64 = (int64_t) va_arg(args, ngx_atomic_int_t);
            } else {
                ui64 = (uint64_t) va_arg(args, ngx_atomic_uint_t);
            }
            break;

        default:
            fprintf(stderr, "fuzz shim: format \"%%%c\" is not nginx's\n",
                    *fmt);
            abort();
        }

        /* NOLINTEND(bugprone-branch-clone) */

        if (sign) {
            if (i64 < 0) {
                *buf++ = '-';
                ui64 = (uint64_t) -(i64 + 1) + 1;

            } else {
                ui64 = (uint64_t) i64;
            }
        }

        buf = ngx_stratum_fuzz_number(buf, last, ui64, zero, hex, width);
        fmt++;
    }

    return buf;
}


/* nginx copies with memcpy() even from the NULL of an empty ngx_str_t */

static u_char *
ngx_stratum_fuzz_copy(u_char *buf, u_char *last, const u_char *src,
    size_t len)
{
    len = ngx_min((size_t) (last - buf), len);

    if (len == 0) {
        return buf;
    }

    return ngx_cpymem(buf, src, len);
}


static u_char *
ngx_stratum_fuzz_number(u_char *buf, u_char *last, uint64_t ui64,
    u_char zero, ngx_uint_t hex, size_t width)
{
    u_char      *p;
    size_t       len;
    const char  *digits;
    u_char       tmp[NGX_INT64_LEN + 1];

    digits = (hex == 2) ? "0123456789ABCDEF" : "0123456789abcdef";
    p = tmp + sizeof(tmp);

    do {
        *--p = (u_char) digits[hex ? ui64 & 0xf : ui64 % 10];
        ui64 = hex ? ui64 >> 4 : ui64 / 10;
    } while (ui64);

    len = (tmp + sizeof(tmp)) - p;

    while (len < width && buf < last) {
        *buf++ = zero;
        width--;
    }

    len = ngx_min(len, (size_t) (last - buf));

    return ngx_cpymem(buf, p, len);
}


u_char * ngx_cdecl
ngx_sprintf(u_char *buf, const char *fmt, ...)
{
    u_char   *p;
    va_list   args;

    va_start(args, fmt);
    p = ngx_vslprintf(buf, (void *) -1, fmt, args);
    va_end(args);

    return p;
}


u_char * ngx_cdecl
ngx_snprintf(u_char *buf, size_t max, const char *fmt, ...)
{
    u_char   *p;
    va_list   args;

    va_start(args, fmt);
    p = ngx_vslprintf(buf, buf + max, fmt, args);
    va_end(args);

    return p;
}


u_char * ngx_cdecl
ngx_slprintf(u_char *buf, u_char *last, const char *fmt, ...)
{
    u_char   *p;
    va_list   args;

    va_start(args, fmt);
    p = ngx_vslprintf(buf, last, fmt, args);
    va_end(args);

    return p;
}


/* logs: formatted (so every argument is read), printed on request */

void ngx_cdecl
ngx_log_error_core(ngx_uint_t level, ngx_log_t *log, ngx_err_t err,
    const char *fmt, ...)
{
    u_char   *p;
    va_list   args;
    u_char    msg[NGX_MAX_ERROR_STR];

    va_start(args, fmt);
    p = ngx_vslprintf(msg, msg + sizeof(msg), fmt, args);
    va_end(args);

    if (ngx_stratum_fuzz_verbose) {
        fprintf(stderr, "log %d: %.*s\n", (int) level, (int) (p - msg), msg);
    }
}


void ngx_cdecl
ngx_conf_log_error(ngx_uint_t level, ngx_conf_t *cf, ngx_err_t err,
    const char *fmt, ...)
{
    u_char   *p;
    va_list   args;
    u_char    msg[NGX_MAX_CONF_ERRSTR];

    va_start(args, fmt);
    p = ngx_vslprintf(msg, msg + sizeof(msg), fmt, args);
    va_end(args);

    if (ngx_stratum_fuzz_verbose) {
        fprintf(stderr, "conf %d: %.*s\n", (int) level, (int) (p - msg),
                msg);
    }
}


/* files: only absolute names, as the targets pass */

ngx_int_t
ngx_conf_full_name(ngx_cycle_t *cycle, ngx_str_t *name,
    ngx_uint_t conf_prefix)
{
    return (name->len && name->data[0] == '/') ? NGX_OK : NGX_ERROR;
}


ssize_t
ngx_read_file(ngx_file_t *file, u_char *buf, size_t size, off_t offset)
{
    ssize_t  n;

    n = pread(file->fd, buf, size, offset);

    if (n == -1) {
        ngx_log_error(NGX_LOG_CRIT, file->log, ngx_errno,
                      "pread() \"%V\" failed", &file->name);
        return NGX_ERROR;
    }

    file->offset += n;

    return n;
}
