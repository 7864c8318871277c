/* worker.h - a thread that owns some state and works on tasks handed to
 * it, ZeroMQ style: the threads share nothing but messages on an inproc
 * PAIR socket. A message is one pointer to a task; the task's ownership
 * moves with it to the worker thread and comes back with the reply. Tasks
 * are answered in the order they were sent. The thread blocks every signal
 * (the owner's loop handles them). */
#ifndef HB_WORKER_H
#define HB_WORKER_H

typedef struct hb_worker hb_worker_t;

typedef struct {
    const char *name;  /* for the log; borrowed, a string literal */
    /* Borrowed; from hb_worker_new until hb_worker_destroy returns only
     * the worker thread uses it. */
    void *state;
    /* Works on task in the worker thread; the task is then sent back. */
    void (*handle)(void *state, void *task);
    /* NULL, or called in the worker thread after each task and at least
     * every HB_POLL_TICK_MS. It may return an event (any non-NULL pointer
     * the owner recognises, ownership as the owner and the tick agree),
     * which is sent to the owner like a finished task. */
    void *(*tick)(void *state);
} hb_worker_def_t;

/* Starts the thread. ctx: the owner's zmq context, borrowed for the
 * worker's life. def: copied. */
hb_worker_t *hb_worker_new(void *ctx, const hb_worker_def_t *def);
/* Stops the thread after the task it is working on, and joins it. Tasks
 * sent and not yet received back are lost: receive them all first. */
void hb_worker_destroy(hb_worker_t **self_p);

/* Hands task (not NULL) to the worker; ownership moves with it. */
void hb_worker_send(hb_worker_t *self, void *task);
/* A finished task or an event, without blocking; NULL when none is
 * waiting. The caller owns it again. */
void *hb_worker_recv(hb_worker_t *self);
/* The owner's end of the pipe, for zmq_poll (ZMQ_POLLIN). Borrowed. */
void *hb_worker_socket(hb_worker_t *self);

#endif
