/*
 * Copyright (C) The Stratum authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>
#include <ngx_event_connect.h>

#include <hiredis/hiredis.h>

#include "ngx_stratum_redis.h"


/* the breaker */
#define NGX_STRATUM_REDIS_UP          0
#define NGX_STRATUM_REDIS_DOWN        1
#define NGX_STRATUM_REDIS_PROBING     2


typedef struct {
    ngx_queue_t                  queue;        /* in conns */
    ngx_stratum_redis_t         *redis;
    ngx_peer_connection_t        peer;
    redisReader                 *reader;

    /* sent or still to send, in the order of their replies */
    ngx_queue_t                  queries;
    ngx_uint_t                   nqueries;

    u_char                      *out;
    size_t                       out_pos;
    size_t                       out_len;
    size_t                       out_size;

    ngx_uint_t                   handshake;    /* replies still to check */

    unsigned                     connected:1;
    unsigned                     reused:1;     /* it has answered before */
    unsigned                     received:1;   /* since it was last idle */
} ngx_stratum_redis_conn_t;


struct ngx_stratum_redis_query_s {
    ngx_queue_t                    queue;
    ngx_stratum_redis_handler_pt   handler;
    void                          *data;

    /* hiredis's, malloc()ed, kept until the reply to send it again */
    char                          *cmd;
    size_t                         len;
};


struct ngx_stratum_redis_s {
    ngx_stratum_redis_conf_t      *conf;

    /* for the connections, see ngx_stratum_redis_create() */
    ngx_log_t                      log;

    ngx_queue_t                    conns;
    ngx_uint_t                     nconns;

    /* AUTH and SELECT, sent ahead of the first command of a connection */
    u_char                        *handshake;
    size_t                         handshake_len;
    ngx_uint_t                     handshake_replies;

    ngx_uint_t                     state;
    ngx_uint_t                     fails;      /* in a row */
    ngx_msec_t                     retry;      /* when DOWN: next probe */
    ngx_msec_t                     down_since;
};


static ngx_int_t ngx_stratum_redis_connect(ngx_stratum_redis_t *rd,
    ngx_stratum_redis_conn_t **rcp);
static ngx_int_t ngx_stratum_redis_enqueue(ngx_stratum_redis_conn_t *rc,
    ngx_stratum_redis_query_t *q);
static ngx_int_t ngx_stratum_redis_out(ngx_stratum_redis_conn_t *rc,
    u_char *data, size_t len);
static void ngx_stratum_redis_write_handler(ngx_event_t *wev);
static void ngx_stratum_redis_read_handler(ngx_event_t *rev);
static ngx_int_t ngx_stratum_redis_parse(ngx_stratum_redis_conn_t *rc);
static void ngx_stratum_redis_fail(ngx_stratum_redis_conn_t *rc,
    const char *reason, ngx_err_t err);
static void ngx_stratum_redis_close(ngx_stratum_redis_conn_t *rc);
static void ngx_stratum_redis_finish(ngx_stratum_redis_query_t *q,
    redisReply *reply);
static void ngx_stratum_redis_success(ngx_stratum_redis_t *rd);
static void ngx_stratum_redis_failure(ngx_stratum_redis_t *rd,
    const char *reason, ngx_err_t err);
static ngx_int_t ngx_stratum_redis_format_handshake(ngx_stratum_redis_t *rd);
static ngx_int_t ngx_stratum_redis_append(ngx_stratum_redis_t *rd,
    ngx_uint_t argc, const char **argv, const size_t *argvlen);


