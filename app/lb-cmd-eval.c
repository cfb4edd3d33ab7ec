/* lb-cmd-eval.c: lowbit eval CANDIDATE --reference REF --text FILE
 *   [--ctx N] [--chunks N] [--threads N] [--engine NAME] [--json [--per-chunk]]
 *   [--save-reference FILE | --reference-cache FILE] [--png FILE] */
#include "config.h"

#include <stdio.h>

#include "lb-bar-chart-render.h"
#include "lb-chart-board.h"
#include "lb-cli.h"
#include "lb-eval.h"
#include "lb-line-chart-render.h"

static void
print_table (const LbEvalResult *r)
{
  printf ("candidate        %s\n", r->candidate);
  if (r->reference_model && r->reference_model[0])
    printf ("reference        %s (cached in %s)\n", r->reference_model, r->reference);
  else
    printf ("reference        %s\n", r->reference);
  g_autofree char *source = r->n_text_tokens
    ? g_strdup_printf ("of %" G_GUINT64_FORMAT " text tokens", r->n_text_tokens)
    : g_strdup ("tokens from the cache");

  printf ("protocol         %u chunks of %u tokens (%s), %" G_GUINT64_FORMAT " positions scored,"
          " engine %s, %.1f s\n", r->n_chunks, r->n_ctx, source, r->n_positions, r->engine,
          r->seconds);
  if (r->n_nonfinite)
    printf ("warning          %" G_GUINT64_FORMAT " positions had NaN/Inf candidate logits\n",
            r->n_nonfinite);
  printf ("PPL candidate    %10.6f ± %.6f\n", r->ppl, r->ppl_error);
  printf ("PPL reference    %10.6f ± %.6f  (clipped to 16 nats as stored)\n",
          r->ppl_base, r->ppl_base_error);
  printf ("mean KLD         %10.6f ± %.6f\n", r->mean_kld, r->mean_kld_error);
  printf ("maximum KLD      %10.6f\n", r->max_kld);
  printf ("99.9%% KLD        %10.6f\n", r->kld_99_9);
  printf ("99.0%% KLD        %10.6f\n", r->kld_99);
  printf ("90.0%% KLD        %10.6f\n", r->kld_90);
  printf ("median KLD       %10.6f\n", r->kld_median);
  printf ("same top-1       %9.3f%% ± %.3f%%\n", 100 * r->same_top1, 100 * r->same_top1_error);
  printf ("top-5 agreement  %9.3f%%  (mean overlap of the two top-5 sets)\n", 100 * r->top5_agreement);
  printf ("mean Δp          %9.3f%% ± %.3f%%  (p of the next token, candidate - reference)\n",
          100 * r->mean_dp, 100 * r->mean_dp_error);
  printf ("RMS Δp           %9.3f%%\n", 100 * r->rms_dp);
  if (r->has_logit_errors)
    printf ("logits           MSE %.6g, cosine %.6f, max |error| %.6g\n",
            r->logits_mse, r->logits_cosine, r->logits_max_abs);
  else
    printf ("logits           n/a (the reference came from a cache of log-probabilities)\n");
}

/* The report page: the KLD percentiles as bars, then mean KLD and same
 * top-1 per chunk as lines (where along the text the candidate departs) */
