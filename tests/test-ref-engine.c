/* test-ref-engine.c: the reference forward pass against independent oracles
 * (llama2.c's published stories260K output, transformers' mini-qwen2
 * logits), plus its math helpers against hand-computed values. */
#include <glib.h>
#include <ctype.h>
#include <math.h>
#include <string.h>

#include "lowbit.h"
#include "lb-convert.h"
#include "lb-model-private.h"
#include "lb-ref-engine-private.h"
#include "lb-test-util.h"

#define ASSERT_NEAR(a, b, tol) g_assert_cmpfloat_with_epsilon ((double) (a), (double) (b), (tol))
#define ASSERT_EXACT(a, b) g_assert_cmpfloat ((double) (a), ==, (double) (b))

/* ---- math helpers ---------------------------------------------------------- */

static void
test_dot_silu (void)
{
  const float a[] = { 1, 2, 3, 4, 5, 6, 7 };
  const float b[] = { 0.5f, -1, 2, 0, 1, -2, 0.25f };

  /* 0.5 - 2 + 6 + 0 + 5 - 12 + 1.75 */
  ASSERT_NEAR (lb_ref_dot (a, b, 7), -0.75, 1e-6);
  ASSERT_EXACT (lb_ref_dot (a, b, 0), 0.0);
  ASSERT_NEAR (lb_ref_silu (0.0f), 0.0, 1e-7);
  ASSERT_NEAR (lb_ref_silu (1.0f), 0.7310586, 1e-6);     /* 1 / (1 + e^-1) */
  ASSERT_NEAR (lb_ref_silu (-2.0f), -0.2384058, 1e-6);   /* -2 / (1 + e^2) */
}

static void
test_rmsnorm (void)
{
  const float x[] = { 1, 2, 3, 4 };
  const float w[] = { 1, 1, 2, 0.5f };
  const float x2[] = { 3, 4 };
  const float w2[] = { 1, 1 };
  float out[4];
  float inplace[2] = { 3, 4 };

  /* mean square 7.5, 1/sqrt(7.5) = 0.36514837 */
  lb_ref_rmsnorm (out, x, w, 4, 0.0f);
  ASSERT_NEAR (out[0], 0.36514837, 1e-6);
  ASSERT_NEAR (out[1], 0.73029674, 1e-6);
  ASSERT_NEAR (out[2], 2.19089023, 1e-6);
  ASSERT_NEAR (out[3], 0.73029674, 1e-6);

  /* eps counts inside the root: 1/sqrt(12.5 + 1) = 0.27216553 */
  lb_ref_rmsnorm (out, x2, w2, 2, 1.0f);
  ASSERT_NEAR (out[0], 0.81649658, 1e-6);
  ASSERT_NEAR (out[1], 1.08866211, 1e-6);
  lb_ref_rmsnorm (inplace, inplace, w2, 2, 1.0f);
  ASSERT_NEAR (inplace[0], 0.81649658, 1e-6);
  ASSERT_NEAR (inplace[1], 1.08866211, 1e-6);
}

static void
test_softmax (void)
{
  float a[] = { 1, 2, 3 };
  float big[] = { 1000, 1001, 1002 };   /* overflows without the max shift */
  float masked[] = { -INFINITY, 0, 0 };
  float all_inf[] = { -INFINITY, -INFINITY };
  float one[] = { 42 };

  lb_ref_softmax (a, 3);
  lb_ref_softmax (big, 3);
  ASSERT_NEAR (a[0], 0.09003057, 1e-6);
  ASSERT_NEAR (a[1], 0.24472847, 1e-6);
  ASSERT_NEAR (a[2], 0.66524096, 1e-6);
  for (guint i = 0; i < 3; i++)
    ASSERT_NEAR (big[i], a[i], 1e-6);
  lb_ref_softmax (masked, 3);
  ASSERT_EXACT (masked[0], 0.0);
  ASSERT_NEAR (masked[1], 0.5, 1e-7);
  lb_ref_softmax (all_inf, 2);
  ASSERT_EXACT (all_inf[0], 0.5);
  lb_ref_softmax (one, 1);
  ASSERT_EXACT (one[0], 1.0);
}