ngx_int_t
ngx_stratum_redis_query(ngx_stratum_redis_t *rd, ngx_uint_t argc,
    const char **argv, const size_t *argvlen,
    ngx_stratum_redis_handler_pt handler, void *data,
    ngx_stratum_redis_query_t **query)
{
    int                         len;
    ngx_int_t                   rv;
    ngx_uint_t                  probe;
    ngx_queue_t                *qe;
    ngx_stratum_redis_conn_t   *rc, *best;
    ngx_stratum_redis_query_t  *q;

    if (rd->state == NGX_STRATUM_REDIS_PROBING) {
        return NGX_DECLINED;
    }

    if (rd->state == NGX_STRATUM_REDIS_DOWN
        && (ngx_msec_int_t) (ngx_current_msec - rd->retry) < 0)
    {
        return NGX_DECLINED;
    }

    q = ngx_alloc(sizeof(ngx_stratum_redis_query_t), &rd->log);
    if (q == NULL) {
        return NGX_ERROR;
    }

    len = redisFormatCommandArgv(&q->cmd, (int) argc, argv, argvlen);
    if (len < 0) {
        ngx_free(q);
        return NGX_ERROR;
    }

    q->len = len;
    q->handler = handler;
    q->data = data;

    probe = (rd->state == NGX_STRATUM_REDIS_DOWN);

    if (probe) {
        /* the one query that finds out whether Redis is back */
        rd->state = NGX_STRATUM_REDIS_PROBING;

        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, &rd->log, 0,
                       "stratum redis: probing");
    }

    /*
     * commands are pipelined: the least busy connection takes the query,
     * a new one is opened while there are fewer than pool_size and every
     * one is busy
     */

    best = NULL;

    for (qe = ngx_queue_head(&rd->conns);
         qe != ngx_queue_sentinel(&rd->conns);
         qe = ngx_queue_next(qe))
    {
        rc = ngx_queue_data(qe, ngx_stratum_redis_conn_t, queue);

        if (best == NULL || rc->nqueries < best->nqueries) {
            best = rc;

            if (rc->nqueries == 0) {
                break;
            }
        }
    }

    if (best == NULL
        || (best->nqueries && rd->nconns < rd->conf->pool_size))
    {
        rv = ngx_stratum_redis_connect(rd, &best);

        if (rv != NGX_OK) {
            goto failed;
        }
    }

    if (ngx_stratum_redis_enqueue(best, q) != NGX_OK) {
        rv = NGX_ERROR;
        goto failed;
    }

    *query = q;

    return NGX_OK;

failed:

    redisFreeCommand(q->cmd);
    ngx_free(q);

    /*
     * a probe that was never sent (no memory) must not leave the breaker
     * waiting for its answer; a failed connect has already marked it down
     */

    if (probe && rd->state == NGX_STRATUM_REDIS_PROBING) {
        rd->state = NGX_STRATUM_REDIS_DOWN;
    }

    return rv;
}


void
ngx_stratum_redis_cancel(ngx_stratum_redis_query_t *q)
{
    /* the reply is still read, in its turn */
    q->handler = NULL;
    q->data = NULL;
}


ngx_flag_t
ngx_stratum_redis_is_up(ngx_stratum_redis_t *rd)
{
    return rd->state == NGX_STRATUM_REDIS_UP;
}


/* NGX_DECLINED: the failure is counted; NGX_ERROR: no memory */

