/* test-mempool.c: the fixed-size pool: alignment, accounting, zero fill,
 * exhaustion as an error, and the counting pass that sizes a real pool. */
#include <glib.h>
#include <string.h>

#include "lowbit.h"
#include "lb-mempool.h"

static void
test_alloc (void)
{
  GError *error = NULL;
  g_autoptr (LbMemPool) pool = lb_mem_pool_new (1000, &error);
  gpointer a, b, c;

  g_assert_no_error (error);
  g_assert_false (lb_mem_pool_is_counting (pool));
  g_assert_cmpuint (lb_mem_pool_get_size (pool), ==, 1000);
  g_assert_cmpuint (lb_mem_pool_get_used (pool), ==, 0);

  g_assert_true (lb_mem_pool_alloc (pool, "a", 10, &a, &error));
  g_assert_true (lb_mem_pool_alloc (pool, "b", 100, &b, &error));
  g_assert_cmpuint (lb_mem_pool_get_used (pool), ==, LB_MEM_POOL_ALIGN + 100);
  /* an empty piece still starts on a boundary */
  g_assert_true (lb_mem_pool_alloc (pool, "c", 0, &c, &error));
  g_assert_cmpuint (lb_mem_pool_get_used (pool), ==, 3 * LB_MEM_POOL_ALIGN);
  g_assert_no_error (error);
  g_assert_nonnull (a);
  g_assert_nonnull (b);
  g_assert_cmpuint ((guintptr) a % LB_MEM_POOL_ALIGN, ==, 0);
  g_assert_cmpuint ((guintptr) b % LB_MEM_POOL_ALIGN, ==, 0);
  g_assert_cmpuint ((guintptr) c % LB_MEM_POOL_ALIGN, ==, 0);
  /* b starts at the next boundary after a's 10 bytes */
  g_assert_cmpuint ((guint8 *) b - (guint8 *) a, ==, LB_MEM_POOL_ALIGN);

  /* zero-filled, and writable to the last byte */
  for (guint i = 0; i < 100; i++)
    g_assert_cmpuint (((guint8 *) b)[i], ==, 0);
  memset (b, 0xab, 100);
}

static void
test_exhausted (void)
{
  GError *error = NULL;
  g_autoptr (LbMemPool) pool = lb_mem_pool_new (256, &error);
  gpointer p = GINT_TO_POINTER (1);

  g_assert_no_error (error);
  g_assert_true (lb_mem_pool_alloc (pool, "first", 200, &p, &error));
  /* 200 rounds up to 256: nothing is left, not even one byte */
  g_assert_false (lb_mem_pool_alloc (pool, "KV cache keys", 1, &p, &error));
  g_assert_null (p);
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "KV cache keys"));
  g_clear_error (&error);
  /* the failed request changed nothing */
  g_assert_cmpuint (lb_mem_pool_get_used (pool), ==, 200);

  /* sizes that would wrap around */
  g_assert_false (lb_mem_pool_alloc (pool, "huge", G_MAXSIZE, &p, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
}

/* what a counting pass adds up is exactly what the real pool hands out */
static gboolean
layout (LbMemPool *pool, gpointer *ptrs, GError **error)
{
  const gsize sizes[] = { 3, 64, 65, 1, 4096, 0, 127 };

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    if (!lb_mem_pool_alloc (pool, "piece", sizes[i], &ptrs[i], error))
      return FALSE;
  return TRUE;
}

static void
test_counting (void)
{
  GError *error = NULL;
  g_autoptr (LbMemPool) counting = lb_mem_pool_new_counting ();
  g_autoptr (LbMemPool) real = NULL;
  g_autoptr (LbMemPool) small = NULL;
  gpointer ptrs[7];

  g_assert_true (lb_mem_pool_is_counting (counting));
  g_assert_true (layout (counting, ptrs, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (ptrs); i++)
    g_assert_null (ptrs[i]);
  g_assert_cmpuint (lb_mem_pool_get_size (counting), ==, lb_mem_pool_get_used (counting));

  real = lb_mem_pool_new (lb_mem_pool_get_size (counting), &error);
  g_assert_no_error (error);
  g_assert_true (layout (real, ptrs, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (lb_mem_pool_get_used (real), ==, lb_mem_pool_get_size (real));

  /* one byte less does not fit */
  small = lb_mem_pool_new (lb_mem_pool_get_size (counting) - 1, &error);
  g_assert_no_error (error);
  g_assert_false (layout (small, ptrs, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
}

static void
test_too_large (void)
{
  GError *error = NULL;
  LbMemPool *pool = lb_mem_pool_new (G_MAXSIZE - 10, &error);

  g_assert_null (pool);
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "memory pool"));
  g_clear_error (&error);
  lb_mem_pool_free (NULL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/lowbit/mempool/alloc", test_alloc);
  g_test_add_func ("/lowbit/mempool/exhausted", test_exhausted);
  g_test_add_func ("/lowbit/mempool/counting", test_counting);
  g_test_add_func ("/lowbit/mempool/too-large", test_too_large);

  return g_test_run ();
}
