/* lb-llama2c-import.c: llama2.c checkpoints (run.c's format) as GGUF-shaped
 * "llama" models.
 *
 * The checkpoint is a header of 7 int32 (dim, hidden_dim, n_layers, n_heads,
 * n_kv_heads, vocab_size, seq_len; vocab_size < 0 means the classifier is
 * not shared with the embedding) and then float32 arrays: token embedding,
 * attention norms, wq, wk, wv, wo, ffn norms, w1, w2, w3, final norm, two
 * unused RoPE tables, the classifier when unshared. Every weight is row-major
 * [out, in], i.e. GGUF ne = [in, out]. llama2.c rotates adjacent pairs (the
 * GGUF "llama" RoPE), so q and k need no permutation.
 *
 * The tokenizer (tokenizer.bin) is an int32 max_token_length, then per token
 * a float32 score, an int32 length and the bytes, with U+2581 written as a
 * plain space and BOS/EOS written as "\n<s>\n" and "\n</s>\n". */
#include <math.h>
#include <string.h>

#include "lb-error.h"
#include "lb-model-private.h"

#define HEADER_FIELDS 7
#define HEADER_BYTES  (HEADER_FIELDS * 4)

#define SPACE_ESCAPE "\xE2\x96\x81"

typedef struct {
  gint64 dim, hidden, n_layers, n_heads, n_kv_heads, vocab, seq_len;
  gboolean shared_classifier;
} Config;

/* where one float32 array of the checkpoint lives */
typedef struct {
  const char *what;
  guint64     offset;
  guint64     n_floats;
} Span;

enum {
  SPAN_EMBD, SPAN_ATTN_NORM, SPAN_WQ, SPAN_WK, SPAN_WV, SPAN_WO, SPAN_FFN_NORM,
  SPAN_W1, SPAN_W2, SPAN_W3, SPAN_OUT_NORM, SPAN_ROPE_REAL, SPAN_ROPE_IMAG,
  SPAN_CLASSIFIER, N_SPANS
};

static gint32
read_i32 (const guint8 *p)
{
  guint32 u;
  memcpy (&u, p, 4);
  return (gint32) GUINT32_FROM_LE (u);
}

static float
read_f32 (const guint8 *p)
{
  guint32 u;
  float f;
  memcpy (&u, p, 4);
  u = GUINT32_FROM_LE (u);
  memcpy (&f, &u, 4);
  return f;
}

static gboolean
parse_header (const char *path, const guint8 *data, gsize size, Config *c, GError **error)
{
  static const struct {
    const char *name;
    gint64      max;
  } fields[HEADER_FIELDS] = {
    { "dim", 1 << 16 },
    { "hidden_dim", 1 << 20 },
    { "n_layers", 1 << 10 },
    { "n_heads", 1 << 10 },
    { "n_kv_heads", 1 << 10 },
    { "vocab_size", 1 << 24 },
    { "seq_len", 1 << 22 },
  };
  gint64 v[HEADER_FIELDS];

  if (size < HEADER_BYTES)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s: %" G_GSIZE_FORMAT " bytes is too short for a llama2.c checkpoint "
                   "(the header alone has %d bytes)", path, size, HEADER_BYTES);
      return FALSE;
    }
  for (int i = 0; i < HEADER_FIELDS; i++)
    {
      v[i] = read_i32 (data + 4 * i);
      if (i == 5)
        {
          c->shared_classifier = v[i] > 0;
          v[i] = ABS (v[i]);
        }
      if (v[i] < 1 || v[i] > fields[i].max)
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                       "%s: header field %s (byte offset %d) is %" G_GINT64_FORMAT
                       "%s; it must be between 1 and %" G_GINT64_FORMAT
                       " (not a llama2.c checkpoint?)",
                       path, fields[i].name, 4 * i, (gint64) read_i32 (data + 4 * i),
                       i == 5 && read_i32 (data + 4 * i) < 0
                         ? " (negative means an unshared classifier)" : "",
                       fields[i].max);
          return FALSE;
        }
    }
  c->dim = v[0];
  c->hidden = v[1];
  c->n_layers = v[2];
  c->n_heads = v[3];
  c->n_kv_heads = v[4];
  c->vocab = v[5];
  c->seq_len = v[6];

  if (c->dim % c->n_heads != 0)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s: dim %" G_GINT64_FORMAT " is not divisible by n_heads %" G_GINT64_FORMAT,
                   path, c->dim, c->n_heads);
      return FALSE;
    }
  if (c->n_heads % c->n_kv_heads != 0)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s: n_heads %" G_GINT64_FORMAT " is not divisible by n_kv_heads %"
                   G_GINT64_FORMAT, path, c->n_heads, c->n_kv_heads);
      return FALSE;
    }
  if ((c->dim / c->n_heads) % 2 != 0)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s: head size %" G_GINT64_FORMAT " (dim / n_heads) is odd; RoPE needs "
                   "pairs", path, c->dim / c->n_heads);
      return FALSE;
    }
  return TRUE;
}

