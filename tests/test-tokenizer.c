/* test-tokenizer.c: LbTokenizer with the SentencePiece-style ("llama")
 * backend, checked against independent implementations:
 *  - mini-qwen2: ref-logits.json's token ids (transformers' LlamaTokenizer),
 *    and ids from Google's SentencePiece 0.1.97 (Debian python3-sentencepiece)
 *    with mini-qwen2's tokenizer.model, copied into this file;
 *  - stories260K: ids from llama2.c run.c's encode() (commit 350e04f) with
 *    tok512.bin, copied into this file. */
#include <glib.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "lowbit.h"
#include "lb-model-private.h"
#include "lb-test-util.h"

/* ---- loading ------------------------------------------------------------ */

static LbTokenizer *
load_mini_qwen2 (void)
{
  g_autofree char *path = lb_test_shared_path ("models", "mini-qwen2", "mini-qwen2-f16.gguf", NULL);
  g_autoptr (LbGgufReader) reader = NULL;
  GError *error = NULL;
  LbTokenizer *tok;

  if (path == NULL)
    return NULL;
  reader = lb_gguf_reader_open (path, &error);
  g_assert_no_error (error);
  tok = lb_tokenizer_new_from_meta (lb_gguf_reader_get_meta (reader), &error);
  g_assert_no_error (error);
  return tok;
}

static LbTokenizer *
load_stories (void)
{
  g_autofree char *path = lb_test_source_path ("data", "stories260K", "tok512.bin", NULL);
  g_autofree char *data = NULL;
  g_autoptr (LbMeta) meta = lb_meta_new ();
  GError *error = NULL;
  gsize len;
  LbTokenizer *tok;

  g_file_get_contents (path, &data, &len, &error);
  g_assert_no_error (error);
  lb_llama2c_tokenizer_to_meta ((const guint8 *) data, len, 512, meta, &error);
  g_assert_no_error (error);
  tok = lb_tokenizer_new_from_meta (meta, &error);
  g_assert_no_error (error);
  return tok;
}

static GArray *
encode (LbTokenizer *tok, const char *text, gssize len, gboolean add_special)
{
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  GError *error = NULL;

  g_assert_true (lb_tokenizer_encode (tok, text, len, add_special, ids, &error));
  g_assert_no_error (error);
  return ids;
}

static void
assert_ids (GArray *ids, const gint32 *want, gsize n_want)
{
  g_assert_cmpmem (ids->data, ids->len * sizeof (gint32), want, n_want * sizeof (gint32));
}

/* decode that keeps NUL bytes */
static GString *
decode_bytes (LbTokenizer *tok, GArray *ids)
{
  GString *out = g_string_new (NULL);
  gint32 prev = -1;

  for (guint i = 0; i < ids->len; i++)
    {
      gint32 id = g_array_index (ids, gint32, i);
      lb_tokenizer_append_piece (tok, prev, id, out);
      prev = id;
    }
  return out;
}

static char *
json_string_member (const char *json_path, const char *member)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  GError *error = NULL;
  JsonObject *obj;

  json_parser_load_from_file (parser, json_path, &error);
  g_assert_no_error (error);
  obj = json_node_get_object (json_parser_get_root (parser));
  g_assert_true (json_object_has_member (obj, member));
  return g_strdup (json_object_get_string_member (obj, member));
}

/* ---- mini-qwen2 (GGUF made by llama.cpp's converter) --------------------- */

static void
test_mini_qwen2_reference (void)
{
  g_autofree char *json = lb_test_shared_path ("models", "mini-qwen2", "ref-logits.json", NULL);
  g_autoptr (LbTokenizer) tok = NULL;
  g_autoptr (GArray) want = NULL, got = NULL;
  g_autofree char *text = NULL;

  if (json == NULL)
    return;
  tok = load_mini_qwen2 ();
  if (tok == NULL)
    return;
  text = json_string_member (json, "text");
  want = lb_test_json_int_array (json, "tokens");
  got = encode (tok, text, -1, TRUE);
  g_assert_cmpint (g_array_index (got, gint32, 0), ==, 1);   /* BOS first */
  assert_ids (got, (const gint32 *) want->data, want->len);
}

