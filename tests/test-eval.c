/* test-eval.c: the evaluation loop (lb-eval.h) and its reference cache
 * (lb-logit-cache.h): synthetic backends with hand-computed answers,
 * transformers' mini-qwen2 logits as an independent oracle, real models
 * (f16 vs itself, Q8_0 vs f16), cache round trips, cancel and bad input. */
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <json-glib/json-glib.h>

#include "lowbit.h"
#include "lb-eval.h"
#include "lb-eval-metrics.h"
#include "lb-logit-cache.h"
#include "lb-test-util.h"

#define ASSERT_NEAR(a, b, tol) g_assert_cmpfloat_with_epsilon ((double) (a), (double) (b), (tol))

/* ---- a synthetic backend ----------------------------------------------------
 * The logits after input token t are `peak` at one id and 0 elsewhere (or
 * -40 elsewhere with `deep`, so that only the peak survives the clip). */
typedef struct {
  LbEvalBackend parent;
  float         peak;
  gboolean      deep;
  gint32        swap_from;   /* input token whose peak goes to t + 2 instead of t + 1 */
  guint         n_past, n_ctx;
  guint         n_forward;
} Synth;

static gboolean
synth_reset (LbEvalBackend *self, GError **error)
{
  ((Synth *) self)->n_past = 0;
  return TRUE;
}

static gboolean
synth_forward (LbEvalBackend *self, const gint32 *tokens, guint n, float *logits, GError **error)
{
  Synth *s = (Synth *) self;
  guint V = self->n_vocab;

  s->n_forward++;
  if (s->n_past + n > s->n_ctx)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_FAILED, "synthetic cache full");
      return FALSE;
    }
  s->n_past += n;
  for (guint i = 0; logits && i < n; i++)
    {
      float *row = logits + (gsize) i * V;
      gint32 t = tokens[i];

      for (guint v = 0; v < V; v++)
        row[v] = s->deep ? -40.0f : 0.0f;
      row[(t + (t == s->swap_from ? 2 : 1)) % V] = s->peak;
    }
  return TRUE;
}

static void
synth_free (LbEvalBackend *self)
{
  g_free (self);
}

static LbEvalBackend *
synth_new (guint n_vocab, guint n_ctx, float peak, gint32 swap_from, gboolean deep)
{
  Synth *s = g_new0 (Synth, 1);

  s->parent.n_vocab = n_vocab;
  s->parent.engine_name = "synthetic";
  s->parent.reset = synth_reset;
  s->parent.forward = synth_forward;
  s->parent.free = synth_free;
  s->peak = peak;
  s->deep = deep;
  s->swap_from = swap_from;
  s->n_ctx = n_ctx;
  return &s->parent;
}

/* tokens 0, 1, ..., V-1, 0, 1, ... */
static gint32 *
counting_chunks (guint n_chunks, guint n_ctx, guint V)
{
  gint32 *c = g_new (gint32, (gsize) n_chunks * n_ctx);

  for (guint i = 0; i < n_chunks * n_ctx; i++)
    c[i] = (gint32) (i % V);
  return c;
}

