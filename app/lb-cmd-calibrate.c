/* lb-cmd-calibrate.c: lowbit calibrate MODEL --text FILE [--chunks N] [--ctx N] -o imatrix.gguf */
#include "config.h"

#include <stdio.h>

#include "lb-cli.h"
#include "lb-imatrix.h"

int
lb_cmd_calibrate (int argc, char **argv)
{
  char *output = NULL, *text_path = NULL, *tokenizer = NULL;
  int chunks = 0, n_ctx = 512;
  GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "Importance data to write (GGUF)", "imatrix.gguf" },
    { "text", 'f', 0, G_OPTION_ARG_FILENAME, &text_path, "Calibration text (required)", "FILE" },
    { "chunks", 0, 0, G_OPTION_ARG_INT, &chunks, "Chunks to run (default: the whole text)", "N" },
    { "ctx", 'c', 0, G_OPTION_ARG_INT, &n_ctx, "Tokens per chunk (default 512)", "N" },
    { "tokenizer", 't', 0, G_OPTION_ARG_FILENAME, &tokenizer, "Tokenizer of a llama2.c checkpoint", "FILE" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx =
    lb_cli_context_new ("calibrate", "MODEL --text FILE -o imatrix.gguf",
                        "Collect importance data: per input column of every block weight, the "
                        "mean squared activation over the calibration text.",
                        "The text is cut into chunks of --ctx tokens, each starting with BOS, "
                        "as llama.cpp's llama-imatrix does; the file uses its GGUF layout, so "
                        "llama-quantize reads it too.");
  g_autoptr (LbModel) model = NULL;
  g_autoptr (LbImatrix) imatrix = NULL;
  g_autofree char *text = NULL;
  gsize len = 0;
  GError *error = NULL;
  int code = LB_EXIT_OK;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!lb_cli_parse (ctx, &argc, &argv))
    return LB_EXIT_USAGE;
  if (argc != 2)
    code = lb_cli_usage_error ("calibrate", "expected one MODEL argument");
  else if (text_path == NULL)
    code = lb_cli_usage_error ("calibrate", "--text is required");
  else if (output == NULL)
    code = lb_cli_usage_error ("calibrate", "--output is required");
  else if (chunks < 0)
    code = lb_cli_usage_error ("calibrate", "--chunks must not be negative");
  else if (n_ctx < 1 || n_ctx > 65536)
    code = lb_cli_usage_error ("calibrate", "--ctx must be between 1 and 65536");
  if (code != LB_EXIT_OK)
    goto out;

  if (!g_file_get_contents (text_path, &text, &len, &error)
      || (model = lb_cli_load_model (argv[1], tokenizer, &error)) == NULL)
    {
      code = lb_cli_fail (error);
      goto out;
    }
  imatrix = lb_imatrix_collect (model, text, (gssize) len, text_path, (guint) n_ctx,
                                (guint) chunks, lb_cli_progress, NULL, lb_cli_get_cancellable (),
                                &error);
  lb_cli_progress_end ();
  if (imatrix == NULL || !lb_imatrix_save (imatrix, output, &error))
    {
      code = lb_cli_fail (error);
      goto out;
    }
  fprintf (stderr, "wrote %s: %u weights, %u chunks of %u tokens\n", output,
           lb_imatrix_get_n_entries (imatrix), lb_imatrix_get_chunk_count (imatrix),
           lb_imatrix_get_chunk_size (imatrix));
out:
  g_free (output);
  g_free (text_path);
  g_free (tokenizer);
  return code;
}
