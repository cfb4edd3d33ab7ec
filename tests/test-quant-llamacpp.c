/* test-quant-llamacpp.c: the block formats against llama.cpp's own files.
 *
 * models/llamacpp-quants/ holds mini-qwen2 quantized by llama-quantize from
 * models/mini-qwen2/mini-qwen2-f16.gguf. For every quantized tensor of every
 * file: our to_float must recover the f16 weights with the error the type
 * implies (a wrong bit layout gives errors near 100%), and our quantizer,
 * run on the same f16 weights (with the same importance matrix when the file
 * was made with one), must do at least about as well as llama.cpp did. For
 * the files made without importance the plain quantizers follow llama.cpp's
 * reference rounding, so many blocks come out identical: the fraction is
 * reported, and for Q8_0 and Q4_0 required to be (nearly) all. */
#include <math.h>

#include "lowbit.h"
#include "lb-quant-private.h"
#include "lb-test-util.h"

/* Relative RMS error bounds for llama.cpp's blocks against the f16 weights:
 * the measured values (printed) with ~20% margin. They agree with what the
 * level spacing implies (see test-quant.c); a wrong bit layout or scale
 * packing gives errors of the order of 100%. */
static double
decode_bound (LbType t)
{
  switch (t)
    {
    case LB_TYPE_Q8_0: return 0.0064;
    case LB_TYPE_Q6_K: return 0.0212;
    case LB_TYPE_Q5_K: return 0.0445;
    case LB_TYPE_Q4_K: return 0.0880;
    case LB_TYPE_Q4_0: return 0.1040;
    case LB_TYPE_IQ4_NL: return 0.0920;
    case LB_TYPE_Q3_K: return 0.1770;
    case LB_TYPE_Q2_K: return 0.3250;
    default: return 0.0;
    }
}

typedef struct {
  guint   n_tensors;
  gint64  n_blocks;
  gint64  same_blocks;
  double  ref2;          /* sum of squared reference weights */
  double  err_llama;     /* sum of squared errors of llama.cpp's blocks */
  double  err_ours;      /* ... of ours */
  double  werr_llama;    /* importance-weighted, where there is importance */
  double  werr_ours;
  double  worst_tensor;  /* largest per-tensor relative RMS error (llama.cpp's) */
  char   *worst_name;
} TypeStats;

/* importance of a weight's columns from llama-imatrix's GGUF: in_sum2 /
 * counts, as llama-quantize reads it; NULL when the tensor has none */
static float *
lookup_importance (LbGgufReader *imatrix, const char *name, gint64 ncols)
{
  char *sname = g_strconcat (name, ".in_sum2", NULL);
  char *cname = g_strconcat (name, ".counts", NULL);
  const LbTensor *sums = lb_gguf_reader_find_tensor (imatrix, sname);
  const LbTensor *counts = lb_gguf_reader_find_tensor (imatrix, cname);
  float *imp = NULL;

  g_free (sname);
  g_free (cname);
  if (sums == NULL)
    return NULL;
  g_assert_nonnull (counts);
  g_assert_cmpint (sums->type, ==, LB_TYPE_F32);
  g_assert_cmpint (counts->type, ==, LB_TYPE_F32);
  g_assert_cmpint (lb_tensor_n_elements (sums), ==, ncols);
  {
    float c;
    memcpy (&c, counts->data, 4);
    c = roundf (c);
    imp = g_new (float, ncols);
    memcpy (imp, sums->data, ncols * sizeof (float));
    for (gint64 i = 0; i < ncols; i++)
      imp[i] = c > 0 ? imp[i] / c : 1.0f;
  }
  return imp;
}

