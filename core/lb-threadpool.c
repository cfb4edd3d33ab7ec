/* lb-threadpool.c: persistent workers for parallel-for loops.
 *
 * A forward pass runs a few hundred short loops per token, so starting a
 * loop must be cheap: the workers spin on an atomic word for a while after
 * each loop (a new one usually follows within microseconds) and only then
 * sleep on a condition variable. The caller never waits for a worker that
 * has not started: the machine may be shared and a descheduled worker would
 * stall every loop by a scheduler time slice. Instead, chunks are claimed
 * one at a time from an atomic counter, and whoever is awake does them.
 *
 * The claim word holds (generation << 32 | next chunk). The caller closes a
 * loop by moving to an odd generation before it rewrites the loop's fields
 * (function, data, sizes), then opens the next loop with the following even
 * generation. A worker reads the fields after seeing an open generation and
 * claims chunks by compare-and-swap on the whole word, so a late worker
 * holding fields of a finished loop can never claim a chunk of a newer one:
 * its swap fails because the generation moved on. */
#include "lb-threadpool.h"

#include <stdatomic.h>

#include "lb-error.h"

/* pauses before sleeping: a pause takes 10-100 ns, so tens of microseconds */
#define SPIN_WORKER 2000
#define SPIN_CALLER 1000

typedef struct {
  LbThreadPool *pool;
  guint         index;
} Worker;

struct _LbThreadPool {
  guint               n_threads;        /* including the caller */
  GThread           **threads;          /* n_threads - 1 */
  Worker             *workers;
  GMutex              run_lock;         /* one loop at a time */
  /* caller side copy, under run_lock; atomic only so that ThreadSanitizer,
   * which cannot see GMutex's futex, does not report it */
  atomic_uint         generation;

  /* the current loop: written by the caller while the generation is odd */
  _Atomic (LbParallelFunc) func;
  _Atomic (gpointer)  user_data;
  atomic_size_t       n;
  atomic_size_t       grain;
  atomic_uint         n_chunks;

  atomic_uint_fast64_t claim;           /* generation << 32 | next chunk */
  atomic_uint         n_done;           /* chunks finished in this loop */

  /* sleeping */
  GMutex              lock;
  GCond               wake_cond;        /* workers wait for an open generation */
  GCond               done_cond;        /* the caller waits for n_done */
  atomic_uint         n_sleeping;
  atomic_bool         caller_sleeping;
  atomic_bool         quit;
};

static inline void
cpu_relax (void)
{
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause ();
#elif defined(__aarch64__)
  __asm__ __volatile__ ("yield");
#endif
}

static inline guint32
claim_generation (guint64 c)
{
  return (guint32) (c >> 32);
}

/* Claims and runs chunks of the loop of generation gen until none is left
 * (or the loop is no longer gen). */
static void
run_chunks (LbThreadPool *pool, guint32 gen, guint thread)
{
  LbParallelFunc func = atomic_load_explicit (&pool->func, memory_order_relaxed);
  gpointer data = atomic_load_explicit (&pool->user_data, memory_order_relaxed);
  gsize n = atomic_load_explicit (&pool->n, memory_order_relaxed);
  gsize grain = atomic_load_explicit (&pool->grain, memory_order_relaxed);
  guint n_chunks = atomic_load_explicit (&pool->n_chunks, memory_order_relaxed);
  guint64 c = atomic_load (&pool->claim);

  for (;;)
    {
      guint32 idx;
      gsize begin;

      if (claim_generation (c) != gen || (guint32) c >= n_chunks)
        return;
      /* on failure c is reloaded and checked again */
      if (!atomic_compare_exchange_weak (&pool->claim, &c, c + 1))
        continue;
      idx = (guint32) c;
      begin = (gsize) idx * grain;
      func (begin, MIN (n, begin + grain), thread, data);
      if (atomic_fetch_add (&pool->n_done, 1) + 1 == n_chunks
          && atomic_load (&pool->caller_sleeping))
        {
          g_mutex_lock (&pool->lock);
          g_cond_signal (&pool->done_cond);
          g_mutex_unlock (&pool->lock);
        }
      c = atomic_load (&pool->claim);
    }
}

/* an open loop is an even, non-zero generation different from seen */
static inline gboolean
is_new_loop (guint32 gen, guint32 seen)
{
  return gen != seen && gen % 2 == 0;
}

static gpointer
worker_main (gpointer data)
{
  Worker *w = data;
  LbThreadPool *pool = w->pool;
  guint32 seen = 0;

  for (;;)
    {
      guint32 gen = claim_generation (atomic_load (&pool->claim));

      for (guint spin = 0; !is_new_loop (gen, seen) && spin < SPIN_WORKER; spin++)
        {
          if (atomic_load_explicit (&pool->quit, memory_order_relaxed))
            break;
          cpu_relax ();
          gen = claim_generation (atomic_load (&pool->claim));
        }
      if (!is_new_loop (gen, seen) && !atomic_load (&pool->quit))
        {
          /* n_sleeping goes up before the last check, under the lock the
           * caller takes to broadcast: no wake-up can be missed */
          g_mutex_lock (&pool->lock);
          atomic_fetch_add (&pool->n_sleeping, 1);
          while (!is_new_loop (gen = claim_generation (atomic_load (&pool->claim)), seen)
                 && !atomic_load (&pool->quit))
            g_cond_wait (&pool->wake_cond, &pool->lock);
          atomic_fetch_sub (&pool->n_sleeping, 1);
          g_mutex_unlock (&pool->lock);
        }
      if (atomic_load (&pool->quit))
        break;
      seen = gen;
      run_chunks (pool, gen, w->index);
    }
  return NULL;
}

