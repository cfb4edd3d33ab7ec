/* test-synth.c: synthetic models. Their shapes are checked against the
 * published parameter counts and against GGUF files llama.cpp's converter
 * wrote for the same configurations (../shared/models); the weights against
 * the statistics of the normal distribution. */
#include <math.h>
#include <string.h>
#include <glib/gstdio.h>

#include "lowbit.h"
#include "lb-memstat.h"
#include "lb-synth.h"
#include "lb-test-util.h"

/* the configurations of the shared models, as custom shapes */
#define MINI_QWEN2 "custom:arch=qwen2,layers=8,embd=256,ff=768,heads=8,kv=2,vocab=4096,ctx=1024"
#define TINY_LLAMA3 "custom:arch=llama,layers=2,embd=256,ff=512,heads=4,kv=2,head_dim=64," \
                    "vocab=4096,ctx=2048,rope_base=500000,llama3_rope=1"
#define TINY_GEMMA2 "custom:arch=gemma2,layers=4,embd=256,ff=512,heads=4,kv=2,head_dim=64," \
                    "vocab=4096,ctx=2048"
#define SMALL "custom:arch=qwen2,layers=2,embd=64,ff=128,heads=4,kv=2,vocab=600,ctx=64"

static char *tmpdir;

static char *
write_synth (const char *spec, LbType type, guint64 seed, guint n_threads, const char *file,
             LbSynthResult *result)
{
  LbSynthParams params = LB_SYNTH_PARAMS_INIT;
  LbSynthShape shape;
  GError *error = NULL;
  char *path = g_build_filename (tmpdir, file, NULL);

  g_assert_true (lb_synth_shape_parse (spec, &shape, &error));
  g_assert_no_error (error);
  params.type = type;
  params.seed = seed;
  params.n_threads = n_threads;
  g_assert_true (lb_synth_write (&shape, &params, path, result, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  return path;
}

static LbGgufReader *
open_reader (const char *path)
{
  GError *error = NULL;
  LbGgufReader *r = lb_gguf_reader_open (path, &error);
  g_assert_no_error (error);
  return r;
}

/* the model cards' parameter counts (safetensors totals, tied embeddings
 * counted once) */
static void
test_named_shapes (void)
{
  static const struct { const char *name; guint64 n_params; LbArch arch; guint32 vocab; } cases[] = {
    { "qwen2.5-0.5b", 494032768ull, LB_ARCH_QWEN2, 151936 },
    { "qwen2.5-1.5b", 1543714304ull, LB_ARCH_QWEN2, 151936 },
    { "llama3.2-1b", 1235814400ull, LB_ARCH_LLAMA, 128256 },
    { "gemma2-2b", 2614341888ull, LB_ARCH_GEMMA2, 256000 },
  };
  guint n = 0;

  for (const char * const *names = lb_synth_shape_names (); *names; names++)
    n++;
  g_assert_cmpuint (n, ==, G_N_ELEMENTS (cases));
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      LbSynthShape s;
      GError *error = NULL;

      g_assert_true (lb_synth_shape_parse (cases[i].name, &s, &error));
      g_assert_no_error (error);
      g_assert_cmpstr (s.name, ==, cases[i].name);
      g_assert_cmpint (s.arch, ==, cases[i].arch);
      g_assert_cmpuint (s.n_vocab, ==, cases[i].vocab);
      g_assert_true (s.tied);
      g_assert_cmpuint (lb_synth_shape_get_n_params (&s), ==, cases[i].n_params);
    }
}

static void
test_parse_errors (void)
{
  static const char *bad[] = {
    "qwen9", "custom:arch=mamba", "custom:layers=0", "custom:layers=x", "custom:frobs=3",
    "custom:heads=4,kv=3", "custom:embd=65,heads=4", "custom:vocab=100", "custom:layers",
    "custom:arch=qwen2,llama3_rope=1", "custom:eps=-1", "custom:tied=maybe",
    "custom:embd=60,heads=4",  /* head size 15 is odd */
  };
  LbSynthShape s;

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      GError *error = NULL;

      g_assert_false (lb_synth_shape_parse (bad[i], &s, &error));
      g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
      g_test_message ("%s: %s", bad[i], error->message);
      g_clear_error (&error);
    }
  g_assert_true (lb_synth_shape_parse ("custom", &s, NULL));
  g_assert_true (lb_synth_shape_parse ("custom:arch=llama,layers=3,tied=0", &s, NULL));
  g_assert_cmpuint (s.n_layer, ==, 3);
  g_assert_false (s.tied);
  g_assert_false (s.qkv_bias);
}

