/* lb-cmd-logits.c: lowbit logits MODEL (--text T | --tokens 1,2,3) -o FILE.f32 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>

#include "lb-cli.h"

static gboolean
parse_tokens (const char *list, GArray *ids, GError **error)
{
  g_auto (GStrv) parts = g_strsplit_set (list, ", ", -1);

  for (guint i = 0; parts[i]; i++)
    {
      gint64 v;
      if (parts[i][0] == '\0')
        continue;
      if (!g_ascii_string_to_signed (parts[i], 10, 0, G_MAXINT32, &v, NULL))
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                       "--tokens: '%s' is not a token id", parts[i]);
          return FALSE;
        }
      gint32 id = (gint32) v;
      g_array_append_val (ids, id);
    }
  if (ids->len == 0)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT, "--tokens: no token ids given");
      return FALSE;
    }
  return TRUE;
}

/* Streams rows into a file that replaces OUT only once complete. */
static gboolean
write_logits (LbRefEngine *engine, const gint32 *ids, guint n, guint n_vocab, const char *path,
              GError **error)
{
  g_autoptr (GFile) file = g_file_new_for_commandline_arg (path);
  g_autoptr (GFileOutputStream) out = NULL;
  g_autoptr (GCancellable) cancel = g_object_ref (lb_cli_get_cancellable ());
  g_autofree float *row = g_new (float, n_vocab);

  out = g_file_replace (file, NULL, FALSE, G_FILE_CREATE_REPLACE_DESTINATION, cancel, error);
  if (out == NULL)
    return FALSE;
  for (guint i = 0; i < n; i++)
    {
      if (!lb_ref_engine_eval (engine, ids[i], row, error))
        goto fail;
#if G_BYTE_ORDER == G_BIG_ENDIAN
      for (guint v = 0; v < n_vocab; v++)
        {
          guint32 u = GUINT32_TO_LE (lb_fp32_to_bits (row[v]));
          memcpy (&row[v], &u, 4);
        }
#endif
      if (!g_output_stream_write_all (G_OUTPUT_STREAM (out), row, n_vocab * sizeof (float),
                                      NULL, cancel, error))
        goto fail;
      lb_cli_progress ((double) (i + 1) / n, "evaluating", NULL);
    }
  lb_cli_progress_end ();
  return g_output_stream_close (G_OUTPUT_STREAM (out), cancel, error);

fail:
  lb_cli_progress_end ();
  {
    /* closing a cancelled replace stream discards the temporary file */
    g_autoptr (GCancellable) abort = g_cancellable_new ();
    g_cancellable_cancel (abort);
    g_output_stream_close (G_OUTPUT_STREAM (out), abort, NULL);
  }
  return FALSE;
}

int
lb_cmd_logits (int argc, char **argv)
{
  char *text = NULL, *tokens = NULL, *output = NULL, *tokenizer = NULL;
  gboolean no_special = FALSE;
  GOptionEntry entries[] = {
    { "text", 0, 0, G_OPTION_ARG_STRING, &text, "Text to tokenize (BOS added as the tokenizer says)", "TEXT" },
    { "tokens", 0, 0, G_OPTION_ARG_STRING, &tokens, "Token ids, taken verbatim (e.g. 1,342,594)", "IDS" },
    { "no-special", 0, 0, G_OPTION_ARG_NONE, &no_special, "With --text: add no BOS/EOS", NULL },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "File to write (required)", "FILE.f32" },
    { "tokenizer", 't', 0, G_OPTION_ARG_FILENAME, &tokenizer, "Tokenizer of a llama2.c checkpoint", "FILE" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx =
    lb_cli_context_new ("logits", "MODEL (--text TEXT | --tokens IDS) -o FILE.f32",
                        "Write the reference engine's logits at every position.",
                        "The file holds float32 little-endian values, row-major [n_tokens, n_vocab], "
                        "for cross-checking against other implementations.");
  g_autoptr (LbModel) model = NULL;
  g_autoptr (LbRefEngine) engine = NULL;
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  GError *error = NULL;
  int code = LB_EXIT_OK;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!lb_cli_parse (ctx, &argc, &argv))
    return LB_EXIT_USAGE;
  if (argc != 2)
    code = lb_cli_usage_error ("logits", "expected one MODEL argument");
  else if ((text == NULL) == (tokens == NULL))
    code = lb_cli_usage_error ("logits", "give exactly one of --text and --tokens");
  else if (output == NULL)
    code = lb_cli_usage_error ("logits", "--output is required");
  if (code != LB_EXIT_OK)
    goto out;

  if (tokens && !parse_tokens (tokens, ids, &error))
    {
      code = lb_cli_fail (error);
      goto out;
    }
  model = lb_cli_load_model (argv[1], tokenizer, &error);
  if (model == NULL)
    {
      code = lb_cli_fail (error);
      goto out;
    }
  if (text && !lb_tokenizer_encode (lb_model_get_tokenizer (model), text, -1, !no_special, ids, &error))
    {
      code = lb_cli_fail (error);
      goto out;
    }
  if (ids->len == 0)
    {
      code = lb_cli_usage_error ("logits", "the text encodes to no tokens");
      goto out;
    }
  engine = lb_ref_engine_new (model, ids->len, &error);
  if (engine == NULL
      || !write_logits (engine, (gint32 *) ids->data, ids->len, lb_model_get_hparams (model)->n_vocab,
                        output, &error))
    {
      code = lb_cli_fail (error);
      goto out;
    }
  fprintf (stderr, "wrote %u × %u logits to %s\n", ids->len, lb_model_get_hparams (model)->n_vocab, output);
out:
  g_free (text);
  g_free (tokens);
  g_free (output);
  g_free (tokenizer);
  return code;
}
