/* test-llama2c.c: importing llama2.c checkpoints and tokenizers, and refusing
 * malformed ones with clear errors. Offsets are recomputed here from the
 * format as /work/shared/models/README.md and llama2.c's run.c describe it. */
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "lowbit.h"
#include "lb-model-private.h"
#include "lb-test-util.h"

#define DIM     64
#define HIDDEN  172
#define LAYERS  5
#define HEADS   8
#define KV      4
#define VOCAB   512
#define SEQ     512
#define HEAD    (DIM / HEADS)
#define KV_DIM  (HEAD * KV)

typedef struct {
  char   *ckpt_path;
  char   *tok_path;
  char   *ckpt;       /* file contents */
  gsize   ckpt_len;
  char   *tok;
  gsize   tok_len;
  char   *tmpdir;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  GError *error = NULL;

  f->ckpt_path = lb_test_source_path ("data", "stories260K", "stories260K.bin", NULL);
  f->tok_path = lb_test_source_path ("data", "stories260K", "tok512.bin", NULL);
  g_file_get_contents (f->ckpt_path, &f->ckpt, &f->ckpt_len, &error);
  g_assert_no_error (error);
  g_file_get_contents (f->tok_path, &f->tok, &f->tok_len, &error);
  g_assert_no_error (error);
  f->tmpdir = lb_test_make_tmpdir ();
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  lb_test_rmtree (f->tmpdir);
  g_free (f->tmpdir);
  g_free (f->ckpt_path);
  g_free (f->tok_path);
  g_free (f->ckpt);
  g_free (f->tok);
}

static char *
write_tmp (Fixture *f, const char *name, const void *data, gsize len)
{
  char *path = g_build_filename (f->tmpdir, name, NULL);
  GError *error = NULL;

  g_file_set_contents (path, data, len, &error);
  g_assert_no_error (error);
  return path;
}

/* float offsets of the arrays, in order, after the 28-byte header */
static gsize
array_offset (int which)
{
  const gsize sizes[] = {
    (gsize) VOCAB * DIM,                 /* 0 token embedding */
    (gsize) LAYERS * DIM,                /* 1 attention norms */
    (gsize) LAYERS * DIM * DIM,          /* 2 wq */
    (gsize) LAYERS * DIM * KV_DIM,       /* 3 wk */
    (gsize) LAYERS * DIM * KV_DIM,       /* 4 wv */
    (gsize) LAYERS * DIM * DIM,          /* 5 wo */
    (gsize) LAYERS * DIM,                /* 6 ffn norms */
    (gsize) LAYERS * DIM * HIDDEN,       /* 7 w1 */
    (gsize) LAYERS * HIDDEN * DIM,       /* 8 w2 */
    (gsize) LAYERS * DIM * HIDDEN,       /* 9 w3 */
    (gsize) DIM,                         /* 10 final norm */
    (gsize) SEQ * HEAD,                  /* 11 both rope tables */
  };
  gsize off = 28;
  for (int i = 0; i < which; i++)
    off += sizes[i] * 4;
  return off;
}

static void
assert_tensor (Fixture *f, LbModel *model, const char *name, gint64 ne0, gint64 ne1,
               gsize file_offset)
{
  const LbTensor *t = lb_model_find_tensor (model, name);
  gsize n = (gsize) ne0 * (gsize) (ne1 ? ne1 : 1) * 4;

  g_test_message ("tensor %s", name);
  g_assert_nonnull (t);
  g_assert_cmpint (t->type, ==, LB_TYPE_F32);
  g_assert_cmpuint (t->n_dims, ==, ne1 ? 2 : 1);
  g_assert_cmpint (t->ne[0], ==, ne0);
  if (ne1)
    g_assert_cmpint (t->ne[1], ==, ne1);
  g_assert_cmpuint (t->n_bytes, ==, n);
  g_assert_cmpuint (file_offset + n, <=, f->ckpt_len);
  g_assert_cmpmem (t->data, t->n_bytes, f->ckpt + file_offset, n);
}

