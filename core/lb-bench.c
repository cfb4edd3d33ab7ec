/* lb-bench.c: lb_bench_run and its statistics */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lb-bandwidth.h"
#include "lb-bench.h"
#include "lb-engine.h"
#include "lb-error.h"

/* llama-bench's default micro-batch: prompts longer than this are split */
#define BENCH_MAX_BATCH 512

void
lb_bench_result_free (LbBenchResult *result)
{
  if (result == NULL)
    return;
  g_clear_pointer (&result->samples, g_array_unref);
  g_free (result);
}

guint64
lb_bench_weight_bytes_per_token (LbModel *model)
{
  const LbHParams *hp = lb_model_get_hparams (model);
  const LbTensor *embd = lb_model_get_token_embd (model);
  const LbTensor *output = lb_model_get_output (model);
  const LbTensor *norm = lb_model_get_output_norm (model);
  guint64 bytes = lb_tensor_row_bytes (embd);

  if (norm)
    bytes += norm->n_bytes;
  if (output)
    bytes += output->n_bytes;   /* the whole embedding again when tied */
  if (hp->has_rope_freqs && hp->n_layer > 0)
    bytes += lb_model_get_layer (model, 0)->rope_freqs->n_bytes;
  for (guint il = 0; il < hp->n_layer; il++)
    {
      const LbLayerWeights *l = lb_model_get_layer (model, il);
      const LbTensor *ts[] = { l->attn_norm, l->wq, l->wk, l->wv, l->wo, l->bq, l->bk, l->bv,
                               l->ffn_norm, l->ffn_gate, l->ffn_up, l->ffn_down,
                               l->attn_q_norm, l->attn_k_norm, l->attn_post_norm,
                               l->ffn_post_norm };
      for (guint i = 0; i < G_N_ELEMENTS (ts); i++)
        if (ts[i] != NULL)
          bytes += ts[i]->n_bytes;
    }
  return bytes;
}

double
lb_bench_percentile (const double *sorted, gsize n, double p)
{
  double rank, frac;
  gsize lo;

  if (n == 0)
    return 0.0;
  p = CLAMP (p, 0.0, 100.0);
  rank = p / 100.0 * (double) (n - 1);
  lo = (gsize) floor (rank);
  if (lo + 1 >= n)
    return sorted[n - 1];
  frac = rank - (double) lo;
  return sorted[lo] + frac * (sorted[lo + 1] - sorted[lo]);
}

static int
compare_doubles (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static void
mean_stddev (const double *v, guint n, double *mean, double *stddev, double *best)
{
  double sum = 0.0, sq = 0.0;

  for (guint i = 0; i < n; i++)
    {
      sum += v[i];
      if (best && (i == 0 || v[i] > *best))
        *best = v[i];
    }
  *mean = n ? sum / n : 0.0;
  for (guint i = 0; i < n; i++)
    sq += (v[i] - *mean) * (v[i] - *mean);
  /* sample standard deviation, as llama-bench reports it */
  *stddev = n > 1 ? sqrt (sq / (n - 1)) : 0.0;
}

static gint32
argmax (const float *v, guint n)
{
  guint best = 0;

  for (guint i = 1; i < n; i++)
    if (v[i] > v[best])
      best = i;
  return (gint32) best;
}

static gboolean
resolve_params (LbModel *model, const LbBenchParams *in, LbBenchParams *p, GError **error)
{
  LbBenchParams def = LB_BENCH_PARAMS_INIT;

  *p = in ? *in : def;
  if (p->n_repeat == 0)
    p->n_repeat = 1;
  if (p->sample_interval_ms == 0)
    p->sample_interval_ms = 10;
  if (p->n_prompt == 0 && p->n_gen == 0)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "nothing to measure: the prompt and the generation are both 0 tokens");
      return FALSE;
    }
  if (p->n_prompt > 1u << 20 || p->n_gen > 1u << 20)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "%u prompt and %u generated tokens: at most 1048576 each",
                   p->n_prompt, p->n_gen);
      return FALSE;
    }
  if (p->n_ctx == 0)
    p->n_ctx = p->n_prompt + p->n_gen;
  if (p->n_ctx < p->n_prompt + p->n_gen)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "a context of %u positions cannot hold %u prompt and %u generated tokens",
                   p->n_ctx, p->n_prompt, p->n_gen);
      return FALSE;
    }
  if (p->n_threads == 0)
    p->n_threads = g_get_num_processors ();
  return TRUE;
}

/* Progress: 5% for the stream test, 5% for loading, the rest per repeat */
static void
report (LbProgressFunc progress, gpointer data, double fraction, const char *fmt, ...)
  G_GNUC_PRINTF (4, 5);

static void
report (LbProgressFunc progress, gpointer data, double fraction, const char *fmt, ...)
{
  g_autofree char *stage = NULL;
  va_list ap;

  if (progress == NULL)
    return;
  va_start (ap, fmt);
  stage = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  progress (fraction, stage, data);
}