static ngx_int_t
ngx_stratum_redis_connect(ngx_stratum_redis_t *rd,
    ngx_stratum_redis_conn_t **rcp)
{
    ngx_int_t                  rv;
    ngx_err_t                  err;
    ngx_connection_t          *c;
    ngx_peer_connection_t     *pc;
    ngx_stratum_redis_conn_t  *rc;

    rc = ngx_calloc(sizeof(ngx_stratum_redis_conn_t), &rd->log);
    if (rc == NULL) {
        return NGX_ERROR;
    }

    rc->reader = redisReaderCreate();
    if (rc->reader == NULL) {
        ngx_free(rc);
        return NGX_ERROR;
    }

    rc->redis = rd;
    ngx_queue_init(&rc->queries);

    if (rd->handshake_len
        && ngx_stratum_redis_out(rc, rd->handshake, rd->handshake_len)
           != NGX_OK)
    {
        redisReaderFree(rc->reader);
        ngx_free(rc);
        return NGX_ERROR;
    }

    rc->handshake = rd->handshake_replies;

    pc = &rc->peer;
    pc->sockaddr = rd->conf->addr->sockaddr;
    pc->socklen = rd->conf->addr->socklen;
    pc->name = &rd->conf->addr->name;
    pc->get = ngx_event_get_peer;
    pc->log = &rd->log;
    pc->log_error = NGX_ERROR_ERR;
    pc->tries = 1;

    rv = ngx_event_connect_peer(pc);

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, &rd->log, 0,
                   "stratum redis: connect to %V: %i", pc->name, rv);

    if (rv != NGX_OK && rv != NGX_AGAIN) {
        err = (rv == NGX_DECLINED) ? ngx_socket_errno : 0;

        if (rc->out) {
            ngx_explicit_memzero(rc->out, rc->out_size);
            ngx_free(rc->out);
        }

        redisReaderFree(rc->reader);
        ngx_free(rc);

        ngx_stratum_redis_failure(rd, "connect() failed", err);
        return NGX_DECLINED;
    }

    c = pc->connection;
    c->data = rc;
    c->read->handler = ngx_stratum_redis_read_handler;
    c->write->handler = ngx_stratum_redis_write_handler;

    ngx_queue_insert_tail(&rd->conns, &rc->queue);
    rd->nconns++;

    if (rv == NGX_AGAIN) {
        ngx_add_timer(c->write, rd->conf->connect_timeout);

    } else {
        ngx_post_event(c->write, &ngx_posted_events);
    }

    *rcp = rc;

    return NGX_OK;
}


/*
 * the command is written from the posted write event, later in this
 * cycle of the event loop, together with the others queued meanwhile:
 * the handler is never called from inside ngx_stratum_redis_query()
 */

static ngx_int_t
ngx_stratum_redis_enqueue(ngx_stratum_redis_conn_t *rc,
    ngx_stratum_redis_query_t *q)
{
    ngx_connection_t  *c;

    if (ngx_stratum_redis_out(rc, (u_char *) q->cmd, q->len) != NGX_OK) {
        return NGX_ERROR;
    }

    c = rc->peer.connection;

    if (rc->nqueries++ == 0) {
        rc->received = 0;
        c->idle = 0;
    }

    ngx_queue_insert_tail(&rc->queries, &q->queue);

    if (rc->connected) {
        ngx_post_event(c->write, &ngx_posted_events);
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, &rc->redis->log, 0,
                   "stratum redis: query on connection %p, %ui queued",
                   c, rc->nqueries);

    return NGX_OK;
}


static ngx_int_t
ngx_stratum_redis_out(ngx_stratum_redis_conn_t *rc, u_char *data,
    size_t len)
{
    u_char  *p;
    size_t   size;

    if (rc->out_len + len > rc->out_size && rc->out_pos) {
        rc->out_len -= rc->out_pos;
        ngx_memmove(rc->out, rc->out + rc->out_pos, rc->out_len);
        rc->out_pos = 0;
    }

    if (rc->out_len + len > rc->out_size) {
        size = ngx_max(ngx_max(2 * rc->out_size, 4096), rc->out_len + len);

        p = ngx_alloc(size, &rc->redis->log);
        if (p == NULL) {
            return NGX_ERROR;
        }

        if (rc->out) {
            ngx_memcpy(p, rc->out, rc->out_len);
            ngx_explicit_memzero(rc->out, rc->out_size);
            ngx_free(rc->out);
        }

        rc->out = p;
        rc->out_size = size;
    }

    ngx_memcpy(rc->out + rc->out_len, data, len);
    rc->out_len += len;

    return NGX_OK;
}