static gboolean
write_png (const char *path, const LbEvalResult *r, GError **error)
{
  static const char * const labels[] = { "mean", "median", "90%", "99%", "99.9%", "max" };
  double kld[G_N_ELEMENTS (labels)] = {
    r->mean_kld, r->kld_median, r->kld_90, r->kld_99, r->kld_99_9, r->max_kld,
  };
  g_autofree char *cand = g_path_get_basename (r->candidate);
  g_autofree char *ref = g_path_get_basename (r->reference_model && r->reference_model[0]
                                              ? r->reference_model : r->reference);
  g_autofree char *title = g_strdup_printf ("%s against %s", cand, ref);
  g_autofree char *bars_title = g_strdup_printf (
    "KL divergence over %" G_GUINT64_FORMAT " positions (%u chunks of %u): same top-1 %.3f%%, "
    "PPL %.4f (reference %.4f, clipped)", r->n_positions, r->n_chunks, r->n_ctx,
    100 * r->same_top1, r->ppl, r->ppl_base);
  LbBarSeries bar_series = { NULL, kld };
  LbBarChartData bars = { 0 };
  LbLineSeries kld_line = { NULL, r->n_chunks, NULL, r->chunk_mean_kld, TRUE };
  LbLineSeries top1_line = { NULL, r->n_chunks, NULL, r->chunk_same_top1, FALSE };
  LbLineChartData kld_chart = { 0 }, top1_chart = { 0 };
  LbChartPanel panels[3];

  bars.n_bars = G_N_ELEMENTS (labels);
  bars.labels = labels;
  bars.n_series = 1;
  bars.series = &bar_series;
  bars.title = bars_title;
  bars.value_label = "KL divergence (nats), log scale";
  bars.format = LB_CHART_FORMAT_PLAIN;
  bars.log_scale = TRUE;
  bars.show_values = TRUE;

  kld_chart.n_series = 1;
  kld_chart.series = &kld_line;
  kld_chart.title = "mean KLD per chunk";
  kld_chart.x_label = "chunk";
  kld_chart.y_label = "KLD (nats)";
  kld_chart.y_from_zero = TRUE;
  top1_chart.n_series = 1;
  top1_chart.series = &top1_line;
  top1_chart.title = "same top-1 per chunk";
  top1_chart.x_label = "chunk";
  top1_chart.y_label = "same top-1";
  top1_chart.y_format = LB_CHART_FORMAT_PERCENT;

  panels[0] = (LbChartPanel) { .draw = lb_chart_panel_draw_bars, .data = &bars,
                               .x = 0, .y = 0, .width = 960, .height = 240 };
  panels[1] = (LbChartPanel) { .kind = LB_CHART_LINE, .data = &kld_chart,
                               .x = 0, .y = 240, .width = 480, .height = 300 };
  panels[2] = (LbChartPanel) { .kind = LB_CHART_LINE, .data = &top1_chart,
                               .x = 480, .y = 240, .width = 480, .height = 300 };
  return lb_chart_board_write_png (path, title, panels, G_N_ELEMENTS (panels), NULL, 960,
                                   540 + (int) lb_chart_board_title_height (title, NULL), error);
}

