/* lb-synth.c: writing a synthetic model, one tensor (and one chunk of rows)
 * at a time */
#include "config.h"

#include <math.h>
#include <string.h>
#include <glib/gstdio.h>

#include "lb-error.h"
#include "lb-gguf.h"
#include "lb-synth.h"
#include "lb-threadpool.h"
#include "lb-tokenizer.h"

/* output bytes produced per parallel step */
#define CHUNK_BYTES ((gsize) 8 << 20)

typedef enum {
  KIND_MATRIX,   /* N(0, std) in the requested type */
  KIND_BIAS,     /* N(0, std), F32 */
  KIND_NORM,     /* ones, F32 */
  KIND_ROPE,     /* llama3 frequency factors, F32 */
} TensorKind;

typedef struct {
  char       *name;
  TensorKind  kind;
  guint       n_dims;
  gint64      ne[2];
  LbType      type;
} TensorSpec;

static void
tensor_spec_clear (gpointer p)
{
  g_free (((TensorSpec *) p)->name);
}

/* ---- random numbers ---------------------------------------------------------- */

static inline guint64
splitmix64 (guint64 *state)
{
  guint64 z = (*state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/* each row has its own stream, so rows can be made in any order */
static guint64
row_seed (guint64 seed, guint tensor, gint64 row)
{
  guint64 s = seed;
  guint64 a = splitmix64 (&s) ^ ((guint64) tensor * 0xd1b54a32d192ed03ull);
  guint64 b = splitmix64 (&a) ^ ((guint64) row * 0x8cb92ba72f3d8dd7ull);
  return splitmix64 (&b);
}

/* n normal values with standard deviation std (Box-Muller, 24-bit uniforms) */
static void
fill_normal (float *out, gint64 n, float std, guint64 state)
{
  const float two_pi = 6.28318530717958647692f;
  gint64 i = 0;

  while (i < n)
    {
      guint64 x = splitmix64 (&state);
      float u1 = (float) ((x >> 40) + 1) * (1.0f / 16777216.0f);   /* (0, 1] */
      float u2 = (float) (x & 0xffffff) * (1.0f / 16777216.0f);    /* [0, 1) */
      float r = std * sqrtf (-2.0f * logf (u1));
      float s, c;

      s = sinf (two_pi * u2);
      c = cosf (two_pi * u2);
      out[i++] = r * c;
      if (i < n)
        out[i++] = r * s;
    }
}

/* llama3's rope scaling as frequency divisors: factor 32, low-frequency
 * factor 1, high-frequency factor 4, original context 8192 */
static void
llama3_rope_factors (float *out, guint n, guint n_rot, float base)
{
  const double factor = 32.0, low = 1.0, high = 4.0, old_ctx = 8192.0;
  const double low_wavelen = old_ctx / low, high_wavelen = old_ctx / high;

  for (guint i = 0; i < n; i++)
    {
      double freq = 1.0 / pow (base, (2.0 * i) / n_rot);
      double wavelen = 2.0 * G_PI / freq;

      if (wavelen < high_wavelen)
        out[i] = 1.0f;
      else if (wavelen > low_wavelen)
        out[i] = (float) factor;
      else
        {
          double smooth = (old_ctx / wavelen - low) / (high - low);
          out[i] = (float) (1.0 / ((1.0 - smooth) / factor + smooth));
        }
    }
}

/* ---- the vocabulary ---------------------------------------------------------- */

#define SPACE "\xe2\x96\x81"   /* U+2581, SentencePiece's word boundary */

/* Generated piece k: "▁", the printable ASCII characters, the same after
 * "▁", then every lowercase word of 2, 3, ... letters, bare and after "▁".
 * Every piece longer than one symbol splits into two that are pieces, so
 * the merges reach all of them. */
static char *
generated_piece (guint64 k)
{
  const guint64 n_print = 126 - 33 + 1;
  guint64 count = 26 * 26;
  guint len = 2;
  GString *s;

  if (k == 0)
    return g_strdup (SPACE);
  k--;
  if (k < 2 * n_print)
    {
      char c[2] = { (char) (33 + k % n_print), '\0' };
      return k < n_print ? g_strdup (c) : g_strconcat (SPACE, c, NULL);
    }
  k -= 2 * n_print;
  while (k >= 2 * count)
    {
      k -= 2 * count;
      count *= 26;
      len++;
    }
  s = g_string_new (k % 2 ? SPACE : "");
  k /= 2;
  {
    char word[16];
    for (guint i = 0; i < len; i++)
      {
        word[len - 1 - i] = (char) ('a' + k % 26);
        k /= 26;
      }
    g_string_append_len (s, word, len);
  }
  return g_string_free (s, FALSE);
}

static void
add_vocab (LbMeta *meta, guint32 n_vocab)
{
  char **tokens = g_new0 (char *, n_vocab + 1);
  float *scores = g_new (float, n_vocab);
  gint32 *types = g_new (gint32, n_vocab);

  for (guint32 i = 0; i < n_vocab; i++)
    {
      scores[i] = 0.0f;
      if (i == 0)
        tokens[i] = g_strdup ("<unk>"), types[i] = LB_TOKEN_TYPE_UNKNOWN;
      else if (i == 1)
        tokens[i] = g_strdup ("<s>"), types[i] = LB_TOKEN_TYPE_CONTROL;
      else if (i == 2)
        tokens[i] = g_strdup ("</s>"), types[i] = LB_TOKEN_TYPE_CONTROL;
      else if (i < 3 + 256)
        tokens[i] = g_strdup_printf ("<0x%02X>", i - 3), types[i] = LB_TOKEN_TYPE_BYTE;
      else
        {
          tokens[i] = generated_piece (i - 259);
          types[i] = LB_TOKEN_TYPE_NORMAL;
          scores[i] = -(float) (i - 259);
        }
    }
  lb_meta_set_string (meta, "tokenizer.ggml.model", "llama");
  lb_meta_set_string (meta, "tokenizer.ggml.pre", "default");
  lb_meta_set_strv (meta, "tokenizer.ggml.tokens", (const char * const *) tokens, n_vocab);
  lb_meta_set_array (meta, "tokenizer.ggml.scores", LB_VALUE_FLOAT32, scores, n_vocab);
  lb_meta_set_array (meta, "tokenizer.ggml.token_type", LB_VALUE_INT32, types, n_vocab);
  lb_meta_set_u32 (meta, "tokenizer.ggml.unknown_token_id", 0);
  lb_meta_set_u32 (meta, "tokenizer.ggml.bos_token_id", 1);
  lb_meta_set_u32 (meta, "tokenizer.ggml.eos_token_id", 2);
  lb_meta_set_bool (meta, "tokenizer.ggml.add_bos_token", TRUE);
  lb_meta_set_bool (meta, "tokenizer.ggml.add_eos_token", FALSE);
  g_strfreev (tokens);
  g_free (scores);
  g_free (types);
}

/* ---- metadata and tensor list ------------------------------------------------ */

/* llama.cpp's general.file_type for a model that is mostly type t */
static guint32
file_type_of (LbType t)
{
  switch (t)
    {
    case LB_TYPE_F32: return 0;
    case LB_TYPE_F16: return 1;
    case LB_TYPE_Q4_0: return 2;
    case LB_TYPE_Q4_1: return 3;
    case LB_TYPE_Q8_0: return 7;
    case LB_TYPE_Q5_0: return 8;
    case LB_TYPE_Q5_1: return 9;
    case LB_TYPE_Q2_K: return 10;
    case LB_TYPE_Q3_K: return 11;   /* Q3_K_S */
    case LB_TYPE_Q4_K: return 14;   /* Q4_K_S */
    case LB_TYPE_Q5_K: return 16;   /* Q5_K_S */
    case LB_TYPE_Q6_K: return 18;
    case LB_TYPE_IQ4_NL: return 25;
    case LB_TYPE_BF16: return 32;
    default: return 1024;           /* llama.cpp's "guessed" marker */
    }
}

static LbMeta *
build_meta (const LbSynthShape *shape, const LbSynthParams *params, const char *spec)
{
  LbMeta *meta = lb_meta_new ();
  const char *arch = lb_arch_to_string (shape->arch);
  guint32 head_dim = shape->head_dim ? shape->head_dim : shape->n_embd / shape->n_head;
  g_autofree char *name = g_strdup_printf ("synthetic %s", spec);
  g_autofree char *size_label = NULL;
  double n_params = (double) lb_synth_shape_get_n_params (shape);
  char key[128];

#define K(suffix) (g_snprintf (key, sizeof key, "%s.%s", arch, suffix), key)
  size_label = n_params >= 1e9 ? g_strdup_printf ("%.1fB", n_params / 1e9)
             : n_params >= 1e6 ? g_strdup_printf ("%.1fM", n_params / 1e6)
             : g_strdup_printf ("%.0fK", n_params / 1e3);
  lb_meta_set_string (meta, "general.architecture", arch);
  lb_meta_set_string (meta, "general.type", "model");
  lb_meta_set_string (meta, "general.name", name);
  lb_meta_set_string (meta, "general.size_label", size_label);
  lb_meta_set_u32 (meta, "general.file_type", file_type_of (params->type));
  lb_meta_set_u32 (meta, "general.quantization_version", 2);
  lb_meta_set_bool (meta, "lowbit.synthetic", TRUE);
  lb_meta_set_string (meta, "lowbit.synthetic.shape", spec);
  lb_meta_set_u64 (meta, "lowbit.synthetic.seed", params->seed);
  lb_meta_set_f32 (meta, "lowbit.synthetic.weight_std", params->weight_std);

  lb_meta_set_u32 (meta, K ("context_length"), shape->n_ctx);
  lb_meta_set_u32 (meta, K ("embedding_length"), shape->n_embd);
  lb_meta_set_u32 (meta, K ("block_count"), shape->n_layer);
  lb_meta_set_u32 (meta, K ("feed_forward_length"), shape->n_ff);
  lb_meta_set_u32 (meta, K ("attention.head_count"), shape->n_head);
  lb_meta_set_u32 (meta, K ("attention.head_count_kv"), shape->n_head_kv);
  lb_meta_set_f32 (meta, K ("rope.freq_base"), shape->rope_freq_base);
  lb_meta_set_f32 (meta, K ("attention.layer_norm_rms_epsilon"), shape->norm_eps);
  /* the converter writes the head size for llama and gemma2 configs, and
   * must wherever it is not n_embd / n_head */
  if (head_dim * shape->n_head != shape->n_embd || shape->arch != LB_ARCH_QWEN2)
    {
      lb_meta_set_u32 (meta, K ("attention.key_length"), head_dim);
      lb_meta_set_u32 (meta, K ("attention.value_length"), head_dim);
    }
  if (shape->arch == LB_ARCH_LLAMA)
    {
      lb_meta_set_u32 (meta, K ("vocab_size"), shape->n_vocab);
      lb_meta_set_u32 (meta, K ("rope.dimension_count"), head_dim);
    }
  if (shape->arch == LB_ARCH_GEMMA2)
    {
      lb_meta_set_u32 (meta, K ("attention.sliding_window"), 4096);
      lb_meta_set_f32 (meta, K ("attn_logit_softcapping"), 50.0f);
      lb_meta_set_f32 (meta, K ("final_logit_softcapping"), 30.0f);
    }
#undef K
  add_vocab (meta, shape->n_vocab);
  return meta;
}

/* the requested type where rows fit its blocks, else Q8_0, else F16 */
static LbType
matrix_type (LbType want, gint64 ne0, guint *n_fallback)
{
  if (lb_type_row_size (want, ne0) != 0)
    return want;
  (*n_fallback)++;
  return lb_type_row_size (LB_TYPE_Q8_0, ne0) != 0 ? LB_TYPE_Q8_0 : LB_TYPE_F16;
}

static void
add_spec (GArray *specs, TensorKind kind, gint64 ne0, gint64 ne1, LbType type,
          const char *fmt, ...) G_GNUC_PRINTF (6, 7);

static void
add_spec (GArray *specs, TensorKind kind, gint64 ne0, gint64 ne1, LbType type,
          const char *fmt, ...)
{
  TensorSpec t = { 0 };
  va_list ap;

  va_start (ap, fmt);
  t.name = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  t.kind = kind;
  t.n_dims = ne1 > 0 ? 2 : 1;
  t.ne[0] = ne0;
  t.ne[1] = ne1 > 0 ? ne1 : 1;
  t.type = kind == KIND_MATRIX ? type : LB_TYPE_F32;
  g_array_append_val (specs, t);
}

/* The tensors in llama.cpp's names, in the order its converter writes
 * them (embedding, per-block, output) */
static GArray *
build_specs (const LbSynthShape *s, LbType type, guint *n_fallback)
{
  GArray *specs = g_array_new (FALSE, TRUE, sizeof (TensorSpec));
  gint64 embd = s->n_embd, ff = s->n_ff;
  gint64 head_dim = s->head_dim ? s->head_dim : s->n_embd / s->n_head;
  gint64 q = head_dim * s->n_head, kv = head_dim * s->n_head_kv;

#define M(ne0, ne1, ...) add_spec (specs, KIND_MATRIX, ne0, ne1, \
                                   matrix_type (type, ne0, n_fallback), __VA_ARGS__)
  g_array_set_clear_func (specs, tensor_spec_clear);
  M (embd, s->n_vocab, "token_embd.weight");
  if (s->llama3_rope)
    add_spec (specs, KIND_ROPE, head_dim / 2, 0, LB_TYPE_F32, "rope_freqs.weight");
  for (guint32 il = 0; il < s->n_layer; il++)
    {
      add_spec (specs, KIND_NORM, embd, 0, LB_TYPE_F32, "blk.%u.attn_norm.weight", il);
      M (embd, q, "blk.%u.attn_q.weight", il);
      M (embd, kv, "blk.%u.attn_k.weight", il);
      M (embd, kv, "blk.%u.attn_v.weight", il);
      if (s->qkv_bias)
        {
          add_spec (specs, KIND_BIAS, q, 0, LB_TYPE_F32, "blk.%u.attn_q.bias", il);
          add_spec (specs, KIND_BIAS, kv, 0, LB_TYPE_F32, "blk.%u.attn_k.bias", il);
          add_spec (specs, KIND_BIAS, kv, 0, LB_TYPE_F32, "blk.%u.attn_v.bias", il);
        }
      M (q, embd, "blk.%u.attn_output.weight", il);
      if (s->arch == LB_ARCH_GEMMA2)
        add_spec (specs, KIND_NORM, embd, 0, LB_TYPE_F32, "blk.%u.post_attention_norm.weight", il);
      add_spec (specs, KIND_NORM, embd, 0, LB_TYPE_F32, "blk.%u.ffn_norm.weight", il);
      M (embd, ff, "blk.%u.ffn_gate.weight", il);
      M (embd, ff, "blk.%u.ffn_up.weight", il);
      M (ff, embd, "blk.%u.ffn_down.weight", il);
      if (s->arch == LB_ARCH_GEMMA2)
        add_spec (specs, KIND_NORM, embd, 0, LB_TYPE_F32, "blk.%u.post_ffw_norm.weight", il);
    }
  add_spec (specs, KIND_NORM, embd, 0, LB_TYPE_F32, "output_norm.weight");
  if (!s->tied)
    M (embd, s->n_vocab, "output.weight");
#undef M
  return specs;
}

/* ---- tensor data --------------------------------------------------------------- */

typedef struct {
  const TensorSpec *spec;
  guint             index;      /* tensor number: part of every row's seed */
  gint64            row0;       /* first row of the chunk */
  guint8           *out;
  gsize             row_bytes;
  const LbTypeTraits *traits;
  float            *scratch;    /* one row per thread */
  guint64           seed;
  float             std;
} Chunk;

static void
make_rows (gsize begin, gsize end, guint thread, gpointer user_data)
{
  Chunk *c = user_data;
  float *row = c->scratch + (gsize) thread * (gsize) c->spec->ne[0];

  for (gsize r = begin; r < end; r++)
    {
      gint64 row_index = c->row0 + (gint64) r;
      fill_normal (row, c->spec->ne[0], c->std, row_seed (c->seed, c->index, row_index));
      c->traits->from_float (row, c->out + r * c->row_bytes, c->spec->ne[0], NULL);
    }
}

static gboolean
write_tensor (LbGgufWriter *writer, LbThreadPool *pool, const TensorSpec *spec, guint index,
              const LbSynthShape *shape, const LbSynthParams *params, float *scratch,
              guint8 *buf, GCancellable *cancellable, GError **error)
{
  gsize row_bytes = lb_type_row_size (spec->type, spec->ne[0]);
  gint64 n_rows = spec->ne[1];
  gint64 rows_per_chunk = MAX (1, (gint64) (CHUNK_BYTES / row_bytes));

  if (spec->kind == KIND_NORM || spec->kind == KIND_ROPE)
    {
      g_autofree float *v = g_new (float, spec->ne[0]);

      if (spec->kind == KIND_NORM)
        for (gint64 i = 0; i < spec->ne[0]; i++)
          v[i] = 1.0f;
      else
        llama3_rope_factors (v, (guint) spec->ne[0], (guint) spec->ne[0] * 2,
                             shape->rope_freq_base);
      return lb_gguf_writer_write_tensor_data (writer, v, spec->ne[0] * sizeof (float), error);
    }

  for (gint64 r0 = 0; r0 < n_rows; r0 += rows_per_chunk)
    {
      gint64 n = MIN (rows_per_chunk, n_rows - r0);
      Chunk c = { spec, index, r0, buf, row_bytes, lb_type_get_traits (spec->type), scratch,
                  params->seed, params->weight_std };

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      lb_thread_pool_run (pool, (gsize) n, 16, make_rows, &c);
      if (!lb_gguf_writer_write_tensor_data (writer, buf, (gsize) n * row_bytes, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
lb_synth_write (const LbSynthShape *shape, const LbSynthParams *params, const char *path,
                LbSynthResult *result, LbProgressFunc progress, gpointer progress_data,
                GCancellable *cancellable, GError **error)
{
  LbSynthParams p = LB_SYNTH_PARAMS_INIT;
  const LbTypeTraits *traits;
  g_autoptr (LbMeta) meta = NULL;
  g_autoptr (LbGgufWriter) writer = NULL;
  g_autoptr (LbThreadPool) pool = NULL;
  g_autoptr (GArray) specs = NULL;
  g_autofree float *scratch = NULL;
  g_autofree guint8 *buf = NULL;
  g_autofree char *spec_name = NULL;
  guint n_fallback = 0;
  guint64 total = 0, done = 0;
  gint64 max_ne0 = 0;
  gsize max_chunk = 0;

  g_return_val_if_fail (shape != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  if (params)
    p = *params;
  if (p.weight_std == 0.0f)
    p.weight_std = 0.02f;
  traits = lb_type_get_traits (p.type);
  /* Q8_1 and Q8_K only hold activations inside dot products */
  if (traits == NULL || traits->from_float == NULL || p.type == LB_TYPE_Q8_1
      || p.type == LB_TYPE_Q8_K)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "cannot write weights of type %s", lb_type_get_name (p.type));
      return FALSE;
    }
  if (!(p.weight_std > 0.0f && p.weight_std < 100.0f))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "the weight standard deviation %g should be in (0, 100)", p.weight_std);
      return FALSE;
    }
  if (shape->n_vocab < LB_SYNTH_MIN_VOCAB)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "a vocabulary of %u tokens is too small: the synthetic tokenizer needs "
                   "at least %u", shape->n_vocab, LB_SYNTH_MIN_VOCAB);
      return FALSE;
    }

  spec_name = g_strcmp0 (shape->name, "custom") == 0 || shape->name[0] == '\0'
    ? g_strdup_printf ("custom:arch=%s,layers=%u,embd=%u,ff=%u,heads=%u,kv=%u,vocab=%u,ctx=%u",
                       lb_arch_to_string (shape->arch), shape->n_layer, shape->n_embd,
                       shape->n_ff, shape->n_head, shape->n_head_kv, shape->n_vocab, shape->n_ctx)
    : g_strdup (shape->name);
  meta = build_meta (shape, &p, spec_name);
  specs = build_specs (shape, p.type, &n_fallback);

  writer = lb_gguf_writer_new (path, meta, error);
  if (writer == NULL)
    return FALSE;
  for (guint i = 0; i < specs->len; i++)
    {
      const TensorSpec *t = &g_array_index (specs, TensorSpec, i);
      gsize row_bytes = lb_type_row_size (t->type, t->ne[0]);

      if (!lb_gguf_writer_add_tensor_info (writer, t->name, t->type, t->n_dims, t->ne, error))
        return FALSE;
      total += (guint64) row_bytes * t->ne[1];
      max_ne0 = MAX (max_ne0, t->ne[0]);
      max_chunk = MAX (max_chunk, MAX (row_bytes, CHUNK_BYTES / row_bytes * row_bytes));
    }
  if (!lb_gguf_writer_begin_data (writer, error))
    return FALSE;

  pool = lb_thread_pool_new (p.n_threads, error);
  if (pool == NULL)
    return FALSE;
  scratch = g_new (float, (gsize) max_ne0 * lb_thread_pool_get_n_threads (pool));
  buf = g_malloc (max_chunk);

  for (guint i = 0; i < specs->len; i++)
    {
      const TensorSpec *t = &g_array_index (specs, TensorSpec, i);

      if (progress)
        {
          g_autofree char *stage = g_strdup_printf ("tensor %u/%u: %s", i + 1, specs->len,
                                                    t->name);
          progress (total ? (double) done / (double) total : 0.0, stage, progress_data);
        }
      if (!write_tensor (writer, pool, t, i, shape, &p, scratch, buf, cancellable, error))
        return FALSE;
      done += (guint64) lb_type_row_size (t->type, t->ne[0]) * t->ne[1];
    }
  if (!lb_gguf_writer_finish (writer, error))
    return FALSE;
  if (progress)
    progress (1.0, "done", progress_data);

  if (result)
    {
      GStatBuf st;

      memset (result, 0, sizeof *result);
      result->file_size = g_stat (path, &st) == 0 ? (guint64) st.st_size : 0;
      result->n_params = lb_synth_shape_get_n_params (shape);
      result->n_tensors = specs->len;
      result->n_fallback = n_fallback;
    }
  return TRUE;
}
