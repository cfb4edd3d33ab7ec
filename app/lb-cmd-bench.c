/* lb-cmd-bench.c: lowbit bench MODEL [--prompt N] [--gen N] [--threads N] [--repeat N] [--json] */
#include "config.h"

#include <stdio.h>

#include "lb-bench.h"
#include "lb-cli.h"

static void
print_result (const LbBenchResult *r, LbModel *model)
{
  const LbBenchParams *p = &r->params;
  g_autofree char *file = lb_cli_format_size (r->model_file_size);
  g_autofree char *peak = lb_cli_format_size (r->peak_rss);
  g_autofree char *anon = lb_cli_format_size (r->peak_anon);
  g_autofree char *mapped = lb_cli_format_size (r->peak_file);
  g_autofree char *pool = lb_cli_format_size (r->pool_bytes);
  g_autofree char *kv = lb_cli_format_size (r->kv_bytes);
  g_autofree char *wpt = lb_cli_format_size (r->weight_bytes_per_token);

  printf ("model         %s (%s, %s)\n", lb_model_get_path (model), lb_model_get_name (model), file);
  printf ("run           %u threads, prompt %u, generate %u, %u repeats, context %u, KV %s\n",
          p->n_threads, p->n_prompt, p->n_gen, p->n_repeat, p->n_ctx,
          lb_type_get_name (p->kv_type));
  if (p->n_prompt > 0)
    printf ("prompt        %.2f tok/s ± %.2f\n", r->prompt_tok_s, r->prompt_tok_s_stddev);
  printf ("first token   %.1f ms\n", r->ttft_ms);
  if (p->n_gen > 0)
    printf ("decode        %.2f tok/s ± %.2f; ms/token mean %.2f, p50 %.2f, p95 %.2f\n",
            r->decode_tok_s, r->decode_tok_s_stddev, r->decode_ms_mean, r->decode_ms_p50,
            r->decode_ms_p95);
  printf ("memory        peak RSS %s: anonymous %s, file-backed %s (engine pool %s, KV cache %s)\n",
          peak, anon, mapped, pool, kv);
  printf ("cpu           %.2f cores busy, %.0f%% of %u threads\n", r->cpu_cores_busy,
          r->cpu_util_pct, p->n_threads);
  if (r->bandwidth_bytes_s > 0)
    printf ("roofline      %s of weights per token, read bandwidth %.1f GB/s (%u threads): "
            "limit %.1f tok/s, decode at %.0f%%\n", wpt, r->bandwidth_bytes_s / 1e9,
            r->bandwidth_threads, r->roofline_tok_s, r->roofline_pct);
  printf ("samples       %u, every %u ms\n", r->samples ? r->samples->len : 0,
          p->sample_interval_ms);
}

int
lb_cmd_bench (int argc, char **argv)
{
  g_autofree char *tokenizer = NULL;
  g_autofree char *kv_name = NULL;
  int n_prompt = 128, n_gen = 64, n_threads = 0, n_repeat = 3, n_ctx = 0, interval = 10;
  gboolean json = FALSE, no_bandwidth = FALSE;
  GOptionEntry entries[] = {
    { "prompt", 'p', 0, G_OPTION_ARG_INT, &n_prompt, "Prompt tokens, processed as one batch (default 128)", "N" },
    { "gen", 'n', 0, G_OPTION_ARG_INT, &n_gen, "Tokens to decode one by one (default 64)", "N" },
    { "threads", 't', 0, G_OPTION_ARG_INT, &n_threads, "Threads (default: one per processor)", "N" },
    { "repeat", 'r', 0, G_OPTION_ARG_INT, &n_repeat, "Repetitions (default 3)", "N" },
    { "ctx", 'c', 0, G_OPTION_ARG_INT, &n_ctx, "KV cache length (default: prompt + gen)", "N" },
    { "kv-type", 0, 0, G_OPTION_ARG_STRING, &kv_name, "KV cache type: f16 (default) or q8_0", "TYPE" },
    { "interval", 0, 0, G_OPTION_ARG_INT, &interval, "Memory sampling interval in ms (default 10)", "MS" },
    { "no-bandwidth", 0, 0, G_OPTION_ARG_NONE, &no_bandwidth, "Skip the memory bandwidth test (no roofline)", NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print the result as JSON, with the memory series", NULL },
    { "tokenizer", 0, 0, G_OPTION_ARG_FILENAME, &tokenizer, "Tokenizer of a llama2.c checkpoint", "FILE" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx =
    lb_cli_context_new ("bench", "MODEL",
                        "Measure speed and memory with the fast engine.",
                        "Processes a prompt of random tokens as one batch, then decodes tokens "
                        "one at a time, --repeat times, after a warm-up step. Reports prompt "
                        "tokens/s, decode ms/token (mean, median, 95th percentile), time to "
                        "first token, peak memory split into anonymous (heap, KV cache) and "
                        "file-backed (mapped weights), CPU use, and the roofline: the weight "
                        "bytes a decode step reads over the read bandwidth this machine "
                        "measures (a built-in stream test with every processor).");
  g_autoptr (LbModel) model = NULL;
  g_autoptr (LbBenchResult) result = NULL;
  LbBenchParams params = LB_BENCH_PARAMS_INIT;
  GError *error = NULL;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!lb_cli_parse (ctx, &argc, &argv))
    return LB_EXIT_USAGE;
  if (argc != 2)
    return lb_cli_usage_error ("bench", "expected one MODEL argument");
  if (n_prompt < 0 || n_gen < 0 || (n_prompt == 0 && n_gen == 0))
    return lb_cli_usage_error ("bench", "--prompt and --gen must be 0 or more, and not both 0");
  if (n_threads < 0 || n_threads > 256)
    return lb_cli_usage_error ("bench", "--threads must be from 0 to 256");
  if (n_repeat < 1 || n_repeat > 1000)
    return lb_cli_usage_error ("bench", "--repeat must be from 1 to 1000");
  if (n_ctx < 0)
    return lb_cli_usage_error ("bench", "--ctx must be positive");
  if (interval < 1 || interval > 10000)
    return lb_cli_usage_error ("bench", "--interval must be from 1 to 10000 ms");
  if (kv_name != NULL)
    {
      if (!lb_type_from_name (kv_name, &params.kv_type)
          || (params.kv_type != LB_TYPE_F16 && params.kv_type != LB_TYPE_Q8_0
              && params.kv_type != LB_TYPE_F32))
        return lb_cli_usage_error ("bench", "--kv-type must be f16, q8_0 or f32, not '%s'",
                                   kv_name);
    }

  params.n_prompt = (guint) n_prompt;
  params.n_gen = (guint) n_gen;
  params.n_threads = (guint) n_threads;
  params.n_repeat = (guint) n_repeat;
  params.n_ctx = (guint) n_ctx;
  params.sample_interval_ms = (guint) interval;
  params.skip_bandwidth = no_bandwidth;

  model = lb_cli_load_model (argv[1], tokenizer, &error);
  if (model == NULL)
    return lb_cli_fail (error);
  result = lb_bench_run (model, &params, NULL, NULL, lb_cli_progress, NULL,
                         lb_cli_get_cancellable (), &error);
  lb_cli_progress_end ();
  if (result == NULL)
    return lb_cli_fail (error);

  if (json)
    {
      g_autofree char *text = lb_bench_result_to_json (result, model);
      printf ("%s\n", text);
    }
  else
    print_result (result, model);
  return LB_EXIT_OK;
}