static void
test_rope (void)
{
  double inv_freq[3];
  float cos_t[3], sin_t[3];
  float h[6];

  /* base 10000, n_rot 4: theta_i = pos * 10000^(-2i/4) = pos * {1, 0.01} */
  lb_ref_rope_inv_freq (inv_freq, 4, 10000.0);
  ASSERT_NEAR (inv_freq[0], 1.0, 1e-12);
  ASSERT_NEAR (inv_freq[1], 0.01, 1e-12);

  /* position 0 is the identity */
  lb_ref_rope_angles (cos_t, sin_t, inv_freq, 2, 0);
  for (guint type = LB_ROPE_NORMAL; type <= LB_ROPE_NEOX; type++)
    {
      const float in[] = { 0.3f, -1.2f, 2.5f, 0.7f, 5, 6 };
      memcpy (h, in, sizeof h);
      lb_ref_rope_rotate (h, 4, cos_t, sin_t, type);
      for (guint i = 0; i < 6; i++)
        ASSERT_EXACT (h[i], in[i]);
    }

  lb_ref_rope_angles (cos_t, sin_t, inv_freq, 2, 1);
  {
    /* NORMAL pairs (0,1) by 1 rad and (2,3) by 0.01 rad; 4, 5 do not rotate */
    const float in[] = { 1, 0, 0, 1, 5, 6 };
    memcpy (h, in, sizeof h);
    lb_ref_rope_rotate (h, 4, cos_t, sin_t, LB_ROPE_NORMAL);
    ASSERT_NEAR (h[0], 0.54030231, 1e-6);
    ASSERT_NEAR (h[1], 0.84147098, 1e-6);
    ASSERT_NEAR (h[2], -0.00999983, 1e-6);
    ASSERT_NEAR (h[3], 0.99995000, 1e-6);
    ASSERT_EXACT (h[4], 5.0);
    ASSERT_EXACT (h[5], 6.0);

    /* NEOX pairs (0,2) by 1 rad and (1,3) by 0.01 rad */
    memcpy (h, in, sizeof h);
    lb_ref_rope_rotate (h, 4, cos_t, sin_t, LB_ROPE_NEOX);
    ASSERT_NEAR (h[0], 0.54030231, 1e-6);
    ASSERT_NEAR (h[1], -0.00999983, 1e-6);
    ASSERT_NEAR (h[2], 0.84147098, 1e-6);
    ASSERT_NEAR (h[3], 0.99995000, 1e-6);
    ASSERT_EXACT (h[4], 5.0);
  }

  /* rotations preserve norms, and q·k depends only on the distance */
  {
    double f8[4];
    float c[4], s[4];
    const float q0[] = { 0.1f, 0.9f, -0.4f, 0.3f, 1.1f, -0.8f, 0.2f, 0.5f };
    const float k0[] = { -0.7f, 0.2f, 0.6f, 0.1f, -0.3f, 0.9f, 0.4f, -0.2f };

    lb_ref_rope_inv_freq (f8, 8, 500.0);
    for (guint type = LB_ROPE_NORMAL; type <= LB_ROPE_NEOX; type++)
      {
        float q[8], k[8];
        double d1, d2;

        memcpy (q, q0, sizeof q);
        memcpy (k, k0, sizeof k);
        lb_ref_rope_angles (c, s, f8, 4, 5);
        lb_ref_rope_rotate (q, 8, c, s, type);
        lb_ref_rope_angles (c, s, f8, 4, 3);
        lb_ref_rope_rotate (k, 8, c, s, type);
        ASSERT_NEAR (lb_ref_dot (q, q, 8), lb_ref_dot (q0, q0, 8), 1e-5);
        d1 = lb_ref_dot (q, k, 8);

        memcpy (q, q0, sizeof q);
        memcpy (k, k0, sizeof k);
        lb_ref_rope_angles (c, s, f8, 4, 12);
        lb_ref_rope_rotate (q, 8, c, s, type);
        lb_ref_rope_angles (c, s, f8, 4, 10);
        lb_ref_rope_rotate (k, 8, c, s, type);
        d2 = lb_ref_dot (q, k, 8);
        ASSERT_NEAR (d1, d2, 1e-5);
        /* and does change with the distance */
        g_assert_cmpfloat (fabs (d1 - lb_ref_dot (q0, k0, 8)), >, 1e-3);
      }
  }
}