int
lb_cmd_eval (int argc, char **argv)
{
  char *reference = NULL, *text_path = NULL, *engine_name = NULL;
  char *save_reference = NULL, *reference_cache = NULL, *png = NULL;
  int n_ctx = 0, n_chunks = 0, n_threads = 0;
  gboolean json = FALSE, per_chunk = FALSE;
  GOptionEntry entries[] = {
    { "reference", 'r', 0, G_OPTION_ARG_FILENAME, &reference, "Reference model (e.g. the f16 GGUF)", "MODEL" },
    { "text", 'f', 0, G_OPTION_ARG_FILENAME, &text_path, "Text file to evaluate on", "FILE" },
    { "ctx", 'c', 0, G_OPTION_ARG_INT, &n_ctx, "Tokens per chunk (default 512, or the cache's)", "N" },
    { "chunks", 0, 0, G_OPTION_ARG_INT, &n_chunks, "Evaluate only the first N chunks", "N" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &n_threads, "Engine threads (default: all cores)", "N" },
    { "engine", 0, 0, G_OPTION_ARG_STRING, &engine_name, "default, ref or fast", "NAME" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print the results as JSON", NULL },
    { "per-chunk", 0, 0, G_OPTION_ARG_NONE, &per_chunk, "With --json: add per-chunk mean KLD and same top-1", NULL },
    { "save-reference", 0, 0, G_OPTION_ARG_FILENAME, &save_reference, "Also write the reference's log-probabilities to FILE", "FILE" },
    { "reference-cache", 0, 0, G_OPTION_ARG_FILENAME, &reference_cache, "Read the reference from FILE instead of running it", "FILE" },
    { "png", 0, 0, G_OPTION_ARG_FILENAME, &png, "Draw the KLD percentiles and the per-chunk KLD and same top-1", "FILE.png" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx =
    lb_cli_context_new ("eval", "CANDIDATE (--reference REF | --reference-cache FILE) --text FILE",
                        "Compare a candidate model with a reference over a text: perplexity, KL "
                        "divergence, same top-1, Δp, logit errors.",
                        "The protocol is llama.cpp's perplexity tool with --kl-divergence: chunks of "
                        "--ctx tokens starting with BOS, the second half of each chunk scored, the "
                        "reference's log-probabilities clipped to 16 nats with 16-bit resolution. "
                        "--save-reference writes them to a cache that later runs read with "
                        "--reference-cache (then --text is optional).");
  g_autoptr (LbModel) cand = NULL, ref = NULL;
  g_autoptr (LbEvalResult) res = NULL;
  g_autofree char *text = NULL;
  gsize text_len = 0;
  LbEvalParams params = { 0 };
  GError *error = NULL;
  int code = LB_EXIT_OK;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!lb_cli_parse (ctx, &argc, &argv))
    return LB_EXIT_USAGE;
  if (argc != 2)
    code = lb_cli_usage_error ("eval", "expected one CANDIDATE argument");
  else if ((reference == NULL) == (reference_cache == NULL))
    code = lb_cli_usage_error ("eval", "give exactly one of --reference and --reference-cache");
  else if (text_path == NULL && reference_cache == NULL)
    code = lb_cli_usage_error ("eval", "--text is required");
  else if (save_reference && reference_cache)
    code = lb_cli_usage_error ("eval", "--save-reference needs --reference, not --reference-cache");
  else if (n_ctx != 0 && (n_ctx < 4 || n_ctx > (1 << 20)))
    code = lb_cli_usage_error ("eval", "--ctx %d: must be between 4 and 1048576", n_ctx);
  else if (n_chunks < 0)
    code = lb_cli_usage_error ("eval", "--chunks %d: must be positive", n_chunks);
  else if (n_threads < 0 || n_threads > 1024)
    code = lb_cli_usage_error ("eval", "--threads %d: must be between 1 and 1024", n_threads);
  else if (engine_name && !lb_eval_engine_from_string (engine_name, &params.engine))
    code = lb_cli_usage_error ("eval", "--engine '%s': expected default, ref or fast", engine_name);
  else if (per_chunk && !json)
    code = lb_cli_usage_error ("eval", "--per-chunk goes with --json");
  if (code != LB_EXIT_OK)
    goto out;
  /* before the run, not after minutes of it */
  if (png && !lb_chart_png_path_check (png, "--png", &error))
    {
      code = lb_cli_fail (error);
      goto out;
    }

  /* 0: 512, or the cache's */
  params.n_ctx = (guint) n_ctx;
  params.n_chunks = (guint) n_chunks;
  params.n_threads = (guint) n_threads;
  params.save_reference = save_reference;
  params.reference_cache = reference_cache;

  if (text_path && !g_file_get_contents (text_path, &text, &text_len, &error))
    {
      code = lb_cli_fail (error);
      goto out;
    }
  cand = lb_cli_load_model (argv[1], NULL, &error);
  if (cand == NULL)
    {
      code = lb_cli_fail (error);
      goto out;
    }
  if (reference)
    {
      ref = lb_cli_load_model (reference, NULL, &error);
      if (ref == NULL)
        {
          code = lb_cli_fail (error);
          goto out;
        }
    }

  res = lb_eval_run (cand, ref, text, (gssize) text_len, &params, lb_cli_progress, NULL,
                     lb_cli_get_cancellable (), &error);
  lb_cli_progress_end ();
  if (res == NULL)
    {
      code = lb_cli_fail (error);
      goto out;
    }
  if (json)
    {
      g_autofree char *s = lb_eval_result_to_json (res, per_chunk);
      printf ("%s\n", s);
    }
  else
    print_table (res);
  if (save_reference)
    fprintf (stderr, "wrote the reference cache %s\n", save_reference);
  if (png)
    {
      if (!write_png (png, res, &error))
        {
          code = lb_cli_fail (error);
          goto out;
        }
      fprintf (stderr, "wrote %s\n", png);
    }

out:
  g_free (reference);
  g_free (text_path);
  g_free (engine_name);
  g_free (save_reference);
  g_free (reference_cache);
  g_free (png);
  return code;
}
