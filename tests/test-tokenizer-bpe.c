/* test-tokenizer-bpe.c: byte-level BPE ("gpt2") tokenizers: the
 * pre-tokenizers, tokenizer.json / vocab.json import, encode and decode
 * against the Hugging Face reference ids, GGUF round trip, bad input. */
#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "lowbit.h"
#include "lb-model-private.h"
#include "lb-pretokenizer.h"
#include "lb-test-util.h"

#define REF_DIR "models", "tiny-archs", "tiny-qwen2-bpe"

/* The folder imported once and shared by the tests that only read it. */
static LbMeta *ref_meta;

static LbMeta *
get_ref_meta (void)
{
  if (ref_meta == NULL)
    {
      char *dir = lb_test_shared_path (REF_DIR, NULL);
      GError *error = NULL;
      LbMeta *meta;

      if (dir == NULL)
        return NULL;
      meta = lb_meta_new ();
      if (!lb_hf_tokenizer_json_to_meta (dir, meta, &error))
        {
          g_test_fail_printf ("importing %s: %s", dir, error->message);
          g_error_free (error);
          lb_meta_unref (meta);
          g_free (dir);
          return NULL;
        }
      g_free (dir);
      ref_meta = meta;
    }
  return ref_meta;
}

static LbTokenizer *
tokenizer_from (const LbMeta *meta)
{
  GError *error = NULL;
  LbTokenizer *tok = lb_tokenizer_new_from_meta (meta, &error);

  g_assert_no_error (error);
  g_assert_nonnull (tok);
  return tok;
}

static GArray *
encode (LbTokenizer *tok, const char *text, gssize len)
{
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  GError *error = NULL;

  g_assert_true (lb_tokenizer_encode (tok, text, len, FALSE, ids, &error));
  g_assert_no_error (error);
  return ids;
}

/* Decoded text the way Hugging Face's decode shows it: control tokens as
 * their text (LbTokenizer's own decode leaves them out, as llama.cpp does). */
static char *
decode_showing_control (LbTokenizer *tok, GArray *ids)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < ids->len; i++)
    {
      gint32 id = g_array_index (ids, gint32, i);

      if (lb_tokenizer_get_token_type (tok, id) == LB_TOKEN_TYPE_CONTROL)
        g_string_append (out, lb_tokenizer_get_token_text (tok, id));
      else
        lb_tokenizer_append_piece (tok, i > 0 ? g_array_index (ids, gint32, i - 1) : -1, id, out);
    }
  return g_string_free (out, FALSE);
}

static void
assert_ids (GArray *got, JsonArray *want, const char *what, const char *text)
{
  gboolean same = got->len == json_array_get_length (want);

  for (guint i = 0; same && i < got->len; i++)
    same = g_array_index (got, gint32, i) == json_array_get_int_element (want, i);
  if (!same)
    {
      GString *g = g_string_new (NULL), *w = g_string_new (NULL);

      for (guint i = 0; i < got->len; i++)
        g_string_append_printf (g, " %d", g_array_index (got, gint32, i));
      for (guint i = 0; i < json_array_get_length (want); i++)
        g_string_append_printf (w, " %" G_GINT64_FORMAT, json_array_get_int_element (want, i));
      g_test_fail_printf ("%s of \"%s\": got%s, want%s", what, text, g->str, w->str);
      g_string_free (g, TRUE);
      g_string_free (w, TRUE);
    }
}

/* Runs every case of ref-tokenization.json through tok; member is "ids" or
 * "ids_qwen2_pretokenizer". */
static void
check_ref_cases (LbTokenizer *tok, const char *member)
{
  char *path = lb_test_shared_path (REF_DIR, "ref-tokenization.json", NULL);
  JsonParser *parser;
  JsonArray *cases;
  GError *error = NULL;

  if (path == NULL)
    return;
  parser = json_parser_new ();
  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  cases = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)),
                                        "cases");
  g_assert_cmpuint (json_array_get_length (cases), >=, 10);
  for (guint i = 0; i < json_array_get_length (cases); i++)
    {
      JsonObject *c = json_array_get_object_element (cases, i);
      const char *text = json_object_get_string_member (c, "text");
      GArray *ids = encode (tok, text, -1);
      char *back = decode_showing_control (tok, ids);

      assert_ids (ids, json_object_get_array_member (c, member), member, text);
      g_assert_cmpstr (back, ==, text);
      g_assert_cmpstr (back, ==, json_object_get_string_member (c, "decoded"));
      g_free (back);
      g_array_unref (ids);
    }
  g_object_unref (parser);
  g_free (path);
}

/* ---- pre-tokenizers --------------------------------------------------- */

/* Expected pieces, separated by \037, from Python's `regex` module running
 * each tokenizer's own pattern (smollm: \p{N} isolated, then GPT-2's). */
