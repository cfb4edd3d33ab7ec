/* test-gguf.c: GGUF writing and reading, on files of our own and on files
 * written by llama.cpp's converter and quantizer. */
#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>

#include "lowbit.h"
#include "lb-test-util.h"

/* ---- helpers ------------------------------------------------------------ */

static guint
dir_n_entries (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  guint n = 0;

  g_assert_nonnull (dir);
  while (g_dir_read_name (dir) != NULL)
    n++;
  g_dir_close (dir);
  return n;
}

static void
assert_error_mentions (const GError *error, const char *what)
{
  g_assert_nonnull (error);
  if (strstr (error->message, what) == NULL)
    g_error ("error \"%s\" does not mention \"%s\"", error->message, what);
}

static void
take_scalar (LbMeta *meta, const char *key, LbValue v)
{
  lb_meta_take_value (meta, key, &v);
}

static void
take_array (LbMeta *meta, const char *key, LbValueType elem, gconstpointer data, gsize n)
{
  lb_meta_set_array (meta, key, elem, data, n);
}

/* One value of every type, arrays of every type, empty arrays, nested arrays. */
static LbMeta *
make_all_types_meta (void)
{
  LbMeta *meta = lb_meta_new ();
  static const guint8 u8s[] = { 0, 1, 255 };
  static const gint8 i8s[] = { -128, 0, 127 };
  static const guint16 u16s[] = { 0, 65535 };
  static const gint16 i16s[] = { -32768, 32767 };
  static const guint32 u32s[] = { 0, 1, G_MAXUINT32 };
  static const gint32 i32s[] = { G_MININT32, -1, G_MAXINT32 };
  static const float f32s[] = { 0.5f, -1e-30f, 3.4e38f };
  static const guint8 bools[] = { 1, 0, 1, 1 };
  static const guint64 u64s[] = { G_MAXUINT64, 0 };
  static const gint64 i64s[] = { G_MININT64, 42 };
  static const double f64s[] = { 1e300, -0.0, 0.1 };
  const char *strs[] = { "<unk>", "", "héllo wörld", "中文", "\xf0\x9f\x98\x80" };
  LbValue v, *inner;

  lb_meta_set_string (meta, "general.architecture", "test");
  take_scalar (meta, "t.u8", (LbValue) { .type = LB_VALUE_UINT8, .u = 200 });
  take_scalar (meta, "t.i8", (LbValue) { .type = LB_VALUE_INT8, .i = -100 });
  take_scalar (meta, "t.u16", (LbValue) { .type = LB_VALUE_UINT16, .u = 65000 });
  take_scalar (meta, "t.i16", (LbValue) { .type = LB_VALUE_INT16, .i = -32000 });
  lb_meta_set_u32 (meta, "t.u32", 4000000000u);
  lb_meta_set_i32 (meta, "t.i32", -2000000000);
  lb_meta_set_f32 (meta, "t.f32", 1e-6f);
  lb_meta_set_bool (meta, "t.bool.true", TRUE);
  lb_meta_set_bool (meta, "t.bool.false", FALSE);
  lb_meta_set_u64 (meta, "t.u64", G_MAXUINT64 - 1);
  take_scalar (meta, "t.i64", (LbValue) { .type = LB_VALUE_INT64, .i = G_MININT64 + 1 });
  take_scalar (meta, "t.f64", (LbValue) { .type = LB_VALUE_FLOAT64, .f = 2.718281828459045 });
  lb_meta_set_string (meta, "t.string.empty", "");
  lb_meta_set_string (meta, "t.string.utf8", "Grüße, 世界 \xf0\x9f\x98\x80");
  /* a string with an embedded NUL: only through LbBytes */
  v = (LbValue) { .type = LB_VALUE_STRING };
  v.s.len = 7;
  v.s.data = g_memdup2 ("ab\0cd\0e", 8);
  lb_meta_take_value (meta, "t.string.nul", &v);

  take_array (meta, "a.u8", LB_VALUE_UINT8, u8s, G_N_ELEMENTS (u8s));
  take_array (meta, "a.i8", LB_VALUE_INT8, i8s, G_N_ELEMENTS (i8s));
  take_array (meta, "a.u16", LB_VALUE_UINT16, u16s, G_N_ELEMENTS (u16s));
  take_array (meta, "a.i16", LB_VALUE_INT16, i16s, G_N_ELEMENTS (i16s));
  take_array (meta, "a.u32", LB_VALUE_UINT32, u32s, G_N_ELEMENTS (u32s));
  take_array (meta, "a.i32", LB_VALUE_INT32, i32s, G_N_ELEMENTS (i32s));
  take_array (meta, "a.f32", LB_VALUE_FLOAT32, f32s, G_N_ELEMENTS (f32s));
  take_array (meta, "a.bool", LB_VALUE_BOOL, bools, G_N_ELEMENTS (bools));
  take_array (meta, "a.u64", LB_VALUE_UINT64, u64s, G_N_ELEMENTS (u64s));
  take_array (meta, "a.i64", LB_VALUE_INT64, i64s, G_N_ELEMENTS (i64s));
  take_array (meta, "a.f64", LB_VALUE_FLOAT64, f64s, G_N_ELEMENTS (f64s));
  lb_meta_set_strv (meta, "a.string", strs, G_N_ELEMENTS (strs));
  take_array (meta, "a.empty.u32", LB_VALUE_UINT32, NULL, 0);
  take_array (meta, "a.empty.f64", LB_VALUE_FLOAT64, NULL, 0);
  lb_meta_set_strv (meta, "a.empty.string", NULL, 0);

  /* [[ "a", "b\0c" ], [], [ "" ]]: an array of arrays of strings */
  v = (LbValue) { .type = LB_VALUE_ARRAY };
  v.arr.elem_type = LB_VALUE_ARRAY;
  v.arr.n = 3;
  v.arr.values = inner = g_new0 (LbValue, 3);
  for (guint i = 0; i < 3; i++)
    {
      inner[i].type = LB_VALUE_ARRAY;
      inner[i].arr.elem_type = LB_VALUE_STRING;
    }
  inner[0].arr.n = 2;
  inner[0].arr.strings = g_new0 (LbBytes, 2);
  inner[0].arr.strings[0] = (LbBytes) { g_strdup ("a"), 1 };
  inner[0].arr.strings[1] = (LbBytes) { g_memdup2 ("b\0c", 4), 3 };
  inner[2].arr.n = 1;
  inner[2].arr.strings = g_new0 (LbBytes, 1);
  inner[2].arr.strings[0] = (LbBytes) { g_strdup (""), 0 };
  lb_meta_take_value (meta, "a.nested.strings", &v);

  /* an empty array of arrays, and [[1, 2], [[]]]-style depth: u8 inside arrays of arrays */
  v = (LbValue) { .type = LB_VALUE_ARRAY };
  v.arr.elem_type = LB_VALUE_ARRAY;
  lb_meta_take_value (meta, "a.nested.empty", &v);
  v = (LbValue) { .type = LB_VALUE_ARRAY };
  v.arr.elem_type = LB_VALUE_ARRAY;
  v.arr.n = 1;
  v.arr.values = g_new0 (LbValue, 1);
  v.arr.values[0].type = LB_VALUE_ARRAY;
  v.arr.values[0].arr.elem_type = LB_VALUE_ARRAY;
  v.arr.values[0].arr.n = 1;
  v.arr.values[0].arr.values = g_new0 (LbValue, 1);
  v.arr.values[0].arr.values[0].type = LB_VALUE_ARRAY;
  v.arr.values[0].arr.values[0].arr.elem_type = LB_VALUE_UINT16;
  v.arr.values[0].arr.values[0].arr.n = 2;
  v.arr.values[0].arr.values[0].arr.data = g_memdup2 (u16s, sizeof u16s);
  lb_meta_take_value (meta, "a.nested.deep", &v);
  return meta;
}

