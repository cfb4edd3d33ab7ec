/* lb-matmul.h: Y = X Wᵀ for a batch of activation rows X against a weight
 * tensor W of any type with a kernel, split by output rows over a thread
 * pool.
 *
 * The activation rows are converted once per batch into what each weight
 * type's dot product takes (its vec_dot_type: Q8_0, Q8_1 or Q8_K for the
 * block formats; f32 for F32/F16/BF16 weights), then each weight row is
 * read once and dotted with every activation row of the batch while it is in
 * cache: that is what makes a prompt cheaper per token than decoding. Each
 * output is computed the same way whatever the batch, tile or thread, so a
 * batch gives bit for bit the results of its tokens one at a time. */
#pragma once

#include "lb-mempool.h"
#include "lb-tensor.h"
#include "lb-threadpool.h"

G_BEGIN_DECLS

#define LB_MATMUL_MAX_COPIES 4

/* The activation rows of one input site (e.g. the normed hidden state that
 * wq, wk and wv read), with a converted copy per vec_dot_type its weights
 * need. */
typedef struct {
  guint    n_in;
  guint    n_rows;                   /* capacity */
  float   *f32;                      /* n_rows × n_in; the caller writes rows here */
  guint    n_copies;
  struct {
    LbType  type;
    gsize   row_bytes;
    guint8 *data;                    /* n_rows × row_bytes */
  } copies[LB_MATMUL_MAX_COPIES];
} LbMatmulInput;

/* One weight applied to an input: y[t * ldy + r] = (or +=) dot (W row r, x_t). */
typedef struct {
  const LbTensor *w;                 /* [n_in, n_out] */
  float          *y;
  gsize           ldy;
  gboolean        accumulate;        /* add to y (a residual connection) */
} LbMatmulJob;

/* Per-thread scratch for the float kernels: one slice per thread. */
typedef struct {
  float *data;
  gsize  floats_per_thread;
} LbMatmulScratch;

/* TRUE when lb_matmul_run can compute with weights of type t. */
gboolean lb_matmul_supports_type (LbType t);
/* Floats of per-thread scratch needed for rows of up to max_n_in values. */
gsize    lb_matmul_scratch_floats (guint max_n_in);

/* Lays out in (from pool, which may be counting) for n_rows rows of n_in
 * values read by the n_weights given weights (all with ne[0] = n_in and a
 * supported type). */
gboolean lb_matmul_input_init (LbMatmulInput *in, guint n_in, guint n_rows,
                               const LbTensor *const *weights, guint n_weights,
                               LbMemPool *pool, const char *what, GError **error);
/* Converts row `row` of in->f32 into every copy; call after writing it. */
void     lb_matmul_input_prepare_row (const LbMatmulInput *in, guint row);

/* Runs every job over input rows [row0, row0 + n_rows) (output row
 * t - row0), with all jobs' output rows shared out over the pool's threads
 * in one loop. The rows must have been prepared. */
void     lb_matmul_run (LbThreadPool *pool, const LbMatmulInput *in, guint row0, guint n_rows,
                        const LbMatmulJob *jobs, guint n_jobs, const LbMatmulScratch *scratch);

G_END_DECLS
