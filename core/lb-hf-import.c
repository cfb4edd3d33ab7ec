/* lb-hf-import.c: a Hugging Face model folder (config.json, safetensors
 * shards, tokenizer) as an LbModel with the tensor names, shapes and
 * metadata keys llama.cpp's convert_hf_to_gguf.py would write. Weights are
 * views into the mapped shards, except what the converter changes, which
 * goes to owned buffers: the q/k rows of "llama" (reordered), gemma's norm
 * weights (stored as 1 + w) and llama3's rope_freqs.weight (computed). */
#include "config.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "lb-error.h"
#include "lb-model-private.h"
#include "lb-safetensors.h"
#include "lb-spm-proto.h"

/* ---- architectures ------------------------------------------------------ */

typedef enum {
  MAP_PLAIN,
  MAP_PERMUTE_Q,  /* reorder rows per head of n_head heads (llama only) */
  MAP_PERMUTE_K,  /* reorder rows per head of n_head_kv heads (llama only) */
  MAP_NORM_SHIFT, /* F32 copy of w + 1: gemma's RMSNorm scales by (1 + w) */
} MapOp;

typedef struct {
  const char *hf;
  const char *gguf;
  MapOp       op;
} NameMap;

/* model.layers.N.<hf>  ->  blk.N.<gguf>, per family */
static const NameMap llama_layers[] = {
  { "input_layernorm.weight", "attn_norm.weight", MAP_PLAIN },
  { "self_attn.q_proj.weight", "attn_q.weight", MAP_PERMUTE_Q },
  { "self_attn.q_proj.bias", "attn_q.bias", MAP_PERMUTE_Q },
  { "self_attn.k_proj.weight", "attn_k.weight", MAP_PERMUTE_K },
  { "self_attn.k_proj.bias", "attn_k.bias", MAP_PERMUTE_K },
  { "self_attn.v_proj.weight", "attn_v.weight", MAP_PLAIN },
  { "self_attn.v_proj.bias", "attn_v.bias", MAP_PLAIN },
  { "self_attn.o_proj.weight", "attn_output.weight", MAP_PLAIN },
  { "self_attn.o_proj.bias", "attn_output.bias", MAP_PLAIN },
  { "post_attention_layernorm.weight", "ffn_norm.weight", MAP_PLAIN },
  { "mlp.gate_proj.weight", "ffn_gate.weight", MAP_PLAIN },
  { "mlp.up_proj.weight", "ffn_up.weight", MAP_PLAIN },
  { "mlp.down_proj.weight", "ffn_down.weight", MAP_PLAIN },
};

/* no biases (llama.cpp's qwen3 has none); per-head q/k norms */
static const NameMap qwen3_layers[] = {
  { "input_layernorm.weight", "attn_norm.weight", MAP_PLAIN },
  { "self_attn.q_proj.weight", "attn_q.weight", MAP_PLAIN },
  { "self_attn.k_proj.weight", "attn_k.weight", MAP_PLAIN },
  { "self_attn.v_proj.weight", "attn_v.weight", MAP_PLAIN },
  { "self_attn.o_proj.weight", "attn_output.weight", MAP_PLAIN },
  { "self_attn.q_norm.weight", "attn_q_norm.weight", MAP_PLAIN },
  { "self_attn.k_norm.weight", "attn_k_norm.weight", MAP_PLAIN },
  { "post_attention_layernorm.weight", "ffn_norm.weight", MAP_PLAIN },
  { "mlp.gate_proj.weight", "ffn_gate.weight", MAP_PLAIN },
  { "mlp.up_proj.weight", "ffn_up.weight", MAP_PLAIN },
  { "mlp.down_proj.weight", "ffn_down.weight", MAP_PLAIN },
};

/* Gemma's post_attention_layernorm follows the attention (it is not the
 * feed-forward's input norm, as in llama); every norm gets + 1. The last
 * two rows (q/k norms) are gemma3's only. */
static const NameMap gemma_layers[] = {
  { "input_layernorm.weight", "attn_norm.weight", MAP_NORM_SHIFT },
  { "self_attn.q_proj.weight", "attn_q.weight", MAP_PLAIN },
  { "self_attn.k_proj.weight", "attn_k.weight", MAP_PLAIN },
  { "self_attn.v_proj.weight", "attn_v.weight", MAP_PLAIN },
  { "self_attn.o_proj.weight", "attn_output.weight", MAP_PLAIN },
  { "post_attention_layernorm.weight", "post_attention_norm.weight", MAP_NORM_SHIFT },
  { "pre_feedforward_layernorm.weight", "ffn_norm.weight", MAP_NORM_SHIFT },
  { "post_feedforward_layernorm.weight", "post_ffw_norm.weight", MAP_NORM_SHIFT },
  { "mlp.gate_proj.weight", "ffn_gate.weight", MAP_PLAIN },
  { "mlp.up_proj.weight", "ffn_up.weight", MAP_PLAIN },
  { "mlp.down_proj.weight", "ffn_down.weight", MAP_PLAIN },
  { "self_attn.q_norm.weight", "attn_q_norm.weight", MAP_NORM_SHIFT },
  { "self_attn.k_norm.weight", "attn_k_norm.weight", MAP_NORM_SHIFT },
};

static const NameMap global_map[] = {
  { "model.embed_tokens.weight", "token_embd.weight", MAP_PLAIN },
  { "model.norm.weight", "output_norm.weight", MAP_PLAIN },
  { "lm_head.weight", "output.weight", MAP_PLAIN },
};

/* rope scalings an architecture may use (config.json rope_type) */
enum {
  ROPE_LINEAR = 1 << 0,
  ROPE_LLAMA3 = 1 << 1,   /* frequency factors, stored as rope_freqs.weight */
};

/* metadata convert_hf_to_gguf.py writes beyond the common keys */
enum {
  KEY_LLAMA        = 1 << 0,  /* <arch>.vocab_size, rope.dimension_count, add_space_prefix
                               * from tokenizer_config.json */
  KEY_NO_ROPE_BASE = 1 << 1,  /* no rope.freq_base unless it differs from 10000 (gemma2) */
  KEY_HEAD_DIM     = 1 << 2,  /* key/value_length even without head_dim in config.json */
  KEY_SOFTCAPS     = 1 << 3,  /* both logit soft-caps, always (gemma2) */
  KEY_FINAL_CAP    = 1 << 4,  /* final_logit_softcapping when set (gemma3) */
  KEY_NO_SPACE     = 1 << 5,  /* tokenizer.ggml.add_space_prefix false (gemma) */
};

/* One row per supported Hugging Face architecture: what the converter does
 * with it and transformers' defaults for keys config.json may leave out.
 * Everything architecture-specific below reads this table. */
typedef struct {
  const char    *hf_class;         /* config.json "architectures"[0] */
  const char    *model_type;       /* config.json "model_type" */
  const char    *gguf_arch;
  LbArch         arch;
  const NameMap *layers;
  guint          n_layers;         /* rows of layers that apply */
  const char    *activation;       /* the only hidden_act(ivation) the forward pass computes */
  gboolean       permute_qk;       /* rotate-half q/k rows -> interleaved pairs (llama rope) */
  guint          keys;             /* KEY_* */
  guint          rope_scalings;    /* ROPE_* allowed */
  gboolean       default_tied;     /* tie_word_embeddings */
  guint32        default_n_ctx;    /* max_position_embeddings */
  guint32        default_head_dim; /* 0: hidden_size / num_attention_heads */
  float          default_theta;    /* rope_theta */
  float          default_theta_swa;/* rope_local_base_freq; 0: the model has none */
  guint32        swa_period;       /* 0: no sliding layers; else llama.cpp's fixed period */
  gboolean       pre_attn_scalar;  /* query_pre_attn_scalar sets the attention scale */
  float          default_attn_cap, default_final_cap;  /* 0: none */
} HfArch;