static const struct {
  const char *pre, *text, *pieces;
} split_cases[] = {
  { "gpt-2", "I'M here, it'S 12345 o'clock!\012\012  \011ok  ",
    "I\037'\037M\037 here\037,\037 it\037'\037S\037 12345\037 o\037'\037clock\037!\037\012\012  \037\011\037ok\037  " },
  { "qwen2", "I'M here, it'S 12345 o'clock!\012\012  \011ok  ",
    "I\037'M\037 here\037,\037 it\037'S\037 \0371\0372\0373\0374\0375\037 o\037'clock\037!\012\012\037  \037\011ok\037  " },
  { "llama-bpe", "I'M here, it'S 12345 o'clock!\012\012  \011ok  ",
    "I\037'M\037 here\037,\037 it\037'S\037 \037123\03745\037 o\037'clock\037!\012\012\037  \037\011ok\037  " },
  { "smollm", "I'M here, it'S 12345 o'clock!\012\012  \011ok  ",
    "I\037'\037M\037 here\037,\037 it\037'\037S\037 \0371\0372\0373\0374\0375\037 o\037'\037clock\037!\037\012\012  \037\011\037ok\037  " },
  { "gpt-2", "Hello   world\015\012\015\012\011x \343\200\200y\302\240z",
    "Hello\037  \037 world\037\015\012\015\012\037\011\037x\037 \037\343\200\200\037y\037\302\240\037z" },
  { "qwen2", "Hello   world\015\012\015\012\011x \343\200\200y\302\240z",
    "Hello\037  \037 world\037\015\012\015\012\037\011x\037 \037\343\200\200y\037\302\240z" },
  { "llama-bpe", "Hello   world\015\012\015\012\011x \343\200\200y\302\240z",
    "Hello\037  \037 world\037\015\012\015\012\037\011x\037 \037\343\200\200y\037\302\240z" },
  { "smollm", "Hello   world\015\012\015\012\011x \343\200\200y\302\240z",
    "Hello\037  \037 world\037\015\012\015\012\037\011\037x\037 \037\343\200\200\037y\037\302\240\037z" },
  { "gpt-2", "caf\303\251 na\303\257ve \344\275\240\345\245\275\357\274\214\344\270\226\347\225\214\357\274\201 \360\237\231\202\360\237\232\200 x\314\201",
    "caf\303\251\037 na\303\257ve\037 \344\275\240\345\245\275\037\357\274\214\037\344\270\226\347\225\214\037\357\274\201\037 \360\237\231\202\360\237\232\200\037 x\037\314\201" },
  { "qwen2", "caf\303\251 na\303\257ve \344\275\240\345\245\275\357\274\214\344\270\226\347\225\214\357\274\201 \360\237\231\202\360\237\232\200 x\314\201",
    "caf\303\251\037 na\303\257ve\037 \344\275\240\345\245\275\037\357\274\214\344\270\226\347\225\214\037\357\274\201\037 \360\237\231\202\360\237\232\200\037 x\037\314\201" },
  { "llama-bpe", "caf\303\251 na\303\257ve \344\275\240\345\245\275\357\274\214\344\270\226\347\225\214\357\274\201 \360\237\231\202\360\237\232\200 x\314\201",
    "caf\303\251\037 na\303\257ve\037 \344\275\240\345\245\275\037\357\274\214\344\270\226\347\225\214\037\357\274\201\037 \360\237\231\202\360\237\232\200\037 x\037\314\201" },
  { "smollm", "caf\303\251 na\303\257ve \344\275\240\345\245\275\357\274\214\344\270\226\347\225\214\357\274\201 \360\237\231\202\360\237\232\200 x\314\201",
    "caf\303\251\037 na\303\257ve\037 \344\275\240\345\245\275\037\357\274\214\037\344\270\226\347\225\214\037\357\274\201\037 \360\237\231\202\360\237\232\200\037 x\037\314\201" },
  { "gpt-2", "'\305\277 'RE 'Ve 'LL 'll ''' ...'s -- (a)[b]{c}\012\012\012",
    "'\037\305\277\037 '\037RE\037 '\037Ve\037 '\037LL\037 '\037ll\037 '''\037 ...'\037s\037 --\037 (\037a\037)[\037b\037]{\037c\037}\037\012\012\012" },
  { "qwen2", "'\305\277 'RE 'Ve 'LL 'll ''' ...'s -- (a)[b]{c}\012\012\012",
    "'\305\277\037 '\037RE\037 '\037Ve\037 '\037LL\037 '\037ll\037 '''\037 ...'\037s\037 --\037 (\037a\037)[\037b\037]{\037c\037}\012\012\012" },
  { "llama-bpe", "'\305\277 'RE 'Ve 'LL 'll ''' ...'s -- (a)[b]{c}\012\012\012",
    "'\305\277\037 '\037RE\037 '\037Ve\037 '\037LL\037 '\037ll\037 '''\037 ...'\037s\037 --\037 (\037a\037)[\037b\037]{\037c\037}\012\012\012" },
  { "smollm", "'\305\277 'RE 'Ve 'LL 'll ''' ...'s -- (a)[b]{c}\012\012\012",
    "'\037\305\277\037 '\037RE\037 '\037Ve\037 '\037LL\037 '\037ll\037 '''\037 ...'\037s\037 --\037 (\037a\037)[\037b\037]{\037c\037}\037\012\012\012" },
  { "gpt-2", "x\302\262 \331\243\331\244 \342\205\253\342\205\254 1,234.5e-6   \012",
    "x\037\302\262\037 \331\243\331\244\037 \342\205\253\342\205\254\037 1\037,\037234\037.\0375\037e\037-\0376\037   \012" },
  { "qwen2", "x\302\262 \331\243\331\244 \342\205\253\342\205\254 1,234.5e-6   \012",
    "x\037\302\262\037 \037\331\243\037\331\244\037 \037\342\205\253\037\342\205\254\037 \0371\037,\0372\0373\0374\037.\0375\037e\037-\0376\037   \012" },
  { "llama-bpe", "x\302\262 \331\243\331\244 \342\205\253\342\205\254 1,234.5e-6   \012",
    "x\037\302\262\037 \037\331\243\331\244\037 \037\342\205\253\342\205\254\037 \0371\037,\037234\037.\0375\037e\037-\0376\037   \012" },
  { "smollm", "x\302\262 \331\243\331\244 \342\205\253\342\205\254 1,234.5e-6   \012",
    "x\037\302\262\037 \037\331\243\037\331\244\037 \037\342\205\253\037\342\205\254\037 \0371\037,\0372\0373\0374\037.\0375\037e\037-\0376\037   \012" },
};

static void
collect_piece (const char *piece, gsize len, gpointer user_data)
{
  GString *out = user_data;

  if (out->len > 0)
    g_string_append_c (out, '\037');
  g_string_append_len (out, piece, len);
}