/* Lays out the arrays; FALSE only if the sizes overflow (they cannot within
 * the header limits, but the arithmetic is checked anyway). */
static gboolean
layout (const Config *c, Span spans[N_SPANS], guint64 *total_bytes)
{
  guint64 head = (guint64) (c->dim / c->n_heads);
  guint64 kv_dim = (guint64) c->dim / (guint64) c->n_heads * (guint64) c->n_kv_heads;
  guint64 L = (guint64) c->n_layers, D = (guint64) c->dim, H = (guint64) c->hidden;
  guint64 counts[N_SPANS][3] = {
    [SPAN_EMBD] = { (guint64) c->vocab, D, 1 },
    [SPAN_ATTN_NORM] = { L, D, 1 },
    [SPAN_WQ] = { L, D, D },
    [SPAN_WK] = { L, D, kv_dim },
    [SPAN_WV] = { L, D, kv_dim },
    [SPAN_WO] = { L, D, D },
    [SPAN_FFN_NORM] = { L, D, 1 },
    [SPAN_W1] = { L, D, H },
    [SPAN_W2] = { L, H, D },
    [SPAN_W3] = { L, D, H },
    [SPAN_OUT_NORM] = { D, 1, 1 },
    [SPAN_ROPE_REAL] = { (guint64) c->seq_len, head / 2, 1 },
    [SPAN_ROPE_IMAG] = { (guint64) c->seq_len, head / 2, 1 },
    [SPAN_CLASSIFIER] = { c->shared_classifier ? 0 : (guint64) c->vocab, D, 1 },
  };
  static const char *names[N_SPANS] = {
    "the token embedding", "the attention norms", "wq", "wk", "wv", "wo", "the FFN norms",
    "w1", "w2", "w3", "the final norm", "the RoPE tables", "the RoPE tables",
    "the classifier",
  };
  guint64 offset = HEADER_BYTES;

  for (int i = 0; i < N_SPANS; i++)
    {
      guint64 n, bytes;
      if (!g_uint64_checked_mul (&n, counts[i][0], counts[i][1]) ||
          !g_uint64_checked_mul (&n, n, counts[i][2]) ||
          !g_uint64_checked_mul (&bytes, n, 4))
        return FALSE;
      spans[i].what = names[i];
      spans[i].offset = offset;
      spans[i].n_floats = n;
      if (!g_uint64_checked_add (&offset, offset, bytes))
        return FALSE;
    }
  *total_bytes = offset;
  return TRUE;
}

static gboolean
check_size (const char *path, const Config *c, const Span spans[N_SPANS], guint64 expected,
            guint64 size, GError **error)
{
  g_autofree char *desc = NULL;

  if (size == expected)
    return TRUE;

  desc = g_strdup_printf ("dim %" G_GINT64_FORMAT ", hidden_dim %" G_GINT64_FORMAT
                          ", %" G_GINT64_FORMAT " layers, %" G_GINT64_FORMAT " heads, %"
                          G_GINT64_FORMAT " KV heads, vocabulary %" G_GINT64_FORMAT
                          " (%s classifier), seq_len %" G_GINT64_FORMAT,
                          c->dim, c->hidden, c->n_layers, c->n_heads, c->n_kv_heads,
                          c->vocab, c->shared_classifier ? "shared" : "separate",
                          c->seq_len);
  if (size > expected)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s: the header (%s) needs %" G_GUINT64_FORMAT " bytes but the file has %"
                   G_GUINT64_FORMAT " (%" G_GUINT64_FORMAT " extra bytes at the end)",
                   path, desc, expected, size, size - expected);
      return FALSE;
    }
  for (int i = 0; i < N_SPANS; i++)
    if (spans[i].offset + spans[i].n_floats * 4 > size)
      {
        g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                     "%s: the header (%s) needs %" G_GUINT64_FORMAT " bytes but the file "
                     "has only %" G_GUINT64_FORMAT ", so %s (bytes %"
                     G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT ") is cut off",
                     path, desc, expected, size, spans[i].what, spans[i].offset,
                     spans[i].offset + spans[i].n_floats * 4);
        return FALSE;
      }
  g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
               "%s: the header (%s) needs %" G_GUINT64_FORMAT " bytes but the file has %"
               G_GUINT64_FORMAT, path, desc, expected, size);
  return FALSE;
}

