/* lb-cmd-validate.c: lowbit validate CANDIDATE [--reference REF --text FILE]
 *   [--max-kld X] [--min-top1 R] [--max-ppl-ratio R] [--max-size SIZE]
 *   [--max-latency-ms MS] [--max-memory SIZE] [--skip TARGETS]
 *   [--chunks N] [--ctx N] [--threads N] [--json FILE] [--png FILE]
 *
 * The release gate (lb-validate.h): exit 0 when every target in force is
 * met, 3 (LB_EXIT_CHECK_FAILED) naming each one missed. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lb-chart-board.h"
#include "lb-cli.h"
#include "lb-gauge-render.h"
#include "lb-validate.h"

typedef struct {
  char    *reference;
  char    *text_path;
  char    *limits[LB_N_TARGETS];
  char    *skip;
  char    *json_path;
  char    *tokenizer;
  char    *png;
  int      chunks;
  int      ctx;
  int      threads;
} Options;

static void
options_clear (Options *o)
{
  g_free (o->reference);
  g_free (o->text_path);
  for (guint i = 0; i < LB_N_TARGETS; i++)
    g_free (o->limits[i]);
  g_free (o->skip);
  g_free (o->json_path);
  g_free (o->tokenizer);
  g_free (o->png);
}

static const char *
option_name (LbTarget t)
{
  static const char * const names[LB_N_TARGETS] = {
    [LB_TARGET_SIZE] = "--max-size",
    [LB_TARGET_KLD] = "--max-kld",
    [LB_TARGET_TOP1] = "--min-top1",
    [LB_TARGET_PPL_RATIO] = "--max-ppl-ratio",
    [LB_TARGET_LATENCY] = "--max-latency-ms",
    [LB_TARGET_MEMORY] = "--max-memory",
  };
  return names[t];
}

/* a finite number >= 0; top1 also as a percentage ("99%") */
static gboolean
parse_limit (LbTarget t, const char *s, double *out, GError **error)
{
  char *end = NULL;
  double v;

  if (t == LB_TARGET_SIZE || t == LB_TARGET_MEMORY)
    {
      guint64 bytes;
      if (!lb_parse_size (s, &bytes, error))
        return FALSE;
      *out = (double) bytes;
      return TRUE;
    }
  v = g_ascii_strtod (s, &end);
  if (end != s && t == LB_TARGET_TOP1 && *end == '%')
    {
      v /= 100;
      end++;
    }
  if (end == s || *end != '\0' || !isfinite (v) || v < 0 || (t == LB_TARGET_TOP1 && v > 1))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT, "\"%s\" is not %s", s,
                   t == LB_TARGET_TOP1 ? "a fraction from 0 to 1 (0.99 or 99%)"
                                       : "a number >= 0");
      return FALSE;
    }
  *out = v;
  return TRUE;
}

static int
configure (const Options *o, int argc, LbValidateParams *p)
{
  GError *error = NULL;

  if (argc != 2)
    return lb_cli_usage_error ("validate", "expected one CANDIDATE argument");
  if (o->chunks < 0 || (o->ctx != 0 && (o->ctx < 4 || o->ctx > (1 << 20))))
    return lb_cli_usage_error ("validate", "--chunks must be positive and --ctx from 4 to 1048576");
  if (o->threads < 0 || o->threads > 256)
    return lb_cli_usage_error ("validate", "--threads must be from 1 to 256");

  lb_validate_params_init (p);
  for (guint i = 0; i < LB_N_TARGETS; i++)
    if (o->limits[i])
      {
        if (!parse_limit ((LbTarget) i, o->limits[i], &p->limit[i], &error))
          {
            int code = lb_cli_usage_error ("validate", "%s: %s", option_name ((LbTarget) i),
                                           error->message);
            g_error_free (error);
            return code;
          }
        p->enabled[i] = TRUE;
      }
  if (o->skip)
    {
      g_auto (GStrv) names = g_strsplit (o->skip, ",", -1);
      for (guint i = 0; names[i]; i++)
        {
          LbTarget t;
          g_strstrip (names[i]);
          if (!lb_target_from_name (names[i], &t))
            return lb_cli_usage_error ("validate", "--skip: unknown target '%s' (size, kld, top1, "
                                       "ppl_ratio, latency, memory)", names[i]);
          if (o->limits[t])
            return lb_cli_usage_error ("validate", "--skip %s contradicts %s", names[i],
                                       option_name (t));
          p->enabled[t] = FALSE;
        }
    }
  if (lb_validate_needs_eval (p) && (o->reference == NULL || o->text_path == NULL))
    return lb_cli_usage_error ("validate", "the accuracy targets need --reference and --text "
                               "(same top-1 >= 99%% is checked by default; --skip top1 to "
                               "leave accuracy out)");
  p->eval.n_ctx = (guint) o->ctx;
  p->eval.n_chunks = (guint) o->chunks;
  p->eval.n_threads = (guint) o->threads;
  p->bench.n_threads = (guint) o->threads;
  return LB_EXIT_OK;
}

