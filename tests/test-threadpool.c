/* test-threadpool.c: the persistent worker pool: every item exactly once
 * under many tiny and uneven loops, real concurrency, reuse, several
 * callers, and shutdown. */
#include <glib.h>
#include <stdatomic.h>
#include <string.h>

#include "lowbit.h"
#include "lb-threadpool.h"

typedef struct {
  atomic_uint *hits;        /* per item */
  guint        n_threads;
  atomic_uint  bad_thread;
  atomic_uint  bad_range;
  gsize        n;
  gsize        grain;
} Cover;

static void
cover_func (gsize begin, gsize end, guint thread, gpointer data)
{
  Cover *c = data;

  if (thread >= c->n_threads)
    atomic_fetch_add (&c->bad_thread, 1);
  /* a chunk is whole grains, except possibly the last */
  if (begin >= end || end > c->n || begin % c->grain != 0
      || (end - begin != c->grain && end != c->n))
    atomic_fetch_add (&c->bad_range, 1);
  for (gsize i = begin; i < end && i < c->n; i++)
    atomic_fetch_add (&c->hits[i], 1);
}

static void
check_cover (LbThreadPool *pool, gsize n, gsize grain)
{
  Cover c = { 0 };

  c.hits = g_new0 (atomic_uint, MAX (n, 1));
  c.n_threads = lb_thread_pool_get_n_threads (pool);
  c.n = n;
  c.grain = MAX (grain, 1);
  lb_thread_pool_run (pool, n, grain, cover_func, &c);
  for (gsize i = 0; i < n; i++)
    if (atomic_load (&c.hits[i]) != 1)
      g_error ("n %zu grain %zu: item %zu run %u times", n, grain, i, atomic_load (&c.hits[i]));
  g_assert_cmpuint (atomic_load (&c.bad_thread), ==, 0);
  g_assert_cmpuint (atomic_load (&c.bad_range), ==, 0);
  g_free (c.hits);
}

static void
test_cover (void)
{
  const gsize sizes[] = { 0, 1, 2, 3, 7, 64, 100, 1000, 10007 };
  const gsize grains[] = { 0, 1, 2, 3, 64, 1000, 20000 };

  for (guint nt = 1; nt <= 4; nt++)
    {
      GError *error = NULL;
      g_autoptr (LbThreadPool) pool = lb_thread_pool_new (nt, &error);

      g_assert_no_error (error);
      g_assert_cmpuint (lb_thread_pool_get_n_threads (pool), ==, nt);
      for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
        for (guint j = 0; j < G_N_ELEMENTS (grains); j++)
          check_cover (pool, sizes[i], grains[j]);
    }
}

/* ---- many tiny loops, as a decode step runs them --------------------------- */

typedef struct {
  gint64 *per_thread;   /* padded: one cache line each */
} Sum;

static void
sum_func (gsize begin, gsize end, guint thread, gpointer data)
{
  Sum *s = data;

  /* not atomic: only this thread writes this slot during the loop */
  for (gsize i = begin; i < end; i++)
    s->per_thread[thread * 8] += (gint64) i;
}

static void
test_tiny_jobs (void)
{
  GError *error = NULL;
  g_autoptr (LbThreadPool) pool = lb_thread_pool_new (2, &error);
  gint64 slots[2 * 8] = { 0 };
  Sum s = { slots };
  gint64 expected = 0, total = 0;

  g_assert_no_error (error);
  for (guint round = 0; round < 20000; round++)
    {
      gsize n = 1 + round % 13;
      lb_thread_pool_run (pool, n, 1, sum_func, &s);
      expected += (gint64) (n * (n - 1) / 2);
    }
  for (guint t = 0; t < 2; t++)
    total += slots[t * 8];
  g_assert_cmpint (total, ==, expected);
}

/* ---- uneven items: a few heavy ones among many light ones ------------------ */

static void
uneven_func (gsize begin, gsize end, guint thread, gpointer data)
{
  double *out = data;

  for (gsize i = begin; i < end; i++)
    {
      /* items divisible by 97 do about 20000 times the work of the others */
      guint work = i % 97 == 0 ? 200000 : 10;
      double acc = 0.0;
      for (guint k = 0; k < work; k++)
        acc += 1.0 / (1.0 + k + i);
      out[i] = acc;
    }
}

static void
test_uneven (void)
{
  GError *error = NULL;
  g_autoptr (LbThreadPool) pool1 = lb_thread_pool_new (1, &error);
  g_autoptr (LbThreadPool) pool2 = lb_thread_pool_new (2, &error);
  const gsize n = 2000;
  g_autofree double *a = g_new0 (double, n);
  g_autofree double *b = g_new0 (double, n);

  g_assert_no_error (error);
  for (guint round = 0; round < 3; round++)
    {
      lb_thread_pool_run (pool1, n, 1 + round * 7, uneven_func, a);
      lb_thread_pool_run (pool2, n, 1 + round * 5, uneven_func, b);
      /* the same per-item function: the same bits, whoever ran it */
      g_assert_cmpmem (a, n * sizeof (double), b, n * sizeof (double));
    }
}

