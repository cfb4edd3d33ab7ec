/* lb-model.c: LbModel, and the checks every importer's output goes through */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <glib/gstdio.h>

#include "lb-error.h"
#include "lb-model-private.h"

/* ---- architectures ------------------------------------------------------ */

typedef enum {
  T_NONE,       /* not looked up */
  T_OPTIONAL,
  T_REQUIRED,
} TensorNeed;

/* What each GGUF architecture computes, and llama.cpp's defaults for keys
 * its converter may leave out. Everything architecture-specific in this
 * file is read from here. */
typedef struct {
  const char *name;
  LbArch      arch;
  LbRopeType  rope_type;
  LbFfnAct    ffn_act;
  TensorNeed  qkv_bias;        /* blk.N.attn_{q,k,v}.bias */
  TensorNeed  qk_norm;         /* blk.N.attn_{q,k}_norm.weight */
  TensorNeed  post_norms;      /* blk.N.post_attention_norm / post_ffw_norm.weight */
  gboolean    embd_scale;      /* embedding times sqrt (n_embd) */
  guint32     swa_period;      /* default pattern: layer il slides when il % p < p - 1 */
  guint32     default_swa;     /* window when attention.sliding_window is missing (0: none) */
  float       default_attn_softcap;
  float       default_final_softcap;
  float       default_rope_base_swa;  /* 0: the global base */
  gboolean    swa_rope_unscaled;      /* linear rope scaling is for the full layers only */
  guint32     wide_scale_layers;      /* at this block count llama.cpp scales attention by
                                       * 1/sqrt (n_embd / n_head) instead (gemma 27B) */
} ArchInfo;

static const ArchInfo arch_infos[] = {
  { "llama", LB_ARCH_LLAMA, LB_ROPE_NORMAL, LB_FFN_SILU,
    T_OPTIONAL, T_NONE, T_NONE, FALSE, 0, 0, 0.0f, 0.0f, 0.0f, FALSE, 0 },
  { "qwen2", LB_ARCH_QWEN2, LB_ROPE_NEOX, LB_FFN_SILU,
    T_REQUIRED, T_NONE, T_NONE, FALSE, 0, 0, 0.0f, 0.0f, 0.0f, FALSE, 0 },
  { "qwen3", LB_ARCH_QWEN3, LB_ROPE_NEOX, LB_FFN_SILU,
    T_NONE, T_REQUIRED, T_NONE, FALSE, 0, 0, 0.0f, 0.0f, 0.0f, FALSE, 0 },
  { "gemma2", LB_ARCH_GEMMA2, LB_ROPE_NEOX, LB_FFN_GELU_TANH,
    T_NONE, T_NONE, T_REQUIRED, TRUE, 2, 4096, 50.0f, 30.0f, 0.0f, FALSE, 46 },
  { "gemma3", LB_ARCH_GEMMA3, LB_ROPE_NEOX, LB_FFN_GELU_TANH,
    T_NONE, T_REQUIRED, T_REQUIRED, TRUE, 6, 0, 0.0f, 0.0f, 10000.0f, TRUE, 62 },
};

static const ArchInfo *
arch_info_by_name (const char *s)
{
  for (guint i = 0; i < G_N_ELEMENTS (arch_infos); i++)
    if (g_strcmp0 (s, arch_infos[i].name) == 0)
      return &arch_infos[i];
  return NULL;
}

const char *
lb_arch_to_string (LbArch arch)
{
  for (guint i = 0; i < G_N_ELEMENTS (arch_infos); i++)
    if (arch_infos[i].arch == arch)
      return arch_infos[i].name;
  return "unknown";
}

static char *
supported_arch_list (void)
{
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < G_N_ELEMENTS (arch_infos); i++)
    g_string_append_printf (s, "%s%s", i == 0 ? "" : i + 1 == G_N_ELEMENTS (arch_infos) ? " and " : ", ",
                            arch_infos[i].name);
  return g_string_free (s, FALSE);
}