/* Google SentencePiece's ids for hard strings (encode without BOS) */
static const struct {
  const char *text;
  gint32      ids[20];
  guint       n;
} spm_cases[] = {
  { "Hello world", { 492, 286, 3815, 968 }, 4 },
  { "  leading spaces", { 3811, 3811, 1381, 289, 525, 1410 }, 6 },
  { "trailing  ", { 1380, 3627, 3811, 3811 }, 4 },
  { "a  b   c", { 261, 3811, 271, 3811, 3811, 278 }, 6 },
  { "tab\there", { 1750, 12, 975 }, 3 },
  { "new\nline\n\n x", { 794, 13, 3822, 482, 13, 13, 3811, 3856 }, 8 },
  { "caf\xC3\xA9 na\xC3\xAFve", { 973, 3826, 3901, 297, 3814, 198, 178, 314 }, 8 },
  { "\xE4\xBD\xA0\xE5\xA5\xBD\xEF\xBC\x8C\xE4\xB8\x96\xE7\x95\x8C",   /* 你好，世界 */
    { 3811, 231, 192, 163, 232, 168, 192, 242, 191, 143, 231, 187, 153, 234, 152, 143 }, 16 },
  { "\xF0\x9F\x98\x80\xF0\x9F\x8E\x89 emoji",
    { 3811, 243, 162, 155, 131, 243, 162, 145, 140, 1149, 3815, 3863, 3817 }, 13 },
  { " ", { 3811, 3811 }, 2 },
  { "   ", { 3811, 3811, 3811, 3811 }, 4 },
  { "It's 3.14159 -- don't!",
    { 619, 3841, 3819, 3811, 3877, 3833, 3862, 3880, 3862, 3876, 3870, 589, 1851, 3841,
      3813, 3873 }, 16 },
  { "\xEF\xBC\xA1\xEF\xBC\xA2 fullwidth", { 3811, 242, 191, 164, 242, 191, 165, 1319, 3827, 322, 373 }, 11 },
  { "x\xE2\x96\x81y", { 3811, 3856, 329 }, 3 },   /* a literal U+2581 counts as a space */
};

static void
test_mini_qwen2_sentencepiece (void)
{
  g_autoptr (LbTokenizer) tok = load_mini_qwen2 ();

  if (tok == NULL)
    return;
  for (gsize i = 0; i < G_N_ELEMENTS (spm_cases); i++)
    {
      g_autoptr (GArray) got = encode (tok, spm_cases[i].text, -1, FALSE);
      g_autofree char *back = NULL;

      g_autofree char *shown = g_strescape (spm_cases[i].text, NULL);
      g_test_message ("case %" G_GSIZE_FORMAT ": \"%s\"", i, shown);
      assert_ids (got, spm_cases[i].ids, spm_cases[i].n);

      back = lb_tokenizer_decode (tok, (const gint32 *) got->data, got->len);
      if (i != G_N_ELEMENTS (spm_cases) - 1)
        g_assert_cmpstr (back, ==, spm_cases[i].text);
    }
}

/* ref-logits.json's greedy_text is transformers' decode of greedy_24 alone:
 * SentencePiece drops the dummy-prefix space of the first piece ("▁in"), so
 * it reads "in the city, ...". In context, after the prompt's last token, the
 * same piece is " in": the streamed text of prompt + continuation is
 * text + " " + greedy_text. Both are asserted. */
