/* test-type.c: the type table: GGUF numbering, block sizes, names, row sizes */
#include "lowbit.h"

static void
test_table (void)
{
  /* ids and sizes as GGUF files carry them (bits per weight from DESIGN.md) */
  static const struct { LbType t; const char *name; guint bs; gsize ts; double bpw; } known[] = {
    { LB_TYPE_F32, "F32", 1, 4, 32 }, { LB_TYPE_F16, "F16", 1, 2, 16 },
    { LB_TYPE_BF16, "BF16", 1, 2, 16 }, { LB_TYPE_Q8_0, "Q8_0", 32, 34, 8.5 },
    { LB_TYPE_Q5_1, "Q5_1", 32, 24, 6.0 }, { LB_TYPE_Q5_0, "Q5_0", 32, 22, 5.5 },
    { LB_TYPE_Q4_1, "Q4_1", 32, 20, 5.0 }, { LB_TYPE_Q4_0, "Q4_0", 32, 18, 4.5 },
    { LB_TYPE_Q6_K, "Q6_K", 256, 210, 6.5625 }, { LB_TYPE_Q5_K, "Q5_K", 256, 176, 5.5 },
    { LB_TYPE_Q4_K, "Q4_K", 256, 144, 4.5 }, { LB_TYPE_Q3_K, "Q3_K", 256, 110, 3.4375 },
    { LB_TYPE_Q2_K, "Q2_K", 256, 84, 2.625 }, { LB_TYPE_IQ4_NL, "IQ4_NL", 32, 18, 4.5 },
  };
  g_assert_cmpint (LB_TYPE_Q8_0, ==, 8);
  g_assert_cmpint (LB_TYPE_Q4_K, ==, 12);
  g_assert_cmpint (LB_TYPE_IQ4_NL, ==, 20);
  g_assert_cmpint (LB_TYPE_BF16, ==, 30);
  for (guint i = 0; i < G_N_ELEMENTS (known); i++)
    {
      const LbTypeTraits *tr = lb_type_get_traits (known[i].t);
      LbType parsed;
      g_autofree char *lower = g_ascii_strdown (known[i].name, -1);

      g_assert_nonnull (tr);
      g_assert_cmpstr (tr->name, ==, known[i].name);
      g_assert_cmpuint (tr->block_size, ==, known[i].bs);
      g_assert_cmpuint (tr->type_size, ==, known[i].ts);
      g_assert_cmpfloat_with_epsilon (8.0 * tr->type_size / tr->block_size, known[i].bpw, 1e-9);
      g_assert_true (lb_type_from_name (lower, &parsed));
      g_assert_cmpint (parsed, ==, known[i].t);
      g_assert_nonnull (tr->to_float);
    }
}

static void
test_unknown (void)
{
  LbType t;
  g_assert_null (lb_type_get_traits (4));     /* removed Q4_2 */
  g_assert_null (lb_type_get_traits (5));
  g_assert_null (lb_type_get_traits (31));
  g_assert_null (lb_type_get_traits (1000));
  g_assert_false (lb_type_from_name ("Q4_K_M", &t));   /* a mix, not a type */
  g_assert_false (lb_type_from_name ("", &t));
}

static void
test_row_size (void)
{
  g_assert_cmpuint (lb_type_row_size (LB_TYPE_Q4_K, 512), ==, 288);
  g_assert_cmpuint (lb_type_row_size (LB_TYPE_Q4_K, 100), ==, 0);   /* not whole blocks */
  g_assert_cmpuint (lb_type_row_size (LB_TYPE_Q8_0, 64), ==, 68);
  g_assert_cmpuint (lb_type_row_size (LB_TYPE_F16, 3), ==, 6);
  g_assert_cmpuint (lb_type_row_size (LB_TYPE_F32, -1), ==, 0);
}

static void
test_float_rows (void)
{
  const float src[4] = { 1.0f, -2.5f, 65504.0f, 1e-8f };
  guint8 buf[16];
  float back[4];

  for (guint t = 0; t < 3; t++)
    {
      LbType type = (LbType[]) { LB_TYPE_F32, LB_TYPE_F16, LB_TYPE_BF16 }[t];
      const LbTypeTraits *tr = lb_type_get_traits (type);
      tr->from_float (src, buf, 4, NULL);
      tr->to_float (buf, back, 4);
      g_assert_cmpfloat (back[0], ==, 1.0f);
      g_assert_cmpfloat (back[1], ==, -2.5f);
      g_assert_cmpfloat_with_epsilon (back[2], 65504.0f, 65504.0f * 0.004f);
    }
  /* little-endian layout on disk */
  lb_type_get_traits (LB_TYPE_F16)->from_float (src, buf, 1, NULL);
  g_assert_cmpuint (buf[0], ==, 0x00);
  g_assert_cmpuint (buf[1], ==, 0x3c);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/lowbit/type/table", test_table);
  g_test_add_func ("/lowbit/type/unknown", test_unknown);
  g_test_add_func ("/lowbit/type/row-size", test_row_size);
  g_test_add_func ("/lowbit/type/float-rows", test_float_rows);
  return g_test_run ();
}
