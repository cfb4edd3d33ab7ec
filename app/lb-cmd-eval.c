/* lb-cmd-eval.c: lowbit eval CANDIDATE --reference REF --text FILE */
#include "config.h"

#include <stdio.h>

#include "lb-cli.h"
#include "lb-eval.h"

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

int
lb_cmd_eval (int argc, char **argv)
{
  char *reference = NULL, *text_path = NULL, *engine_name = NULL;
  char *save_reference = NULL, *reference_cache = NULL;
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

out:
  g_free (reference);
  g_free (text_path);
  g_free (engine_name);
  g_free (save_reference);
  g_free (reference_cache);
  return code;
}