static void
test_mini_qwen2_greedy_text (void)
{
  g_autofree char *json = lb_test_shared_path ("models", "mini-qwen2", "ref-logits.json", NULL);
  g_autoptr (LbTokenizer) tok = NULL;
  g_autoptr (GArray) prompt = NULL, greedy = NULL;
  g_autofree char *text = NULL, *greedy_text = NULL, *alone = NULL, *whole = NULL;
  g_autofree char *want_whole = NULL;
  g_autoptr (LbDetokenizer) detok = NULL;
  g_autoptr (GString) streamed = g_string_new (NULL);
  GArray *all;

  if (json == NULL)
    return;
  tok = load_mini_qwen2 ();
  if (tok == NULL)
    return;
  text = json_string_member (json, "text");
  greedy_text = json_string_member (json, "greedy_text");
  prompt = lb_test_json_int_array (json, "tokens");
  greedy = lb_test_json_int_array (json, "greedy_24");

  alone = lb_tokenizer_decode (tok, (const gint32 *) greedy->data, greedy->len);
  g_assert_cmpstr (alone, ==, greedy_text);

  all = g_array_copy (prompt);
  g_array_append_vals (all, greedy->data, greedy->len);
  whole = lb_tokenizer_decode (tok, (const gint32 *) all->data, all->len);
  want_whole = g_strconcat (text, " ", greedy_text, NULL);
  g_assert_cmpstr (whole, ==, want_whole);

  detok = lb_detokenizer_new (tok);
  for (guint i = 0; i < all->len; i++)
    g_string_append (streamed, lb_detokenizer_push (detok, g_array_index (all, gint32, i)));
  g_string_append (streamed, lb_detokenizer_flush (detok));
  g_assert_cmpstr (streamed->str, ==, want_whole);
  g_array_unref (all);
}

static void
test_mini_qwen2_getters (void)
{
  g_autoptr (LbTokenizer) tok = load_mini_qwen2 ();
  g_autoptr (GString) out = g_string_new (NULL);

  if (tok == NULL)
    return;
  g_assert_cmpstr (lb_tokenizer_get_model_name (tok), ==, "llama");
  g_assert_cmpuint (lb_tokenizer_get_n_vocab (tok), ==, 4096);
  g_assert_cmpint (lb_tokenizer_get_bos (tok), ==, 1);
  g_assert_cmpint (lb_tokenizer_get_eos (tok), ==, 2);
  g_assert_true (lb_tokenizer_get_add_bos (tok));
  g_assert_false (lb_tokenizer_get_add_eos (tok));
  g_assert_cmpstr (lb_tokenizer_get_token_text (tok, 1), ==, "<s>");
  g_assert_cmpstr (lb_tokenizer_get_token_text (tok, 13), ==, "<0x0A>");
  g_assert_cmpint (lb_tokenizer_get_token_type (tok, 0), ==, LB_TOKEN_TYPE_UNKNOWN);
  g_assert_cmpint (lb_tokenizer_get_token_type (tok, 2), ==, LB_TOKEN_TYPE_CONTROL);
  g_assert_cmpint (lb_tokenizer_get_token_type (tok, 13), ==, LB_TOKEN_TYPE_BYTE);
  g_assert_cmpint (lb_tokenizer_get_token_type (tok, 492), ==, LB_TOKEN_TYPE_NORMAL);

  /* out of range: no crash, nothing appended */
  for (gint32 id = -3; id < 0; id++)
    {
      g_assert_null (lb_tokenizer_get_token_text (tok, id));
      g_assert_cmpint (lb_tokenizer_get_token_type (tok, id), ==, LB_TOKEN_TYPE_UNDEFINED);
      g_assert_cmpfloat (lb_tokenizer_get_token_score (tok, id), ==, 0.0f);
    }
  g_assert_null (lb_tokenizer_get_token_text (tok, 4096));
  g_assert_null (lb_tokenizer_get_token_text (tok, G_MAXINT32));
  lb_tokenizer_append_piece (tok, -1, 4096, out);
  lb_tokenizer_append_piece (tok, -1, -5, out);
  lb_tokenizer_append_piece (tok, 1, 1, out);     /* control: nothing */
  lb_tokenizer_append_piece (tok, 5, 0, out);     /* unknown: nothing */
  g_assert_cmpuint (out->len, ==, 0);
}

