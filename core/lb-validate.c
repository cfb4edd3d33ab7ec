/* lb-validate.c: targets, their defaults, and the run (lb-validate.h) */
#include "config.h"

#include <math.h>
#include <string.h>

#include "lb-error.h"
#include "lb-tokenizer.h"
#include "lb-validate.h"

typedef struct {
  const char *name;
  const char *label;
  const char *unit;
  gboolean    maximum;
} TargetInfo;

static const TargetInfo targets[LB_N_TARGETS] = {
  [LB_TARGET_SIZE]      = { "size", "file size", "bytes", TRUE },
  [LB_TARGET_KLD]       = { "kld", "mean KLD", "nats", TRUE },
  [LB_TARGET_TOP1]      = { "top1", "same top-1", "fraction", FALSE },
  [LB_TARGET_PPL_RATIO] = { "ppl_ratio", "PPL ratio", "ratio", TRUE },
  [LB_TARGET_LATENCY]   = { "latency", "decode latency", "ms/token", TRUE },
  [LB_TARGET_MEMORY]    = { "memory", "peak memory", "bytes", TRUE },
};

const char *
lb_target_get_name (LbTarget target)
{
  g_return_val_if_fail (target < LB_N_TARGETS, NULL);
  return targets[target].name;
}

const char *
lb_target_get_label (LbTarget target)
{
  g_return_val_if_fail (target < LB_N_TARGETS, NULL);
  return targets[target].label;
}

const char *
lb_target_get_unit (LbTarget target)
{
  g_return_val_if_fail (target < LB_N_TARGETS, NULL);
  return targets[target].unit;
}

gboolean
lb_target_is_maximum (LbTarget target)
{
  g_return_val_if_fail (target < LB_N_TARGETS, TRUE);
  return targets[target].maximum;
}

gboolean
lb_target_from_name (const char *name, LbTarget *out)
{
  for (guint i = 0; name && i < LB_N_TARGETS; i++)
    if (g_ascii_strcasecmp (name, targets[i].name) == 0)
      {
        *out = (LbTarget) i;
        return TRUE;
      }
  return FALSE;
}

/* ---- parameters --------------------------------------------------------------- */

void
lb_validate_params_init (LbValidateParams *params)
{
  LbBenchParams bench = LB_BENCH_PARAMS_INIT;

  g_return_if_fail (params != NULL);

  memset (params, 0, sizeof *params);
  params->enabled[LB_TARGET_SIZE] = TRUE;
  params->limit[LB_TARGET_SIZE] = LB_VALIDATE_DEFAULT_MAX_SIZE;
  params->enabled[LB_TARGET_TOP1] = TRUE;
  params->limit[LB_TARGET_TOP1] = LB_VALIDATE_DEFAULT_MIN_TOP1;
  params->enabled[LB_TARGET_LATENCY] = TRUE;
  params->limit[LB_TARGET_LATENCY] = LB_VALIDATE_DEFAULT_MAX_LATENCY;
  params->enabled[LB_TARGET_MEMORY] = TRUE;
  params->limit[LB_TARGET_MEMORY] = LB_VALIDATE_DEFAULT_MAX_MEMORY;
  bench.skip_bandwidth = TRUE;
  params->bench = bench;
}

gboolean
lb_validate_needs_eval (const LbValidateParams *params)
{
  return params->enabled[LB_TARGET_KLD] || params->enabled[LB_TARGET_TOP1]
         || params->enabled[LB_TARGET_PPL_RATIO];
}

gboolean
lb_validate_needs_bench (const LbValidateParams *params)
{
  return params->enabled[LB_TARGET_LATENCY] || params->enabled[LB_TARGET_MEMORY];
}