typedef struct {
  const char *name;
  LbType      type;
  guint       n_dims;
  gint64      ne[4];
} TensorSpec;

static const TensorSpec test_tensors[] = {
  { "f32.odd", LB_TYPE_F32, 2, { 7, 3 } },
  { "f16.vec", LB_TYPE_F16, 1, { 5 } },
  { "q4_0.mat", LB_TYPE_Q4_0, 2, { 64, 3 } },
  { "q6_k.row", LB_TYPE_Q6_K, 2, { 256, 1 } },
  { "i8.cube", LB_TYPE_I8, 3, { 3, 2, 2 } },
  { "q8_0.4d", LB_TYPE_Q8_0, 4, { 32, 1, 2, 2 } },
  { "bf16.one", LB_TYPE_BF16, 1, { 1 } },
  { "iq4_nl.x", LB_TYPE_IQ4_NL, 2, { 96, 2 } },
};

static gsize
spec_bytes (const TensorSpec *s)
{
  gint64 n = 1;
  for (guint d = 1; d < s->n_dims; d++)
    n *= s->ne[d];
  return lb_type_row_size (s->type, s->ne[0]) * (gsize) n;
}

static guint8 *
random_bytes (GRand *rand, gsize n)
{
  guint8 *p = g_malloc (MAX (n, 1));
  for (gsize i = 0; i < n; i++)
    p[i] = (guint8) g_rand_int (rand);
  return p;
}

/* Writes meta + the test tensors (data in datas[i]), in `chunk`-byte pieces. */
static void
write_test_file (const char *path, LbMeta *meta, guint8 **datas, gsize chunk)
{
  GError *error = NULL;
  g_autoptr (LbGgufWriter) w = lb_gguf_writer_new (path, meta, &error);

  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (test_tensors); i++)
    {
      const TensorSpec *s = &test_tensors[i];
      g_assert_true (lb_gguf_writer_add_tensor_info (w, s->name, s->type, s->n_dims, s->ne, &error));
      g_assert_no_error (error);
    }
  g_assert_true (lb_gguf_writer_begin_data (w, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (test_tensors); i++)
    {
      gsize n = spec_bytes (&test_tensors[i]);
      for (gsize off = 0; off < n; off += chunk)
        {
          g_assert_true (lb_gguf_writer_write_tensor_data (w, datas[i] + off, MIN (chunk, n - off), &error));
          g_assert_no_error (error);
        }
    }
  g_assert_true (lb_gguf_writer_finish (w, &error));
  g_assert_no_error (error);
}

static void
assert_meta_equal (LbMeta *a, LbMeta *b)
{
  g_assert_cmpuint (lb_meta_get_n_keys (a), ==, lb_meta_get_n_keys (b));
  for (guint i = 0; i < lb_meta_get_n_keys (a); i++)
    {
      g_assert_cmpstr (lb_meta_get_key (a, i), ==, lb_meta_get_key (b, i));
      if (!lb_value_equal (lb_meta_get_value (a, i), lb_meta_get_value (b, i)))
        g_error ("metadata key %s differs after the round trip", lb_meta_get_key (a, i));
    }
}

/* ---- round trips -------------------------------------------------------- */