static const HfArch hf_archs[] = {
  { "LlamaForCausalLM", "llama", "llama", LB_ARCH_LLAMA,
    llama_layers, G_N_ELEMENTS (llama_layers), "silu", TRUE, KEY_LLAMA,
    ROPE_LINEAR | ROPE_LLAMA3, FALSE, 2048, 0, 10000.0f, 0.0f, 0, FALSE, 0.0f, 0.0f },
  { "Qwen2ForCausalLM", "qwen2", "qwen2", LB_ARCH_QWEN2,
    llama_layers, G_N_ELEMENTS (llama_layers), "silu", FALSE, 0,
    ROPE_LINEAR, FALSE, 32768, 0, 10000.0f, 0.0f, 0, FALSE, 0.0f, 0.0f },
  { "Qwen3ForCausalLM", "qwen3", "qwen3", LB_ARCH_QWEN3,
    qwen3_layers, G_N_ELEMENTS (qwen3_layers), "silu", FALSE, 0,
    ROPE_LINEAR, FALSE, 32768, 0, 10000.0f, 0.0f, 0, FALSE, 0.0f, 0.0f },
  { "Gemma2ForCausalLM", "gemma2", "gemma2", LB_ARCH_GEMMA2,
    gemma_layers, G_N_ELEMENTS (gemma_layers) - 2, "gelu_pytorch_tanh", FALSE,
    KEY_NO_ROPE_BASE | KEY_HEAD_DIM | KEY_SOFTCAPS | KEY_NO_SPACE,
    0, TRUE, 8192, 256, 10000.0f, 0.0f, 2, TRUE, 50.0f, 30.0f },
  { "Gemma3ForCausalLM", "gemma3_text", "gemma3", LB_ARCH_GEMMA3,
    gemma_layers, G_N_ELEMENTS (gemma_layers), "gelu_pytorch_tanh", FALSE,
    KEY_HEAD_DIM | KEY_FINAL_CAP | KEY_NO_SPACE,
    ROPE_LINEAR, TRUE, 131072, 256, 1000000.0f, 10000.0f, 6, TRUE, 0.0f, 0.0f },
};

typedef enum {
  SCALING_NONE,
  SCALING_LINEAR,
  SCALING_LLAMA3,
} RopeScaling;

/* ---- the import state ----------------------------------------------------- */

typedef struct {
  char            *dir;
  const HfArch    *arch;
  JsonParser      *config_parser;
  JsonObject      *config;
  char            *config_path;
  /* hyper-parameters as config.json gives them */
  guint32          n_vocab, n_ctx, n_embd, n_layer, n_ff, n_head, n_head_kv, head_dim;
  gboolean         has_head_dim;
  float            norm_eps;
  gboolean         tied;
  float            rope_theta;
  float            rope_theta_swa;     /* 0: none */
  RopeScaling      rope_scaling;
  float            rope_factor;        /* linear and llama3 */
  float            llama3_low, llama3_high;
  guint32          llama3_orig_ctx;
  guint32          sliding_window;     /* 0: no sliding layers */
  gboolean        *sliding;            /* n_layer flags */
  float            attn_scale;         /* 0: 1/sqrt (head_dim) */
  float            attn_cap, final_cap;
  /* shards, sorted by file name */
  GPtrArray       *shards;     /* LbSafetensors* */
  guint64          file_size;
  /* results */
  GPtrArray       *tensors;    /* LbTensor* */
  GPtrArray       *keepalive;  /* GBytes* */
  LbMeta          *meta;
} Import;

static void
import_clear (Import *im)
{
  g_free (im->dir);
  g_clear_object (&im->config_parser);
  g_free (im->config_path);
  g_free (im->sliding);
  g_clear_pointer (&im->shards, g_ptr_array_unref);
  g_clear_pointer (&im->tensors, g_ptr_array_unref);
  g_clear_pointer (&im->keepalive, g_ptr_array_unref);
  g_clear_pointer (&im->meta, lb_meta_unref);
}

/* ---- JSON helpers ----------------------------------------------------------- */

/* Parses path into an object, kept alive by *parser. A missing file is
 * an error when required; otherwise TRUE with *out NULL. */
static gboolean
load_json_object (const char *path, gboolean required, JsonParser **parser, JsonObject **out,
                  GError **error)
{
  g_autoptr(JsonParser) p = NULL;
  g_autoptr(GError) local = NULL;
  JsonNode *root;

  *out = NULL;
  *parser = NULL;
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      if (!required)
        return TRUE;
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE, "%s: file is missing", path);
      return FALSE;
    }
  p = json_parser_new_immutable ();
  if (!json_parser_load_from_mapped_file (p, path, &local))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE, "%s: not valid JSON: %s",
                   path, local->message);
      return FALSE;
    }
  root = json_parser_get_root (p);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE, "%s: not a JSON object", path);
      return FALSE;
    }
  *out = json_node_get_object (root);
  *parser = g_steal_pointer (&p);
  return TRUE;
}

static JsonNode *
member (JsonObject *obj, const char *key)
{
  JsonNode *n = obj ? json_object_get_member (obj, key) : NULL;
  return n && !JSON_NODE_HOLDS_NULL (n) ? n : NULL;
}

static gboolean
node_is_int (JsonNode *n)
{
  return n && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_INT64;
}

static gboolean
node_is_number (JsonNode *n)
{
  return n && JSON_NODE_HOLDS_VALUE (n)
         && (json_node_get_value_type (n) == G_TYPE_INT64
             || json_node_get_value_type (n) == G_TYPE_DOUBLE);
}

static const char *
member_string (JsonObject *obj, const char *key)
{
  JsonNode *n = member (obj, key);
  return n && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING
         ? json_node_get_string (n) : NULL;
}

/* A positive integer hyper-parameter; missing and !required gives def. */
static gboolean
cfg_u32 (Import *im, const char *key, gboolean required, guint32 def, guint32 *out, GError **error)
{
  JsonNode *n = member (im->config, key);
  gint64 v;

  if (n == NULL)
    {
      if (required)
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                       "%s: \"%s\" is missing", im->config_path, key);
          return FALSE;
        }
      *out = def;
      return TRUE;
    }
  if (!node_is_int (n) || (v = json_node_get_int (n)) <= 0 || v > G_MAXINT32)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s: \"%s\" must be a positive integer", im->config_path, key);
      return FALSE;
    }
  *out = (guint32) v;
  return TRUE;
}

static gboolean
cfg_positive_float (Import *im, JsonObject *obj, const char *key, float def, float *out, GError **error)
{
  JsonNode *n = member (obj, key);
  double v;

  if (n == NULL)
    {
      *out = def;
      return TRUE;
    }
  if (!node_is_number (n) || !(isfinite (v = json_node_get_double (n))) || v <= 0)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s: \"%s\" must be a positive number", im->config_path, key);
      return FALSE;
    }
  *out = (float) v;
  return TRUE;
}

/* ---- config.json -------------------------------------------------------------- */

static gboolean
find_arch (Import *im, GError **error)
{
  const char *model_type = member_string (im->config, "model_type");
  const char *hf_class = NULL;
  JsonNode *archs = member (im->config, "architectures");

  if (archs && JSON_NODE_HOLDS_ARRAY (archs) && json_array_get_length (json_node_get_array (archs)) > 0)
    {
      JsonNode *first = json_array_get_element (json_node_get_array (archs), 0);
      if (JSON_NODE_HOLDS_VALUE (first) && json_node_get_value_type (first) == G_TYPE_STRING)
        hf_class = json_node_get_string (first);
    }
  if (model_type == NULL && hf_class == NULL)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s: neither \"model_type\" nor \"architectures\" says what model this is",
                   im->config_path);
      return FALSE;
    }
  for (guint i = 0; i < G_N_ELEMENTS (hf_archs); i++)
    if ((hf_class && strcmp (hf_class, hf_archs[i].hf_class) == 0)
        || (hf_class == NULL && strcmp (model_type, hf_archs[i].model_type) == 0))
      {
        im->arch = &hf_archs[i];
        return TRUE;
      }
  {
    GString *known = g_string_new (NULL);
    for (guint i = 0; i < G_N_ELEMENTS (hf_archs); i++)
      g_string_append_printf (known, "%s%s", i ? ", " : "", hf_archs[i].model_type);
    g_set_error (error, LB_ERROR, LB_ERROR_UNSUPPORTED,
                 "%s: model_type \"%s\" (%s) is not supported; supported: %s",
                 im->config_path, model_type ? model_type : "?", hf_class ? hf_class : "?",
                 known->str);
    g_string_free (known, TRUE);
  }
  return FALSE;
}

static JsonObject *
member_object (JsonObject *obj, const char *key)
{
  JsonNode *n = member (obj, key);
  return n && JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
}

static gboolean
member_is_true (JsonObject *obj, const char *key)
{
  JsonNode *n = member (obj, key);
  return n && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_BOOLEAN
         && json_node_get_boolean (n);
}

/* Features that change the forward pass which Lowbit does not implement:
 * refuse them rather than import a model that computes something else. */
