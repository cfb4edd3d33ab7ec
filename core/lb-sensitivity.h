/* lb-sensitivity.h: how much each part of a model cares about precision.
 *
 * For each group of weight matrices (one tensor, all matrices of a block,
 * or all matrices of a kind such as every attn_v) and each candidate type,
 * the mean KL divergence from the unquantized model when ONLY that group is
 * quantized to that type and every other tensor keeps its own type, on a
 * short calibration slice of a text (lb-eval.h's protocol: chunks of n_ctx
 * tokens, the second half of each scored). The reference's
 * log-probabilities are computed once into an lb-logit-cache file and every
 * cell reads them; the cells run on n_jobs threads, each building its
 * variant (lb-variant.h, zero-copy for untouched tensors) and running an
 * engine of n_threads threads.
 *
 * delta_kld = kld (group quantized) - kld (nothing quantized); the second
 * is not exactly 0 because the reference is stored with 16-bit resolution.
 *
 * Beside the measurement, a cheap proxy per cell from the weights alone
 * (lb-tensor-error.h): with importance w_c of column c (1 without an
 * imatrix), err = sum w_c (x - y)^2 over the group's elements, the
 * expected squared error of its outputs under a diagonal input covariance,
 * and rel_err = err / sum w_c x^2 (the output noise-to-signal ratio).
 *
 * Results are cached in a JSON file: cells keyed by a fingerprint of the
 * model, of the importance data, of the evaluated tokens and of the engine
 * and context, so a rerun (or a run with more types or another grouping
 * that shares cells) computes only what is missing. The reference's
 * log-probabilities are kept beside the cache (CACHE.<key>.lbref) so that
 * adding types later does not rerun it. One process per cache file: two
 * runs writing the same file keep the last one's cells.
 *
 * Cost. A run evaluates groups x types cells (those not cached), each a
 * forward pass over n_chunks x n_ctx tokens plus re-quantizing the group,
 * and one reference pass worth two cells. A Qwen2.5-1.5B-shaped model has
 * 197 weight matrices (28 blocks x 7 + the tied embedding): with 6 types
 * that is 1182 cells by tensor, 174 by layer (29 groups) and 48 by kind
 * (8 groups); at 4 x 512 tokens a cell is 2048 tokens of a 1.5B forward
 * pass (~6 TFLOP). What keeps it practical: group by kind or layer (on
 * mini-qwen2 the kind-level plan keeps most of the per-tensor plan's gain
 * at 1/7 of the cells, see tests/bench/plan-vs-llamacpp.sh), short slices
 * (the cells only need to rank, not to be precise), n_jobs, the cache, and
 * the proxy. The proxy is NOT a substitute for the measurement: on
 * mini-qwen2 it ranks the types well (Spearman 0.84 with the measured
 * delta over all 342 tensor x type cells) but ranks tensors poorly at a
 * given type (0.35 on average), and a plan ranked by it alone loses to
 * llama.cpp's Q4_K_M mix (lb_sensitivity_proxy_rank_within_types). */
#pragma once

#include <gio/gio.h>

#include "lb-eval.h"
#include "lb-imatrix.h"
#include "lb-model.h"
#include "lb-progress.h"

G_BEGIN_DECLS

typedef enum {
  LB_SENS_GROUP_TENSOR,  /* each weight matrix alone */
  LB_SENS_GROUP_LAYER,   /* blk.N: every matrix of a block; others alone */
  LB_SENS_GROUP_KIND,    /* attn_q, ffn_down...: the same matrix of every block */
} LbSensGroupBy;

const char *lb_sens_group_by_to_string   (LbSensGroupBy by);
gboolean    lb_sens_group_by_from_string (const char *name, LbSensGroupBy *out);

typedef struct {
  const LbType  *types;          /* candidate types (after fallbacks, see below) */
  guint          n_types;
  LbSensGroupBy  group_by;
  gboolean       measure;        /* FALSE: the weight proxy only (no text needed) */
  guint          n_ctx;          /* 0: 512 */
  guint          n_chunks;       /* 0: 4 */
  guint          n_threads;      /* engine and quantizer threads per job; 0: all */
  guint          n_jobs;         /* cells evaluated at once; 0: 1 */
  LbEvalEngine   engine;
  LbImatrix     *imatrix;        /* used when quantizing; NULL: none */
  const char    *cache_path;     /* JSON cache read and updated; NULL: none */
  const char    *text_name;      /* recorded in the results; NULL: "text" */
} LbSensitivityParams;

void lb_sensitivity_params_init (LbSensitivityParams *params);

/* One group under one type. Types that a tensor's rows do not fit fall
 * back as lb_recipe_resolve does; bytes are those of the types used. */
typedef struct {
  LbType   type;        /* as asked */
  guint64  bytes;       /* data bytes of the group's tensors in that type */
  gboolean measured;
  double   kld;         /* mean KLD with this cell quantized (NaN: not measured) */
  double   delta_kld;   /* kld - the base's */
  double   same_top1;   /* fraction */
  double   err;         /* proxy: importance-weighted squared weight error */
  double   rel_err;     /* err / importance-weighted squared weights */
} LbSensCell;

typedef struct _LbSensitivity LbSensitivity;

