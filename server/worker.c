#include "worker.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "hb_assert.h"
#include "hb_limits.h"
#include "hb_log.h"

struct hb_worker {
    hb_worker_def_t def;
    void *pipe;         /* the owner's end; used only by the owner's thread */
    void *inner;        /* the worker's end; used only by the worker thread */
    pthread_t thread;
};

/* The handoff's happens-before edge is inside libzmq, which is not built
 * with ThreadSanitizer: under -fsanitize=thread, tell it about the edge so
 * that it checks the tasks' use on both sides instead of reporting the
 * handoff itself. */
#if defined(__SANITIZE_THREAD__)
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
#define HANDOFF_SEND(p) __tsan_release(p)
#define HANDOFF_RECV(p) __tsan_acquire(p)
#else
#define HANDOFF_SEND(p) ((void) (p))
#define HANDOFF_RECV(p) ((void) (p))
#endif

/* One pointer per message; a NULL pointer asks the worker to stop. */
static void
send_ptr(void *sock, void *ptr)
{
    int rc;
    if (ptr)
        HANDOFF_SEND(ptr);
    do
        rc = zmq_send(sock, &ptr, sizeof ptr, 0);
    while (rc < 0 && zmq_errno() == EINTR);
    hb_assert(rc == (int) sizeof ptr);  /* inproc PAIR: only a bug can fail */
}

/* Returns 1 with *ptr when a message was waiting, 0 when none was. */
static int
recv_ptr(void *sock, void **ptr, int flags)
{
    int rc = zmq_recv(sock, ptr, sizeof *ptr, flags);
    if (rc < 0) {
        hb_assert(zmq_errno() == EAGAIN || zmq_errno() == EINTR);
        return 0;
    }
    hb_assert(rc == (int) sizeof *ptr);
    if (*ptr)
        HANDOFF_RECV(*ptr);
    return 1;
}

static void
run_tick(hb_worker_t *self)
{
    if (!self->def.tick)
        return;
    void *event = self->def.tick(self->def.state);
    if (event)
        send_ptr(self->inner, event);
}

static void *
worker_main(void *arg)
{
    hb_worker_t *self = arg;
    for (;;) {
        zmq_pollitem_t item = {self->inner, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&item, 1, self->def.tick ? HB_POLL_TICK_MS : -1) > 0) {
            void *task;
            if (recv_ptr(self->inner, &task, ZMQ_DONTWAIT)) {
                if (!task)
                    break;
                self->def.handle(self->def.state, task);
                send_ptr(self->inner, task);
            }
        }
        run_tick(self);
    }
    hb_log_debug("worker stopped name=%s", self->def.name);
    return NULL;
}

hb_worker_t *
hb_worker_new(void *ctx, const hb_worker_def_t *def)
{
    hb_assert(ctx && def && def->handle);
    hb_worker_t *self = calloc(1, sizeof *self);
    hb_assert(self);
    self->def = *def;
    char endpoint[64];
    snprintf(endpoint, sizeof endpoint, "inproc://hb-worker-%p", (void *) self);
    self->pipe = zmq_socket(ctx, ZMQ_PAIR);
    self->inner = zmq_socket(ctx, ZMQ_PAIR);
    hb_assert(self->pipe && self->inner);
    int zero = 0;
    zmq_setsockopt(self->pipe, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(self->inner, ZMQ_LINGER, &zero, sizeof zero);
    hb_assert(zmq_bind(self->pipe, endpoint) == 0);
    hb_assert(zmq_connect(self->inner, endpoint) == 0);
    /* the thread inherits a mask that blocks every signal */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&self->thread, NULL, worker_main, self);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    hb_assert(rc == 0);
    return self;
}

void
hb_worker_destroy(hb_worker_t **self_p)
{
    hb_assert(self_p);
    hb_worker_t *self = *self_p;
    if (!self)
        return;
    send_ptr(self->pipe, NULL);
    pthread_join(self->thread, NULL);
    zmq_close(self->inner);
    zmq_close(self->pipe);
    free(self);
    *self_p = NULL;
}

void
hb_worker_send(hb_worker_t *self, void *task)
{
    hb_assert(self && task);
    send_ptr(self->pipe, task);
}

void *
hb_worker_recv(hb_worker_t *self)
{
    hb_assert(self);
    void *task = NULL;
    return recv_ptr(self->pipe, &task, ZMQ_DONTWAIT) ? task : NULL;
}

void *
hb_worker_socket(hb_worker_t *self)
{
    hb_assert(self);
    return self->pipe;
}