static gboolean
check_unsupported (Import *im, GError **error)
{
  const char *act_keys[] = { "hidden_act", "hidden_activation" };
  const char *object_keys[] = { "rope_parameters", "rope_scaling" };

  for (guint k = 0; k < G_N_ELEMENTS (act_keys); k++)
    {
      const char *act = member_string (im->config, act_keys[k]);
      if (act && strcmp (act, im->arch->activation) != 0)
        {
          g_set_error (error, LB_ERROR, LB_ERROR_UNSUPPORTED,
                       "%s: %s \"%s\" is not supported for %s (only %s)", im->config_path,
                       act_keys[k], act, im->arch->model_type, im->arch->activation);
          return FALSE;
        }
    }
  for (guint k = 0; k < G_N_ELEMENTS (object_keys); k++)
    {
      JsonNode *n = member (im->config, object_keys[k]);
      if (n && !JSON_NODE_HOLDS_OBJECT (n))
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                       "%s: \"%s\" is not an object", im->config_path, object_keys[k]);
          return FALSE;
        }
    }
  if (member_is_true (im->config, "use_sliding_window") && im->arch->swa_period == 0)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_UNSUPPORTED,
                   "%s: sliding window attention (use_sliding_window) is not supported for %s",
                   im->config_path, im->arch->model_type);
      return FALSE;
    }
  if (member_is_true (im->config, "use_bidirectional_attention"))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_UNSUPPORTED,
                   "%s: bidirectional attention (use_bidirectional_attention) is not supported",
                   im->config_path);
      return FALSE;
    }
  return TRUE;
}

/* "rope_type", or the older "type" */
static const char *
rope_type_of (JsonObject *o)
{
  const char *t = member_string (o, "rope_type");
  return t ? t : member_string (o, "type");
}

/* Rope theta, the sliding layers' theta and the scaling, from
 * transformers 5's rope_parameters (flat, or per layer type:
 * {"full_attention": {...}, "sliding_attention": {...}}) or from the
 * older top-level rope_theta, rope_local_base_freq and rope_scaling. */
static gboolean
read_rope (Import *im, GError **error)
{
  JsonObject *cfg = im->config;
  JsonObject *params = member_object (cfg, "rope_parameters");
  JsonObject *full = params, *local = NULL, *scaling;
  const char *type;

  if (member_object (params, "full_attention") || member_object (params, "sliding_attention"))
    {
      full = member_object (params, "full_attention");
      local = member_object (params, "sliding_attention");
    }
  if (!cfg_positive_float (im, member (cfg, "rope_theta") ? cfg : full, "rope_theta",
                           im->arch->default_theta, &im->rope_theta, error))
    return FALSE;

  im->rope_theta_swa = 0.0f;
  if (im->arch->default_theta_swa > 0.0f
      && !cfg_positive_float (im, member (cfg, "rope_local_base_freq") ? cfg : local,
                              member (cfg, "rope_local_base_freq") ? "rope_local_base_freq" : "rope_theta",
                              im->arch->default_theta_swa, &im->rope_theta_swa, error))
    return FALSE;
  type = rope_type_of (local);
  if (type && strcmp (type, "default") != 0)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_UNSUPPORTED,
                   "%s: rope scaling \"%s\" of the sliding_attention layers is not supported",
                   im->config_path, type);
      return FALSE;
    }

  /* the scaling: the (full layers') rope_parameters, else rope_scaling */
  scaling = rope_type_of (full) ? full : member_object (cfg, "rope_scaling");
  type = rope_type_of (scaling);
  im->rope_scaling = SCALING_NONE;
  im->rope_factor = 1.0f;
  if (type == NULL || strcmp (type, "default") == 0)
    return TRUE;
  if (strcmp (type, "linear") == 0 && (im->arch->rope_scalings & ROPE_LINEAR))
    {
      im->rope_scaling = SCALING_LINEAR;
      if (member (scaling, "factor") == NULL)
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                       "%s: linear rope scaling without a \"factor\"", im->config_path);
          return FALSE;
        }
      return cfg_positive_float (im, scaling, "factor", 1.0f, &im->rope_factor, error);
    }
  if (strcmp (type, "llama3") == 0 && (im->arch->rope_scalings & ROPE_LLAMA3))
    {
      JsonObject *orig_from = member (scaling, "original_max_position_embeddings") ? scaling : cfg;
      JsonNode *orig = member (orig_from, "original_max_position_embeddings");

      im->rope_scaling = SCALING_LLAMA3;
      im->llama3_orig_ctx = 8192;   /* the converter's defaults */
      if (!cfg_positive_float (im, scaling, "factor", 8.0f, &im->rope_factor, error)
          || !cfg_positive_float (im, scaling, "low_freq_factor", 1.0f, &im->llama3_low, error)
          || !cfg_positive_float (im, scaling, "high_freq_factor", 4.0f, &im->llama3_high, error))
        return FALSE;
      if (orig != NULL)
        {
          gint64 v = node_is_int (orig) ? json_node_get_int (orig) : 0;
          if (v <= 0 || v > G_MAXINT32)
            {
              g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                           "%s: \"original_max_position_embeddings\" must be a positive integer",
                           im->config_path);
              return FALSE;
            }
          im->llama3_orig_ctx = (guint32) v;
        }
      if (im->llama3_high < im->llama3_low)
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                       "%s: llama3 rope scaling with high_freq_factor %g below low_freq_factor %g",
                       im->config_path, im->llama3_high, im->llama3_low);
          return FALSE;
        }
      return TRUE;
    }
  g_set_error (error, LB_ERROR, LB_ERROR_UNSUPPORTED,
               "%s: rope scaling \"%s\" is not supported for %s", im->config_path, type,
               im->arch->model_type);
  return FALSE;
}

/* Which layers use sliding-window attention: layer_types, else the
 * period sliding_window_pattern (or the architecture's) gives. */
static gboolean
read_sliding (Import *im, GError **error)
{
  JsonNode *types = member (im->config, "layer_types");
  guint32 period = im->arch->swa_period;
  gboolean any = FALSE;

  im->sliding = g_new0 (gboolean, im->n_layer);
  if (types != NULL)
    {
      JsonArray *a = JSON_NODE_HOLDS_ARRAY (types) ? json_node_get_array (types) : NULL;
      if (a == NULL || json_array_get_length (a) != im->n_layer)
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                       "%s: \"layer_types\" must be an array of %u layer types",
                       im->config_path, im->n_layer);
          return FALSE;
        }
      for (guint i = 0; i < im->n_layer; i++)
        {
          JsonNode *e = json_array_get_element (a, i);
          const char *s = JSON_NODE_HOLDS_VALUE (e) && json_node_get_value_type (e) == G_TYPE_STRING
                          ? json_node_get_string (e) : NULL;
          if (s && strcmp (s, "sliding_attention") == 0 && period != 0)
            im->sliding[i] = TRUE;
          else if (s == NULL || strcmp (s, "full_attention") != 0)
            {
              g_set_error (error, LB_ERROR, LB_ERROR_UNSUPPORTED,
                           "%s: layer_types[%u] is \"%s\"; %s layers can only be full_attention%s",
                           im->config_path, i, s ? s : "?", im->arch->model_type,
                           period ? " or sliding_attention" : "");
              return FALSE;
            }
        }
    }
  else if (period != 0)
    {
      const char *key = member (im->config, "sliding_window_pattern") ? "sliding_window_pattern"
                                                                      : "_sliding_window_pattern";
      if (!cfg_u32 (im, key, FALSE, period, &period, error))
        return FALSE;
      for (guint i = 0; i < im->n_layer; i++)
        im->sliding[i] = (i + 1) % period != 0;
    }
  for (guint i = 0; i < im->n_layer; i++)
    any |= im->sliding[i];

  im->sliding_window = 0;
  if (im->arch->swa_period != 0
      && !cfg_u32 (im, "sliding_window", FALSE, 4096, &im->sliding_window, error))
    return FALSE;
  if (!any && !(im->arch->keys & KEY_SOFTCAPS))
    im->sliding_window = 0;   /* no key for the converter to write (gemma2 always has one) */
  return TRUE;
}

/* A soft-cap: missing gives def, null means none, else a positive number */
static gboolean
read_softcap (Import *im, const char *key, float def, float *out, GError **error)
{
  if (json_object_has_member (im->config, key) && member (im->config, key) == NULL)
    {
      *out = 0.0f;
      return TRUE;
    }
  return cfg_positive_float (im, im->config, key, def, out, error);
}