struct _LbModel
{
  GObject          parent_instance;

  char            *path;
  LbModelFormat    format;
  guint64          file_size;
  char            *arch_name;
  const ArchInfo  *info;
  char            *name;
  LbHParams        hp;
  LbMeta          *meta;
  LbTokenizer     *tokenizer;
  GPtrArray       *tensors;     /* LbTensor* */
  GHashTable      *by_name;     /* name -> LbTensor* (borrowed) */
  GPtrArray       *keepalive;   /* owners of the bytes tensors point into */
  LbLayerWeights  *layers;
  const LbTensor  *token_embd, *output_norm, *output, *rope_freqs;
};

G_DEFINE_FINAL_TYPE (LbModel, lb_model, G_TYPE_OBJECT)

static void
lb_model_finalize (GObject *object)
{
  LbModel *self = LB_MODEL (object);

  g_free (self->path);
  g_free (self->arch_name);
  g_free (self->name);
  g_clear_pointer (&self->meta, lb_meta_unref);
  g_clear_object (&self->tokenizer);
  g_clear_pointer (&self->by_name, g_hash_table_unref);
  g_clear_pointer (&self->tensors, g_ptr_array_unref);
  g_clear_pointer (&self->keepalive, g_ptr_array_unref);
  g_free (self->layers);

  G_OBJECT_CLASS (lb_model_parent_class)->finalize (object);
}

static void
lb_model_class_init (LbModelClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = lb_model_finalize;
}

static void
lb_model_init (LbModel *self)
{
}

/* Optional keys: the value is left alone when the key is missing; FALSE only
 * when the key is present with a wrong type or range. */
static gboolean
opt_u32 (const LbMeta *meta, const char *key, guint32 *out, GError **error)
{
  GError *local = NULL;
  if (!lb_meta_get_u32 (meta, key, out, &local) && local != NULL)
    {
      g_propagate_error (error, local);
      return FALSE;
    }
  return TRUE;
}

static gboolean
opt_f32 (const LbMeta *meta, const char *key, float *out, GError **error)
{
  GError *local = NULL;
  if (!lb_meta_get_f32 (meta, key, out, &local) && local != NULL)
    {
      g_propagate_error (error, local);
      return FALSE;
    }
  return TRUE;
}

#define ARCH_KEY(suffix) (g_snprintf (key, sizeof key, "%s.%s", self->arch_name, suffix), key)

/* rope.scaling.*: llama.cpp's reading (type linear unless it says
 * otherwise; the factor from rope.scaling.factor or rope.scale_linear) */
static gboolean
read_rope_scaling (LbModel *self, GError **error)
{
  LbHParams *hp = &self->hp;
  char key[128];
  const char *type = lb_meta_get_string (self->meta, ARCH_KEY ("rope.scaling.type"));
  float factor = 0.0f;

  if (!opt_f32 (self->meta, ARCH_KEY ("rope.scaling.factor"), &factor, error))
    return FALSE;
  if (factor == 0.0f && !opt_f32 (self->meta, ARCH_KEY ("rope.scale_linear"), &factor, error))
    return FALSE;
  hp->rope_freq_scale = 1.0f;
  if (type != NULL && strcmp (type, "none") == 0)
    return TRUE;
  if (type != NULL && strcmp (type, "linear") != 0 && factor != 0.0f && factor != 1.0f)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_UNSUPPORTED,
                   "%s.rope.scaling.type is \"%s\" (factor %g); Lowbit implements linear "
                   "rope scaling and llama3's rope_freqs only", self->arch_name, type, factor);
      return FALSE;
    }
  if (!isfinite (factor) || factor < 0.0f || (factor > 0.0f && factor < 1e-3f))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s.rope.scaling.factor is %g; a positive factor is needed",
                   self->arch_name, factor);
      return FALSE;
    }
  if (factor > 0.0f)
    hp->rope_freq_scale = 1.0f / factor;
  return TRUE;
}

