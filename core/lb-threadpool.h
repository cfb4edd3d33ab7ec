/* lb-threadpool.h: a persistent pool of worker threads running parallel-for
 * loops. The workers are created once, with the pool; a loop hands them
 * chunks of an index range and returns when every chunk is done. The
 * calling thread takes part, so a pool of n threads starts n - 1 workers. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _LbThreadPool LbThreadPool;

/* Runs items [begin, end) of a loop. thread (0 .. n_threads - 1) is unique
 * among the threads running the same loop: use it to pick per-thread
 * scratch. Which thread gets which chunk is not fixed, so results must not
 * depend on it. */
typedef void (*LbParallelFunc) (gsize begin, gsize end, guint thread, gpointer user_data);

/* n_threads: 0 means the number of processors; at most LB_THREAD_POOL_MAX. */
#define LB_THREAD_POOL_MAX 256
LbThreadPool *lb_thread_pool_new           (guint n_threads, GError **error);
/* Stops and joins the workers. No loop may be running. */
void          lb_thread_pool_free          (LbThreadPool *pool);
guint         lb_thread_pool_get_n_threads (LbThreadPool *pool);

/* Calls func over [0, n) in chunks of grain items (the last may be
 * shorter; grain 0 counts as 1), spread over the pool's threads. Returns
 * when all are done. A single chunk runs on the caller without waking
 * anyone. Loops started from different threads run one after another;
 * func must not start a loop on the same pool. */
void          lb_thread_pool_run           (LbThreadPool *pool, gsize n, gsize grain,
                                            LbParallelFunc func, gpointer user_data);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbThreadPool, lb_thread_pool_free)

G_END_DECLS
