/* lb-heat-metric.h: what the error map can show, and measuring it.
 *
 * The map has one cell per weight matrix: layers × the seven kinds of a
 * block, then token_embd and output. A target is a set of types for those
 * cells (the session's current map, or a preset or recipe to compare with);
 * measuring it gives one value per cell:
 *
 *   weight SNR        10 log10 (sum x^2 / sum (x - q(x))^2) of the tensor's
 *                     weights under its type (lb-tensor-error.h)
 *   weighted SNR      the same with each column weighted by its importance
 *                     (needs importance data)
 *   ΔKLD              the mean KL divergence added by quantizing that tensor
 *                     alone to its type (lb-kld-cells.h; needs a text)
 *   layer cosine      the cosine between each layer's output (hidden state)
 *                     and the original model's, over a text, with every
 *                     tensor in its type (lb-layer-error.h). It belongs to
 *                     a layer, not a tensor: every cell of a row shows the
 *                     layer's value, and the tooltips split the layer's
 *                     error into what its attention and its MLP add alone.
 *                     The cells outside the layers have none.
 *
 * Cells kept as stored have no error: NaN (drawn grey). */
#pragma once

#include <gio/gio.h>

#include "lb-charts.h"
#include "lb-job.h"
#include "lb-kld-cells.h"
#include "lb-variant.h"
#include "lowbit.h"

G_BEGIN_DECLS

typedef enum {
  LB_HEAT_WEIGHT_SNR,
  LB_HEAT_WEIGHTED_SNR,
  LB_HEAT_DELTA_KLD,
  LB_HEAT_LAYER_COSINE,
  LB_HEAT_N_METRICS
} LbHeatMetric;

/* For the drop-down (translated) */
const char   *lb_heat_metric_get_name        (LbHeatMetric metric);
/* The legend's caption (short: the legend has little room), "SNR (dB)" */
const char   *lb_heat_metric_get_legend      (LbHeatMetric metric);
/* A sentence for the page, what the colours mean */
const char   *lb_heat_metric_get_description (LbHeatMetric metric);
gboolean      lb_heat_metric_higher_is_better (LbHeatMetric metric);
LbChartFormat lb_heat_metric_get_format      (LbHeatMetric metric);
gboolean      lb_heat_metric_get_log_scale   (LbHeatMetric metric);
gboolean      lb_heat_metric_needs_text      (LbHeatMetric metric);
gboolean      lb_heat_metric_needs_importance (LbHeatMetric metric);
/* The colour range of one or two value arrays of n cells: fixed for the
 * SNRs (10–40 dB: 2-bit red to 7-bit green), the data's otherwise (up to
 * 1 for cosines, positive values only on a log scale). FALSE when no value
 * is finite. */
gboolean      lb_heat_metric_get_range       (LbHeatMetric metric, const double *a,
                                              const double *b, guint n, double *min,
                                              double *max);
/* How much better b is than a, in the metric's unit (positive: b better) */
double        lb_heat_metric_improvement     (LbHeatMetric metric, double a, double b);

/* One set of types to measure */
typedef struct {
  gboolean    current;    /* the session's variant (the layer metric builds it from there) */
  LbVariant  *variant;    /* current only */
  LbRecipe   *recipe;     /* not current: resolved on the worker into types */
  char       *profile;
  LbImatrix  *imatrix;    /* quantize with it; NULL: none */
  LbType     *types;      /* n; LB_TYPE_COUNT where there is no such tensor (current: given) */
} LbHeatTarget;

/* What a measurement needs; owns everything it points to */
typedef struct {
  LbModel      *model;
  LbHeatMetric  metric;
  guint         n_layers;
  guint         n;          /* cells */
  char        **names;      /* n; NULL where the model has no such tensor */
  guint         n_threads;
  char         *text_path;  /* for the text metrics */
  guint         n_ctx;      /* their slice of it: chunks of n_ctx tokens */
  guint         n_chunks;
  LbKldCells   *kld_cells;  /* for ΔKLD: the shared setup */
  LbHeatTarget  targets[2];
  guint         n_targets;
} LbHeatRequest;

/* Per target: values (and for the SNRs the weighted values too), notes
 * for the tooltips, and the types measured */
typedef struct {
  double  *values;        /* n */
  double  *weighted;      /* n: the SNR job fills both SNRs; NULL otherwise */
  gboolean has_weighted;
  char   **notes;         /* n strings (NULL entries), or NULL */
  LbType  *types;         /* n */
} LbHeatValues;

typedef struct {
  guint         n;
  LbHeatValues  targets[2];
  guint         n_targets;
} LbHeatResult;

void          lb_heat_request_free (gpointer request);
void          lb_heat_result_free  (gpointer result);

/* An LbJobThreadFunc: task_data is an LbHeatRequest, the result an LbHeatResult */
gpointer      lb_heat_measure_thread (LbJob *job, gpointer task_data, GCancellable *cancellable,
                                      GError **error);

G_END_DECLS