/* Tensor names, shapes and float types, and the metadata keys, are those
 * llama.cpp's converter wrote for the same configuration. */
static void
compare_with_converter (const char *spec, const char *ref_path, LbType matrix_type)
{
  g_autofree char *path = write_synth (spec, matrix_type, 1, 0, "conv.gguf", NULL);
  g_autoptr (LbGgufReader) ours = open_reader (path);
  g_autoptr (LbGgufReader) ref = open_reader (ref_path);
  LbMeta *mo = lb_gguf_reader_get_meta (ours), *mr = lb_gguf_reader_get_meta (ref);

  g_assert_cmpuint (lb_gguf_reader_get_n_tensors (ours), ==, lb_gguf_reader_get_n_tensors (ref));
  for (guint i = 0; i < lb_gguf_reader_get_n_tensors (ref); i++)
    {
      const LbTensor *r = lb_gguf_reader_get_tensor (ref, i);
      const LbTensor *o = lb_gguf_reader_find_tensor (ours, r->name);

      if (o == NULL)
        {
          g_test_fail_printf ("%s: tensor %s missing", spec, r->name);
          continue;
        }
      g_assert_cmpuint (o->n_dims, ==, r->n_dims);
      for (guint d = 0; d < LB_MAX_DIMS; d++)
        g_assert_cmpint (o->ne[d], ==, r->ne[d]);
      /* the reference is a float file: vectors F32, matrices its float type */
      g_assert_cmpint (o->type, ==, r->type == LB_TYPE_F32 ? LB_TYPE_F32 : matrix_type);
    }
  for (guint i = 0; i < lb_meta_get_n_keys (mr); i++)
    {
      const char *key = lb_meta_get_key (mr, i);
      /* tokenizer options of the real vocabulary the synthetic one has not */
      if (strcmp (key, "tokenizer.ggml.padding_token_id") == 0
          || strcmp (key, "tokenizer.ggml.add_space_prefix") == 0)
        continue;
      if (!lb_meta_contains (mo, key))
        g_test_fail_printf ("%s: metadata key %s missing", spec, key);
      else if (lb_meta_lookup (mo, key)->type != lb_meta_lookup (mr, key)->type)
        g_test_fail_printf ("%s: metadata key %s has another type", spec, key);
    }
  {
    guint32 fo = 0, fr = 1;
    g_assert_true (lb_meta_get_u32 (mo, "general.file_type", &fo, NULL));
    g_assert_true (lb_meta_get_u32 (mr, "general.file_type", &fr, NULL));
    g_assert_cmpuint (fo, ==, fr);
  }
}