/* The hyper-parameters beyond plain llama: the ArchInfo row, then any key
 * of the file that overrides its defaults. */
static gboolean
read_arch_hparams (LbModel *self, GError **error)
{
  LbHParams *hp = &self->hp;
  const ArchInfo *ai = self->info;
  const LbMeta *meta = self->meta;
  char key[128];

  guint32 value_length = hp->head_dim;

  if (!opt_u32 (meta, ARCH_KEY ("attention.value_length"), &value_length, error))
    return FALSE;
  if (value_length != hp->head_dim)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_UNSUPPORTED,
                   "%s.attention.value_length %u differs from the key length %u; Lowbit "
                   "needs equal key and value head sizes", self->arch_name, value_length,
                   hp->head_dim);
      return FALSE;
    }
  hp->rope_type = ai->rope_type;
  hp->ffn_act = ai->ffn_act;
  hp->embd_scale = ai->embd_scale ? sqrtf ((float) hp->n_embd) : 1.0f;
  if (ai->wide_scale_layers != 0 && hp->n_layer == ai->wide_scale_layers)
    hp->attn_scale = 1.0f / sqrtf ((float) (hp->n_embd / hp->n_head));
  else
    hp->attn_scale = 1.0f / sqrtf ((float) hp->head_dim);
  hp->attn_softcap = ai->default_attn_softcap;
  hp->final_softcap = ai->default_final_softcap;
  hp->sliding_window = ai->default_swa;

  if (!opt_f32 (meta, ARCH_KEY ("attention.scale"), &hp->attn_scale, error)
      || !opt_f32 (meta, ARCH_KEY ("attn_logit_softcapping"), &hp->attn_softcap, error)
      || !opt_f32 (meta, ARCH_KEY ("final_logit_softcapping"), &hp->final_softcap, error)
      || (ai->swa_period != 0
          && !opt_u32 (meta, ARCH_KEY ("attention.sliding_window"), &hp->sliding_window, error))
      || !read_rope_scaling (self, error))
    return FALSE;
  if (!(hp->attn_scale > 0.0f && hp->attn_scale < 1e4f)
      || !(hp->attn_softcap >= 0.0f && hp->attn_softcap < 1e9f)
      || !(hp->final_softcap >= 0.0f && hp->final_softcap < 1e9f))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "implausible hyper-parameters: attention scale %g, attention soft-cap %g, "
                   "final soft-cap %g", hp->attn_scale, hp->attn_softcap, hp->final_softcap);
      return FALSE;
    }

  hp->rope_freq_base_swa = ai->default_rope_base_swa > 0.0f ? ai->default_rope_base_swa
                                                             : hp->rope_freq_base;
  if (!opt_f32 (meta, ARCH_KEY ("rope.freq_base_swa"), &hp->rope_freq_base_swa, error))
    return FALSE;
  if (!(hp->rope_freq_base_swa > 0.0f && hp->rope_freq_base_swa < 1e12f))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "implausible hyper-parameters: %s.rope.freq_base_swa %g",
                   self->arch_name, hp->rope_freq_base_swa);
      return FALSE;
    }
  hp->rope_freq_scale_swa = ai->swa_rope_unscaled ? 1.0f : hp->rope_freq_scale;
  return TRUE;
}

