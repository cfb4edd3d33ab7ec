/* lb-cmd-quantize.c: lowbit quantize MODEL -o OUT.gguf (--preset NAME | --recipe FILE)
 *   [--profile NAME] [--imatrix FILE] [--dry-run] [--threads N]
 *   [--print-llama-quantize-args] [--list-presets] */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <glib/gstdio.h>

#include "lb-cli.h"
#include "lb-quantize.h"

static void
list_presets (void)
{
  g_auto (GStrv) names = lb_recipe_list_presets ();

  for (guint i = 0; names[i]; i++)
    {
      g_autoptr (LbRecipe) recipe = lb_recipe_load_preset (names[i], NULL);
      const char *desc = recipe ? lb_recipe_get_description (recipe) : NULL;

      printf ("%-12s %s\n", names[i], desc ? desc : "");
      for (guint p = 0; recipe && p < lb_recipe_get_n_profiles (recipe); p++)
        printf ("%-12s   profile %s\n", "", lb_recipe_get_profile_name (recipe, p));
    }
}

static void
print_plan (LbQuantPlan *plan, guint64 file_size, guint64 n_params)
{
  g_autofree char *size = lb_cli_format_size (file_size);
  const char *profile = lb_quant_plan_get_profile (plan);
  const char *ftype = lb_llama_ftype_to_name (lb_quant_plan_get_file_type (plan));

  printf ("%-36s %-16s %-7s %12s  %s\n", "tensor", "shape", "type", "bytes", "from / note");
  for (guint i = 0; i < lb_quant_plan_get_n_entries (plan); i++)
    {
      const LbPlanEntry *e = lb_quant_plan_get_entry (plan, i);
      g_autofree char *shape = lb_tensor_shape_string (e->tensor);
      g_autofree char *from = lb_plan_entry_describe_source (plan, e);

      printf ("%-36s %-16s %-7s %12" G_GUINT64_FORMAT "  %s%s%s\n", e->tensor->name, shape,
              lb_type_get_name (e->type), e->n_bytes, from, e->note ? "; " : "",
              e->note ? e->note : "");
    }
  printf ("\nrecipe %s%s%s, file type %u (%s)\n", lb_recipe_get_name (lb_quant_plan_get_recipe (plan)),
          profile ? ", profile " : "", profile ? profile : "", lb_quant_plan_get_file_type (plan),
          ftype ? ftype : "?");
  printf ("tensor data %" G_GUINT64_FORMAT " bytes, %u fallback%s\n",
          lb_quant_plan_get_data_bytes (plan), lb_quant_plan_get_n_fallbacks (plan),
          lb_quant_plan_get_n_fallbacks (plan) == 1 ? "" : "s");
  printf ("output size %" G_GUINT64_FORMAT " bytes (%s, %.3f bits per weight)\n", file_size, size,
          n_params ? 8.0 * (double) file_size / (double) n_params : 0.0);
}

