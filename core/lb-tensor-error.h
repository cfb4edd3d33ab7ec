/* lb-tensor-error.h: how far a tensor's weights move under quantization.
 *
 * x is the reference weights (the tensor as stored, converted to float), y
 * the candidate (x quantized to a type and converted back, or a second
 * tensor of the same shape). Over all n elements:
 *   MSE      = sum (x - y)^2 / n
 *   SNR (dB) = 10 log10 (sum x^2 / sum (x - y)^2)   (+inf when x == y)
 *   cosine   = sum x y / sqrt (sum x^2 sum y^2)     (1 when both are zero)
 *   max abs  = max |x - y|
 * With importance w (one non-negative weight per column, llama.cpp's
 * imatrix layout; or per column of each matrix of a 3-D tensor):
 *   weighted MSE      = sum w_c (x - y)^2 / sum w_c   (sums over every element)
 *   weighted SNR (dB) = 10 log10 (sum w_c x^2 / sum w_c (x - y)^2)
 *
 * The error map splits the rows into map_rows bands and the columns into
 * map_cols bands (cell i covers rows [i R / map_rows, (i + 1) R / map_rows))
 * and gives each cell's SNR, for heatmaps.
 *
 * Everything streams: a row at a time per thread, memory independent of the
 * tensor's size. Results do not depend on the number of threads. */
#pragma once

#include <gio/gio.h>

#include "lb-tensor.h"
#include "lb-threadpool.h"

G_BEGIN_DECLS

typedef struct {
  gint64   n_elements;
  double   mse;
  double   snr_db;
  double   cosine;
  double   max_abs;
  double   rms;              /* of the reference, sqrt (sum x^2 / n): the scale of the MSE */
  gboolean weighted;         /* importance was given; the two below are NaN otherwise */
  double   weighted_mse;
  double   weighted_snr_db;
} LbTensorError;

typedef struct {
  guint   n_rows;     /* cells down (row bands) */
  guint   n_cols;     /* cells across (column bands) */
  gint64  tensor_rows;
  gint64  tensor_cols;
  double *snr_db;     /* n_rows * n_cols, row-major; +inf where a cell has no error */
} LbErrorMap;

void     lb_error_map_free (LbErrorMap *map);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbErrorMap, lb_error_map_free)

typedef struct {
  const float  *importance;    /* NULL, or n_importance weights (see above) */
  gsize         n_importance;
  guint         map_rows;      /* 0: no map; clamped to the tensor's rows */
  guint         map_cols;      /* 0: no map; clamped to its columns */
  LbThreadPool *pool;          /* NULL: the calling thread only */
} LbTensorErrorParams;

#define LB_TENSOR_ERROR_PARAMS_INIT { NULL, 0, 0, 0, NULL }

/* The error of quantizing tensor to type: each row is converted to float,
 * quantized (with the importance, as the quantizer would use it), and
 * converted back. map: NULL, or receives the error map when params asks
 * for one. Fails (naming the tensor and type) when a row does not fit the
 * type, a type cannot be read or produced, the importance has the wrong
 * size, a weight is NaN/Inf, or on cancellation. */
gboolean lb_tensor_error_under_type (const LbTensor *tensor, LbType type,
                                     const LbTensorErrorParams *params, LbTensorError *out,
                                     LbErrorMap **map, GCancellable *cancellable,
                                     GError **error);

/* The same for two tensors of the same shape (any readable types), e.g.
 * the f16 weights and the blocks of a quantized file. */
gboolean lb_tensor_error_compare    (const LbTensor *reference, const LbTensor *candidate,
                                     const LbTensorErrorParams *params, LbTensorError *out,
                                     LbErrorMap **map, GCancellable *cancellable,
                                     GError **error);

/* ---- the accumulator both use, for other float data ---------------------- */

typedef struct {
  gint64 n;
  double sum_x2, sum_y2, sum_xy, sum_d2;
  double max_abs;
  double sum_w, sum_wx2, sum_wd2;
  gboolean weighted;
} LbErrorAccum;

void     lb_error_accum_init   (LbErrorAccum *acc);
/* w: NULL or n weights */
void     lb_error_accum_add    (LbErrorAccum *acc, const float *x, const float *y,
                                const float *w, gsize n);
void     lb_error_accum_merge  (LbErrorAccum *acc, const LbErrorAccum *other);
void     lb_error_accum_finish (const LbErrorAccum *acc, LbTensorError *out);
/* 10 log10 (signal / noise) with the conventions above: +inf for no noise,
 * -inf for noise without signal, +inf for neither */
double   lb_snr_db             (double signal, double noise);

G_END_DECLS
