/* test-safetensors.c: the .safetensors reader on the mini-qwen2 shards,
 * on files this test writes, and on malformed files */
#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "lowbit.h"
#include "lb-safetensors.h"
#include "lb-test-util.h"

/* A file: 8-byte little-endian header length, the header, then data. */
static GBytes *
make_file (const char *header, const void *data, gsize n_data)
{
  gsize hlen = strlen (header);
  guint64 le = GUINT64_TO_LE ((guint64) hlen);
  GByteArray *b = g_byte_array_new ();

  g_byte_array_append (b, (const guint8 *) &le, 8);
  g_byte_array_append (b, (const guint8 *) header, hlen);
  if (n_data)
    g_byte_array_append (b, data, n_data);
  return g_byte_array_free_to_bytes (b);
}

/* ---- the real shards ----------------------------------------------------- */

/* The PyTorch shape a Qwen2 tensor must have, from config.json's numbers. */
static void
expected_shape (const char *name, gint64 *shape, guint *n_dims)
{
  const gint64 vocab = 4096, embd = 256, ff = 768, kv = 2 * (256 / 8);

  *n_dims = 2;
  if (g_str_has_suffix (name, "embed_tokens.weight"))
    shape[0] = vocab, shape[1] = embd;
  else if (g_str_has_suffix (name, "norm.weight") || g_str_has_suffix (name, "q_proj.bias"))
    *n_dims = 1, shape[0] = embd;
  else if (g_str_has_suffix (name, "k_proj.bias") || g_str_has_suffix (name, "v_proj.bias"))
    *n_dims = 1, shape[0] = kv;
  else if (g_str_has_suffix (name, "q_proj.weight") || g_str_has_suffix (name, "o_proj.weight"))
    shape[0] = embd, shape[1] = embd;
  else if (g_str_has_suffix (name, "k_proj.weight") || g_str_has_suffix (name, "v_proj.weight"))
    shape[0] = kv, shape[1] = embd;
  else if (g_str_has_suffix (name, "gate_proj.weight") || g_str_has_suffix (name, "up_proj.weight"))
    shape[0] = ff, shape[1] = embd;
  else if (g_str_has_suffix (name, "down_proj.weight"))
    shape[0] = embd, shape[1] = ff;
  else
    g_assert_not_reached ();
}

static void
test_mini_qwen2_shards (void)
{
  g_autofree char *dir = lb_test_shared_path ("models", "mini-qwen2", NULL);
  g_autofree char *index_path = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *index, *weight_map;
  GList *names;
  GHashTable *shards;
  guint64 total_bytes = 0, total_params = 0;
  guint n_tensors = 0;
  GHashTableIter it;
  gpointer key, value;

  if (dir == NULL)
    return;
  index_path = g_build_filename (dir, "model.safetensors.index.json", NULL);
  json_parser_load_from_file (parser, index_path, &error);
  g_assert_no_error (error);
  index = json_node_get_object (json_parser_get_root (parser));
  weight_map = json_object_get_object_member (index, "weight_map");

  shards = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                  (GDestroyNotify) lb_safetensors_free);
  names = json_object_get_members (weight_map);
  for (GList *l = names; l; l = l->next)
    {
      const char *file = json_object_get_string_member (weight_map, l->data);
      LbSafetensors *st = g_hash_table_lookup (shards, file);
      const LbSafetensorsTensor *t;
      gint64 shape[2];
      guint n_dims;

      if (st == NULL)
        {
          g_autofree char *path = g_build_filename (dir, file, NULL);
          st = lb_safetensors_open (path, &error);
          g_assert_no_error (error);
          g_hash_table_insert (shards, g_strdup (file), st);
        }
      t = lb_safetensors_find_tensor (st, l->data);
      g_assert_nonnull (t);
      g_assert_cmpstr (t->name, ==, l->data);
      g_assert_cmpint (t->dtype, ==, LB_SAFETENSORS_DTYPE_BF16);
      expected_shape (t->name, shape, &n_dims);
      g_assert_cmpuint (t->n_dims, ==, n_dims);
      for (guint d = 0; d < n_dims; d++)
        g_assert_cmpint (t->shape[d], ==, shape[d]);
      g_assert_cmpuint (t->n_bytes, ==, (gsize) t->n_elements * 2);
      total_bytes += t->n_bytes;
      total_params += t->n_elements;
      n_tensors++;
    }
  g_list_free (names);

  /* the shards hold exactly the mapped tensors */
  g_assert_cmpuint (g_hash_table_size (shards), ==, 2);
  g_hash_table_iter_init (&it, shards);
  {
    guint in_shards = 0;
    while (g_hash_table_iter_next (&it, &key, &value))
      in_shards += lb_safetensors_get_n_tensors (value);
    g_assert_cmpuint (in_shards, ==, n_tensors);
  }
  g_assert_cmpuint (n_tensors, ==, 1 + 8 * 12 + 1);

  /* the index's own totals, written by transformers */
  {
    JsonObject *meta = json_object_get_object_member (index, "metadata");
    g_assert_cmpint (json_object_get_int_member (meta, "total_size"), ==, total_bytes);
    g_assert_cmpint (json_object_get_int_member (meta, "total_parameters"), ==, total_params);
  }
  g_hash_table_unref (shards);
}