/* y = W x through each float type's to_float kernel, one row at a time */
static void
test_matvec (void)
{
  const float w[] = { 1, 2, 3, -1, 0.5f, 2 };   /* ne = [3, 2]: rows {1,2,3}, {-1,0.5,2} */
  const float x[] = { 1, 1, 2 };
  const gint64 ne[] = { 3, 2 };
  guint16 w16[6], wbf[6];
  float y[2], row[3];

  for (guint i = 0; i < 6; i++)
    {
      w16[i] = GUINT16_TO_LE (lb_fp32_to_fp16 (w[i]));
      wbf[i] = GUINT16_TO_LE (lb_fp32_to_bf16 (w[i]));
    }
  {
    g_autoptr (LbTensor) t = lb_tensor_new ("w32", LB_TYPE_F32, 2, ne, (const guint8 *) w, sizeof w);
    g_autoptr (LbTensor) t16 = lb_tensor_new ("w16", LB_TYPE_F16, 2, ne, (const guint8 *) w16, sizeof w16);
    g_autoptr (LbTensor) tbf = lb_tensor_new ("wbf", LB_TYPE_BF16, 2, ne, (const guint8 *) wbf, sizeof wbf);
    const LbTensor *all[] = { t, t16, tbf };

    for (guint i = 0; i < G_N_ELEMENTS (all); i++)
      {
        memset (y, 0, sizeof y);
        lb_ref_matvec (all[i], x, y, row);
        ASSERT_NEAR (y[0], 9.0, 1e-6);
        ASSERT_NEAR (y[1], 3.5, 1e-6);
      }
  }
}

/* ---- stories260K: llama2.c's published greedy output ---------------------- */

/* The fenced block under "## stories260K published output" in the shared
 * models README, without the fence lines. */
static char *
published_stories_text (void)
{
  g_autofree char *readme = lb_test_shared_path ("models", "README.md", NULL);
  g_autofree char *contents = NULL;
  GError *error = NULL;
  const char *sec, *start, *end;

  if (readme == NULL)
    return NULL;
  g_file_get_contents (readme, &contents, NULL, &error);
  g_assert_no_error (error);
  sec = strstr (contents, "## stories260K published output");
  g_assert_nonnull (sec);
  start = strstr (sec, "```\n");
  g_assert_nonnull (start);
  start += 4;
  end = strstr (start, "\n```");
  g_assert_nonnull (end);
  return g_strndup (start, end - start);
}

/* llama2.c run.c's generate loop at temperature 0 with an empty prompt:
 * start from BOS, stop after `steps` forward passes or when BOS is sampled;
 * pieces that are a single unprintable byte are skipped as its safe_printf
 * does. */
static char *
llama2c_generate (LbModel *model, guint steps)
{
  LbTokenizer *tok = lb_model_get_tokenizer (model);
  const LbHParams *hp = lb_model_get_hparams (model);
  g_autoptr (LbRefEngine) engine = NULL;
  g_autofree float *logits = g_new (float, hp->n_vocab);
  GString *out = g_string_new (NULL);
  GString *piece = g_string_new (NULL);
  GError *error = NULL;
  gint32 token = 1, next;

  g_assert_cmpint (lb_tokenizer_get_bos (tok), ==, 1);
  engine = lb_ref_engine_new (model, 0, &error);
  g_assert_no_error (error);

  for (guint pos = 0; pos < steps;)
    {
      lb_ref_engine_eval (engine, token, logits, &error);
      g_assert_no_error (error);
      next = lb_argmax (logits, hp->n_vocab);
      pos++;
      if (next == 1)
        break;
      g_string_truncate (piece, 0);
      lb_tokenizer_append_piece (tok, token, next, piece);
      if (!(piece->len == 1 && !(isprint ((guchar) piece->str[0]) || isspace ((guchar) piece->str[0]))))
        g_string_append_len (out, piece->str, piece->len);
      token = next;
    }
  g_string_free (piece, TRUE);
  return g_string_free (out, FALSE);
}