static gboolean
read_hparams (LbModel *self, GError **error)
{
  LbHParams *hp = &self->hp;
  const LbMeta *meta = self->meta;
  const char *arch = self->arch_name;
  char key[128];

  if (!lb_meta_require_u32 (meta, ARCH_KEY ("block_count"), &hp->n_layer, error) ||
      !lb_meta_require_u32 (meta, ARCH_KEY ("embedding_length"), &hp->n_embd, error) ||
      !lb_meta_require_u32 (meta, ARCH_KEY ("feed_forward_length"), &hp->n_ff, error) ||
      !lb_meta_require_u32 (meta, ARCH_KEY ("attention.head_count"), &hp->n_head, error) ||
      !lb_meta_require_f32 (meta, ARCH_KEY ("attention.layer_norm_rms_epsilon"), &hp->norm_eps, error))
    return FALSE;

  hp->n_head_kv = hp->n_head;
  hp->n_ctx_train = 2048;
  hp->rope_freq_base = 10000.0f;
  if (!opt_u32 (meta, ARCH_KEY ("attention.head_count_kv"), &hp->n_head_kv, error) ||
      !opt_u32 (meta, ARCH_KEY ("context_length"), &hp->n_ctx_train, error) ||
      !opt_f32 (meta, ARCH_KEY ("rope.freq_base"), &hp->rope_freq_base, error))
    return FALSE;

  if (hp->n_layer == 0 || hp->n_layer > 1024 || hp->n_embd == 0 || hp->n_embd > 65536 ||
      hp->n_ff == 0 || hp->n_ff > 1 << 20 || hp->n_head == 0 || hp->n_head > 1024 ||
      hp->n_head_kv == 0 || hp->n_head % hp->n_head_kv != 0)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "implausible hyper-parameters: %u layers, embedding %u, feed-forward %u, "
                   "%u heads, %u KV heads", hp->n_layer, hp->n_embd, hp->n_ff,
                   hp->n_head, hp->n_head_kv);
      return FALSE;
    }
  if (hp->n_ctx_train == 0)
    hp->n_ctx_train = 2048;
  if (!(hp->norm_eps > 0.0f && hp->norm_eps < 1.0f) ||
      !(hp->rope_freq_base > 0.0f && hp->rope_freq_base < 1e12f))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "implausible hyper-parameters: norm epsilon %g, rope base %g",
                   hp->norm_eps, hp->rope_freq_base);
      return FALSE;
    }

  hp->head_dim = hp->n_embd / hp->n_head;
  if (!opt_u32 (meta, ARCH_KEY ("attention.key_length"), &hp->head_dim, error))
    return FALSE;
  if (hp->head_dim == 0 || hp->head_dim > 1024 || hp->head_dim % 2 != 0)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "implausible attention head size %u", hp->head_dim);
      return FALSE;
    }
  hp->n_rot = hp->head_dim;
  if (!opt_u32 (meta, ARCH_KEY ("rope.dimension_count"), &hp->n_rot, error))
    return FALSE;
  if (hp->n_rot == 0 || hp->n_rot > hp->head_dim || hp->n_rot % 2 != 0)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s.rope.dimension_count is %u but heads have %u dimensions",
                   arch, hp->n_rot, hp->head_dim);
      return FALSE;
    }
  return read_arch_hparams (self, error);
}

/* Looks a tensor up and checks its shape; NULL + error when missing (and required)
 * or misshapen. ne1 == 0 means a 1-D tensor. */
static const LbTensor *
want_tensor (LbModel *self, const char *name, gint64 ne0, gint64 ne1, gboolean required,
             GError **error)
{
  const LbTensor *t = g_hash_table_lookup (self->by_name, name);
  guint want_dims = ne1 ? 2 : 1;

  if (t == NULL)
    {
      if (required)
        g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                     "tensor %s is missing (the %s architecture needs it)", name,
                     self->arch_name);
      return NULL;
    }
  if (t->n_dims != want_dims || t->ne[0] != ne0 || (ne1 && t->ne[1] != ne1))
    {
      g_autofree char *shape = lb_tensor_shape_string (t);
      if (ne1)
        g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                     "tensor %s has shape %s, expected [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT "]",
                     name, shape, ne0, ne1);
      else
        g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                     "tensor %s has shape %s, expected [%" G_GINT64_FORMAT "]", name, shape, ne0);
      return NULL;
    }
  return t;
}

