
/*
 * Copyright (C) The Stratum authors
 */


/*
 * The rate-limit module's two pieces that take bytes it does not choose:
 * the Redis key encoder (ngx_stratum_ratelimit_redis_key(), from a tenant
 * and a key value that come from the request) and the reading of Redis's
 * reply (ngx_stratum_ratelimit_read_reply(), on what hiredis's reader makes
 * of the bytes Redis sent).
 *
 * Byte 0, bit 7 clear: the encoder.  Byte 1 is the tenant's length, then
 * the tenant, then the key value; bit 0 of byte 0 empties the prefix.
 * Oracles: the key is the prefix, "tenant:{", the tenant in hex, "}:",
 * the zone, ":", the value in hex, exactly, so no two (tenant, value)
 * pairs share a key and nothing but hex lands inside the hash tag.
 *
 * Bit 7 set: the reply.  Bits 0-2 are the number of items (limits) the
 * request counted, byte 1 says which of them Redis decides (the others
 * are local), the rest is the RESP bytes.  Oracle: a reply that is taken
 * leaves every Redis item within its zone's burst and the time limits.
 */


#include "../ngx_stratum_ratelimit_module.c"

#include <stdio.h>
#include <stdlib.h>

#include "ngx_stratum_fuzz.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void ngx_stratum_fuzz_key(ngx_http_request_t *r, const u_char *data,
    size_t size);
static void ngx_stratum_fuzz_reply(ngx_http_request_t *r,
    const u_char *data, size_t size);
static ngx_int_t ngx_stratum_fuzz_unhex(const u_char *p, size_t n,
    const u_char *expect);


static ngx_stratum_ratelimit_zone_t  ngx_stratum_fuzz_zones[] = {
    { .name = ngx_string("api"), .burst = 10 },
    { .name = ngx_string("login"), .burst = 1 },
    { .name = ngx_string("z"), .burst = 1000000 }
};


static ngx_int_t
ngx_stratum_fuzz_unhex(const u_char *p, size_t n, const u_char *expect)
{
    size_t  i;
    u_char  hi, lo;

    for (i = 0; i < n; i++) {
        hi = p[2 * i];
        lo = p[2 * i + 1];

        if (!((hi >= '0' && hi <= '9') || (hi >= 'a' && hi <= 'f'))
            || !((lo >= '0' && lo <= '9') || (lo >= 'a' && lo <= 'f')))
        {
            return 0;
        }

        hi = (hi <= '9') ? hi - '0' : hi - 'a' + 10;
        lo = (lo <= '9') ? lo - '0' : lo - 'a' + 10;

        if ((u_char) ((hi << 4) | lo) != expect[i]) {
            return 0;
        }
    }

    return 1;
}


static void
ngx_stratum_fuzz_key(ngx_http_request_t *r, const u_char *data, size_t size)
{
    u_char                             *p;
    const u_char                       *k;
    size_t                              tlen, vlen, n;
    ngx_int_t                           rc;
    ngx_stratum_ratelimit_item_t        item;
    ngx_stratum_ratelimit_zone_t       *zone;
    ngx_stratum_ratelimit_main_conf_t   lrmcf;

    if (size < 2) {
        return;
    }

    ngx_memzero(&lrmcf, sizeof(ngx_stratum_ratelimit_main_conf_t));

    /* the default, or an empty "stratum_ratelimit_key_prefix" */

    if (data[0] & 1) {
        ngx_str_set(&lrmcf.prefix, "");

    } else {
        ngx_str_set(&lrmcf.prefix, "stratum:rl:");
    }

    zone = &ngx_stratum_fuzz_zones[data[0] % 3];

    tlen = ngx_min((size_t) data[1], size - 2);
    vlen = size - 2 - tlen;

    /* as ngx_stratum_ratelimit_collect() lays the key out */

    ngx_memzero(&item, sizeof(ngx_stratum_ratelimit_item_t));

    item.zone = zone;
    item.key.len = 2 + tlen + vlen;
    item.key.data = ngx_pnalloc(r->pool, item.key.len);

    item.key.data[0] = (u_char) (tlen >> 8);
    item.key.data[1] = (u_char) (tlen & 0xff);
    ngx_memcpy(item.key.data + 2, data + 2, tlen + vlen);

    rc = ngx_stratum_ratelimit_redis_key(r, &lrmcf, &item);
    ngx_stratum_fuzz_check(rc == NGX_OK);

    n = lrmcf.prefix.len + sizeof("tenant:{") - 1 + 2 * tlen + 2
        + zone->name.len + 1 + 2 * vlen;

    ngx_stratum_fuzz_check(item.rkey.len == n);

    p = item.rkey.data;
    k = data + 2;

    ngx_stratum_fuzz_check(ngx_memcmp(p, lrmcf.prefix.data, lrmcf.prefix.len)
                           == 0);
    p += lrmcf.prefix.len;

    ngx_stratum_fuzz_check(ngx_memcmp(p, "tenant:{", 8) == 0);
    p += 8;

    ngx_stratum_fuzz_check(ngx_stratum_fuzz_unhex(p, tlen, k));
    p += 2 * tlen;

    ngx_stratum_fuzz_check(p[0] == '}' && p[1] == ':');
    p += 2;

    ngx_stratum_fuzz_check(ngx_memcmp(p, zone->name.data, zone->name.len)
                           == 0
                           && p[zone->name.len] == ':');
    p += zone->name.len + 1;

    ngx_stratum_fuzz_check(ngx_stratum_fuzz_unhex(p, vlen, k + tlen));
}