static void
test_stories260K (Fixture *f, gconstpointer data)
{
  g_autoptr (LbModel) model = NULL;
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  GError *error = NULL;
  const LbHParams *hp;
  LbMeta *meta;
  LbTokenizer *tok;
  guint32 u;
  float x;
  /* llama2.c run.c encode("Once upon a time", bos) */
  const gint32 once[] = { 1, 403, 407, 261, 378 };

  /* tokenizer_path NULL: tok512.bin beside the checkpoint */
  model = lb_import_llama2c (f->ckpt_path, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (model);

  g_assert_cmpint (lb_model_get_format (model), ==, LB_MODEL_FORMAT_LLAMA2C);
  g_assert_cmpstr (lb_model_get_architecture (model), ==, "llama");
  g_assert_cmpstr (lb_model_get_name (model), ==, "stories260K");
  g_assert_cmpuint (lb_model_get_file_size (model), ==, f->ckpt_len);

  hp = lb_model_get_hparams (model);
  g_assert_cmpuint (hp->n_embd, ==, DIM);
  g_assert_cmpuint (hp->n_layer, ==, LAYERS);
  g_assert_cmpuint (hp->n_head, ==, HEADS);
  g_assert_cmpuint (hp->n_head_kv, ==, KV);
  g_assert_cmpuint (hp->n_ff, ==, HIDDEN);
  g_assert_cmpuint (hp->n_vocab, ==, VOCAB);
  g_assert_cmpuint (hp->n_ctx_train, ==, SEQ);
  g_assert_cmpuint (hp->head_dim, ==, HEAD);
  g_assert_cmpuint (hp->n_rot, ==, HEAD);
  g_assert_cmpfloat (hp->rope_freq_base, ==, 10000.0f);
  g_assert_cmpfloat_with_epsilon (hp->norm_eps, 1e-5f, 1e-9f);
  g_assert_cmpint (hp->rope_type, ==, LB_ROPE_NORMAL);
  g_assert_true (hp->tied_output);

  meta = lb_model_get_meta (model);
  g_assert_true (lb_meta_get_u32 (meta, "general.file_type", &u, NULL));
  g_assert_cmpuint (u, ==, 0);
  g_assert_true (lb_meta_get_u32 (meta, "llama.rope.dimension_count", &u, NULL));
  g_assert_cmpuint (u, ==, HEAD);
  g_assert_true (lb_meta_get_u32 (meta, "llama.context_length", &u, NULL));
  g_assert_cmpuint (u, ==, SEQ);
  g_assert_true (lb_meta_get_f32 (meta, "llama.attention.layer_norm_rms_epsilon", &x, NULL));
  g_assert_cmpfloat_with_epsilon (x, 1e-5f, 1e-9f);

  /* 1 + 9 per layer + output_norm; no output.weight (shared classifier) */
  g_assert_cmpuint (lb_model_get_n_tensors (model), ==, 1 + 9 * LAYERS + 1);
  g_assert_null (lb_model_find_tensor (model, "output.weight"));
  assert_tensor (f, model, "token_embd.weight", DIM, VOCAB, array_offset (0));
  for (guint il = 0; il < LAYERS; il++)
    {
      char name[64];
#define LAYER_TENSOR(suffix, which, per_layer, ne0, ne1) \
      g_snprintf (name, sizeof name, "blk.%u." suffix, il); \
      assert_tensor (f, model, name, ne0, ne1, array_offset (which) + (gsize) il * (per_layer) * 4)
      LAYER_TENSOR ("attn_norm.weight", 1, DIM, DIM, 0);
      LAYER_TENSOR ("attn_q.weight", 2, DIM * DIM, DIM, DIM);
      LAYER_TENSOR ("attn_k.weight", 3, DIM * KV_DIM, DIM, KV_DIM);
      LAYER_TENSOR ("attn_v.weight", 4, DIM * KV_DIM, DIM, KV_DIM);
      LAYER_TENSOR ("attn_output.weight", 5, DIM * DIM, DIM, DIM);
      LAYER_TENSOR ("ffn_norm.weight", 6, DIM, DIM, 0);
      LAYER_TENSOR ("ffn_gate.weight", 7, DIM * HIDDEN, DIM, HIDDEN);
      LAYER_TENSOR ("ffn_down.weight", 8, HIDDEN * DIM, HIDDEN, DIM);
      LAYER_TENSOR ("ffn_up.weight", 9, DIM * HIDDEN, DIM, HIDDEN);
#undef LAYER_TENSOR
    }
  assert_tensor (f, model, "output_norm.weight", DIM, 0, array_offset (10));
  /* the two rope tables end the file */
  g_assert_cmpuint (array_offset (12), ==, f->ckpt_len);

  tok = lb_model_get_tokenizer (model);
  g_assert_cmpstr (lb_tokenizer_get_model_name (tok), ==, "llama");
  g_assert_cmpuint (lb_tokenizer_get_n_vocab (tok), ==, VOCAB);
  g_assert_cmpint (lb_tokenizer_get_bos (tok), ==, 1);
  g_assert_cmpint (lb_tokenizer_get_eos (tok), ==, 2);
  g_assert_true (lb_tokenizer_get_add_bos (tok));
  g_assert_false (lb_tokenizer_get_add_eos (tok));
  g_assert_cmpstr (lb_tokenizer_get_token_text (tok, 0), ==, "<unk>");
  g_assert_cmpint (lb_tokenizer_get_token_type (tok, 0), ==, LB_TOKEN_TYPE_UNKNOWN);
  g_assert_cmpstr (lb_tokenizer_get_token_text (tok, 1), ==, "<s>");
  g_assert_cmpint (lb_tokenizer_get_token_type (tok, 1), ==, LB_TOKEN_TYPE_CONTROL);
  g_assert_cmpstr (lb_tokenizer_get_token_text (tok, 2), ==, "</s>");
  g_assert_cmpint (lb_tokenizer_get_token_type (tok, 2), ==, LB_TOKEN_TYPE_CONTROL);
  g_assert_cmpstr (lb_tokenizer_get_token_text (tok, 3 + 0x0A), ==, "<0x0A>");
  g_assert_cmpint (lb_tokenizer_get_token_type (tok, 3 + 0x0A), ==, LB_TOKEN_TYPE_BYTE);
  g_assert_cmpstr (lb_tokenizer_get_token_text (tok, 259), ==, "\xE2\x96\x81t");   /* " t" in the file */
  g_assert_cmpint (lb_tokenizer_get_token_type (tok, 259), ==, LB_TOKEN_TYPE_NORMAL);
  g_assert_cmpfloat (lb_tokenizer_get_token_score (tok, 260), ==, -1.0f);
  g_assert_true (lb_tokenizer_encode (tok, "Once upon a time", -1, TRUE, ids, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (ids->data, ids->len * sizeof (gint32), once, sizeof once);
}

static void
test_tokenizer_lookup (Fixture *f, gconstpointer data)
{
  g_autofree char *ckpt = write_tmp (f, "model.bin", f->ckpt, f->ckpt_len);
  g_autofree char *explicit_tok = write_tmp (f, "elsewhere.tok", f->tok, f->tok_len);
  g_autofree char *default_tok = NULL;
  GError *error = NULL;
  LbModel *model;

  /* nothing beside it: a clear error naming what was looked for */
  model = lb_import_llama2c (ckpt, NULL, NULL, &error);
  g_assert_null (model);
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "tok512.bin"));
  g_assert_nonnull (strstr (error->message, "tokenizer.bin"));
  g_assert_nonnull (strstr (error->message, "--tokenizer"));
  g_clear_error (&error);

  /* given explicitly */
  model = lb_import_llama2c (ckpt, explicit_tok, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (lb_model_get_name (model), ==, "model");
  g_clear_object (&model);

  /* tokenizer.bin beside it */
  default_tok = write_tmp (f, "tokenizer.bin", f->tok, f->tok_len);
  model = lb_import_llama2c (ckpt, NULL, NULL, &error);
  g_assert_no_error (error);
  g_clear_object (&model);

  /* a missing explicit tokenizer */
  model = lb_import_llama2c (ckpt, "/nonexistent/tok.bin", NULL, &error);
  g_assert_null (model);
  g_assert_error (error, LB_ERROR, LB_ERROR_IO);
  g_clear_error (&error);

  /* a missing checkpoint */
  model = lb_import_llama2c ("/nonexistent/model.bin", NULL, NULL, &error);
  g_assert_null (model);
  g_assert_error (error, LB_ERROR, LB_ERROR_IO);
  g_clear_error (&error);
}

/* a negative vocab_size: the classifier follows the rope tables */
static void
test_unshared_classifier (Fixture *f, gconstpointer data)
{
  gsize cls_bytes = (gsize) VOCAB * DIM * 4;
  g_autofree char *buf = g_malloc (f->ckpt_len + cls_bytes);
  g_autofree char *path = NULL;
  g_autoptr (LbModel) model = NULL;
  GError *error = NULL;
  gint32 neg = GINT32_TO_LE (-VOCAB);
  const LbTensor *out;

  memcpy (buf, f->ckpt, f->ckpt_len);
  memcpy (buf + 20, &neg, 4);
  for (gsize i = 0; i < cls_bytes; i++)
    buf[f->ckpt_len + i] = (char) (i * 7 % 251);
  path = write_tmp (f, "unshared.bin", buf, f->ckpt_len + cls_bytes);

  model = lb_import_llama2c (path, f->tok_path, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (lb_model_get_hparams (model)->tied_output);
  out = lb_model_find_tensor (model, "output.weight");
  g_assert_nonnull (out);
  g_assert_cmpint (out->ne[0], ==, DIM);
  g_assert_cmpint (out->ne[1], ==, VOCAB);
  g_assert_cmpmem (out->data, out->n_bytes, buf + f->ckpt_len, cls_bytes);
  g_assert_true (lb_model_get_output (model) == out);
}

static void
expect_ckpt_error (Fixture *f, const void *data, gsize len, const char *fragment)
{
  g_autofree char *path = write_tmp (f, "bad.bin", data, len);
  GError *error = NULL;
  LbModel *model = lb_import_llama2c (path, f->tok_path, NULL, &error);

  g_assert_null (model);
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_FILE);
  g_test_message ("%" G_GSIZE_FORMAT " bytes: %s", len, error->message);
  g_assert_nonnull (strstr (error->message, fragment));
  g_error_free (error);
}

static void
expect_header_error (Fixture *f, int field, gint32 value, const char *fragment)
{
  g_autofree char *buf = g_memdup2 (f->ckpt, f->ckpt_len);
  gint32 le = GINT32_TO_LE (value);

  memcpy (buf + 4 * field, &le, 4);
  expect_ckpt_error (f, buf, f->ckpt_len, fragment);
}

static void
test_malformed_checkpoint (Fixture *f, gconstpointer data)
{
  const gsize cuts[] = {
    0, 3, 27, 28, 29, 1000, array_offset (2) + 2, array_offset (8), f->ckpt_len / 2,
    array_offset (11), f->ckpt_len - 4, f->ckpt_len - 1,
  };
  g_autofree char *longer = g_malloc0 (f->ckpt_len + 8);
  char expected[32];

  for (gsize i = 0; i < G_N_ELEMENTS (cuts); i++)
    expect_ckpt_error (f, f->ckpt, cuts[i], cuts[i] < 28 ? "too short" : "needs");
  /* a truncation message says where the data ends */
  g_snprintf (expected, sizeof expected, "%" G_GSIZE_FORMAT, f->ckpt_len);
  expect_ckpt_error (f, f->ckpt, f->ckpt_len - 4, expected);
  expect_ckpt_error (f, f->ckpt, array_offset (8), "w2 (bytes 599580 to 819740) is cut off");

  memcpy (longer, f->ckpt, f->ckpt_len);
  expect_ckpt_error (f, longer, f->ckpt_len + 8, "8 extra bytes");
  expect_ckpt_error (f, longer, f->ckpt_len + 1, "1 extra bytes");

  /* zero, negative and absurd header fields */
  expect_header_error (f, 0, 0, "dim");
  expect_header_error (f, 0, -64, "dim");
  expect_header_error (f, 1, 0, "hidden_dim");
  expect_header_error (f, 2, -5, "n_layers");
  expect_header_error (f, 3, 0, "n_heads");
  expect_header_error (f, 4, 0, "n_kv_heads");
  expect_header_error (f, 5, 0, "vocab_size");
  expect_header_error (f, 6, 0, "seq_len");
  expect_header_error (f, 6, -1, "seq_len");
  expect_header_error (f, 0, G_MAXINT32, "dim");
  expect_header_error (f, 1, G_MAXINT32, "hidden_dim");
  expect_header_error (f, 2, G_MAXINT32, "n_layers");
  expect_header_error (f, 5, G_MININT32, "vocab_size");
  expect_header_error (f, 5, G_MAXINT32, "vocab_size");
  expect_header_error (f, 6, G_MAXINT32, "seq_len");

  /* structure */
  expect_header_error (f, 3, 7, "not divisible by n_heads");
  expect_header_error (f, 4, 3, "not divisible by n_kv_heads");
  expect_header_error (f, 3, 64, "odd");            /* head size 1 */
  expect_header_error (f, 4, 16, "not divisible");  /* more KV heads than heads */

  /* the largest header the limits allow: sizes near 2^48 bytes must not
   * overflow, and the file is simply too small */
  {
    g_autofree char *buf = g_memdup2 (f->ckpt, f->ckpt_len);
    const gint32 big[7] = { 65536, 1 << 20, 1024, 1024, 1024, -(1 << 24), 1 << 22 };
    for (int i = 0; i < 7; i++)
      {
        gint32 le = GINT32_TO_LE (big[i]);
        memcpy (buf + 4 * i, &le, 4);
      }
    expect_ckpt_error (f, buf, f->ckpt_len, "needs");
  }

  /* a directory is not a checkpoint */
  {
    GError *error = NULL;
    LbModel *model = lb_import_llama2c (f->tmpdir, f->tok_path, NULL, &error);
    g_assert_null (model);
    g_assert_nonnull (error);
    g_clear_error (&error);
  }
}

static void
expect_tok_error (Fixture *f, const void *data, gsize len, const char *fragment)
{
  g_autofree char *path = write_tmp (f, "bad-tok.bin", data, len);
  GError *error = NULL;
  LbModel *model = lb_import_llama2c (f->ckpt_path, path, NULL, &error);

  g_assert_null (model);
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_FILE);
  g_test_message ("%" G_GSIZE_FORMAT " bytes: %s", len, error->message);
  g_assert_nonnull (strstr (error->message, "bad-tok.bin"));
  g_assert_nonnull (strstr (error->message, fragment));
  g_error_free (error);
}

static void
put_i32 (char *buf, gsize off, gint32 v)
{
  gint32 le = GINT32_TO_LE (v);
  memcpy (buf + off, &le, 4);
}

static void
test_malformed_tokenizer (Fixture *f, gconstpointer data)
{
  g_autofree char *buf = g_malloc (f->tok_len + 16);
  /* entry 0 is at byte 4: score at 4, length at 8, "<unk>" at 12..17;
   * entry 1's length is at 21, entry 2's at 34 */
  const gsize cuts[] = { 0, 2, 4, 6, 10, 14, 17, 20, 26, f->tok_len / 2, f->tok_len - 1 };
  float nan_score = NAN;

  for (gsize i = 0; i < G_N_ELEMENTS (cuts); i++)
    expect_tok_error (f, f->tok, cuts[i], cuts[i] < 4 ? "too short" : "");
  expect_tok_error (f, f->tok, 10, "token 0");
  expect_tok_error (f, f->tok, 14, "token 0 needs 5 bytes");
  expect_tok_error (f, f->tok, f->tok_len - 1, "token 511");

  memcpy (buf, f->tok, f->tok_len);
  memset (buf + f->tok_len, 'x', 16);
  expect_tok_error (f, buf, f->tok_len + 16, "16 bytes are left");

#define WITH(off, val, fragment) \
  G_STMT_START { \
    memcpy (buf, f->tok, f->tok_len); \
    put_i32 (buf, off, val); \
    expect_tok_error (f, buf, f->tok_len, fragment); \
  } G_STMT_END

  WITH (0, 0, "max_token_length");
  WITH (0, -7, "max_token_length");
  WITH (0, G_MAXINT32, "max_token_length");
  WITH (8, -1, "token 0");
  WITH (8, 8, "token 0");               /* longer than max_token_length 7 */
  WITH (8, G_MAXINT32, "token 0");
  WITH (8, G_MININT32, "token 0");
#undef WITH

  /* a length that stays within max_token_length but runs past the end */
  {
    gsize last_len_at = f->tok_len - 4 - 8;   /* find the last entry's length field */
    gsize off = 4;
    for (int i = 0; i < VOCAB; i++)
      {
        gint32 l;
        memcpy (&l, f->tok + off + 4, 4);
        last_len_at = off + 4;
        off += 8 + GINT32_FROM_LE (l);
      }
    g_assert_cmpuint (off, ==, f->tok_len);
    memcpy (buf, f->tok, f->tok_len);
    put_i32 (buf, last_len_at, 7);
    expect_tok_error (f, buf, f->tok_len, "token 511 needs 7 bytes");
  }

  memcpy (buf, f->tok, f->tok_len);
  memcpy (buf + 4, &nan_score, 4);
  expect_tok_error (f, buf, f->tok_len, "NaN");

  /* the lower-level entry point refuses a vocabulary too small for BOS/EOS */
  {
    g_autoptr (LbMeta) meta = lb_meta_new ();
    GError *error = NULL;
    g_assert_false (lb_llama2c_tokenizer_to_meta ((const guint8 *) f->tok, f->tok_len, 2,
                                                  meta, &error));
    g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_FILE);
    g_clear_error (&error);
    g_assert_false (lb_meta_contains (meta, "tokenizer.ggml.tokens"));
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, fn) g_test_add ("/lowbit/llama2c/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("stories260K", test_stories260K);
  ADD ("tokenizer-lookup", test_tokenizer_lookup);
  ADD ("unshared-classifier", test_unshared_classifier);
  ADD ("malformed-checkpoint", test_malformed_checkpoint);
  ADD ("malformed-tokenizer", test_malformed_tokenizer);
#undef ADD
  return g_test_run ();
}