static void
ngx_stratum_redis_write_handler(ngx_event_t *wev)
{
    int                        err, one;
    ssize_t                    n;
    socklen_t                  len;
    ngx_connection_t          *c;
    ngx_stratum_redis_t       *rd;
    ngx_stratum_redis_conn_t  *rc;

    c = wev->data;
    rc = c->data;
    rd = rc->redis;

    if (wev->timedout) {
        ngx_stratum_redis_fail(rc, rc->connected ? "send timed out"
                                                 : "connect timed out", 0);
        return;
    }

    if (!rc->connected) {
        err = 0;
        len = sizeof(int);

        if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, (void *) &err, &len)
            == -1)
        {
            err = ngx_socket_errno;
        }

        if (err) {
            ngx_stratum_redis_fail(rc, "connect() failed", err);
            return;
        }

        if (wev->timer_set) {
            ngx_del_timer(wev);
        }

        /* small commands: no waiting for the ACK of the previous ones */

        if (rc->peer.sockaddr->sa_family != AF_UNIX) {
            one = 1;

            if (setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY,
                           (const void *) &one, sizeof(int))
                == -1)
            {
                ngx_log_error(NGX_LOG_ALERT, ngx_cycle->log,
                              ngx_socket_errno,
                              "setsockopt(TCP_NODELAY) failed");
            }
        }

        rc->connected = 1;
    }

    while (rc->out_pos < rc->out_len) {

        n = c->send(c, rc->out + rc->out_pos, rc->out_len - rc->out_pos);

        if (n == NGX_AGAIN) {
            if (!wev->timer_set) {
                ngx_add_timer(wev, rd->conf->send_timeout);
            }

            if (ngx_handle_write_event(wev, 0) != NGX_OK) {
                ngx_stratum_redis_fail(rc, "send failed", 0);
            }

            return;
        }

        if (n == NGX_ERROR) {
            ngx_stratum_redis_fail(rc, "send() failed", ngx_socket_errno);
            return;
        }

        rc->out_pos += n;
    }

    rc->out_pos = 0;
    rc->out_len = 0;

    if (wev->timer_set) {
        ngx_del_timer(wev);
    }

    if (rc->nqueries && !c->read->timer_set) {
        ngx_add_timer(c->read, rd->conf->read_timeout);
    }
}


static void
ngx_stratum_redis_read_handler(ngx_event_t *rev)
{
    ssize_t                    n;
    ngx_connection_t          *c;
    ngx_stratum_redis_conn_t  *rc;
    u_char                     buf[16384];

    c = rev->data;
    rc = c->data;

    if (c->close) {
        /* a graceful shutdown closes connections nothing waits on */
        ngx_stratum_redis_fail(rc, "closed", 0);
        return;
    }

    if (rev->timedout) {
        ngx_stratum_redis_fail(rc, "read timed out", 0);
        return;
    }

    if (!rc->connected) {
        /* a refused connect() shows on the write side */
        return;
    }

    for ( ;; ) {
        n = c->recv(c, buf, sizeof(buf));

        if (n == NGX_AGAIN) {
            break;
        }

        if (n == 0 || n == NGX_ERROR) {
            /* an idle connection closed by Redis: a restart, "timeout" */
            ngx_stratum_redis_fail(rc, n == 0 ? "connection closed by redis"
                                              : "recv() failed",
                                   n == 0 ? 0 : ngx_socket_errno);
            return;
        }

        rc->received = 1;

        if (redisReaderFeed(rc->reader, (char *) buf, n) != REDIS_OK) {
            ngx_stratum_redis_fail(rc, "out of memory", 0);
            return;
        }

        if (ngx_stratum_redis_parse(rc) != NGX_OK) {
            return;
        }
    }

    if (ngx_handle_read_event(rev, 0) != NGX_OK) {
        ngx_stratum_redis_fail(rc, "read failed", 0);
    }
}


/* replies to the queries in their order; NGX_ERROR: the connection is gone */