LbThreadPool *
lb_thread_pool_new (guint n_threads, GError **error)
{
  LbThreadPool *pool;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (n_threads == 0)
    n_threads = MAX (1, g_get_num_processors ());
  if (n_threads > LB_THREAD_POOL_MAX)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "%u threads requested; at most %u are supported",
                   n_threads, LB_THREAD_POOL_MAX);
      return NULL;
    }

  pool = g_new0 (LbThreadPool, 1);
  pool->n_threads = n_threads;
  g_mutex_init (&pool->run_lock);
  g_mutex_init (&pool->lock);
  g_cond_init (&pool->wake_cond);
  g_cond_init (&pool->done_cond);
  atomic_init (&pool->func, NULL);
  atomic_init (&pool->user_data, NULL);
  atomic_init (&pool->n, 0);
  atomic_init (&pool->grain, 1);
  atomic_init (&pool->n_chunks, 0);
  atomic_init (&pool->claim, 0);
  atomic_init (&pool->n_done, 0);
  atomic_init (&pool->generation, 0);
  atomic_init (&pool->n_sleeping, 0);
  atomic_init (&pool->caller_sleeping, FALSE);
  atomic_init (&pool->quit, FALSE);

  pool->threads = g_new0 (GThread *, n_threads);
  pool->workers = g_new0 (Worker, n_threads);
  for (guint i = 1; i < n_threads; i++)
    {
      g_autofree char *name = g_strdup_printf ("lb-worker-%u", i);

      pool->workers[i].pool = pool;
      pool->workers[i].index = i;
      pool->threads[i] = g_thread_try_new (name, worker_main, &pool->workers[i], error);
      if (pool->threads[i] == NULL)
        {
          g_prefix_error (error, "cannot start worker thread %u of %u: ", i, n_threads - 1);
          lb_thread_pool_free (pool);
          return NULL;
        }
    }
  return pool;
}

void
lb_thread_pool_free (LbThreadPool *pool)
{
  if (pool == NULL)
    return;

  g_mutex_lock (&pool->lock);
  atomic_store (&pool->quit, TRUE);
  g_cond_broadcast (&pool->wake_cond);
  g_mutex_unlock (&pool->lock);
  for (guint i = 1; i < pool->n_threads; i++)
    if (pool->threads[i] != NULL)
      g_thread_join (pool->threads[i]);

  g_free (pool->threads);
  g_free (pool->workers);
  g_mutex_clear (&pool->run_lock);
  g_mutex_clear (&pool->lock);
  g_cond_clear (&pool->wake_cond);
  g_cond_clear (&pool->done_cond);
  g_free (pool);
}

guint
lb_thread_pool_get_n_threads (LbThreadPool *pool)
{
  g_return_val_if_fail (pool != NULL, 0);
  return pool->n_threads;
}

void
lb_thread_pool_run (LbThreadPool *pool, gsize n, gsize grain, LbParallelFunc func,
                    gpointer user_data)
{
  gsize n_chunks;
  guint32 gen;

  g_return_if_fail (pool != NULL);
  g_return_if_fail (func != NULL);

  if (n == 0)
    return;
  grain = MAX (grain, 1);
  n_chunks = n / grain + (n % grain != 0);
  /* the chunk index lives in 32 bits of the claim word */
  if (n_chunks > G_MAXUINT32 / 2)
    {
      grain = n / (G_MAXUINT32 / 2) + 1;
      n_chunks = n / grain + (n % grain != 0);
    }

  g_mutex_lock (&pool->run_lock);
  if (n_chunks == 1 || pool->n_threads == 1)
    {
      for (gsize begin = 0; begin < n; begin += grain)
        func (begin, MIN (n, begin + grain), 0, user_data);
      g_mutex_unlock (&pool->run_lock);
      return;
    }

  /* close the previous loop, then write this one's fields */
  gen = atomic_load_explicit (&pool->generation, memory_order_relaxed) + 1;   /* odd */
  atomic_store (&pool->claim, (guint64) gen << 32);
  atomic_store_explicit (&pool->func, func, memory_order_relaxed);
  atomic_store_explicit (&pool->user_data, user_data, memory_order_relaxed);
  atomic_store_explicit (&pool->n, n, memory_order_relaxed);
  atomic_store_explicit (&pool->grain, grain, memory_order_relaxed);
  atomic_store_explicit (&pool->n_chunks, (guint) n_chunks, memory_order_relaxed);
  atomic_store (&pool->n_done, 0);

  /* open it (even generation) and wake sleepers */
  gen++;
  if (gen == 0)   /* never reuse 0, the workers' initial "seen" */
    gen = 2;
  atomic_store_explicit (&pool->generation, gen, memory_order_relaxed);
  atomic_store (&pool->claim, (guint64) gen << 32);
  if (atomic_load (&pool->n_sleeping) > 0)
    {
      g_mutex_lock (&pool->lock);
      g_cond_broadcast (&pool->wake_cond);
      g_mutex_unlock (&pool->lock);
    }

  run_chunks (pool, gen, 0);

  /* wait for chunks other threads claimed */
  for (guint spin = 0; atomic_load (&pool->n_done) != n_chunks && spin < SPIN_CALLER; spin++)
    cpu_relax ();
  if (atomic_load (&pool->n_done) != n_chunks)
    {
      g_mutex_lock (&pool->lock);
      atomic_store (&pool->caller_sleeping, TRUE);
      while (atomic_load (&pool->n_done) != n_chunks)
        g_cond_wait (&pool->done_cond, &pool->lock);
      atomic_store (&pool->caller_sleeping, FALSE);
      g_mutex_unlock (&pool->lock);
    }
  g_mutex_unlock (&pool->run_lock);
}