static void
print_report (const LbValidateReport *r)
{
  printf ("candidate   %s\n", r->candidate);
  if (r->reference)
    printf ("reference   %s (%u chunks of %u tokens, %" G_GUINT64_FORMAT " positions)\n",
            r->reference, r->eval->n_chunks, r->eval->n_ctx, r->eval->n_positions);
  if (r->bench)
    printf ("benchmark   %u threads, prompt %u, %u decoded tokens x %u\n",
            r->bench->params.n_threads, r->bench->params.n_prompt, r->bench->params.n_gen,
            r->bench->params.n_repeat);
  printf ("\n%-16s %-20s %-22s %s\n", "target", "value", "limit", "result");
  for (guint i = 0; i < LB_N_TARGETS; i++)
    {
      const LbTargetResult *t = &r->targets[i];
      g_autofree char *value = NULL, *lim = NULL, *limit = NULL;

      if (!t->checked)
        continue;
      value = lb_target_format_value (t->target, t->value);
      lim = lb_target_format_value (t->target, t->limit);
      limit = g_strdup_printf ("%s %s", lb_target_is_maximum (t->target) ? "<=" : ">=", lim);
      printf ("%-16s %-20s %-22s %s\n", lb_target_get_label (t->target), value, limit,
              t->passed ? "PASS" : "FAIL");
    }
  if (r->passed)
    printf ("\nPASS: every target met\n");
  else
    {
      g_autofree char *names = lb_validate_report_failed_names (r);
      guint n = 0;
      for (guint i = 0; i < LB_N_TARGETS; i++)
        n += r->targets[i].checked;
      printf ("\nFAIL: %u of %u targets missed (%s)\n", r->n_failed, n, names);
    }
}

static gboolean
write_json (const char *path, const LbValidateReport *r, GError **error)
{
  g_autofree char *json = lb_validate_report_to_json (r);
  g_autofree char *text = g_strconcat (json, "\n", NULL);

  if (strcmp (path, "-") == 0)
    {
      fputs (text, stdout);
      return TRUE;
    }
  return g_file_set_contents (path, text, -1, error);
}

/* One gauge per target in force, its limit marked and its verdict as the
 * colour, under a title that gives the overall result */
