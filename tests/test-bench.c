/* test-bench.c: the benchmark, its statistics, the bandwidth test and the
 * asynchronous form the workbench uses */
#include <math.h>
#include <string.h>
#include <json-glib/json-glib.h>

#include "lowbit.h"
#include "lb-bandwidth.h"
#include "lb-bench.h"
#include "lb-synth.h"
#include "lb-test-util.h"

#define SPEC "custom:arch=qwen2,layers=2,embd=128,ff=256,heads=4,kv=2,vocab=1000,ctx=128"

static char *tmpdir;
static char *model_path;

static LbModel *
load_model (void)
{
  GError *error = NULL;
  LbModel *model;

  if (model_path == NULL)
    {
      LbSynthParams params = LB_SYNTH_PARAMS_INIT;
      LbSynthShape shape;

      model_path = g_build_filename (tmpdir, "m.gguf", NULL);
      g_assert_true (lb_synth_shape_parse (SPEC, &shape, NULL));
      params.type = LB_TYPE_Q8_0;
      g_assert_true (lb_synth_write (&shape, &params, model_path, NULL, NULL, NULL, NULL, &error));
      g_assert_no_error (error);
    }
  model = lb_model_load (model_path, NULL, NULL, &error);
  g_assert_no_error (error);
  return model;
}