static void
test_pretokenizer_splits (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (split_cases); i++)
    {
      const LbPretokenizer *pt = lb_pretokenizer_find (split_cases[i].pre);
      GString *got = g_string_new (NULL);

      g_assert_nonnull (pt);
      lb_pretokenizer_split (pt, split_cases[i].text, strlen (split_cases[i].text),
                             collect_piece, got);
      if (strcmp (got->str, split_cases[i].pieces) != 0)
        {
          char *g = g_strescape (got->str, NULL), *w = g_strescape (split_cases[i].pieces, NULL);

          g_test_fail_printf ("%s splits case %" G_GSIZE_FORMAT " as \"%s\", want \"%s\"",
                              split_cases[i].pre, i, g, w);
          g_free (g);
          g_free (w);
        }
      g_string_free (got, TRUE);
    }
  g_assert_cmpstr (lb_pretokenizer_get_name (lb_pretokenizer_find ("llama3")), ==, "llama-bpe");
  g_assert_true (lb_pretokenizer_get_ignore_merges (lb_pretokenizer_find ("llama-bpe")));
  g_assert_false (lb_pretokenizer_get_ignore_merges (lb_pretokenizer_find ("qwen2")));
  g_assert_null (lb_pretokenizer_find ("gpt-3"));
}

/* Any bytes are split into pieces that cover them in order. */
static void
test_pretokenizer_any_bytes (void)
{
  static const char *const names[] = { "gpt-2", "qwen2", "llama-bpe", "smollm" };
  GRand *rand = g_rand_new_with_seed (7);

  for (guint round = 0; round < 400; round++)
    {
      gsize len = g_rand_int_range (rand, 0, 64);
      char *buf = g_malloc (len + 1);

      for (gsize i = 0; i < len; i++)
        buf[i] = (char) g_rand_int_range (rand, 0, 256);
      for (gsize k = 0; k < G_N_ELEMENTS (names); k++)
        {
          GString *got = g_string_new (NULL);
          char **parts;
          GString *joined = g_string_new (NULL);

          /* \037 cannot appear in the joined pieces if it is not in buf */
          for (gsize i = 0; i < len; i++)
            if (buf[i] == '\037')
              buf[i] = 'x';
          lb_pretokenizer_split (lb_pretokenizer_find (names[k]), buf, len, collect_piece, got);
          parts = g_strsplit (got->str, "\037", -1);
          for (guint p = 0; parts[p] != NULL; p++)
            g_string_append (joined, parts[p]);
          if (memchr (buf, '\0', len) == NULL)
            {
              g_assert_cmpuint (joined->len, ==, len);
              g_assert_true (memcmp (joined->str, buf, len) == 0);
            }
          g_strfreev (parts);
          g_string_free (joined, TRUE);
          g_string_free (got, TRUE);
        }
      g_free (buf);
    }
  g_rand_free (rand);
}

/* ---- the reference folder --------------------------------------------- */

static void
test_import_keys (void)
{
  LbMeta *meta = get_ref_meta ();
  const LbValue *tokens, *types, *merges;
  guint32 bos = 0, eos = 0;

  if (meta == NULL)
    return;
  g_assert_cmpstr (lb_meta_get_string (meta, "tokenizer.ggml.model"), ==, "gpt2");
  g_assert_cmpstr (lb_meta_get_string (meta, "tokenizer.ggml.pre"), ==, "gpt-2");
  tokens = lb_meta_lookup (meta, "tokenizer.ggml.tokens");
  types = lb_meta_lookup (meta, "tokenizer.ggml.token_type");
  merges = lb_meta_lookup (meta, "tokenizer.ggml.merges");
  g_assert_nonnull (tokens);
  g_assert_nonnull (types);
  g_assert_nonnull (merges);
  g_assert_cmpuint (tokens->arr.n, ==, 50257);
  g_assert_cmpint (types->arr.elem_type, ==, LB_VALUE_INT32);
  g_assert_cmpuint (types->arr.n, ==, 50257);
  /* GPT-2's merges.txt has 50000 merges after its "#version" line */
  g_assert_cmpuint (merges->arr.n, ==, 50000);
  g_assert_cmpstr (merges->arr.strings[0].data, ==, "\304\240 t");
  g_assert_cmpstr (tokens->arr.strings[50256].data, ==, "<|endoftext|>");
  g_assert_cmpint (((gint32 *) types->arr.data)[50256], ==, LB_TOKEN_TYPE_CONTROL);
  g_assert_cmpint (((gint32 *) types->arr.data)[198], ==, LB_TOKEN_TYPE_NORMAL);
  g_assert_cmpstr (tokens->arr.strings[198].data, ==, "\304\212");   /* "\n" as Ċ */
  g_assert_true (lb_meta_get_u32 (meta, "tokenizer.ggml.bos_token_id", &bos, NULL));
  g_assert_true (lb_meta_get_u32 (meta, "tokenizer.ggml.eos_token_id", &eos, NULL));
  g_assert_cmpuint (bos, ==, 50256);
  g_assert_cmpuint (eos, ==, 50256);
  /* nothing in the folder asks for BOS to be added */
  g_assert_false (lb_meta_contains (meta, "tokenizer.ggml.add_bos_token"));
}

static void
test_ref_ids (void)
{
  LbMeta *meta = get_ref_meta ();
  LbTokenizer *tok;

  if (meta == NULL)
    return;
  tok = tokenizer_from (meta);
  g_assert_cmpstr (lb_tokenizer_get_model_name (tok), ==, "gpt2");
  g_assert_cmpuint (lb_tokenizer_get_n_vocab (tok), ==, 50257);
  check_ref_cases (tok, "ids");
  g_object_unref (tok);
}

static void
test_ref_ids_qwen2 (void)
{
  LbMeta *base = get_ref_meta ();
  LbMeta *meta;
  LbTokenizer *tok;

  if (base == NULL)
    return;
  meta = lb_meta_copy (base);
  lb_meta_set_string (meta, "tokenizer.ggml.pre", "qwen2");
  tok = tokenizer_from (meta);
  check_ref_cases (tok, "ids_qwen2_pretokenizer");
  g_object_unref (tok);
  lb_meta_unref (meta);
}

static void
copy_file (const char *from_dir, const char *to_dir, const char *name)
{
  char *from = g_build_filename (from_dir, name, NULL);
  char *to = g_build_filename (to_dir, name, NULL);
  char *contents = NULL;
  gsize len = 0;
  GError *error = NULL;

  g_file_get_contents (from, &contents, &len, &error);
  g_assert_no_error (error);
  g_file_set_contents (to, contents, len, &error);
  g_assert_no_error (error);
  g_free (contents);
  g_free (from);
  g_free (to);
}