static ngx_int_t
ngx_stratum_redis_parse(ngx_stratum_redis_conn_t *rc)
{
    void                       *reply;
    u_char                     *p;
    redisReply                 *r;
    ngx_queue_t                *qe;
    ngx_connection_t           *c;
    ngx_stratum_redis_t        *rd;
    ngx_stratum_redis_query_t  *q;
    u_char                      reason[128];

    c = rc->peer.connection;
    rd = rc->redis;

    for ( ;; ) {
        reply = NULL;

        if (redisReaderGetReply(rc->reader, &reply) != REDIS_OK) {
            ngx_stratum_redis_fail(rc, "protocol error", 0);
            return NGX_ERROR;
        }

        if (reply == NULL) {
            return NGX_OK;
        }

        r = reply;

        if (rc->handshake) {
            rc->handshake--;

            if (r->type == REDIS_REPLY_STATUS
                && r->len == 2 && ngx_strncmp(r->str, "OK", 2) == 0)
            {
                freeReplyObject(reply);
                continue;
            }

            /* Redis's own words: they never hold the credentials */

            if (r->type == REDIS_REPLY_ERROR) {
                p = ngx_snprintf(reason, sizeof(reason) - 1,
                                 "AUTH or SELECT refused: %*s",
                                 ngx_min(r->len, 80), r->str);

            } else {
                p = ngx_snprintf(reason, sizeof(reason) - 1,
                                 "AUTH or SELECT: unexpected reply");
            }

            *p = '\0';

            freeReplyObject(reply);

            ngx_stratum_redis_fail(rc, (char *) reason, 0);
            return NGX_ERROR;
        }

        if (rc->nqueries == 0) {
            /* Redis sends nothing unasked */
            freeReplyObject(reply);
            ngx_stratum_redis_fail(rc, "unexpected reply", 0);
            return NGX_ERROR;
        }

        qe = ngx_queue_head(&rc->queries);

        /* the analyzer loses track of a query removed before it is freed */
        /* NOLINTNEXTLINE(clang-analyzer-unix.Malloc) */
        ngx_queue_remove(qe);
        q = ngx_queue_data(qe, ngx_stratum_redis_query_t, queue);

        rc->reused = 1;

        if (--rc->nqueries) {
            /* the read timeout is the longest wait for the next reply */
            ngx_add_timer(c->read, rd->conf->read_timeout);

        } else {
            if (c->read->timer_set) {
                ngx_del_timer(c->read);
            }

            c->idle = 1;
        }

        ngx_stratum_redis_success(rd);

        /* the handler may queue another command, on this connection too */
        ngx_stratum_redis_finish(q, reply);
    }
}


static void
ngx_stratum_redis_fail(ngx_stratum_redis_conn_t *rc, const char *reason,
    ngx_err_t err)
{
    ngx_uint_t                  stale;
    ngx_queue_t                 queries, *qe;
    ngx_connection_t           *c;
    ngx_stratum_redis_t        *rd;
    ngx_stratum_redis_conn_t   *nrc;
    ngx_stratum_redis_query_t  *q;

    c = rc->peer.connection;
    rd = rc->redis;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, &rd->log, err,
                   "stratum redis: connection %p failed: %s", c, reason);

    if (rc->nqueries == 0) {
        /* nothing was waiting: a kept connection that Redis closed */
        ngx_stratum_redis_close(rc);
        return;
    }

    /*
     * a kept connection that Redis closed in the meantime (a restart)
     * breaks before any reply: the commands go again on a fresh one;
     * a timeout is no such case, Redis may be hanging
     */

    stale = rc->reused && !rc->received
            && !c->read->timedout && !c->write->timedout;

    ngx_queue_init(&queries);
    ngx_queue_add(&queries, &rc->queries);
    ngx_queue_init(&rc->queries);
    rc->nqueries = 0;

    ngx_stratum_redis_close(rc);

    if (stale && ngx_stratum_redis_connect(rd, &nrc) == NGX_OK) {

        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, &rd->log, 0,
                       "stratum redis: retrying on a fresh connection");

        while (!ngx_queue_empty(&queries)) {
            qe = ngx_queue_head(&queries);
            ngx_queue_remove(qe);
            q = ngx_queue_data(qe, ngx_stratum_redis_query_t, queue);

            if (q->handler == NULL
                || ngx_stratum_redis_enqueue(nrc, q) != NGX_OK)
            {
                ngx_stratum_redis_finish(q, NULL);
            }
        }

        return;
    }

    if (!stale) {
        ngx_stratum_redis_failure(rd, reason, err);
    }

    while (!ngx_queue_empty(&queries)) {
        qe = ngx_queue_head(&queries);
        ngx_queue_remove(qe);
        q = ngx_queue_data(qe, ngx_stratum_redis_query_t, queue);

        ngx_stratum_redis_finish(q, NULL);
    }
}


