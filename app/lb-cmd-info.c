/* lb-cmd-info.c: lowbit info MODEL [--json] */
#include "config.h"

#include <stdio.h>
#include <json-glib/json-glib.h>

#include "lb-cli.h"

static const char *
format_name (LbModelFormat f)
{
  switch (f)
    {
    case LB_MODEL_FORMAT_GGUF: return "GGUF";
    case LB_MODEL_FORMAT_HF: return "Hugging Face folder";
    case LB_MODEL_FORMAT_LLAMA2C: return "llama2.c checkpoint";
    default: return "unknown";
    }
}

static const char *
ffn_act_name (LbFfnAct act)
{
  switch (act)
    {
    case LB_FFN_SILU: return "silu";
    case LB_FFN_GELU_TANH: return "gelu_tanh";
    default: return "unknown";
    }
}

/* "0 2 4" for the sliding layers; n set to their count */
static char *
sliding_layers (LbModel *model, guint *n)
{
  const LbHParams *hp = lb_model_get_hparams (model);
  GString *s = g_string_new (NULL);

  *n = 0;
  for (guint il = 0; il < hp->n_layer; il++)
    if (lb_model_get_layer (model, il)->sliding)
      {
        g_string_append_printf (s, "%s%u", *n ? " " : "", il);
        (*n)++;
      }
  return g_string_free (s, FALSE);
}

/* the architecture has these tensors (in every block: the first tells) */
static void
layer_features (LbModel *model, gboolean *qk_norm, gboolean *post_norms)
{
  const LbLayerWeights *l = lb_model_get_layer (model, 0);
  *qk_norm = l->attn_q_norm != NULL;
  *post_norms = l->attn_post_norm != NULL || l->ffn_post_norm != NULL;
}

typedef struct {
  guint   n_tensors;
  guint64 bytes;
  guint64 params;
} TypeCount;

/* per-type totals, indexed by LbType */
static void
count_types (LbModel *model, TypeCount counts[LB_TYPE_COUNT])
{
  memset (counts, 0, sizeof (TypeCount) * LB_TYPE_COUNT);
  for (guint i = 0; i < lb_model_get_n_tensors (model); i++)
    {
      const LbTensor *t = lb_model_get_tensor (model, i);
      if (t->type < LB_TYPE_COUNT)
        {
          counts[t->type].n_tensors++;
          counts[t->type].bytes += t->n_bytes;
          counts[t->type].params += lb_tensor_n_elements (t);
        }
    }
}

static void
add_meta_value (JsonBuilder *b, const LbValue *v)
{
  switch (v->type)
    {
    case LB_VALUE_UINT8: case LB_VALUE_UINT16: case LB_VALUE_UINT32: case LB_VALUE_UINT64:
      json_builder_add_int_value (b, (gint64) v->u);
      break;
    case LB_VALUE_INT8: case LB_VALUE_INT16: case LB_VALUE_INT32: case LB_VALUE_INT64:
      json_builder_add_int_value (b, v->i);
      break;
    case LB_VALUE_FLOAT32: case LB_VALUE_FLOAT64:
      json_builder_add_double_value (b, v->f);
      break;
    case LB_VALUE_BOOL:
      json_builder_add_boolean_value (b, v->b);
      break;
    case LB_VALUE_STRING:
      json_builder_add_string_value (b, g_utf8_validate (v->s.data, v->s.len, NULL) ? v->s.data : "(binary)");
      break;
    case LB_VALUE_ARRAY:
      /* arrays (vocabularies) are summarized, not dumped */
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "array_of");
      json_builder_add_string_value (b, lb_value_type_name (v->arr.elem_type));
      json_builder_set_member_name (b, "length");
      json_builder_add_int_value (b, (gint64) v->arr.n);
      json_builder_end_object (b);
      break;
    default:
      json_builder_add_null_value (b);
    }
}