/* gemma's query_pre_attn_scalar and logit soft-caps */
static gboolean
read_attention_extras (Import *im, GError **error)
{
  im->attn_scale = 0.0f;
  im->attn_cap = im->final_cap = 0.0f;
  if (im->arch->pre_attn_scalar)
    {
      float s;
      if (!cfg_positive_float (im, im->config, "query_pre_attn_scalar", 256.0f, &s, error))
        return FALSE;
      if (s != (float) im->head_dim)
        im->attn_scale = 1.0f / sqrtf (s);
    }
  if (im->arch->keys & (KEY_SOFTCAPS | KEY_FINAL_CAP))
    {
      if (!read_softcap (im, "attn_logit_softcapping", im->arch->default_attn_cap, &im->attn_cap, error)
          || !read_softcap (im, "final_logit_softcapping", im->arch->default_final_cap,
                            &im->final_cap, error))
        return FALSE;
      if (im->attn_cap > 0.0f && !(im->arch->keys & KEY_SOFTCAPS))
        {
          g_set_error (error, LB_ERROR, LB_ERROR_UNSUPPORTED,
                       "%s: attn_logit_softcapping is set, which %s GGUF runtimes do not "
                       "implement", im->config_path, im->arch->gguf_arch);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
read_config (Import *im, GError **error)
{
  JsonNode *n;

  im->config_path = g_build_filename (im->dir, "config.json", NULL);
  if (!g_file_test (im->config_path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s: no config.json: not a Hugging Face model folder", im->dir);
      return FALSE;
    }
  if (!load_json_object (im->config_path, TRUE, &im->config_parser, &im->config, error))
    return FALSE;
  if (!find_arch (im, error) || !check_unsupported (im, error))
    return FALSE;

  if (!cfg_u32 (im, "vocab_size", TRUE, 0, &im->n_vocab, error)
      || !cfg_u32 (im, "hidden_size", TRUE, 0, &im->n_embd, error)
      || !cfg_u32 (im, "num_hidden_layers", TRUE, 0, &im->n_layer, error)
      || !cfg_u32 (im, "intermediate_size", TRUE, 0, &im->n_ff, error)
      || !cfg_u32 (im, "num_attention_heads", TRUE, 0, &im->n_head, error)
      || !cfg_u32 (im, "num_key_value_heads", FALSE, im->n_head, &im->n_head_kv, error)
      || !cfg_u32 (im, "max_position_embeddings", FALSE, im->arch->default_n_ctx, &im->n_ctx, error))
    return FALSE;
  if (im->n_layer > 4096)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s: num_hidden_layers %u is implausible", im->config_path, im->n_layer);
      return FALSE;
    }
  im->has_head_dim = member (im->config, "head_dim") != NULL;
  if (!cfg_u32 (im, "head_dim", FALSE,
                im->arch->default_head_dim ? im->arch->default_head_dim : im->n_embd / im->n_head,
                &im->head_dim, error))
    return FALSE;
  if (!im->has_head_dim && !im->arch->default_head_dim && im->n_embd % im->n_head != 0)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s: hidden_size %u is not a multiple of num_attention_heads %u",
                   im->config_path, im->n_embd, im->n_head);
      return FALSE;
    }
  if (im->n_head % im->n_head_kv != 0)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s: num_attention_heads %u is not a multiple of num_key_value_heads %u",
                   im->config_path, im->n_head, im->n_head_kv);
      return FALSE;
    }
  if (im->head_dim % 2 != 0)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s: the head dimension %u is odd; rope needs pairs", im->config_path, im->head_dim);
      return FALSE;
    }
  if (!cfg_positive_float (im, im->config, "rms_norm_eps", 1e-6f, &im->norm_eps, error)
      || !read_rope (im, error)
      || !read_sliding (im, error)
      || !read_attention_extras (im, error))
    return FALSE;

  n = member (im->config, "tie_word_embeddings");
  if (n && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_BOOLEAN)
    im->tied = json_node_get_boolean (n);
  else
    im->tied = im->arch->default_tied;
  return TRUE;
}

/* ---- shards ---------------------------------------------------------------- */

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

static gboolean
open_shard (Import *im, const char *file, GError **error)
{
  g_autofree char *path = g_build_filename (im->dir, file, NULL);
  LbSafetensors *st;

  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE, "%s: shard file is missing", path);
      return FALSE;
    }
  st = lb_safetensors_open (path, error);
  if (st == NULL)
    return FALSE;
  im->file_size += lb_safetensors_get_file_size (st);
  g_ptr_array_add (im->shards, st);
  return TRUE;
}

/* Opens model.safetensors, or every shard model.safetensors.index.json
 * names, and checks that the index and the shards agree exactly. */
static gboolean
open_shards (Import *im, GCancellable *cancellable, GError **error)
{
  g_autofree char *index_path = g_build_filename (im->dir, "model.safetensors.index.json", NULL);
  g_autofree char *single_path = g_build_filename (im->dir, "model.safetensors", NULL);
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GPtrArray) files = NULL;
  g_autoptr(GHashTable) file_set = NULL;
  JsonObject *index, *weight_map;
  JsonNode *wm;
  GList *names, *l;
  gboolean ok = TRUE;

  im->shards = g_ptr_array_new_with_free_func ((GDestroyNotify) lb_safetensors_free);

  if (!g_file_test (index_path, G_FILE_TEST_EXISTS))
    {
      if (!g_file_test (single_path, G_FILE_TEST_EXISTS))
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                       "%s: no model.safetensors or model.safetensors.index.json", im->dir);
          return FALSE;
        }
      return open_shard (im, "model.safetensors", error);
    }

  if (!load_json_object (index_path, TRUE, &parser, &index, error))
    return FALSE;
  wm = member (index, "weight_map");
  if (wm == NULL || !JSON_NODE_HOLDS_OBJECT (wm))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s: \"weight_map\" is missing or not an object", index_path);
      return FALSE;
    }
  weight_map = json_node_get_object (wm);

  /* the distinct shard names, each a plain file name inside the folder */
  files = g_ptr_array_new ();
  file_set = g_hash_table_new (g_str_hash, g_str_equal);
  names = json_object_get_members (weight_map);
  for (l = names; l != NULL; l = l->next)
    {
      const char *file = member_string (weight_map, l->data);
      if (file == NULL || file[0] == '\0' || strchr (file, '/') || strchr (file, '\\')
          || strcmp (file, ".") == 0 || strcmp (file, "..") == 0)
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                       "%s: weight_map entry \"%s\" is not a file name in the folder",
                       index_path, (const char *) l->data);
          ok = FALSE;
          break;
        }
      if (g_hash_table_add (file_set, (gpointer) file))
        g_ptr_array_add (files, (gpointer) file);
    }
  if (ok && files->len == 0)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE, "%s: \"weight_map\" is empty", index_path);
      ok = FALSE;
    }
  g_ptr_array_sort (files, compare_strings);

  for (guint i = 0; ok && i < files->len; i++)
    {
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        ok = FALSE;
      else
        ok = open_shard (im, files->pdata[i], error);
    }

  /* every mapped name is in its shard ... */
  for (l = names; ok && l != NULL; l = l->next)
    {
      const char *file = member_string (weight_map, l->data);
      guint k;
      for (k = 0; k < files->len; k++)
        if (strcmp (files->pdata[k], file) == 0)
          break;
      if (lb_safetensors_find_tensor (im->shards->pdata[k], l->data) == NULL)
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                       "%s: tensor %s is mapped to %s, which does not contain it",
                       index_path, (const char *) l->data, file);
          ok = FALSE;
        }
    }
  /* ... and every shard tensor is mapped to that shard */
  for (guint k = 0; ok && k < files->len; k++)
    {
      LbSafetensors *st = im->shards->pdata[k];
      for (guint i = 0; ok && i < lb_safetensors_get_n_tensors (st); i++)
        {
          const char *name = lb_safetensors_get_tensor (st, i)->name;
          const char *file = member_string (weight_map, name);
          if (file == NULL || strcmp (file, files->pdata[k]) != 0)
            {
              g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                           "%s: tensor %s is in %s but the weight_map says %s",
                           index_path, name, (const char *) files->pdata[k],
                           file ? file : "nothing");
              ok = FALSE;
            }
        }
    }
  g_list_free (names);
  return ok;
}

/* ---- tensors ------------------------------------------------------------------ */

/* Reorders the rows of a q or k projection (or bias) from transformers'
 * rotate-half layout, where head h pairs row i with row i + d/2, to the
 * interleaved layout of llama.cpp's "llama" rope, which pairs rows 2i and
 * 2i + 1: within each head, new row 2i + j = old row j * d/2 + i (j = 0, 1).
 * This is the permutation convert_hf_to_gguf.py applies (reshape to
 * [n_head, 2, d/2, ...], swap axes 1 and 2). */