/* One repeat: prompt then decode. Fills the prompt time, ttft and each
 * step's time (ms). */
static gboolean
run_once (LbEngine *engine, const gint32 *prompt, const LbBenchParams *p, gint32 start,
          float *logits, guint n_vocab, double *prompt_s, double *ttft_ms, double *steps,
          LbProgressFunc progress, gpointer progress_data, double f0, double f1,
          GCancellable *cancellable, GError **error)
{
  gint64 t0, t1;
  gint32 next = start;

  lb_engine_reset (engine);
  t0 = g_get_monotonic_time ();
  if (p->n_prompt > 0)
    {
      if (!lb_engine_eval (engine, prompt, p->n_prompt, NULL, logits, error))
        return FALSE;
      next = argmax (logits, n_vocab);
      t1 = g_get_monotonic_time ();
      *prompt_s = (t1 - t0) / 1e6;
      *ttft_ms = (t1 - t0) / 1e3;
    }
  for (guint g = 0; g < p->n_gen; g++)
    {
      gint64 s0 = g_get_monotonic_time (), s1;

      if (!lb_engine_eval (engine, &next, 1, NULL, logits, error))
        return FALSE;
      next = argmax (logits, n_vocab);
      s1 = g_get_monotonic_time ();
      steps[g] = (s1 - s0) / 1e3;
      if (p->n_prompt == 0 && g == 0)
        *ttft_ms = steps[0];
      if (g % 8 == 7)
        {
          if (g_cancellable_set_error_if_cancelled (cancellable, error))
            return FALSE;
          report (progress, progress_data, f0 + (f1 - f0) * (g + 1) / p->n_gen,
                  "decode %u/%u", g + 1, p->n_gen);
        }
    }
  return TRUE;
}

static void
finish_stats (LbBenchResult *r, const double *prompt_s, const double *decode_s,
              const double *ttft, double *steps, guint n_steps)
{
  const LbBenchParams *p = &r->params;
  g_autofree double *rate = g_new0 (double, p->n_repeat);
  double sum = 0.0;

  if (p->n_prompt > 0)
    {
      for (guint i = 0; i < p->n_repeat; i++)
        rate[i] = p->n_prompt / MAX (prompt_s[i], 1e-9);
      mean_stddev (rate, p->n_repeat, &r->prompt_tok_s, &r->prompt_tok_s_stddev,
                   &r->prompt_tok_s_best);
    }
  mean_stddev (ttft, p->n_repeat, &r->ttft_ms, &sum, NULL);
  if (n_steps > 0)
    {
      for (guint i = 0; i < p->n_repeat; i++)
        rate[i] = p->n_gen / MAX (decode_s[i], 1e-9);
      mean_stddev (rate, p->n_repeat, &r->decode_tok_s, &r->decode_tok_s_stddev,
                   &r->decode_tok_s_best);
      sum = 0.0;
      for (guint i = 0; i < n_steps; i++)
        sum += steps[i];
      r->decode_ms_mean = sum / n_steps;
      qsort (steps, n_steps, sizeof (double), compare_doubles);
      r->decode_ms_p50 = lb_bench_percentile (steps, n_steps, 50.0);
      r->decode_ms_p95 = lb_bench_percentile (steps, n_steps, 95.0);
    }
  r->cpu_cores_busy = r->wall_seconds > 0 ? r->cpu_seconds / r->wall_seconds : 0.0;
  r->cpu_util_pct = 100.0 * r->cpu_cores_busy / MAX (p->n_threads, 1);
  if (r->bandwidth_bytes_s > 0 && r->weight_bytes_per_token > 0)
    {
      r->roofline_tok_s = r->bandwidth_bytes_s / (double) r->weight_bytes_per_token;
      if (r->decode_ms_mean > 0)
        r->roofline_pct = 100.0 * (1000.0 / r->decode_ms_mean) / r->roofline_tok_s;
    }
}