#define WANT(field, req, ne0, ne1, ...) \
  G_STMT_START { \
    g_autofree char *nm_ = g_strdup_printf (__VA_ARGS__); \
    GError *local_ = NULL; \
    field = want_tensor (self, nm_, ne0, ne1, req, &local_); \
    if (local_ != NULL) \
      { \
        g_propagate_error (error, local_); \
        return FALSE; \
      } \
  } G_STMT_END

static gboolean
resolve_tensors (LbModel *self, GError **error)
{
  const LbHParams *hp = &self->hp;
  gint64 embd = hp->n_embd, q_dim = (gint64) hp->n_head * hp->head_dim;
  gint64 kv_dim = (gint64) hp->n_head_kv * hp->head_dim;
  const LbTensor *te = g_hash_table_lookup (self->by_name, "token_embd.weight");

  if (te == NULL)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE, "tensor token_embd.weight is missing");
      return FALSE;
    }
  self->hp.n_vocab = te->n_dims == 2 ? (guint32) CLAMP (te->ne[1], 0, G_MAXUINT32) : 0;
  WANT (self->token_embd, TRUE, embd, hp->n_vocab, "token_embd.weight");
  WANT (self->output_norm, TRUE, embd, 0, "output_norm.weight");
  WANT (self->output, FALSE, embd, hp->n_vocab, "output.weight");
  self->hp.tied_output = self->output == NULL;
  if (self->output == NULL)
    self->output = self->token_embd;

  WANT (self->rope_freqs, FALSE, hp->n_rot / 2, 0, "rope_freqs.weight");
  self->hp.has_rope_freqs = self->rope_freqs != NULL;

  self->layers = g_new0 (LbLayerWeights, hp->n_layer);
  for (guint il = 0; il < hp->n_layer; il++)
    {
      LbLayerWeights *l = &self->layers[il];
      const ArchInfo *ai = self->info;

      WANT (l->attn_norm, TRUE, embd, 0, "blk.%u.attn_norm.weight", il);
      WANT (l->wq, TRUE, embd, q_dim, "blk.%u.attn_q.weight", il);
      WANT (l->wk, TRUE, embd, kv_dim, "blk.%u.attn_k.weight", il);
      WANT (l->wv, TRUE, embd, kv_dim, "blk.%u.attn_v.weight", il);
      WANT (l->wo, TRUE, q_dim, embd, "blk.%u.attn_output.weight", il);
      if (ai->qkv_bias != T_NONE)
        {
          gboolean req = ai->qkv_bias == T_REQUIRED;
          WANT (l->bq, req, q_dim, 0, "blk.%u.attn_q.bias", il);
          WANT (l->bk, req, kv_dim, 0, "blk.%u.attn_k.bias", il);
          WANT (l->bv, req, kv_dim, 0, "blk.%u.attn_v.bias", il);
        }
      if (ai->qk_norm != T_NONE)
        {
          gboolean req = ai->qk_norm == T_REQUIRED;
          WANT (l->attn_q_norm, req, hp->head_dim, 0, "blk.%u.attn_q_norm.weight", il);
          WANT (l->attn_k_norm, req, hp->head_dim, 0, "blk.%u.attn_k_norm.weight", il);
        }
      WANT (l->ffn_norm, TRUE, embd, 0, "blk.%u.ffn_norm.weight", il);
      if (ai->post_norms != T_NONE)
        {
          gboolean req = ai->post_norms == T_REQUIRED;
          WANT (l->attn_post_norm, req, embd, 0, "blk.%u.post_attention_norm.weight", il);
          WANT (l->ffn_post_norm, req, embd, 0, "blk.%u.post_ffw_norm.weight", il);
        }
      WANT (l->ffn_gate, TRUE, embd, hp->n_ff, "blk.%u.ffn_gate.weight", il);
      WANT (l->ffn_up, TRUE, embd, hp->n_ff, "blk.%u.ffn_up.weight", il);
      WANT (l->ffn_down, TRUE, hp->n_ff, embd, "blk.%u.ffn_down.weight", il);
      l->rope_freqs = self->rope_freqs;
    }
  return TRUE;
}

