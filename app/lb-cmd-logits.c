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
  g_autoptr (LbAtomicFile) out = lb_atomic_file_new (path, error);
  g_autofree float *row = g_new (float, n_vocab);
  GCancellable *cancel = lb_cli_get_cancellable ();
  gboolean ok = out != NULL;

  for (guint i = 0; ok && i < n; i++)
    {
      ok = !g_cancellable_set_error_if_cancelled (cancel, error)
           && lb_ref_engine_eval (engine, ids[i], row, error);
#if G_BYTE_ORDER == G_BIG_ENDIAN
      for (guint v = 0; ok && v < n_vocab; v++)
        {
          guint32 u = GUINT32_TO_LE (lb_fp32_to_bits (row[v]));
          memcpy (&row[v], &u, 4);
        }
#endif
      ok = ok && lb_atomic_file_write (out, row, n_vocab * sizeof (float), error);
      lb_cli_progress ((double) (i + 1) / n, "evaluating", NULL);
    }
  lb_cli_progress_end ();
  return ok && lb_atomic_file_commit (out, error);
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