/* ---- tokenizer ---------------------------------------------------------- */

static char *
unescape_piece (const guint8 *p, gsize n, gsize *out_len)
{
  GString *s = g_string_sized_new (n + 8);

  for (gsize i = 0; i < n; i++)
    {
      if (p[i] == ' ')
        g_string_append (s, SPACE_ESCAPE);
      else
        g_string_append_c (s, (char) p[i]);
    }
  *out_len = s->len;
  return g_string_free (s, FALSE);
}

static gboolean
is_byte_piece (const char *t, gsize n)
{
  return n == 6 && memcmp (t, "<0x", 3) == 0 && g_ascii_isxdigit (t[3]) &&
         g_ascii_isxdigit (t[4]) && t[5] == '>';
}

gboolean
lb_llama2c_tokenizer_to_meta (const guint8 *data, gsize len, guint32 n_vocab, LbMeta *meta,
                              GError **error)
{
  LbValue tokens = { .type = LB_VALUE_ARRAY };
  g_autofree float *scores = NULL;
  g_autofree gint32 *types = NULL;
  gint32 max_len;
  gsize off = 4;

  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (meta != NULL, FALSE);

  if (n_vocab < 3)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "a llama2.c vocabulary needs at least 3 tokens (<unk>, <s>, </s>), not %u",
                   n_vocab);
      return FALSE;
    }
  if (len < 4)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%" G_GSIZE_FORMAT " bytes is too short for a llama2.c tokenizer",
                   len);
      return FALSE;
    }
  max_len = read_i32 (data);
  if (max_len < 1 || max_len > 1 << 16)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "max_token_length (byte offset 0) is %d; it must be between 1 "
                   "and 65536 (not a llama2.c tokenizer?)", max_len);
      return FALSE;
    }

  tokens.arr.elem_type = LB_VALUE_STRING;
  tokens.arr.n = n_vocab;
  tokens.arr.strings = g_new0 (LbBytes, n_vocab);
  scores = g_new (float, n_vocab);
  types = g_new (gint32, n_vocab);

  for (guint32 i = 0; i < n_vocab; i++)
    {
      LbBytes *t = &tokens.arr.strings[i];
      gint32 tlen;

      if (len - off < 8)
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                       "token %u (byte offset %" G_GSIZE_FORMAT ") is cut off: "
                       "the file ends at byte %" G_GSIZE_FORMAT " but the checkpoint's "
                       "vocabulary has %u tokens", i, off, len, n_vocab);
          goto fail;
        }
      scores[i] = read_f32 (data + off);
      tlen = read_i32 (data + off + 4);
      if (isnan (scores[i]))
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                       "the score of token %u (byte offset %" G_GSIZE_FORMAT
                       ") is NaN", i, off);
          goto fail;
        }
      if (tlen < 0 || tlen > max_len)
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                       "the length of token %u (byte offset %" G_GSIZE_FORMAT
                       ") is %d; it must be between 0 and max_token_length %d",
                       i, off + 4, tlen, max_len);
          goto fail;
        }
      off += 8;
      if ((gsize) tlen > len - off)
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                       "token %u needs %d bytes at byte offset %" G_GSIZE_FORMAT
                       " but the file ends at byte %" G_GSIZE_FORMAT, i, tlen, off, len);
          goto fail;
        }

      if ((i == 1 && tlen == 5 && memcmp (data + off, "\n<s>\n", 5) == 0) ||
          (i == 2 && tlen == 6 && memcmp (data + off, "\n</s>\n", 6) == 0))
        {
          /* llama2.c's exporter wrapped BOS/EOS in newlines; GGUF does not */
          t->data = g_strndup ((const char *) data + off + 1, tlen - 2);
          t->len = tlen - 2;
        }
      else
        t->data = unescape_piece (data + off, tlen, &t->len);
      off += tlen;

      if (i == 0)
        types[i] = LB_TOKEN_TYPE_UNKNOWN;
      else if (i == 1 || i == 2)
        types[i] = LB_TOKEN_TYPE_CONTROL;
      else if (is_byte_piece (t->data, t->len))
        types[i] = LB_TOKEN_TYPE_BYTE;
      else
        types[i] = LB_TOKEN_TYPE_NORMAL;
    }
  if (off != len)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%" G_GSIZE_FORMAT " bytes are left after the %u tokens the "
                   "checkpoint's vocabulary has (a tokenizer for another model?)",
                   len - off, n_vocab);
      goto fail;
    }

  lb_meta_set_string (meta, "tokenizer.ggml.model", "llama");
  lb_meta_take_value (meta, "tokenizer.ggml.tokens", &tokens);
  lb_meta_set_array (meta, "tokenizer.ggml.scores", LB_VALUE_FLOAT32, scores, n_vocab);
  lb_meta_set_array (meta, "tokenizer.ggml.token_type", LB_VALUE_INT32, types, n_vocab);
  lb_meta_set_u32 (meta, "tokenizer.ggml.bos_token_id", 1);
  lb_meta_set_u32 (meta, "tokenizer.ggml.eos_token_id", 2);
  lb_meta_set_u32 (meta, "tokenizer.ggml.unknown_token_id", 0);
  lb_meta_set_bool (meta, "tokenizer.ggml.add_bos_token", TRUE);
  lb_meta_set_bool (meta, "tokenizer.ggml.add_eos_token", FALSE);
  return TRUE;