/* ---- the workers really run items at the same time as the caller ----------- */

typedef struct {
  atomic_int started[2];
  atomic_int both_seen;
} Rendezvous;

static void
rendezvous_func (gsize begin, gsize end, guint thread, gpointer data)
{
  Rendezvous *r = data;
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  atomic_store (&r->started[begin], 1);
  /* wait (bounded) for the other item to start on another thread */
  while (!atomic_load (&r->started[1 - begin]) && g_get_monotonic_time () < deadline)
    g_thread_yield ();
  if (atomic_load (&r->started[1 - begin]))
    atomic_fetch_add (&r->both_seen, 1);
}

static void
test_concurrency (void)
{
  GError *error = NULL;
  g_autoptr (LbThreadPool) pool = lb_thread_pool_new (2, &error);

  g_assert_no_error (error);
  /* several rounds, with pauses so the worker has gone to sleep in some */
  for (guint round = 0; round < 4; round++)
    {
      Rendezvous r = { { 0, 0 }, 0 };

      if (round % 2)
        g_usleep (100000);
      lb_thread_pool_run (pool, 2, 1, rendezvous_func, &r);
      g_assert_cmpint (atomic_load (&r.both_seen), ==, 2);
    }
}

/* ---- several callers on one pool, and several pools --------------------------- */

typedef struct {
  LbThreadPool *pool;
  gboolean      ok;
} Caller;

static gpointer
caller_main (gpointer data)
{
  Caller *c = data;
  const gsize n = 257;
  atomic_uint *hits = g_new0 (atomic_uint, n);

  c->ok = TRUE;
  for (guint round = 0; round < 300; round++)
    {
      Cover cov = { hits, lb_thread_pool_get_n_threads (c->pool), 0, 0, n, 3 };

      lb_thread_pool_run (c->pool, n, 3, cover_func, &cov);
      for (gsize i = 0; i < n; i++)
        if (atomic_load (&hits[i]) != round + 1)
          c->ok = FALSE;
    }
  g_free (hits);
  return NULL;
}

static void
test_callers (void)
{
  GError *error = NULL;
  g_autoptr (LbThreadPool) shared = lb_thread_pool_new (2, &error);
  g_autoptr (LbThreadPool) own1 = lb_thread_pool_new (2, &error);
  g_autoptr (LbThreadPool) own2 = lb_thread_pool_new (3, &error);
  Caller callers[] = { { shared }, { shared }, { own1 }, { own2 } };
  GThread *threads[G_N_ELEMENTS (callers)];

  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (callers); i++)
    threads[i] = g_thread_new ("caller", caller_main, &callers[i]);
  for (guint i = 0; i < G_N_ELEMENTS (callers); i++)
    {
      g_thread_join (threads[i]);
      g_assert_true (callers[i].ok);
    }
}

/* ---- shutdown ------------------------------------------------------------------ */

static void
test_shutdown (void)
{
  GError *error = NULL;

  /* never used, used once, freed right after a loop while workers spin,
   * and after they have gone to sleep */
  for (guint i = 0; i < 50; i++)
    {
      LbThreadPool *pool = lb_thread_pool_new (1 + i % 4, &error);

      g_assert_no_error (error);
      if (i % 3 >= 1)
        check_cover (pool, 100, 7);
      if (i % 10 == 2)
        g_usleep (50000);
      lb_thread_pool_free (pool);
    }
  lb_thread_pool_free (NULL);
}

static void
test_sizes (void)
{
  GError *error = NULL;
  g_autoptr (LbThreadPool) all = lb_thread_pool_new (0, &error);
  LbThreadPool *too_many;

  g_assert_no_error (error);
  g_assert_cmpuint (lb_thread_pool_get_n_threads (all), ==, MAX (1, g_get_num_processors ()));

  too_many = lb_thread_pool_new (LB_THREAD_POOL_MAX + 1, &error);
  g_assert_null (too_many);
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "threads"));
  g_clear_error (&error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/lowbit/threadpool/cover", test_cover);
  g_test_add_func ("/lowbit/threadpool/tiny-jobs", test_tiny_jobs);
  g_test_add_func ("/lowbit/threadpool/uneven", test_uneven);
  g_test_add_func ("/lowbit/threadpool/concurrency", test_concurrency);
  g_test_add_func ("/lowbit/threadpool/callers", test_callers);
  g_test_add_func ("/lowbit/threadpool/shutdown", test_shutdown);
  g_test_add_func ("/lowbit/threadpool/sizes", test_sizes);

  return g_test_run ();
}