static void
compare_tensor (const LbTensor *q, const LbTensor *ref, LbGgufReader *imatrix, TypeStats *st)
{
  const LbTypeTraits *qt = lb_type_get_traits (q->type);
  const LbTypeTraits *rt = lb_type_get_traits (ref->type);
  gint64 ncols = q->ne[0], nrows = lb_tensor_n_rows (q);
  gsize qrow = lb_type_row_size (q->type, ncols), rrow = lb_type_row_size (ref->type, ncols);
  float *x = g_new (float, ncols), *y = g_new (float, ncols), *z = g_new (float, ncols);
  guint8 *mine = g_malloc (qrow);
  float *imp = imatrix ? lookup_importance (imatrix, q->name, ncols) : NULL;
  double ref2 = 0, err = 0;

  for (guint d = 0; d < LB_MAX_DIMS; d++)
    g_assert_cmpint (q->ne[d], ==, ref->ne[d]);
  g_assert_cmpuint (q->n_bytes, ==, qrow * nrows);
  g_assert_cmpuint (ref->n_bytes, ==, rrow * nrows);

  for (gint64 r = 0; r < nrows; r++)
    {
      const guint8 *theirs = q->data + r * qrow;

      rt->to_float (ref->data + r * rrow, x, ncols);
      qt->to_float (theirs, y, ncols);
      qt->from_float (x, mine, ncols, imp);
      qt->to_float (mine, z, ncols);
      for (gint64 c = 0; c < ncols; c++)
        {
          double el = (double) y[c] - x[c], eo = (double) z[c] - x[c];
          ref2 += (double) x[c] * x[c];
          err += el * el;
          st->err_ours += eo * eo;
          if (imp)
            {
              st->werr_llama += imp[c] * el * el;
              st->werr_ours += imp[c] * eo * eo;
            }
        }
      for (gint64 b = 0; b < ncols / qt->block_size; b++)
        if (memcmp (mine + b * qt->type_size, theirs + b * qt->type_size, qt->type_size) == 0)
          st->same_blocks++;
      st->n_blocks += ncols / qt->block_size;
    }

  st->n_tensors++;
  st->ref2 += ref2;
  st->err_llama += err;
  if (ref2 > 0 && sqrt (err / ref2) > st->worst_tensor)
    {
      st->worst_tensor = sqrt (err / ref2);
      g_free (st->worst_name);
      st->worst_name = g_strdup (q->name);
    }
  g_free (x);
  g_free (y);
  g_free (z);
  g_free (mine);
  g_free (imp);
}

