/* lb-bench.h: how fast a model runs on this machine and how much memory it
 * takes, measured with the fast engine (lb-engine.h) the way llama-bench
 * measures: a prompt of random tokens as one batch, then single-token
 * decode steps, repeated; plus memory over time, CPU use, and the roofline
 * (weight bytes read per decoded token against the machine's measured read
 * bandwidth, lb-bandwidth.h). */
#pragma once

#include <gio/gio.h>

#include "lb-memstat.h"
#include "lb-model.h"
#include "lb-progress.h"

G_BEGIN_DECLS

typedef struct {
  guint   n_prompt;          /* prompt tokens per repeat (0: decode only, from BOS) */
  guint   n_gen;             /* decode steps per repeat */
  guint   n_repeat;          /* 0: 1 */
  guint   n_threads;         /* 0: one per processor */
  guint   n_ctx;             /* 0: n_prompt + n_gen */
  LbType  kv_type;           /* LB_TYPE_F16 or LB_TYPE_Q8_0 (or F32) */
  guint   sample_interval_ms;/* 0: 10 */
  gboolean skip_bandwidth;   /* no stream test: roofline figures are 0 */
  gsize   bandwidth_bytes;   /* 0: LB_BANDWIDTH_DEFAULT_BYTES */
  guint64 seed;              /* of the random prompt tokens */
} LbBenchParams;

#define LB_BENCH_PARAMS_INIT { 128, 64, 3, 0, 0, LB_TYPE_F16, 10, FALSE, 0, 1234 }

typedef struct {
  /* what ran */
  LbBenchParams params;           /* zeros resolved */
  guint64  model_file_size;
  guint64  weight_bytes_per_token;/* matrices, norms and biases read by one decode step */
  guint64  pool_bytes;            /* the engine's memory pool (KV + activations + scratch) */
  guint64  kv_bytes;

  /* speed, over all repeats */
  double   prompt_tok_s;          /* mean of each repeat's n_prompt / prompt time */
  double   prompt_tok_s_stddev;
  double   prompt_tok_s_best;     /* the fastest repeat (on a shared machine, the least disturbed) */
  double   ttft_ms;               /* mean time from the prompt's start to the first token */
  double   decode_tok_s;          /* mean of each repeat's n_gen / decode time */
  double   decode_tok_s_stddev;
  double   decode_tok_s_best;
  double   decode_ms_mean;        /* over every decode step */
  double   decode_ms_p50;
  double   decode_ms_p95;
  double   load_ms;               /* engine creation and the warm-up pass */

  /* memory (bytes) */
  guint64  peak_rss;              /* VmHWM over the run (reset at its start when allowed) */
  guint64  peak_anon;             /* highest sampled anonymous RSS */
  guint64  peak_file;             /* highest sampled file-backed RSS */
  guint64  base_anon;             /* anonymous RSS before the engine was made */
  GArray  *samples;               /* LbMemSample, every sample_interval_ms */

  /* CPU, over the timed prompt and decode phases */
  double   cpu_seconds;
  double   wall_seconds;
  double   cpu_cores_busy;        /* cpu_seconds / wall_seconds */
  double   cpu_util_pct;          /* cores busy / threads, in % */

  /* roofline */
  double   bandwidth_bytes_s;     /* best read bandwidth of the stream test (run before
                                   * and after the measurement) */
  guint    bandwidth_threads;
  double   roofline_tok_s;        /* bandwidth / weight bytes per token */
  double   roofline_pct;          /* decode_tok_s / roofline_tok_s, in % */
} LbBenchResult;

void     lb_bench_result_free    (LbBenchResult *result);
/* The result as JSON (machine, params, figures, memory series) */
char    *lb_bench_result_to_json (const LbBenchResult *result, LbModel *model);

/* Weight bytes one decode step reads: every block's tensors, the output
 * norm and projection, one row of the embedding. */
guint64  lb_bench_weight_bytes_per_token (LbModel *model);

/* The p-th percentile (0..100) of n sorted values, interpolating linearly
 * between ranks (numpy's default); 0 when n is 0. */
double   lb_bench_percentile     (const double *sorted, gsize n, double p);

/* Runs the benchmark. sample_func gets each memory sample as it is taken
 * (on the sampler's thread); progress gets the phase on the calling
 * thread. Fails (the error names the option) when the engine cannot run
 * the model with these parameters, and on cancellation. */
LbBenchResult *lb_bench_run      (LbModel *model, const LbBenchParams *params,
                                  LbMemSampleFunc sample_func, gpointer sample_data,
                                  LbProgressFunc progress, gpointer progress_data,
                                  GCancellable *cancellable, GError **error);

/* The same on a worker thread. sample_func and progress are called in the
 * thread-default main context of the caller (coalesced: every sample
 * arrives, in order, but possibly several in one dispatch), never after
 * callback; destroy_notify frees user_data (shared by both) afterwards. */
void           lb_bench_run_async  (LbModel *model, const LbBenchParams *params,
                                    LbMemSampleFunc sample_func, LbProgressFunc progress,
                                    gpointer user_data, GDestroyNotify destroy_notify,
                                    GCancellable *cancellable, GAsyncReadyCallback callback,
                                    gpointer callback_data);
LbBenchResult *lb_bench_run_finish (GAsyncResult *result, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbBenchResult, lb_bench_result_free)

G_END_DECLS