/* (d) the evaluation text: round trip, and the time it takes */
static void
test_mini_qwen2_wikitext (void)
{
  g_autofree char *path = lb_test_shared_path ("text", "wikitext2-test.txt", NULL);
  g_autoptr (LbTokenizer) tok = NULL;
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_autofree char *text = NULL, *back = NULL;
  GError *error = NULL;
  gsize len;
  gint64 t0, t1;

  if (path == NULL)
    return;
  tok = load_mini_qwen2 ();
  if (tok == NULL)
    return;
  g_file_get_contents (path, &text, &len, &error);
  g_assert_no_error (error);

  t0 = g_get_monotonic_time ();
  g_assert_true (lb_tokenizer_encode (tok, text, len, TRUE, ids, &error));
  t1 = g_get_monotonic_time ();
  g_assert_no_error (error);
  g_test_message ("tokenized %" G_GSIZE_FORMAT " bytes of wikitext2-test.txt into %u tokens "
                  "in %.3f s", len, ids->len, (t1 - t0) / 1e6);

  /* Google SentencePiece gives 415338 ids for this text (plus BOS here) */
  g_assert_cmpuint (ids->len, ==, 415339);
  back = lb_tokenizer_decode (tok, (const gint32 *) ids->data, ids->len);
  g_assert_cmpuint (strlen (back), ==, len);
  g_assert_true (memcmp (back, text, len) == 0);
}

/* ---- stories260K (llama2.c tok512.bin) --------------------------------- */

/* llama2.c run.c encode(text, bos=1, eos=0) */
static const struct {
  const char *text;
  gint32      ids[24];
  guint       n;
} l2c_cases[] = {
  { "Hello world", { 1, 346, 306, 414, 263, 304, 341 }, 7 },
  { "  leading spaces", { 1, 410, 410, 278, 411, 380, 299, 262, 427, 412, 331, 419 }, 12 },
  { "a  b   c", { 1, 261, 410, 268, 410, 410, 280 }, 7 },
  { "new\nline\n\n x", { 1, 404, 424, 13, 421, 271, 411, 13, 13, 410, 444 }, 11 },
  { "caf\xC3\xA9 na\xC3\xAFve", { 1, 280, 412, 431, 485, 297, 412, 198, 178, 360 }, 10 },
  { "\xE4\xBD\xA0\xE5\xA5\xBD\xEF\xBC\x8C\xE4\xB8\x96\xE7\x95\x8C",
    { 1, 410, 231, 192, 163, 232, 168, 192, 242, 191, 143, 231, 187, 153, 234, 152, 143 }, 17 },
  { "\xF0\x9F\x98\x80\xF0\x9F\x8E\x89 emoji",
    { 1, 410, 243, 162, 155, 131, 243, 162, 145, 140, 344, 423, 414, 449, 417 }, 15 },
  { "It's 3.14159 -- don't!",
    { 1, 359, 413, 439, 419, 410, 472, 426, 475, 484, 475, 480, 483, 410, 464, 464, 279, 289,
      439, 413, 443 }, 21 },
  { "Once upon a time, there was a little girl named Lily.",
    { 1, 403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426 }, 16 },
  { "\xFF\xFE bad", { 1, 410, 258, 257, 268, 380 }, 6 },
};

static void
test_stories_llama2c (void)
{
  g_autoptr (LbTokenizer) tok = load_stories ();
  g_autofree char *path = lb_test_shared_path ("text", "tinystories-sample.txt", NULL);
  g_autofree char *text = NULL, *back = NULL;
  g_autoptr (GArray) ids = NULL;
  GError *error = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (l2c_cases); i++)
    {
      g_autoptr (GArray) got = encode (tok, l2c_cases[i].text, -1, TRUE);
      g_autofree char *shown = g_strescape (l2c_cases[i].text, NULL);
      g_test_message ("case %" G_GSIZE_FORMAT ": \"%s\"", i, shown);
      assert_ids (got, l2c_cases[i].ids, l2c_cases[i].n);
    }

  if (path == NULL)
    return;
  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  ids = encode (tok, text, -1, TRUE);
  g_assert_cmpuint (ids->len, ==, 1885);   /* llama2.c's count, BOS included */
  back = lb_tokenizer_decode (tok, (const gint32 *) ids->data, ids->len);
  g_assert_cmpstr (back, ==, text);
}

