/* lb-cmd-bench.c: lowbit bench MODEL [--prompt N] [--gen N] [--threads N] [--repeat N] [--json]
 *   [--recipe FILE | --preset NAME] [--profile NAME] [--switch-to NAME] */
#include "config.h"

#include <stdio.h>

#include "lb-bench.h"
#include "lb-cli.h"
#include "lb-cli-profile.h"

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

/* the benchmark's JSON with "recipe", "profile", "profile_build_*" and,
 * when measured, "profile_switch" members added */
static char *
add_profile_json (const char *text, LbProfileSwitch *profiles, const LbProfileSwitchStats *build,
                  const LbCliSwitchTiming *timing)
{
  g_autoptr (JsonNode) root = json_from_string (text, NULL);
  g_autofree char *profile = lb_profile_switch_dup_profile (profiles);
  JsonObject *obj;

  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return g_strdup (text);
  obj = json_node_get_object (root);
  json_object_set_string_member (obj, "recipe",
                                 lb_recipe_get_name (lb_profile_switch_get_recipe (profiles)));
  if (profile != NULL)
    json_object_set_string_member (obj, "profile", profile);
  else
    json_object_set_null_member (obj, "profile");
  /* quantizing the profile from MODEL at start */
  json_object_set_int_member (obj, "profile_build_quantized", build->n_quantized);
  json_object_set_int_member (obj, "profile_build_bytes", (gint64) build->quantized_bytes);
  json_object_set_double_member (obj, "profile_build_ms", build->total_ms);
  if (timing != NULL)
    json_object_set_member (obj, "profile_switch", lb_cli_switch_timing_to_json (timing));
  return json_to_string (root, TRUE);
}

int
lb_cmd_bench (int argc, char **argv)
{
  g_autofree char *tokenizer = NULL;
  g_autofree char *kv_name = NULL;
  int n_prompt = 128, n_gen = 64, n_threads = 0, n_repeat = 3, n_ctx = 0, interval = 10;
  gboolean json = FALSE, no_bandwidth = FALSE;
  g_autofree char *switch_to = NULL;
  g_auto (LbCliProfileOptions) popts = { NULL };
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
    { "switch-to", 0, 0, G_OPTION_ARG_STRING, &switch_to,
      "Also time switching a running engine to this profile of the recipe and back "
      "(re-quantized, and with both resident)", "NAME" },
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
                        "measures (a built-in stream test with every processor). With "
                        "--recipe or --preset, MODEL is quantized in memory by the recipe (and "
                        "--profile) first; --switch-to then also measures a profile switch: "
                        "re-quantizing the tensors that differ, the engine taking the new model "
                        "with its KV cache, and the quantized memory each way costs.");
  g_autoptr (LbModel) model = NULL;
  g_autoptr (LbBenchResult) result = NULL;
  g_autoptr (LbProfileSwitch) profiles = NULL;
  LbCliSwitchTiming timing = { NULL };
  LbProfileSwitchStats build = { 0 };
  int code;
  LbBenchParams params = LB_BENCH_PARAMS_INIT;
  GError *error = NULL;

  g_option_context_add_main_entries (ctx, entries, NULL);
  lb_cli_profile_add_entries (ctx, &popts);
  if (!lb_cli_parse (ctx, &argc, &argv))
    return LB_EXIT_USAGE;
  if ((code = lb_cli_profile_check_usage ("bench", &popts)) != LB_EXIT_OK)
    return code;
  if (switch_to != NULL && !lb_cli_profile_requested (&popts))
    return lb_cli_usage_error ("bench", "--switch-to needs the recipe that defines the profile "
                                        "(--recipe FILE or --preset NAME)");
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
  if (lb_cli_profile_requested (&popts))
    {
      /* MODEL is the source; the profile's model, quantized in memory, runs */
      profiles = lb_cli_profile_open (model, &popts, params.n_threads, &build, &error);
      if (profiles == NULL)
        return lb_cli_fail (error);
      g_object_unref (model);
      model = lb_profile_switch_dup_model (profiles);
      /* a bad name fails before the benchmark runs */
      if (switch_to != NULL && lb_profile_switch_get_plan (profiles, switch_to, &error) == NULL)
        return lb_cli_fail (error);
    }
  result = lb_bench_run (model, &params, NULL, NULL, lb_cli_progress, NULL,
                         lb_cli_get_cancellable (), &error);
  lb_cli_progress_end ();
  if (result == NULL)
    return lb_cli_fail (error);
  if (switch_to != NULL
      && !lb_cli_profile_measure_switch (profiles, switch_to, params.n_prompt, params.n_ctx,
                                         params.n_threads, &timing, &error))
    {
      lb_cli_switch_timing_clear (&timing);
      return lb_cli_fail (error);
    }

  if (json)
    {
      g_autofree char *text = lb_bench_result_to_json (result, model);

      if (profiles != NULL)
        {
          g_autofree char *merged = add_profile_json (text, profiles, &build, switch_to ? &timing : NULL);
          printf ("%s\n", merged);
        }
      else
        printf ("%s\n", text);
    }
  else
    {
      print_result (result, model);
      if (profiles != NULL)
        {
          g_autofree char *profile = lb_profile_switch_dup_profile (profiles);
          printf ("profile       %s of recipe %s, quantized in memory from %s\n",
                  profile ? profile : "(none)",
                  lb_recipe_get_name (lb_profile_switch_get_recipe (profiles)), argv[1]);
        }
      if (switch_to != NULL)
        lb_cli_switch_timing_print (&timing);
    }
  lb_cli_switch_timing_clear (&timing);
  return LB_EXIT_OK;
}
