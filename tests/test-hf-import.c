/* test-hf-import.c: Hugging Face folders against the GGUF files llama.cpp's
 * own converter made from the same folders, and broken folders */
#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "lowbit.h"
#include "lb-model-private.h"
#include "lb-spm-proto.h"
#include "lb-test-util.h"

/* ---- helpers -------------------------------------------------------------- */

/* dst gets a symlink to every file of src except those named in skip. */
static void
link_folder (const char *src, const char *dst, const char * const *skip)
{
  g_autoptr(GError) error = NULL;
  GDir *dir = g_dir_open (src, 0, &error);
  const char *name;

  g_assert_no_error (error);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *from = g_build_filename (src, name, NULL);
      g_autofree char *to = g_build_filename (dst, name, NULL);
      if (skip && g_strv_contains (skip, name))
        continue;
      g_assert_cmpint (symlink (from, to), ==, 0);
    }
  g_dir_close (dir);
}

static JsonNode *
read_json (const char *path)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  return json_node_copy (json_parser_get_root (parser));
}

static void
write_json (const char *path, JsonNode *root)
{
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(GError) error = NULL;

  json_generator_set_root (gen, root);
  json_generator_to_file (gen, path, &error);
  g_assert_no_error (error);
}

static float *
tensor_to_f32 (const LbTensor *t)
{
  gint64 n = lb_tensor_n_elements (t);
  float *out = g_new (float, n);
  const LbTypeTraits *tr = lb_type_get_traits (t->type);

  g_assert_nonnull (tr);
  g_assert_nonnull (tr->to_float);
  tr->to_float (t->data, out, n);
  return out;
}

/* Same tensor names and shapes; the set of metadata keys; every value
 * except those in skip_keys equal. */
static void
compare_with_gguf (LbModel *model, LbGgufReader *gguf, const char * const *skip_tensors,
                   const char * const *skip_keys)
{
  LbMeta *ours = lb_model_get_meta (model);
  LbMeta *ref = lb_gguf_reader_get_meta (gguf);
  guint n_ref = 0;

  for (guint i = 0; i < lb_gguf_reader_get_n_tensors (gguf); i++)
    {
      const LbTensor *r = lb_gguf_reader_get_tensor (gguf, i);
      const LbTensor *t;

      if (skip_tensors && g_strv_contains (skip_tensors, r->name))
        continue;
      n_ref++;
      t = lb_model_find_tensor (model, r->name);
      if (t == NULL)
        g_error ("tensor %s of the GGUF is missing from the import", r->name);
      g_assert_cmpuint (t->n_dims, ==, r->n_dims);
      for (guint d = 0; d < LB_MAX_DIMS; d++)
        g_assert_cmpint (t->ne[d], ==, r->ne[d]);
    }
  g_assert_cmpuint (lb_model_get_n_tensors (model), ==, n_ref);

  for (guint i = 0; i < lb_meta_get_n_keys (ref); i++)
    {
      const char *key = lb_meta_get_key (ref, i);
      const LbValue *v = lb_meta_lookup (ours, key);

      if (v == NULL)
        g_error ("metadata key %s of the GGUF is missing from the import", key);
      if (skip_keys && g_strv_contains (skip_keys, key))
        continue;
      if (!lb_value_equal (v, lb_meta_get_value (ref, i)))
        g_error ("metadata key %s differs from the GGUF's", key);
    }
  for (guint i = 0; i < lb_meta_get_n_keys (ours); i++)
    if (!lb_meta_contains (ref, lb_meta_get_key (ours, i)))
      g_error ("the import has metadata key %s, which the GGUF does not", lb_meta_get_key (ours, i));
}

/* ---- mini-qwen2 ---------------------------------------------------------------- */