#undef WANT

/* Which layers slide: <arch>.attention.sliding_window_pattern (a period,
 * or one flag per layer) or the architecture's fixed period; then each
 * layer's rope base and scale. */
static gboolean
assign_layer_attention (LbModel *self, GError **error)
{
  LbHParams *hp = &self->hp;
  char key[128];
  const LbValue *v = lb_meta_lookup (self->meta, ARCH_KEY ("attention.sliding_window_pattern"));
  guint32 period = self->info->swa_period;
  const guint8 *flags = NULL;

  if (hp->sliding_window > 0 && v != NULL)
    {
      if (v->type == LB_VALUE_ARRAY && v->arr.n == hp->n_layer
          && (v->arr.elem_type == LB_VALUE_BOOL || v->arr.elem_type == LB_VALUE_UINT8
              || v->arr.elem_type == LB_VALUE_INT8))
        flags = v->arr.data;
      else if (!lb_meta_get_u32 (self->meta, key, &period, NULL))
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                       "%s is neither a layer period nor %u per-layer flags", key, hp->n_layer);
          return FALSE;
        }
    }
  for (guint il = 0; il < hp->n_layer; il++)
    {
      LbLayerWeights *l = &self->layers[il];

      if (hp->sliding_window == 0)
        l->sliding = FALSE;
      else if (flags != NULL)
        l->sliding = flags[il] != 0;
      else
        l->sliding = period == 0 || il % period < period - 1;
      l->rope_freq_base = l->sliding ? hp->rope_freq_base_swa : hp->rope_freq_base;
      l->rope_freq_scale = l->sliding ? hp->rope_freq_scale_swa : hp->rope_freq_scale;
    }
  return TRUE;
}

#undef ARCH_KEY

LbModel *
lb_model_new_from_parts (const char *path, LbModelFormat format, guint64 file_size,
                         LbMeta *meta, GPtrArray *tensors, GPtrArray *keepalive,
                         GError **error)
{
  g_autoptr (LbModel) self = g_object_new (LB_TYPE_MODEL, NULL);
  const char *arch, *name;
  guint32 tok_vocab;

  self->path = g_strdup (path);
  self->format = format;
  self->file_size = file_size;
  self->meta = meta;
  self->tensors = tensors;
  self->keepalive = keepalive;
  self->by_name = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < tensors->len; i++)
    {
      LbTensor *t = g_ptr_array_index (tensors, i);
      if (!g_hash_table_insert (self->by_name, t->name, t))
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                       "tensor %s appears twice", t->name);
          return NULL;
        }
    }

  arch = lb_meta_get_string (meta, "general.architecture");
  if (arch == NULL)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "general.architecture is missing: not a model file?");
      return NULL;
    }
  self->arch_name = g_strdup (arch);
  self->info = arch_info_by_name (arch);
  if (self->info == NULL)
    {
      g_autofree char *known = supported_arch_list ();
      g_set_error (error, LB_ERROR, LB_ERROR_UNSUPPORTED,
                   "architecture \"%s\" is not supported (Lowbit runs %s)", arch, known);
      return NULL;
    }
  self->hp.arch = self->info->arch;

  name = lb_meta_get_string (meta, "general.name");
  self->name = name ? g_strdup (name) : g_path_get_basename (path);

  if (!read_hparams (self, error) || !resolve_tensors (self, error)
      || !assign_layer_attention (self, error))
    return NULL;

  self->tokenizer = lb_tokenizer_new_from_meta (meta, error);
  if (self->tokenizer == NULL)
    return NULL;
  tok_vocab = lb_tokenizer_get_n_vocab (self->tokenizer);
  if (tok_vocab > self->hp.n_vocab)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "the tokenizer has %u tokens but token_embd.weight has only %u rows",
                   tok_vocab, self->hp.n_vocab);
      return NULL;
    }

  return g_steal_pointer (&self);
}