static void
roundtrip (guint32 alignment, gsize chunk)
{
  g_autofree char *dir = lb_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "t.gguf", NULL);
  g_autoptr (LbMeta) meta = make_all_types_meta ();
  g_autoptr (LbGgufReader) r = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GRand) rand = g_rand_new_with_seed (alignment);
  guint8 *datas[G_N_ELEMENTS (test_tensors)];
  const guint8 *base;
  GError *error = NULL;
  gsize size;

  if (alignment != 0)
    lb_meta_set_u32 (meta, "general.alignment", alignment);
  else
    alignment = LB_GGUF_DEFAULT_ALIGNMENT;
  for (guint i = 0; i < G_N_ELEMENTS (test_tensors); i++)
    datas[i] = random_bytes (rand, spec_bytes (&test_tensors[i]));

  write_test_file (path, meta, datas, chunk);
  g_assert_cmpuint (dir_n_entries (dir), ==, 1);   /* no temporary file left */

  r = lb_gguf_reader_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (lb_gguf_reader_get_version (r), ==, 3);
  g_assert_cmpuint (lb_gguf_reader_get_alignment (r), ==, alignment);
  assert_meta_equal (meta, lb_gguf_reader_get_meta (r));

  bytes = lb_gguf_reader_ref_bytes (r);
  base = g_bytes_get_data (bytes, &size);
  g_assert_cmpuint (size, ==, lb_gguf_reader_get_file_size (r));
  g_assert_cmpuint (lb_gguf_reader_get_data_offset (r) % alignment, ==, 0);
  g_assert_cmpuint (size % alignment, ==, 0);   /* the last tensor is padded too */

  g_assert_cmpuint (lb_gguf_reader_get_n_tensors (r), ==, G_N_ELEMENTS (test_tensors));
  for (guint i = 0; i < G_N_ELEMENTS (test_tensors); i++)
    {
      const TensorSpec *s = &test_tensors[i];
      const LbTensor *t = lb_gguf_reader_get_tensor (r, i);

      g_assert_cmpstr (t->name, ==, s->name);
      g_assert_true (lb_gguf_reader_find_tensor (r, s->name) == t);
      g_assert_cmpint (t->type, ==, s->type);
      g_assert_cmpuint (t->n_dims, ==, s->n_dims);
      for (guint d = 0; d < 4; d++)
        g_assert_cmpint (t->ne[d], ==, d < s->n_dims ? s->ne[d] : 1);
      g_assert_cmpuint ((gsize) (t->data - base) % alignment, ==, 0);
      g_assert_cmpmem (t->data, t->n_bytes, datas[i], spec_bytes (s));
      g_free (datas[i]);
    }
  g_assert_null (lb_gguf_reader_find_tensor (r, "missing"));

  /* spot checks that do not go through lb_value_equal */
  {
    LbMeta *m = lb_gguf_reader_get_meta (r);
    const LbValue *v = lb_meta_lookup (m, "t.string.nul");
    guint64 u64;
    gint32 i32;

    g_assert_cmpuint (v->s.len, ==, 7);
    g_assert_cmpmem (v->s.data, 7, "ab\0cd\0e", 7);
    g_assert_cmpstr (lb_meta_get_string (m, "t.string.utf8"), ==, "Grüße, 世界 \xf0\x9f\x98\x80");
    g_assert_true (lb_meta_get_u64 (m, "t.u64", &u64, NULL));
    g_assert_cmpuint (u64, ==, G_MAXUINT64 - 1);
    g_assert_true (lb_meta_get_i32 (m, "t.i16", &i32, NULL));
    g_assert_cmpint (i32, ==, -32000);
    g_assert_cmpint (lb_meta_lookup (m, "t.i64")->i, ==, G_MININT64 + 1);
    v = lb_meta_lookup (m, "a.nested.strings");
    g_assert_cmpint (v->arr.elem_type, ==, LB_VALUE_ARRAY);
    g_assert_cmpuint (v->arr.values[0].arr.strings[1].len, ==, 3);
    g_assert_cmpuint (v->arr.values[1].arr.n, ==, 0);
    v = lb_meta_lookup (m, "a.i8");
    g_assert_cmpint (((const gint8 *) v->arr.data)[0], ==, -128);
    v = lb_meta_lookup (m, "a.f64");
    g_assert_cmpfloat (((const double *) v->arr.data)[0], ==, 1e300);
  }

  g_clear_pointer (&r, lb_gguf_reader_free);
  g_clear_pointer (&bytes, g_bytes_unref);
  lb_test_rmtree (dir);
}

static void
test_roundtrip_default (void)
{
  roundtrip (0, 1 << 20);
}

static void
test_roundtrip_align32 (void)
{
  roundtrip (32, 7);    /* data in odd-sized pieces */
}

static void
test_roundtrip_align64 (void)
{
  roundtrip (64, 1 << 20);
}

/* A file whose every byte is spelled out here, independently of the writer. */
static void
test_hand_encoded (void)
{
  static const guint8 expected[] = {
    'G', 'G', 'U', 'F', 3, 0, 0, 0,
    1, 0, 0, 0, 0, 0, 0, 0,                     /* 1 tensor */
    2, 0, 0, 0, 0, 0, 0, 0,                     /* 2 keys */
    1, 0, 0, 0, 0, 0, 0, 0, 'a',                /* key "a" */
    4, 0, 0, 0, 0x78, 0x56, 0x34, 0x12,         /* uint32 0x12345678 */
    1, 0, 0, 0, 0, 0, 0, 0, 'b',                /* key "b" */
    9, 0, 0, 0, 8, 0, 0, 0,                     /* array of string */
    2, 0, 0, 0, 0, 0, 0, 0,                     /* 2 strings */
    1, 0, 0, 0, 0, 0, 0, 0, 'x',
    0, 0, 0, 0, 0, 0, 0, 0,                     /* "" */
    1, 0, 0, 0, 0, 0, 0, 0, 't',                /* tensor "t" */
    2, 0, 0, 0,                                 /* 2 dims */
    2, 0, 0, 0, 0, 0, 0, 0,
    1, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0,                                 /* F32 */
    0, 0, 0, 0, 0, 0, 0, 0,                     /* offset 0 */
    0, 0, 0, 0,                                 /* 124 bytes so far: pad to 128 */
    0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0,            /* 1.0f, -2.0f */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  };
  g_autofree char *dir = lb_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "hand.gguf", NULL);
  g_autoptr (LbMeta) meta = lb_meta_new ();
  g_autoptr (LbGgufWriter) w = NULL;
  g_autofree char *contents = NULL;
  const char *strs[] = { "x", "" };
  const float data[] = { 1.0f, -2.0f };
  const gint64 ne[] = { 2, 1 };
  GError *error = NULL;
  gsize len;

  g_assert_cmpuint (sizeof expected, ==, 160);
  lb_meta_set_u32 (meta, "a", 0x12345678);
  lb_meta_set_strv (meta, "b", strs, 2);
  w = lb_gguf_writer_new (path, meta, &error);
  g_assert_no_error (error);
  g_assert_true (lb_gguf_writer_add_tensor_info (w, "t", LB_TYPE_F32, 2, ne, &error));
  g_assert_true (lb_gguf_writer_begin_data (w, &error));
  g_assert_true (lb_gguf_writer_write_tensor_data (w, data, sizeof data, &error));
  g_assert_true (lb_gguf_writer_finish (w, &error));
  g_assert_no_error (error);

  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  g_assert_cmpmem (contents, len, expected, sizeof expected);
  lb_test_rmtree (dir);
}