static gboolean
write_png (const char *path, const LbValidateReport *r, GError **error)
{
  LbGaugeData gauges[LB_N_TARGETS];
  LbChartPanel panels[LB_N_TARGETS];
  g_autoptr (GPtrArray) strings = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *name = g_path_get_basename (r->candidate);
  g_autofree char *title = NULL;
  guint n = 0, per_row, n_rows;
  const double tile_w = 260, tile_h = 230;

  for (guint i = 0; i < LB_N_TARGETS; i++)
    {
      const LbTargetResult *t = &r->targets[i];
      LbGaugeData *g = &gauges[n];

      if (!t->checked)
        continue;
      *g = (LbGaugeData) { 0 };
      g->value = t->value;
      g->has_target = TRUE;
      g->target = t->limit;
      g->lower_is_better = lb_target_is_maximum (t->target);
      g->title = lb_target_get_label (t->target);
      g->digits = -1;
      /* the gauge shows no number for these: the caption says what failed */
      if (!isfinite (t->value))
        {
          char *caption = g_strdup_printf ("%s %s: %s", lb_target_get_label (t->target),
                                           isnan (t->value) ? "not a number" : "infinite",
                                           t->passed ? "PASS" : "FAIL");
          g_ptr_array_add (strings, caption);
          g->title = caption;
        }
      switch (t->target)
        {
        case LB_TARGET_SIZE:
        case LB_TARGET_MEMORY:
          g->format = LB_CHART_FORMAT_BYTES;
          break;
        case LB_TARGET_TOP1:
          g->format = LB_CHART_FORMAT_PERCENT;
          g->min = 0;
          g->max = 1;
          g->digits = 4;   /* the step is a fraction: 0.01% */
          break;
        case LB_TARGET_KLD:
          g->unit = "nats";
          g->digits = 5;
          break;
        case LB_TARGET_PPL_RATIO:
          g->unit = "x reference";
          g->digits = 4;
          break;
        case LB_TARGET_LATENCY:
          g->unit = "ms/token";
          g->digits = 1;
          break;
        default:
          break;
        }
      n++;
    }
  if (n == 0)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "--png %s: no target was checked, so there is nothing to draw", path);
      return FALSE;
    }
  per_row = MIN (n, 3);
  n_rows = (n + per_row - 1) / per_row;
  for (guint i = 0; i < n; i++)
    panels[i] = (LbChartPanel) {
      .kind = LB_CHART_GAUGE, .data = &gauges[i],
      .x = (i % per_row) * tile_w, .y = (i / per_row) * tile_h,
      .width = tile_w, .height = tile_h,
    };
  if (r->passed)
    title = g_strdup_printf ("%s: PASS, every target met", name);
  else
    {
      g_autofree char *names = lb_validate_report_failed_names (r);
      title = g_strdup_printf ("%s: FAIL, %u of %u targets missed (%s)", name, r->n_failed, n,
                               names);
    }
  /* wide enough for the title */
  return lb_chart_board_write_png (path, title, panels, n, NULL,
                                   (int) MAX (per_row * tile_w, 9.5 * (strlen (title) + 4)),
                                   (int) (n_rows * tile_h + lb_chart_board_title_height (title, NULL)),
                                   error);
}

