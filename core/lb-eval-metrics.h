/* lb-eval-metrics.h: the pure math of `lowbit eval`, one position at a time.
 *
 * The comparison against a reference follows llama.cpp's perplexity tool
 * (--kl-divergence): the reference's log-probabilities are stored with 16-bit
 * resolution over the 16 nats below the top logit, and the KL divergence sums
 * p_base * (log p_base - log p_cand) over the tokens whose stored base
 * log-probability is above -16. The float/double mix of that tool is kept so
 * that figures agree to rounding. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define LB_EVAL_CLIP_NATS 16.0f  /* clip below the top logit, and KLD cut-off */
#define LB_EVAL_TOP_K     5      /* top-k agreement */

/* Makes a row of logits usable by softmax, deterministically: NaN becomes
 * -Inf; when any value is +Inf, the +Inf values become 0 and all others -Inf
 * (the infinities share the mass); when every value is -Inf, all become 0
 * (uniform). Returns TRUE when anything was changed. n > 0. */
gboolean lb_eval_sanitize_logits   (float *x, gsize n);

/* out[i] = log softmax (x)[i], in double, for sanitized logits (finite or
 * -Inf, at least one finite); -Inf stays -Inf. */
void     lb_eval_log_softmax       (const float *x, gsize n, double *out);

/* sum_i p_i (log p_i - log q_i) from log-probabilities, in double. Terms
 * with p_i = 0 count 0; p_i > 0 with q_i = 0 gives +Inf. */
double   lb_eval_kl_divergence     (const double *log_p, const double *log_q, gsize n);

/* The k largest values' indices, largest first, ties to the lower index
 * (k <= n, k <= LB_EVAL_TOP_K is not required). NaN never ranks. */
void     lb_eval_top_k             (const float *x, gsize n, guint k, guint32 *top);
void     lb_eval_top_k_u16         (const guint16 *x, gsize n, guint k, guint32 *top);
/* |a ∩ b| for two lists of k distinct ids */
guint    lb_eval_top_k_overlap     (const guint32 *a, const guint32 *b, guint k);

/* Logit errors of one row, candidate a against reference b: sum of squared
 * differences, cosine similarity and largest |difference|. Equal values
 * (including equal infinities) differ by 0; any other non-finite pair makes
 * sse and max_abs +Inf and the cosine NaN. Zero rows: cosine 1 when both
 * are zero, 0 when one is. */
void     lb_eval_logit_errors      (const float *a, const float *b, gsize n,
                                    double *sse, double *cosine, float *max_abs);

/* ---- the clipped 16-bit reference ------------------------------------- */

/* One scored position of the reference, as stored: log p_i = scale * q_i +
 * min_log_prob. Only the tokens whose log p is above -16 take part in the
 * KL divergence: they are listed (ids ascending) with their q. */
typedef struct {
  float          scale;
  float          min_log_prob;
  guint16        q_target;      /* q of the token that comes next */
  guint32        top[LB_EVAL_TOP_K];  /* largest q first, ties to the lower id */
  guint          n_top;         /* MIN (LB_EVAL_TOP_K, n_vocab) */
  guint          n_kept;
  const guint32 *kept_ids;
  const guint16 *kept_q;
} LbEvalBasePos;

/* Quantizes sanitized reference logits as llama.cpp stores them: q[n],
 * *scale, *min_log_prob. */
void     lb_eval_base_quantize     (const float *logits, gsize n, guint16 *q,
                                    float *scale, float *min_log_prob);
/* The stored log-probability of one token (float arithmetic, as read back). */
float    lb_eval_base_log_prob     (float scale, float min_log_prob, guint16 q);
/* Whether a stored log-probability takes part in the KL sum. */
gboolean lb_eval_base_is_kept      (float log_prob);
/* Fills pos from a quantized row: the kept lists go to kept_ids/kept_q,
 * which must hold n entries, and pos points at them. */
void     lb_eval_base_pos_from_q   (LbEvalBasePos *pos, const guint16 *q, gsize n,
                                    float scale, float min_log_prob, gint32 target,
                                    guint32 *kept_ids, guint16 *kept_q);

/* What one position contributes. */
typedef struct {
  double   kld;          /* clipped KL divergence (base || candidate), nats */
  float    nll;          /* -log p_cand (target) */
  float    nll_base;     /* -log p_base (target), clipped */
  float    p_diff;       /* p_cand (target) - p_base (target) */
  gboolean same_top;     /* argmax of the candidate is the base's top */
  guint    top_overlap;  /* how many of the candidate's top-k rank in the base's top-k */
} LbEvalPosResult;

/* Compares sanitized candidate logits (n values) with a stored base
 * position; target is the token that comes next. A candidate token ranks
 * as the base's top (or in its top-k) when it is that id, or when its
 * stored 16-bit code ties with it: llama.cpp compares ids only, so two
 * tokens the rounding made equal count there as a miss (for mini-qwen2 f16
 * against itself, 15 of 206805 positions). */
void     lb_eval_compare_position  (const float *logits, gsize n, const LbEvalBasePos *base,
                                    gint32 target, LbEvalPosResult *out);

/* ---- summaries ----------------------------------------------------------- */

/* llama.cpp's percentile of sorted values: linear interpolation at
 * fraction * (n - 1), in float. NaN when n is 0. */
float    lb_eval_percentile        (const float *sorted, gsize n, float fraction);
/* middle value, or the mean of the two middle values for even n */
float    lb_eval_median            (const float *sorted, gsize n);
/* sorts ascending; NaN last */
void     lb_eval_sort_floats       (float *values, gsize n);
/* mean and its standard error from a sum and a sum of squares; the error is
 * 0 for 10 values or fewer (as llama.cpp) */
void     lb_eval_mean_and_error    (double sum, double sum2, guint64 count,
                                    double *mean, double *error);

G_END_DECLS
