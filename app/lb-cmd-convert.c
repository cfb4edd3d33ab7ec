/* lb-cmd-convert.c: lowbit convert MODEL -o OUT.gguf [--type auto|f32|f16|bf16] */
#include "config.h"

#include <stdio.h>
#include <glib/gstdio.h>

#include "lb-cli.h"

int
lb_cmd_convert (int argc, char **argv)
{
  char *output = NULL, *type_name = NULL, *tokenizer = NULL;
  GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "GGUF file to write (required)", "OUT.gguf" },
    { "type", 0, 0, G_OPTION_ARG_STRING, &type_name,
      "Weight type: auto (keep the source's, lossless; default), f32, f16 or bf16", "TYPE" },
    { "tokenizer", 't', 0, G_OPTION_ARG_FILENAME, &tokenizer, "Tokenizer of a llama2.c checkpoint", "FILE" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx =
    lb_cli_context_new ("convert", "MODEL -o OUT.gguf",
                        "Import a Hugging Face folder, llama2.c checkpoint or GGUF into a GGUF file "
                        "with llama.cpp's tensor names and metadata.",
                        "Matrices take --type; norms and biases stay F32 as in llama.cpp's converter. "
                        "The output appears only when complete.");
  g_autoptr (LbModel) model = NULL;
  LbConvertType type = LB_CONVERT_AUTO;
  GError *error = NULL;
  int code = LB_EXIT_OK;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!lb_cli_parse (ctx, &argc, &argv))
    return LB_EXIT_USAGE;
  if (argc != 2)
    code = lb_cli_usage_error ("convert", "expected one MODEL argument");
  else if (output == NULL)
    code = lb_cli_usage_error ("convert", "--output is required");
  else if (type_name && !lb_convert_type_from_string (type_name, &type))
    code = lb_cli_usage_error ("convert", "unknown --type '%s' (auto, f32, f16 or bf16)", type_name);
  if (code != LB_EXIT_OK)
    goto out;

  model = lb_cli_load_model (argv[1], tokenizer, &error);
  if (model == NULL
      || !lb_model_export_gguf (model, output, type, lb_cli_progress, NULL,
                                lb_cli_get_cancellable (), &error))
    {
      lb_cli_progress_end ();
      code = lb_cli_fail (error);
      goto out;
    }
  lb_cli_progress_end ();
  {
    GStatBuf st;
    g_autofree char *size = NULL;
    if (g_stat (output, &st) == 0)
      {
        size = lb_cli_format_size ((guint64) st.st_size);
        fprintf (stderr, "wrote %s (%s, %u tensors)\n", output, size, lb_model_get_n_tensors (model));
      }
  }
out:
  g_free (output);
  g_free (type_name);
  g_free (tokenizer);
  return code;
}