/* Tensor views must stay valid after the reader is freed, through ref_bytes. */
static void
test_keepalive (void)
{
  g_autofree char *path = lb_test_shared_path ("models", "mini-qwen2",
                                               "model-00002-of-00002.safetensors", NULL);
  g_autoptr(GError) error = NULL;
  LbSafetensors *st;
  const LbSafetensorsTensor *t;
  GBytes *keep;
  const guint8 *data;
  guint8 first[16];

  if (path == NULL)
    return;
  st = lb_safetensors_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (lb_safetensors_get_path (st), ==, path);
  t = lb_safetensors_find_tensor (st, "model.norm.weight");
  g_assert_nonnull (t);
  data = t->data;
  memcpy (first, data, sizeof first);
  keep = lb_safetensors_ref_bytes (st);
  lb_safetensors_free (st);
  g_assert_cmpmem (data, sizeof first, first, sizeof first);
  g_bytes_unref (keep);
}

/* ---- files this test writes ------------------------------------------------ */

static void
test_write_f32_f16 (void)
{
  g_autofree char *dir = lb_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "t.safetensors", NULL);
  /* a [2, 3] F32 tensor, then a [3] F16 tensor, then a scalar F32 */
  float a[6] = { 1, -2, 3.5f, 0, 1e-3f, -7 };
  guint16 b[3] = { GUINT16_TO_LE (lb_fp32_to_fp16 (0.5f)), GUINT16_TO_LE (lb_fp32_to_fp16 (-1.25f)),
                   GUINT16_TO_LE (lb_fp32_to_fp16 (1024.0f)) };
  float c = 42.0f;
  guint8 data[24 + 6 + 2 + 4];
  /* deliberately not in offset order, with padding spaces after the JSON */
  const char *header =
    "{\"b\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[24,30]},"
    "\"__metadata__\":{\"format\":\"pt\",\"note\":\"hand made\"},"
    "\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
    "\"c\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[32,36]},"
    "\"empty\":{\"dtype\":\"BF16\",\"shape\":[0,5],\"data_offsets\":[36,36]}}     ";
  g_autoptr(GBytes) file = NULL;
  g_autoptr(GError) error = NULL;
  LbSafetensors *st;
  const LbSafetensorsTensor *t;
  LbType type;
  float out[6];

  for (guint i = 0; i < 6; i++)
    {
      guint32 u = GUINT32_TO_LE (lb_fp32_to_bits (a[i]));
      memcpy (data + 4 * i, &u, 4);
    }
  memcpy (data + 24, b, 6);
  memset (data + 30, 0xee, 2);   /* a hole: allowed */
  {
    guint32 u = GUINT32_TO_LE (lb_fp32_to_bits (c));
    memcpy (data + 32, &u, 4);
  }
  file = make_file (header, data, sizeof data);
  g_file_set_contents (path, g_bytes_get_data (file, NULL), g_bytes_get_size (file), &error);
  g_assert_no_error (error);

  st = lb_safetensors_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (lb_safetensors_get_n_tensors (st), ==, 4);
  g_assert_cmpuint (lb_safetensors_get_file_size (st), ==, g_bytes_get_size (file));
  g_assert_cmpstr (lb_safetensors_get_metadata (st, "format"), ==, "pt");
  g_assert_cmpstr (lb_safetensors_get_metadata (st, "note"), ==, "hand made");
  g_assert_null (lb_safetensors_get_metadata (st, "missing"));

  /* sorted by offset */
  g_assert_cmpstr (lb_safetensors_get_tensor (st, 0)->name, ==, "a");
  g_assert_cmpstr (lb_safetensors_get_tensor (st, 1)->name, ==, "b");
  g_assert_cmpstr (lb_safetensors_get_tensor (st, 2)->name, ==, "c");
  g_assert_cmpstr (lb_safetensors_get_tensor (st, 3)->name, ==, "empty");

  t = lb_safetensors_find_tensor (st, "a");
  g_assert_cmpint (t->dtype, ==, LB_SAFETENSORS_DTYPE_F32);
  g_assert_cmpuint (t->n_dims, ==, 2);
  g_assert_cmpint (t->shape[0], ==, 2);
  g_assert_cmpint (t->shape[1], ==, 3);
  g_assert_cmpuint (t->offset, ==, 8 + strlen (header));
  g_assert_true (lb_safetensors_dtype_to_type (t->dtype, &type));
  g_assert_cmpint (type, ==, LB_TYPE_F32);
  lb_type_get_traits (type)->to_float (t->data, out, 6);
  g_assert_cmpmem (out, sizeof a, a, sizeof a);

  t = lb_safetensors_find_tensor (st, "b");
  g_assert_cmpint (t->dtype, ==, LB_SAFETENSORS_DTYPE_F16);
  g_assert_true (lb_safetensors_dtype_to_type (t->dtype, &type));
  g_assert_cmpint (type, ==, LB_TYPE_F16);
  lb_type_get_traits (type)->to_float (t->data, out, 3);
  g_assert_cmpfloat (out[0], ==, 0.5f);
  g_assert_cmpfloat (out[1], ==, -1.25f);
  g_assert_cmpfloat (out[2], ==, 1024.0f);

  t = lb_safetensors_find_tensor (st, "c");
  g_assert_cmpuint (t->n_dims, ==, 0);
  g_assert_cmpint (t->n_elements, ==, 1);
  g_assert_cmpuint (t->n_bytes, ==, 4);

  t = lb_safetensors_find_tensor (st, "empty");
  g_assert_cmpint (t->n_elements, ==, 0);
  g_assert_cmpuint (t->n_bytes, ==, 0);
  g_assert_null (lb_safetensors_find_tensor (st, "nope"));
  lb_safetensors_free (st);
  lb_test_rmtree (dir);
}

