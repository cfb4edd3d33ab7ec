/* lb-bandwidth.h: a STREAM-like memory read-bandwidth test, the limit a
 * memory-bound decode step is compared with (the roofline). Every thread
 * sums its share of one buffer far larger than the caches; the best of
 * several passes is kept, as STREAM does. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* 256 MiB: several times any L3 cache of the machines Lowbit runs on */
#define LB_BANDWIDTH_DEFAULT_BYTES ((gsize) 256 << 20)

typedef struct {
  double bytes_per_second;  /* best pass */
  double mean_bytes_per_second;
  gsize  bytes;             /* buffer size */
  guint  n_threads;
  guint  n_passes;
} LbBandwidth;

/* Reads a buffer of bytes (0: LB_BANDWIDTH_DEFAULT_BYTES, at least 1 MiB)
 * with n_threads (0: one per processor) n_passes times (0: 5) after one
 * untimed pass. Fails when the buffer cannot be allocated or on
 * cancellation. */
gboolean lb_bandwidth_measure (gsize bytes, guint n_threads, guint n_passes,
                               LbBandwidth *result, GCancellable *cancellable,
                               GError **error);

G_END_DECLS