gboolean
lb_validate_params_check (const LbValidateParams *params, GError **error)
{
  g_return_val_if_fail (params != NULL, FALSE);

  for (guint i = 0; i < LB_N_TARGETS; i++)
    {
      double v = params->limit[i];

      if (!params->enabled[i])
        continue;
      if (!isfinite (v) || v < 0 || (i == LB_TARGET_TOP1 && v > 1))
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                       "the %s limit %g is out of range (%s)", targets[i].name, v,
                       i == LB_TARGET_TOP1 ? "a fraction from 0 to 1" : "a finite number >= 0");
          return FALSE;
        }
    }
  if (params->enabled[LB_TARGET_LATENCY] && params->bench.n_gen == 0)
    {
      g_set_error_literal (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                           "the latency target needs a benchmark that decodes tokens "
                           "(n_gen > 0)");
      return FALSE;
    }
  if (lb_validate_needs_bench (params) && params->bench.n_gen == 0 && params->bench.n_prompt == 0)
    {
      g_set_error_literal (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                           "the memory target needs a benchmark with a prompt or decoded tokens");
      return FALSE;
    }
  if (params->eval.save_reference || params->eval.reference_cache)
    {
      g_set_error_literal (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                           "validation runs the reference itself: no reference cache");
      return FALSE;
    }
  return TRUE;
}

/* ---- the reference's own perplexity -------------------------------------------------- */

/* lb-eval's ppl_base comes from the stored reference, whose log-probabilities
 * are clipped 16 nats below the top: a model compared with itself would get a
 * ratio above 1 (about 1.02 for mini-qwen2). So the ratio's denominator is
 * the reference run as the candidate is: the same chunks and scored
 * positions, its full logits, one more pass of the reference. */
#define PPL_SLICE 32

static gboolean
reference_perplexity (LbModel *reference, const char *text, gssize len, guint n_ctx,
                      guint n_chunks, const LbValidateParams *params, double *ppl,
                      GCancellable *cancellable, GError **error)
{
  LbTokenizer *tok = lb_model_get_tokenizer (reference);
  gint32 bos = lb_tokenizer_get_add_bos (tok) ? lb_tokenizer_get_bos (tok) : -1;
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_autoptr (LbEvalBackend) backend = NULL;
  g_autofree gint32 *chunks = NULL;
  g_autofree float *logits = NULL;
  guint got = 0, first = n_ctx / 2;
  double sum = 0;
  guint64 count = 0;

  if (!lb_tokenizer_encode (tok, text, len, TRUE, ids, error))
    return FALSE;
  chunks = lb_eval_make_chunks ((const gint32 *) ids->data, ids->len, n_ctx, n_chunks, bos, &got,
                                error);
  if (chunks == NULL)
    return FALSE;
  backend = lb_eval_backend_new (reference, params->eval.engine, n_ctx, params->eval.n_threads,
                                 error);
  if (backend == NULL)
    return FALSE;
  logits = g_new (float, (gsize) PPL_SLICE * backend->n_vocab);

  for (guint c = 0; c < got; c++)
    {
      const gint32 *chunk = chunks + (gsize) c * n_ctx;

      if (g_cancellable_set_error_if_cancelled (cancellable, error)
          || !backend->reset (backend, error)
          || !backend->forward (backend, chunk, first, NULL, error))
        return FALSE;
      for (guint pos = first; pos + 1 < n_ctx; pos += PPL_SLICE)
        {
          guint n = MIN (PPL_SLICE, n_ctx - 1 - pos);

          if (!backend->forward (backend, chunk + pos, n, logits, error))
            return FALSE;
          for (guint i = 0; i < n; i++)
            {
              const float *x = logits + (gsize) i * backend->n_vocab;
              gint32 target = chunk[pos + i + 1];
              float max = x[0];
              double s = 0;

              for (guint v = 1; v < backend->n_vocab; v++)
                max = MAX (max, x[v]);
              for (guint v = 0; v < backend->n_vocab; v++)
                s += expf (x[v] - max);
              sum += max + (float) log (s) - x[target];
              count++;
            }
        }
    }
  *ppl = count ? exp (sum / (double) count) : NAN;
  return TRUE;
}