static gboolean
file_has_gguf_magic (const char *path)
{
  char magic[4] = { 0 };
  FILE *f = g_fopen (path, "rb");
  gboolean ok;

  if (f == NULL)
    return FALSE;
  ok = fread (magic, 1, 4, f) == 4 && memcmp (magic, "GGUF", 4) == 0;
  fclose (f);
  return ok;
}

LbModel *
lb_model_load (const char *path, const char *tokenizer_path, GCancellable *cancellable,
               GError **error)
{
  g_return_val_if_fail (path != NULL, NULL);

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;

  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    return lb_import_hf (path, cancellable, error);

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_IO, "%s: %s", path, g_strerror (ENOENT));
      return NULL;
    }
  if (file_has_gguf_magic (path))
    return lb_import_gguf (path, cancellable, error);

  return lb_import_llama2c (path, tokenizer_path, cancellable, error);
}

typedef struct {
  char *path;
  char *tokenizer_path;
} LoadData;

static void
load_data_free (LoadData *d)
{
  g_free (d->path);
  g_free (d->tokenizer_path);
  g_free (d);
}

static void
load_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  LoadData *d = task_data;
  GError *error = NULL;
  LbModel *model = lb_model_load (d->path, d->tokenizer_path, cancellable, &error);

  if (model == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, model, g_object_unref);
}

void
lb_model_load_async (const char *path, const char *tokenizer_path, GCancellable *cancellable,
                     GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  LoadData *d = g_new0 (LoadData, 1);

  d->path = g_strdup (path);
  d->tokenizer_path = g_strdup (tokenizer_path);
  g_task_set_source_tag (task, lb_model_load_async);
  g_task_set_task_data (task, d, (GDestroyNotify) load_data_free);
  g_task_run_in_thread (task, load_thread);
}

LbModel *
lb_model_load_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == lb_model_load_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

const char *lb_model_get_path (LbModel *self) { return self->path; }
LbModelFormat lb_model_get_format (LbModel *self) { return self->format; }
const char *lb_model_get_architecture (LbModel *self) { return self->arch_name; }
const char *lb_model_get_name (LbModel *self) { return self->name; }
const LbHParams *lb_model_get_hparams (LbModel *self) { return &self->hp; }
LbMeta *lb_model_get_meta (LbModel *self) { return self->meta; }
LbTokenizer *lb_model_get_tokenizer (LbModel *self) { return self->tokenizer; }
guint lb_model_get_n_tensors (LbModel *self) { return self->tensors->len; }
const LbTensor *lb_model_get_token_embd (LbModel *self) { return self->token_embd; }
const LbTensor *lb_model_get_output_norm (LbModel *self) { return self->output_norm; }
const LbTensor *lb_model_get_output (LbModel *self) { return self->output; }
guint64 lb_model_get_file_size (LbModel *self) { return self->file_size; }

const LbTensor *
lb_model_get_tensor (LbModel *self, guint i)
{
  g_return_val_if_fail (i < self->tensors->len, NULL);
  return g_ptr_array_index (self->tensors, i);
}

const LbTensor *
lb_model_find_tensor (LbModel *self, const char *name)
{
  return g_hash_table_lookup (self->by_name, name);
}

const LbLayerWeights *
lb_model_get_layer (LbModel *self, guint il)
{
  g_return_val_if_fail (il < self->hp.n_layer, NULL);
  return &self->layers[il];
}

guint64
lb_model_get_n_params (LbModel *self)
{
  guint64 n = 0;
  for (guint i = 0; i < self->tensors->len; i++)
    n += (guint64) lb_tensor_n_elements (g_ptr_array_index (self->tensors, i));
  return n;
}

guint64
lb_model_get_tensor_bytes (LbModel *self)
{
  guint64 n = 0;
  for (guint i = 0; i < self->tensors->len; i++)
    n += ((LbTensor *) g_ptr_array_index (self->tensors, i))->n_bytes;
  return n;
}