static void
print_llama_args (char **args)
{
  GString *line = g_string_new ("llama-quantize");

  for (guint i = 0; args[i]; i++)
    {
      g_autofree char *q = g_shell_quote (args[i]);
      /* plain words stay unquoted for readability */
      gboolean plain = strspn (args[i], "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                        "0123456789_-./=") == strlen (args[i]);
      g_string_append_printf (line, " %s", plain && *args[i] ? args[i] : q);
    }
  printf ("%s\n", line->str);
  g_string_free (line, TRUE);
}

/* A recipe's relative importance path is relative to the recipe's folder. */
static void
resolve_importance_path (LbRecipe *recipe, const char *recipe_path)
{
  const char *imp = lb_recipe_get_importance (recipe);

  if (imp && recipe_path && !g_path_is_absolute (imp))
    {
      g_autofree char *dir = g_path_get_dirname (recipe_path);
      g_autofree char *full = g_build_filename (dir, imp, NULL);
      lb_recipe_set_importance (recipe, full);
    }
}

int
lb_cmd_quantize (int argc, char **argv)
{
  char *output = NULL, *preset = NULL, *recipe_path = NULL, *profile = NULL;
  char *imatrix_path = NULL, *tokenizer = NULL;
  gboolean dry_run = FALSE, llama_args = FALSE, list = FALSE;
  int threads = 0;
  GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "GGUF file to write", "OUT.gguf" },
    { "preset", 'p', 0, G_OPTION_ARG_STRING, &preset,
      "A bundled recipe: Q8_0, Q6_K, Q5_K_M, Q4_K_M, Q4_0, Q3_K_M, Q2_K, IQ4_NL, brief-mixed", "NAME" },
    { "recipe", 'r', 0, G_OPTION_ARG_FILENAME, &recipe_path, "A recipe JSON file", "FILE" },
    { "profile", 0, 0, G_OPTION_ARG_STRING, &profile, "One of the recipe's profiles", "NAME" },
    { "imatrix", 'i', 0, G_OPTION_ARG_FILENAME, &imatrix_path,
      "Importance data (llama.cpp imatrix GGUF or .dat, or lowbit calibrate's)", "FILE" },
    { "dry-run", 'n', 0, G_OPTION_ARG_NONE, &dry_run,
      "Print the per-tensor plan and the exact output size; write nothing", NULL },
    { "threads", 't', 0, G_OPTION_ARG_INT, &threads, "Worker threads (default: all cores)", "N" },
    { "print-llama-quantize-args", 0, 0, G_OPTION_ARG_NONE, &llama_args,
      "Print the equivalent llama-quantize command; write nothing", NULL },
    { "list-presets", 0, 0, G_OPTION_ARG_NONE, &list, "List the bundled recipes", NULL },
    { "tokenizer", 0, 0, G_OPTION_ARG_FILENAME, &tokenizer, "Tokenizer of a llama2.c checkpoint", "FILE" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx =
    lb_cli_context_new ("quantize", "MODEL -o OUT.gguf (--preset NAME | --recipe FILE)",
                        "Quantize a model to a mixed-precision GGUF file following a recipe.",
                        "Tensors are streamed one at a time; the output appears only when "
                        "complete. Norms and biases stay F32.");
  g_autoptr (LbRecipe) recipe = NULL;
  g_autoptr (LbModel) model = NULL;
  g_autoptr (LbQuantPlan) plan = NULL;
  g_autoptr (LbImatrix) imatrix = NULL;
  GError *error = NULL;
  int code = LB_EXIT_OK;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!lb_cli_parse (ctx, &argc, &argv))
    return LB_EXIT_USAGE;
  if (list)
    {
      list_presets ();
      goto out;
    }
  if (argc != 2)
    code = lb_cli_usage_error ("quantize", "expected one MODEL argument");
  else if ((preset == NULL) == (recipe_path == NULL))
    code = lb_cli_usage_error ("quantize", "give one of --preset or --recipe");
  else if (output == NULL && !dry_run && !llama_args)
    code = lb_cli_usage_error ("quantize", "--output is required (or --dry-run)");
  else if (threads < 0 || threads > 1024)
    code = lb_cli_usage_error ("quantize", "--threads must be between 1 and 1024");
  if (code != LB_EXIT_OK)
    goto out;

  recipe = preset ? lb_recipe_load_preset (preset, &error) : lb_recipe_load (recipe_path, &error);
  if (recipe == NULL)
    {
      code = lb_cli_fail (error);
      goto out;
    }
  resolve_importance_path (recipe, recipe_path);
  if (imatrix_path)
    lb_recipe_set_importance (recipe, imatrix_path);

  model = lb_cli_load_model (argv[1], tokenizer, &error);
  if (model == NULL || !lb_recipe_resolve (recipe, model, profile, &plan, &error))
    {
      code = lb_cli_fail (error);
      goto out;
    }
  for (const char * const *w = lb_quant_plan_get_warnings (plan); *w; w++)
    fprintf (stderr, "lowbit quantize: warning: %s\n", *w);

  /* the llama-quantize arguments alone do not need the data itself */
  if (lb_quant_plan_uses_importance (plan) && (dry_run || !llama_args))
    {
      imatrix = lb_imatrix_load (lb_recipe_get_importance (recipe), &error);
      if (imatrix == NULL)
        {
          code = lb_cli_fail (error);
          goto out;
        }
    }

  if (dry_run)
    print_plan (plan, lb_quantize_get_file_size (plan, imatrix), lb_model_get_n_params (model));
  if (llama_args)
    {
      g_auto (GStrv) args = lb_quant_plan_to_llama_quantize_args (plan, argv[1],
                                                                   output ? output : "OUT.gguf",
                                                                   &error);
      if (args == NULL)
        {
          code = lb_cli_fail (error);
          goto out;
        }
      if (dry_run)
        printf ("\n");
      print_llama_args (args);
    }
  if (dry_run || llama_args)
    goto out;

  if (!lb_quantize_model (model, plan, imatrix, output, (guint) threads, lb_cli_progress, NULL,
                          lb_cli_get_cancellable (), &error))
    {
      lb_cli_progress_end ();
      code = lb_cli_fail (error);
      goto out;
    }
  lb_cli_progress_end ();
  {
    GStatBuf st;
    if (g_stat (output, &st) == 0)
      {
        g_autofree char *size = lb_cli_format_size ((guint64) st.st_size);
        fprintf (stderr, "wrote %s (%s, %" G_GUINT64_FORMAT " bytes, %u tensors, %u fallback%s)\n",
                 output, size, (guint64) st.st_size, lb_quant_plan_get_n_entries (plan),
                 lb_quant_plan_get_n_fallbacks (plan),
                 lb_quant_plan_get_n_fallbacks (plan) == 1 ? "" : "s");
      }
  }
out:
  g_free (output);
  g_free (preset);
  g_free (recipe_path);
  g_free (profile);
  g_free (imatrix_path);
  g_free (tokenizer);
  return code;
}