static void
test_stories_round_trip (void)
{
  static const struct {
    const char *text;
    gssize      len;
  } cases[] = {
    { "The cat sat on the mat. It was happy!", -1 },
    { "caf\xC3\xA9, na\xC3\xAFve, \xC3\x9C" "ber, \xC3\xB1", -1 },
    { "\xE4\xBD\xA0\xE5\xA5\xBD\xEF\xBC\x8C\xE4\xB8\x96\xE7\x95\x8C\xE3\x80\x82", -1 },
    { "\xF0\x9F\x98\x80 \xF0\x9F\x90\xB1\xF0\x9F\x8E\x89!", -1 },
    { "", -1 },
    { " ", -1 },
    { "  ", -1 },
    { "   x   ", -1 },
    { "\n", -1 },
    { "\t \n \t", -1 },
    { "\xFF", -1 },
    { "\x80\x80\x80", -1 },
    { "\xE4\xBD", -1 },                /* truncated 3-byte sequence */
    { "a\xE4\xBDz", -1 },
    { "\xED\xA0\x80 surrogate", -1 },
    { "\xC0\xAF overlong", -1 },
    { "\xF4\x90\x80\x80 too big", -1 },
    { "a\0b\0", 4 },                   /* NUL bytes through <0x00> */
    { "\xE2\x96\x81", -1 },            /* U+2581 itself */
  };
  g_autoptr (LbTokenizer) tok = load_stories ();

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      gsize len = cases[i].len < 0 ? strlen (cases[i].text) : (gsize) cases[i].len;
      g_autoptr (GArray) plain = encode (tok, cases[i].text, cases[i].len, FALSE);
      g_autoptr (GArray) special = encode (tok, cases[i].text, cases[i].len, TRUE);
      g_autoptr (GString) a = decode_bytes (tok, plain);
      g_autoptr (GString) b = decode_bytes (tok, special);

      g_test_message ("case %" G_GSIZE_FORMAT, i);
      g_assert_cmpuint (special->len, ==, plain->len + 1);
      g_assert_cmpint (g_array_index (special, gint32, 0), ==, 1);
      if (len == 0)
        g_assert_cmpuint (plain->len, ==, 0);
      /* U+2581 in the input reads as a space, as in SentencePiece */
      if (i == G_N_ELEMENTS (cases) - 1)
        {
          g_assert_cmpstr (a->str, ==, " ");
          continue;
        }
      g_assert_cmpmem (a->str, a->len, cases[i].text, len);
      g_assert_cmpmem (b->str, b->len, cases[i].text, len);
    }
}

static void
test_stories_decode (void)
{
  g_autoptr (LbTokenizer) tok = load_stories ();
  g_autoptr (GString) out = g_string_new (NULL);
  gint32 once = 403;   /* "▁Once" */

  g_assert_cmpstr (lb_tokenizer_get_token_text (tok, once), ==, "\xE2\x96\x81Once");
  g_assert_cmpstr (lb_tokenizer_get_token_text (tok, 1), ==, "<s>");
  g_assert_cmpstr (lb_tokenizer_get_token_text (tok, 2), ==, "</s>");

  /* after BOS or at the start the dummy-prefix space goes (llama2.c run.c,
   * SentencePiece); anywhere else it is a space */
  lb_tokenizer_append_piece (tok, 1, once, out);
  g_assert_cmpstr (out->str, ==, "Once");
  g_string_truncate (out, 0);
  lb_tokenizer_append_piece (tok, -1, once, out);
  g_assert_cmpstr (out->str, ==, "Once");
  g_string_truncate (out, 0);
  lb_tokenizer_append_piece (tok, 13, once, out);
  g_assert_cmpstr (out->str, ==, " Once");
  g_string_truncate (out, 0);

  lb_tokenizer_append_piece (tok, 1, 13, out);     /* <0x0A> */
  lb_tokenizer_append_piece (tok, 13, 2, out);     /* </s>: nothing */
  lb_tokenizer_append_piece (tok, 13, 1, out);     /* <s>: nothing */
  lb_tokenizer_append_piece (tok, 13, 0, out);     /* <unk>: nothing */
  lb_tokenizer_append_piece (tok, 13, 3, out);     /* <0x00> */
  g_assert_cmpmem (out->str, out->len, "\n\0", 2);
}