static void
test_ref_vocab_json (void)
{
  static const char *const keys[] = {
    "tokenizer.ggml.model", "tokenizer.ggml.pre", "tokenizer.ggml.tokens",
    "tokenizer.ggml.token_type", "tokenizer.ggml.merges", "tokenizer.ggml.bos_token_id",
    "tokenizer.ggml.eos_token_id",
  };
  LbMeta *from_json = get_ref_meta ();
  char *src = lb_test_shared_path (REF_DIR, NULL);
  char *tmp;
  LbMeta *meta;
  LbTokenizer *tok;
  GError *error = NULL;

  if (src == NULL || from_json == NULL)
    {
      g_free (src);
      return;
    }
  tmp = lb_test_make_tmpdir ();
  copy_file (src, tmp, "vocab.json");
  copy_file (src, tmp, "merges.txt");
  copy_file (src, tmp, "tokenizer_config.json");
  copy_file (src, tmp, "config.json");
  meta = lb_meta_new ();
  g_assert_true (lb_hf_tokenizer_json_to_meta (tmp, meta, &error));
  g_assert_no_error (error);
  /* the same vocabulary, types, merges and special ids either way */
  for (gsize i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      const LbValue *a = lb_meta_lookup (from_json, keys[i]), *b = lb_meta_lookup (meta, keys[i]);

      g_assert_nonnull (b);
      if (!lb_value_equal (a, b))
        g_test_fail_printf ("%s differs between tokenizer.json and vocab.json + merges.txt", keys[i]);
    }
  tok = tokenizer_from (meta);
  check_ref_cases (tok, "ids");
  g_object_unref (tok);
  lb_meta_unref (meta);
  lb_test_rmtree (tmp);
  g_free (tmp);
  g_free (src);
}

static void
test_gguf_round_trip (void)
{
  LbMeta *meta = get_ref_meta ();
  char *tmp, *path;
  LbGgufWriter *writer;
  LbGgufReader *reader;
  LbMeta *back;
  LbTokenizer *tok;
  GError *error = NULL;

  if (meta == NULL)
    return;
  tmp = lb_test_make_tmpdir ();
  path = g_build_filename (tmp, "tokenizer.gguf", NULL);
  meta = lb_meta_copy (meta);
  lb_meta_set_string (meta, "general.architecture", "qwen2");
  writer = lb_gguf_writer_new (path, meta, &error);
  g_assert_no_error (error);
  g_assert_true (lb_gguf_writer_begin_data (writer, &error));
  g_assert_true (lb_gguf_writer_finish (writer, &error));
  g_assert_no_error (error);
  lb_gguf_writer_free (writer);

  reader = lb_gguf_reader_open (path, &error);
  g_assert_no_error (error);
  back = lb_gguf_reader_get_meta (reader);
  for (guint i = 0; i < lb_meta_get_n_keys (meta); i++)
    {
      const char *key = lb_meta_get_key (meta, i);

      if (g_str_has_prefix (key, "tokenizer.") && !lb_value_equal (lb_meta_get_value (meta, i),
                                                                    lb_meta_lookup (back, key)))
        g_test_fail_printf ("%s changed through GGUF", key);
    }
  tok = tokenizer_from (back);
  check_ref_cases (tok, "ids");
  g_object_unref (tok);
  lb_gguf_reader_free (reader);
  lb_meta_unref (meta);
  lb_test_rmtree (tmp);
  g_free (path);
  g_free (tmp);
}

/* A character split across tokens comes out whole through LbDetokenizer. */
static void
test_streaming_decode (void)
{
  static const char text[] = "\xe4\xbd\xa0\xe5\xa5\xbd \xf0\x9f\x99\x82!";  /* 你好 🙂! */
  LbMeta *meta = get_ref_meta ();
  LbTokenizer *tok;
  LbDetokenizer *detok;
  GArray *ids;
  GString *out = g_string_new (NULL);
  guint partial = 0;

  if (meta == NULL)
    {
      g_string_free (out, TRUE);
      return;
    }
  tok = tokenizer_from (meta);
  ids = encode (tok, text, -1);
  /* GPT-2 has no token for 你 or 🙂: their bytes spread over several */
  g_assert_cmpuint (ids->len, >, 4);
  detok = lb_detokenizer_new (tok);
  for (guint i = 0; i < ids->len; i++)
    {
      const char *piece = lb_detokenizer_push (detok, g_array_index (ids, gint32, i));

      g_assert_true (g_utf8_validate (piece, -1, NULL));
      partial += piece[0] == '\0';
      g_string_append (out, piece);
    }
  g_string_append (out, lb_detokenizer_flush (detok));
  g_assert_cmpuint (partial, >, 0);
  g_assert_cmpstr (out->str, ==, text);
  lb_detokenizer_free (detok);
  g_array_unref (ids);
  g_object_unref (tok);
  g_string_free (out, TRUE);
}

/* Any bytes, valid UTF-8 or not, come back exactly: byte-level BPE loses
 * nothing. Also a long run of one letter, which merges without end. */
