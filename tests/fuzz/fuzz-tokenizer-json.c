/* fuzz-tokenizer-json.c: byte-level BPE tokenizers over arbitrary bytes.
 * The first byte picks the target:
 *   even  the rest is a tokenizer.json: imported; when accepted, a tokenizer
 *         is built from it and encodes and decodes a sample text
 *   odd   the next byte picks a pre-tokenizer, the rest is text for a small
 *         tokenizer that has every byte: decode(encode(text)) must give the
 *         text back exactly, whatever the bytes */
#include <glib.h>
#include <glib/gstdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lowbit.h"
#include "lb-model-private.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static char *tmp_dir;

static void
remove_tmp_dir (void)
{
  char *path = g_build_filename (tmp_dir, "tokenizer.json", NULL);

  g_unlink (path);
  g_rmdir (tmp_dir);
  g_free (path);
}

static void
fuzz_json (const uint8_t *data, size_t size)
{
  static const char sample[] = "Hello world, it's 2026!\n\n\t<|endoftext|> caf\xc3\xa9 \xff\xfe";
  char *path;
  LbMeta *meta = lb_meta_new ();
  GError *error = NULL;

  if (tmp_dir == NULL)
    {
      tmp_dir = g_dir_make_tmp ("lowbit-fuzz-XXXXXX", NULL);
      g_assert (tmp_dir != NULL);
      atexit (remove_tmp_dir);
    }
  path = g_build_filename (tmp_dir, "tokenizer.json", NULL);
  g_assert (g_file_set_contents (path, (const char *) data, size, NULL));
  if (lb_hf_tokenizer_json_to_meta (tmp_dir, meta, &error))
    {
      LbTokenizer *tok = lb_tokenizer_new_from_meta (meta, &error);

      if (tok != NULL)
        {
          GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint32));
          char *back;

          g_assert (lb_tokenizer_encode (tok, sample, sizeof sample - 1, TRUE, ids, NULL));
          for (guint i = 0; i < ids->len; i++)
            g_assert ((guint) g_array_index (ids, gint32, i) < lb_tokenizer_get_n_vocab (tok));
          back = lb_tokenizer_decode (tok, (const gint32 *) ids->data, ids->len);
          g_free (back);
          g_array_unref (ids);
          g_object_unref (tok);
        }
    }
  if (error != NULL)
    {
      g_assert (error->message != NULL);
      g_error_free (error);
    }
  lb_meta_unref (meta);
  g_free (path);
}

/* 256 byte characters, a few merges and two added tokens */
static LbTokenizer *
small_tokenizer (const char *pre)
{
  static const char *const merges[] = {
    "\xc4\xa0 t", "h e", "\xc4\xa0t he", "i n", "\xc4\x8a \xc4\x8a", "\xc3\xa4 \xc2\xbd",
    "' s", "1 2", "\xc4\xa0 \xc4\xa0",
  };
  GPtrArray *tokens = g_ptr_array_new_with_free_func (g_free);
  GArray *types = g_array_new (FALSE, FALSE, sizeof (gint32));
  LbMeta *meta = lb_meta_new ();
  LbTokenizer *tok;
  guint n = 0;
  gint32 t;

  for (guint b = 0; b < 256; b++)
    {
      gboolean printable = (b >= '!' && b <= '~') || (b >= 0xa1 && b <= 0xac) || b >= 0xae;
      char buf[8] = { 0 };

      g_unichar_to_utf8 (printable ? b : 256 + n++, buf);
      g_ptr_array_add (tokens, g_strdup (buf));
      t = LB_TOKEN_TYPE_NORMAL;
      g_array_append_val (types, t);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (merges); i++)
    {
      char **lr = g_strsplit (merges[i], " ", 2);

      g_ptr_array_add (tokens, g_strconcat (lr[0], lr[1], NULL));
      g_array_append_val (types, t);
      g_strfreev (lr);
    }
  g_ptr_array_add (tokens, g_strdup ("<|endoftext|>"));
  t = LB_TOKEN_TYPE_CONTROL;
  g_array_append_val (types, t);
  g_ptr_array_add (tokens, g_strdup ("<u>"));
  t = LB_TOKEN_TYPE_USER_DEFINED;
  g_array_append_val (types, t);

  lb_meta_set_string (meta, "tokenizer.ggml.model", "gpt2");
  lb_meta_set_string (meta, "tokenizer.ggml.pre", pre);
  lb_meta_set_strv (meta, "tokenizer.ggml.tokens", (const char *const *) tokens->pdata,
                    tokens->len);
  lb_meta_set_array (meta, "tokenizer.ggml.token_type", LB_VALUE_INT32, types->data, types->len);
  lb_meta_set_strv (meta, "tokenizer.ggml.merges", merges, G_N_ELEMENTS (merges));
  tok = lb_tokenizer_new_from_meta (meta, NULL);
  g_assert (tok != NULL);
  lb_meta_unref (meta);
  g_ptr_array_unref (tokens);
  g_array_unref (types);
  return tok;
}

static void
fuzz_encode (const uint8_t *data, size_t size)
{
  static const char *const pres[] = { "gpt-2", "qwen2", "llama-bpe", "smollm" };
  static LbTokenizer *toks[G_N_ELEMENTS (pres)];
  LbTokenizer *tok;
  GArray *ids;
  GString *back;
  guint k;

  if (size < 1)
    return;
  k = data[0] % G_N_ELEMENTS (pres);
  if (toks[k] == NULL)
    toks[k] = small_tokenizer (pres[k]);
  tok = toks[k];
  data++, size--;

  ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_assert (lb_tokenizer_encode (tok, (const char *) data, size, FALSE, ids, NULL));
  back = g_string_new (NULL);
  for (guint i = 0; i < ids->len; i++)
    {
      gint32 id = g_array_index (ids, gint32, i);

      if (lb_tokenizer_get_token_type (tok, id) == LB_TOKEN_TYPE_CONTROL)
        g_string_append (back, lb_tokenizer_get_token_text (tok, id));
      else
        lb_tokenizer_append_piece (tok, -1, id, back);
    }
  g_assert (back->len == size && memcmp (back->str, data, size) == 0);
  g_string_free (back, TRUE);
  g_array_unref (ids);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  if (data[0] & 1)
    fuzz_encode (data + 1, size - 1);
  else
    fuzz_json (data + 1, size - 1);
  return 0;
}