static char *
meta_value_text (const LbValue *v)
{
  switch (v->type)
    {
    case LB_VALUE_UINT8: case LB_VALUE_UINT16: case LB_VALUE_UINT32: case LB_VALUE_UINT64:
      return g_strdup_printf ("%" G_GUINT64_FORMAT, v->u);
    case LB_VALUE_INT8: case LB_VALUE_INT16: case LB_VALUE_INT32: case LB_VALUE_INT64:
      return g_strdup_printf ("%" G_GINT64_FORMAT, v->i);
    case LB_VALUE_FLOAT32: case LB_VALUE_FLOAT64:
      return g_strdup_printf ("%g", v->f);
    case LB_VALUE_BOOL:
      return g_strdup (v->b ? "true" : "false");
    case LB_VALUE_STRING:
      return g_utf8_validate (v->s.data, v->s.len, NULL) ? g_strdup_printf ("\"%s\"", v->s.data)
                                                         : g_strdup ("(binary)");
    case LB_VALUE_ARRAY:
      return g_strdup_printf ("[%" G_GSIZE_FORMAT " × %s]", v->arr.n,
                              lb_value_type_name (v->arr.elem_type));
    default:
      return g_strdup ("?");
    }
}

static void
print_json (LbModel *model, gboolean with_tensors)
{
  const LbHParams *hp = lb_model_get_hparams (model);
  LbTokenizer *tok = lb_model_get_tokenizer (model);
  LbMeta *meta = lb_model_get_meta (model);
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *text = NULL;
  TypeCount counts[LB_TYPE_COUNT];

  json_builder_begin_object (b);
#define STR(k, v) (json_builder_set_member_name (b, k), json_builder_add_string_value (b, v))
#define INT(k, v) (json_builder_set_member_name (b, k), json_builder_add_int_value (b, (gint64) (v)))
#define DBL(k, v) (json_builder_set_member_name (b, k), json_builder_add_double_value (b, v))
#define BOOL(k, v) (json_builder_set_member_name (b, k), json_builder_add_boolean_value (b, v))
  STR ("path", lb_model_get_path (model));
  STR ("format", format_name (lb_model_get_format (model)));
  STR ("name", lb_model_get_name (model));
  STR ("architecture", lb_model_get_architecture (model));
  INT ("parameters", lb_model_get_n_params (model));
  INT ("file_bytes", lb_model_get_file_size (model));
  INT ("tensor_bytes", lb_model_get_tensor_bytes (model));
  json_builder_set_member_name (b, "hparams");
  json_builder_begin_object (b);
  INT ("n_vocab", hp->n_vocab);
  INT ("n_ctx_train", hp->n_ctx_train);
  INT ("n_embd", hp->n_embd);
  INT ("n_layer", hp->n_layer);
  INT ("n_ff", hp->n_ff);
  INT ("n_head", hp->n_head);
  INT ("n_head_kv", hp->n_head_kv);
  INT ("head_dim", hp->head_dim);
  INT ("n_rot", hp->n_rot);
  DBL ("rope_freq_base", hp->rope_freq_base);
  STR ("rope_type", hp->rope_type == LB_ROPE_NEOX ? "neox" : "normal");
  DBL ("norm_eps", hp->norm_eps);
  BOOL ("tied_output", hp->tied_output);
  /* architecture-specific */
  {
    gboolean qk_norm, post_norms;

    layer_features (model, &qk_norm, &post_norms);
    STR ("ffn_act", ffn_act_name (hp->ffn_act));
    DBL ("embd_scale", hp->embd_scale);
    DBL ("attn_scale", hp->attn_scale);
    DBL ("attn_softcap", hp->attn_softcap);
    DBL ("final_softcap", hp->final_softcap);
    BOOL ("qk_norm", qk_norm);
    BOOL ("post_norms", post_norms);
    DBL ("rope_freq_scale", hp->rope_freq_scale);
    BOOL ("rope_freqs", hp->has_rope_freqs);
    INT ("sliding_window", hp->sliding_window);
    json_builder_set_member_name (b, "sliding_layers");
    json_builder_begin_array (b);
    for (guint il = 0; il < hp->n_layer; il++)
      if (lb_model_get_layer (model, il)->sliding)
        json_builder_add_int_value (b, il);
    json_builder_end_array (b);
    DBL ("rope_freq_base_swa", hp->rope_freq_base_swa);
    DBL ("rope_freq_scale_swa", hp->rope_freq_scale_swa);
  }
  json_builder_end_object (b);
  json_builder_set_member_name (b, "tokenizer");
  json_builder_begin_object (b);
  STR ("model", lb_tokenizer_get_model_name (tok));
  INT ("n_vocab", lb_tokenizer_get_n_vocab (tok));
  INT ("bos", lb_tokenizer_get_bos (tok));
  INT ("eos", lb_tokenizer_get_eos (tok));
  BOOL ("add_bos", lb_tokenizer_get_add_bos (tok));
  json_builder_end_object (b);
  count_types (model, counts);
  json_builder_set_member_name (b, "types");
  json_builder_begin_object (b);
  for (guint t = 0; t < LB_TYPE_COUNT; t++)
    if (counts[t].n_tensors)
      {
        json_builder_set_member_name (b, lb_type_get_name (t));
        json_builder_begin_object (b);
        INT ("tensors", counts[t].n_tensors);
        INT ("bytes", counts[t].bytes);
        INT ("parameters", counts[t].params);
        json_builder_end_object (b);
      }
  json_builder_end_object (b);
  json_builder_set_member_name (b, "metadata");
  json_builder_begin_object (b);
  for (guint i = 0; i < lb_meta_get_n_keys (meta); i++)
    {
      json_builder_set_member_name (b, lb_meta_get_key (meta, i));
      add_meta_value (b, lb_meta_get_value (meta, i));
    }
  json_builder_end_object (b);
  if (with_tensors)
    {
      json_builder_set_member_name (b, "tensors");
      json_builder_begin_array (b);
      for (guint i = 0; i < lb_model_get_n_tensors (model); i++)
        {
          const LbTensor *t = lb_model_get_tensor (model, i);
          json_builder_begin_object (b);
          STR ("name", t->name);
          STR ("type", lb_type_get_name (t->type));
          json_builder_set_member_name (b, "shape");
          json_builder_begin_array (b);
          for (guint d = 0; d < t->n_dims; d++)
            json_builder_add_int_value (b, t->ne[d]);
          json_builder_end_array (b);
          INT ("bytes", t->n_bytes);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
    }
#undef STR
#undef INT
#undef DBL
#undef BOOL
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  text = json_generator_to_data (gen, NULL);
  printf ("%s\n", text);
}

/* rope, attention, norms and feed-forward as the architecture has them */
static void
print_arch_text (LbModel *model)
{
  const LbHParams *hp = lb_model_get_hparams (model);
  gboolean qk_norm, post_norms;
  guint n_sliding;
  g_autofree char *sliding = sliding_layers (model, &n_sliding);

  layer_features (model, &qk_norm, &post_norms);
  printf ("rope          base %g, %u dims, %s", hp->rope_freq_base, hp->n_rot,
          hp->rope_type == LB_ROPE_NEOX ? "neox (halves)" : "normal (pairs)");
  if (hp->rope_freq_scale != 1.0f)
    printf (", linear scaling x%g", 1.0 / hp->rope_freq_scale);
  if (hp->has_rope_freqs)
    printf (", llama3 frequency factors (rope_freqs.weight)");
  printf ("\n");
  printf ("scores        q.k scaled by %g", hp->attn_scale);
  if (hp->attn_softcap > 0.0f)
    printf (", soft-capped at %g", hp->attn_softcap);
  printf ("%s\n", qk_norm ? "; q and k RMS-normed per head" : "");
  if (hp->sliding_window > 0 && n_sliding > 0)
    {
      printf ("sliding       window %u on %u of %u layers (%s)", hp->sliding_window, n_sliding,
              hp->n_layer, sliding);
      if (hp->rope_freq_base_swa != hp->rope_freq_base || hp->rope_freq_scale_swa != hp->rope_freq_scale)
        printf (", rope base %g, scale %g there", hp->rope_freq_base_swa, hp->rope_freq_scale_swa);
      printf ("\n");
    }
  printf ("norm          RMS, epsilon %g%s\n", hp->norm_eps,
          post_norms ? ", also after attention and feed-forward" : "");
  printf ("feed-forward  gated %s\n", hp->ffn_act == LB_FFN_GELU_TANH ? "GELU (tanh)" : "SiLU");
  if (hp->embd_scale != 1.0f)
    printf ("embedding     scaled by %g\n", hp->embd_scale);
  if (hp->final_softcap > 0.0f)
    printf ("logits        soft-capped at %g\n", hp->final_softcap);
}

static void
print_text (LbModel *model, gboolean with_tensors, gboolean with_meta)
{
  const LbHParams *hp = lb_model_get_hparams (model);
  LbTokenizer *tok = lb_model_get_tokenizer (model);
  g_autofree char *file_size = lb_cli_format_size (lb_model_get_file_size (model));
  g_autofree char *tensor_size = lb_cli_format_size (lb_model_get_tensor_bytes (model));
  guint64 n_params = lb_model_get_n_params (model);
  TypeCount counts[LB_TYPE_COUNT];

  printf ("model         %s (%s)\n", lb_model_get_path (model), format_name (lb_model_get_format (model)));
  printf ("name          %s\n", lb_model_get_name (model));
  printf ("architecture  %s\n", lb_model_get_architecture (model));
  printf ("parameters    %.2f M (%" G_GUINT64_FORMAT ")\n", n_params / 1e6, n_params);
  printf ("layers        %u, embedding %u, feed-forward %u\n", hp->n_layer, hp->n_embd, hp->n_ff);
  printf ("attention     %u heads, %u KV heads, head size %u\n", hp->n_head, hp->n_head_kv, hp->head_dim);
  print_arch_text (model);
  printf ("context       %u (training)\n", hp->n_ctx_train);
  printf ("vocabulary    %u, output %s\n", hp->n_vocab, hp->tied_output ? "tied to the embedding" : "separate");
  printf ("tokenizer     %s, %u tokens, BOS %d, EOS %d%s\n", lb_tokenizer_get_model_name (tok),
          lb_tokenizer_get_n_vocab (tok), lb_tokenizer_get_bos (tok), lb_tokenizer_get_eos (tok),
          lb_tokenizer_get_add_bos (tok) ? ", adds BOS" : "");
  printf ("size          %s on disk, %s of tensor data (%.3f bits per weight)\n", file_size,
          tensor_size, n_params ? 8.0 * lb_model_get_tensor_bytes (model) / n_params : 0.0);
  count_types (model, counts);
  printf ("types        ");
  for (guint t = 0; t < LB_TYPE_COUNT; t++)
    if (counts[t].n_tensors)
      {
        g_autofree char *sz = lb_cli_format_size (counts[t].bytes);
        printf (" %s: %u tensors (%s);", lb_type_get_name (t), counts[t].n_tensors, sz);
      }
  printf ("\n");

  if (with_meta)
    {
      LbMeta *meta = lb_model_get_meta (model);
      printf ("\nmetadata (%u keys):\n", lb_meta_get_n_keys (meta));
      for (guint i = 0; i < lb_meta_get_n_keys (meta); i++)
        {
          g_autofree char *v = meta_value_text (lb_meta_get_value (meta, i));
          printf ("  %-44s %s\n", lb_meta_get_key (meta, i), v);
        }
    }
  if (with_tensors)
    {
      printf ("\n%-36s %-6s %-16s %12s\n", "tensor", "type", "shape", "bytes");
      for (guint i = 0; i < lb_model_get_n_tensors (model); i++)
        {
          const LbTensor *t = lb_model_get_tensor (model, i);
          g_autofree char *shape = lb_tensor_shape_string (t);
          printf ("%-36s %-6s %-16s %12" G_GSIZE_FORMAT "\n", t->name, lb_type_get_name (t->type),
                  shape, t->n_bytes);
        }
    }
}

int
lb_cmd_info (int argc, char **argv)
{
  gboolean json = FALSE, no_tensors = FALSE, meta = FALSE;
  g_autofree char *tokenizer = NULL;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON instead of text", NULL },
    { "no-tensors", 0, 0, G_OPTION_ARG_NONE, &no_tensors, "Leave out the tensor table", NULL },
    { "metadata", 'm', 0, G_OPTION_ARG_NONE, &meta, "Also list every metadata key (text output)", NULL },
    { "tokenizer", 't', 0, G_OPTION_ARG_FILENAME, &tokenizer, "Tokenizer of a llama2.c checkpoint", "FILE" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx =
    lb_cli_context_new ("info", "MODEL", "Show a model's architecture, hyper-parameters, "
                        "size and tensor table.", NULL);
  g_autoptr (LbModel) model = NULL;
  GError *error = NULL;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!lb_cli_parse (ctx, &argc, &argv))
    return LB_EXIT_USAGE;
  if (argc != 2)
    return lb_cli_usage_error ("info", "expected one MODEL argument");

  model = lb_cli_load_model (argv[1], tokenizer, &error);
  if (model == NULL)
    return lb_cli_fail (error);

  if (json)
    print_json (model, !no_tensors);
  else
    print_text (model, !no_tensors, meta);
  return LB_EXIT_OK;
}