/* the queries are taken off before */

static void
ngx_stratum_redis_close(ngx_stratum_redis_conn_t *rc)
{
    ngx_stratum_redis_t  *rd;

    rd = rc->redis;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, &rd->log, 0,
                   "stratum redis: close connection %p",
                   rc->peer.connection);

    ngx_queue_remove(&rc->queue);
    rd->nconns--;

    ngx_close_connection(rc->peer.connection);
    redisReaderFree(rc->reader);

    if (rc->out) {
        /* it held AUTH */
        ngx_explicit_memzero(rc->out, rc->out_size);
        ngx_free(rc->out);
    }

    ngx_free(rc);
}


static void
ngx_stratum_redis_finish(ngx_stratum_redis_query_t *q, redisReply *reply)
{
    if (q->handler) {
        q->handler(q->data, reply);
    }

    if (reply) {
        freeReplyObject(reply);
    }

    redisFreeCommand(q->cmd);
    ngx_free(q);
}


static void
ngx_stratum_redis_success(ngx_stratum_redis_t *rd)
{
    rd->fails = 0;

    if (rd->state == NGX_STRATUM_REDIS_UP) {
        return;
    }

    rd->state = NGX_STRATUM_REDIS_UP;

    ngx_log_error(NGX_LOG_WARN, ngx_cycle->log, 0,
                  "stratum redis: %V is up again after %M ms",
                  &rd->conf->addr->name, ngx_current_msec - rd->down_since);
}


/*
 * the outage is logged once, when the breaker opens; failures before
 * that are logged at "info", probes that fail are not logged at all
 */

static void
ngx_stratum_redis_failure(ngx_stratum_redis_t *rd, const char *reason,
    ngx_err_t err)
{
    rd->fails++;

    if (rd->state == NGX_STRATUM_REDIS_UP) {

        if (rd->fails < rd->conf->max_fails) {
            ngx_log_error(NGX_LOG_INFO, ngx_cycle->log, err,
                          "stratum redis: %V failed (%s), %ui of %ui",
                          &rd->conf->addr->name, reason, rd->fails,
                          rd->conf->max_fails);
            return;
        }

        rd->down_since = ngx_current_msec;

        ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, err,
                      "stratum redis: %V is down (%s), "
                      "probing every %M ms",
                      &rd->conf->addr->name, reason, rd->conf->fail_timeout);
    }

    rd->state = NGX_STRATUM_REDIS_DOWN;
    rd->retry = ngx_current_msec + rd->conf->fail_timeout;
}


ngx_stratum_redis_t *
ngx_stratum_redis_create(ngx_cycle_t *cycle, ngx_stratum_redis_conf_t *rcf)
{
    ngx_stratum_redis_t  *rd;

    rd = ngx_pcalloc(cycle->pool, sizeof(ngx_stratum_redis_t));
    if (rd == NULL) {
        return NULL;
    }

    rd->conf = rcf;

    /*
     * nginx's own messages about these connections (a refused connect(),
     * a reset) would come again with every probe; the breaker reports the
     * outage instead, so the connections log only what is critical, and
     * everything when debugging
     */

    rd->log = *cycle->log;

    if (rd->log.log_level > NGX_LOG_CRIT
        && rd->log.log_level < NGX_LOG_DEBUG)
    {
        rd->log.log_level = NGX_LOG_CRIT;
    }

    ngx_queue_init(&rd->conns);

    rd->state = NGX_STRATUM_REDIS_UP;

    if (ngx_stratum_redis_format_handshake(rd) != NGX_OK) {
        return NULL;
    }

    return rd;
}