/* (c) a multi-byte character split over byte tokens */
static void
test_detokenizer (void)
{
  g_autoptr (LbTokenizer) tok = load_stories ();
  g_autoptr (LbDetokenizer) detok = lb_detokenizer_new (tok);
  g_autoptr (GArray) ids = NULL;
  g_autoptr (GString) all = g_string_new (NULL);
  /* <0xE4><0xBD><0xA0> = 你 */
  const gint32 ni[3] = { 0xE4 + 3, 0xBD + 3, 0xA0 + 3 };

  g_assert_cmpstr (lb_detokenizer_push (detok, ni[0]), ==, "");
  g_assert_cmpstr (lb_detokenizer_push (detok, ni[1]), ==, "");
  g_assert_cmpstr (lb_detokenizer_push (detok, ni[2]), ==, "\xE4\xBD\xA0");
  g_assert_cmpstr (lb_detokenizer_flush (detok), ==, "");

  /* an unfinished sequence is flushed as U+FFFD */
  g_assert_cmpstr (lb_detokenizer_push (detok, ni[0]), ==, "");
  g_assert_cmpstr (lb_detokenizer_push (detok, ni[1]), ==, "");
  g_assert_cmpstr (lb_detokenizer_flush (detok), ==, "\xEF\xBF\xBD");
  g_assert_cmpstr (lb_detokenizer_flush (detok), ==, "");

  /* an ill-formed byte is replaced at once, not held back */
  g_assert_cmpstr (lb_detokenizer_push (detok, 0xFF + 3), ==, "\xEF\xBF\xBD");
  /* a lead byte then a non-continuation: one U+FFFD, then the piece */
  g_assert_cmpstr (lb_detokenizer_push (detok, ni[0]), ==, "");
  g_assert_cmpstr (lb_detokenizer_push (detok, 403), ==, "\xEF\xBF\xBD Once");

  /* out-of-range ids push nothing */
  g_assert_cmpstr (lb_detokenizer_push (detok, 9999), ==, "");
  g_assert_cmpstr (lb_detokenizer_push (detok, -1), ==, "");

  /* streaming a whole emoji text token by token gives the text */
  {
    g_autoptr (LbDetokenizer) d2 = lb_detokenizer_new (tok);
    const char *text = "Hi \xF0\x9F\x98\x80 \xE4\xBD\xA0\xE5\xA5\xBD end";
    ids = encode (tok, text, -1, TRUE);
    for (guint i = 0; i < ids->len; i++)
      {
        const char *piece = lb_detokenizer_push (d2, g_array_index (ids, gint32, i));
        g_assert_true (g_utf8_validate (piece, -1, NULL));
        g_string_append (all, piece);
      }
    g_string_append (all, lb_detokenizer_flush (d2));
    g_assert_cmpstr (all->str, ==, text);
  }
}

/* ---- metadata checks ------------------------------------------------------ */

static LbMeta *
small_meta (const char *model)
{
  static const char *tokens[] = {
    "<unk>", "<s>", "</s>", "\xE2\x96\x81", "a", "b", "\xE2\x96\x81" "a", "ab",
  };
  const float scores[] = { 0, 0, 0, -1, -2, -3, -0.25f, -0.5f };
  const gint32 types[] = { 2, 3, 3, 1, 1, 1, 1, 1 };
  LbMeta *meta = lb_meta_new ();

  lb_meta_set_string (meta, "tokenizer.ggml.model", model);
  lb_meta_set_strv (meta, "tokenizer.ggml.tokens", tokens, G_N_ELEMENTS (tokens));
  lb_meta_set_array (meta, "tokenizer.ggml.scores", LB_VALUE_FLOAT32, scores, G_N_ELEMENTS (scores));
  lb_meta_set_array (meta, "tokenizer.ggml.token_type", LB_VALUE_INT32, types, G_N_ELEMENTS (types));
  lb_meta_set_u32 (meta, "tokenizer.ggml.bos_token_id", 1);
  lb_meta_set_u32 (meta, "tokenizer.ggml.eos_token_id", 2);
  return meta;
}