static void
test_matches_converter_qwen2 (void)
{
  g_autofree char *ref = lb_test_shared_path ("models", "mini-qwen2", "mini-qwen2-f16.gguf", NULL);
  g_autoptr (LbModel) a = NULL, b = NULL;
  g_autofree char *path = NULL;
  const LbHParams *ha, *hb;

  if (ref == NULL)
    return;
  compare_with_converter (MINI_QWEN2, ref, LB_TYPE_F16);

  /* and the model reads the same hyper-parameters from both */
  path = g_build_filename (tmpdir, "conv.gguf", NULL);
  a = lb_model_load (path, NULL, NULL, NULL);
  b = lb_model_load (ref, NULL, NULL, NULL);
  g_assert_nonnull (a);
  g_assert_nonnull (b);
  ha = lb_model_get_hparams (a);
  hb = lb_model_get_hparams (b);
  g_assert_cmpint (ha->arch, ==, hb->arch);
  g_assert_cmpuint (ha->n_layer, ==, hb->n_layer);
  g_assert_cmpuint (ha->n_embd, ==, hb->n_embd);
  g_assert_cmpuint (ha->n_ff, ==, hb->n_ff);
  g_assert_cmpuint (ha->n_head_kv, ==, hb->n_head_kv);
  g_assert_cmpuint (ha->n_ctx_train, ==, hb->n_ctx_train);
  g_assert_cmpfloat (ha->rope_freq_base, ==, hb->rope_freq_base);
  g_assert_cmpfloat (ha->norm_eps, ==, hb->norm_eps);
  g_assert_cmpint (ha->tied_output, ==, hb->tied_output);
  g_assert_cmpuint (lb_model_get_n_params (a), ==, lb_model_get_n_params (b));
}

/* llama3 rope scaling: the frequency factors equal the converter's */
static void
test_matches_converter_llama3 (void)
{
  g_autofree char *ref = lb_test_shared_path ("models", "tiny-archs", "tiny-llama3",
                                              "tiny-llama3-bf16.gguf", NULL);
  g_autofree char *path = NULL;
  g_autoptr (LbGgufReader) ours = NULL, theirs = NULL;
  const LbTensor *o, *r;

  if (ref == NULL)
    return;
  compare_with_converter (TINY_LLAMA3, ref, LB_TYPE_BF16);
  path = g_build_filename (tmpdir, "conv.gguf", NULL);
  ours = open_reader (path);
  theirs = open_reader (ref);
  o = lb_gguf_reader_find_tensor (ours, "rope_freqs.weight");
  r = lb_gguf_reader_find_tensor (theirs, "rope_freqs.weight");
  g_assert_nonnull (o);
  g_assert_nonnull (r);
  g_assert_cmpuint (o->n_bytes, ==, r->n_bytes);
  for (gsize i = 0; i < r->n_bytes / 4; i++)
    {
      float x, y;
      memcpy (&x, o->data + 4 * i, 4);
      memcpy (&y, r->data + 4 * i, 4);
      g_assert_cmpfloat_with_epsilon (x, y, 1e-5 * fabsf (y) + 1e-6);
    }
}

