#include "client/executor.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/mem.h"
#include "rocketmq/error.h"

typedef struct task {
    rmq_exec_fn fn;
    void *arg;
    struct task *next;
} task_t;

struct rmq_executor {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    task_t *head, **tail; /* lock */
    bool stopping;        /* lock */
    int nthreads;
    pthread_t *threads;
};

static _Thread_local const rmq_executor_t *t_current;

static void *worker(void *arg)
{
    rmq_executor_t *ex = arg;
    t_current = ex;
    pthread_mutex_lock(&ex->lock);
    for (;;) {
        while (!ex->head && !ex->stopping)
            pthread_cond_wait(&ex->cond, &ex->lock);
        task_t *t = ex->head;
        if (!t)
            break; /* stopping and drained */
        ex->head = t->next;
        if (!ex->head)
            ex->tail = &ex->head;
        pthread_mutex_unlock(&ex->lock);
        t->fn(t->arg);
        free(t);
        pthread_mutex_lock(&ex->lock);
    }
    pthread_mutex_unlock(&ex->lock);
    return NULL;
}

rmq_executor_t *rmq_executor_new(int nthreads, const char *name)
{
    rmq_executor_t *ex = rmq_calloc(1, sizeof(*ex));
    pthread_mutex_init(&ex->lock, NULL);
    pthread_cond_init(&ex->cond, NULL);
    ex->tail = &ex->head;
    ex->threads = rmq_calloc((size_t)(nthreads > 0 ? nthreads : 1), sizeof(pthread_t));
    for (int i = 0; i < (nthreads > 0 ? nthreads : 1); i++) {
        if (pthread_create(&ex->threads[i], NULL, worker, ex) != 0)
            break;
        ex->nthreads++;
        char tn[32]; /* the kernel keeps 15 characters */
        snprintf(tn, sizeof(tn), "%.10s-%d", name ? name : "rmq-cb", i % 100);
        tn[15] = '\0';
        pthread_setname_np(ex->threads[i], tn);
    }
    if (ex->nthreads == 0) {
        free(ex->threads);
        free(ex);
        return NULL;
    }
    return ex;
}

int rmq_executor_submit(rmq_executor_t *ex, rmq_exec_fn fn, void *arg)
{
    task_t *t = rmq_malloc(sizeof(*t));
    t->fn = fn;
    t->arg = arg;
    t->next = NULL;
    pthread_mutex_lock(&ex->lock);
    if (ex->stopping) {
        pthread_mutex_unlock(&ex->lock);
        free(t);
        return ROCKETMQ_ERR__SHUTDOWN;
    }
    *ex->tail = t;
    ex->tail = &t->next;
    pthread_cond_signal(&ex->cond);
    pthread_mutex_unlock(&ex->lock);
    return 0;
}

void rmq_executor_destroy(rmq_executor_t *ex)
{
    if (!ex)
        return;
    pthread_mutex_lock(&ex->lock);
    ex->stopping = true;
    pthread_cond_broadcast(&ex->cond);
    pthread_mutex_unlock(&ex->lock);
    for (int i = 0; i < ex->nthreads; i++)
        pthread_join(ex->threads[i], NULL);
    pthread_mutex_destroy(&ex->lock);
    pthread_cond_destroy(&ex->cond);
    free(ex->threads);
    free(ex);
}

int rmq_executor_in_thread(const rmq_executor_t *ex)
{
    return t_current == ex;
}