static void
expect_error (LbMeta *meta, const char *fragment)
{
  GError *error = NULL;
  LbTokenizer *tok = lb_tokenizer_new_from_meta (meta, &error);

  g_assert_null (tok);
  g_assert_nonnull (error);
  g_test_message ("error: %s", error->message);
  g_assert_nonnull (strstr (error->message, fragment));
  g_error_free (error);
}

static void
test_meta_errors (void)
{
  const float two_scores[] = { 0, 0 };
  const gint32 bad_types[] = { 2, 3, 3, 1, 1, 9, 1, 1 };
  const float nan_scores[] = { 0, 0, 0, 0, 0, NAN, 0, 0 };
  LbMeta *meta;

  meta = small_meta ("llama");
  lb_meta_remove (meta, "tokenizer.ggml.model");
  expect_error (meta, "tokenizer.ggml.model");
  lb_meta_set_u32 (meta, "tokenizer.ggml.model", 3);
  expect_error (meta, "tokenizer.ggml.model");
  lb_meta_unref (meta);

  meta = small_meta ("wordpiece-9000");
  expect_error (meta, "wordpiece-9000");
  lb_meta_unref (meta);

  meta = small_meta ("llama");
  lb_meta_remove (meta, "tokenizer.ggml.tokens");
  expect_error (meta, "tokenizer.ggml.tokens");
  lb_meta_set_u32 (meta, "tokenizer.ggml.tokens", 5);
  expect_error (meta, "tokenizer.ggml.tokens");
  lb_meta_set_strv (meta, "tokenizer.ggml.tokens", NULL, 0);
  expect_error (meta, "tokenizer.ggml.tokens");
  lb_meta_unref (meta);

  meta = small_meta ("llama");
  lb_meta_set_array (meta, "tokenizer.ggml.scores", LB_VALUE_FLOAT32, two_scores, 2);
  expect_error (meta, "tokenizer.ggml.scores has 2 entries");
  lb_meta_set_array (meta, "tokenizer.ggml.scores", LB_VALUE_FLOAT32, nan_scores, 8);
  expect_error (meta, "NaN");
  lb_meta_unref (meta);

  meta = small_meta ("llama");
  lb_meta_set_array (meta, "tokenizer.ggml.token_type", LB_VALUE_INT32, bad_types, 8);
  expect_error (meta, "token_type[5]");
  lb_meta_set_array (meta, "tokenizer.ggml.token_type", LB_VALUE_FLOAT32, two_scores, 2);
  expect_error (meta, "token_type");
  lb_meta_unref (meta);

  meta = small_meta ("llama");
  lb_meta_set_u32 (meta, "tokenizer.ggml.bos_token_id", 8);
  expect_error (meta, "bos_token_id is 8");
  lb_meta_set_i32 (meta, "tokenizer.ggml.bos_token_id", -1);
  expect_error (meta, "bos_token_id");
  lb_meta_set_u32 (meta, "tokenizer.ggml.bos_token_id", 1);
  lb_meta_set_u32 (meta, "tokenizer.ggml.padding_token_id", 100);
  expect_error (meta, "padding_token_id");
  lb_meta_remove (meta, "tokenizer.ggml.padding_token_id");
  lb_meta_set_u64 (meta, "tokenizer.ggml.unknown_token_id", G_MAXUINT64);
  expect_error (meta, "unknown_token_id");
  lb_meta_remove (meta, "tokenizer.ggml.unknown_token_id");
  lb_meta_set_string (meta, "tokenizer.ggml.add_bos_token", "yes");
  expect_error (meta, "add_bos_token");
  lb_meta_unref (meta);
}