static GBytes *
permute_rows (const guint8 *src, gsize n_bytes, gint64 n_rows, guint n_heads)
{
  gsize row_bytes = n_bytes / (gsize) n_rows;
  gsize half = (gsize) n_rows / n_heads / 2;
  guint8 *dst = g_malloc (n_bytes);

  for (gsize h = 0; h < n_heads; h++)
    for (gsize i = 0; i < half; i++)
      for (gsize j = 0; j < 2; j++)
        {
          gsize to = h * 2 * half + 2 * i + j;
          gsize from = h * 2 * half + j * half + i;
          memcpy (dst + to * row_bytes, src + from * row_bytes, row_bytes);
        }
  return g_bytes_new_take (dst, n_bytes);
}

/* The GGUF name of an HF tensor, NULL when it is to be dropped; FALSE
 * when the name is unknown. */
static gboolean
map_name (Import *im, const char *hf, char **gguf, MapOp *op)
{
  const char *p;
  guint64 layer;
  char *end;

  *gguf = NULL;
  *op = MAP_PLAIN;
  if (g_str_has_suffix (hf, "rotary_emb.inv_freq"))
    return TRUE;   /* a buffer transformers recomputes */
  for (guint i = 0; i < G_N_ELEMENTS (global_map); i++)
    if (strcmp (hf, global_map[i].hf) == 0)
      {
        if (strcmp (hf, "lm_head.weight") == 0 && im->tied)
          return TRUE;   /* a copy of the embedding */
        *gguf = g_strdup (global_map[i].gguf);
        /* the final norm is a (1 + w) norm wherever the blocks' are */
        if (strcmp (hf, "model.norm.weight") == 0 && im->arch->layers[0].op == MAP_NORM_SHIFT)
          *op = MAP_NORM_SHIFT;
        return TRUE;
      }
  if (!g_str_has_prefix (hf, "model.layers."))
    return FALSE;
  p = hf + strlen ("model.layers.");
  if (!g_ascii_isdigit (*p))
    return FALSE;
  layer = g_ascii_strtoull (p, &end, 10);
  if (*end != '.' || layer >= im->n_layer || (p[0] == '0' && end - p > 1))
    return FALSE;
  for (guint i = 0; i < im->arch->n_layers; i++)
    {
      const NameMap *m = &im->arch->layers[i];
      if (strcmp (end + 1, m->hf) == 0)
        {
          *gguf = g_strdup_printf ("blk.%" G_GUINT64_FORMAT ".%s", layer, m->gguf);
          *op = (m->op == MAP_PERMUTE_Q || m->op == MAP_PERMUTE_K) && !im->arch->permute_qk
                ? MAP_PLAIN : m->op;
          return TRUE;
        }
    }
  return FALSE;
}

static int
compare_st_tensor_names (gconstpointer a, gconstpointer b)
{
  const LbSafetensorsTensor *ta = *(const LbSafetensorsTensor * const *) a;
  const LbSafetensorsTensor *tb = *(const LbSafetensorsTensor * const *) b;
  return strcmp (ta->name, tb->name);
}

/* convert_hf_to_gguf.py stores gemma's norm weights as w + 1 (its RMSNorm
 * multiplies by 1 + w), as float32 like every 1-D tensor it writes. The
 * sum is taken in float32, as transformers computes 1 + w.float(). */
static gboolean
add_norm_plus_one (Import *im, LbSafetensors *st, const LbSafetensorsTensor *t, LbType type,
                   const char *gguf_name, const gint64 *ne, GError **error)
{
  const LbTypeTraits *tr = lb_type_get_traits (type);
  gint64 n = 1;
  float *out;

  for (guint d = 0; d < t->n_dims; d++)
    n *= t->shape[d];
  if (t->n_dims != 1 || tr == NULL || tr->to_float == NULL
      || (guint64) n * lb_type_row_size (type, 1) != t->n_bytes)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s: norm tensor %s must be a vector of F32, F16 or BF16",
                   lb_safetensors_get_path (st), t->name);
      return FALSE;
    }
  out = g_new (float, n);
  tr->to_float (t->data, out, n);
  for (gint64 i = 0; i < n; i++)
    out[i] += 1.0f;
  g_ptr_array_add (im->keepalive, g_bytes_new_take (out, n * sizeof (float)));
  g_ptr_array_add (im->tensors, lb_tensor_new (gguf_name, LB_TYPE_F32, 1, ne, (const guint8 *) out,
                                               n * sizeof (float)));
  return TRUE;
}

static gboolean
add_tensor (Import *im, LbSafetensors *st, const LbSafetensorsTensor *t, const char *gguf_name,
            MapOp op, GError **error)
{
  LbType type;
  gint64 ne[LB_MAX_DIMS];
  const guint8 *data = t->data;

  if (!lb_safetensors_dtype_to_type (t->dtype, &type))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_UNSUPPORTED,
                   "%s: tensor %s has dtype %s; Lowbit computes with F32, F16 and BF16 only",
                   lb_safetensors_get_path (st), t->name, lb_safetensors_dtype_name (t->dtype));
      return FALSE;
    }
  if (t->n_dims < 1 || t->n_dims > LB_MAX_DIMS)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s: tensor %s has %u dimensions; 1 to %d expected",
                   lb_safetensors_get_path (st), t->name, t->n_dims, LB_MAX_DIMS);
      return FALSE;
    }
  /* GGUF order: ne[0] is the last (contiguous) PyTorch dimension */
  for (guint d = 0; d < t->n_dims; d++)
    ne[d] = t->shape[t->n_dims - 1 - d];

  if (op == MAP_NORM_SHIFT)
    return add_norm_plus_one (im, st, t, type, gguf_name, ne, error);
  if (op != MAP_PLAIN)
    {
      guint heads = op == MAP_PERMUTE_Q ? im->n_head : im->n_head_kv;
      gint64 rows = t->shape[0];
      GBytes *b;

      if (rows % (2 * (gint64) heads) != 0 || rows == 0)
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                       "%s: tensor %s has %" G_GINT64_FORMAT " rows, not a multiple of "
                       "2 x %u heads", lb_safetensors_get_path (st), t->name, rows, heads);
          return FALSE;
        }
      b = permute_rows (t->data, t->n_bytes, rows, heads);
      data = g_bytes_get_data (b, NULL);
      g_ptr_array_add (im->keepalive, b);
    }
  g_ptr_array_add (im->tensors, lb_tensor_new (gguf_name, type, t->n_dims, ne, data, t->n_bytes));
  return TRUE;
}

/* llama3 rope scaling as the converter stores it: rope_freqs.weight, one
 * divisor per rope frequency (1 for short wavelengths, factor for long
 * ones, interpolated between), in float32 as its torch code computes. */
static void
add_llama3_rope_freqs (Import *im)
{
  guint n = im->head_dim / 2;
  float *f = g_new (float, n);
  float factor = im->rope_factor, low = im->llama3_low, high = im->llama3_high;
  float orig = (float) im->llama3_orig_ctx;
  float low_wavelen = orig / low, high_wavelen = orig / high;
  gint64 ne[1] = { n };

  for (guint i = 0; i < n; i++)
    {
      float freq = 1.0f / powf (im->rope_theta, (float) (2 * i) / (float) im->head_dim);
      float wavelen = (float) (2.0 * G_PI) / freq;

      if (wavelen < high_wavelen)
        f[i] = 1.0f;
      else if (wavelen > low_wavelen || high == low)
        f[i] = factor;
      else
        {
          float smooth = (orig / wavelen - low) / (high - low);
          f[i] = 1.0f / ((1.0f - smooth) / factor + smooth);
        }
    }
  g_ptr_array_add (im->keepalive, g_bytes_new_take (f, n * sizeof (float)));
  g_ptr_array_add (im->tensors, lb_tensor_new ("rope_freqs.weight", LB_TYPE_F32, 1, ne,
                                               (const guint8 *) f, n * sizeof (float)));
}