LbSensitivity *lb_sensitivity_ref   (LbSensitivity *sens);
void           lb_sensitivity_unref (LbSensitivity *sens);

/* Runs the analysis of model over text (len bytes or -1; may be NULL when
 * params->measure is FALSE). Fails (naming the option) on no types, a type
 * Lowbit cannot produce, a text too short for one chunk; on cancellation
 * (G_IO_ERROR_CANCELLED) after saving the finished cells to the cache. */
LbSensitivity *lb_sensitivity_compute (LbModel *model, const char *text, gssize len,
                                       const LbSensitivityParams *params,
                                       LbProgressFunc progress, gpointer progress_data,
                                       GCancellable *cancellable, GError **error);
/* The same on a worker thread (the text and params' strings are copied;
 * model and imatrix are kept alive); progress is called from that thread. */
void           lb_sensitivity_compute_async  (LbModel *model, const char *text, gssize len,
                                              const LbSensitivityParams *params,
                                              LbProgressFunc progress, gpointer progress_data,
                                              GCancellable *cancellable,
                                              GAsyncReadyCallback callback, gpointer user_data);
LbSensitivity *lb_sensitivity_compute_finish (GAsyncResult *result, GError **error);

/* A table made by hand (tests, or another tool's numbers): n_groups
 * groups named names[g], each listing its tensors, with n_types cells each
 * (cells[g * n_types + t]). */
LbSensitivity *lb_sensitivity_new_from_cells (const LbType *types, guint n_types,
                                              const char * const *names,
                                              const char * const * const *tensors,
                                              guint n_groups, const LbSensCell *cells);

/* The JSON of lowbit sensitivity --json, and back. Loading validates every
 * member (errors name the file, group and field). */
char          *lb_sensitivity_to_json   (LbSensitivity *sens);
gboolean       lb_sensitivity_save      (LbSensitivity *sens, const char *path, GError **error);
LbSensitivity *lb_sensitivity_load      (const char *path, GError **error);
LbSensitivity *lb_sensitivity_load_from_data (const char *data, gssize len, const char *source_name,
                                              GError **error);

guint          lb_sensitivity_get_n_types  (LbSensitivity *sens);
LbType         lb_sensitivity_get_type     (LbSensitivity *sens, guint t);
/* index of type among the table's types, or -1 */
gint           lb_sensitivity_find_type    (LbSensitivity *sens, LbType type);
guint          lb_sensitivity_get_n_groups (LbSensitivity *sens);
const char    *lb_sensitivity_get_group_name (LbSensitivity *sens, guint g);
/* NULL-terminated, owned by sens */
const char * const *lb_sensitivity_get_group_tensors (LbSensitivity *sens, guint g);
const LbSensCell *lb_sensitivity_get_cell  (LbSensitivity *sens, guint g, guint t);
LbSensGroupBy  lb_sensitivity_get_group_by (LbSensitivity *sens);
gboolean       lb_sensitivity_is_measured  (LbSensitivity *sens);
/* the fingerprint of the model analysed ("" for a hand-made table) */
const char    *lb_sensitivity_get_model_fingerprint (LbSensitivity *sens);
double         lb_sensitivity_get_base_kld (LbSensitivity *sens);
/* cells evaluated in the run that made the table, and of those found in the cache */
void           lb_sensitivity_get_counts   (LbSensitivity *sens, guint *n_evaluated,
                                            guint *n_cached, double *seconds);

/* Rank (Spearman) and log-log (Pearson of the logs) correlation of the
 * measured delta_kld with the proxy (rel_err when use_rel, else err) over
 * the measured cells with positive values; NaN when fewer than 3. */
void           lb_sensitivity_proxy_correlation (LbSensitivity *sens, gboolean use_rel,
                                                 double *spearman, double *log_pearson,
                                                 guint *n_cells);

/* The same rank correlation within each type column (does the proxy tell
 * which tensors matter at a given precision?), averaged over the columns
 * with at least 3 usable cells; NaN when none has. */
double         lb_sensitivity_proxy_rank_within_types (LbSensitivity *sens, gboolean use_rel);

/* A cheap content fingerprint of a model (hex SHA-256 of its architecture,
 * tensor table and 16 windows of 4 KiB spread over each tensor's bytes):
 * enough to tell models apart, not a checksum of every byte. */
char          *lb_sensitivity_fingerprint_model (LbModel *model);

/* The weight matrices a recipe quantizes, in the order a quantized file
 * lists them, and for each of types what the tensor really gets (rows that
 * do not fit a type's blocks fall back as lb_recipe_resolve decides) and
 * its data bytes in that type. */
typedef struct {
  const LbTensor *tensor;
  LbType         *types;   /* n_types */
  guint64        *bytes;   /* n_types */
} LbSensTarget;

/* GPtrArray of LbSensTarget (freed with the array); NULL + error when a
 * type is not one a recipe can name or Lowbit cannot produce. */
GPtrArray     *lb_sensitivity_list_targets (LbModel *model, const LbType *types, guint n_types,
                                            GError **error);

/* Group of a tensor name under by ("blk.3", "attn_v", or the name itself). */
char          *lb_sens_group_of (const char *tensor_name, LbSensGroupBy by);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbSensitivity, lb_sensitivity_unref)

G_END_DECLS