LbBenchResult *
lb_bench_run (LbModel *model, const LbBenchParams *params, LbMemSampleFunc sample_func,
              gpointer sample_data, LbProgressFunc progress, gpointer progress_data,
              GCancellable *cancellable, GError **error)
{
  g_autoptr (LbBenchResult) r = g_new0 (LbBenchResult, 1);
  g_autoptr (LbMemSampler) sampler = NULL;
  g_autoptr (LbEngine) engine = NULL;
  g_autofree gint32 *prompt = NULL;
  g_autofree float *logits = NULL;
  g_autofree double *steps = NULL, *prompt_s = NULL, *decode_s = NULL, *ttft = NULL;
  LbEngineParams ep = LB_ENGINE_PARAMS_INIT;
  LbEngineMemory mem;
  LbTokenizer *tok;
  LbMemStat st;
  const LbHParams *hp;
  LbBenchParams *p = &r->params;
  gint32 start;
  guint64 rng;
  gint64 t_load;

  g_return_val_if_fail (LB_IS_MODEL (model), NULL);

  if (!resolve_params (model, params, p, error))
    return NULL;
  hp = lb_model_get_hparams (model);
  tok = lb_model_get_tokenizer (model);
  r->model_file_size = lb_model_get_file_size (model);
  r->weight_bytes_per_token = lb_bench_weight_bytes_per_token (model);

  if (!p->skip_bandwidth)
    {
      LbBandwidth bw;

      report (progress, progress_data, 0.0, "measuring memory read bandwidth");
      /* the machine's limit: every processor reads */
      if (!lb_bandwidth_measure (p->bandwidth_bytes, 0, 10, &bw, cancellable, error))
        return NULL;
      r->bandwidth_bytes_s = bw.bytes_per_second;
      r->bandwidth_threads = bw.n_threads;
    }

  /* the stream test's buffer is gone: the peak from here on is the model's */
  lb_memstat_reset_peak (NULL);
  if (!lb_memstat_read (&st, error))
    return NULL;
  r->base_anon = st.rss_anon;
  sampler = lb_mem_sampler_new (p->sample_interval_ms, sample_func, sample_data, error);
  if (sampler == NULL)
    return NULL;

  report (progress, progress_data, 0.05, "making the engine");
  t_load = g_get_monotonic_time ();
  ep.n_ctx = p->n_ctx;
  ep.n_threads = p->n_threads;
  ep.kv_type = p->kv_type;
  ep.n_batch = CLAMP (p->n_prompt, 1, BENCH_MAX_BATCH);
  engine = lb_engine_new (model, &ep, error);
  if (engine == NULL)
    return NULL;
  lb_engine_get_memory (engine, &mem);
  r->pool_bytes = mem.total;
  r->kv_bytes = mem.kv_cache;

  logits = g_new (float, hp->n_vocab);
  start = lb_tokenizer_get_bos (tok) >= 0 ? lb_tokenizer_get_bos (tok) : 0;
  /* random prompt tokens, as llama-bench uses */
  prompt = g_new (gint32, MAX (p->n_prompt, 1));
  rng = p->seed;
  for (guint i = 0; i < p->n_prompt; i++)
    {
      rng = rng * 6364136223846793005ull + 1442695040888963407ull;
      prompt[i] = i == 0 ? start : (gint32) ((rng >> 33) % hp->n_vocab);
    }

  /* warm-up: one decode step reads every weight once (pages fault in) */
  report (progress, progress_data, 0.08, "warming up");
  if (!lb_engine_eval (engine, &start, 1, NULL, logits, error))
    return NULL;
  r->load_ms = (g_get_monotonic_time () - t_load) / 1e3;

  steps = g_new0 (double, (gsize) p->n_gen * p->n_repeat + 1);
  prompt_s = g_new0 (double, p->n_repeat);
  decode_s = g_new0 (double, p->n_repeat);
  ttft = g_new0 (double, p->n_repeat);
  for (guint rep = 0; rep < p->n_repeat; rep++)
    {
      double f0 = 0.1 + 0.9 * rep / p->n_repeat, f1 = 0.1 + 0.9 * (rep + 1) / p->n_repeat;
      double cpu0 = lb_memstat_cpu_seconds ();
      gint64 w0 = g_get_monotonic_time ();
      double *rep_steps = steps + (gsize) rep * p->n_gen;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return NULL;
      report (progress, progress_data, f0, "repeat %u/%u: prompt of %u tokens", rep + 1,
              p->n_repeat, p->n_prompt);
      if (!run_once (engine, prompt, p, start, logits, hp->n_vocab, &prompt_s[rep], &ttft[rep],
                     rep_steps, progress, progress_data, f0, f1, cancellable, error))
        return NULL;
      r->wall_seconds += (g_get_monotonic_time () - w0) / 1e6;
      r->cpu_seconds += lb_memstat_cpu_seconds () - cpu0;
      for (guint g = 0; g < p->n_gen; g++)
        decode_s[rep] += rep_steps[g] / 1e3;
    }

  lb_mem_sampler_stop (sampler);
  r->samples = lb_mem_sampler_get_samples (sampler);
  lb_mem_sampler_get_peaks (sampler, &r->peak_anon, &r->peak_file, NULL);
  if (lb_memstat_read (&st, NULL))
    r->peak_rss = st.peak_rss;

  /* the stream test again: a neighbour's burst can only slow it down, so
   * the better of the two is the closer to the machine's limit */
  if (!p->skip_bandwidth)
    {
      LbBandwidth bw;

      report (progress, progress_data, 0.99, "measuring memory read bandwidth again");
      if (!lb_bandwidth_measure (p->bandwidth_bytes, 0, 10, &bw, cancellable, error))
        return NULL;
      r->bandwidth_bytes_s = MAX (r->bandwidth_bytes_s, bw.bytes_per_second);
    }

  finish_stats (r, prompt_s, decode_s, ttft, steps, p->n_gen * p->n_repeat);
  report (progress, progress_data, 1.0, "done");
  return g_steal_pointer (&r);
}
