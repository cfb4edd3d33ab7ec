/* lb-cmd-tokenize.c: lowbit tokenize MODEL (--text T | --file F) [--json] */
#include "config.h"

#include <stdio.h>
#include <json-glib/json-glib.h>

#include "lb-cli.h"

/* the piece as readable text: raw bytes when valid UTF-8, else escaped */
static char *
piece_text (LbTokenizer *tok, gint32 prev, gint32 id)
{
  g_autoptr (GString) s = g_string_new (NULL);

  lb_tokenizer_append_piece (tok, prev, id, s);
  if (g_utf8_validate (s->str, s->len, NULL))
    return g_strdup (s->str);
  return g_strescape (s->str, NULL);
}

int
lb_cmd_tokenize (int argc, char **argv)
{
  char *text = NULL, *file = NULL, *tokenizer = NULL;
  gboolean json = FALSE, no_special = FALSE;
  GOptionEntry entries[] = {
    { "text", 0, 0, G_OPTION_ARG_STRING, &text, "Text to tokenize", "TEXT" },
    { "file", 'f', 0, G_OPTION_ARG_FILENAME, &file, "Tokenize a file's contents", "FILE" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON", NULL },
    { "no-special", 0, 0, G_OPTION_ARG_NONE, &no_special, "Add no BOS/EOS", NULL },
    { "tokenizer", 't', 0, G_OPTION_ARG_FILENAME, &tokenizer, "Tokenizer of a llama2.c checkpoint", "FILE" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx =
    lb_cli_context_new ("tokenize", "MODEL (--text TEXT | --file FILE)",
                        "Show the token ids and pieces a model's tokenizer makes of a text.", NULL);
  g_autoptr (LbModel) model = NULL;
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_autofree char *contents = NULL;
  gsize len = 0;
  LbTokenizer *tok;
  GError *error = NULL;
  int code = LB_EXIT_OK;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!lb_cli_parse (ctx, &argc, &argv))
    return LB_EXIT_USAGE;
  if (argc != 2)
    code = lb_cli_usage_error ("tokenize", "expected one MODEL argument");
  else if ((text == NULL) == (file == NULL))
    code = lb_cli_usage_error ("tokenize", "give exactly one of --text and --file");
  if (code != LB_EXIT_OK)
    goto out;

  if (file && !g_file_get_contents (file, &contents, &len, &error))
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
  tok = lb_model_get_tokenizer (model);
  if (!lb_tokenizer_encode (tok, text ? text : contents, text ? -1 : (gssize) len, !no_special,
                            ids, &error))
    {
      code = lb_cli_fail (error);
      goto out;
    }

  if (json)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      g_autoptr (JsonGenerator) gen = json_generator_new ();
      g_autoptr (JsonNode) root = NULL;
      g_autofree char *out = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "ids");
      json_builder_begin_array (b);
      for (guint i = 0; i < ids->len; i++)
        json_builder_add_int_value (b, g_array_index (ids, gint32, i));
      json_builder_end_array (b);
      json_builder_set_member_name (b, "pieces");
      json_builder_begin_array (b);
      for (guint i = 0; i < ids->len; i++)
        json_builder_add_string_value (b, lb_tokenizer_get_token_text (tok, g_array_index (ids, gint32, i)));
      json_builder_end_array (b);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      json_generator_set_root (gen, root);
      out = json_generator_to_data (gen, NULL);
      printf ("%s\n", out);
    }
  else
    {
      for (guint i = 0; i < ids->len; i++)
        {
          gint32 id = g_array_index (ids, gint32, i);
          g_autofree char *piece = piece_text (tok, i ? g_array_index (ids, gint32, i - 1) : -1, id);
          printf ("%6d  %-24s %s\n", id, lb_tokenizer_get_token_text (tok, id), piece);
        }
      fprintf (stderr, "%u tokens\n", ids->len);
    }
out:
  g_free (text);
  g_free (file);
  g_free (tokenizer);
  return code;
}