/* Tensors in the order the converter writes them: shard by shard, each by name. */
static gboolean
collect_tensors (Import *im, GCancellable *cancellable, GError **error)
{
  g_autoptr(GPtrArray) unknown = g_ptr_array_new ();
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  im->tensors = g_ptr_array_new_with_free_func ((GDestroyNotify) lb_tensor_free);
  im->keepalive = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  if (im->rope_scaling == SCALING_LLAMA3)
    add_llama3_rope_freqs (im);   /* first, as the converter writes it */

  for (guint s = 0; s < im->shards->len; s++)
    {
      LbSafetensors *st = im->shards->pdata[s];
      g_autoptr(GPtrArray) sorted = g_ptr_array_new ();

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      g_ptr_array_add (im->keepalive, lb_safetensors_ref_bytes (st));
      for (guint i = 0; i < lb_safetensors_get_n_tensors (st); i++)
        g_ptr_array_add (sorted, (gpointer) lb_safetensors_get_tensor (st, i));
      g_ptr_array_sort (sorted, compare_st_tensor_names);

      for (guint i = 0; i < sorted->len; i++)
        {
          const LbSafetensorsTensor *t = sorted->pdata[i];
          g_autofree char *gguf = NULL;
          MapOp op;

          if (!g_hash_table_add (seen, (gpointer) t->name))
            {
              g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                           "%s: tensor %s is also in another shard",
                           lb_safetensors_get_path (st), t->name);
              return FALSE;
            }
          if (!map_name (im, t->name, &gguf, &op))
            {
              g_ptr_array_add (unknown, (gpointer) t->name);
              continue;
            }
          if (gguf != NULL && !add_tensor (im, st, t, gguf, op, error))
            return FALSE;
        }
    }
  if (unknown->len > 0)
    {
      GString *s = g_string_new (NULL);
      for (guint i = 0; i < unknown->len && i < 8; i++)
        g_string_append_printf (s, "%s%s", i ? ", " : "", (const char *) unknown->pdata[i]);
      if (unknown->len > 8)
        g_string_append_printf (s, " and %u more", unknown->len - 8);
      g_set_error (error, LB_ERROR, LB_ERROR_UNSUPPORTED,
                   "%s: %u tensor%s that a %s model does not have: %s", im->dir, unknown->len,
                   unknown->len == 1 ? "" : "s", im->arch->model_type, s->str);
      g_string_free (s, TRUE);
      return FALSE;
    }
  return TRUE;
}

/* ---- general.* metadata ------------------------------------------------------ */

static gboolean
unichar_is_cased (gunichar c)
{
  return g_unichar_isupper (c) || g_unichar_islower (c) || g_unichar_istitle (c);
}

/* Python's str.title(): a cased character after a cased one is lowered,
 * any other is title-cased. */
static void
append_title (GString *out, const char *w)
{
  gboolean prev_cased = FALSE;
  for (const char *p = w; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      g_string_append_unichar (out, prev_cased ? g_unichar_tolower (c) : g_unichar_totitle (c));
      prev_cased = unichar_is_cased (c);
    }
}

/* Python's str.islower(): some cased character, none upper or title case. */
static gboolean
word_is_lower (const char *w)
{
  gboolean any = FALSE;
  for (const char *p = w; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      if (g_unichar_isupper (c) || g_unichar_istitle (c))
        return FALSE;
      any |= g_unichar_islower (c);
    }
  return any;
}

/* A version ("v1", "v2.5") or anything starting with a digit stays as is. */
static gboolean
word_is_version (const char *w)
{
  const char *p = w;
  if (g_ascii_isdigit (*p))
    return TRUE;
  if (*p++ != 'v' || !g_ascii_isdigit (*p))
    return FALSE;
  while (*p)
    {
      while (g_ascii_isdigit (*p))
        p++;
      if (*p == '\0')
        break;
      if (*p != '.' || !g_ascii_isdigit (p[1]))
        return FALSE;
      p++;
    }
  return TRUE;
}

/* gguf-py's Metadata.id_to_title: "mini-qwen2" -> "Mini Qwen2". */
static char *
id_to_title (const char *id)
{
  g_autofree char *spaced = g_strdelimit (g_strdup (id), "-", ' ');
  g_auto(GStrv) words = g_strsplit_set (spaced, " \t\n\r\f\v", -1);
  GString *out = g_string_new (NULL);

  for (guint i = 0; words[i]; i++)
    {
      if (words[i][0] == '\0')
        continue;
      if (out->len)
        g_string_append_c (out, ' ');
      if (word_is_lower (words[i]) && !word_is_version (words[i]))
        append_title (out, words[i]);
      else
        g_string_append (out, words[i]);
    }
  return g_string_free (out, FALSE);
}

/* gguf-py's size label: "7.1M" for 7085312 parameters (two significant
 * digits at least, rounding half to even as Python does). */
static char *
size_label (guint64 n_params)
{
  double scaled;
  const char *suffix;
  char digits[32];
  const char *d;
  int fix;

  if (n_params >= 1000000000000ull)
    scaled = (double) n_params * 1e-12, suffix = "T";
  else if (n_params >= 1000000000ull)
    scaled = (double) n_params * 1e-9, suffix = "B";
  else if (n_params >= 1000000ull)
    scaled = (double) n_params * 1e-6, suffix = "M";
  else
    scaled = (double) n_params * 1e-3, suffix = "K";
  g_snprintf (digits, sizeof digits, "%.0f", nearbyint (scaled));
  for (d = digits; *d == '0'; d++)
    ;
  fix = MAX (2 - (int) strlen (d), 0);
  return g_strdup_printf ("%.*f%s", fix, scaled, suffix);
}

static void
write_general (Import *im, guint64 n_params)
{
  const char *name_or_path = member_string (im->config, "_name_or_path");
  g_autofree char *base = g_path_get_basename (im->dir);
  g_autofree char *name = NULL;
  g_autofree char *org = NULL;
  g_autofree char *label = size_label (n_params);

  /* a hub id "org/model" in config.json wins over the folder name; a
   * local path (more than one slash) does not */
  if (name_or_path && name_or_path[0] && strchr (name_or_path, ' '))
    name = id_to_title (name_or_path);
  else if (name_or_path && name_or_path[0]
           && (strchr (name_or_path, '/') == NULL || strchr (strchr (name_or_path, '/') + 1, '/') == NULL))
    {
      const char *slash = strchr (name_or_path, '/');
      if (slash)
        {
          g_autofree char *o = g_strndup (name_or_path, slash - name_or_path);
          if (o[0] && o[0] != '.')
            org = id_to_title (o);
          name = id_to_title (slash + 1);
        }
      else
        name = id_to_title (name_or_path);
    }
  if (name == NULL || name[0] == '\0')
    {
      g_free (name);
      name = id_to_title (base);
    }

  lb_meta_set_string (im->meta, "general.architecture", im->arch->gguf_arch);
  lb_meta_set_string (im->meta, "general.type", "model");
  lb_meta_set_string (im->meta, "general.name", name);
  if (org)
    lb_meta_set_string (im->meta, "general.organization", org);
  lb_meta_set_string (im->meta, "general.size_label", label);
}

static guint32
file_type_of (LbType t)
{
  /* llama_ftype: ALL_F32 0, MOSTLY_F16 1, MOSTLY_BF16 32 */
  return t == LB_TYPE_F32 ? 0 : t == LB_TYPE_F16 ? 1 : 32;
}

/* The sliding flags differ from what llama.cpp assumes for the architecture */
static gboolean
sliding_is_custom (Import *im)
{
  guint32 p = im->arch->swa_period;
  for (guint i = 0; i < im->n_layer; i++)
    if (im->sliding[i] != (i % p < p - 1))
      return TRUE;
  return FALSE;
}