/* numpy.percentile's default (linear) on 1..100 and small cases */
static void
test_percentile (void)
{
  double v[100], one = 4.0, two[] = { 1.0, 3.0 };

  for (int i = 0; i < 100; i++)
    v[i] = i + 1;
  g_assert_cmpfloat_with_epsilon (lb_bench_percentile (v, 100, 50), 50.5, 1e-12);
  g_assert_cmpfloat_with_epsilon (lb_bench_percentile (v, 100, 95), 95.05, 1e-12);
  g_assert_cmpfloat_with_epsilon (lb_bench_percentile (v, 100, 0), 1.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (lb_bench_percentile (v, 100, 100), 100.0, 1e-12);
  g_assert_cmpfloat (lb_bench_percentile (&one, 1, 95), ==, 4.0);
  g_assert_cmpfloat_with_epsilon (lb_bench_percentile (two, 2, 25), 1.5, 1e-12);
  g_assert_cmpfloat (lb_bench_percentile (NULL, 0, 50), ==, 0.0);
}

static void
test_bandwidth (void)
{
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  LbBandwidth bw;
  GError *error = NULL;

  g_assert_true (lb_bandwidth_measure (16 << 20, 1, 3, &bw, NULL, &error));
  g_assert_no_error (error);
  g_test_message ("%.1f GB/s best, %.1f mean", bw.bytes_per_second / 1e9,
                  bw.mean_bytes_per_second / 1e9);
  g_assert_cmpuint (bw.bytes, ==, 16 << 20);
  g_assert_cmpuint (bw.n_threads, ==, 1);
  g_assert_cmpuint (bw.n_passes, ==, 3);
  g_assert_cmpfloat (bw.bytes_per_second, >, 1e8);
  g_assert_cmpfloat (bw.bytes_per_second, <, 1e13);
  g_assert_cmpfloat (bw.mean_bytes_per_second, <=, bw.bytes_per_second);

  g_cancellable_cancel (cancellable);
  g_assert_false (lb_bandwidth_measure (1 << 20, 1, 1, &bw, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
}

/* one decode step reads every tensor once, the tied embedding as the
 * output projection, plus one embedding row: counted from the file */
static guint64
weight_bytes_from_file (const char *path)
{
  g_autoptr (LbGgufReader) r = lb_gguf_reader_open (path, NULL);
  guint64 sum = 0;

  g_assert_nonnull (r);
  for (guint i = 0; i < lb_gguf_reader_get_n_tensors (r); i++)
    sum += lb_gguf_reader_get_tensor (r, i)->n_bytes;
  return sum + lb_tensor_row_bytes (lb_gguf_reader_find_tensor (r, "token_embd.weight"));
}

static void
check_result (const LbBenchResult *r, guint n_prompt, guint n_gen, guint n_repeat)
{
  g_assert_cmpuint (r->params.n_prompt, ==, n_prompt);
  g_assert_cmpuint (r->params.n_gen, ==, n_gen);
  g_assert_cmpuint (r->params.n_repeat, ==, n_repeat);
  g_assert_cmpuint (r->params.n_ctx, ==, n_prompt + n_gen);
  g_assert_cmpfloat (r->prompt_tok_s, >, 0.0);
  g_assert_cmpfloat (r->decode_tok_s, >, 0.0);
  g_assert_cmpfloat (r->ttft_ms, >, 0.0);
  g_assert_cmpfloat (r->prompt_tok_s_best, >=, r->prompt_tok_s * (1 - 1e-12));
  g_assert_cmpfloat (r->decode_tok_s_best, >=, r->decode_tok_s * (1 - 1e-12));
  g_assert_cmpfloat (r->decode_ms_mean, >, 0.0);
  g_assert_cmpfloat (r->decode_ms_p50, <=, r->decode_ms_p95);
  g_assert_cmpfloat (r->decode_ms_p50, >, 0.0);
  g_assert_cmpuint (r->weight_bytes_per_token, ==, weight_bytes_from_file (model_path));
  g_assert_cmpuint (r->pool_bytes, >, r->kv_bytes);
  g_assert_cmpuint (r->kv_bytes, >, 0);
  g_assert_cmpuint (r->peak_file, >, 0);
  g_assert_cmpuint (r->peak_anon, >, 0);
  g_assert_cmpuint (r->peak_rss, >=, r->peak_anon);
  g_assert_nonnull (r->samples);
  g_assert_cmpuint (r->samples->len, >=, 2);
  g_assert_cmpfloat (r->cpu_seconds, >, 0.0);
  g_assert_cmpfloat (r->cpu_cores_busy, >, 0.0);
  /* roofline: the definition, from the reported parts */
  if (r->bandwidth_bytes_s > 0)
    g_assert_cmpfloat_with_epsilon (r->roofline_pct,
                                    100.0 * (1000.0 / r->decode_ms_mean)
                                    * r->weight_bytes_per_token / r->bandwidth_bytes_s,
                                    1e-6 * r->roofline_pct);
}

static JsonNode *
json_path (JsonNode *root, const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) res = json_path_query (path, root, &error);
  JsonArray *a;

  g_assert_no_error (error);
  a = json_node_get_array (res);
  if (json_array_get_length (a) != 1)
    {
      g_test_fail_printf ("JSON has no %s", path);
      return NULL;
    }
  return json_node_copy (json_array_get_element (a, 0));
}

static void
test_run (void)
{
  g_autoptr (LbModel) model = load_model ();
  g_autoptr (LbBenchResult) r = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autofree char *json = NULL;
  LbBenchParams p = LB_BENCH_PARAMS_INIT;
  GError *error = NULL;
  static const char *keys[] = {
    "$.prompt_tok_s", "$.ttft_ms", "$.decode_tok_s", "$.decode_ms.mean", "$.decode_ms.p50",
    "$.decode_ms.p95", "$.memory.peak_rss", "$.memory.peak_anon", "$.memory.peak_file",
    "$.memory.pool", "$.cpu.cores_busy", "$.cpu.util_pct", "$.roofline.pct",
    "$.roofline.weight_bytes_per_token", "$.roofline.bandwidth_gb_s", "$.params.n_threads",
    "$.machine.n_cpus",
  };

  p.n_prompt = 16;
  p.n_gen = 8;
  p.n_repeat = 2;
  p.n_threads = 2;
  p.bandwidth_bytes = 8 << 20;
  r = lb_bench_run (model, &p, NULL, NULL, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  check_result (r, 16, 8, 2);
  g_assert_cmpuint (r->bandwidth_threads, ==, g_get_num_processors ());
  g_assert_cmpfloat (r->roofline_pct, >, 0.0);

  json = lb_bench_result_to_json (r, model);
  g_assert_true (json_parser_load_from_data (parser, json, -1, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      g_autoptr (JsonNode) n = json_path (json_parser_get_root (parser), keys[i]);
      if (n != NULL)
        g_assert_true (JSON_NODE_HOLDS_VALUE (n));
    }
  {
    g_autoptr (JsonNode) t = json_path (json_parser_get_root (parser), "$.samples.t");
    g_autoptr (JsonNode) anon = json_path (json_parser_get_root (parser), "$.samples.anon");
    g_assert_nonnull (t);
    g_assert_cmpuint (json_array_get_length (json_node_get_array (t)), ==, r->samples->len);
    g_assert_cmpuint (json_array_get_length (json_node_get_array (anon)), ==, r->samples->len);
  }
}

static void
test_errors (void)
{
  g_autoptr (LbModel) model = load_model ();
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  LbBenchParams p = LB_BENCH_PARAMS_INIT;
  GError *error = NULL;

  p.skip_bandwidth = TRUE;
  p.n_prompt = 0;
  p.n_gen = 0;
  g_assert_null (lb_bench_run (model, &p, NULL, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  p.n_prompt = 8;
  p.n_gen = 8;
  p.n_ctx = 10;
  g_assert_null (lb_bench_run (model, &p, NULL, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  p.n_ctx = 0;
  g_cancellable_cancel (cancellable);
  g_assert_null (lb_bench_run (model, &p, NULL, NULL, NULL, NULL, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
}

typedef struct {
  GMainLoop     *loop;
  GThread       *main_thread;
  guint          n_samples;
  double         last_t;
  double         last_fraction;
  gboolean       wrong_thread;
  gboolean       done;
  gboolean       late;          /* a callback after the result */
  guint          n_destroyed;
  LbBenchResult *result;
  GError        *error;
} AsyncState;

static void
on_sample (const LbMemSample *s, gpointer data)
{
  AsyncState *st = data;

  st->wrong_thread |= g_thread_self () != st->main_thread;
  st->late |= st->done;
  g_assert_cmpfloat (s->t, >=, st->last_t);
  st->last_t = s->t;
  st->n_samples++;
}

static void
on_progress (double fraction, const char *stage, gpointer data)
{
  AsyncState *st = data;

  st->wrong_thread |= g_thread_self () != st->main_thread;
  st->late |= st->done;
  g_assert_nonnull (stage);
  st->last_fraction = fraction;
}

static void
on_destroy (gpointer data)
{
  ((AsyncState *) data)->n_destroyed++;
}

static void
on_done (GObject *source, GAsyncResult *res, gpointer data)
{
  AsyncState *st = data;

  st->result = lb_bench_run_finish (res, &st->error);
  st->done = TRUE;
  g_main_loop_quit (st->loop);
}

/* samples and progress arrive in the caller's context, all of them,
 * before the result and never after */
static void
test_async (void)
{
  g_autoptr (LbModel) model = load_model ();
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  AsyncState st = { loop, g_thread_self () };
  LbBenchParams p = LB_BENCH_PARAMS_INIT;

  p.n_prompt = 32;
  p.n_gen = 32;
  p.n_repeat = 3;
  p.sample_interval_ms = 2;
  p.skip_bandwidth = TRUE;
  lb_bench_run_async (model, &p, on_sample, on_progress, &st, on_destroy, NULL, on_done, &st);
  g_main_loop_run (loop);
  /* let any idle still queued run: it must deliver nothing */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_no_error (st.error);
  g_assert_nonnull (st.result);
  check_result (st.result, 32, 32, 3);
  g_assert_cmpfloat (st.result->roofline_pct, ==, 0.0);
  g_assert_false (st.wrong_thread);
  g_assert_false (st.late);
  g_assert_cmpuint (st.n_samples, ==, st.result->samples->len);
  g_assert_cmpfloat (st.last_fraction, ==, 1.0);
  g_assert_cmpuint (st.n_destroyed, ==, 1);
  lb_bench_result_free (st.result);
}

int
main (int argc, char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  tmpdir = lb_test_make_tmpdir ();
  g_test_add_func ("/lowbit/bench/percentile", test_percentile);
  g_test_add_func ("/lowbit/bench/bandwidth", test_bandwidth);
  g_test_add_func ("/lowbit/bench/run", test_run);
  g_test_add_func ("/lowbit/bench/errors", test_errors);
  g_test_add_func ("/lowbit/bench/async", test_async);
  ret = g_test_run ();
  lb_test_rmtree (tmpdir);
  g_free (tmpdir);
  g_free (model_path);
  return ret;
}