static void
test_any_bytes_round_trip (void)
{
  static const char *const names[] = { "gpt-2", "qwen2", "llama-bpe", "smollm" };
  LbMeta *base = get_ref_meta ();
  GRand *rand = g_rand_new_with_seed (11);

  if (base == NULL)
    return;
  for (gsize k = 0; k < G_N_ELEMENTS (names); k++)
    {
      LbMeta *meta = lb_meta_copy (base);
      LbTokenizer *tok;
      GString *big = g_string_new (NULL);

      lb_meta_set_string (meta, "tokenizer.ggml.pre", names[k]);
      tok = tokenizer_from (meta);
      for (guint round = 0; round < 200; round++)
        {
          static const char alphabet[] = " \n\t'a0\xc3\xa9\xe4\xbd\xa0\xf0\x9f<|";
          gsize len = g_rand_int_range (rand, 1, 200);
          char *buf = g_malloc (len);
          GString *back = g_string_new (NULL);
          GArray *ids;

          for (gsize i = 0; i < len; i++)
            buf[i] = round % 2 ? (char) g_rand_int_range (rand, 0, 256)
                               : alphabet[g_rand_int_range (rand, 0, sizeof alphabet - 1)];
          ids = encode (tok, buf, len);
          for (guint i = 0; i < ids->len; i++)
            lb_tokenizer_append_piece (tok, -1, g_array_index (ids, gint32, i), back);
          g_assert_cmpmem (back->str, back->len, buf, len);
          g_string_free (back, TRUE);
          g_array_unref (ids);
          g_free (buf);
        }
      for (guint i = 0; i < 100000; i++)
        g_string_append_c (big, 'a');
      g_string_append (big, " \xff\xfe\x00 tail");
      {
        GArray *ids = encode (tok, big->str, big->len);
        GString *back = g_string_new (NULL);

        for (guint i = 0; i < ids->len; i++)
          lb_tokenizer_append_piece (tok, -1, g_array_index (ids, gint32, i), back);
        g_assert_cmpmem (back->str, back->len, big->str, big->len);
        g_string_free (back, TRUE);
        g_array_unref (ids);
      }
      g_string_free (big, TRUE);
      g_object_unref (tok);
      lb_meta_unref (meta);
    }
  g_rand_free (rand);
}

/* ---- a hand-made vocabulary ------------------------------------------- */

/* The 256 byte characters, the merges' results, then the added tokens. */
static LbMeta *
small_meta (const char *pre, const char *const *merges, gsize n_merges,
            const char *const *added, const gint32 *added_types, gsize n_added)
{
  GPtrArray *tokens = g_ptr_array_new_with_free_func (g_free);
  GArray *types = g_array_new (FALSE, FALSE, sizeof (gint32));
  LbMeta *meta = lb_meta_new ();
  guint n = 0;

  for (guint b = 0; b < 256; b++)
    {
      gboolean printable = (b >= '!' && b <= '~') || (b >= 0xa1 && b <= 0xac) || b >= 0xae;
      char buf[8] = { 0 };
      gint32 t = LB_TOKEN_TYPE_NORMAL;

      g_unichar_to_utf8 (printable ? b : 256 + n++, buf);
      g_ptr_array_add (tokens, g_strdup (buf));
      g_array_append_val (types, t);
    }
  for (gsize i = 0; i < n_merges; i++)
    {
      char **lr = g_strsplit (merges[i], " ", 2);
      gint32 t = LB_TOKEN_TYPE_NORMAL;

      g_ptr_array_add (tokens, g_strconcat (lr[0], lr[1], NULL));
      g_array_append_val (types, t);
      g_strfreev (lr);
    }
  for (gsize i = 0; i < n_added; i++)
    {
      g_ptr_array_add (tokens, g_strdup (added[i]));
      g_array_append_val (types, added_types[i]);
    }
  lb_meta_set_string (meta, "tokenizer.ggml.model", "gpt2");
  if (pre != NULL)
    lb_meta_set_string (meta, "tokenizer.ggml.pre", pre);
  lb_meta_set_strv (meta, "tokenizer.ggml.tokens", (const char *const *) tokens->pdata, tokens->len);
  lb_meta_set_array (meta, "tokenizer.ggml.token_type", LB_VALUE_INT32, types->data, types->len);
  lb_meta_set_strv (meta, "tokenizer.ggml.merges", merges, n_merges);
  g_ptr_array_unref (tokens);
  g_array_unref (types);
  return meta;
}

static char *
ids_string (LbTokenizer *tok, const char *text)
{
  GArray *ids = encode (tok, text, -1);
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < ids->len; i++)
    g_string_append_printf (s, "%s%d", i ? " " : "", g_array_index (ids, gint32, i));
  g_array_unref (ids);
  return g_string_free (s, FALSE);
}

static void
test_merge_order_and_added (void)
{
  /* ranks: "a a" first, so "aaa" is "aa" + "a" and "aaaa" "aa" "aa"; "b c"
   * beats "a b", so "abc" is "a" + "bc" */
  static const char *const merges[] = { "a a", "b c", "a b", "aa aa" };
  static const char *const added[] = { "<|x|>", "<|x|>y", "ZZ", "\xe2\x96\x81w" };
  static const gint32 types[] = {
    LB_TOKEN_TYPE_CONTROL, LB_TOKEN_TYPE_CONTROL, LB_TOKEN_TYPE_USER_DEFINED,
    LB_TOKEN_TYPE_USER_DEFINED,
  };
  LbMeta *meta = small_meta ("gpt-2", merges, 4, added, types, 4);
  LbTokenizer *tok = tokenizer_from (meta);
  char *s;
  GArray *ids;
  char *back;

  /* ids: bytes 0..255, then aa=256 bc=257 ab=258 aaaa=259, <|x|>=260,
   * <|x|>y=261, ZZ=262, ▁w=263 */
  s = ids_string (tok, "aaa");
  g_assert_cmpstr (s, ==, "256 97");
  g_free (s);
  s = ids_string (tok, "aaaaa");
  g_assert_cmpstr (s, ==, "259 97");
  g_free (s);
  s = ids_string (tok, "abc");
  g_assert_cmpstr (s, ==, "97 257");
  g_free (s);
  /* added tokens: leftmost, then longest; text around them splits apart */
  s = ids_string (tok, "ab<|x|>yZZab");
  g_assert_cmpstr (s, ==, "258 261 262 258");
  g_free (s);
  s = ids_string (tok, "<|x|><|x|>");
  g_assert_cmpstr (s, ==, "260 260");
  g_free (s);
  /* control tokens decode to nothing, user-defined ones to their text */
  ids = encode (tok, "ZZ<|x|>ab", -1);
  back = lb_tokenizer_decode (tok, (gint32 *) ids->data, ids->len);
  g_assert_cmpstr (back, ==, "ZZab");
  g_free (back);
  g_array_unref (ids);
  g_object_unref (tok);
  lb_meta_unref (meta);
}

/* llama-bpe takes a whole pre-token found in the vocabulary as it is,
 * even where the merges would not build it */
