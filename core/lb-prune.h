/* lb-prune.h: magnitude pruning of weight matrices, per row, unstructured
 * or N:M, optionally weighted by importance data.
 *
 * Each weight gets a score, |w| (or |w| * sqrt (importance[col]) with
 * importance data: the weight's size times the RMS of the activation it
 * multiplies), and the lowest-scored weights of each row become exact
 * zeros:
 *   unstructured  round (sparsity * n) weights of every row of n;
 *   N:M           in every group of M consecutive weights of a row, all
 *                 but the N highest-scored (a row must split into whole
 *                 groups).
 * Ties go by column: of two equal scores the lower column is pruned first,
 * so the result never depends on the order of the work. Weights that are
 * already zero score 0 and count towards the quota.
 *
 * Which tensors: by default the 2-D weight matrices of the blocks
 * ("blk.N.*.weight": attention and feed-forward projections), never the
 * norms, biases, token embedding or output projection. Include patterns
 * (lb-recipe.h syntax) replace that set with the tensors they match, of
 * any shape; exclude patterns then remove tensors from it.
 *
 * Pruning works in float: rows are read in the tensor's type, pruned and
 * stored back in it (F32, F16 and BF16 keep every zero exact; a quantized
 * tensor is re-quantized to its own type, where zeros stay exact only in
 * the symmetric formats such as Q8_0 and Q4_0). To compose with a recipe,
 * quantize the pruned model (lb-quantize.h): the quantizer reads the zeros. */
#pragma once

#include <gio/gio.h>

#include "lb-imatrix.h"
#include "lb-model.h"
#include "lb-progress.h"
#include "lb-variant.h"

G_BEGIN_DECLS

/* the largest group of an N:M pattern */
#define LB_PRUNE_MAX_GROUP 256

typedef struct {
  double              sparsity;   /* unstructured: 0 <= sparsity < 1 (ignored with m > 0) */
  guint               n, m;       /* m > 0: N:M, 1 <= n < m <= LB_PRUNE_MAX_GROUP */
  const char * const *include;    /* NULL-terminated patterns, or NULL: the default set */
  const char * const *exclude;    /* NULL-terminated patterns, or NULL */
  LbImatrix          *importance; /* NULL: plain magnitude */
  guint               n_threads;  /* 0: one per processor */
} LbPruneParams;

typedef struct {
  char    *name;
  LbType   type;            /* the type the pruned data is stored in: the tensor's own,
                             * or F16 when Lowbit cannot produce that type */
  gint64   n_cols;          /* row length */
  gint64   n_rows;
  guint64  n_elements;
  guint64  n_zero_before;   /* exact zeros before pruning */
  guint64  n_zero;          /* exact zeros in the stored result */
  gboolean importance_used; /* FALSE also when the importance data has no entry for it */
} LbPruneTensorStat;

typedef struct {
  GArray  *tensors;         /* LbPruneTensorStat, in model order */
  guint64  n_elements;      /* of the pruned tensors */
  guint64  n_zero;          /* zeros in them after pruning */
  guint64  n_model_elements;/* of every tensor of the model */
  char   **warnings;        /* NULL-terminated (e.g. an exclude pattern matched nothing) */
  double   seconds;
} LbPruneReport;

void      lb_prune_report_free     (LbPruneReport *report);
/* n_zero / n_elements of the pruned tensors (0 when none) */
double    lb_prune_report_sparsity (const LbPruneReport *report);

/* "2:4" -> n 2, m 4; FALSE + LB_ERROR_INVALID_ARGUMENT when malformed or
 * out of range (1 <= n < m <= LB_PRUNE_MAX_GROUP). */
gboolean  lb_prune_parse_pattern   (const char *text, guint *n, guint *m, GError **error);
/* Checks the numbers and patterns of params (LB_ERROR_INVALID_ARGUMENT). */
gboolean  lb_prune_params_check    (const LbPruneParams *params, GError **error);
/* Whether params select tensor t (default set, include, exclude). */
gboolean  lb_prune_selects         (const LbPruneParams *params, const LbTensor *t);

/* Row primitives. row: n finite floats, changed in place; importance: NULL
 * or n non-negative values. Return the number of zeros in the row after.
 * lb_prune_row needs keys: scratch of n values (n < 2^32). */
guint64   lb_prune_row             (float *row, gint64 n, const float *importance,
                                    double sparsity, guint64 *keys);
/* FALSE when n is not a multiple of m; *n_zero gets the zeros after */
gboolean  lb_prune_row_nm          (float *row, gint64 n, const float *importance,
                                    guint keep, guint m, guint64 *n_zero);

/* Prunes one tensor: new bytes in stat->type (same shape). Fails on NaN/Inf
 * weights (LB_ERROR_NUMERIC naming row and column), on an unreadable type,
 * on rows that do not split into groups of m, on importance data of
 * another size, and on cancellation. */
GBytes   *lb_prune_tensor          (const LbTensor *t, const LbPruneParams *params,
                                    LbPruneTensorStat *stat, GCancellable *cancellable,
                                    GError **error);

/* Prunes the selected tensors of the variant's base into overrides of the
 * variant (replacing any override they had). All or nothing. Fails when
 * nothing is selected or an include pattern matches no tensor. */
gboolean  lb_prune_variant         (LbVariant *variant, const LbPruneParams *params,
                                    LbPruneReport **report,
                                    LbProgressFunc progress, gpointer progress_data,
                                    GCancellable *cancellable, GError **error);
/* The same into a new model (the base's unchanged tensors are views). */
LbModel  *lb_prune_model           (LbModel *model, const LbPruneParams *params,
                                    LbPruneReport **report,
                                    LbProgressFunc progress, gpointer progress_data,
                                    GCancellable *cancellable, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbPruneReport, lb_prune_report_free)

G_END_DECLS