static void
ngx_stratum_fuzz_reply(ngx_http_request_t *r, const u_char *data,
    size_t size)
{
    void                          *reply;
    ngx_int_t                      rc;
    ngx_uint_t                     i, n;
    redisReader                   *reader;
    ngx_stratum_ratelimit_ctx_t    ctx;
    ngx_stratum_ratelimit_item_t  *item;

    if (size < 2) {
        return;
    }

    ngx_memzero(&ctx, sizeof(ngx_stratum_ratelimit_ctx_t));
    ctx.request = r;

    n = data[0] & 0x07;

    ngx_stratum_fuzz_check(ngx_array_init(&ctx.items, r->pool, n + 1,
                                          sizeof(ngx_stratum_ratelimit_item_t))
                           == NGX_OK);

    for (i = 0; i < n; i++) {
        item = ngx_array_push(&ctx.items);
        ngx_memzero(item, sizeof(ngx_stratum_ratelimit_item_t));

        item->zone = &ngx_stratum_fuzz_zones[i % 3];
        item->via = (data[1] & (1 << i)) ? NGX_STRATUM_RATELIMIT_VIA_REDIS
                                         : NGX_STRATUM_RATELIMIT_VIA_LOCAL;
    }

    /*
     * hiredis allocates what a reply declares before it has the bytes (an
     * array of 10^9 elements is a calloc() of 8 GB): not the code under
     * test, so such declarations are left out
     */

    for (i = 2; i + 7 < size; i++) {
        if ((data[i] == '*' || data[i] == '$')
            && ngx_strlchr((u_char *) data + i + 1,
                           (u_char *) data + i + 8, '\r') == NULL)
        {
            return;
        }
    }

    /* the reader the client uses, on the bytes Redis would have sent */

    reader = redisReaderCreate();
    ngx_stratum_fuzz_check(reader != NULL);

    reply = NULL;

    if (redisReaderFeed(reader, (const char *) data + 2, size - 2)
        == REDIS_OK
        && redisReaderGetReply(reader, &reply) == REDIS_OK
        && reply != NULL)
    {
        rc = ngx_stratum_ratelimit_read_reply(r, &ctx, reply);

        ngx_stratum_fuzz_check(rc == NGX_OK || rc == NGX_ERROR);

        item = ctx.items.elts;

        for (i = 0; rc == NGX_OK && i < ctx.items.nelts; i++) {
            if (item[i].via != NGX_STRATUM_RATELIMIT_VIA_REDIS) {
                continue;
            }

            ngx_stratum_fuzz_check(
                item[i].remaining >= 0
                && item[i].remaining <= (int64_t) item[i].zone->burst
                && item[i].reset >= 0
                && item[i].reset <= NGX_STRATUM_RATELIMIT_MAX_AHEAD
                && item[i].wait >= 0
                && item[i].wait <= NGX_STRATUM_RATELIMIT_MAX_AHEAD);
        }

        freeReplyObject(reply);
    }

    redisReaderFree(reader);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ngx_pool_t          *pool;
    ngx_connection_t    *c;
    ngx_http_request_t  *r;
    static ngx_uint_t    init;

    if (!init) {
        ngx_stratum_fuzz_init(1700000000);
        init = 1;
    }

    if (size < 1) {
        return 0;
    }

    pool = ngx_stratum_fuzz_pool_create();

    c = ngx_pcalloc(pool, sizeof(ngx_connection_t));
    c->log = &ngx_stratum_fuzz_log;

    r = ngx_pcalloc(pool, sizeof(ngx_http_request_t));
    r->pool = pool;
    r->connection = c;
    r->main = r;

    if (data[0] & 0x80) {
        ngx_stratum_fuzz_reply(r, data, size);

    } else {
        ngx_stratum_fuzz_key(r, data, size);
    }

    ngx_stratum_fuzz_pool_destroy(pool);

    return 0;
}