static void
test_ignore_merges (void)
{
  static const char *const merges[] = { "b c", "a b", "ab c" };
  LbMeta *meta = small_meta ("llama-bpe", merges, 3, NULL, NULL, 0);
  LbTokenizer *tok = tokenizer_from (meta);
  char *s = ids_string (tok, "abc");

  /* ab=257 abc=258 exists, so "abc" is one token with llama-bpe */
  g_assert_cmpstr (s, ==, "258");
  g_free (s);
  g_object_unref (tok);
  lb_meta_set_string (meta, "tokenizer.ggml.pre", "gpt-2");
  tok = tokenizer_from (meta);
  s = ids_string (tok, "abc");
  g_assert_cmpstr (s, ==, "97 256");
  g_free (s);
  g_object_unref (tok);
  lb_meta_unref (meta);
}

static void
test_bad_meta (void)
{
  static const char *const merges[] = { "a b" };
  static const char *const bad_merges[] = { "a q\xc4\xa0" };
  static const char *const no_space[] = { "ab" };
  LbMeta *meta = small_meta ("foo-bar", merges, 1, NULL, NULL, 0);
  GError *error = NULL;

  g_assert_null (lb_tokenizer_new_from_meta (meta, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "\"foo-bar\""));
  g_clear_error (&error);
  lb_meta_unref (meta);

  /* a GGUF without the key splits as GPT-2 does */
  meta = small_meta (NULL, merges, 1, NULL, NULL, 0);
  g_object_unref (tokenizer_from (meta));
  lb_meta_set_u32 (meta, "tokenizer.ggml.pre", 3);
  g_assert_null (lb_tokenizer_new_from_meta (meta, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_FILE);
  g_assert_nonnull (strstr (error->message, "tokenizer.ggml.pre"));
  g_clear_error (&error);
  lb_meta_remove (meta, "tokenizer.ggml.merges");
  lb_meta_set_string (meta, "tokenizer.ggml.pre", "qwen2");
  g_assert_null (lb_tokenizer_new_from_meta (meta, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_FILE);
  g_assert_nonnull (strstr (error->message, "tokenizer.ggml.merges"));
  g_clear_error (&error);
  lb_meta_set_strv (meta, "tokenizer.ggml.merges", bad_merges, 1);
  g_assert_null (lb_tokenizer_new_from_meta (meta, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_FILE);
  g_assert_nonnull (strstr (error->message, "entry 0"));
  g_clear_error (&error);
  lb_meta_set_strv (meta, "tokenizer.ggml.merges", no_space, 1);
  g_assert_null (lb_tokenizer_new_from_meta (meta, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_FILE);
  g_clear_error (&error);
  lb_meta_unref (meta);
}

/* ---- malformed tokenizer.json ----------------------------------------- */

static const char good_vocab[] = "{\"a\": 0, \"b\": 1, \"ab\": 2, \"<|end|>\": 3}";

static void
expect_json_error (const char *json, gint code, const char *needle)
{
  char *dir = lb_test_make_tmpdir ();
  char *path = g_build_filename (dir, "tokenizer.json", NULL);
  LbMeta *meta = lb_meta_new ();
  GError *error = NULL;

  g_assert_true (g_file_set_contents (path, json, -1, NULL));
  g_assert_false (lb_hf_tokenizer_json_to_meta (dir, meta, &error));
  g_assert_error (error, LB_ERROR, code);
  if (strstr (error->message, needle) == NULL)
    g_test_fail_printf ("error \"%s\" does not mention \"%s\"", error->message, needle);
  g_assert_nonnull (strstr (error->message, "tokenizer.json"));
  g_clear_error (&error);
  lb_meta_unref (meta);
  lb_test_rmtree (dir);
  g_free (path);
  g_free (dir);
}

static char *
tokenizer_json (const char *pre, const char *vocab, const char *merges, const char *added)
{
  return g_strdup_printf ("{\"version\": \"1.0\", \"added_tokens\": %s, \"normalizer\": null, "
                          "\"pre_tokenizer\": %s, \"model\": {\"type\": \"BPE\", \"vocab\": %s, "
                          "\"merges\": %s}}", added, pre, vocab, merges);
}

#define BYTE_LEVEL "{\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"use_regex\": true}"

static void
test_malformed_json (void)
{
  struct {
    const char *pre, *vocab, *merges, *added;
    gint code;
    const char *needle;
  } cases[] = {
    { BYTE_LEVEL, "[1, 2]", "[]", "[]", LB_ERROR_INVALID_FILE, "model.vocab" },
    { BYTE_LEVEL, good_vocab, "[\"a c\"]", "[]", LB_ERROR_INVALID_FILE, "\"c\"" },
    { BYTE_LEVEL, good_vocab, "[[\"b\", \"a\"]]", "[]", LB_ERROR_INVALID_FILE, "\"ba\"" },
    { BYTE_LEVEL, good_vocab, "[\"ab\"]", "[]", LB_ERROR_INVALID_FILE, "model.merges[0]" },
    { BYTE_LEVEL, good_vocab, "7", "[]", LB_ERROR_INVALID_FILE, "model.merges" },
    { BYTE_LEVEL, "{\"a\": -1}", "[]", "[]", LB_ERROR_INVALID_FILE, "\"a\"" },
    { BYTE_LEVEL, "{\"a\": 9999999999}", "[]", "[]", LB_ERROR_INVALID_FILE, "out of range" },
    { BYTE_LEVEL, "{\"a\": 1.5}", "[]", "[]", LB_ERROR_INVALID_FILE, "not an integer" },
    { BYTE_LEVEL, "{\"a\": 0, \"b\": 0}", "[]", "[]", LB_ERROR_INVALID_FILE, "both have id 0" },
    { BYTE_LEVEL, "{\"a\": 0, \"b\": 500000}", "[]", "[]", LB_ERROR_INVALID_FILE, "500000" },
    { BYTE_LEVEL, good_vocab, "[]", "[{\"id\": \"x\", \"content\": \"<|end|>\"}]",
      LB_ERROR_INVALID_FILE, "added_tokens[0]" },
    { "{\"type\": \"Whitespace\"}", good_vocab, "[]", "[]", LB_ERROR_UNSUPPORTED, "Whitespace" },
    { "{\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"Split\", \"pattern\": "
      "{\"Regex\": \"\\\\w+\"}, \"behavior\": \"Isolated\", \"invert\": false}, "
      "{\"type\": \"ByteLevel\", \"use_regex\": false}]}", good_vocab, "[]", "[]",
      LB_ERROR_UNSUPPORTED, "\\w+" },
    { "null", good_vocab, "[]", "[]", LB_ERROR_UNSUPPORTED, "pre_tokenizer none" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      char *json = tokenizer_json (cases[i].pre, cases[i].vocab, cases[i].merges, cases[i].added);

      expect_json_error (json, cases[i].code, cases[i].needle);
      g_free (json);
    }
  expect_json_error ("{\"model\": {\"type\": \"BPE\", \"vocab\": {", LB_ERROR_INVALID_FILE,
                     "tokenizer.json");
  expect_json_error ("[]", LB_ERROR_INVALID_FILE, "object");
  expect_json_error ("{\"pre_tokenizer\": " BYTE_LEVEL ", \"model\": {\"type\": \"BPE\"}}",
                     LB_ERROR_INVALID_FILE, "model.vocab");
  expect_json_error ("{\"version\": \"1.0\"}", LB_ERROR_INVALID_FILE, "\"model\"");
  expect_json_error ("{\"model\": {\"type\": \"Unigram\", \"vocab\": []}}", LB_ERROR_UNSUPPORTED,
                     "Unigram");
}

/* A small tokenizer.json with a Qwen2 pre-tokenizer and an added token. */
static void
test_small_json (void)
{
  char *dir = lb_test_make_tmpdir ();
  char *path = g_build_filename (dir, "tokenizer.json", NULL);
  char *json = tokenizer_json (
    "{\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"Split\", \"pattern\": {\"Regex\": "
    "\"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\\\r\\\\n\\\\p{L}\\\\p{N}]?\\\\p{L}+|\\\\p{N}| ?[^\\\\s\\\\p{L}"
    "\\\\p{N}]+[\\\\r\\\\n]*|\\\\s*[\\\\r\\\\n]+|\\\\s+(?!\\\\S)|\\\\s+\"}, \"behavior\": \"Isolated\", "
    "\"invert\": false}, {\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": "
    "false, \"use_regex\": false}]}",
    good_vocab, "[\"a b\"]",
    "[{\"id\": 3, \"content\": \"<|end|>\", \"special\": true}, "
    "{\"id\": 4, \"content\": \"<think>\", \"special\": false}]");
  LbMeta *meta = lb_meta_new ();
  GError *error = NULL;
  const LbValue *types;

  g_assert_true (g_file_set_contents (path, json, -1, NULL));
  g_assert_true (lb_hf_tokenizer_json_to_meta (dir, meta, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (lb_meta_get_string (meta, "tokenizer.ggml.pre"), ==, "qwen2");
  types = lb_meta_lookup (meta, "tokenizer.ggml.token_type");
  g_assert_cmpuint (types->arr.n, ==, 5);
  g_assert_cmpint (((gint32 *) types->arr.data)[2], ==, LB_TOKEN_TYPE_NORMAL);
  g_assert_cmpint (((gint32 *) types->arr.data)[3], ==, LB_TOKEN_TYPE_CONTROL);
  g_assert_cmpint (((gint32 *) types->arr.data)[4], ==, LB_TOKEN_TYPE_USER_DEFINED);
  g_assert_cmpstr (lb_meta_lookup (meta, "tokenizer.ggml.merges")->arr.strings[0].data, ==, "a b");
  lb_meta_unref (meta);
  lb_test_rmtree (dir);
  g_free (json);
  g_free (path);
  g_free (dir);
}

/* Llama 3's layout: its regex, a template that adds BOS, ids named in
 * tokenizer_config.json, a config.json vocab_size past the tokenizer's. */
static void
test_llama3_json (void)
{
  char *dir = lb_test_make_tmpdir ();
  /* the post_processor member rides after the pre_tokenizer's value */
  char *json = tokenizer_json (
    "{\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"Split\", \"pattern\": {\"Regex\": "
    "\"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\\\r\\\\n\\\\p{L}\\\\p{N}]?\\\\p{L}+|\\\\p{N}{1,3}| ?[^\\\\s"
    "\\\\p{L}\\\\p{N}]+[\\\\r\\\\n]*|\\\\s*[\\\\r\\\\n]+|\\\\s+(?!\\\\S)|\\\\s+\"}, \"behavior\": "
    "\"Isolated\", \"invert\": false}, {\"type\": \"ByteLevel\", \"add_prefix_space\": false, "
    "\"trim_offsets\": true, \"use_regex\": false}]}, \"post_processor\": {\"type\": \"Sequence\", "
    "\"processors\": [{\"type\": \"ByteLevel\"}, {\"type\": \"TemplateProcessing\", \"single\": "
    "[{\"SpecialToken\": {\"id\": \"<|begin_of_text|>\", \"type_id\": 0}}, {\"Sequence\": "
    "{\"id\": \"A\", \"type_id\": 0}}]}]}",
    "{\"a\": 0, \"b\": 1, \"ab\": 2}", "[[\"a\", \"b\"]]",
    "[{\"id\": 3, \"content\": \"<|begin_of_text|>\", \"special\": true}, "
    "{\"id\": 4, \"content\": \"<|end_of_text|>\", \"special\": true}, "
    "{\"id\": 5, \"content\": \"<|reserved|>\", \"special\": false}]");
  char *path = g_build_filename (dir, "tokenizer.json", NULL);
  char *tc = g_build_filename (dir, "tokenizer_config.json", NULL);
  char *cfg = g_build_filename (dir, "config.json", NULL);
  LbMeta *meta = lb_meta_new ();
  GError *error = NULL;
  const LbValue *tokens, *types;
  guint32 bos = 0, eos = 0;
  gboolean add_bos = FALSE;
  LbTokenizer *tok;
  GArray *ids;

  g_assert_true (g_file_set_contents (path, json, -1, NULL));
  g_assert_true (g_file_set_contents (tc, "{\"bos_token\": \"<|begin_of_text|>\", \"eos_token\": "
                                      "\"<|end_of_text|>\", \"chat_template\": \"{{ x }}\"}", -1, NULL));
  g_assert_true (g_file_set_contents (cfg, "{\"vocab_size\": 8, \"bos_token_id\": 0}", -1, NULL));
  g_assert_true (lb_hf_tokenizer_json_to_meta (dir, meta, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (lb_meta_get_string (meta, "tokenizer.ggml.pre"), ==, "llama-bpe");
  tokens = lb_meta_lookup (meta, "tokenizer.ggml.tokens");
  types = lb_meta_lookup (meta, "tokenizer.ggml.token_type");
  g_assert_cmpuint (tokens->arr.n, ==, 8);
  g_assert_cmpstr (tokens->arr.strings[6].data, ==, "[PAD6]");
  g_assert_cmpint (((gint32 *) types->arr.data)[7], ==, LB_TOKEN_TYPE_UNUSED);
  /* not marked special, but spelled <|...|>: CONTROL, as the converter does */
  g_assert_cmpint (((gint32 *) types->arr.data)[5], ==, LB_TOKEN_TYPE_CONTROL);
  /* tokenizer_config.json's names win over config.json's ids */
  g_assert_true (lb_meta_get_u32 (meta, "tokenizer.ggml.bos_token_id", &bos, NULL));
  g_assert_true (lb_meta_get_u32 (meta, "tokenizer.ggml.eos_token_id", &eos, NULL));
  g_assert_cmpuint (bos, ==, 3);
  g_assert_cmpuint (eos, ==, 4);
  g_assert_true (lb_meta_get_bool (meta, "tokenizer.ggml.add_bos_token", &add_bos, NULL));
  g_assert_true (add_bos);
  g_assert_false (lb_meta_contains (meta, "tokenizer.ggml.add_eos_token"));
  g_assert_cmpstr (lb_meta_get_string (meta, "tokenizer.chat_template"), ==, "{{ x }}");

  tok = tokenizer_from (meta);
  ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_assert_true (lb_tokenizer_encode (tok, "ab<|end_of_text|>", -1, TRUE, ids, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (ids->len, ==, 3);
  g_assert_cmpint (g_array_index (ids, gint32, 0), ==, 3);
  g_assert_cmpint (g_array_index (ids, gint32, 1), ==, 2);
  g_assert_cmpint (g_array_index (ids, gint32, 2), ==, 4);
  g_array_unref (ids);
  g_object_unref (tok);

  lb_meta_unref (meta);
  lb_test_rmtree (dir);
  g_free (json);
  g_free (path);
  g_free (tc);
  g_free (cfg);
  g_free (dir);
}

static void
test_wikitext_speed (void)
{
  LbMeta *meta = get_ref_meta ();
  char *path = lb_test_shared_path ("text", "wikitext2-test.txt", NULL);
  char *text = NULL;
  gsize len = 0;
  LbTokenizer *tok;
  GArray *ids;
  char *back;
  gint64 t0, t1;
  GError *error = NULL;

  if (meta == NULL || path == NULL)
    {
      g_free (path);
      return;
    }
  g_file_get_contents (path, &text, &len, &error);
  g_assert_no_error (error);
  tok = tokenizer_from (meta);
  t0 = g_get_monotonic_time ();
  ids = encode (tok, text, len);
  t1 = g_get_monotonic_time ();
  g_test_message ("wikitext2-test.txt: %" G_GSIZE_FORMAT " bytes -> %u tokens in %.1f ms "
                  "(%.1f MB/s)", len, ids->len, (t1 - t0) / 1000.0,
                  len / (double) MAX (t1 - t0, 1));
  g_assert_cmpuint (ids->len, >, len / 8);
  back = lb_tokenizer_decode (tok, (gint32 *) ids->data, ids->len);
  g_assert_cmpmem (back, strlen (back), text, len);
  g_free (back);
  g_array_unref (ids);
  g_object_unref (tok);
  g_free (text);
  g_free (path);
}

int
main (int argc, char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/lowbit/tokenizer-bpe/pretokenizer-splits", test_pretokenizer_splits);
  g_test_add_func ("/lowbit/tokenizer-bpe/pretokenizer-any-bytes", test_pretokenizer_any_bytes);
  g_test_add_func ("/lowbit/tokenizer-bpe/import-keys", test_import_keys);
  g_test_add_func ("/lowbit/tokenizer-bpe/ref-ids", test_ref_ids);
  g_test_add_func ("/lowbit/tokenizer-bpe/ref-ids-qwen2", test_ref_ids_qwen2);
  g_test_add_func ("/lowbit/tokenizer-bpe/ref-vocab-json", test_ref_vocab_json);
  g_test_add_func ("/lowbit/tokenizer-bpe/gguf-round-trip", test_gguf_round_trip);
  g_test_add_func ("/lowbit/tokenizer-bpe/streaming-decode", test_streaming_decode);
  g_test_add_func ("/lowbit/tokenizer-bpe/any-bytes-round-trip", test_any_bytes_round_trip);
  g_test_add_func ("/lowbit/tokenizer-bpe/merge-order-and-added", test_merge_order_and_added);
  g_test_add_func ("/lowbit/tokenizer-bpe/ignore-merges", test_ignore_merges);
  g_test_add_func ("/lowbit/tokenizer-bpe/bad-meta", test_bad_meta);
  g_test_add_func ("/lowbit/tokenizer-bpe/malformed-json", test_malformed_json);
  g_test_add_func ("/lowbit/tokenizer-bpe/small-json", test_small_json);
  g_test_add_func ("/lowbit/tokenizer-bpe/llama3-json", test_llama3_json);
  g_test_add_func ("/lowbit/tokenizer-bpe/wikitext-speed", test_wikitext_speed);
  ret = g_test_run ();
  g_clear_pointer (&ref_meta, lb_meta_unref);
  return ret;
}