static void
check_stories (LbModel *model)
{
  g_autofree char *expected = published_stories_text ();
  g_autofree char *text = NULL;

  if (expected == NULL)
    return;
  /* llama2.c's documented run: 256 steps from BOS */
  text = llama2c_generate (model, 256);
  g_test_message ("generated %zu bytes", strlen (text));
  g_assert_cmpstr (text, ==, expected);
}

static LbModel *
load_stories (void)
{
  g_autofree char *bin = lb_test_source_path ("data", "stories260K", "stories260K.bin", NULL);
  g_autofree char *tok = lb_test_source_path ("data", "stories260K", "tok512.bin", NULL);
  GError *error = NULL;
  LbModel *model = lb_model_load (bin, tok, NULL, &error);

  g_assert_no_error (error);
  return model;
}

static void
test_stories_llama2c (void)
{
  g_autoptr (LbModel) model = load_stories ();
  check_stories (model);
}

static void
test_stories_gguf (void)
{
  g_autoptr (LbModel) model = load_stories ();
  g_autoptr (LbModel) converted = NULL;
  g_autofree char *dir = lb_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "stories260K.gguf", NULL);
  GError *error = NULL;

  lb_model_export_gguf (model, path, LB_CONVERT_AUTO, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  converted = lb_model_load (path, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (lb_model_get_format (converted), ==, LB_MODEL_FORMAT_GGUF);
  check_stories (converted);
  g_clear_object (&converted);
  lb_test_rmtree (dir);
}

/* ---- mini-qwen2: transformers' logits -------------------------------------- */

static void
check_mini_qwen2 (const char *model_path, double tolerance)
{
  g_autofree char *json = lb_test_shared_path ("models", "mini-qwen2", "ref-logits.json", NULL);
  g_autofree char *f32 = lb_test_shared_path ("models", "mini-qwen2", "ref-logits.f32", NULL);
  g_autoptr (LbModel) model = NULL;
  g_autoptr (LbRefEngine) engine = NULL;
  g_autoptr (GArray) tokens = NULL;
  g_autoptr (GArray) greedy = NULL;
  g_autofree float *ref = NULL;
  g_autofree float *logits = NULL;
  GError *error = NULL;
  gsize n_ref;
  guint n, n_vocab;
  double worst = 0.0;
  gint64 t0, t1;

  if (json == NULL || f32 == NULL)
    return;
  model = lb_model_load (model_path, NULL, NULL, &error);
  g_assert_no_error (error);
  n_vocab = lb_model_get_hparams (model)->n_vocab;
  g_assert_cmpuint (n_vocab, ==, 4096);

  tokens = lb_test_json_int_array (json, "tokens");
  greedy = lb_test_json_int_array (json, "greedy_24");
  ref = lb_test_read_f32 (f32, &n_ref);
  n = tokens->len;
  g_assert_cmpuint (n_ref, ==, (gsize) n * n_vocab);

  engine = lb_ref_engine_new (model, 0, &error);
  g_assert_no_error (error);
  logits = g_new (float, (gsize) n * n_vocab);
  lb_ref_engine_eval_batch (engine, (const gint32 *) tokens->data, n, logits, NULL, &error);
  g_assert_no_error (error);

  /* every position: max |diff| within tolerance of that row's max |logit| */
  for (guint p = 0; p < n; p++)
    {
      const float *r = ref + (gsize) p * n_vocab;
      const float *l = logits + (gsize) p * n_vocab;
      double max_ref = 0.0, max_diff = 0.0;

      for (guint i = 0; i < n_vocab; i++)
        {
          g_assert_true (isfinite (l[i]));
          max_ref = MAX (max_ref, fabs (r[i]));
          max_diff = MAX (max_diff, fabs ((double) l[i] - r[i]));
        }
      g_assert_cmpfloat (max_ref, >, 0.0);
      worst = MAX (worst, max_diff / max_ref);
      if (max_diff > tolerance * max_ref)
        g_test_fail_printf ("position %u: max |logit diff| %.6g > %.3g × max |logit| %.6g",
                            p, max_diff, tolerance, max_ref);
    }
  g_test_message ("%s: max relative logit error %.3g (tolerance %.3g)",
                  model_path, worst, tolerance);

  /* greedy continuation */
  {
    const float *last = logits + (gsize) (n - 1) * n_vocab;
    g_autofree float *next_logits = g_new (float, n_vocab);
    gint32 next = lb_argmax (last, n_vocab);

    t0 = g_get_monotonic_time ();
    for (guint i = 0; i < greedy->len; i++)
      {
        g_assert_cmpint (next, ==, g_array_index (greedy, gint32, i));
        if (i + 1 == greedy->len)
          break;
        lb_ref_engine_eval (engine, next, next_logits, &error);
        g_assert_no_error (error);
        next = lb_argmax (next_logits, n_vocab);
      }
    t1 = g_get_monotonic_time ();
    g_test_message ("greedy: %u tokens at %.0f tokens/s", greedy->len - 1,
                    (greedy->len - 1) / ((t1 - t0) / 1e6));
  }
}

static void
test_mini_qwen2_hf (void)
{
  g_autofree char *dir = lb_test_shared_path ("models", "mini-qwen2", NULL);
  if (dir != NULL)
    check_mini_qwen2 (dir, 1e-3);
}

static void
test_mini_qwen2_gguf (void)
{
  g_autofree char *path = lb_test_shared_path ("models", "mini-qwen2", "mini-qwen2-f16.gguf", NULL);
  if (path != NULL)
    check_mini_qwen2 (path, 2e-3);
}

/* ---- taps, batches and errors ---------------------------------------------- */

typedef struct {
  guint n_calls;
  guint next_layer;
  guint pos;
  guint n_embd;
  gboolean ok;
} TapState;

static void
tap_cb (guint layer, guint pos, const float *hidden, guint n_embd, gpointer user_data)
{
  TapState *s = user_data;

  s->n_calls++;
  if (layer != s->next_layer || pos != s->pos || n_embd != s->n_embd)
    s->ok = FALSE;
  for (guint i = 0; i < n_embd; i++)
    if (!isfinite (hidden[i]))
      s->ok = FALSE;
  s->next_layer++;
}

static void
test_taps (void)
{
  g_autoptr (LbModel) model = load_stories ();
  const LbHParams *hp = lb_model_get_hparams (model);
  g_autoptr (LbRefEngine) engine = NULL;
  TapState s = { 0, 0, 0, hp->n_embd, TRUE };
  const gint32 tokens[] = { 1, 403, 407, 261 };
  GError *error = NULL;

  engine = lb_ref_engine_new (model, 16, &error);
  g_assert_no_error (error);
  lb_ref_engine_set_tap (engine, tap_cb, &s);
  for (guint i = 0; i < G_N_ELEMENTS (tokens); i++)
    {
      s.n_calls = 0;
      s.next_layer = 0;
      s.pos = i;
      lb_ref_engine_eval (engine, tokens[i], NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (s.n_calls, ==, hp->n_layer);
      g_assert_true (s.ok);
    }
  /* no tap after unsetting */
  lb_ref_engine_set_tap (engine, NULL, NULL);
  s.n_calls = 0;
  lb_ref_engine_eval (engine, 1, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (s.n_calls, ==, 0);
}

/* batch logits equal token-by-token logits; last_logits gets the last row;
 * reset starts over with the same results */
static void
test_batch_and_reset (void)
{
  g_autoptr (LbModel) model = load_stories ();
  guint nv = lb_model_get_hparams (model)->n_vocab;
  g_autoptr (LbRefEngine) engine = NULL;
  const gint32 tokens[] = { 1, 403, 407, 261, 99 };
  const guint n = G_N_ELEMENTS (tokens);
  g_autofree float *batch = g_new (float, n * nv);
  g_autofree float *last = g_new (float, nv);
  g_autofree float *one = g_new (float, nv);
  GError *error = NULL;

  engine = lb_ref_engine_new (model, 8, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (lb_ref_engine_get_n_ctx (engine), ==, 8);
  lb_ref_engine_eval_batch (engine, tokens, n, batch, last, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (lb_ref_engine_get_n_past (engine), ==, n);
  g_assert_cmpmem (last, nv * sizeof (float), batch + (n - 1) * nv, nv * sizeof (float));

  lb_ref_engine_reset (engine);
  g_assert_cmpuint (lb_ref_engine_get_n_past (engine), ==, 0);
  for (guint i = 0; i < n; i++)
    {
      lb_ref_engine_eval (engine, tokens[i], one, &error);
      g_assert_no_error (error);
      g_assert_cmpmem (one, nv * sizeof (float), batch + i * nv, nv * sizeof (float));
    }

  /* only the last row */
  lb_ref_engine_reset (engine);
  memset (last, 0, nv * sizeof (float));
  lb_ref_engine_eval_batch (engine, tokens, n, NULL, last, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (last, nv * sizeof (float), batch + (n - 1) * nv, nv * sizeof (float));
}

static void
test_errors (void)
{
  g_autoptr (LbModel) model = load_stories ();
  guint nv = lb_model_get_hparams (model)->n_vocab;
  g_autoptr (LbRefEngine) engine = NULL;
  g_autoptr (LbRefEngine) dflt = NULL;
  const gint32 three[] = { 1, 2, 3 };
  const gint32 bad_last[] = { 1, 2, (gint32) nv };
  GError *error = NULL;

  dflt = lb_ref_engine_new (model, 0, &error);
  g_assert_no_error (error);
  /* n_ctx 0: the training context (512 for stories260K) */
  g_assert_cmpuint (lb_ref_engine_get_n_ctx (dflt), ==, MIN (lb_model_get_hparams (model)->n_ctx_train, 4096));

  engine = lb_ref_engine_new (model, 4, &error);
  g_assert_no_error (error);

  /* out-of-range ids */
  g_assert_false (lb_ref_engine_eval (engine, -1, NULL, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  g_test_message ("%s", error->message);
  g_clear_error (&error);
  g_assert_false (lb_ref_engine_eval (engine, (gint32) nv, NULL, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  /* a batch with a bad id evaluates nothing */
  g_assert_false (lb_ref_engine_eval_batch (engine, bad_last, 3, NULL, NULL, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_cmpuint (lb_ref_engine_get_n_past (engine), ==, 0);

  /* the cache fills at n_ctx */
  g_assert_true (lb_ref_engine_eval_batch (engine, three, 3, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (lb_ref_engine_eval_batch (engine, three, 2, NULL, NULL, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_cmpuint (lb_ref_engine_get_n_past (engine), ==, 3);
  g_assert_true (lb_ref_engine_eval (engine, 5, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (lb_ref_engine_eval (engine, 5, NULL, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  g_test_message ("%s", error->message);
  g_clear_error (&error);
  g_assert_cmpuint (lb_ref_engine_get_n_past (engine), ==, 4);

  /* after a reset it works again */
  lb_ref_engine_reset (engine);
  g_assert_true (lb_ref_engine_eval (engine, 1, NULL, &error));
  g_assert_no_error (error);
}

/* stories260K rebuilt from its parts with one tensor changed: its type set
 * to `type` (same byte size) and its data cut to `n_bytes` (0: unchanged) */
static LbModel *
stories_with_changed_tensor (LbModel *base, const char *name, LbType type, gsize n_bytes)
{
  GPtrArray *tensors = g_ptr_array_new_with_free_func ((GDestroyNotify) lb_tensor_free);
  GPtrArray *keepalive = g_ptr_array_new_with_free_func (g_object_unref);
  GError *error = NULL;
  LbModel *model;

  for (guint i = 0; i < lb_model_get_n_tensors (base); i++)
    {
      const LbTensor *t = lb_model_get_tensor (base, i);
      gboolean changed = strcmp (t->name, name) == 0;

      g_ptr_array_add (tensors, lb_tensor_new (t->name, changed ? type : t->type, t->n_dims,
                                               t->ne, t->data,
                                               changed && n_bytes ? n_bytes : t->n_bytes));
    }
  g_ptr_array_add (keepalive, g_object_ref (base));
  model = lb_model_new_from_parts ("changed", LB_MODEL_FORMAT_GGUF, 0,
                                   lb_meta_ref (lb_model_get_meta (base)), tensors, keepalive,
                                   &error);
  g_assert_no_error (error);
  return model;
}

static void
test_bad_weights (void)
{
  g_autoptr (LbModel) base = load_stories ();
  const LbTensor *up = lb_model_find_tensor (base, "blk.2.ffn_up.weight");
  GError *error = NULL;

  g_assert_nonnull (up);
  g_assert_cmpint (up->type, ==, LB_TYPE_F32);
  {
    /* a type without a to_float kernel */
    g_autoptr (LbModel) m = stories_with_changed_tensor (base, "blk.2.ffn_up.weight",
                                                         LB_TYPE_I32, 0);
    g_autoptr (LbRefEngine) e = lb_ref_engine_new (m, 8, &error);
    g_assert_null (e);
    g_assert_error (error, LB_ERROR, LB_ERROR_UNSUPPORTED);
    g_test_message ("%s", error->message);
    g_assert_nonnull (strstr (error->message, "blk.2.ffn_up.weight"));
    g_assert_nonnull (strstr (error->message, "I32"));
    g_clear_error (&error);
  }
  {
    /* data shorter than the shape needs */
    g_autoptr (LbModel) m = stories_with_changed_tensor (base, "blk.2.ffn_up.weight",
                                                         LB_TYPE_F32, up->n_bytes - 4);
    g_autoptr (LbRefEngine) e = lb_ref_engine_new (m, 8, &error);
    g_assert_null (e);
    g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_FILE);
    g_test_message ("%s", error->message);
    g_assert_nonnull (strstr (error->message, "blk.2.ffn_up.weight"));
    g_clear_error (&error);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/lowbit/ref-engine/dot-silu", test_dot_silu);
  g_test_add_func ("/lowbit/ref-engine/rmsnorm", test_rmsnorm);
  g_test_add_func ("/lowbit/ref-engine/softmax", test_softmax);
  g_test_add_func ("/lowbit/ref-engine/rope", test_rope);
  g_test_add_func ("/lowbit/ref-engine/matvec", test_matvec);
  g_test_add_func ("/lowbit/ref-engine/stories260K-llama2c", test_stories_llama2c);
  g_test_add_func ("/lowbit/ref-engine/stories260K-gguf", test_stories_gguf);
  g_test_add_func ("/lowbit/ref-engine/mini-qwen2-hf", test_mini_qwen2_hf);
  g_test_add_func ("/lowbit/ref-engine/mini-qwen2-gguf", test_mini_qwen2_gguf);
  g_test_add_func ("/lowbit/ref-engine/taps", test_taps);
  g_test_add_func ("/lowbit/ref-engine/batch-reset", test_batch_and_reset);
  g_test_add_func ("/lowbit/ref-engine/errors", test_errors);
  g_test_add_func ("/lowbit/ref-engine/bad-weights", test_bad_weights);

  return g_test_run ();
}