static void
test_meta_defaults (void)
{
  g_autoptr (LbMeta) meta = small_meta ("llama");
  g_autoptr (LbTokenizer) tok = NULL;
  g_autoptr (GArray) ids = NULL;
  GError *error = NULL;
  const gint32 want_ab[] = { 1, 6, 5 };       /* ▁a b: "▁a" beats "ab" */
  const gint32 want_eos[] = { 1, 6, 5, 2 };

  tok = lb_tokenizer_new_from_meta (meta, &error);
  g_assert_no_error (error);
  g_assert_true (lb_tokenizer_get_add_bos (tok));    /* "llama" default */
  g_assert_false (lb_tokenizer_get_add_eos (tok));
  ids = encode (tok, "ab", -1, TRUE);
  assert_ids (ids, want_ab, 3);
  g_clear_pointer (&ids, g_array_unref);
  /* 'c' has no piece and there are no byte tokens: the unknown token */
  ids = encode (tok, "ac", -1, FALSE);
  g_assert_cmpint (g_array_index (ids, gint32, ids->len - 1), ==, 0);
  g_clear_pointer (&ids, g_array_unref);
  g_clear_object (&tok);

  lb_meta_set_bool (meta, "tokenizer.ggml.add_eos_token", TRUE);
  lb_meta_set_bool (meta, "tokenizer.ggml.add_bos_token", TRUE);
  tok = lb_tokenizer_new_from_meta (meta, &error);
  g_assert_no_error (error);
  ids = encode (tok, "ab", -1, TRUE);
  assert_ids (ids, want_eos, 4);
  g_clear_pointer (&ids, g_array_unref);
  ids = encode (tok, "", 0, TRUE);
  g_assert_cmpuint (ids->len, ==, 2);               /* BOS, EOS */
  g_clear_pointer (&ids, g_array_unref);
  g_clear_object (&tok);

  /* without the dummy prefix "a" starts the text and "ab" wins */
  lb_meta_set_bool (meta, "tokenizer.ggml.add_space_prefix", FALSE);
  lb_meta_set_bool (meta, "tokenizer.ggml.add_eos_token", FALSE);
  tok = lb_tokenizer_new_from_meta (meta, &error);
  g_assert_no_error (error);
  ids = encode (tok, "ab", -1, FALSE);
  g_assert_cmpuint (ids->len, ==, 1);
  g_assert_cmpint (g_array_index (ids, gint32, 0), ==, 7);
  g_clear_pointer (&ids, g_array_unref);
  g_clear_object (&tok);

  /* no unknown token, no byte tokens: a clear error, ids untouched */
  {
    static const char *tokens[] = { "<s>", "a" };
    g_autoptr (LbMeta) m2 = lb_meta_new ();
    GArray *out = g_array_new (FALSE, FALSE, sizeof (gint32));

    lb_meta_set_string (m2, "tokenizer.ggml.model", "llama");
    lb_meta_set_strv (m2, "tokenizer.ggml.tokens", tokens, 2);
    tok = lb_tokenizer_new_from_meta (m2, &error);
    g_assert_no_error (error);
    g_assert_cmpint (lb_tokenizer_get_bos (tok), ==, -1);
    g_assert_false (lb_tokenizer_encode (tok, "ax", -1, TRUE, out, &error));
    g_assert_error (error, LB_ERROR, LB_ERROR_UNSUPPORTED);
    g_assert_cmpuint (out->len, ==, 0);
    g_clear_error (&error);
    g_array_unref (out);
    g_clear_object (&tok);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/lowbit/tokenizer/mini-qwen2/reference", test_mini_qwen2_reference);
  g_test_add_func ("/lowbit/tokenizer/mini-qwen2/sentencepiece", test_mini_qwen2_sentencepiece);
  g_test_add_func ("/lowbit/tokenizer/mini-qwen2/greedy-text", test_mini_qwen2_greedy_text);
  g_test_add_func ("/lowbit/tokenizer/mini-qwen2/getters", test_mini_qwen2_getters);
  g_test_add_func ("/lowbit/tokenizer/mini-qwen2/wikitext", test_mini_qwen2_wikitext);
  g_test_add_func ("/lowbit/tokenizer/stories260K/llama2c", test_stories_llama2c);
  g_test_add_func ("/lowbit/tokenizer/stories260K/round-trip", test_stories_round_trip);
  g_test_add_func ("/lowbit/tokenizer/stories260K/decode", test_stories_decode);
  g_test_add_func ("/lowbit/tokenizer/detokenizer", test_detokenizer);
  g_test_add_func ("/lowbit/tokenizer/meta/errors", test_meta_errors);
  g_test_add_func ("/lowbit/tokenizer/meta/defaults", test_meta_defaults);
  return g_test_run ();
}