/* Dtypes Lowbit cannot compute with still parse, and say so. */
static void
test_other_dtypes (void)
{
  static const struct { const char *name; guint bits; } dtypes[] = {
    { "I64", 64 }, { "F64", 64 }, { "I32", 32 }, { "U8", 8 }, { "I8", 8 }, { "BOOL", 8 },
    { "F8_E4M3", 8 }, { "F8_E5M2", 8 }, { "U16", 16 }, { "F4", 4 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (dtypes); i++)
    {
      guint n_bytes = 8 * dtypes[i].bits / 8;
      g_autofree char *header = g_strdup_printf (
        "{\"x\":{\"dtype\":\"%s\",\"shape\":[2,4],\"data_offsets\":[0,%u]}}", dtypes[i].name, n_bytes);
      guint8 data[64] = { 0 };
      g_autoptr(GBytes) file = make_file (header, data, n_bytes);
      g_autoptr(GError) error = NULL;
      LbSafetensors *st = lb_safetensors_open_bytes (file, &error);
      const LbSafetensorsTensor *t;

      g_assert_no_error (error);
      t = lb_safetensors_get_tensor (st, 0);
      g_assert_cmpstr (lb_safetensors_dtype_name (t->dtype), ==, dtypes[i].name);
      g_assert_cmpuint (lb_safetensors_dtype_bits (t->dtype), ==, dtypes[i].bits);
      g_assert_false (lb_safetensors_dtype_to_type (t->dtype, NULL));
      lb_safetensors_free (st);
    }
}

/* ---- malformed files ---------------------------------------------------------- */

typedef struct {
  const char *what;
  const char *header;     /* NULL: raw bytes below */
  gsize       n_data;
  const char *raw;
  gsize       raw_len;
  const char *message;    /* a part the error message must contain */
} BadCase;

static const BadCase bad_cases[] = {
  { "empty file", NULL, 0, "", 0, "too short" },
  { "truncated length", NULL, 0, "\x10\x00\x00", 3, "too short" },
  { "length past the end", NULL, 0, "\xff\x00\x00\x00\x00\x00\x00\x00{}", 10, "past the end" },
  { "huge length", NULL, 0, "\xff\xff\xff\xff\xff\xff\xff\xff{}", 10, "past the end" },
  { "bad JSON", "{\"a\":{\"dtype\":\"F32\",", 0, NULL, 0, "not valid JSON" },
  { "not an object", "[1,2,3]", 0, NULL, 0, "not a JSON object" },
  { "string root", "\"x\"", 0, NULL, 0, "not a JSON object" },
  { "tensor not an object", "{\"a\":5}", 0, NULL, 0, "tensor a" },
  { "unknown dtype", "{\"w\":{\"dtype\":\"Q4\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1, NULL, 0,
    "unknown dtype \"Q4\"" },
  { "dtype not a string", "{\"w\":{\"dtype\":7,\"shape\":[1],\"data_offsets\":[0,4]}}", 4, NULL, 0, "tensor w" },
  { "missing shape", "{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4, NULL, 0, "\"shape\"" },
  { "negative dim", "{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4, NULL, 0, "shape[0]" },
  { "float dim", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4, NULL, 0, "shape[0]" },
  { "too many dims", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,4]}}", 4,
    NULL, 0, "dimensions" },
  { "overflowing shape", "{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],"
    "\"data_offsets\":[0,4]}}", 4, NULL, 0, "overflows" },
  { "shape/offset mismatch", "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,12]}}", 16, NULL, 0,
    "needs 16" },
  { "offsets past the end", "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[8,24]}}", 16, NULL, 0,
    "but the file has" },
  { "begin after end", "{\"w\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,4]}}", 16, NULL, 0,
    "after end" },
  { "offsets not a pair", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", 16, NULL, 0,
    "data_offsets" },
  { "overlapping", "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
    "\"v\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 16, NULL, 0, "overlaps" },
  { "same offsets", "{\"w\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]},"
    "\"v\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}", 16, NULL, 0, "overlaps" },
  { "metadata not strings", "{\"__metadata__\":{\"n\":5}}", 0, NULL, 0, "__metadata__" },
  { "empty name", "{\"\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, NULL, 0, "empty name" },
  { "deep nesting", "{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
    0, NULL, 0, "nests deeper" },
  { "F4 half byte", "{\"w\":{\"dtype\":\"F4\",\"shape\":[3],\"data_offsets\":[0,2]}}", 2, NULL, 0,
    "whole bytes" },
};

static void
test_malformed (gconstpointer data)
{
  const BadCase *c = data;
  g_autoptr(GBytes) file = NULL;
  g_autoptr(GError) error = NULL;
  LbSafetensors *st;

  if (c->header)
    {
      guint8 *zeros = g_malloc0 (c->n_data + 1);
      file = make_file (c->header, zeros, c->n_data);
      g_free (zeros);
    }
  else
    file = g_bytes_new (c->raw, c->raw_len);

  st = lb_safetensors_open_bytes (file, &error);
  g_assert_null (st);
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_FILE);
  g_test_message ("%s: %s", c->what, error->message);
  g_assert_nonnull (strstr (error->message, "<memory>"));
  if (strstr (error->message, c->message) == NULL)
    g_error ("%s: \"%s\" does not mention \"%s\"", c->what, error->message, c->message);
}

