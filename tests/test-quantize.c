/* test-quantize.c: the streaming quantizer against llama.cpp's own
 * quantizations of mini-qwen2 (models/llamacpp-quants/): same header
 * (metadata, tensor names, types, shapes, order), weights within each
 * type's error bound and no worse than llama.cpp's; exact dry-run sizes;
 * cancel, NaN and mismatch handling. */
#include <math.h>
#include <string.h>
#include <glib/gstdio.h>

#include "lowbit.h"
#include "lb-quantize.h"
#include "lb-test-util.h"

static LbModel *
load_model (const char *path)
{
  GError *error = NULL;
  LbModel *model = lb_model_load (path, NULL, NULL, &error);

  g_assert_no_error (error);
  return model;
}

static LbQuantPlan *
plan_for (LbModel *model, const char *preset, const char *imatrix_path, const char *profile)
{
  g_autoptr (LbRecipe) recipe = NULL;
  LbQuantPlan *plan = NULL;
  GError *error = NULL;

  recipe = lb_recipe_load_preset (preset, &error);
  g_assert_no_error (error);
  lb_recipe_set_importance (recipe, imatrix_path);
  g_assert_true (lb_recipe_resolve (recipe, model, profile, &plan, &error));
  g_assert_no_error (error);
  return plan;
}