static void
test_matches_converter_gemma2 (void)
{
  g_autofree char *ref = lb_test_shared_path ("models", "tiny-archs", "tiny-gemma2",
                                              "tiny-gemma2-bf16.gguf", NULL);
  g_autofree char *path = NULL;
  g_autoptr (LbModel) model = NULL;
  g_autoptr (LbRefEngine) engine = NULL;
  g_autofree float *logits = NULL;
  GError *error = NULL;

  if (ref == NULL)
    return;
  compare_with_converter (TINY_GEMMA2, ref, LB_TYPE_BF16);
  path = g_build_filename (tmpdir, "conv.gguf", NULL);
  model = lb_model_load (path, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (lb_model_get_layer (model, 0)->attn_post_norm);
  g_assert_cmpfloat (lb_model_get_hparams (model)->final_softcap, ==, 30.0f);
  engine = lb_ref_engine_new (model, 8, &error);
  g_assert_no_error (error);
  logits = g_new (float, 4096);
  g_assert_true (lb_ref_engine_eval (engine, 1, logits, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < 4096; i++)
    g_assert_true (isfinite (logits[i]) && fabsf (logits[i]) <= 30.0f);
}

/* Loads, is labelled synthetic, tokenizes, and both engines run it */
static void
test_runs (void)
{
  g_autofree char *path = write_synth (SMALL, LB_TYPE_F16, 7, 0, "small.gguf", NULL);
  g_autoptr (LbModel) model = NULL;
  g_autoptr (LbRefEngine) ref = NULL;
  g_autoptr (LbEngine) fast = NULL;
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_autofree char *text = NULL;
  g_autofree float *a = g_new (float, 600), *b = g_new (float, 600);
  LbTokenizer *tok;
  LbMeta *meta;
  gboolean synthetic = FALSE;
  double dot = 0, na = 0, nb = 0;
  GError *error = NULL;

  model = lb_model_load (path, NULL, NULL, &error);
  g_assert_no_error (error);
  meta = lb_model_get_meta (model);
  g_assert_true (g_str_has_prefix (lb_model_get_name (model), "synthetic custom:arch=qwen2,"));
  g_assert_true (lb_meta_get_bool (meta, "lowbit.synthetic", &synthetic, NULL));
  g_assert_true (synthetic);
  g_assert_cmpuint (lb_model_get_hparams (model)->n_vocab, ==, 600);

  tok = lb_model_get_tokenizer (model);
  g_assert_cmpuint (lb_tokenizer_get_n_vocab (tok), ==, 600);
  g_assert_true (lb_tokenizer_encode (tok, "hello world: 3 + 4", -1, TRUE, ids, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_array_index (ids, gint32, 0), ==, 1);
  text = lb_tokenizer_decode (tok, (gint32 *) ids->data, ids->len);
  g_assert_cmpstr (text, ==, "hello world: 3 + 4");

  ref = lb_ref_engine_new (model, 16, &error);
  g_assert_no_error (error);
  fast = lb_engine_new (model, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (lb_ref_engine_eval_batch (ref, (gint32 *) ids->data, ids->len, NULL, a, &error));
  g_assert_no_error (error);
  g_assert_true (lb_engine_eval (fast, (gint32 *) ids->data, ids->len, NULL, b, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < 600; i++)
    {
      g_assert_true (isfinite (a[i]));
      dot += (double) a[i] * b[i];
      na += (double) a[i] * a[i];
      nb += (double) b[i] * b[i];
    }
  g_assert_cmpfloat (na, >, 0.0);
  /* the same model computed two ways */
  g_assert_cmpfloat (dot / sqrt (na * nb), >, 0.999);
}

/* n floats of a tensor of any type with a to_float kernel */
static float *
dequantize (const LbTensor *t, gint64 *n)
{
  const LbTypeTraits *tr = lb_type_get_traits (t->type);
  gint64 rows = lb_tensor_n_rows (t);
  float *out = g_new (float, lb_tensor_n_elements (t));

  for (gint64 r = 0; r < rows; r++)
    tr->to_float (t->data + r * lb_tensor_row_bytes (t), out + r * t->ne[0], t->ne[0]);
  *n = lb_tensor_n_elements (t);
  return out;
}

/* Requested types are honoured, rows that do not fit fall back, and the
 * quantized weights are the F32 weights of the same seed, rounded. */
static void
test_types (void)
{
  /* ff=96: ffn_down rows of 96 do not fit 256-blocks */
  const char *spec = "custom:arch=llama,layers=1,embd=256,ff=96,heads=4,kv=2,vocab=300,ctx=32";
  static const struct { LbType type; double max_rel_rms; guint fallback; } cases[] = {
    { LB_TYPE_F16, 1e-3, 0 }, { LB_TYPE_BF16, 8e-3, 0 }, { LB_TYPE_Q8_0, 0.01, 0 },
    { LB_TYPE_Q4_0, 0.15, 0 }, { LB_TYPE_Q4_K, 0.15, 1 }, { LB_TYPE_Q6_K, 0.05, 1 },
  };
  g_autofree char *ref_path = write_synth (spec, LB_TYPE_F32, 3, 0, "f32.gguf", NULL);
  g_autoptr (LbGgufReader) ref = open_reader (ref_path);

  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      LbSynthResult res;
      g_autofree char *file = g_strdup_printf ("t%u.gguf", c);
      g_autofree char *path = write_synth (spec, cases[c].type, 3, 0, file, &res);
      g_autoptr (LbGgufReader) r = open_reader (path);
      g_autoptr (LbModel) model = lb_model_load (path, NULL, NULL, NULL);

      g_assert_nonnull (model);
      g_assert_cmpuint (res.n_fallback, ==, cases[c].fallback);
      for (guint i = 0; i < lb_gguf_reader_get_n_tensors (r); i++)
        {
          const LbTensor *t = lb_gguf_reader_get_tensor (r, i);
          const LbTensor *f = lb_gguf_reader_find_tensor (ref, t->name);
          g_autofree float *x = NULL, *y = NULL;
          double err = 0, sum = 0;
          gint64 n, m;

          if (t->n_dims == 1)
            {
              g_assert_cmpint (t->type, ==, LB_TYPE_F32);
              continue;
            }
          if (cases[c].fallback && strcmp (t->name, "blk.0.ffn_down.weight") == 0)
            g_assert_cmpint (t->type, ==, LB_TYPE_Q8_0);
          else
            g_assert_cmpint (t->type, ==, cases[c].type);
          x = dequantize (t, &n);
          y = dequantize (f, &m);
          g_assert_cmpint (n, ==, m);
          for (gint64 k = 0; k < n; k++)
            {
              err += (double) (x[k] - y[k]) * (x[k] - y[k]);
              sum += (double) y[k] * y[k];
            }
          g_assert_cmpfloat (sqrt (err / sum), <, cases[c].max_rel_rms);
        }
    }
}

static GBytes *
read_bytes (const char *path)
{
  char *data;
  gsize len;
  GError *error = NULL;

  g_assert_true (g_file_get_contents (path, &data, &len, &error));
  g_assert_no_error (error);
  return g_bytes_new_take (data, len);
}

static void
test_deterministic (void)
{
  g_autofree char *a = write_synth (SMALL, LB_TYPE_Q8_0, 11, 1, "a.gguf", NULL);
  g_autofree char *b = write_synth (SMALL, LB_TYPE_Q8_0, 11, 3, "b.gguf", NULL);
  g_autofree char *c = write_synth (SMALL, LB_TYPE_Q8_0, 12, 1, "c.gguf", NULL);
  g_autoptr (GBytes) ba = read_bytes (a), bb = read_bytes (b), bc = read_bytes (c);

  g_assert_true (g_bytes_equal (ba, bb));
  g_assert_cmpuint (g_bytes_get_size (ba), ==, g_bytes_get_size (bc));
  g_assert_false (g_bytes_equal (ba, bc));
}

/* The weights are N(0, 0.02): mean, standard deviation and the share
 * beyond two and three standard deviations of a normal distribution */
static void
test_statistics (void)
{
  g_autofree char *path = write_synth ("custom:arch=llama,layers=1,embd=512,ff=256,heads=4,"
                                       "kv=4,vocab=2048", LB_TYPE_F32, 5, 0, "stat.gguf", NULL);
  g_autoptr (LbGgufReader) r = open_reader (path);
  const LbTensor *t = lb_gguf_reader_find_tensor (r, "token_embd.weight");
  const LbTensor *norm = lb_gguf_reader_find_tensor (r, "output_norm.weight");
  const float *x = (const float *) t->data;
  gint64 n = lb_tensor_n_elements (t);
  double sum = 0, sq = 0, std;
  gint64 beyond2 = 0, beyond3 = 0;

  g_assert_cmpint (n, ==, 512 * 2048);
  for (gint64 i = 0; i < n; i++)
    {
      sum += x[i];
      sq += (double) x[i] * x[i];
    }
  std = sqrt (sq / n - (sum / n) * (sum / n));
  for (gint64 i = 0; i < n; i++)
    {
      beyond2 += fabs (x[i]) > 2 * 0.02;
      beyond3 += fabs (x[i]) > 3 * 0.02;
    }
  g_test_message ("mean %g, std %g, beyond 2σ %.4f, beyond 3σ %.5f", sum / n, std,
                  (double) beyond2 / n, (double) beyond3 / n);
  g_assert_cmpfloat (fabs (sum / n), <, 1e-4);
  g_assert_cmpfloat (fabs (std - 0.02), <, 0.0002);
  g_assert_cmpfloat (fabs ((double) beyond2 / n - 0.0455), <, 0.002);
  g_assert_cmpfloat (fabs ((double) beyond3 / n - 0.0027), <, 0.0005);
  for (gint64 i = 0; i < norm->ne[0]; i++)
    g_assert_cmpfloat (((const float *) norm->data)[i], ==, 1.0f);
}

/* A 64 MiB tensor is streamed: memory grows by far less than the file */
static void
test_bounded_memory (void)
{
  LbMemStat before, after;
  LbSynthResult res;
  g_autofree char *path = NULL;

  if (!lb_memstat_reset_peak (NULL))
    g_test_message ("cannot reset the peak RSS: the bound is checked against the process peak");
  g_assert_true (lb_memstat_read (&before, NULL));
  path = write_synth ("custom:arch=llama,layers=1,embd=1024,ff=64,heads=8,kv=8,vocab=16384",
                      LB_TYPE_F32, 1, 0, "big.gguf", &res);
  g_assert_true (lb_memstat_read (&after, NULL));
  g_test_message ("file %" G_GUINT64_FORMAT " MiB, peak RSS %" G_GUINT64_FORMAT " -> %"
                  G_GUINT64_FORMAT " MiB", res.file_size >> 20, before.peak_rss >> 20,
                  after.peak_rss >> 20);
  g_assert_cmpuint (res.file_size, >, (guint64) 64 << 20);
  g_assert_cmpuint (after.peak_rss, <, before.rss + res.file_size / 2);
  g_unlink (path);
}

static void
test_cancel_and_errors (void)
{
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autofree char *path = g_build_filename (tmpdir, "cancelled.gguf", NULL);
  g_autofree char *bad = g_build_filename (tmpdir, "no", "such", "dir.gguf", NULL);
  LbSynthParams params = LB_SYNTH_PARAMS_INIT;
  LbSynthShape shape;
  GError *error = NULL;

  g_assert_true (lb_synth_shape_parse (SMALL, &shape, NULL));
  g_cancellable_cancel (cancellable);
  g_assert_false (lb_synth_write (&shape, &params, path, NULL, NULL, NULL, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));

  g_assert_false (lb_synth_write (&shape, &params, bad, NULL, NULL, NULL, NULL, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);

  params.type = LB_TYPE_Q8_K;   /* an intermediate type nothing stores */
  g_assert_false (lb_synth_write (&shape, &params, path, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
}

int
main (int argc, char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  tmpdir = lb_test_make_tmpdir ();
  g_test_add_func ("/lowbit/synth/named-shapes", test_named_shapes);
  g_test_add_func ("/lowbit/synth/parse-errors", test_parse_errors);
  g_test_add_func ("/lowbit/synth/matches-converter-qwen2", test_matches_converter_qwen2);
  g_test_add_func ("/lowbit/synth/matches-converter-llama3", test_matches_converter_llama3);
  g_test_add_func ("/lowbit/synth/matches-converter-gemma2", test_matches_converter_gemma2);
  g_test_add_func ("/lowbit/synth/runs", test_runs);
  g_test_add_func ("/lowbit/synth/types", test_types);
  g_test_add_func ("/lowbit/synth/deterministic", test_deterministic);
  g_test_add_func ("/lowbit/synth/statistics", test_statistics);
  g_test_add_func ("/lowbit/synth/bounded-memory", test_bounded_memory);
  g_test_add_func ("/lowbit/synth/cancel-and-errors", test_cancel_and_errors);
  ret = g_test_run ();
  lb_test_rmtree (tmpdir);
  g_free (tmpdir);
  return ret;
}