void
ngx_stratum_redis_destroy(ngx_stratum_redis_t *rd)
{
    ngx_queue_t                *qe;
    ngx_stratum_redis_conn_t   *rc;
    ngx_stratum_redis_query_t  *q;

    while (!ngx_queue_empty(&rd->conns)) {
        qe = ngx_queue_head(&rd->conns);
        rc = ngx_queue_data(qe, ngx_stratum_redis_conn_t, queue);

        /*
         * nobody waits any more: the handlers are not called; the
         * analyzer loses track of a query removed before it is freed
         */

        /* NOLINTNEXTLINE(clang-analyzer-unix.Malloc) */
        while (!ngx_queue_empty(&rc->queries)) {
            qe = ngx_queue_head(&rc->queries);
            /* NOLINTNEXTLINE(clang-analyzer-unix.Malloc) */
            ngx_queue_remove(qe);
            q = ngx_queue_data(qe, ngx_stratum_redis_query_t, queue);

            redisFreeCommand(q->cmd);
            ngx_free(q);
        }

        ngx_stratum_redis_close(rc);
    }

    if (rd->handshake) {
        ngx_explicit_memzero(rd->handshake, rd->handshake_len);
        ngx_free(rd->handshake);
        rd->handshake = NULL;
    }
}


static ngx_int_t
ngx_stratum_redis_format_handshake(ngx_stratum_redis_t *rd)
{
    u_char                     db[NGX_INT_T_LEN];
    size_t                     argvlen[3];
    ngx_uint_t                 argc;
    const char                *argv[3];
    ngx_stratum_redis_conf_t  *rcf;

    rcf = rd->conf;

    if (rcf->password.len) {
        argc = 0;

        argv[argc] = "AUTH";
        argvlen[argc++] = 4;

        if (rcf->user.len) {
            argv[argc] = (const char *) rcf->user.data;
            argvlen[argc++] = rcf->user.len;
        }

        argv[argc] = (const char *) rcf->password.data;
        argvlen[argc++] = rcf->password.len;

        if (ngx_stratum_redis_append(rd, argc, argv, argvlen) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    if (rcf->database) {
        argv[0] = "SELECT";
        argvlen[0] = 6;
        argv[1] = (const char *) db;
        argvlen[1] = ngx_sprintf(db, "%i", rcf->database) - db;

        if (ngx_stratum_redis_append(rd, 2, argv, argvlen) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


static ngx_int_t
ngx_stratum_redis_append(ngx_stratum_redis_t *rd, ngx_uint_t argc,
    const char **argv, const size_t *argvlen)
{
    int      len;
    char    *cmd;
    u_char  *p;

    len = redisFormatCommandArgv(&cmd, (int) argc, argv, argvlen);
    if (len < 0) {
        ngx_log_error(NGX_LOG_ALERT, &rd->log, 0,
                      "redisFormatCommandArgv() failed");
        return NGX_ERROR;
    }

    p = ngx_alloc(rd->handshake_len + len, &rd->log);

    if (p) {
        if (rd->handshake) {
            ngx_memcpy(p, rd->handshake, rd->handshake_len);
            ngx_explicit_memzero(rd->handshake, rd->handshake_len);
            ngx_free(rd->handshake);
        }

        ngx_memcpy(p + rd->handshake_len, cmd, len);

        rd->handshake = p;
        rd->handshake_len += len;
        rd->handshake_replies++;
    }

    ngx_explicit_memzero(cmd, len);
    redisFreeCommand(cmd);

    return p ? NGX_OK : NGX_ERROR;
}


void
ngx_stratum_redis_conf_init(ngx_stratum_redis_conf_t *rcf)
{
    /*
     * set by ngx_pcalloc() of the owner:
     *
     *     rcf->addr = NULL;
     *     rcf->user = { 0, NULL };
     *     rcf->password = { 0, NULL };
     */

    rcf->database = NGX_CONF_UNSET;
    rcf->connect_timeout = NGX_CONF_UNSET_MSEC;
    rcf->send_timeout = NGX_CONF_UNSET_MSEC;
    rcf->read_timeout = NGX_CONF_UNSET_MSEC;
    rcf->pool_size = NGX_CONF_UNSET_UINT;
    rcf->max_fails = NGX_CONF_UNSET_UINT;
    rcf->fail_timeout = NGX_CONF_UNSET_MSEC;
}


char *
ngx_stratum_redis_conf_merge(ngx_conf_t *cf, ngx_stratum_redis_conf_t *rcf)
{
    ngx_conf_init_value(rcf->database, 0);
    ngx_conf_init_msec_value(rcf->connect_timeout, 100);
    ngx_conf_init_msec_value(rcf->send_timeout, 100);
    ngx_conf_init_msec_value(rcf->read_timeout, 100);
    ngx_conf_init_uint_value(rcf->pool_size, 4);
    ngx_conf_init_uint_value(rcf->max_fails, 3);
    ngx_conf_init_msec_value(rcf->fail_timeout, 2000);

    if (rcf->user.len && rcf->password.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"stratum_redis_user\" needs "
                           "\"stratum_redis_password\"");
        return NGX_CONF_ERROR;
    }

    if (rcf->addr == NULL
        && (rcf->password.len || rcf->database))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"stratum_redis_password\" or "
                           "\"stratum_redis_database\" is set but "
                           "\"stratum_redis_server\" is not");
        return NGX_CONF_ERROR;
    }

    if (rcf->pool_size == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"stratum_redis_pool_size\" must be at least 1");
        return NGX_CONF_ERROR;
    }

    if (rcf->max_fails == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"stratum_redis_max_fails\" must be at least 1");
        return NGX_CONF_ERROR;
    }

    if (rcf->connect_timeout == 0 || rcf->send_timeout == 0
        || rcf->read_timeout == 0)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "stratum redis timeouts must not be zero");
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* stratum_redis_server host[:port] | unix:/path */

