/* lb-cmd-synth.c: lowbit synth --shape S -o FILE.gguf [--type T] [--seed N] */
#include "config.h"

#include <stdio.h>

#include "lb-cli.h"
#include "lb-memstat.h"
#include "lb-synth.h"

int
lb_cmd_synth (int argc, char **argv)
{
  g_autofree char *shape_spec = NULL;
  g_autofree char *out = NULL;
  g_autofree char *type_name = NULL;
  g_autofree char *shapes = g_strjoinv (", ", (char **) lb_synth_shape_names ());
  g_autofree char *description = NULL;
  gint64 seed = 42;
  double std = 0.02;
  int n_threads = 0;
  gboolean list = FALSE;
  GOptionEntry entries[] = {
    { "shape", 's', 0, G_OPTION_ARG_STRING, &shape_spec, "A model's shape (see below)", "SHAPE" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &out, "The GGUF file to write", "FILE" },
    { "type", 0, 0, G_OPTION_ARG_STRING, &type_name, "Type of the weight matrices (default F16)", "TYPE" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Random seed (default 42)", "N" },
    { "std", 0, 0, G_OPTION_ARG_DOUBLE, &std, "Standard deviation of the weights (default 0.02)", "S" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &n_threads, "Threads (default: one per processor)", "N" },
    { "list", 0, 0, G_OPTION_ARG_NONE, &list, "List the named shapes and exit", NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = NULL;
  LbSynthParams params = LB_SYNTH_PARAMS_INIT;
  LbSynthShape shape;
  LbSynthResult result;
  LbMemStat mem;
  GError *error = NULL;
  g_autofree char *size = NULL;
  gint64 t0;
  double secs;

  description = g_strdup_printf (
    "Writes a model with random weights (normal, mean 0) and a real model's shapes and "
    "vocabulary size, for speed and memory work. Norms and biases stay F32; matrices whose "
    "rows do not fit the type's blocks take Q8_0 or F16. The file is labelled synthetic "
    "(general.name, lowbit.synthetic). The same seed gives the same bytes.\n\n"
    "Shapes: %s, or custom:arch=qwen2|llama|gemma2,layers=N,embd=N,ff=N,heads=N,kv=N,"
    "vocab=N,ctx=N[,head_dim=N,rope_base=F,eps=F,tied=0|1,llama3_rope=0|1]", shapes);
  ctx = lb_cli_context_new ("synth", "--shape SHAPE -o FILE.gguf",
                            "Write a synthetic model with a real model's shapes.", description);
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!lb_cli_parse (ctx, &argc, &argv))
    return LB_EXIT_USAGE;
  if (list)
    {
      for (const char * const *n = lb_synth_shape_names (); *n; n++)
        {
          LbSynthShape s;
          if (lb_synth_shape_parse (*n, &s, NULL))
            printf ("%-14s %-7s %2u layers, embedding %u, feed-forward %u, %u/%u heads, "
                    "vocabulary %u, %.2fB parameters\n", *n, lb_arch_to_string (s.arch),
                    s.n_layer, s.n_embd, s.n_ff, s.n_head, s.n_head_kv, s.n_vocab,
                    lb_synth_shape_get_n_params (&s) / 1e9);
        }
      return LB_EXIT_OK;
    }
  if (argc != 1)
    return lb_cli_usage_error ("synth", "unexpected argument '%s'", argv[1]);
  if (shape_spec == NULL)
    return lb_cli_usage_error ("synth", "give a --shape");
  if (out == NULL)
    return lb_cli_usage_error ("synth", "give an output file with -o");
  if (n_threads < 0)
    return lb_cli_usage_error ("synth", "--threads must be 0 or more");
  if (seed < 0)
    return lb_cli_usage_error ("synth", "--seed must be 0 or more");
  if (!(std > 0.0 && std < 100.0))
    return lb_cli_usage_error ("synth", "--std must be in (0, 100)");
  if (type_name != NULL)
    {
      const LbTypeTraits *tr;
      if (!lb_type_from_name (type_name, &params.type)
          || (tr = lb_type_get_traits (params.type)) == NULL || tr->from_float == NULL)
        return lb_cli_usage_error ("synth", "unknown or unwritable --type '%s'", type_name);
    }
  if (!lb_synth_shape_parse (shape_spec, &shape, &error))
    return lb_cli_fail (error);

  params.seed = (guint64) seed;
  params.weight_std = (float) std;
  params.n_threads = (guint) n_threads;
  t0 = g_get_monotonic_time ();
  if (!lb_synth_write (&shape, &params, out, &result, lb_cli_progress, NULL,
                       lb_cli_get_cancellable (), &error))
    {
      lb_cli_progress_end ();
      return lb_cli_fail (error);
    }
  lb_cli_progress_end ();
  secs = (g_get_monotonic_time () - t0) / 1e6;

  size = lb_cli_format_size (result.file_size);
  printf ("shape         %s (%s, %u layers, embedding %u, feed-forward %u, %u/%u heads, "
          "vocabulary %u)\n", shape.name, lb_arch_to_string (shape.arch), shape.n_layer,
          shape.n_embd, shape.n_ff, shape.n_head, shape.n_head_kv, shape.n_vocab);
  printf ("parameters    %" G_GUINT64_FORMAT "\n", result.n_params);
  printf ("weights       %s, N(0, %g), seed %" G_GINT64_FORMAT "\n",
          lb_type_get_name (params.type), std, seed);
  if (result.n_fallback > 0)
    printf ("fallback      %u matrices whose rows do not fit %s blocks\n", result.n_fallback,
            lb_type_get_name (params.type));
  printf ("file          %s (%s, %u tensors)\n", out, size, result.n_tensors);
  printf ("time          %.1f s (%.0f MB/s)\n", secs,
          secs > 0 ? result.file_size / secs / 1e6 : 0.0);
  if (lb_memstat_read (&mem, NULL))
    {
      g_autofree char *peak = lb_cli_format_size (mem.peak_rss);
      g_autofree char *anon = lb_cli_format_size (mem.rss_anon);
      printf ("peak RSS      %s (anonymous now %s)\n", peak, anon);
    }
  return LB_EXIT_OK;
}