static void
test_chunks (void)
{
  const gint32 toks[] = { 1, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19 };
  g_autofree gint32 *c = NULL, *c1 = NULL;
  g_autoptr (GError) error = NULL;
  guint n = 0;

  /* 11 tokens, ctx 4: two chunks, the 3 left over are dropped; BOS first */
  c = lb_eval_make_chunks (toks, 11, 4, 0, 1, &n, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 2);
  g_assert_cmpint (c[0], ==, 1);
  g_assert_cmpint (c[3], ==, 12);
  g_assert_cmpint (c[4], ==, 1);      /* 13 replaced by BOS */
  g_assert_cmpint (c[5], ==, 14);
  g_assert_cmpint (c[7], ==, 16);

  /* --chunks caps; no BOS: nothing replaced */
  c1 = lb_eval_make_chunks (toks + 1, 10, 4, 1, -1, &n, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 1);
  g_assert_cmpint (c1[0], ==, 10);

  g_assert_null (lb_eval_make_chunks (toks, 3, 4, 0, 1, &n, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "too few"));
  g_clear_error (&error);
  g_assert_null (lb_eval_make_chunks (toks, 11, 2, 0, 1, &n, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
}

/* V 8, ctx 8: positions 4, 5, 6 of each chunk are scored, inputs 4, 5, 6
 * predicting 5, 6, 7. Reference: logit 3 on t+1. Candidate: logit 2 on t+1,
 * except after 5, where it is on 7. Expected values computed by hand (exact
 * softmax in double):
 *   KL (same peak)  = 0.10902752, KL (other peak) = 1.51830635
 *   ppl  = exp (mean (-ln (e^2/(e^2+7)), -ln (1/(e^2+7)), ...)) = 3.79291401
 *   ppl_base = 1 + 7 e^-3 = 1.34850948
 *   mean Δp = -0.37604762, RMS Δp = 0.43037674
 *   top-5 agreement 1: after 5, the candidate's 7 ties in the reference
 *   with its 5th best (all non-peak tokens are equal); logits MSE
 *   (1 + 13 + 1) / 24 = 0.625,
 *   max |error| 3, cosine (1 + 0 + 1) / 3 */
static void
test_synthetic (void)
{
  g_autoptr (LbEvalBackend) cand = synth_new (8, 8, 2.0f, 5, FALSE);
  g_autoptr (LbEvalBackend) ref = synth_new (8, 8, 3.0f, -1, FALSE);
  g_autofree gint32 *chunks = counting_chunks (3, 8, 8);
  g_autoptr (GError) error = NULL;
  g_autoptr (LbEvalResult) r = NULL;
  LbEvalParams p = { .n_ctx = 8 };

  r = lb_eval_run_backends (cand, ref, chunks, 3, &p, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (r->n_positions, ==, 9);
  ASSERT_NEAR (r->mean_kld, 0.578787132, 2e-5);
  ASSERT_NEAR (r->max_kld, 1.518306353, 2e-5);
  ASSERT_NEAR (r->kld_median, 0.109027521, 2e-5);
  ASSERT_NEAR (r->kld_90, 1.518306353, 2e-5);
  ASSERT_NEAR (r->ppl, 3.792914008, 1e-4);
  ASSERT_NEAR (r->ppl_base, 1.348509479, 1e-4);
  ASSERT_NEAR (r->same_top1, 6.0 / 9.0, 1e-12);
  ASSERT_NEAR (r->top5_agreement, 1.0, 1e-12);
  ASSERT_NEAR (r->mean_dp, -0.376047624, 1e-5);
  ASSERT_NEAR (r->rms_dp, 0.430376740, 1e-5);
  g_assert_true (r->has_logit_errors);
  ASSERT_NEAR (r->logits_mse, 0.625, 1e-12);
  ASSERT_NEAR (r->logits_max_abs, 3.0, 1e-12);
  ASSERT_NEAR (r->logits_cosine, 2.0 / 3.0, 1e-9);
  for (guint c = 0; c < 3; c++)
    {
      ASSERT_NEAR (r->chunk_mean_kld[c], 0.578787132, 2e-5);
      ASSERT_NEAR (r->chunk_same_top1[c], 2.0 / 3.0, 1e-12);
    }
  /* per chunk: a reset, the unscored half without logits, one scored slice */
  g_assert_cmpuint (((Synth *) cand)->n_forward, ==, 6);
}

static void
test_synthetic_errors (void)
{
  g_autoptr (LbEvalBackend) cand = synth_new (8, 8, 2.0f, -1, FALSE);
  g_autoptr (LbEvalBackend) small = synth_new (4, 8, 2.0f, -1, FALSE);
  g_autofree gint32 *chunks = counting_chunks (1, 8, 8);
  g_autoptr (GError) error = NULL;
  LbEvalParams p = { .n_ctx = 8 };

  g_assert_null (lb_eval_run_backends (cand, small, chunks, 1, &p, NULL, NULL, NULL, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "vocabulary mismatch"));
  g_clear_error (&error);

  /* ids past the vocabulary of a 4-token candidate */
  g_assert_null (lb_eval_run_backends (small, small, chunks, 1, &p, NULL, NULL, NULL, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  /* no reference at all */
  g_assert_null (lb_eval_run_backends (cand, NULL, chunks, 1, &p, NULL, NULL, NULL, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
}

static gboolean
results_identical (const LbEvalResult *a, const LbEvalResult *b)
{
  return a->n_positions == b->n_positions
    && a->ppl == b->ppl && a->ppl_base == b->ppl_base
    && a->mean_kld == b->mean_kld && a->max_kld == b->max_kld
    && a->kld_99_9 == b->kld_99_9 && a->kld_99 == b->kld_99
    && a->kld_90 == b->kld_90 && a->kld_median == b->kld_median
    && a->same_top1 == b->same_top1 && a->top5_agreement == b->top5_agreement
    && a->mean_dp == b->mean_dp && a->rms_dp == b->rms_dp
    && memcmp (a->chunk_mean_kld, b->chunk_mean_kld, a->n_chunks * sizeof (double)) == 0;
}

/* Both encodings of the kept set: bitmap (V 8, all kept) and id list (V 256,
 * only the peak above the clip). */
static void
test_synthetic_cache (void)
{
  const guint vocabs[] = { 8, 256 };

  for (guint k = 0; k < G_N_ELEMENTS (vocabs); k++)
    {
      guint V = vocabs[k];
      g_autofree char *dir = lb_test_make_tmpdir ();
      g_autofree char *path = g_build_filename (dir, "ref.lbref", NULL);
      g_autoptr (LbEvalBackend) cand = synth_new (V, 8, 2.0f, 5, V > 8);
      g_autoptr (LbEvalBackend) ref = synth_new (V, 8, 3.0f, -1, V > 8);
      g_autofree gint32 *chunks = counting_chunks (3, 8, V);
      g_autoptr (GError) error = NULL;
      g_autoptr (LbEvalResult) live = NULL, cached = NULL;
      LbEvalParams p = { .n_ctx = 8, .save_reference = path };

      live = lb_eval_run_backends (cand, ref, chunks, 3, &p, NULL, NULL, NULL, &error);
      g_assert_no_error (error);
      g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));

      p.save_reference = NULL;
      p.reference_cache = path;
      cached = lb_eval_run_backends (cand, NULL, chunks, 3, &p, NULL, NULL, NULL, &error);
      g_assert_no_error (error);
      g_assert_true (results_identical (live, cached));
      g_assert_false (cached->has_logit_errors);
      if (V > 8)
        {
          /* only the peak is kept; the candidate puts e^-42 on it after
           * token 5, which only the first chunk has (tokens 0..23) */
          g_assert_cmpfloat (live->max_kld, >, 30);
          g_assert_cmpfloat (live->same_top1, ==, 8.0 / 9.0);
        }

      /* fewer chunks than the cache holds is fine; more is not */
      g_clear_pointer (&cached, lb_eval_result_free);
      cached = lb_eval_run_backends (cand, NULL, chunks, 2, &p, NULL, NULL, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (cached->n_positions, ==, 6);
      {
        g_autofree gint32 *more = counting_chunks (4, 8, V);
        g_assert_null (lb_eval_run_backends (cand, NULL, more, 4, &p, NULL, NULL, NULL, &error));
        g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
        g_clear_error (&error);
      }
      /* other tokens: a different text */
      chunks[9] = (chunks[9] + 1) % (gint32) V;
      g_assert_null (lb_eval_run_backends (cand, NULL, chunks, 3, &p, NULL, NULL, NULL, &error));
      g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
      g_assert_nonnull (strstr (error->message, "different text"));
      g_clear_error (&error);
      /* another context */
      p.n_ctx = 4;
      g_assert_null (lb_eval_run_backends (cand, NULL, chunks, 3, &p, NULL, NULL, NULL, &error));
      g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);

      lb_test_rmtree (dir);
    }
}

/* Damaged cache files are refused with the byte offset, never crash. */
static void
test_cache_corrupt (void)
{
  g_autofree char *dir = lb_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "ref.lbref", NULL);
  g_autofree char *bad = g_build_filename (dir, "bad.lbref", NULL);
  g_autoptr (LbEvalBackend) cand = synth_new (8, 8, 2.0f, -1, FALSE);
  g_autoptr (LbEvalBackend) ref = synth_new (8, 8, 3.0f, -1, FALSE);
  g_autofree gint32 *chunks = counting_chunks (2, 8, 8);
  g_autoptr (GError) error = NULL;
  g_autoptr (LbEvalResult) live = NULL;
  g_autofree char *data = NULL;
  gsize len, tokens_end = 40 + 2 * 8 * 4;
  LbEvalParams p = { .n_ctx = 8, .save_reference = path };
  struct { gsize offset; guint8 value; const char *expect; } damage[] = {
    { 0, 'X', "bad magic" },
    { 8, 9, "version" },
    { 16, 3, "context" },                     /* n_ctx 3 */
    { 40, 99, "outside the vocabulary" },     /* token 0 = 99 */
    { tokens_end + 10, 7, "unknown encoding" },
    { tokens_end + 12, 8, "outside the vocabulary" },  /* top[0] = 8 */
    { tokens_end + 36, 0x7f, "count" },       /* bitmap marks 7 of 8 */
    { tokens_end + 3, 0xff, "valid" },        /* scale NaN */
  };

  live = lb_eval_run_backends (cand, ref, chunks, 2, &p, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &data, &len, NULL));
  p.save_reference = NULL;
  p.reference_cache = bad;

  for (guint i = 0; i < G_N_ELEMENTS (damage); i++)
    {
      g_autofree char *copy = g_memdup2 (data, len);
      g_autoptr (LbEvalResult) r = NULL;

      copy[damage[i].offset] = (char) damage[i].value;
      g_assert_true (g_file_set_contents (bad, copy, len, NULL));
      r = lb_eval_run_backends (cand, NULL, chunks, 2, &p, NULL, NULL, NULL, &error);
      g_assert_null (r);
      g_assert_nonnull (error);
      if (strstr (error->message, damage[i].expect) == NULL)
        g_error ("damage at byte %" G_GSIZE_FORMAT ": '%s' lacks '%s'", damage[i].offset,
                 error->message, damage[i].expect);
      g_clear_error (&error);
    }

  /* every truncation */
  for (gsize cut = 0; cut < len; cut += 7)
    {
      g_autoptr (LbEvalResult) r = NULL;

      g_assert_true (g_file_set_contents (bad, data, cut, NULL));
      r = lb_eval_run_backends (cand, NULL, chunks, 2, &p, NULL, NULL, NULL, &error);
      g_assert_null (r);
      g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_FILE);
      g_clear_error (&error);
    }
  lb_test_rmtree (dir);
}

/* ---- transformers' logits as the reference ---------------------------------- */

typedef struct {
  LbEvalBackend parent;
  const float  *logits;    /* [n_tokens, n_vocab] */
  const gint32 *tokens;
  guint         n_tokens, n_past;
} Oracle;

static gboolean
oracle_reset (LbEvalBackend *self, GError **error)
{
  ((Oracle *) self)->n_past = 0;
  return TRUE;
}

static gboolean
oracle_forward (LbEvalBackend *self, const gint32 *tokens, guint n, float *logits, GError **error)
{
  Oracle *o = (Oracle *) self;

  g_assert_cmpuint (o->n_past + n, <=, o->n_tokens);
  for (guint i = 0; i < n; i++)
    g_assert_cmpint (tokens[i], ==, o->tokens[o->n_past + i]);
  if (logits)
    memcpy (logits, o->logits + (gsize) o->n_past * self->n_vocab,
            (gsize) n * self->n_vocab * sizeof (float));
  o->n_past += n;
  return TRUE;
}

static void
test_oracle (void)
{
  g_autofree char *json = lb_test_shared_path ("models", "mini-qwen2", "ref-logits.json", NULL);
  g_autofree char *f32 = lb_test_shared_path ("models", "mini-qwen2", "ref-logits.f32", NULL);
  g_autofree char *folder = lb_test_shared_path ("models", "mini-qwen2", NULL);
  g_autoptr (GArray) toks = NULL;
  g_autofree float *logits = NULL;
  g_autoptr (LbModel) model = NULL;
  g_autoptr (LbEvalBackend) ours = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (LbEvalResult) r = NULL, self = NULL;
  Oracle oracle = { 0 }, twin;
  gsize n_floats;
  guint n_ctx, first, V = 4096;
  double nll = 0;
  LbEvalParams p = { 0 };

  if (json == NULL || f32 == NULL || folder == NULL)
    return;
  toks = lb_test_json_int_array (json, "tokens");
  logits = lb_test_read_f32 (f32, &n_floats);
  g_assert_cmpuint (n_floats, ==, (gsize) toks->len * V);

  /* one chunk of all 14 tokens (BOS already first): positions 7..12 scored */
  n_ctx = toks->len;
  first = n_ctx / 2;
  for (guint i = first; i < n_ctx - 1; i++)
    {
      const float *row = logits + (gsize) i * V;
      double max = row[0], sum = 0;

      for (guint v = 1; v < V; v++)
        max = MAX (max, row[v]);
      for (guint v = 0; v < V; v++)
        sum += exp (row[v] - max);
      nll += max + log (sum) - row[g_array_index (toks, gint32, i + 1)];
    }
  nll /= n_ctx - 1 - first;

  oracle.parent.n_vocab = V;
  oracle.parent.engine_name = "transformers";
  oracle.parent.reset = oracle_reset;
  oracle.parent.forward = oracle_forward;
  oracle.logits = logits;
  oracle.tokens = (const gint32 *) toks->data;
  oracle.n_tokens = toks->len;

  model = lb_model_load (folder, NULL, NULL, &error);
  g_assert_no_error (error);
  /* fp32 like transformers: the loop is under test here, not the engine */
  ours = lb_eval_backend_new (model, LB_EVAL_ENGINE_REF, n_ctx, 0, &error);
  g_assert_no_error (error);

  p.n_ctx = n_ctx;
  r = lb_eval_run_backends (ours, &oracle.parent, (const gint32 *) toks->data, 1, &p,
                            NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (r->n_positions, ==, 6);
  /* Lowbit's engine on the bf16 weights vs transformers' fp32 logits */
  ASSERT_NEAR (log (r->ppl), nll, 1e-3);
  ASSERT_NEAR (log (r->ppl_base), nll, 1e-3);
  g_assert_cmpfloat (fabs (r->mean_kld), <, 1e-4);
  g_assert_cmpfloat (r->same_top1, ==, 1.0);
  g_assert_cmpfloat (r->logits_cosine, >, 0.9999);
  g_assert_cmpfloat (r->logits_max_abs, <, 1e-2);

  /* the oracle against itself: only the 16-bit rounding of the reference */
  twin = oracle;
  self = lb_eval_run_backends (&twin.parent, &oracle.parent, (const gint32 *) toks->data, 1, &p,
                               NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (self->max_kld, <=, 1.3e-4);
  g_assert_cmpfloat (self->same_top1, ==, 1.0);
  g_assert_cmpfloat (self->top5_agreement, ==, 1.0);
  g_assert_cmpfloat (self->logits_mse, ==, 0.0);
  ASSERT_NEAR (log (self->ppl), nll, 1e-5);
}

/* ---- real models --------------------------------------------------------------- */

static char *
wikitext (gsize *len)
{
  g_autofree char *path = lb_test_shared_path ("text", "wikitext2-test.txt", NULL);
  char *text = NULL;

  if (path == NULL)
    return NULL;
  g_assert_true (g_file_get_contents (path, &text, len, NULL));
  return text;
}

static LbModel *
load_shared (const char *folder, const char *file)
{
  g_autofree char *path = lb_test_shared_path ("models", folder, file, NULL);
  g_autoptr (GError) error = NULL;
  LbModel *m;

  if (path == NULL)
    return NULL;
  m = lb_model_load (path, NULL, NULL, &error);
  g_assert_no_error (error);
  return m;
}

static void
test_identical (void)
{
  g_autoptr (LbModel) f16 = load_shared ("mini-qwen2", "mini-qwen2-f16.gguf");
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (LbEvalResult) r = NULL;
  LbEvalParams p = { .n_ctx = 128, .n_chunks = 2 };
  gsize len;

  text = wikitext (&len);
  if (f16 == NULL || text == NULL)
    return;
  r = lb_eval_run (f16, f16, text, (gssize) len, &p, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (r->n_positions, ==, 2 * 63);
  g_assert_cmpuint (r->n_text_tokens, >, 400000);
  /* identical logits: the KL divergence is only the reference's 16-bit
   * rounding, |KL| <= (16 / 65535) / 2 per position */
  g_assert_cmpfloat (fabs (r->mean_kld), <, 1e-5);
  g_assert_cmpfloat (r->max_kld, <=, 1.3e-4);
  g_assert_cmpfloat (r->same_top1, ==, 1.0);
  g_assert_cmpfloat (r->top5_agreement, ==, 1.0);
  g_assert_cmpfloat (fabs (r->mean_dp), <, 1e-4);
  g_assert_cmpfloat (r->logits_mse, ==, 0.0);
  g_assert_cmpfloat (r->logits_max_abs, ==, 0.0);
  ASSERT_NEAR (r->logits_cosine, 1.0, 1e-9);
  ASSERT_NEAR (r->ppl / r->ppl_base, 1.0, 0.01);
  g_assert_cmpfloat (r->ppl, >, 10);
  g_assert_cmpfloat (r->ppl, <, 1000);
}

static void
test_q8_vs_f16 (void)
{
  g_autoptr (LbModel) f16 = load_shared ("mini-qwen2", "mini-qwen2-f16.gguf");
  g_autoptr (LbModel) q8 = load_shared ("llamacpp-quants", "mini-Q8_0.gguf");
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (LbEvalResult) r = NULL;
  LbEvalParams p = { .n_ctx = 256, .n_chunks = 2 };
  gsize len;

  text = wikitext (&len);
  if (f16 == NULL || q8 == NULL || text == NULL)
    return;
  r = lb_eval_run (q8, f16, text, (gssize) len, &p, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (r->n_positions, ==, 2 * 127);
  /* llama.cpp measures 0.000353 over the whole text at ctx 512 */
  g_assert_cmpfloat (r->mean_kld, >, 1e-5);
  g_assert_cmpfloat (r->mean_kld, <, 2e-3);
  g_assert_cmpfloat (r->kld_median, <=, r->kld_90);
  g_assert_cmpfloat (r->kld_90, <=, r->kld_99);
  g_assert_cmpfloat (r->kld_99, <=, r->kld_99_9);
  g_assert_cmpfloat (r->kld_99_9, <=, r->max_kld);
  g_assert_cmpfloat (r->same_top1, >, 0.95);
  g_assert_cmpfloat (r->same_top1, <=, 1.0);
  g_assert_cmpfloat (r->logits_mse, >, 0.0);
  g_assert_cmpfloat (r->logits_cosine, >, 0.999);
  ASSERT_NEAR (r->ppl / r->ppl_base, 1.0, 0.02);
}

static void
test_cache_round_trip (void)
{
  g_autoptr (LbModel) f16 = load_shared ("mini-qwen2", "mini-qwen2-f16.gguf");
  g_autoptr (LbModel) q4 = load_shared ("llamacpp-quants", "mini-Q4_0.gguf");
  g_autofree char *text = NULL;
  g_autofree char *dir = lb_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "f16.lbref", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (LbEvalResult) live = NULL, cached = NULL, cached_text = NULL;
  LbEvalParams p = { .n_ctx = 128, .n_chunks = 2, .save_reference = path };
  gsize len;

  text = wikitext (&len);
  if (f16 == NULL || q4 == NULL || text == NULL)
    return;
  live = lb_eval_run (q4, f16, text, (gssize) len, &p, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (live->mean_kld, >, 1e-3);

  /* without the text: the cache's tokens and context */
  p = (LbEvalParams) { .reference_cache = path };
  cached = lb_eval_run (q4, NULL, NULL, 0, &p, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (cached->n_ctx, ==, 128);
  g_assert_cmpstr (cached->reference_model, ==, lb_model_get_path (f16));
  g_assert_true (results_identical (live, cached));
  g_assert_false (cached->has_logit_errors);

  /* with the text: must say which chunks */
  g_assert_null (lb_eval_run (q4, NULL, text, (gssize) len, &p, NULL, NULL, NULL, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "--chunks"));
  g_clear_error (&error);
  p.n_chunks = 2;
  cached_text = lb_eval_run (q4, NULL, text, (gssize) len, &p, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (results_identical (live, cached_text));

  lb_test_rmtree (dir);
}

static void
cancel_after_first_chunk (double fraction, const char *stage, gpointer data)
{
  g_cancellable_cancel (G_CANCELLABLE (data));
}

static void
test_cancel (void)
{
  g_autoptr (LbModel) f16 = load_shared ("mini-qwen2", "mini-qwen2-f16.gguf");
  g_autofree char *text = NULL;
  g_autofree char *dir = lb_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "f16.lbref", NULL);
  g_autoptr (GCancellable) cancel = g_cancellable_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GDir) d = NULL;
  LbEvalParams p = { .n_ctx = 32, .n_chunks = 50, .save_reference = path };
  gsize len;

  text = wikitext (&len);
  if (f16 == NULL || text == NULL)
    return;
  g_assert_null (lb_eval_run (f16, f16, text, (gssize) len, &p, cancel_after_first_chunk, cancel,
                              cancel, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  /* no cache, and no temporary file left behind */
  d = g_dir_open (dir, 0, NULL);
  g_assert_null (g_dir_read_name (d));
  lb_test_rmtree (dir);
}

static void
on_async_done (GObject *source, GAsyncResult *result, gpointer data)
{
  LbEvalResult **out = data;
  g_autoptr (GError) error = NULL;

  *out = lb_eval_run_finish (result, &error);
  g_assert_no_error (error);
}

static void
test_async (void)
{
  g_autoptr (LbModel) f16 = load_shared ("mini-qwen2", "mini-qwen2-f16.gguf");
  g_autoptr (LbModel) q8 = load_shared ("llamacpp-quants", "mini-Q8_0.gguf");
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (LbEvalResult) sync = NULL;
  LbEvalResult *async = NULL;
  LbEvalParams p = { .n_ctx = 64, .n_chunks = 1 };
  g_autofree char *json = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *o;
  gsize len;

  text = wikitext (&len);
  if (f16 == NULL || q8 == NULL || text == NULL)
    return;
  sync = lb_eval_run (q8, f16, text, (gssize) len, &p, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  lb_eval_run_async (q8, f16, text, (gssize) len, &p, NULL, NULL, NULL, on_async_done, &async);
  while (async == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (results_identical (sync, async));

  /* the JSON carries reference-kld.json's names */
  json = lb_eval_result_to_json (async, TRUE);
  g_assert_true (json_parser_load_from_data (parser, json, -1, &error));
  g_assert_no_error (error);
  o = json_node_get_object (json_parser_get_root (parser));
  ASSERT_NEAR (json_object_get_double_member (o, "mean_kld"), async->mean_kld, 1e-15);
  ASSERT_NEAR (json_object_get_double_member (o, "same_top1_percent"), 100 * async->same_top1, 1e-12);
  ASSERT_NEAR (json_object_get_double_member (o, "ppl_base_clipped"), async->ppl_base, 1e-12);
  g_assert_true (json_object_has_member (o, "kld_99_9"));
  g_assert_true (json_object_has_member (o, "rms_dp_percent"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "chunk_mean_kld")), ==, 1);
  lb_eval_result_free (async);
}

static void
test_bad_inputs (void)
{
  g_autoptr (LbModel) f16 = load_shared ("mini-qwen2", "mini-qwen2-f16.gguf");
  g_autofree char *stories_path = lb_test_source_path ("data", "stories260K", "stories260K.bin", NULL);
  g_autofree char *tok_path = lb_test_source_path ("data", "stories260K", "tok512.bin", NULL);
  g_autoptr (LbModel) stories = NULL;
  g_autoptr (GError) error = NULL;
  LbEvalParams p = { 0 };

  if (f16 == NULL)
    return;
  /* a text too short for one chunk */
  g_assert_null (lb_eval_run (f16, f16, "Hello world.", -1, &p, NULL, NULL, NULL, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "too few for one chunk of 512"));
  g_clear_error (&error);

  /* no text and no cache; both a reference and a cache */
  g_assert_null (lb_eval_run (f16, f16, NULL, 0, &p, NULL, NULL, NULL, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  p.reference_cache = "/nonexistent.lbref";
  g_assert_null (lb_eval_run (f16, f16, "x", -1, &p, NULL, NULL, NULL, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_null (lb_eval_run (f16, NULL, NULL, 0, &p, NULL, NULL, NULL, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "/nonexistent.lbref"));
  g_clear_error (&error);
  p.reference_cache = NULL;

  /* a model with another vocabulary (512 tokens vs 4096) */
  stories = lb_model_load (stories_path, tok_path, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (lb_eval_run (stories, f16, "Once upon a time", -1, &p, NULL, NULL, NULL, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "vocabulary mismatch"));
  g_clear_error (&error);

  /* impossible context */
  p.n_ctx = 2;
  g_assert_null (lb_eval_run (f16, f16, "Hello world.", -1, &p, NULL, NULL, NULL, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "--ctx"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/lowbit/eval/chunks", test_chunks);
  g_test_add_func ("/lowbit/eval/synthetic", test_synthetic);
  g_test_add_func ("/lowbit/eval/synthetic-errors", test_synthetic_errors);
  g_test_add_func ("/lowbit/eval/synthetic-cache", test_synthetic_cache);
  g_test_add_func ("/lowbit/eval/cache-corrupt", test_cache_corrupt);
  g_test_add_func ("/lowbit/eval/oracle", test_oracle);
  g_test_add_func ("/lowbit/eval/identical", test_identical);
  g_test_add_func ("/lowbit/eval/q8-vs-f16", test_q8_vs_f16);
  g_test_add_func ("/lowbit/eval/cache-round-trip", test_cache_round_trip);
  g_test_add_func ("/lowbit/eval/cancel", test_cancel);
  g_test_add_func ("/lowbit/eval/async", test_async);
  g_test_add_func ("/lowbit/eval/bad-inputs", test_bad_inputs);
  return g_test_run ();
}
