/* lb-mempool.c: a bump allocator over one aligned block. */
#include "lb-mempool.h"

#include <stdlib.h>
#include <string.h>

#include "lb-error.h"

struct _LbMemPool {
  guint8   *base;      /* NULL for a counting pool */
  gsize     size;
  gsize     used;
  gboolean  counting;
};

LbMemPool *
lb_mem_pool_new (gsize size, GError **error)
{
  LbMemPool *pool;
  guint8 *base = NULL;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* g_aligned_alloc0 aborts on failure; ask for the memory ourselves so a
   * context too large for the machine is an error, not a crash */
  if (size > 0)
    {
      gsize rounded = (size + LB_MEM_POOL_ALIGN - 1) / LB_MEM_POOL_ALIGN * LB_MEM_POOL_ALIGN;
      gpointer p = NULL;

      if (rounded < size || posix_memalign (&p, LB_MEM_POOL_ALIGN, rounded) != 0)
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                       "cannot allocate a memory pool of %" G_GSIZE_FORMAT " bytes "
                       "(%.1f MiB); use a shorter context or a smaller batch",
                       size, size / 1048576.0);
          return NULL;
        }
      base = p;
      memset (base, 0, rounded);
    }

  pool = g_new0 (LbMemPool, 1);
  pool->base = base;
  pool->size = size;
  return pool;
}

LbMemPool *
lb_mem_pool_new_counting (void)
{
  LbMemPool *pool = g_new0 (LbMemPool, 1);

  pool->counting = TRUE;
  return pool;
}

void
lb_mem_pool_free (LbMemPool *pool)
{
  if (pool == NULL)
    return;
  free (pool->base);
  g_free (pool);
}

gboolean
lb_mem_pool_alloc (LbMemPool *pool, const char *what, gsize size, gpointer *out,
                   GError **error)
{
  gsize start, end;

  g_return_val_if_fail (pool != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  *out = NULL;
  start = (pool->used + LB_MEM_POOL_ALIGN - 1) / LB_MEM_POOL_ALIGN * LB_MEM_POOL_ALIGN;
  end = start + size;
  if (start < pool->used || end < start
      || (!pool->counting && end > pool->size))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "memory pool exhausted: %s needs %" G_GSIZE_FORMAT " bytes at offset %"
                   G_GSIZE_FORMAT " but the pool has %" G_GSIZE_FORMAT,
                   what ? what : "an allocation", size, start,
                   pool->counting ? G_MAXSIZE : pool->size);
      return FALSE;
    }
  pool->used = end;
  if (pool->counting)
    pool->size = end;
  else
    *out = pool->base + start;
  return TRUE;
}

gboolean
lb_mem_pool_is_counting (LbMemPool *pool)
{
  g_return_val_if_fail (pool != NULL, FALSE);
  return pool->counting;
}

gsize
lb_mem_pool_get_size (LbMemPool *pool)
{
  g_return_val_if_fail (pool != NULL, 0);
  return pool->size;
}

gsize
lb_mem_pool_get_used (LbMemPool *pool)
{
  g_return_val_if_fail (pool != NULL, 0);
  return pool->used;
}