fail:
  lb_value_clear (&tokens);
  return FALSE;
}

/* tok<vocab>.bin or tokenizer.bin beside the checkpoint */
static char *
find_tokenizer (const char *checkpoint, gint64 vocab, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (checkpoint);
  g_autofree char *tok_n = g_strdup_printf ("tok%" G_GINT64_FORMAT ".bin", vocab);
  const char *names[] = { tok_n, "tokenizer.bin" };

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      char *path = g_build_filename (dir, names[i], NULL);
      if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        return path;
      g_free (path);
    }
  g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
               "%s: a llama2.c checkpoint needs its tokenizer, and neither %s nor "
               "tokenizer.bin is in %s; name it with --tokenizer", checkpoint, tok_n, dir);
  return NULL;
}

/* ---- tensors and metadata ------------------------------------------------ */

static void
add_tensor (GPtrArray *tensors, const guint8 *base, const Span *span, guint64 index,
            gint64 ne0, gint64 ne1, const char *name)
{
  gint64 ne[2] = { ne0, ne1 };
  guint64 n = (guint64) ne0 * (guint64) (ne1 > 0 ? ne1 : 1);
  const guint8 *p = base + span->offset + index * n * 4;

  g_ptr_array_add (tensors, lb_tensor_new (name, LB_TYPE_F32, ne1 > 0 ? 2 : 1, ne, p, n * 4));
}

static void
add_layer_tensor (GPtrArray *tensors, const guint8 *base, const Span *span, guint il,
                  gint64 ne0, gint64 ne1, const char *suffix)
{
  g_autofree char *name = g_strdup_printf ("blk.%u.%s", il, suffix);
  add_tensor (tensors, base, span, il, ne0, ne1, name);
}

static LbMeta *
build_meta (const char *checkpoint, const Config *c)
{
  LbMeta *meta = lb_meta_new ();
  g_autofree char *base = g_path_get_basename (checkpoint);
  char *dot = strrchr (base, '.');

  if (dot != NULL && dot != base)
    *dot = '\0';
  lb_meta_set_string (meta, "general.architecture", "llama");
  lb_meta_set_string (meta, "general.name", base);
  lb_meta_set_u32 (meta, "general.file_type", 0);   /* all F32 */
  lb_meta_set_u32 (meta, "llama.vocab_size", (guint32) c->vocab);
  lb_meta_set_u32 (meta, "llama.context_length", (guint32) c->seq_len);
  lb_meta_set_u32 (meta, "llama.embedding_length", (guint32) c->dim);
  lb_meta_set_u32 (meta, "llama.block_count", (guint32) c->n_layers);
  lb_meta_set_u32 (meta, "llama.feed_forward_length", (guint32) c->hidden);
  lb_meta_set_u32 (meta, "llama.attention.head_count", (guint32) c->n_heads);
  lb_meta_set_u32 (meta, "llama.attention.head_count_kv", (guint32) c->n_kv_heads);
  lb_meta_set_u32 (meta, "llama.rope.dimension_count", (guint32) (c->dim / c->n_heads));
  lb_meta_set_f32 (meta, "llama.rope.freq_base", 10000.0f);
  lb_meta_set_f32 (meta, "llama.attention.layer_norm_rms_epsilon", 1e-5f);
  return meta;
}

