/* lb-bandwidth.c: STREAM-like read bandwidth with the engine's thread pool */
#include "config.h"

#include <string.h>

#include "lb-bandwidth.h"
#include "lb-error.h"
#include "lb-threadpool.h"

/* a chunk is what one thread sums at a time; the pool hands chunks to
 * whichever thread is free, so a late worker does not stall a pass */
#define CHUNK_BYTES ((gsize) 1 << 20)

typedef guint64 LbU64x2 __attribute__ ((vector_size (16), may_alias));

/* Sums n bytes (a multiple of 128) as 64-bit lanes, 4 independent
 * accumulators so the loads are never waiting on an add. */
static guint64
sum_generic (const guint8 *p, gsize n)
{
  LbU64x2 a = { 0 }, b = { 0 }, c = { 0 }, d = { 0 };

  for (gsize i = 0; i < n; i += 64)
    {
      const LbU64x2 *v = (const LbU64x2 *) (p + i);
      a += v[0];
      b += v[1];
      c += v[2];
      d += v[3];
    }
  a += b + c + d;
  return a[0] + a[1];
}

#if defined(__x86_64__) && defined(__GNUC__)
typedef guint64 LbU64x4 __attribute__ ((vector_size (32), may_alias));

__attribute__ ((target ("avx2")))
static guint64
sum_avx2 (const guint8 *p, gsize n)
{
  LbU64x4 a = { 0 }, b = { 0 }, c = { 0 }, d = { 0 };

  for (gsize i = 0; i < n; i += 128)
    {
      const LbU64x4 *v = (const LbU64x4 *) (p + i);
      a += v[0];
      b += v[1];
      c += v[2];
      d += v[3];
    }
  a += b + c + d;
  return a[0] + a[1] + a[2] + a[3];
}
#endif

typedef guint64 (*SumFunc) (const guint8 *p, gsize n);

typedef struct {
  const guint8 *buf;
  gsize         bytes;
  SumFunc       sum;
  guint64       sink[LB_THREAD_POOL_MAX];  /* keeps the sums alive */
} Pass;

static void
pass_chunk (gsize begin, gsize end, guint thread, gpointer user_data)
{
  Pass *pass = user_data;

  for (gsize c = begin; c < end; c++)
    {
      gsize off = c * CHUNK_BYTES;
      gsize len = MIN (CHUNK_BYTES, pass->bytes - off);
      pass->sink[thread] += pass->sum (pass->buf + off, len);
    }
}

gboolean
lb_bandwidth_measure (gsize bytes, guint n_threads, guint n_passes, LbBandwidth *result,
                      GCancellable *cancellable, GError **error)
{
  g_autoptr (LbThreadPool) pool = NULL;
  g_autofree Pass *pass = NULL;
  guint8 *buf;
  gsize n_chunks;
  double best = 0.0, total = 0.0;
  guint done = 0;

  g_return_val_if_fail (result != NULL, FALSE);

  if (bytes == 0)
    bytes = LB_BANDWIDTH_DEFAULT_BYTES;
  bytes = MAX (bytes, CHUNK_BYTES) / CHUNK_BYTES * CHUNK_BYTES;
  if (n_passes == 0)
    n_passes = 5;
  n_chunks = bytes / CHUNK_BYTES;

  pool = lb_thread_pool_new (n_threads, error);
  if (pool == NULL)
    return FALSE;
  buf = g_try_malloc (bytes);
  if (buf == NULL)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_FAILED,
                   "cannot allocate %" G_GSIZE_FORMAT " MiB for the bandwidth test",
                   bytes >> 20);
      return FALSE;
    }
  /* non-zero and touched, so every page is real memory, not the zero page */
  memset (buf, 0x5a, bytes);

  pass = g_new0 (Pass, 1);
  pass->buf = buf;
  pass->bytes = bytes;
  pass->sum = sum_generic;
#if defined(__x86_64__) && defined(__GNUC__)
  if (__builtin_cpu_supports ("avx2"))
    pass->sum = sum_avx2;
#endif

  /* pass 0 is a warm-up: it wakes the workers and settles the clocks */
  for (guint i = 0; i <= n_passes; i++)
    {
      gint64 t0, t1;
      double bps;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        {
          g_free (buf);
          return FALSE;
        }
      t0 = g_get_monotonic_time ();
      lb_thread_pool_run (pool, n_chunks, 1, pass_chunk, pass);
      t1 = g_get_monotonic_time ();
      if (i == 0)
        continue;
      bps = (double) bytes / (MAX (t1 - t0, 1) / 1e6);
      best = MAX (best, bps);
      total += bps;
      done++;
    }
  g_free (buf);

  result->bytes_per_second = best;
  result->mean_bytes_per_second = total / done;
  result->bytes = bytes;
  result->n_threads = lb_thread_pool_get_n_threads (pool);
  result->n_passes = done;
  return TRUE;
}