static void
quantize (LbModel *model, LbQuantPlan *plan, LbImatrix *imatrix, const char *out, guint threads)
{
  GError *error = NULL;

  g_assert_true (lb_quantize_model (model, plan, imatrix, out, threads, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
}

static guint
count_files (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  guint n = 0;

  while (d && g_dir_read_name (d))
    n++;
  return n;
}

static guint64
file_size (const char *path)
{
  GStatBuf st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  return (guint64) st.st_size;
}

static GBytes *
read_file (const char *path)
{
  GError *error = NULL;
  char *contents;
  gsize len;

  g_assert_true (g_file_get_contents (path, &contents, &len, &error));
  g_assert_no_error (error);
  return g_bytes_new_take (contents, len);
}

/* ---- against llama.cpp ------------------------------------------------------------- */

typedef struct {
  GBytes *bytes;
  LbGgufReader *reader;
} Gguf;

static void
gguf_open (Gguf *g, const char *path)
{
  GError *error = NULL;

  g->bytes = read_file (path);
  g->reader = lb_gguf_reader_open_bytes (g->bytes, &error);
  g_assert_no_error (error);
}

static void
gguf_close (Gguf *g)
{
  lb_gguf_reader_free (g->reader);
  g_bytes_unref (g->bytes);
}

/* Every byte before the tensor data: magic, version, metadata (keys, types,
 * values, order), tensor infos (names, shapes, types, offsets). */
static void
assert_same_header (const Gguf *ours, const Gguf *ref, const char *what)
{
  LbMeta *mo = lb_gguf_reader_get_meta (ours->reader);
  LbMeta *mr = lb_gguf_reader_get_meta (ref->reader);
  gsize off = lb_gguf_reader_get_data_offset (ref->reader);

  g_assert_cmpuint (lb_meta_get_n_keys (mo), ==, lb_meta_get_n_keys (mr));
  for (guint k = 0; k < lb_meta_get_n_keys (mr); k++)
    {
      if (strcmp (lb_meta_get_key (mo, k), lb_meta_get_key (mr, k)) != 0
          || !lb_value_equal (lb_meta_get_value (mo, k), lb_meta_get_value (mr, k)))
        g_test_fail_printf ("%s: metadata key %u is %s, llama.cpp has %s (or another value)",
                            what, k, lb_meta_get_key (mo, k), lb_meta_get_key (mr, k));
    }
  g_assert_cmpuint (lb_gguf_reader_get_n_tensors (ours->reader), ==,
                    lb_gguf_reader_get_n_tensors (ref->reader));
  for (guint i = 0; i < lb_gguf_reader_get_n_tensors (ref->reader); i++)
    {
      const LbTensor *a = lb_gguf_reader_get_tensor (ours->reader, i);
      const LbTensor *b = lb_gguf_reader_get_tensor (ref->reader, i);

      g_assert_cmpstr (a->name, ==, b->name);
      g_assert_cmpint (a->type, ==, b->type);
      g_assert_cmpuint (a->n_dims, ==, b->n_dims);
      for (guint d = 0; d < LB_MAX_DIMS; d++)
        g_assert_cmpint (a->ne[d], ==, b->ne[d]);
    }
  g_assert_cmpuint (lb_gguf_reader_get_data_offset (ours->reader), ==, off);
  g_assert_cmpuint (g_bytes_get_size (ours->bytes), ==, g_bytes_get_size (ref->bytes));
  g_assert_cmpmem (g_bytes_get_data (ours->bytes, NULL), off, g_bytes_get_data (ref->bytes, NULL), off);
}

/* Largest error a block of 32 may have against its source values, from the
 * block's largest magnitude: one step of the type's grid (round to nearest
 * gives half of it; Q4_0's asymmetric range [-8, 7] can clamp a full step),
 * plus the fp16 rounding of the scale. */
static double
block_bound (LbType type, double amax)
{
  switch (type)
    {
    case LB_TYPE_Q8_0: return amax / 127.0 * (0.5 + 128 * 1e-3) + 1e-12;
    case LB_TYPE_Q4_0: return amax / 8.0 * (1.0 + 8 * 1e-3) + 1e-12;
    default: return INFINITY;
    }
}

typedef struct {
  double ref2, err_ours, err_llama;
  guint  over_bound;
  gsize  same_bytes, bytes;
} ErrStats;

static void
compare_tensor (const LbTensor *src, const LbTensor *ours, const LbTensor *llama, ErrStats *st)
{
  const LbTypeTraits *ts = lb_type_get_traits (src->type);
  const LbTypeTraits *tq = lb_type_get_traits (ours->type);
  gint64 ne0 = src->ne[0], rows = lb_tensor_n_rows (src);
  g_autofree float *x = g_new (float, ne0);
  g_autofree float *yo = g_new (float, ne0);
  g_autofree float *yl = g_new (float, ne0);
  gsize in_row = lb_tensor_row_bytes (src), q_row = lb_tensor_row_bytes (ours);

  for (gsize b = 0; b < ours->n_bytes; b++)
    st->same_bytes += ours->data[b] == llama->data[b];
  st->bytes += ours->n_bytes;
  for (gint64 r = 0; r < rows; r++)
    {
      ts->to_float (src->data + r * in_row, x, ne0);
      tq->to_float (ours->data + r * q_row, yo, ne0);
      tq->to_float (llama->data + r * q_row, yl, ne0);
      for (gint64 b0 = 0; b0 < ne0; b0 += 32)
        {
          double amax = 0;

          for (gint64 i = b0; i < b0 + 32 && i < ne0; i++)
            amax = MAX (amax, fabs (x[i]));
          for (gint64 i = b0; i < b0 + 32 && i < ne0; i++)
            {
              double eo = (double) yo[i] - x[i], el = (double) yl[i] - x[i];

              st->ref2 += (double) x[i] * x[i];
              st->err_ours += eo * eo;
              st->err_llama += el * el;
              if (fabs (eo) > block_bound (ours->type, amax))
                st->over_bound++;
            }
        }
    }
}

/* Q8_0 and Q4_0 presets on mini-qwen2: llama.cpp's header exactly, every
 * weight within its block's error bound, and no more error than
 * llama.cpp's own blocks, tensor type by tensor type. */
static void
test_matches_llamacpp (void)
{
  static const char * const presets[] = { "Q8_0", "Q4_0" };
  g_autofree char *f16 = lb_test_shared_path ("models", "mini-qwen2", "mini-qwen2-f16.gguf", NULL);
  g_autofree char *tmp = lb_test_make_tmpdir ();
  g_autoptr (LbModel) model = NULL;

  if (f16 == NULL)
    return;
  model = load_model (f16);

  for (guint p = 0; p < G_N_ELEMENTS (presets); p++)
    {
      g_autofree char *name = g_strdup_printf ("mini-%s.gguf", presets[p]);
      g_autofree char *ref_path = lb_test_shared_path ("models", "llamacpp-quants", name, NULL);
      g_autofree char *out = g_build_filename (tmp, name, NULL);
      g_autoptr (LbQuantPlan) plan = NULL;
      ErrStats by_type[LB_TYPE_COUNT] = { 0 };
      Gguf ours, ref;

      if (ref_path == NULL)
        return;
      plan = plan_for (model, presets[p], NULL, NULL);
      quantize (model, plan, NULL, out, 2);
      gguf_open (&ours, out);
      gguf_open (&ref, ref_path);
      assert_same_header (&ours, &ref, presets[p]);

      for (guint i = 0; i < lb_gguf_reader_get_n_tensors (ref.reader); i++)
        {
          const LbTensor *o = lb_gguf_reader_get_tensor (ours.reader, i);
          const LbTensor *l = lb_gguf_reader_get_tensor (ref.reader, i);
          const LbTensor *s = lb_model_find_tensor (model, o->name);

          if (o->type == s->type)
            {
              g_assert_cmpmem (o->data, o->n_bytes, s->data, s->n_bytes);
              continue;
            }
          compare_tensor (s, o, l, &by_type[o->type]);
        }
      for (guint t = 0; t < LB_TYPE_COUNT; t++)
        {
          ErrStats *st = &by_type[t];
          double rel_o, rel_l;

          if (st->bytes == 0)
            continue;
          rel_o = sqrt (st->err_ours / st->ref2);
          rel_l = sqrt (st->err_llama / st->ref2);
          g_test_message ("%s, %s weights: relative RMS error %.5f (llama.cpp %.5f), %.2f%% of "
                          "the bytes identical to llama.cpp's, %u over the bound", presets[p],
                          lb_type_get_name (t), rel_o, rel_l,
                          100.0 * st->same_bytes / st->bytes, st->over_bound);
          g_assert_cmpuint (st->over_bound, ==, 0);
          g_assert_cmpfloat (rel_o, <=, rel_l * 1.01 + 1e-9);
          g_assert_cmpfloat (rel_o, >, 0.0);
        }
      gguf_close (&ours);
      gguf_close (&ref);
    }
  lb_test_rmtree (tmp);
}

/* Every preset: the header (with llama.cpp's imatrix keys for the files it
 * made with one, the importance file given under the same name) is
 * llama.cpp's byte for byte, and the file has its exact size. */
static void
test_headers_all_presets (void)
{
  static const struct { const char *preset, *file; gboolean imatrix; } cases[] = {
    { "Q6_K", "mini-Q6_K.gguf", FALSE },
    { "IQ4_NL", "mini-IQ4_NL.gguf", FALSE },
    { "Q4_K_M", "mini-Q4_K_M-imatrix.gguf", TRUE },
    { "Q3_K_M", "mini-Q3_K_M-imatrix.gguf", TRUE },
    { "Q2_K", "mini-Q2_K-imatrix.gguf", TRUE },
  };
  g_autofree char *f16 = lb_test_shared_path ("models", "mini-qwen2", "mini-qwen2-f16.gguf", NULL);
  g_autofree char *im_src = lb_test_shared_path ("models", "llamacpp-quants",
                                                 "imatrix-wikitext2-valid.gguf", NULL);
  g_autofree char *tmp = lb_test_make_tmpdir ();
  g_autofree char *cwd = g_get_current_dir ();
  g_autoptr (LbModel) model = NULL;
  g_autoptr (LbImatrix) imatrix = NULL;
  GError *error = NULL;

  if (f16 == NULL || im_src == NULL)
    return;
  model = load_model (f16);
  {
    g_autoptr (GBytes) b = read_file (im_src);
    g_autofree char *copy = g_build_filename (tmp, "imatrix-mini.gguf", NULL);

    g_assert_true (g_file_set_contents (copy, g_bytes_get_data (b, NULL),
                                        (gssize) g_bytes_get_size (b), &error));
  }
  g_assert_cmpint (g_chdir (tmp), ==, 0);

  imatrix = lb_imatrix_load ("imatrix-mini.gguf", &error);
  g_assert_no_error (error);
  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      g_autofree char *ref_path = lb_test_shared_path ("models", "llamacpp-quants", cases[c].file,
                                                       NULL);
      g_autofree char *out = g_build_filename (tmp, cases[c].file, NULL);
      g_autoptr (LbQuantPlan) plan = NULL;
      LbImatrix *im = cases[c].imatrix ? imatrix : NULL;
      Gguf ours, ref;

      if (ref_path == NULL)
        break;
      plan = plan_for (model, cases[c].preset, cases[c].imatrix ? "imatrix-mini.gguf" : NULL, NULL);
      quantize (model, plan, im, out, 2);
      g_assert_cmpuint (lb_quantize_get_file_size (plan, im), ==, file_size (out));
      gguf_open (&ours, out);
      gguf_open (&ref, ref_path);
      assert_same_header (&ours, &ref, cases[c].preset);
      gguf_close (&ours);
      gguf_close (&ref);
      g_test_message ("%s: %" G_GUINT64_FORMAT " bytes, llama.cpp's header", cases[c].preset,
                      file_size (out));
    }
  g_assert_cmpint (g_chdir (cwd), ==, 0);
  lb_test_rmtree (tmp);
}

/* importance data reaches the kernels: with it, the importance-weighted
 * error is lower than without, and the result is the same for any number
 * of threads */
static void
test_importance_and_threads (void)
{
  g_autofree char *f16 = lb_test_shared_path ("models", "mini-qwen2", "mini-qwen2-f16.gguf", NULL);
  g_autofree char *im_path = lb_test_shared_path ("models", "llamacpp-quants",
                                                  "imatrix-wikitext2-valid.gguf", NULL);
  g_autofree char *tmp = lb_test_make_tmpdir ();
  g_autofree char *a = g_build_filename (tmp, "a.gguf", NULL);
  g_autofree char *b = g_build_filename (tmp, "b.gguf", NULL);
  g_autofree char *c = g_build_filename (tmp, "c.gguf", NULL);
  g_autoptr (LbModel) model = NULL;
  g_autoptr (LbImatrix) imatrix = NULL;
  g_autoptr (LbQuantPlan) with = NULL, without = NULL;
  g_autoptr (GBytes) ba = NULL, bb = NULL;
  Gguf ga, gc;
  double werr_with = 0, werr_without = 0;
  GError *error = NULL;

  if (f16 == NULL || im_path == NULL)
    return;
  model = load_model (f16);
  imatrix = lb_imatrix_load (im_path, &error);
  g_assert_no_error (error);
  with = plan_for (model, "Q3_K_M", im_path, NULL);
  quantize (model, with, imatrix, a, 1);
  quantize (model, with, imatrix, b, 3);
  ba = read_file (a);
  bb = read_file (b);
  g_assert_true (g_bytes_equal (ba, bb));

  /* the same types without importance data (Q3_K_M has no condition) */
  without = plan_for (model, "Q3_K_M", NULL, NULL);
  quantize (model, without, NULL, c, 2);
  gguf_open (&ga, a);
  gguf_open (&gc, c);
  for (guint i = 0; i < lb_gguf_reader_get_n_tensors (ga.reader); i++)
    {
      const LbTensor *tw = lb_gguf_reader_get_tensor (ga.reader, i);
      const LbTensor *to = lb_gguf_reader_get_tensor (gc.reader, i);
      const LbTensor *s = lb_model_find_tensor (model, tw->name);
      const float *imp = lb_imatrix_get_importance (imatrix, tw->name, NULL);
      gint64 ne0 = s->ne[0];
      g_autofree float *x = NULL, *yw = NULL, *yo = NULL;

      g_assert_cmpint (tw->type, ==, to->type);
      if (imp == NULL)
        continue;
      x = g_new (float, ne0);
      yw = g_new (float, ne0);
      yo = g_new (float, ne0);
      for (gint64 r = 0; r < lb_tensor_n_rows (s); r++)
        {
          lb_type_get_traits (s->type)->to_float (s->data + r * lb_tensor_row_bytes (s), x, ne0);
          lb_type_get_traits (tw->type)->to_float (tw->data + r * lb_tensor_row_bytes (tw), yw, ne0);
          lb_type_get_traits (to->type)->to_float (to->data + r * lb_tensor_row_bytes (to), yo, ne0);
          for (gint64 j = 0; j < ne0; j++)
            {
              werr_with += imp[j] * ((double) yw[j] - x[j]) * ((double) yw[j] - x[j]);
              werr_without += imp[j] * ((double) yo[j] - x[j]) * ((double) yo[j] - x[j]);
            }
        }
    }
  g_test_message ("importance-weighted squared error: %.4g with importance data, %.4g without",
                  werr_with, werr_without);
  g_assert_cmpfloat (werr_with, <, werr_without * 0.97);
  gguf_close (&ga);
  gguf_close (&gc);
  lb_test_rmtree (tmp);
}

/* Runs lowbit with args (NULL-terminated), returns its stdout. */
static char *
run_cli (const char * const *args)
{
  const char *cli = g_getenv ("LB_CLI");
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  char *out = NULL;
  g_autofree char *err = NULL;
  int status;
  GError *error = NULL;

  g_assert_nonnull (cli);
  g_ptr_array_add (argv, (gpointer) cli);
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                               &out, &err, &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_test_fail_printf ("lowbit %s failed: %s", args[0], err);
  return out;
}

/* --dry-run's size is the size of the file lowbit quantize then writes */
static void
test_dry_run_cli (void)
{
  const char *cli = g_getenv ("LB_CLI");
  g_autofree char *f16 = lb_test_shared_path ("models", "mini-qwen2", "mini-qwen2-f16.gguf", NULL);
  g_autofree char *im = lb_test_shared_path ("models", "llamacpp-quants",
                                             "imatrix-wikitext2-valid.gguf", NULL);
  g_autofree char *tmp = lb_test_make_tmpdir ();
  g_autofree char *out = g_build_filename (tmp, "o.gguf", NULL);

  if (f16 == NULL || im == NULL)
    return;
  if (cli == NULL || !g_file_test (cli, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_test_fail_printf ("LB_CLI does not name the lowbit executable (%s)", cli ? cli : "unset");
      return;
    }
  for (guint v = 0; v < 2; v++)
    {
      const char *dry[] = { "quantize", f16, "--dry-run", "--preset", "Q3_K_M", "--imatrix", im,
                            NULL };
      const char *real[] = { "quantize", f16, "-o", out, "--preset", "Q3_K_M", "--imatrix", im,
                             NULL };
      g_autofree char *text = NULL, *text2 = NULL;
      const char *line;
      guint64 predicted;

      if (v == 1)
        {
          /* a profile of brief-mixed */
          dry[4] = real[5] = "brief-mixed";
          dry[5] = real[6] = "--profile";
          dry[6] = real[7] = "accuracy";
        }
      text = run_cli (dry);
      line = strstr (text, "output size ");
      g_assert_nonnull (line);
      predicted = g_ascii_strtoull (line + strlen ("output size "), NULL, 10);
      g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
      text2 = run_cli (real);
      g_test_message ("variant %u: dry run %" G_GUINT64_FORMAT " bytes, file %" G_GUINT64_FORMAT,
                      v, predicted, file_size (out));
      g_assert_cmpuint (predicted, ==, file_size (out));
      g_unlink (out);
    }
  lb_test_rmtree (tmp);
}

/* ---- failures leave nothing behind --------------------------------------------------- */

typedef struct {
  GCancellable *cancellable;
  guint calls;
  guint cancel_at;
} CancelState;

static void
cancel_progress (double fraction, const char *stage, gpointer user_data)
{
  CancelState *s = user_data;

  g_assert_cmpfloat (fraction, >=, 0.0);
  g_assert_cmpfloat (fraction, <=, 1.0);
  if (++s->calls == s->cancel_at)
    g_cancellable_cancel (s->cancellable);
}

static void
test_cancel (void)
{
  g_autofree char *f16 = lb_test_shared_path ("models", "mini-qwen2", "mini-qwen2-f16.gguf", NULL);
  g_autofree char *tmp = lb_test_make_tmpdir ();
  g_autofree char *out = g_build_filename (tmp, "c.gguf", NULL);
  g_autoptr (LbModel) model = NULL;
  g_autoptr (LbQuantPlan) plan = NULL;

  if (f16 == NULL)
    return;
  model = load_model (f16);
  plan = plan_for (model, "Q4_K_M", NULL, NULL);
  for (guint at = 1; at <= 40; at += 39)
    {
      CancelState s = { g_cancellable_new (), 0, at };
      GError *error = NULL;

      g_assert_false (lb_quantize_model (model, plan, NULL, out, 2, cancel_progress, &s,
                                         s.cancellable, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      g_clear_error (&error);
      g_assert_cmpuint (count_files (tmp), ==, 0);
      g_object_unref (s.cancellable);
    }
  lb_test_rmtree (tmp);
}

/* A copy of mini-qwen2 with one bad value in tensor `name` at (row, col). */
static char *
write_damaged_copy (const char *f16, const char *dir, const char *name, gint64 row, gint64 col,
                    guint16 bad_half)
{
  g_autoptr (LbGgufReader) src = NULL;
  g_autoptr (LbGgufWriter) w = NULL;
  char *path = g_build_filename (dir, "damaged.gguf", NULL);
  GError *error = NULL;

  src = lb_gguf_reader_open (f16, &error);
  g_assert_no_error (error);
  w = lb_gguf_writer_new (path, lb_gguf_reader_get_meta (src), &error);
  g_assert_no_error (error);
  for (guint i = 0; i < lb_gguf_reader_get_n_tensors (src); i++)
    {
      const LbTensor *t = lb_gguf_reader_get_tensor (src, i);
      g_assert_true (lb_gguf_writer_add_tensor_info (w, t->name, t->type, t->n_dims, t->ne, &error));
    }
  g_assert_true (lb_gguf_writer_begin_data (w, &error));
  for (guint i = 0; i < lb_gguf_reader_get_n_tensors (src); i++)
    {
      const LbTensor *t = lb_gguf_reader_get_tensor (src, i);
      g_autofree guint8 *copy = g_memdup2 (t->data, t->n_bytes);

      if (strcmp (t->name, name) == 0)
        {
          guint16 h = GUINT16_TO_LE (bad_half);
          g_assert_cmpint (t->type, ==, LB_TYPE_F16);
          memcpy (copy + (row * t->ne[0] + col) * 2, &h, 2);
        }
      g_assert_true (lb_gguf_writer_write_tensor_data (w, copy, t->n_bytes, &error));
    }
  g_assert_true (lb_gguf_writer_finish (w, &error));
  g_assert_no_error (error);
  return path;
}

static void
test_nan_rejected (void)
{
  static const struct { const char *tensor; gint64 row, col; guint16 half; const char *word; } cases[] = {
    { "blk.2.ffn_up.weight", 5, 7, 0x7e00, "NaN" },
    { "blk.6.attn_output.weight", 255, 0, 0xfc00, "infinite" },
  };
  g_autofree char *f16 = lb_test_shared_path ("models", "mini-qwen2", "mini-qwen2-f16.gguf", NULL);
  g_autofree char *tmp = lb_test_make_tmpdir ();
  g_autofree char *outdir = g_build_filename (tmp, "out", NULL);
  g_autofree char *out = g_build_filename (outdir, "q.gguf", NULL);

  if (f16 == NULL)
    return;
  g_assert_cmpint (g_mkdir (outdir, 0700), ==, 0);
  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      g_autofree char *bad = write_damaged_copy (f16, tmp, cases[c].tensor, cases[c].row,
                                                 cases[c].col, cases[c].half);
      g_autoptr (LbModel) model = load_model (bad);
      g_autoptr (LbQuantPlan) plan = plan_for (model, c == 0 ? "Q4_K_M" : "Q8_0", NULL, NULL);
      g_autofree char *where = g_strdup_printf ("row %" G_GINT64_FORMAT ", column %"
                                                G_GINT64_FORMAT, cases[c].row, cases[c].col);
      GError *error = NULL;

      g_assert_false (lb_quantize_model (model, plan, NULL, out, 2, NULL, NULL, NULL, &error));
      g_assert_error (error, LB_ERROR, LB_ERROR_NUMERIC);
      g_test_message ("%s", error->message);
      g_assert_nonnull (strstr (error->message, cases[c].tensor));
      g_assert_nonnull (strstr (error->message, where));
      g_assert_nonnull (strstr (error->message, cases[c].word));
      g_clear_error (&error);
      g_assert_cmpuint (count_files (outdir), ==, 0);
    }
  lb_test_rmtree (tmp);
}

/* importance data and plan must agree; importance of the wrong size is refused */
static void
test_mismatches (void)
{
  g_autofree char *f16 = lb_test_shared_path ("models", "mini-qwen2", "mini-qwen2-f16.gguf", NULL);
  g_autofree char *tmp = lb_test_make_tmpdir ();
  g_autofree char *out = g_build_filename (tmp, "q.gguf", NULL);
  g_autoptr (LbModel) model = NULL;
  g_autoptr (LbQuantPlan) plain = NULL, with = NULL;
  g_autoptr (LbImatrix) wrong = lb_imatrix_new ();
  float x[100] = { 1.0f };
  GError *error = NULL;

  if (f16 == NULL)
    return;
  model = load_model (f16);
  plain = plan_for (model, "Q4_0", NULL, NULL);
  with = plan_for (model, "Q4_0", "some.gguf", NULL);
  g_assert_true (lb_imatrix_accumulate (wrong, "blk.0.attn_q.weight", x, 100, &error));

  g_assert_false (lb_quantize_model (model, with, NULL, out, 1, NULL, NULL, NULL, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (lb_quantize_model (model, plain, wrong, out, 1, NULL, NULL, NULL, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (lb_quantize_model (model, with, wrong, out, 1, NULL, NULL, NULL, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "blk.0.attn_q.weight has 256 columns"));
  g_clear_error (&error);
  g_assert_cmpuint (count_files (tmp), ==, 0);
  lb_test_rmtree (tmp);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/lowbit/quantize/matches-llamacpp", test_matches_llamacpp);
  g_test_add_func ("/lowbit/quantize/headers-all-presets", test_headers_all_presets);
  g_test_add_func ("/lowbit/quantize/importance-and-threads", test_importance_and_threads);
  g_test_add_func ("/lowbit/quantize/dry-run-cli", test_dry_run_cli);
  g_test_add_func ("/lowbit/quantize/cancel", test_cancel);
  g_test_add_func ("/lowbit/quantize/nan-rejected", test_nan_rejected);
  g_test_add_func ("/lowbit/quantize/mismatches", test_mismatches);
  return g_test_run ();
}