char *
ngx_stratum_redis_set_server(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_stratum_redis_conf_t *rcf = (ngx_stratum_redis_conf_t *)
                                        ((char *) conf + cmd->offset);

    ngx_str_t  *value;
    ngx_url_t   u;

    if (rcf->addr) {
        return "is duplicate";
    }

    value = cf->args->elts;

    ngx_memzero(&u, sizeof(ngx_url_t));

    u.url = value[1];
    u.default_port = 6379;

    if (ngx_parse_url(cf->pool, &u) != NGX_OK) {
        if (u.err) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "%s in \"%V\" of \"%V\"",
                               u.err, &u.url, &cmd->name);
        }

        return NGX_CONF_ERROR;
    }

    if (u.naddrs == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid address \"%V\" in \"%V\"",
                           &u.url, &cmd->name);
        return NGX_CONF_ERROR;
    }

    /* TODO: more than one address (a host name that resolves to several) */

    rcf->addr = &u.addrs[0];

    return NGX_CONF_OK;
}


/* stratum_redis_user and stratum_redis_password: never echoed */

char *
ngx_stratum_redis_set_secret(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_str_t *s = (ngx_str_t *) ((char *) conf + cmd->offset);

    ngx_str_t  *value;

    if (s->data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[1].len == 0) {
        return "must not be empty";
    }

    *s = value[1];

    return NGX_CONF_OK;
}