static void
test_metadata_only (void)
{
  g_autofree char *dir = lb_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "meta.gguf", NULL);
  g_autoptr (LbMeta) meta = make_all_types_meta ();
  g_autoptr (LbGgufWriter) w = NULL;
  g_autoptr (LbGgufReader) r = NULL;
  GError *error = NULL;

  w = lb_gguf_writer_new (path, meta, &error);
  g_assert_no_error (error);
  g_assert_true (lb_gguf_writer_finish (w, &error));
  g_assert_no_error (error);
  r = lb_gguf_reader_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (lb_gguf_reader_get_n_tensors (r), ==, 0);
  assert_meta_equal (meta, lb_gguf_reader_get_meta (r));
  lb_test_rmtree (dir);
}

/* Version 2 has the same layout as 3 (3 only added big-endian files). */
static void
test_version2 (void)
{
  g_autofree char *dir = lb_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "v.gguf", NULL);
  g_autoptr (LbMeta) meta = lb_meta_new ();
  g_autoptr (LbGgufWriter) w = NULL;
  g_autoptr (LbGgufReader) r = NULL;
  g_autoptr (GBytes) bytes = NULL;
  char *contents;
  GError *error = NULL;
  gsize len;

  lb_meta_set_string (meta, "general.name", "v2");
  w = lb_gguf_writer_new (path, meta, &error);
  g_assert_true (lb_gguf_writer_finish (w, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  contents[4] = 2;
  bytes = g_bytes_new_take (contents, len);
  r = lb_gguf_reader_open_bytes (bytes, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (lb_gguf_reader_get_version (r), ==, 2);
  g_assert_cmpstr (lb_meta_get_string (lb_gguf_reader_get_meta (r), "general.name"), ==, "v2");
  lb_test_rmtree (dir);
}

/* ---- files written by llama.cpp ----------------------------------------- */

static void
test_mini_qwen2 (void)
{
  g_autofree char *path = lb_test_shared_path ("models", "mini-qwen2", "mini-qwen2-f16.gguf", NULL);
  g_autoptr (LbGgufReader) r = NULL;
  g_autoptr (GBytes) bytes = NULL;
  const LbTensor *t;
  const LbValue *v;
  LbMeta *meta;
  GError *error = NULL;
  guint32 u32;
  float f;
  gboolean b;

  if (path == NULL)
    return;
  r = lb_gguf_reader_open (path, &error);
  g_assert_no_error (error);
  meta = lb_gguf_reader_get_meta (r);

  g_assert_cmpuint (lb_gguf_reader_get_version (r), ==, 3);
  g_assert_cmpuint (lb_gguf_reader_get_n_tensors (r), ==, 98);
  g_assert_cmpuint (lb_meta_get_n_keys (meta), ==, 23);
  g_assert_cmpuint (lb_gguf_reader_get_alignment (r), ==, 32);
  g_assert_cmpuint (lb_gguf_reader_get_file_size (r), ==, 14281824);

  g_assert_cmpstr (lb_meta_get_key (meta, 0), ==, "general.architecture");
  g_assert_cmpstr (lb_meta_get_string (meta, "general.architecture"), ==, "qwen2");
  g_assert_cmpstr (lb_meta_get_string (meta, "general.name"), ==, "Mini Qwen2");
  g_assert_true (lb_meta_get_u32 (meta, "qwen2.block_count", &u32, &error));
  g_assert_cmpuint (u32, ==, 8);
  g_assert_true (lb_meta_get_u32 (meta, "qwen2.attention.head_count_kv", &u32, &error));
  g_assert_cmpuint (u32, ==, 2);
  g_assert_true (lb_meta_get_f32 (meta, "qwen2.rope.freq_base", &f, &error));
  g_assert_cmpfloat (f, ==, 1e6f);
  g_assert_true (lb_meta_get_f32 (meta, "qwen2.attention.layer_norm_rms_epsilon", &f, &error));
  g_assert_cmpfloat (f, ==, 1e-6f);
  g_assert_true (lb_meta_get_bool (meta, "tokenizer.ggml.add_bos_token", &b, &error));
  g_assert_true (b);
  g_assert_no_error (error);

  v = lb_meta_lookup (meta, "tokenizer.ggml.tokens");
  g_assert_nonnull (v);
  g_assert_cmpint (v->type, ==, LB_VALUE_ARRAY);
  g_assert_cmpint (v->arr.elem_type, ==, LB_VALUE_STRING);
  g_assert_cmpuint (v->arr.n, ==, 4096);
  g_assert_cmpstr (v->arr.strings[0].data, ==, "<unk>");
  g_assert_cmpstr (v->arr.strings[3].data, ==, "<0x00>");
  v = lb_meta_lookup (meta, "tokenizer.ggml.token_type");
  g_assert_cmpint (v->arr.elem_type, ==, LB_VALUE_INT32);
  g_assert_cmpint (((const gint32 *) v->arr.data)[0], ==, 2);
  g_assert_cmpint (((const gint32 *) v->arr.data)[3], ==, 6);
  v = lb_meta_lookup (meta, "tokenizer.ggml.scores");
  g_assert_cmpint (v->arr.elem_type, ==, LB_VALUE_FLOAT32);
  g_assert_cmpuint (v->arr.n, ==, 4096);

  t = lb_gguf_reader_find_tensor (r, "token_embd.weight");
  g_assert_nonnull (t);
  g_assert_cmpint (t->type, ==, LB_TYPE_F16);
  g_assert_cmpuint (t->n_dims, ==, 2);
  g_assert_cmpint (t->ne[0], ==, 256);
  g_assert_cmpint (t->ne[1], ==, 4096);
  g_assert_cmpuint (t->n_bytes, ==, 256 * 4096 * 2);
  g_assert_true (lb_gguf_reader_get_tensor (r, 0) == t);
  t = lb_gguf_reader_find_tensor (r, "blk.0.ffn_down.weight");
  g_assert_cmpint (t->ne[0], ==, 768);
  g_assert_cmpint (t->ne[1], ==, 256);
  t = lb_gguf_reader_find_tensor (r, "blk.7.attn_k.bias");
  g_assert_cmpint (t->type, ==, LB_TYPE_F32);
  g_assert_cmpuint (t->n_dims, ==, 1);
  g_assert_cmpint (t->ne[0], ==, 64);
  g_assert_null (lb_gguf_reader_find_tensor (r, "output.weight"));   /* tied */
  /* token_embd is the first tensor: the data section starts with it */
  bytes = lb_gguf_reader_ref_bytes (r);
  g_assert_true (lb_gguf_reader_get_tensor (r, 0)->data
                 == (const guint8 *) g_bytes_get_data (bytes, NULL) + lb_gguf_reader_get_data_offset (r));
}

/* Type census of each file, as an independent GGUF dumper (Python, struct
 * module) read it from the files llama-quantize wrote. */
typedef struct {
  const char *file;
  guint32     file_type;   /* general.file_type: llama.cpp's LLAMA_FTYPE_* */
  guint       n_keys;
  struct { LbType type; guint count; } census[6];
} QuantFile;

static const QuantFile quant_files[] = {
  { "mini-Q8_0.gguf", 7, 23, { { LB_TYPE_F32, 41 }, { LB_TYPE_Q8_0, 57 } } },
  { "mini-Q6_K.gguf", 18, 23, { { LB_TYPE_F32, 41 }, { LB_TYPE_Q6_K, 57 } } },
  { "mini-Q4_K_M-imatrix.gguf", 15, 27,
    { { LB_TYPE_F32, 41 }, { LB_TYPE_Q4_K, 48 }, { LB_TYPE_Q6_K, 9 } } },
  { "mini-Q4_0.gguf", 2, 23, { { LB_TYPE_F32, 41 }, { LB_TYPE_Q4_0, 56 }, { LB_TYPE_Q6_K, 1 } } },
  { "mini-IQ4_NL.gguf", 25, 23,
    { { LB_TYPE_F32, 41 }, { LB_TYPE_IQ4_NL, 47 }, { LB_TYPE_Q5_K, 9 }, { LB_TYPE_Q6_K, 1 } } },
  { "mini-Q3_K_M-imatrix.gguf", 12, 27,
    { { LB_TYPE_F32, 41 }, { LB_TYPE_Q3_K, 32 }, { LB_TYPE_Q4_K, 22 }, { LB_TYPE_Q5_K, 2 },
      { LB_TYPE_Q6_K, 1 } } },
  { "mini-Q2_K-imatrix.gguf", 10, 27,
    { { LB_TYPE_F32, 41 }, { LB_TYPE_Q2_K, 32 }, { LB_TYPE_Q3_K, 16 }, { LB_TYPE_Q4_K, 8 },
      { LB_TYPE_Q6_K, 1 } } },
};

/* The data section is exactly the tensors, each padded to the alignment. */
static void
assert_tight_layout (LbGgufReader *r)
{
  gsize align = lb_gguf_reader_get_alignment (r);
  gsize end = lb_gguf_reader_get_data_offset (r);
  g_autoptr (GBytes) bytes = lb_gguf_reader_ref_bytes (r);
  const guint8 *base = g_bytes_get_data (bytes, NULL);

  for (guint i = 0; i < lb_gguf_reader_get_n_tensors (r); i++)
    {
      const LbTensor *t = lb_gguf_reader_get_tensor (r, i);
      g_assert_cmpuint ((gsize) (t->data - base), ==, end);
      end += (t->n_bytes + align - 1) / align * align;
    }
  g_assert_cmpuint (end, ==, lb_gguf_reader_get_file_size (r));
}

static void
test_llamacpp_quants (void)
{
  g_autofree char *f16_path = lb_test_shared_path ("models", "mini-qwen2", "mini-qwen2-f16.gguf", NULL);
  g_autoptr (LbGgufReader) f16 = NULL;
  GError *error = NULL;

  if (f16_path == NULL)
    return;
  f16 = lb_gguf_reader_open (f16_path, &error);
  g_assert_no_error (error);
  assert_tight_layout (f16);

  for (guint q = 0; q < G_N_ELEMENTS (quant_files); q++)
    {
      const QuantFile *qf = &quant_files[q];
      g_autofree char *path = lb_test_shared_path ("models", "llamacpp-quants", qf->file, NULL);
      g_autoptr (LbGgufReader) r = NULL;
      guint counts[LB_TYPE_COUNT] = { 0 };
      guint32 ftype = 0;

      if (path == NULL)
        return;
      g_test_message ("%s", qf->file);
      r = lb_gguf_reader_open (path, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (lb_meta_get_n_keys (lb_gguf_reader_get_meta (r)), ==, qf->n_keys);
      g_assert_true (lb_meta_get_u32 (lb_gguf_reader_get_meta (r), "general.file_type", &ftype, &error));
      g_assert_cmpuint (ftype, ==, qf->file_type);
      g_assert_cmpuint (lb_gguf_reader_get_n_tensors (r), ==, 98);
      assert_tight_layout (r);

      for (guint i = 0; i < lb_gguf_reader_get_n_tensors (r); i++)
        {
          const LbTensor *t = lb_gguf_reader_get_tensor (r, i);
          const LbTensor *orig = lb_gguf_reader_find_tensor (f16, t->name);

          counts[t->type]++;
          /* same tensors and shapes as the model it was quantized from */
          g_assert_nonnull (orig);
          g_assert_cmpuint (t->n_dims, ==, orig->n_dims);
          for (guint d = 0; d < 4; d++)
            g_assert_cmpint (t->ne[d], ==, orig->ne[d]);
          g_assert_cmpuint (t->n_bytes, ==, lb_type_row_size (t->type, t->ne[0]) * lb_tensor_n_rows (t));
          /* norms and biases stay F32 */
          if (t->n_dims == 1)
            g_assert_cmpint (t->type, ==, LB_TYPE_F32);
        }
      for (guint c = 0; c < G_N_ELEMENTS (qf->census) && qf->census[c].count > 0; c++)
        {
          g_assert_cmpuint (counts[qf->census[c].type], ==, qf->census[c].count);
          counts[qf->census[c].type] = 0;
        }
      for (guint t = 0; t < LB_TYPE_COUNT; t++)
        g_assert_cmpuint (counts[t], ==, 0);   /* no type outside the census */
    }
}

static void
test_llamacpp_imatrix (void)
{
  g_autofree char *path = lb_test_shared_path ("models", "llamacpp-quants",
                                               "imatrix-wikitext2-valid.gguf", NULL);
  g_autoptr (LbGgufReader) r = NULL;
  GError *error = NULL;
  guint n_sum2 = 0, n_counts = 0;
  guint32 u32;
  LbMeta *meta;

  if (path == NULL)
    return;
  r = lb_gguf_reader_open (path, &error);
  g_assert_no_error (error);
  meta = lb_gguf_reader_get_meta (r);
  g_assert_cmpuint (lb_meta_get_n_keys (meta), ==, 4);
  g_assert_cmpstr (lb_meta_get_string (meta, "general.type"), ==, "imatrix");
  g_assert_true (lb_meta_get_u32 (meta, "imatrix.chunk_count", &u32, &error));
  g_assert_cmpuint (u32, ==, 706);
  g_assert_cmpuint (lb_meta_lookup (meta, "imatrix.datasets")->arr.n, ==, 1);
  g_assert_cmpuint (lb_gguf_reader_get_n_tensors (r), ==, 112);
  for (guint i = 0; i < lb_gguf_reader_get_n_tensors (r); i++)
    {
      const LbTensor *t = lb_gguf_reader_get_tensor (r, i);

      g_assert_cmpint (t->type, ==, LB_TYPE_F32);
      n_sum2 += g_str_has_suffix (t->name, ".in_sum2");
      n_counts += g_str_has_suffix (t->name, ".counts");
    }
  g_assert_cmpuint (n_sum2, ==, 56);
  g_assert_cmpuint (n_counts, ==, 56);
  assert_tight_layout (r);
}

/* Reads src and writes it again: same metadata, same tensor order. */
static void
rewrite (const char *src, const char *dst)
{
  g_autoptr (LbGgufReader) r = NULL;
  g_autoptr (LbGgufWriter) w = NULL;
  GError *error = NULL;

  r = lb_gguf_reader_open (src, &error);
  g_assert_no_error (error);
  w = lb_gguf_writer_new (dst, lb_gguf_reader_get_meta (r), &error);
  g_assert_no_error (error);
  for (guint i = 0; i < lb_gguf_reader_get_n_tensors (r); i++)
    {
      const LbTensor *t = lb_gguf_reader_get_tensor (r, i);
      g_assert_true (lb_gguf_writer_add_tensor_info (w, t->name, t->type, t->n_dims, t->ne, &error));
    }
  g_assert_true (lb_gguf_writer_begin_data (w, &error));
  for (guint i = 0; i < lb_gguf_reader_get_n_tensors (r); i++)
    {
      const LbTensor *t = lb_gguf_reader_get_tensor (r, i);
      g_assert_true (lb_gguf_writer_write_tensor_data (w, t->data, t->n_bytes, &error));
    }
  g_assert_true (lb_gguf_writer_finish (w, &error));
  g_assert_no_error (error);
}

static void
assert_files_identical (const char *a, const char *b)
{
  g_autoptr (GMappedFile) ma = g_mapped_file_new (a, FALSE, NULL);
  g_autoptr (GMappedFile) mb = g_mapped_file_new (b, FALSE, NULL);
  gsize len;

  g_assert_nonnull (ma);
  g_assert_nonnull (mb);
  len = g_mapped_file_get_length (ma);
  g_assert_cmpuint (len, ==, g_mapped_file_get_length (mb));
  for (gsize i = 0; i < len; i++)
    if (g_mapped_file_get_contents (ma)[i] != g_mapped_file_get_contents (mb)[i])
      g_error ("%s and %s differ first at byte %" G_GSIZE_FORMAT, a, b, i);
}

/* llama.cpp lays files out exactly as this writer does (infos in data
 * order, each tensor padded to the alignment, the last one too), so a
 * re-write is byte-identical: checked for the converter's f16 file and for
 * every quantizer output. */
static void
test_rewrite_identical (void)
{
  g_autofree char *dir = lb_test_make_tmpdir ();
  g_autofree char *out = g_build_filename (dir, "out.gguf", NULL);
  const char *files[G_N_ELEMENTS (quant_files) + 2];
  g_autofree char *f16 = lb_test_shared_path ("models", "mini-qwen2", "mini-qwen2-f16.gguf", NULL);

  if (f16 == NULL)
    return;
  files[0] = "imatrix-wikitext2-valid.gguf";
  for (guint i = 0; i < G_N_ELEMENTS (quant_files); i++)
    files[i + 1] = quant_files[i].file;
  files[G_N_ELEMENTS (files) - 1] = NULL;

  rewrite (f16, out);
  assert_files_identical (f16, out);
  for (guint i = 0; files[i] != NULL; i++)
    {
      g_autofree char *src = lb_test_shared_path ("models", "llamacpp-quants", files[i], NULL);
      if (src == NULL)
        return;
      rewrite (src, out);   /* replaces the previous output */
      assert_files_identical (src, out);
    }
  g_assert_cmpuint (dir_n_entries (dir), ==, 1);
  lb_test_rmtree (dir);
}

static void
test_views_outlive_reader (void)
{
  g_autofree char *path = lb_test_shared_path ("models", "mini-qwen2", "mini-qwen2-f16.gguf", NULL);
  g_autoptr (LbGgufReader) r = NULL;
  GBytes *bytes;
  const guint8 *data;
  guint16 first;
  GError *error = NULL;

  if (path == NULL)
    return;
  r = lb_gguf_reader_open (path, &error);
  g_assert_no_error (error);
  data = lb_gguf_reader_find_tensor (r, "token_embd.weight")->data;
  memcpy (&first, data, 2);
  bytes = lb_gguf_reader_ref_bytes (r);
  g_clear_pointer (&r, lb_gguf_reader_free);
  /* still mapped: the bytes ref keeps it */
  g_assert_cmpmem (data, 2, &first, 2);
  g_bytes_unref (bytes);
}

/* ---- writer and reader errors ------------------------------------------- */

static LbGgufWriter *
start_small (const char *path, LbMeta *meta)
{
  GError *error = NULL;
  LbGgufWriter *w = lb_gguf_writer_new (path, meta, &error);
  const gint64 ne_a[] = { 64, 2 };
  const gint64 ne_b[] = { 16 };

  g_assert_no_error (error);
  g_assert_true (lb_gguf_writer_add_tensor_info (w, "a", LB_TYPE_Q8_0, 2, ne_a, &error));
  g_assert_true (lb_gguf_writer_add_tensor_info (w, "b", LB_TYPE_F32, 1, ne_b, &error));
  g_assert_no_error (error);
  return w;
}

static void
test_writer_abort (void)
{
  g_autofree char *dir = lb_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "x.gguf", NULL);
  g_autoptr (LbMeta) meta = lb_meta_new ();
  guint8 buf[136] = { 0 };
  LbGgufWriter *w;
  GError *error = NULL;

  /* abort after some data */
  w = start_small (path, meta);
  g_assert_cmpuint (dir_n_entries (dir), ==, 1);   /* the temporary file */
  g_assert_true (lb_gguf_writer_begin_data (w, &error));
  g_assert_true (lb_gguf_writer_write_tensor_data (w, buf, 100, &error));
  g_assert_no_error (error);
  lb_gguf_writer_abort (w);
  g_assert_cmpuint (dir_n_entries (dir), ==, 0);
  g_assert_false (lb_gguf_writer_finish (w, &error));   /* nothing to finish */
  g_assert_error (error, LB_ERROR, LB_ERROR_FAILED);
  g_clear_error (&error);
  lb_gguf_writer_free (w);
  g_assert_cmpuint (dir_n_entries (dir), ==, 0);

  /* freed without finishing */
  w = start_small (path, meta);
  lb_gguf_writer_free (w);
  g_assert_cmpuint (dir_n_entries (dir), ==, 0);

  /* an existing file is kept when the new one is aborted */
  g_assert_true (g_file_set_contents (path, "old", 3, NULL));
  w = start_small (path, meta);
  g_assert_true (lb_gguf_writer_begin_data (w, &error));
  lb_gguf_writer_abort (w);
  lb_gguf_writer_free (w);
  g_assert_cmpuint (dir_n_entries (dir), ==, 1);
  {
    g_autofree char *c = NULL;
    g_assert_true (g_file_get_contents (path, &c, NULL, NULL));
    g_assert_cmpstr (c, ==, "old");
  }
  lb_test_rmtree (dir);
}

static void
test_writer_missing_dir (void)
{
  g_autofree char *dir = lb_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "no", "such", "dir", "x.gguf", NULL);
  g_autoptr (LbMeta) meta = lb_meta_new ();
  GError *error = NULL;
  LbGgufWriter *w;

  w = lb_gguf_writer_new (path, meta, &error);
  g_assert_null (w);
  g_assert_error (error, LB_ERROR, LB_ERROR_IO);
  assert_error_mentions (error, path);
  assert_error_mentions (error, "does not exist");
  g_clear_error (&error);
  g_assert_cmpuint (dir_n_entries (dir), ==, 0);
  lb_test_rmtree (dir);
}

static void
test_writer_wrong_size (void)
{
  g_autofree char *dir = lb_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "x.gguf", NULL);
  g_autoptr (LbMeta) meta = lb_meta_new ();
  guint8 buf[256] = { 0 };
  LbGgufWriter *w;
  GError *error = NULL;

  /* too many bytes for tensor a (68 bytes of Q8_0 per row, 136 in all) */
  w = start_small (path, meta);
  g_assert_true (lb_gguf_writer_begin_data (w, &error));
  g_assert_true (lb_gguf_writer_write_tensor_data (w, buf, 100, &error));
  g_assert_false (lb_gguf_writer_write_tensor_data (w, buf, 100, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  assert_error_mentions (error, "tensor a");
  g_clear_error (&error);
  g_assert_cmpuint (dir_n_entries (dir), ==, 0);
  g_assert_false (lb_gguf_writer_write_tensor_data (w, buf, 1, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  lb_gguf_writer_free (w);

  /* too few bytes for tensor b */
  w = start_small (path, meta);
  g_assert_true (lb_gguf_writer_begin_data (w, &error));
  g_assert_true (lb_gguf_writer_write_tensor_data (w, buf, 136, &error));
  g_assert_true (lb_gguf_writer_write_tensor_data (w, buf, 60, &error));
  g_assert_false (lb_gguf_writer_finish (w, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  assert_error_mentions (error, "tensor b");
  assert_error_mentions (error, "60 of its 64 bytes");
  g_clear_error (&error);
  lb_gguf_writer_free (w);
  g_assert_cmpuint (dir_n_entries (dir), ==, 0);

  /* bytes after the last tensor */
  w = start_small (path, meta);
  g_assert_true (lb_gguf_writer_begin_data (w, &error));
  g_assert_true (lb_gguf_writer_write_tensor_data (w, buf, 136, &error));
  g_assert_true (lb_gguf_writer_write_tensor_data (w, buf, 64, &error));
  g_assert_true (lb_gguf_writer_write_tensor_data (w, buf, 0, &error));
  g_assert_false (lb_gguf_writer_write_tensor_data (w, buf, 1, &error));
  assert_error_mentions (error, "beyond the last tensor");
  g_clear_error (&error);
  lb_gguf_writer_free (w);
  g_assert_cmpuint (dir_n_entries (dir), ==, 0);

  /* data before begin_data, infos after it */
  w = start_small (path, meta);
  g_assert_false (lb_gguf_writer_write_tensor_data (w, buf, 1, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_FAILED);
  g_clear_error (&error);
  g_assert_true (lb_gguf_writer_begin_data (w, &error));
  {
    const gint64 ne[] = { 4 };
    g_assert_false (lb_gguf_writer_add_tensor_info (w, "c", LB_TYPE_F32, 1, ne, &error));
    g_assert_error (error, LB_ERROR, LB_ERROR_FAILED);
    g_clear_error (&error);
  }
  lb_gguf_writer_free (w);
  g_assert_cmpuint (dir_n_entries (dir), ==, 0);
  lb_test_rmtree (dir);
}

static void
test_writer_bad_args (void)
{
  g_autofree char *dir = lb_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "x.gguf", NULL);
  g_autoptr (LbMeta) meta = lb_meta_new ();
  LbGgufWriter *w;
  GError *error = NULL;
  const gint64 ok[] = { 32, 2 };
  const gint64 zero[] = { 32, 0 };
  const gint64 odd[] = { 33, 2 };
  const gint64 huge[] = { G_MAXINT64 / 2, 4 };

  w = lb_gguf_writer_new (path, meta, &error);
  g_assert_no_error (error);
  g_assert_true (lb_gguf_writer_add_tensor_info (w, "t", LB_TYPE_Q4_0, 2, ok, &error));
  g_assert_false (lb_gguf_writer_add_tensor_info (w, "t", LB_TYPE_Q4_0, 2, ok, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  assert_error_mentions (error, "duplicate");
  g_clear_error (&error);
  g_assert_false (lb_gguf_writer_add_tensor_info (w, "z", LB_TYPE_F32, 2, zero, &error));
  assert_error_mentions (error, "dimension 1");
  g_clear_error (&error);
  g_assert_false (lb_gguf_writer_add_tensor_info (w, "o", LB_TYPE_Q4_0, 2, odd, &error));
  assert_error_mentions (error, "block size 32");
  g_clear_error (&error);
  g_assert_false (lb_gguf_writer_add_tensor_info (w, "h", LB_TYPE_F32, 2, huge, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (lb_gguf_writer_add_tensor_info (w, "d", LB_TYPE_F32, 5, ok, &error));
  g_clear_error (&error);
  g_assert_false (lb_gguf_writer_add_tensor_info (w, "u", (LbType) 4, 2, ok, &error));
  assert_error_mentions (error, "unknown type");
  g_clear_error (&error);
  lb_gguf_writer_free (w);

  /* general.alignment must be a uint32 power of two */
  lb_meta_set_u32 (meta, "general.alignment", 48);
  g_assert_null (lb_gguf_writer_new (path, meta, &error));
  assert_error_mentions (error, "general.alignment");
  g_clear_error (&error);
  lb_meta_set_u64 (meta, "general.alignment", 64);
  g_assert_null (lb_gguf_writer_new (path, meta, &error));
  assert_error_mentions (error, "general.alignment");
  g_clear_error (&error);
  g_assert_cmpuint (dir_n_entries (dir), ==, 0);
  lb_test_rmtree (dir);
}

/* A full disk, as a file size limit: writes fail with EFBIG. */
static void
test_writer_write_error (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;

  if (!g_test_subprocess () && !lb_test_can_trap_subprocess ())
    return;
  if (g_test_subprocess ())
    {
      g_autoptr (LbMeta) meta = lb_meta_new ();
      g_autofree guint8 *buf = g_malloc0 (1 << 20);
      const char *target = g_getenv ("LB_TEST_TARGET");
      struct rlimit lim = { 256 << 10, 256 << 10 };
      const gint64 ne[] = { 1 << 18, 8 };
      LbGgufWriter *w;
      GError *error = NULL;
      gboolean ok = TRUE;

      signal (SIGXFSZ, SIG_IGN);
      g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &lim), ==, 0);
      w = lb_gguf_writer_new (target, meta, &error);
      g_assert_no_error (error);
      g_assert_true (lb_gguf_writer_add_tensor_info (w, "t", LB_TYPE_F32, 2, ne, &error));
      g_assert_true (lb_gguf_writer_begin_data (w, &error));
      for (guint i = 0; i < 8 && ok; i++)
        ok = lb_gguf_writer_write_tensor_data (w, buf, 1 << 20, &error);
      if (ok)
        ok = lb_gguf_writer_finish (w, &error);
      g_assert_false (ok);
      g_assert_error (error, LB_ERROR, LB_ERROR_IO);
      assert_error_mentions (error, target);
      g_printerr ("%s\n", error->message);
      g_clear_error (&error);
      lb_gguf_writer_free (w);
      return;
    }

  dir = lb_test_make_tmpdir ();
  path = g_build_filename (dir, "big.gguf", NULL);
  g_setenv ("LB_TEST_TARGET", path, TRUE);
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDOUT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr ("*cannot write*big.gguf*");
  g_assert_cmpuint (dir_n_entries (dir), ==, 0);
  lb_test_rmtree (dir);
}

static void
test_reader_open_errors (void)
{
  g_autofree char *dir = lb_test_make_tmpdir ();
  g_autofree char *missing = g_build_filename (dir, "missing.gguf", NULL);
  g_autofree char *empty = g_build_filename (dir, "empty.gguf", NULL);
  GError *error = NULL;

  g_assert_null (lb_gguf_reader_open (missing, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_IO);
  assert_error_mentions (error, missing);
  g_clear_error (&error);

  g_assert_null (lb_gguf_reader_open (dir, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_IO);
  assert_error_mentions (error, dir);
  g_clear_error (&error);

  g_assert_true (g_file_set_contents (empty, "", 0, NULL));
  g_assert_null (lb_gguf_reader_open (empty, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_FILE);
  assert_error_mentions (error, empty);
  assert_error_mentions (error, "too short");
  g_clear_error (&error);
  lb_test_rmtree (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/lowbit/gguf/roundtrip-default", test_roundtrip_default);
  g_test_add_func ("/lowbit/gguf/roundtrip-align32", test_roundtrip_align32);
  g_test_add_func ("/lowbit/gguf/roundtrip-align64", test_roundtrip_align64);
  g_test_add_func ("/lowbit/gguf/hand-encoded", test_hand_encoded);
  g_test_add_func ("/lowbit/gguf/metadata-only", test_metadata_only);
  g_test_add_func ("/lowbit/gguf/version2", test_version2);
  g_test_add_func ("/lowbit/gguf/mini-qwen2", test_mini_qwen2);
  g_test_add_func ("/lowbit/gguf/llamacpp-quants", test_llamacpp_quants);
  g_test_add_func ("/lowbit/gguf/llamacpp-imatrix", test_llamacpp_imatrix);
  g_test_add_func ("/lowbit/gguf/rewrite-identical", test_rewrite_identical);
  g_test_add_func ("/lowbit/gguf/views-outlive-reader", test_views_outlive_reader);
  g_test_add_func ("/lowbit/gguf/writer-abort", test_writer_abort);
  g_test_add_func ("/lowbit/gguf/writer-missing-dir", test_writer_missing_dir);
  g_test_add_func ("/lowbit/gguf/writer-wrong-size", test_writer_wrong_size);
  g_test_add_func ("/lowbit/gguf/writer-bad-args", test_writer_bad_args);
  g_test_add_func ("/lowbit/gguf/writer-write-error", test_writer_write_error);
  g_test_add_func ("/lowbit/gguf/reader-open-errors", test_reader_open_errors);
  return g_test_run ();
}