static void
write_hparams (Import *im)
{
  const char *a = im->arch->gguf_arch;
  guint keys = im->arch->keys;
  LbType main_type = LB_TYPE_BF16;
  char key[128];

#define KEY(suffix) (g_snprintf (key, sizeof key, "%s." suffix, a), key)
  lb_meta_set_u32 (im->meta, KEY ("block_count"), im->n_layer);
  lb_meta_set_u32 (im->meta, KEY ("context_length"), im->n_ctx);
  lb_meta_set_u32 (im->meta, KEY ("embedding_length"), im->n_embd);
  lb_meta_set_u32 (im->meta, KEY ("feed_forward_length"), im->n_ff);
  lb_meta_set_u32 (im->meta, KEY ("attention.head_count"), im->n_head);
  lb_meta_set_u32 (im->meta, KEY ("attention.head_count_kv"), im->n_head_kv);
  /* gemma2's converter writes no base; llama.cpp then assumes 10000 */
  if (!(keys & KEY_NO_ROPE_BASE) || im->rope_theta != 10000.0f)
    lb_meta_set_f32 (im->meta, KEY ("rope.freq_base"), im->rope_theta);
  if (im->rope_theta_swa > 0.0f)
    lb_meta_set_f32 (im->meta, KEY ("rope.freq_base_swa"), im->rope_theta_swa);
  if (im->rope_scaling == SCALING_LINEAR)
    {
      lb_meta_set_string (im->meta, KEY ("rope.scaling.type"), "linear");
      lb_meta_set_f32 (im->meta, KEY ("rope.scaling.factor"), im->rope_factor);
    }
  lb_meta_set_f32 (im->meta, KEY ("attention.layer_norm_rms_epsilon"), im->norm_eps);
  if (im->has_head_dim || (keys & KEY_HEAD_DIM))
    {
      lb_meta_set_u32 (im->meta, KEY ("attention.key_length"), im->head_dim);
      lb_meta_set_u32 (im->meta, KEY ("attention.value_length"), im->head_dim);
    }
  for (guint i = 0; i < im->tensors->len; i++)
    {
      const LbTensor *t = im->tensors->pdata[i];
      if (strcmp (t->name, "token_embd.weight") == 0)
        main_type = t->type;
    }
  lb_meta_set_u32 (im->meta, "general.file_type", file_type_of (main_type));
  if (keys & KEY_SOFTCAPS)
    lb_meta_set_f32 (im->meta, KEY ("attn_logit_softcapping"), im->attn_cap);
  if ((keys & KEY_SOFTCAPS) || im->final_cap > 0.0f)
    lb_meta_set_f32 (im->meta, KEY ("final_logit_softcapping"), im->final_cap);
  if (im->sliding_window > 0)
    {
      lb_meta_set_u32 (im->meta, KEY ("attention.sliding_window"), im->sliding_window);
      /* a layer pattern other than llama.cpp's fixed one, as the newer
       * converters write it (one flag per layer) */
      if (sliding_is_custom (im))
        {
          g_autofree guint8 *flags = g_new (guint8, im->n_layer);
          for (guint i = 0; i < im->n_layer; i++)
            flags[i] = im->sliding[i] ? 1 : 0;
          lb_meta_set_array (im->meta, KEY ("attention.sliding_window_pattern"), LB_VALUE_BOOL,
                             flags, im->n_layer);
        }
    }
  /* query_pre_attn_scalar other than the head size (not a converter key:
   * llama.cpp derives it from the model size) */
  if (im->attn_scale > 0.0f)
    lb_meta_set_f32 (im->meta, KEY ("attention.scale"), im->attn_scale);
  if (keys & KEY_LLAMA)
    {
      lb_meta_set_u32 (im->meta, KEY ("vocab_size"), im->n_vocab);
      lb_meta_set_u32 (im->meta, KEY ("rope.dimension_count"), im->head_dim);
    }
#undef KEY
  lb_meta_set_u32 (im->meta, "general.quantization_version", 2);
}

/* ---- tokenizer ------------------------------------------------------------- */

/* convert_hf_to_gguf.py's does_token_look_special */
static gboolean
token_looks_special (const char *s)
{
  gsize n = strlen (s);
  return strcmp (s, "<pad>") == 0 || strcmp (s, "<mask>") == 0 || strcmp (s, "<2mass>") == 0
         || strcmp (s, "[@BOS@]") == 0
         || (g_str_has_prefix (s, "<|") && g_str_has_suffix (s, "|>") && n >= 4)
         || (g_str_has_prefix (s, "<\xef\xbd\x9c") && g_str_has_suffix (s, "\xef\xbd\x9c>") && n >= 8)
         || (g_str_has_prefix (s, "<unused") && g_str_has_suffix (s, ">"));
}

typedef struct {
  guint    n;
  LbBytes *tokens;
  float   *scores;
  gint32  *types;
} Vocab;

static void
vocab_set (Vocab *v, guint id, const char *text, gsize len, float score, gint32 type)
{
  g_free (v->tokens[id].data);
  v->tokens[id].data = g_malloc (len + 1);
  memcpy (v->tokens[id].data, text, len);
  v->tokens[id].data[len] = '\0';
  v->tokens[id].len = len;
  v->scores[id] = score;
  v->types[id] = type;
}

/* The vocabulary as the converter's _create_vocab_sentencepiece builds it:
 * config.json's vocab_size entries, [PAD<i>] where the model has no piece,
 * then added_tokens.json and tokenizer_config.json's added_tokens_decoder. */
static gboolean
spm_vocab (Import *im, const char *model_path, JsonObject *tok_config, Vocab *v, GError **error)
{
  g_autoptr(LbSpmModel) spm = lb_spm_model_load (model_path, error);
  g_autofree char *added_path = NULL;
  g_autoptr(JsonParser) added_parser = NULL;
  JsonObject *added = NULL;
  JsonNode *dec;

  if (spm == NULL)
    return FALSE;
  v->n = im->n_vocab;
  v->tokens = g_new0 (LbBytes, v->n);
  v->scores = g_new (float, v->n);
  v->types = g_new (gint32, v->n);
  for (guint i = 0; i < v->n; i++)
    {
      char pad[32];
      int len = g_snprintf (pad, sizeof pad, "[PAD%u]", i);
      vocab_set (v, i, pad, len, -10000.0f, LB_SPM_PIECE_UNUSED);
    }
  for (guint i = 0; i < spm->n_pieces && i < v->n; i++)
    {
      const LbSpmPiece *p = &spm->pieces[i];
      /* the converter keeps UNKNOWN, CONTROL, UNUSED and BYTE; anything
       * else (USER_DEFINED too) becomes NORMAL */
      gint32 type = p->type == LB_SPM_PIECE_USER_DEFINED ? LB_SPM_PIECE_NORMAL : (gint32) p->type;
      vocab_set (v, i, p->piece, p->len, p->score, type);
    }

  added_path = g_build_filename (im->dir, "added_tokens.json", NULL);
  if (!load_json_object (added_path, FALSE, &added_parser, &added, error))
    return FALSE;
  if (added)
    {
      GList *names = json_object_get_members (added), *l;
      for (l = names; l; l = l->next)
        {
          JsonNode *n = member (added, l->data);
          gint64 id;
          if (!node_is_int (n) || (id = json_node_get_int (n)) < 0)
            {
              g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                           "%s: the id of \"%s\" is not a non-negative integer",
                           added_path, (const char *) l->data);
              g_list_free (names);
              return FALSE;
            }
          if (id < v->n)
            vocab_set (v, id, l->data, strlen (l->data), -1000.0f, LB_SPM_PIECE_USER_DEFINED);
        }
      g_list_free (names);
    }

  dec = member (tok_config, "added_tokens_decoder");
  if (dec && JSON_NODE_HOLDS_OBJECT (dec))
    {
      JsonObject *d = json_node_get_object (dec);
      GList *ids = json_object_get_members (d), *l;
      for (l = ids; l; l = l->next)
        {
          JsonNode *e = member (d, l->data);
          JsonObject *eo = e && JSON_NODE_HOLDS_OBJECT (e) ? json_node_get_object (e) : NULL;
          const char *content = member_string (eo, "content");
          JsonNode *special = member (eo, "special");
          char *end;
          guint64 id = g_ascii_strtoull (l->data, &end, 10);

          if (content == NULL || *end != '\0' || end == (char *) l->data)
            continue;
          if (id >= v->n)
            continue;
          if ((special && JSON_NODE_HOLDS_VALUE (special)
               && json_node_get_value_type (special) == G_TYPE_BOOLEAN
               && json_node_get_boolean (special))
              || token_looks_special (content))
            vocab_set (v, id, content, strlen (content), -1000.0f, LB_SPM_PIECE_CONTROL);
          else
            {
              /* user-defined pieces are stored with plain spaces */
              g_autoptr(GString) s = g_string_new (content);
              g_string_replace (s, "\xe2\x96\x81", " ", 0);
              vocab_set (v, id, s->str, s->len, -1000.0f, LB_SPM_PIECE_USER_DEFINED);
            }
        }
      g_list_free (ids);
    }
  return TRUE;
}

static void
vocab_to_meta (Vocab *v, LbMeta *meta)
{
  LbValue tokens = { .type = LB_VALUE_ARRAY };

  lb_meta_set_string (meta, "tokenizer.ggml.model", "llama");
  lb_meta_set_string (meta, "tokenizer.ggml.pre", "default");
  tokens.arr.elem_type = LB_VALUE_STRING;
  tokens.arr.n = v->n;
  tokens.arr.strings = g_steal_pointer (&v->tokens);
  lb_meta_take_value (meta, "tokenizer.ggml.tokens", &tokens);
  lb_meta_set_array (meta, "tokenizer.ggml.scores", LB_VALUE_FLOAT32, v->scores, v->n);
  lb_meta_set_array (meta, "tokenizer.ggml.token_type", LB_VALUE_INT32, v->types, v->n);
}