/* A real shard cut short: the error names the file and a tensor. */
static void
test_truncated_shard (void)
{
  g_autofree char *path = lb_test_shared_path ("models", "mini-qwen2",
                                               "model-00002-of-00002.safetensors", NULL);
  g_autofree char *dir = NULL;
  g_autofree char *cut = NULL;
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  gsize len;

  if (path == NULL)
    return;
  dir = lb_test_make_tmpdir ();
  cut = g_build_filename (dir, "cut.safetensors", NULL);
  g_file_get_contents (path, &contents, &len, &error);
  g_assert_no_error (error);
  g_file_set_contents (cut, contents, len - 1000, &error);
  g_assert_no_error (error);
  g_assert_null (lb_safetensors_open (cut, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_FILE);
  g_assert_nonnull (strstr (error->message, cut));
  g_assert_nonnull (strstr (error->message, ": tensor model."));
  g_assert_nonnull (strstr (error->message, "but the file has"));
  g_clear_error (&error);

  /* a missing file is an I/O error */
  g_assert_null (lb_safetensors_open ("/nonexistent/x.safetensors", &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_IO);
  lb_test_rmtree (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/lowbit/safetensors/mini-qwen2", test_mini_qwen2_shards);
  g_test_add_func ("/lowbit/safetensors/keepalive", test_keepalive);
  g_test_add_func ("/lowbit/safetensors/f32-f16", test_write_f32_f16);
  g_test_add_func ("/lowbit/safetensors/other-dtypes", test_other_dtypes);
  g_test_add_func ("/lowbit/safetensors/truncated-shard", test_truncated_shard);
  for (guint i = 0; i < G_N_ELEMENTS (bad_cases); i++)
    {
      g_autofree char *slug = g_strdelimit (g_strdup (bad_cases[i].what), " /", '-');
      g_autofree char *name = g_strdup_printf ("/lowbit/safetensors/malformed/%s", slug);
      g_test_add_data_func (name, &bad_cases[i], test_malformed);
    }
  return g_test_run ();
}