static GPtrArray *
build_tensors (const guint8 *base, const Config *c, const Span spans[N_SPANS])
{
  GPtrArray *t = g_ptr_array_new_with_free_func ((GDestroyNotify) lb_tensor_free);
  gint64 D = c->dim, H = c->hidden, V = c->vocab;
  gint64 kv_dim = c->dim / c->n_heads * c->n_kv_heads;

  add_tensor (t, base, &spans[SPAN_EMBD], 0, D, V, "token_embd.weight");
  for (guint il = 0; il < (guint) c->n_layers; il++)
    {
      add_layer_tensor (t, base, &spans[SPAN_ATTN_NORM], il, D, 0, "attn_norm.weight");
      add_layer_tensor (t, base, &spans[SPAN_WQ], il, D, D, "attn_q.weight");
      add_layer_tensor (t, base, &spans[SPAN_WK], il, D, kv_dim, "attn_k.weight");
      add_layer_tensor (t, base, &spans[SPAN_WV], il, D, kv_dim, "attn_v.weight");
      add_layer_tensor (t, base, &spans[SPAN_WO], il, D, D, "attn_output.weight");
      add_layer_tensor (t, base, &spans[SPAN_FFN_NORM], il, D, 0, "ffn_norm.weight");
      add_layer_tensor (t, base, &spans[SPAN_W1], il, D, H, "ffn_gate.weight");
      add_layer_tensor (t, base, &spans[SPAN_W2], il, H, D, "ffn_down.weight");
      add_layer_tensor (t, base, &spans[SPAN_W3], il, D, H, "ffn_up.weight");
    }
  add_tensor (t, base, &spans[SPAN_OUT_NORM], 0, D, 0, "output_norm.weight");
  if (!c->shared_classifier)
    add_tensor (t, base, &spans[SPAN_CLASSIFIER], 0, D, V, "output.weight");
  return t;
}

LbModel *
lb_import_llama2c (const char *checkpoint, const char *tokenizer_path,
                   GCancellable *cancellable, GError **error)
{
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (LbMeta) meta = NULL;
  g_autofree char *tok_path = NULL;
  g_autofree char *tok_data = NULL;
  GMappedFile *mapped;
  GPtrArray *tensors, *keepalive;
  GError *local = NULL;
  const guint8 *data;
  gsize size, tok_len = 0;
  Config c = { 0 };
  Span spans[N_SPANS];
  guint64 expected;

  g_return_val_if_fail (checkpoint != NULL, NULL);

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;

  mapped = g_mapped_file_new (checkpoint, FALSE, &local);
  if (mapped == NULL)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_IO, "%s", local->message);
      g_error_free (local);
      return NULL;
    }
  bytes = g_mapped_file_get_bytes (mapped);
  g_mapped_file_unref (mapped);
  data = g_bytes_get_data (bytes, &size);

  if (!parse_header (checkpoint, data, size, &c, error))
    return NULL;
  if (!layout (&c, spans, &expected))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s: the header's sizes overflow", checkpoint);
      return NULL;
    }
  if (!check_size (checkpoint, &c, spans, expected, size, error))
    return NULL;

  tok_path = tokenizer_path != NULL ? g_strdup (tokenizer_path)
                                    : find_tokenizer (checkpoint, c.vocab, error);
  if (tok_path == NULL)
    return NULL;
  if (!g_file_get_contents (tok_path, &tok_data, &tok_len, &local))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_IO, "%s", local->message);
      g_error_free (local);
      return NULL;
    }

  meta = build_meta (checkpoint, &c);
  if (!lb_llama2c_tokenizer_to_meta ((const guint8 *) tok_data, tok_len, (guint32) c.vocab,
                                     meta, error))
    {
      g_prefix_error (error, "%s: ", tok_path);
      return NULL;
    }

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;

  tensors = build_tensors (data, &c, spans);
  keepalive = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_ptr_array_add (keepalive, g_steal_pointer (&bytes));
  return lb_model_new_from_parts (checkpoint, LB_MODEL_FORMAT_LLAMA2C, size,
                                  g_steal_pointer (&meta), tensors, keepalive, error);
}
