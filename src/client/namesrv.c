/* The client's name servers: the list (from the configuration or
 * NAMESRV_ADDR, ";"-separated) and the chosen one.  Requests go to the
 * chosen server while it answers; when it cannot be reached the next ones
 * are tried round robin from a random start, as NettyRemotingClient's
 * getAndCreateNameserverChannel does, so one dead name server never stops
 * route lookups while another is up. */
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/mem.h"
#include "base/time.h"
#include "client/instance_int.h"
#include "rocketmq/error.h"

static void ns_add(rmq_instance_t *inst, const char *s, size_t n)
{
    while (n > 0 && (*s == ' ' || *s == '\t'))
        s++, n--;
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n'))
        n--;
    if (n == 0)
        return;
    inst->ns = rmq_realloc(inst->ns, (inst->nns + 1) * sizeof(char *));
    inst->ns[inst->nns++] = rmq_strndup(s, n);
}

void rmq_instance_ns_init(rmq_instance_t *inst)
{
    const char *list = inst->cfg.namesrv[0] ? inst->cfg.namesrv : getenv("NAMESRV_ADDR");
    for (const char *p = list; p && *p;) {
        const char *end = strchr(p, ';');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        ns_add(inst, p, n);
        p = end ? end + 1 : p + n;
    }
    inst->ns_next = inst->nns ? (size_t)(rmq_mono_ms() ^ (int64_t)(uintptr_t)inst) % inst->nns : 0;
    inst->ns_chosen = -1;
}

void rmq_instance_ns_free(rmq_instance_t *inst)
{
    for (size_t i = 0; i < inst->nns; i++)
        free(inst->ns[i]);
    free(inst->ns);
    inst->ns = NULL;
    inst->nns = 0;
}

bool rmq_instance_has_namesrv(rmq_instance_t *inst)
{
    return inst->nns > 0; /* the list never changes after creation */
}

/* The index to try first: the chosen server, else the next in turn. */
static size_t ns_first(rmq_instance_t *inst)
{
    pthread_mutex_lock(&inst->lock);
    size_t i = inst->ns_chosen >= 0 ? (size_t)inst->ns_chosen : inst->ns_next++ % inst->nns;
    pthread_mutex_unlock(&inst->lock);
    return i;
}

static void ns_choose(rmq_instance_t *inst, int idx)
{
    pthread_mutex_lock(&inst->lock);
    inst->ns_chosen = idx;
    if (idx < 0)
        inst->ns_next++;
    pthread_mutex_unlock(&inst->lock);
}

int rmq_instance_namesrv_call(rmq_instance_t *inst, rmq_cmd_t *req, int timeout_ms,
                              rmq_cmd_t **resp)
{
    *resp = NULL;
    if (inst->nns == 0) {
        rmq_cmd_free(req);
        return ROCKETMQ_ERR__NO_ROUTE;
    }
    int64_t deadline = rmq_mono_ms() + timeout_ms;
    size_t first = ns_first(inst);
    int err = ROCKETMQ_ERR__TRANSPORT;
    for (size_t k = 0; k < inst->nns; k++) {
        int64_t left = deadline - rmq_mono_ms();
        if (left <= 0) {
            err = ROCKETMQ_ERR__TIMEOUT;
            break;
        }
        size_t idx = (first + k) % inst->nns;
        rmq_cmd_t *attempt = k + 1 < inst->nns ? rmq_cmd_dup_request(req) : req;
        if (attempt == req)
            req = NULL;
        err = rmq_rclient_invoke_sync(inst->rc, inst->ns[idx], attempt, (int)left, resp);
        if (err == 0) {
            ns_choose(inst, (int)idx);
            break;
        }
        RMQ_LOGW("client", "name server %s: %s", inst->ns[idx], rocketmq_err_str(err));
        ns_choose(inst, -1);
        if (err == ROCKETMQ_ERR__TIMEOUT)
            rmq_rclient_close_addr(inst->rc, inst->ns[idx]);
        else if (err != ROCKETMQ_ERR__TRANSPORT)
            break; /* shutting down: no other server does better */
    }
    rmq_cmd_free(req);
    return err;
}