static void
vocab_clear (Vocab *v)
{
  if (v->tokens)
    for (guint i = 0; i < v->n; i++)
      g_free (v->tokens[i].data);
  g_free (v->tokens);
  g_free (v->scores);
  g_free (v->types);
}

/* gguf-py's SpecialVocab: special token ids from tokenizer.json's
 * added_tokens (matched by tokenizer_config.json's "<x>_token" text), then
 * config.json's "<x>_token_id"; add_bos/add_eos/add_sep from
 * tokenizer_config.json; the chat template. */
static const struct {
  const char *typ;
  const char *id_key;    /* NULL: gguf-py writes no id for it */
  const char *add_key;   /* NULL: no add_<x>_token key */
} special_types[] = {
  { "bos", "tokenizer.ggml.bos_token_id", "tokenizer.ggml.add_bos_token" },
  { "eos", "tokenizer.ggml.eos_token_id", "tokenizer.ggml.add_eos_token" },
  { "unk", "tokenizer.ggml.unknown_token_id", NULL },
  { "sep", "tokenizer.ggml.seperator_token_id", "tokenizer.ggml.add_sep_token" },
  { "pad", "tokenizer.ggml.padding_token_id", NULL },
  { "cls", NULL, NULL },
  { "mask", "tokenizer.ggml.mask_token_id", NULL },
};

static gboolean
set_special_id (Import *im, LbMeta *meta, guint t, JsonNode *id_node, guint n_vocab,
                const char *source, GError **error)
{
  gint64 id;

  if (!node_is_int (id_node) || special_types[t].id_key == NULL
      || lb_meta_contains (meta, special_types[t].id_key))
    return TRUE;
  id = json_node_get_int (id_node);
  if (id < 0)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s: the %s token id %" G_GINT64_FORMAT " is negative",
                   source, special_types[t].typ, id);
      return FALSE;
    }
  if (id < n_vocab)   /* out of range ids are skipped, as the converter does */
    lb_meta_set_u32 (meta, special_types[t].id_key, (guint32) id);
  return TRUE;
}

static gboolean
special_vocab (Import *im, JsonObject *tok_config, guint n_vocab, GError **error)
{
  g_autofree char *tj_path = g_build_filename (im->dir, "tokenizer.json", NULL);
  g_autoptr(JsonParser) tj_parser = NULL;
  JsonObject *tj = NULL;
  JsonArray *added = NULL;
  JsonNode *n;
  const char *chat_template;
  g_autofree char *chat_template_file = NULL;

  if (!load_json_object (tj_path, FALSE, &tj_parser, &tj, error))
    return FALSE;
  n = member (tj, "added_tokens");
  if (n && JSON_NODE_HOLDS_ARRAY (n))
    added = json_node_get_array (n);

  if (tj && tok_config)
    for (guint t = 0; t < G_N_ELEMENTS (special_types); t++)
      {
        g_autofree char *key = g_strdup_printf ("%s_token", special_types[t].typ);
        JsonNode *e = member (tok_config, key);
        const char *content = NULL;

        if (e && JSON_NODE_HOLDS_VALUE (e) && json_node_get_value_type (e) == G_TYPE_STRING)
          content = json_node_get_string (e);
        else if (e && JSON_NODE_HOLDS_OBJECT (e))
          content = member_string (json_node_get_object (e), "content");
        if (content == NULL || added == NULL)
          continue;
        for (guint i = 0; i < json_array_get_length (added); i++)
          {
            JsonNode *a = json_array_get_element (added, i);
            JsonObject *ao = JSON_NODE_HOLDS_OBJECT (a) ? json_node_get_object (a) : NULL;
            const char *c = member_string (ao, "content");
            if (c && strcmp (c, content) == 0)
              {
                if (!set_special_id (im, im->meta, t, member (ao, "id"), n_vocab, tj_path, error))
                  return FALSE;
                break;
              }
          }
      }
  for (guint t = 0; t < G_N_ELEMENTS (special_types); t++)
    {
      g_autofree char *key = g_strdup_printf ("%s_token_id", special_types[t].typ);
      if (!set_special_id (im, im->meta, t, member (im->config, key), n_vocab, im->config_path, error))
        return FALSE;
    }
  if (tok_config == NULL)
    return TRUE;
  for (guint t = 0; t < G_N_ELEMENTS (special_types); t++)
    {
      g_autofree char *key = g_strdup_printf ("add_%s_token", special_types[t].typ);
      JsonNode *e = member (tok_config, key);
      if (special_types[t].add_key && e && JSON_NODE_HOLDS_VALUE (e)
          && json_node_get_value_type (e) == G_TYPE_BOOLEAN)
        lb_meta_set_bool (im->meta, special_types[t].add_key, json_node_get_boolean (e));
    }

  chat_template = member_string (tok_config, "chat_template");
  if (chat_template == NULL)
    {
      g_autofree char *jinja = g_build_filename (im->dir, "chat_template.jinja", NULL);
      if (g_file_get_contents (jinja, &chat_template_file, NULL, NULL))
        chat_template = chat_template_file;
    }
  if (chat_template)
    lb_meta_set_string (im->meta, "tokenizer.chat_template", chat_template);
  return TRUE;
}

static gboolean
write_tokenizer (Import *im, GError **error)
{
  g_autofree char *model_path = g_build_filename (im->dir, "tokenizer.model", NULL);
  g_autofree char *json_path = g_build_filename (im->dir, "tokenizer.json", NULL);
  g_autofree char *tc_path = g_build_filename (im->dir, "tokenizer_config.json", NULL);
  g_autoptr(JsonParser) tc_parser = NULL;
  JsonObject *tok_config = NULL;
  Vocab v = { 0 };
  gboolean ok;

  if (!load_json_object (tc_path, FALSE, &tc_parser, &tok_config, error))
    return FALSE;

  if (g_file_test (model_path, G_FILE_TEST_EXISTS))
    {
      ok = spm_vocab (im, model_path, tok_config, &v, error);
      if (ok)
        {
          guint n = v.n;
          vocab_to_meta (&v, im->meta);
          ok = special_vocab (im, tok_config, n, error);
        }
      vocab_clear (&v);
    }
  else if (g_file_test (json_path, G_FILE_TEST_EXISTS))
    ok = lb_hf_tokenizer_json_to_meta (im->dir, im->meta, error);
  else
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s: no tokenizer.model or tokenizer.json", im->dir);
      return FALSE;
    }

  /* gemma's converters always write false; LlamaModel passes
   * tokenizer_config.json's value through */
  if (ok && (im->arch->keys & KEY_NO_SPACE) && g_file_test (model_path, G_FILE_TEST_EXISTS))
    lb_meta_set_bool (im->meta, "tokenizer.ggml.add_space_prefix", FALSE);
  else if (ok && (im->arch->keys & KEY_LLAMA))
    {
      JsonNode *p = member (tok_config, "add_prefix_space");
      if (p && JSON_NODE_HOLDS_VALUE (p) && json_node_get_value_type (p) == G_TYPE_BOOLEAN)
        lb_meta_set_bool (im->meta, "tokenizer.ggml.add_space_prefix", json_node_get_boolean (p));
    }
  return ok;
}

/* ---- entry point ------------------------------------------------------------ */

LbModel *
lb_import_hf (const char *dir, GCancellable *cancellable, GError **error)
{
  Import im = { 0 };
  guint64 n_params = 0;
  LbModel *model;

  g_return_val_if_fail (dir != NULL, NULL);

  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_IO, "%s: not a folder", dir);
      return NULL;
    }
  im.dir = g_canonicalize_filename (dir, NULL);

  if (!read_config (&im, error)
      || !open_shards (&im, cancellable, error)
      || !collect_tensors (&im, cancellable, error))
    goto fail;

  for (guint i = 0; i < im.tensors->len; i++)
    n_params += (guint64) lb_tensor_n_elements (im.tensors->pdata[i]);
  im.meta = lb_meta_new ();
  write_general (&im, n_params);
  write_hparams (&im);
  if (!write_tokenizer (&im, error))
    goto fail;
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    goto fail;

  model = lb_model_new_from_parts (im.dir, LB_MODEL_FORMAT_HF, im.file_size,
                                   g_steal_pointer (&im.meta),
                                   g_steal_pointer (&im.tensors),
                                   g_steal_pointer (&im.keepalive), error);
  import_clear (&im);
  return model;

fail:
  import_clear (&im);
  return NULL;
}
