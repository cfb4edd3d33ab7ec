/* lb-mempool.h: one block of memory allocated up front and handed out in
 * aligned pieces, never freed one by one. The engine lays out its KV cache,
 * activations and scratch in it, so its memory use is known before the first
 * token and cannot grow.
 *
 * Sizing is done by running the same layout code twice: first against a
 * counting pool (allocations only add up their sizes), then against a real
 * pool of exactly that size. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _LbMemPool LbMemPool;

/* every piece starts on this boundary (a cache line, and enough for any SIMD load) */
#define LB_MEM_POOL_ALIGN 64

/* A pool of size bytes, zero-filled. Fails (rather than aborting) when the
 * memory cannot be had. */
LbMemPool *lb_mem_pool_new          (gsize size, GError **error);
/* A pool that only counts: allocations succeed, give NULL and add up. */
LbMemPool *lb_mem_pool_new_counting (void);
void       lb_mem_pool_free         (LbMemPool *pool);

/* Hands out size bytes aligned to LB_MEM_POOL_ALIGN in *out (NULL from a
 * counting pool). FALSE with an error naming what (a short label) when the
 * pool has no room left; the pool never grows. */
gboolean   lb_mem_pool_alloc        (LbMemPool *pool, const char *what, gsize size,
                                     gpointer *out, GError **error);

gboolean   lb_mem_pool_is_counting  (LbMemPool *pool);
/* capacity in bytes (for a counting pool: what it has counted) */
gsize      lb_mem_pool_get_size     (LbMemPool *pool);
/* bytes handed out so far, padding included */
gsize      lb_mem_pool_get_used     (LbMemPool *pool);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbMemPool, lb_mem_pool_free)

G_END_DECLS