/* ---- the run --------------------------------------------------------------------- */

void
lb_validate_report_free (LbValidateReport *report)
{
  if (report == NULL)
    return;
  g_free (report->candidate);
  g_free (report->reference);
  g_clear_pointer (&report->eval, lb_eval_result_free);
  g_clear_pointer (&report->bench, lb_bench_result_free);
  g_free (report);
}

char *
lb_validate_report_failed_names (const LbValidateReport *report)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < LB_N_TARGETS; i++)
    if (report->targets[i].checked && !report->targets[i].passed)
      g_string_append_printf (s, "%s%s", s->len ? ", " : "", targets[i].name);
  return g_string_free (s, FALSE);
}

LbValidateReport *
lb_validate_run (LbModel *candidate, LbModel *reference, const char *text, gssize len,
                 const LbValidateParams *params, LbProgressFunc progress,
                 gpointer progress_data, GCancellable *cancellable, GError **error)
{
  g_autoptr (LbValidateReport) report = NULL;
  double value[LB_N_TARGETS] = { 0 };

  g_return_val_if_fail (LB_IS_MODEL (candidate), NULL);
  g_return_val_if_fail (reference == NULL || LB_IS_MODEL (reference), NULL);
  g_return_val_if_fail (params != NULL, NULL);

  if (!lb_validate_params_check (params, error))
    return NULL;
  if (lb_validate_needs_eval (params) && (reference == NULL || text == NULL))
    {
      g_set_error_literal (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                           "the accuracy targets (kld, top1, ppl_ratio) need a reference model "
                           "and a text; give both or skip those targets");
      return NULL;
    }

  report = g_new0 (LbValidateReport, 1);
  report->ppl_reference = NAN;
  report->candidate = g_strdup (lb_model_get_path (candidate));
  value[LB_TARGET_SIZE] = (double) lb_model_get_file_size (candidate);

  /* the benchmark first: its memory peak should not hold the evaluation's */
  if (lb_validate_needs_bench (params))
    {
      report->bench = lb_bench_run (candidate, &params->bench, NULL, NULL, progress,
                                    progress_data, cancellable, error);
      if (report->bench == NULL)
        return NULL;
      value[LB_TARGET_LATENCY] = report->bench->decode_ms_mean;
      value[LB_TARGET_MEMORY] = (double) report->bench->peak_rss;
    }

  if (lb_validate_needs_eval (params))
    {
      LbEvalResult *r;

      report->reference = g_strdup (lb_model_get_path (reference));
      r = lb_eval_run (candidate, reference, text, len, &params->eval, progress, progress_data,
                       cancellable, error);
      if (r == NULL)
        return NULL;
      report->eval = r;
      value[LB_TARGET_KLD] = r->mean_kld;
      value[LB_TARGET_TOP1] = r->same_top1;
      if (params->enabled[LB_TARGET_PPL_RATIO])
        {
          if (!reference_perplexity (reference, text, len, r->n_ctx, r->n_chunks, params,
                                     &report->ppl_reference, cancellable, error))
            return NULL;
          value[LB_TARGET_PPL_RATIO] = r->ppl / report->ppl_reference;
        }
    }

  report->passed = TRUE;
  for (guint i = 0; i < LB_N_TARGETS; i++)
    {
      LbTargetResult *t = &report->targets[i];

      t->target = (LbTarget) i;
      t->checked = params->enabled[i];
      t->limit = params->limit[i];
      t->value = t->checked ? value[i] : NAN;
      if (!t->checked)
        continue;
      /* comparisons with NaN are false: a NaN value fails */
      t->passed = targets[i].maximum ? t->value <= t->limit : t->value >= t->limit;
      if (!t->passed)
        {
          report->n_failed++;
          report->passed = FALSE;
        }
    }
  return g_steal_pointer (&report);
}