int
lb_cmd_validate (int argc, char **argv)
{
  Options o = { 0 };
  GOptionEntry entries[] = {
    { "reference", 'r', 0, G_OPTION_ARG_FILENAME, &o.reference, "Reference model for the accuracy targets (e.g. the f16 GGUF)", "REF" },
    { "text", 'f', 0, G_OPTION_ARG_FILENAME, &o.text_path, "Text to evaluate accuracy on", "FILE" },
    { "max-kld", 0, 0, G_OPTION_ARG_STRING, &o.limits[LB_TARGET_KLD], "Highest mean KL divergence from the reference (off by default)", "X" },
    { "min-top1", 0, 0, G_OPTION_ARG_STRING, &o.limits[LB_TARGET_TOP1], "Lowest same-top-1 rate (default 0.99: accuracy loss <= 1%)", "R" },
    { "max-ppl-ratio", 0, 0, G_OPTION_ARG_STRING, &o.limits[LB_TARGET_PPL_RATIO], "Highest perplexity / reference perplexity (off by default)", "R" },
    { "max-size", 0, 0, G_OPTION_ARG_STRING, &o.limits[LB_TARGET_SIZE], "Largest file size (default 500MB; units B, kB, MB, GB, KiB, MiB, GiB)", "SIZE" },
    { "max-latency-ms", 0, 0, G_OPTION_ARG_STRING, &o.limits[LB_TARGET_LATENCY], "Highest mean decode time per token (default 50)", "MS" },
    { "max-memory", 0, 0, G_OPTION_ARG_STRING, &o.limits[LB_TARGET_MEMORY], "Largest peak resident memory while decoding (default 300MB)", "SIZE" },
    { "skip", 0, 0, G_OPTION_ARG_STRING, &o.skip, "Targets not to check, comma-separated (size, kld, top1, ppl_ratio, latency, memory)", "LIST" },
    { "chunks", 0, 0, G_OPTION_ARG_INT, &o.chunks, "Evaluate only the first N chunks of the text", "N" },
    { "ctx", 'c', 0, G_OPTION_ARG_INT, &o.ctx, "Tokens per evaluation chunk (default 512)", "N" },
    { "threads", 't', 0, G_OPTION_ARG_INT, &o.threads, "Threads for evaluation and benchmark (default: all cores)", "N" },
    { "json", 0, 0, G_OPTION_ARG_FILENAME, &o.json_path, "Also write the report as JSON to FILE (- for standard output, instead of the table)", "FILE" },
    { "png", 0, 0, G_OPTION_ARG_FILENAME, &o.png, "Draw each target as a gauge against its limit", "FILE.png" },
    { "tokenizer", 0, 0, G_OPTION_ARG_FILENAME, &o.tokenizer, "Tokenizer of a llama2.c checkpoint", "FILE" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx =
    lb_cli_context_new ("validate", "CANDIDATE [--reference REF --text FILE] [targets]",
                        "Check a model against release targets; exit 3 when one is missed.",
                        "Targets in force by default (the brief's): file size <= 500 MB, mean "
                        "decode latency <= 50 ms/token and peak memory <= 300 MB (measured "
                        "like lowbit bench: 128 prompt tokens, 64 decoded, 3 repeats), and "
                        "accuracy loss <= 1%, read as same top-1 >= 99%: the candidate's most "
                        "likely next token is the reference's at 99% of the scored positions "
                        "(llama.cpp's perplexity protocol, as lowbit eval). --max-kld and "
                        "--max-ppl-ratio add targets; --skip removes any. Exit status: 0 all "
                        "met, 3 a target missed, 1 an error, 2 bad usage.");
  g_autoptr (LbModel) cand = NULL, ref = NULL;
  g_autoptr (LbValidateReport) report = NULL;
  g_autofree char *text = NULL;
  gsize text_len = 0;
  LbValidateParams params;
  GError *error = NULL;
  int code;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!lb_cli_parse (ctx, &argc, &argv))
    {
      options_clear (&o);
      return LB_EXIT_USAGE;
    }
  code = configure (&o, argc, &params);
  if (code != LB_EXIT_OK)
    goto out;
  if (o.png && !lb_chart_png_path_check (o.png, "--png", &error))
    goto fail;

  cand = lb_cli_load_model (argv[1], o.tokenizer, &error);
  if (cand == NULL)
    goto fail;
  if (lb_validate_needs_eval (&params))
    {
      if (!g_file_get_contents (o.text_path, &text, &text_len, &error))
        goto fail;
      ref = lb_cli_load_model (o.reference, NULL, &error);
      if (ref == NULL)
        goto fail;
    }

  report = lb_validate_run (cand, ref, text, (gssize) text_len, &params, lb_cli_progress, NULL,
                            lb_cli_get_cancellable (), &error);
  lb_cli_progress_end ();
  if (report == NULL)
    goto fail;

  if (o.json_path == NULL || strcmp (o.json_path, "-") != 0)
    print_report (report);
  if (o.json_path && !write_json (o.json_path, report, &error))
    goto fail;
  if (o.png)
    {
      if (!write_png (o.png, report, &error))
        goto fail;
      fprintf (stderr, "wrote %s\n", o.png);
    }

  if (!report->passed)
    {
      GString *why = g_string_new (NULL);
      for (guint i = 0; i < LB_N_TARGETS; i++)
        {
          const LbTargetResult *t = &report->targets[i];
          if (t->checked && !t->passed)
            {
              g_autofree char *line = lb_target_format (t->target, t->value, t->limit, FALSE);
              g_string_append_printf (why, "%s%s (%s)", why->len ? ", " : "",
                                      lb_target_get_name (t->target), line);
            }
        }
      fprintf (stderr, "lowbit validate: %u target%s missed: %s\n", report->n_failed,
               report->n_failed == 1 ? "" : "s", why->str);
      g_string_free (why, TRUE);
      code = LB_EXIT_CHECK_FAILED;
    }
  goto out;

fail:
  code = lb_cli_fail (error);
out:
  options_clear (&o);
  return code;
}