static void
test_mini_qwen2 (void)
{
  g_autofree char *dir = lb_test_shared_path ("models", "mini-qwen2", NULL);
  g_autofree char *gguf_path = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(LbGgufReader) gguf = NULL;
  LbModel *model;
  const LbHParams *hp;
  const char * const skip_keys[] = { "general.file_type", NULL };
  guint64 shard_bytes = 0;
  guint n_f16 = 0, n_f32 = 0;

  if (dir == NULL)
    return;
  gguf_path = g_build_filename (dir, "mini-qwen2-f16.gguf", NULL);
  gguf = lb_gguf_reader_open (gguf_path, &error);
  g_assert_no_error (error);
  model = lb_import_hf (dir, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (model);

  /* names, shapes, keys and values: general.name ("Mini Qwen2"),
   * size_label, hyper-parameters, tokens, scores, token types, special ids */
  compare_with_gguf (model, gguf, NULL, skip_keys);

  g_assert_cmpint (lb_model_get_format (model), ==, LB_MODEL_FORMAT_HF);
  g_assert_cmpstr (lb_model_get_architecture (model), ==, "qwen2");
  g_assert_cmpstr (lb_model_get_name (model), ==, "Mini Qwen2");
  hp = lb_model_get_hparams (model);
  g_assert_cmpuint (hp->n_layer, ==, 8);
  g_assert_cmpuint (hp->n_head_kv, ==, 2);
  g_assert_cmpuint (hp->n_vocab, ==, 4096);
  g_assert_cmpfloat (hp->rope_freq_base, ==, 1e6f);
  g_assert_true (hp->tied_output);
  g_assert_cmpint (hp->rope_type, ==, LB_ROPE_NEOX);
  g_assert_null (lb_model_find_tensor (model, "output.weight"));
  {
    guint32 ft = 0;
    g_assert_true (lb_meta_get_u32 (lb_model_get_meta (model), "general.file_type", &ft, NULL));
    g_assert_cmpuint (ft, ==, 32);   /* MOSTLY_BF16: the tensors are exposed as BF16 */
  }
  for (guint s = 1; s <= 2; s++)
    {
      g_autofree char *name = g_strdup_printf ("model-%05u-of-00002.safetensors", s);
      g_autofree char *path = g_build_filename (dir, name, NULL);
      GStatBuf st;
      g_assert_cmpint (g_stat (path, &st), ==, 0);
      shard_bytes += st.st_size;
    }
  g_assert_cmpuint (lb_model_get_file_size (model), ==, shard_bytes);
  g_assert_cmpuint (lb_model_get_n_params (model), ==, 7085312);

  /* the bf16 weights equal the converter's f16 (matrices) and f32
   * (vectors) values after the same rounding */
  for (guint i = 0; i < lb_model_get_n_tensors (model); i++)
    {
      const LbTensor *t = lb_model_get_tensor (model, i);
      const LbTensor *r = lb_gguf_reader_find_tensor (gguf, t->name);
      g_autofree float *a = NULL;
      g_autofree float *b = NULL;
      gint64 n = lb_tensor_n_elements (t);

      g_assert_cmpint (t->type, ==, LB_TYPE_BF16);
      a = tensor_to_f32 (t);
      b = tensor_to_f32 (r);
      for (gint64 k = 0; k < n; k++)
        {
          float want = r->type == LB_TYPE_F16 ? lb_fp16_to_fp32 (lb_fp32_to_fp16 (a[k])) : a[k];
          if (want != b[k])
            g_error ("%s[%" G_GINT64_FORMAT "]: bf16 %g gives %g, the GGUF has %g",
                     t->name, k, a[k], want, b[k]);
        }
      if (r->type == LB_TYPE_F16)
        n_f16++;
      else
        n_f32++;
    }
  g_assert_cmpuint (n_f16, ==, 1 + 8 * 7);
  g_assert_cmpuint (n_f32, ==, 1 + 8 * 5);

  /* the tokenizer built from the imported metadata */
  {
    LbTokenizer *tok = lb_model_get_tokenizer (model);
    g_assert_cmpuint (lb_tokenizer_get_n_vocab (tok), ==, 4096);
    g_assert_cmpint (lb_tokenizer_get_bos (tok), ==, 1);
    g_assert_cmpint (lb_tokenizer_get_eos (tok), ==, 2);
    g_assert_true (lb_tokenizer_get_add_bos (tok));
    g_assert_cmpstr (lb_tokenizer_get_token_text (tok, 259), ==, "\xe2\x96\x81t");
  }
  g_object_unref (model);
}

/* ---- llama: the q/k row permutation ----------------------------------------- */

/* tiny-llama3 with its llama3 rope scaling removed from config.json; the
 * weights and the reference GGUF are unchanged, and the converter's output
 * does not depend on the rope scaling except for rope_freqs.weight. */
static char *
make_plain_llama (const char *src)
{
  char *tmp = lb_test_make_tmpdir ();
  const char * const skip[] = { "config.json", NULL };
  g_autofree char *cfg_src = g_build_filename (src, "config.json", NULL);
  g_autofree char *cfg_dst = g_build_filename (tmp, "tiny-llama3", "config.json", NULL);
  g_autofree char *sub = g_build_filename (tmp, "tiny-llama3", NULL);
  JsonNode *root = read_json (cfg_src);
  JsonObject *rope = json_object_get_object_member (json_node_get_object (root), "rope_parameters");

  g_assert_cmpint (g_mkdir (sub, 0700), ==, 0);
  link_folder (src, sub, skip);
  json_object_remove_member (rope, "factor");
  json_object_remove_member (rope, "high_freq_factor");
  json_object_remove_member (rope, "low_freq_factor");
  json_object_remove_member (rope, "original_max_position_embeddings");
  json_object_set_string_member (rope, "rope_type", "default");
  write_json (cfg_dst, root);
  json_node_unref (root);
  return tmp;
}

static void
test_llama_permute (void)
{
  g_autofree char *src = lb_test_shared_path ("models", "tiny-archs", "tiny-llama3", NULL);
  g_autofree char *tmp = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *gguf_path = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(LbGgufReader) gguf = NULL;
  const char * const skip_tensors[] = { "rope_freqs.weight", NULL };
  LbModel *model;
  guint n_permuted = 0;

  if (src == NULL)
    return;
  tmp = make_plain_llama (src);
  dir = g_build_filename (tmp, "tiny-llama3", NULL);
  gguf_path = g_build_filename (src, "tiny-llama3-bf16.gguf", NULL);
  gguf = lb_gguf_reader_open (gguf_path, &error);
  g_assert_no_error (error);
  model = lb_import_hf (dir, NULL, &error);
  g_assert_no_error (error);

  compare_with_gguf (model, gguf, skip_tensors, NULL);
  g_assert_cmpstr (lb_model_get_architecture (model), ==, "llama");
  g_assert_cmpint (lb_model_get_hparams (model)->rope_type, ==, LB_ROPE_NORMAL);

  /* every value equal; the bf16 matrices byte for byte, q and k included */
  for (guint i = 0; i < lb_model_get_n_tensors (model); i++)
    {
      const LbTensor *t = lb_model_get_tensor (model, i);
      const LbTensor *r = lb_gguf_reader_find_tensor (gguf, t->name);
      g_autofree float *a = tensor_to_f32 (t);
      g_autofree float *b = tensor_to_f32 (r);

      g_assert_cmpmem (a, lb_tensor_n_elements (t) * sizeof (float),
                       b, lb_tensor_n_elements (r) * sizeof (float));
      if (r->type == LB_TYPE_BF16)
        g_assert_cmpmem (t->data, t->n_bytes, r->data, r->n_bytes);
      if (g_str_has_suffix (t->name, "attn_q.weight") || g_str_has_suffix (t->name, "attn_k.weight"))
        n_permuted++;
    }
  g_assert_cmpuint (n_permuted, ==, 2 * 2);
  g_object_unref (model);
  lb_test_rmtree (tmp);
}

/* ---- broken folders ------------------------------------------------------------- */

static void
expect_error (const char *dir, int code, const char *part)
{
  g_autoptr(GError) error = NULL;
  LbModel *model = lb_import_hf (dir, NULL, &error);

  g_assert_null (model);
  g_assert_error (error, LB_ERROR, code);
  g_test_message ("%s", error->message);
  if (strstr (error->message, part) == NULL)
    g_error ("\"%s\" does not mention \"%s\"", error->message, part);
}

static void
test_missing_config (void)
{
  g_autofree char *src = lb_test_shared_path ("models", "mini-qwen2", NULL);
  g_autofree char *tmp = NULL;
  const char * const skip[] = { "config.json", NULL };

  if (src == NULL)
    return;
  tmp = lb_test_make_tmpdir ();
  link_folder (src, tmp, skip);
  expect_error (tmp, LB_ERROR_INVALID_FILE, "config.json");
  lb_test_rmtree (tmp);

  expect_error ("/nonexistent/folder", LB_ERROR_IO, "not a folder");
}

static void
test_missing_shard (void)
{
  g_autofree char *src = lb_test_shared_path ("models", "mini-qwen2", NULL);
  g_autofree char *tmp = NULL;
  const char * const skip[] = { "model-00002-of-00002.safetensors", NULL };

  if (src == NULL)
    return;
  tmp = lb_test_make_tmpdir ();
  link_folder (src, tmp, skip);
  expect_error (tmp, LB_ERROR_INVALID_FILE, "model-00002-of-00002.safetensors");
  lb_test_rmtree (tmp);
}

/* The index maps a tensor to the other shard. */
static void
test_index_mismatch (void)
{
  g_autofree char *src = lb_test_shared_path ("models", "mini-qwen2", NULL);
  g_autofree char *tmp = NULL;
  g_autofree char *index_src = NULL;
  g_autofree char *index_dst = NULL;
  const char * const skip[] = { "model.safetensors.index.json", NULL };
  JsonNode *root;
  JsonObject *wm;

  if (src == NULL)
    return;
  tmp = lb_test_make_tmpdir ();
  link_folder (src, tmp, skip);
  index_src = g_build_filename (src, "model.safetensors.index.json", NULL);
  index_dst = g_build_filename (tmp, "model.safetensors.index.json", NULL);
  root = read_json (index_src);
  wm = json_object_get_object_member (json_node_get_object (root), "weight_map");
  json_object_set_string_member (wm, "model.norm.weight", "model-00001-of-00002.safetensors");
  write_json (index_dst, root);
  expect_error (tmp, LB_ERROR_INVALID_FILE, "model.norm.weight");

  /* a shard name that climbs out of the folder */
  json_object_set_string_member (wm, "model.norm.weight", "../model-00002-of-00002.safetensors");
  write_json (index_dst, root);
  expect_error (tmp, LB_ERROR_INVALID_FILE, "not a file name in the folder");
  json_node_unref (root);
  lb_test_rmtree (tmp);
}

/* A third shard with a tensor no qwen2 model has. */
static void
test_unknown_tensor (void)
{
  g_autofree char *src = lb_test_shared_path ("models", "mini-qwen2", NULL);
  g_autofree char *tmp = NULL;
  g_autofree char *index_src = NULL;
  g_autofree char *index_dst = NULL;
  g_autofree char *extra = NULL;
  g_autoptr(GError) error = NULL;
  const char * const skip[] = { "model.safetensors.index.json", NULL };
  const char *header = "{\"model.layers.0.mlp.adapter.weight\":"
                       "{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,4]}}";
  guint64 hlen = GUINT64_TO_LE (strlen (header));
  GString *file = g_string_new (NULL);
  JsonNode *root;

  if (src == NULL)
    return;
  tmp = lb_test_make_tmpdir ();
  link_folder (src, tmp, skip);
  extra = g_build_filename (tmp, "extra.safetensors", NULL);
  g_string_append_len (file, (const char *) &hlen, 8);
  g_string_append (file, header);
  g_string_append_len (file, "\0\0\0\0", 4);
  g_file_set_contents (extra, file->str, file->len, &error);
  g_assert_no_error (error);
  g_string_free (file, TRUE);

  index_src = g_build_filename (src, "model.safetensors.index.json", NULL);
  index_dst = g_build_filename (tmp, "model.safetensors.index.json", NULL);
  root = read_json (index_src);
  json_object_set_string_member (json_object_get_object_member (json_node_get_object (root), "weight_map"),
                                 "model.layers.0.mlp.adapter.weight", "extra.safetensors");
  write_json (index_dst, root);
  json_node_unref (root);
  expect_error (tmp, LB_ERROR_UNSUPPORTED, "model.layers.0.mlp.adapter.weight");
  lb_test_rmtree (tmp);
}

static void
test_unsupported (void)
{
  g_autofree char *qwen = lb_test_shared_path ("models", "mini-qwen2", NULL);
  g_autofree char *tmp = NULL;
  g_autofree char *cfg_src = NULL;
  g_autofree char *cfg_dst = NULL;
  const char * const skip[] = { "config.json", NULL };
  JsonNode *root;
  JsonObject *cfg;

  if (qwen == NULL)
    return;
  /* gemma2 and llama3 rope scaling are supported now; test-archs.c tests
   * what is still refused for the newer architectures */

  /* config.json edits on mini-qwen2 */
  tmp = lb_test_make_tmpdir ();
  link_folder (qwen, tmp, skip);
  cfg_src = g_build_filename (qwen, "config.json", NULL);
  cfg_dst = g_build_filename (tmp, "config.json", NULL);
  root = read_json (cfg_src);
  cfg = json_node_get_object (root);

  json_object_set_string_member (cfg, "model_type", "mamba");
  json_array_remove_element (json_object_get_array_member (cfg, "architectures"), 0);
  json_array_add_string_element (json_object_get_array_member (cfg, "architectures"), "MambaForCausalLM");
  write_json (cfg_dst, root);
  expect_error (tmp, LB_ERROR_UNSUPPORTED, "model_type \"mamba\"");

  json_object_set_string_member (cfg, "model_type", "qwen2");
  json_object_remove_member (cfg, "architectures");
  json_object_set_int_member (cfg, "num_key_value_heads", 3);
  write_json (cfg_dst, root);
  expect_error (tmp, LB_ERROR_INVALID_FILE, "num_key_value_heads");

  json_object_set_int_member (cfg, "num_key_value_heads", 2);
  json_object_set_string_member (cfg, "hidden_size", "256");
  write_json (cfg_dst, root);
  expect_error (tmp, LB_ERROR_INVALID_FILE, "\"hidden_size\" must be a positive integer");

  json_object_set_int_member (cfg, "hidden_size", 256);
  json_object_set_boolean_member (cfg, "use_sliding_window", TRUE);
  write_json (cfg_dst, root);
  expect_error (tmp, LB_ERROR_UNSUPPORTED, "sliding window");

  json_object_set_boolean_member (cfg, "use_sliding_window", FALSE);
  json_object_set_int_member (cfg, "hidden_size", 128);
  write_json (cfg_dst, root);
  {
    /* shapes that disagree with config.json are refused by the model */
    g_autoptr(GError) error = NULL;
    g_assert_null (lb_import_hf (tmp, NULL, &error));
    g_assert_nonnull (error);
    g_test_message ("%s", error->message);
  }
  json_node_unref (root);
  lb_test_rmtree (tmp);
}

static void
test_cancelled (void)
{
  g_autofree char *dir = lb_test_shared_path ("models", "mini-qwen2", NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;

  if (dir == NULL)
    return;
  g_cancellable_cancel (cancellable);
  g_assert_null (lb_import_hf (dir, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* ---- tokenizer.model reader ------------------------------------------------- */

static void
test_spm_proto (void)
{
  g_autofree char *path = lb_test_shared_path ("models", "mini-qwen2", "tokenizer.model", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(LbSpmModel) m = NULL;
  g_autofree char *contents = NULL;
  gsize len;
  static const struct { const char *what; const char *bytes; gsize len; const char *part; } bad[] = {
    { "truncated varint", "\x0a\x80", 2, "truncated varint" },
    { "length past the end", "\x0a\x05\x0a\x01", 4, "runs past the end" },
    { "wire type 7", "\x9f\x06", 2, "invalid wire type" },
    { "field 0", "\x02\x00", 2, "invalid field number" },
    { "overlong varint", "\x48\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 11, "longer than 64 bits" },
    { "group end mismatch", "\x4b\x24", 2, "does not match" },
    { "unterminated group", "\x4b\x08\x01", 3, "unterminated group" },
    { "stray group end", "\x4c", 1, "without a start" },
    { "score as varint", "\x0a\x02\x10\x01", 4, "SentencePiece.score" },
    { "unknown piece type", "\x0a\x02\x18\x09", 4, "unknown type 9" },
    { "no pieces", "\x12\x02\x18\x02", 4, "no pieces" },
  };

  if (path == NULL)
    return;
  m = lb_spm_model_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (m->n_pieces, ==, 4096);
  g_assert_cmpint (m->model_type, ==, LB_SPM_MODEL_BPE);
  g_assert_true (m->byte_fallback);
  g_assert_cmpint (m->unk_id, ==, 0);
  g_assert_cmpint (m->pad_id, ==, -1);
  g_assert_cmpint (m->pieces[0].type, ==, LB_SPM_PIECE_UNKNOWN);
  g_assert_cmpstr (m->pieces[3].piece, ==, "<0x00>");
  g_assert_cmpint (m->pieces[3].type, ==, LB_SPM_PIECE_BYTE);

  /* every prefix of the real file parses or fails cleanly */
  g_file_get_contents (path, &contents, &len, &error);
  g_assert_no_error (error);
  for (gsize cut = 0; cut < len; cut += 997)
    {
      LbSpmModel *p = lb_spm_model_parse ((const guint8 *) contents, cut, &error);
      if (p == NULL)
        {
          g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_FILE);
          g_clear_error (&error);
        }
      lb_spm_model_free (p);
    }

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      LbSpmModel *p = lb_spm_model_parse ((const guint8 *) bad[i].bytes, bad[i].len, &error);
      g_assert_null (p);
      g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_FILE);
      if (strstr (error->message, bad[i].part) == NULL)
        g_error ("%s: \"%s\" does not mention \"%s\"", bad[i].what, error->message, bad[i].part);
      g_clear_error (&error);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/lowbit/hf-import/mini-qwen2", test_mini_qwen2);
  g_test_add_func ("/lowbit/hf-import/llama-permute", test_llama_permute);
  g_test_add_func ("/lowbit/hf-import/missing-config", test_missing_config);
  g_test_add_func ("/lowbit/hf-import/missing-shard", test_missing_shard);
  g_test_add_func ("/lowbit/hf-import/index-mismatch", test_index_mismatch);
  g_test_add_func ("/lowbit/hf-import/unknown-tensor", test_unknown_tensor);
  g_test_add_func ("/lowbit/hf-import/unsupported", test_unsupported);
  g_test_add_func ("/lowbit/hf-import/cancelled", test_cancelled);
  g_test_add_func ("/lowbit/hf-import/spm-proto", test_spm_proto);
  return g_test_run ();
}
