/* test-meta.c: the LbMeta key/value store and LbValue */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "lowbit.h"
#include "lb-test-util.h"

static void
test_set_get (void)
{
  g_autoptr (LbMeta) meta = lb_meta_new ();
  guint32 u32 = 0;
  gint32 i32 = 0;
  guint64 u64 = 0;
  float f = 0;
  gboolean b = FALSE;
  GError *error = NULL;

  lb_meta_set_string (meta, "general.architecture", "qwen2");
  lb_meta_set_u32 (meta, "qwen2.block_count", 8);
  lb_meta_set_i32 (meta, "neg", -5);
  lb_meta_set_u64 (meta, "big", G_GUINT64_CONSTANT (1) << 40);
  lb_meta_set_f32 (meta, "eps", 1e-6f);
  lb_meta_set_bool (meta, "flag", TRUE);

  g_assert_cmpuint (lb_meta_get_n_keys (meta), ==, 6);
  g_assert_cmpstr (lb_meta_get_key (meta, 0), ==, "general.architecture");
  g_assert_cmpstr (lb_meta_get_key (meta, 5), ==, "flag");
  g_assert_cmpstr (lb_meta_get_string (meta, "general.architecture"), ==, "qwen2");
  g_assert_null (lb_meta_get_string (meta, "qwen2.block_count"));
  g_assert_null (lb_meta_get_string (meta, "nope"));

  g_assert_true (lb_meta_get_u32 (meta, "qwen2.block_count", &u32, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (u32, ==, 8);
  g_assert_true (lb_meta_get_i32 (meta, "neg", &i32, &error));
  g_assert_cmpint (i32, ==, -5);
  g_assert_true (lb_meta_get_u64 (meta, "big", &u64, &error));
  g_assert_cmpuint (u64, ==, G_GUINT64_CONSTANT (1) << 40);
  g_assert_true (lb_meta_get_f32 (meta, "eps", &f, &error));
  g_assert_cmpfloat (f, ==, 1e-6f);
  g_assert_true (lb_meta_get_bool (meta, "flag", &b, &error));
  g_assert_true (b);
  g_assert_no_error (error);

  g_assert_true (lb_meta_contains (meta, "eps"));
  g_assert_false (lb_meta_contains (meta, "eps2"));

  /* missing: FALSE without an error */
  g_assert_false (lb_meta_get_u32 (meta, "missing", &u32, &error));
  g_assert_no_error (error);
  g_assert_false (lb_meta_get_f32 (meta, "missing", &f, &error));
  g_assert_no_error (error);
  g_assert_false (lb_meta_get_bool (meta, "missing", &b, &error));
  g_assert_no_error (error);

  /* required and missing: an error naming the key */
  g_assert_false (lb_meta_require_u32 (meta, "qwen2.embedding_length", &u32, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_FILE);
  g_assert_nonnull (strstr (error->message, "qwen2.embedding_length"));
  g_clear_error (&error);
  g_assert_false (lb_meta_require_f32 (meta, "qwen2.rope.freq_base", &f, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_FILE);
  g_assert_nonnull (strstr (error->message, "qwen2.rope.freq_base"));
  g_clear_error (&error);
  g_assert_true (lb_meta_require_u32 (meta, "qwen2.block_count", &u32, &error));
  g_assert_true (lb_meta_require_f32 (meta, "eps", &f, &error));
  g_assert_no_error (error);
}

static void
take_int (LbMeta *meta, const char *key, LbValueType t, gint64 i)
{
  LbValue v = { .type = t };

  if (t == LB_VALUE_INT8 || t == LB_VALUE_INT16 || t == LB_VALUE_INT32 || t == LB_VALUE_INT64)
    v.i = i;
  else
    v.u = (guint64) i;
  lb_meta_take_value (meta, key, &v);
}

static void
test_conversions (void)
{
  g_autoptr (LbMeta) meta = lb_meta_new ();
  guint32 u32 = 0;
  gint32 i32 = 0;
  guint64 u64 = 0;
  float f = 0;
  GError *error = NULL;
  LbValue v;

  take_int (meta, "u8", LB_VALUE_UINT8, 200);
  take_int (meta, "i8", LB_VALUE_INT8, -100);
  take_int (meta, "u16", LB_VALUE_UINT16, 60000);
  take_int (meta, "i16", LB_VALUE_INT16, 30000);
  take_int (meta, "i64pos", LB_VALUE_INT64, 123456);
  lb_meta_set_u64 (meta, "u64small", 7);

  /* every integer width that fits converts */
  g_assert_true (lb_meta_get_u32 (meta, "u8", &u32, &error));
  g_assert_cmpuint (u32, ==, 200);
  g_assert_true (lb_meta_get_i32 (meta, "i8", &i32, &error));
  g_assert_cmpint (i32, ==, -100);
  g_assert_true (lb_meta_get_u32 (meta, "u16", &u32, &error));
  g_assert_cmpuint (u32, ==, 60000);
  g_assert_true (lb_meta_get_u64 (meta, "i16", &u64, &error));
  g_assert_cmpuint (u64, ==, 30000);
  g_assert_true (lb_meta_get_u32 (meta, "i64pos", &u32, &error));
  g_assert_cmpuint (u32, ==, 123456);
  g_assert_true (lb_meta_get_i32 (meta, "u64small", &i32, &error));
  g_assert_cmpint (i32, ==, 7);
  g_assert_true (lb_meta_get_f32 (meta, "u16", &f, &error));
  g_assert_cmpfloat (f, ==, 60000.0f);
  g_assert_no_error (error);

  /* float64 to float32 */
  v = (LbValue) { .type = LB_VALUE_FLOAT64, .f = 0.25 };
  lb_meta_take_value (meta, "f64", &v);
  g_assert_true (lb_meta_get_f32 (meta, "f64", &f, &error));
  g_assert_cmpfloat (f, ==, 0.25f);
  g_assert_no_error (error);
}

static void
check_error (GError **error, const char *key)
{
  g_assert_error (*error, LB_ERROR, LB_ERROR_INVALID_FILE);
  if (strstr ((*error)->message, key) == NULL)
    g_error ("error \"%s\" does not name key %s", (*error)->message, key);
  g_clear_error (error);
}

static void
test_range_errors (void)
{
  g_autoptr (LbMeta) meta = lb_meta_new ();
  guint32 u32 = 42;
  gint32 i32 = 42;
  guint64 u64 = 42;
  float f = 42;
  gboolean b = FALSE;
  GError *error = NULL;
  LbValue v;

  take_int (meta, "neg.i8", LB_VALUE_INT8, -1);
  lb_meta_set_u64 (meta, "huge.u64", G_GUINT64_CONSTANT (1) << 32);
  lb_meta_set_u32 (meta, "big.u32", G_MAXUINT32);
  take_int (meta, "small.i64", LB_VALUE_INT64, G_MININT32 - G_GINT64_CONSTANT (1));
  lb_meta_set_string (meta, "a.string", "x");
  lb_meta_set_u32 (meta, "an.int", 1);
  v = (LbValue) { .type = LB_VALUE_FLOAT64, .f = 1e300 };
  lb_meta_take_value (meta, "huge.f64", &v);

  g_assert_false (lb_meta_get_u32 (meta, "neg.i8", &u32, &error));
  check_error (&error, "neg.i8");
  g_assert_false (lb_meta_get_u64 (meta, "neg.i8", &u64, &error));
  check_error (&error, "neg.i8");
  g_assert_false (lb_meta_get_u32 (meta, "huge.u64", &u32, &error));
  check_error (&error, "huge.u64");
  g_assert_false (lb_meta_get_i32 (meta, "big.u32", &i32, &error));
  check_error (&error, "big.u32");
  g_assert_false (lb_meta_get_i32 (meta, "small.i64", &i32, &error));
  check_error (&error, "small.i64");
  g_assert_false (lb_meta_get_u32 (meta, "a.string", &u32, &error));
  check_error (&error, "a.string");
  g_assert_false (lb_meta_get_f32 (meta, "a.string", &f, &error));
  check_error (&error, "a.string");
  g_assert_false (lb_meta_get_bool (meta, "an.int", &b, &error));
  check_error (&error, "an.int");
  g_assert_false (lb_meta_get_f32 (meta, "huge.f64", &f, &error));
  check_error (&error, "huge.f64");
  g_assert_false (lb_meta_require_u32 (meta, "a.string", &u32, &error));
  check_error (&error, "a.string");

  /* outputs untouched on failure */
  g_assert_cmpuint (u32, ==, 42);
  g_assert_cmpint (i32, ==, 42);
  g_assert_cmpuint (u64, ==, 42);
  g_assert_cmpfloat (f, ==, 42);

  /* the limits themselves fit */
  g_assert_true (lb_meta_get_u32 (meta, "big.u32", &u32, &error));
  g_assert_cmpuint (u32, ==, G_MAXUINT32);
  g_assert_no_error (error);
}

static void
test_replace_order (void)
{
  g_autoptr (LbMeta) meta = lb_meta_new ();
  guint32 u32 = 0;

  lb_meta_set_u32 (meta, "a", 1);
  lb_meta_set_u32 (meta, "b", 2);
  lb_meta_set_u32 (meta, "c", 3);

  /* replacing keeps the position, even with another type */
  lb_meta_set_string (meta, "b", "two");
  g_assert_cmpuint (lb_meta_get_n_keys (meta), ==, 3);
  g_assert_cmpstr (lb_meta_get_key (meta, 1), ==, "b");
  g_assert_cmpint (lb_meta_get_value (meta, 1)->type, ==, LB_VALUE_STRING);
  g_assert_cmpstr (lb_meta_get_string (meta, "b"), ==, "two");

  /* removing moves the later keys up; appending goes last */
  g_assert_true (lb_meta_remove (meta, "a"));
  g_assert_false (lb_meta_remove (meta, "a"));
  g_assert_cmpuint (lb_meta_get_n_keys (meta), ==, 2);
  g_assert_cmpstr (lb_meta_get_key (meta, 0), ==, "b");
  g_assert_cmpstr (lb_meta_get_key (meta, 1), ==, "c");
  lb_meta_set_u32 (meta, "a", 10);
  g_assert_cmpstr (lb_meta_get_key (meta, 2), ==, "a");
  g_assert_true (lb_meta_get_u32 (meta, "a", &u32, NULL));
  g_assert_cmpuint (u32, ==, 10);
  g_assert_true (lb_meta_get_u32 (meta, "c", &u32, NULL));
  g_assert_cmpuint (u32, ==, 3);
  g_assert_null (lb_meta_lookup (meta, "d"));
}

/* [[ "x", "" ], [], [ "a\0b" ]] as an array of arrays of strings */
static void
make_nested (LbValue *out)
{
  LbValue *inner;

  *out = (LbValue) { .type = LB_VALUE_ARRAY };
  out->arr.elem_type = LB_VALUE_ARRAY;
  out->arr.n = 3;
  out->arr.values = inner = g_new0 (LbValue, 3);
  for (guint i = 0; i < 3; i++)
    {
      inner[i].type = LB_VALUE_ARRAY;
      inner[i].arr.elem_type = LB_VALUE_STRING;
    }
  inner[0].arr.n = 2;
  inner[0].arr.strings = g_new0 (LbBytes, 2);
  inner[0].arr.strings[0] = (LbBytes) { g_strdup ("x"), 1 };
  inner[0].arr.strings[1] = (LbBytes) { g_strdup (""), 0 };
  inner[2].arr.n = 1;
  inner[2].arr.strings = g_new0 (LbBytes, 1);
  inner[2].arr.strings[0] = (LbBytes) { g_memdup2 ("a\0b", 4), 3 };
}

static void
test_copy_equal (void)
{
  g_autoptr (LbMeta) meta = lb_meta_new ();
  g_autoptr (LbMeta) copy = NULL;
  const char *toks[] = { "<unk>", "hello", "世界" };
  const gint32 ints[] = { 1, -2, 3 };
  const double dbl[] = { 0.5, -1.0 };
  LbValue nested, other;

  lb_meta_set_strv (meta, "tokens", toks, 3);
  lb_meta_set_array (meta, "ints", LB_VALUE_INT32, ints, 3);
  lb_meta_set_array (meta, "doubles", LB_VALUE_FLOAT64, dbl, 2);
  lb_meta_set_array (meta, "empty", LB_VALUE_UINT8, NULL, 0);
  make_nested (&nested);
  lb_meta_take_value (meta, "nested", &nested);
  g_assert_cmpint (nested.type, ==, 0);   /* stolen: cleared */
  lb_meta_set_f32 (meta, "nan", NAN);

  copy = lb_meta_copy (meta);
  g_assert_cmpuint (lb_meta_get_n_keys (copy), ==, lb_meta_get_n_keys (meta));
  for (guint i = 0; i < lb_meta_get_n_keys (meta); i++)
    {
      g_assert_cmpstr (lb_meta_get_key (copy, i), ==, lb_meta_get_key (meta, i));
      g_assert_true (lb_value_equal (lb_meta_get_value (copy, i), lb_meta_get_value (meta, i)));
      /* a deep copy: no shared pointers */
      if (lb_meta_get_value (meta, i)->type == LB_VALUE_ARRAY && lb_meta_get_value (meta, i)->arr.n > 0)
        g_assert_true (lb_meta_get_value (copy, i)->arr.data != lb_meta_get_value (meta, i)->arr.data);
    }

  /* the copy lives on after the original is gone */
  g_clear_pointer (&meta, lb_meta_unref);
  {
    const LbValue *v = lb_meta_lookup (copy, "tokens");
    g_assert_cmpuint (v->arr.n, ==, 3);
    g_assert_cmpstr (v->arr.strings[2].data, ==, "世界");
    g_assert_cmpuint (v->arr.strings[2].len, ==, strlen ("世界"));
    v = lb_meta_lookup (copy, "nested");
    g_assert_cmpuint (v->arr.n, ==, 3);
    g_assert_cmpuint (v->arr.values[1].arr.n, ==, 0);
    g_assert_cmpuint (v->arr.values[2].arr.strings[0].len, ==, 3);
    g_assert_cmpmem (v->arr.values[2].arr.strings[0].data, 3, "a\0b", 3);
    v = lb_meta_lookup (copy, "ints");
    g_assert_cmpint (((const gint32 *) v->arr.data)[1], ==, -2);
  }

  /* inequality: element, type, length, nested depth */
  make_nested (&nested);
  lb_value_copy (&nested, &other);
  g_assert_true (lb_value_equal (&nested, &other));
  other.arr.values[2].arr.strings[0].data[2] = 'c';
  g_assert_false (lb_value_equal (&nested, &other));
  other.arr.values[2].arr.strings[0].data[2] = 'b';
  g_assert_true (lb_value_equal (&nested, &other));
  other.arr.values[0].arr.n = 1;   /* shorter (the leaked tail is freed below) */
  g_assert_false (lb_value_equal (&nested, &other));
  other.arr.values[0].arr.n = 2;
  lb_value_clear (&other);
  lb_value_clear (&nested);

  {
    LbValue a = { .type = LB_VALUE_UINT32, .u = 5 };
    LbValue c = { .type = LB_VALUE_INT32, .i = 5 };
    LbValue d = { .type = LB_VALUE_FLOAT32, .f = 0.0 };
    LbValue e = { .type = LB_VALUE_FLOAT32, .f = -0.0 };
    g_assert_false (lb_value_equal (&a, &c));
    g_assert_false (lb_value_equal (&d, &e));
    g_assert_true (lb_value_equal (&a, &a));
  }
}

static void
test_refcount (void)
{
  LbMeta *meta = lb_meta_new ();
  LbMeta *ref = lb_meta_ref (meta);

  g_assert_true (ref == meta);
  lb_meta_set_u32 (meta, "x", 1);
  lb_meta_unref (meta);
  g_assert_true (lb_meta_contains (ref, "x"));
  lb_meta_unref (ref);
  lb_meta_unref (NULL);
}

static void
test_type_names (void)
{
  g_assert_cmpuint (lb_value_type_size (LB_VALUE_UINT8), ==, 1);
  g_assert_cmpuint (lb_value_type_size (LB_VALUE_BOOL), ==, 1);
  g_assert_cmpuint (lb_value_type_size (LB_VALUE_INT16), ==, 2);
  g_assert_cmpuint (lb_value_type_size (LB_VALUE_FLOAT32), ==, 4);
  g_assert_cmpuint (lb_value_type_size (LB_VALUE_FLOAT64), ==, 8);
  g_assert_cmpuint (lb_value_type_size (LB_VALUE_INT64), ==, 8);
  g_assert_cmpuint (lb_value_type_size (LB_VALUE_STRING), ==, 0);
  g_assert_cmpuint (lb_value_type_size (LB_VALUE_ARRAY), ==, 0);
  for (guint t = 0; t < LB_VALUE_N_TYPES; t++)
    g_assert_nonnull (lb_value_type_name (t));
  g_assert_cmpstr (lb_value_type_name (LB_VALUE_STRING), ==, "string");
  g_assert_cmpstr (lb_value_type_name (99), ==, "(unknown type)");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/lowbit/meta/set-get", test_set_get);
  g_test_add_func ("/lowbit/meta/conversions", test_conversions);
  g_test_add_func ("/lowbit/meta/range-errors", test_range_errors);
  g_test_add_func ("/lowbit/meta/replace-order", test_replace_order);
  g_test_add_func ("/lowbit/meta/copy-equal", test_copy_equal);
  g_test_add_func ("/lowbit/meta/refcount", test_refcount);
  g_test_add_func ("/lowbit/meta/type-names", test_type_names);
  return g_test_run ();
}