static void
test_file (gconstpointer data)
{
  const char *file = data;
  gboolean with_imatrix = strstr (file, "imatrix") != NULL;
  g_autofree char *path = lb_test_shared_path ("models", "llamacpp-quants", file, NULL);
  g_autofree char *ref_path = lb_test_shared_path ("models", "mini-qwen2", "mini-qwen2-f16.gguf", NULL);
  g_autofree char *im_path = NULL;
  g_autoptr (LbGgufReader) q = NULL;
  g_autoptr (LbGgufReader) ref = NULL;
  g_autoptr (LbGgufReader) imatrix = NULL;
  g_autoptr (GError) error = NULL;
  TypeStats stats[LB_TYPE_COUNT] = { { 0 } };
  guint n_quantized = 0;

  if (path == NULL || ref_path == NULL)
    return;
  if (with_imatrix)
    {
      im_path = lb_test_shared_path ("models", "llamacpp-quants", "imatrix-wikitext2-valid.gguf", NULL);
      if (im_path == NULL)
        return;
      imatrix = lb_gguf_reader_open (im_path, &error);
      g_assert_no_error (error);
    }
  q = lb_gguf_reader_open (path, &error);
  g_assert_no_error (error);
  ref = lb_gguf_reader_open (ref_path, &error);
  g_assert_no_error (error);

  for (guint i = 0; i < lb_gguf_reader_get_n_tensors (q); i++)
    {
      const LbTensor *t = lb_gguf_reader_get_tensor (q, i);
      const LbTypeTraits *tr = lb_type_get_traits (t->type);
      const LbTensor *r;

      g_assert_nonnull (tr);
      if (!tr->quantized)
        continue;
      if (tr->to_float == NULL || decode_bound (t->type) == 0)
        {
          g_test_fail_printf ("%s: tensor %s has type %s, which this test does not cover",
                              file, t->name, tr->name);
          continue;
        }
      r = lb_gguf_reader_find_tensor (ref, t->name);
      g_assert_nonnull (r);
      compare_tensor (t, r, imatrix, &stats[t->type]);
      n_quantized++;
    }
  g_assert_cmpuint (n_quantized, >, 0);

  for (guint t = 0; t < LB_TYPE_COUNT; t++)
    {
      TypeStats *st = &stats[t];
      double rel_llama, rel_ours, same;

      if (st->n_tensors == 0)
        continue;
      rel_llama = sqrt (st->err_llama / st->ref2);
      rel_ours = sqrt (st->err_ours / st->ref2);
      same = (double) st->same_blocks / st->n_blocks;
      g_test_message ("%s %-6s %2u tensors: relative RMS error llama.cpp %.5f, ours %.5f (%+.1f%%); "
                      "worst tensor %s %.5f; identical blocks %.2f%%",
                      file, lb_type_get_name (t), st->n_tensors, rel_llama, rel_ours,
                      100 * (rel_ours / rel_llama - 1), st->worst_name, st->worst_tensor, 100 * same);
      if (st->werr_llama > 0)
        g_test_message ("%s %-6s importance-weighted RMS error: llama.cpp %.4g, ours %.4g (%+.1f%%)",
                        file, lb_type_get_name (t), sqrt (st->werr_llama), sqrt (st->werr_ours),
                        100 * (sqrt (st->werr_ours / st->werr_llama) - 1));

      /* decoding: the error the type implies, for the type as a whole and
       * for its worst tensor */
      g_assert_cmpfloat (rel_llama, <, decode_bound (t));
      g_assert_cmpfloat (st->worst_tensor, <, 1.2 * decode_bound (t));
      /* our quantizer: as good as llama.cpp's (measured: within +-0.1%,
       * 2% better for Q5_K without importance) */
      g_assert_cmpfloat (rel_ours, <, 1.01 * rel_llama);
      if (st->werr_llama > 0)
        g_assert_cmpfloat (st->werr_ours, <, 1.02 * st->werr_llama);
      /* llama.cpp's reference rounding, reproduced (measured: every block
       * of these four; floating-point contraction on other CPUs may flip a
       * few) */
      if (!with_imatrix && (t == LB_TYPE_Q8_0 || t == LB_TYPE_Q4_0))
        g_assert_cmpfloat (same, >=, 0.99);
      if (!with_imatrix && (t == LB_TYPE_Q6_K || t == LB_TYPE_IQ4_NL))
        g_assert_cmpfloat (same, >=, 0.95);
      g_free (st->worst_name);
    }
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char * const *) a, *(char * const *) b);
}

int
main (int argc, char **argv)
{
  const char *root;
  g_autofree char *dir_path = NULL;
  GDir *dir;
  GPtrArray *files = g_ptr_array_new_with_free_func (g_free);

  g_test_init (&argc, &argv, NULL);

  /* data-driven: one test per model file in the folder */
  root = g_getenv ("LB_SHARED_DIR");
  dir_path = g_build_filename (root ? root : "../shared", "models", "llamacpp-quants", NULL);
  dir = g_dir_open (dir_path, 0, NULL);
  if (dir)
    {
      const char *name;
      while ((name = g_dir_read_name (dir)) != NULL)
        if (g_str_has_prefix (name, "mini-") && g_str_has_suffix (name, ".gguf"))
          g_ptr_array_add (files, g_strdup (name));
      g_dir_close (dir);
    }
  g_ptr_array_sort (files, compare_names);
  if (files->len == 0)
    /* fails with a message naming the missing folder */
    g_ptr_array_add (files, g_strdup ("mini-Q8_0.gguf"));
  for (guint i = 0; i < files->len; i++)
    {
      char *p = g_strdup_printf ("/lowbit/quant-llamacpp/%s", (char *) files->pdata[i]);
      g_test_add_data_func (p, files->pdata[i], test_file);
      g_free (p);
    }
  {
    int ret = g_test_run ();
    g_ptr_array_unref (files);
    return ret;
  }
}
