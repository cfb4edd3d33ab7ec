/* test-engine.c: the fast engine against the reference engine (and, for
 * mini-qwen2, against transformers' logits and greedy continuation; for
 * stories260K, against llama2.c's published output), on every shared model
 * file; plus batching, threads, cache truncation, errors, memory and
 * concurrent sessions, and a speed report.
 *
 * Tolerances, as max |logit diff| / max |ref logit| over a position:
 * - F32/F16/BF16 weights, f32 KV cache: both engines multiply the same f32
 *   values; only summation order, fused multiply-adds and the exp
 *   polynomial differ, each ~1e-7 relative per operation: 1e-5 (measured
 *   at most 7e-7).
 * - the same with the default f16 KV cache: keys and values rounded to 11
 *   significant bits (relative error <= 2^-12 = 2.4e-4 each) perturb the
 *   attention output by about that much per layer: 3e-3 (measured 5e-4 on
 *   mini-qwen2, 1.9e-3 on stories260K, whose 8-wide heads average less).
 * - block-format weights: the engine also quantizes activations to 8 bits
 *   per block (Q8_0/Q8_1/Q8_K, as llama.cpp does), a relative error per
 *   element of up to 1/254 of the block maximum, ~0.3% RMS; through 8
 *   blocks with residual connections that grows to a few percent of the
 *   logit range: 6e-2 (measured 1.1e-2 for Q8_0 to 3.6e-2 for Q2_K and
 *   Q4_K_M over 200 tokens; see the messages of this test).
 * - a Q8_0 KV cache has the same kind of error on keys and values: 8e-2
 *   for every model (measured up to 3.2e-2 on the quantized mini-qwen2
 *   files, 4.4e-2 on the random-weight tiny-llama3).
 * Top-1 agreement: where the reference's best logit leads the runner-up by
 * more than twice the allowed difference, the engines must agree (implied
 * by the bound, but checked on its own); the overall rate is reported. */
#include <glib.h>
#include <ctype.h>
#include <math.h>
#include <string.h>

#include "lowbit.h"
#include "lb-test-util.h"
#include "lb-threadpool.h"

#define N_PROMPT 200

/* the random-weight models of every architecture in models/tiny-archs */
static const char *const tiny_archs[] = { "tiny-llama3", "tiny-qwen3", "tiny-gemma2",
                                          "tiny-gemma3" };

/* ---- models --------------------------------------------------------------------- */

typedef struct {
  char   *path;
  char   *tokenizer;   /* llama2.c only */
  char   *name;
  char   *tokens;      /* the ref-logits.json whose "tokens" to feed, or NULL */
} ModelCase;

static void
model_case_free (gpointer data)
{
  ModelCase *c = data;
  g_free (c->path);
  g_free (c->tokenizer);
  g_free (c->name);
  g_free (c->tokens);
  g_free (c);
}

static LbModel *
load (const char *path, const char *tokenizer)
{
  GError *error = NULL;
  LbModel *model = lb_model_load (path, tokenizer, NULL, &error);

  g_assert_no_error (error);
  return model;
}

static LbModel *
load_stories (void)
{
  g_autofree char *bin = lb_test_source_path ("data", "stories260K", "stories260K.bin", NULL);
  g_autofree char *tok = lb_test_source_path ("data", "stories260K", "tok512.bin", NULL);
  return load (bin, tok);
}

static LbModel *
load_mini (const char *file)
{
  g_autofree char *path = NULL;

  if (g_str_has_prefix (file, "mini-qwen2"))
    path = lb_test_shared_path ("models", "mini-qwen2", file, NULL);
  else
    path = lb_test_shared_path ("models", "llamacpp-quants", file, NULL);
  return path ? load (path, NULL) : NULL;
}

static LbEngine *
engine_new (LbModel *model, guint n_ctx, guint n_threads, LbType kv_type, guint n_batch)
{
  LbEngineParams params = LB_ENGINE_PARAMS_INIT;
  GError *error = NULL;
  LbEngine *engine;

  params.n_ctx = n_ctx;
  params.n_threads = n_threads;
  params.kv_type = kv_type;
  params.n_batch = n_batch;
  engine = lb_engine_new (model, &params, &error);
  g_assert_no_error (error);
  return engine;
}

/* ---- prompts ---------------------------------------------------------------------- */

/* BOS + the first N_PROMPT - 1 tokens of a text in the model's domain */
static GArray *
prompt_tokens (LbModel *model, const char *text_file)
{
  g_autofree char *path = lb_test_shared_path ("text", text_file, NULL);
  g_autofree char *text = NULL;
  LbTokenizer *tok = lb_model_get_tokenizer (model);
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  GError *error = NULL;
  gint32 bos = lb_tokenizer_get_bos (tok);

  if (path == NULL)
    return ids;
  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  /* a few kB are plenty for 200 tokens */
  if (strlen (text) > 4000)
    text[4000] = '\0';
  g_array_append_val (ids, bos);
  lb_tokenizer_encode (tok, text, -1, FALSE, ids, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ids->len, >=, N_PROMPT);
  g_array_set_size (ids, N_PROMPT);
  return ids;
}

static float *
ref_logits (LbModel *model, const gint32 *tokens, guint n)
{
  guint nv = lb_model_get_hparams (model)->n_vocab;
  g_autoptr (LbRefEngine) ref = NULL;
  float *logits = g_new (float, (gsize) n * nv);
  GError *error = NULL;

  ref = lb_ref_engine_new (model, n, &error);
  g_assert_no_error (error);
  lb_ref_engine_eval_batch (ref, tokens, n, logits, NULL, &error);
  g_assert_no_error (error);
  return logits;
}

static float *
fast_logits (LbModel *model, LbType kv_type, guint n_threads, const gint32 *tokens, guint n)
{
  guint nv = lb_model_get_hparams (model)->n_vocab;
  g_autoptr (LbEngine) engine = engine_new (model, n, n_threads, kv_type, 0);
  float *logits = g_new (float, (gsize) n * nv);
  GError *error = NULL;

  lb_engine_eval (engine, tokens, n, logits, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (lb_engine_get_n_past (engine), ==, n);
  return logits;
}

/* ---- comparison ------------------------------------------------------------------ */

typedef struct {
  double worst;       /* max over positions of max |diff| / max |ref| */
  guint  same_top1;
  guint  n;
} Agreement;

static Agreement
compare (const char *what, const float *got, const float *ref, guint n, guint nv,
         double tolerance)
{
  Agreement a = { 0, 0, n };

  for (guint p = 0; p < n; p++)
    {
      const float *g = got + (gsize) p * nv;
      const float *r = ref + (gsize) p * nv;
      double max_ref = 0, max_diff = 0;
      gint32 top_r = lb_argmax (r, nv), top_g = lb_argmax (g, nv);
      float second = -INFINITY;

      for (guint i = 0; i < nv; i++)
        {
          if (!isfinite (g[i]))
            {
              g_test_fail_printf ("%s position %u: logit %u is %g", what, p, i, g[i]);
              return a;
            }
          max_ref = MAX (max_ref, fabs (r[i]));
          max_diff = MAX (max_diff, fabs ((double) g[i] - r[i]));
          if ((gint32) i != top_r)
            second = MAX (second, r[i]);
        }
      g_assert_cmpfloat (max_ref, >, 0);
      a.worst = MAX (a.worst, max_diff / max_ref);
      if (max_diff > tolerance * max_ref)
        g_test_fail_printf ("%s position %u: max |logit diff| %.6g > %.3g × max |logit| %.6g",
                            what, p, max_diff, tolerance, max_ref);
      if (top_r == top_g)
        a.same_top1++;
      else if (r[top_r] - second > 2 * tolerance * max_ref)
        g_test_fail_printf ("%s position %u: top-1 %d vs the reference's %d with a margin of "
                            "%.4g", what, p, top_g, top_r, r[top_r] - second);
    }
  g_test_message ("%s: max relative logit error %.3g (tolerance %.3g), same top-1 %u/%u",
                  what, a.worst, tolerance, a.same_top1, a.n);
  return a;
}

static gboolean
is_float_model (LbModel *model)
{
  LbType t = lb_model_get_layer (model, 0)->wq->type;
  return t == LB_TYPE_F32 || t == LB_TYPE_F16 || t == LB_TYPE_BF16;
}

/* ---- against the reference engine, per model file ---------------------------------- */

static void
test_vs_reference (gconstpointer data)
{
  const ModelCase *c = data;
  g_autoptr (LbModel) model = load (c->path, c->tokenizer);
  guint nv = lb_model_get_hparams (model)->n_vocab;
  gboolean stories = c->tokenizer != NULL;
  g_autoptr (GArray) short_tokens = NULL;
  g_autoptr (GArray) prompt = NULL;
  double tol_f32kv = is_float_model (model) ? 1e-5 : 6e-2;
  double tol_f16kv = is_float_model (model) ? 3e-3 : 6e-2;

  /* the ids of a ref-logits.json (stories260K has none: 512-token vocabulary) */
  if (c->tokens != NULL)
    {
      if (!g_file_test (c->tokens, G_FILE_TEST_EXISTS))
        {
          g_test_fail_printf ("shared test asset missing: %s", c->tokens);
          return;
        }
      short_tokens = lb_test_json_int_array (c->tokens, "tokens");
    }
  else
    short_tokens = g_array_new (FALSE, FALSE, sizeof (gint32));
  prompt = prompt_tokens (model, stories ? "tinystories-sample.txt" : "wikitext2-test.txt");
  if (prompt->len == 0)
    return;

  for (guint which = 0; which < 2; which++)
    {
      GArray *toks = which == 0 ? short_tokens : prompt;
      const gint32 *ids = (const gint32 *) toks->data;
      guint n = toks->len;
      g_autofree float *ref = NULL;
      g_autofree float *f32kv = NULL;
      g_autofree float *f16kv = NULL;
      g_autofree char *what32 = NULL;
      g_autofree char *what16 = NULL;

      if (n == 0)
        continue;
      ref = ref_logits (model, ids, n);
      f32kv = fast_logits (model, LB_TYPE_F32, 2, ids, n);
      f16kv = fast_logits (model, LB_TYPE_F16, 2, ids, n);
      what32 = g_strdup_printf ("%s, %u tokens, f32 KV", c->name, n);
      what16 = g_strdup_printf ("%s, %u tokens, f16 KV", c->name, n);
      compare (what32, f32kv, ref, n, nv, tol_f32kv);
      compare (what16, f16kv, ref, n, nv, tol_f16kv);

      /* a Q8_0 cache: within the block-format tolerance */
      if (lb_model_get_hparams (model)->head_dim % 32 == 0)
        {
          g_autofree float *q8kv = fast_logits (model, LB_TYPE_Q8_0, 2, ids, n);
          g_autofree char *what = g_strdup_printf ("%s, %u tokens, q8_0 KV", c->name, n);
          compare (what, q8kv, ref, n, nv, 8e-2);
        }
    }
}

/* ---- against transformers (the independent oracle) ---------------------------------- */

static void
check_transformers (const char *file_or_dir, double tolerance)
{
  g_autofree char *json = lb_test_shared_path ("models", "mini-qwen2", "ref-logits.json", NULL);
  g_autofree char *f32 = lb_test_shared_path ("models", "mini-qwen2", "ref-logits.f32", NULL);
  g_autoptr (LbModel) model = NULL;
  g_autoptr (LbEngine) engine = NULL;
  g_autoptr (GArray) tokens = NULL;
  g_autoptr (GArray) greedy = NULL;
  g_autofree float *ref = NULL;
  g_autofree float *logits = NULL;
  g_autofree float *last = NULL;
  GError *error = NULL;
  gsize n_ref;
  guint n, nv;
  gint32 next;

  if (json == NULL || f32 == NULL)
    return;
  model = file_or_dir ? load_mini (file_or_dir) : NULL;
  if (model == NULL)
    {
      g_autofree char *dir = lb_test_shared_path ("models", "mini-qwen2", NULL);
      if (dir == NULL)
        return;
      model = load (dir, NULL);
    }
  nv = lb_model_get_hparams (model)->n_vocab;
  tokens = lb_test_json_int_array (json, "tokens");
  greedy = lb_test_json_int_array (json, "greedy_24");
  ref = lb_test_read_f32 (f32, &n_ref);
  n = tokens->len;
  g_assert_cmpuint (n_ref, ==, (gsize) n * nv);

  /* the default engine: f16 KV cache, all threads */
  engine = lb_engine_new (model, NULL, &error);
  g_assert_no_error (error);
  logits = g_new (float, (gsize) n * nv);
  last = g_new (float, nv);
  lb_engine_eval (engine, (const gint32 *) tokens->data, n, logits, last, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (last, nv * sizeof (float), logits + (gsize) (n - 1) * nv, nv * sizeof (float));
  compare (file_or_dir ? file_or_dir : "mini-qwen2 (HF folder)", logits, ref, n, nv, tolerance);

  /* transformers' greedy continuation, decoding one token at a time */
  next = lb_argmax (last, nv);
  for (guint i = 0; i < greedy->len; i++)
    {
      g_assert_cmpint (next, ==, g_array_index (greedy, gint32, i));
      if (i + 1 == greedy->len)
        break;
      lb_engine_eval (engine, &next, 1, NULL, last, &error);
      g_assert_no_error (error);
      next = lb_argmax (last, nv);
    }
}

static void
test_transformers_gguf (void)
{
  /* the reference engine meets 2e-3 on this file; the f16 cache adds its share */
  check_transformers ("mini-qwen2-f16.gguf", 4e-3);
}

static void
test_transformers_hf (void)
{
  check_transformers (NULL, 3e-3);
}

/* ---- stories260K: llama2.c's published output ------------------------------------- */

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

/* llama2.c run.c at temperature 0 from BOS: 256 forward passes, stopping
 * early at BOS; single unprintable byte pieces are skipped as its
 * safe_printf does */
static void
test_stories (void)
{
  g_autofree char *expected = published_stories_text ();
  g_autoptr (LbModel) model = load_stories ();
  LbTokenizer *tok = lb_model_get_tokenizer (model);
  guint nv = lb_model_get_hparams (model)->n_vocab;
  g_autoptr (LbEngine) engine = NULL;
  g_autofree float *logits = g_new (float, nv);
  g_autoptr (GString) out = g_string_new (NULL);
  g_autoptr (GString) piece = g_string_new (NULL);
  GError *error = NULL;
  gint32 token = 1, next;

  if (expected == NULL)
    return;
  /* the defaults: f16 KV cache, all threads */
  engine = lb_engine_new (model, NULL, &error);
  g_assert_no_error (error);
  for (guint pos = 0; pos < 256; pos++)
    {
      lb_engine_eval (engine, &token, 1, NULL, logits, &error);
      g_assert_no_error (error);
      next = lb_argmax (logits, nv);
      if (next == 1)
        break;
      g_string_truncate (piece, 0);
      lb_tokenizer_append_piece (tok, token, next, piece);
      if (!(piece->len == 1 && !(isprint ((guchar) piece->str[0])
                                 || isspace ((guchar) piece->str[0]))))
        g_string_append_len (out, piece->str, piece->len);
      token = next;
    }
  g_assert_cmpstr (out->str, ==, expected);
}

/* ---- batches, threads ----------------------------------------------------------------- */

/* A batch, the same tokens one at a time, and the batch split in passes of
 * 7 give the same bits: each output is computed by the same kernel in the
 * same order whatever the batch (see lb-matmul-private.h); activation rows
 * are quantized per token. And 1 thread gives 2 threads' bits: threads
 * split output rows, never a sum. */
static void
check_batching (LbModel *model, const char *name)
{
  guint nv = lb_model_get_hparams (model)->n_vocab;
  g_autoptr (GArray) prompt = prompt_tokens (model, nv == 512 ? "tinystories-sample.txt"
                                                              : "wikitext2-test.txt");
  const guint n = 40;
  g_autofree float *batch = g_new (float, n * nv);
  g_autofree float *single = g_new (float, n * nv);
  g_autofree float *split = g_new (float, n * nv);
  g_autofree float *one_thread = g_new (float, n * nv);
  GError *error = NULL;

  if (prompt->len < n)
    return;
  for (LbType kv = LB_TYPE_F32; kv <= LB_TYPE_F16; kv++)
    {
      g_autoptr (LbEngine) e2 = engine_new (model, 64, 2, kv, 0);
      g_autoptr (LbEngine) e_split = engine_new (model, 64, 2, kv, 7);
      g_autoptr (LbEngine) e1 = engine_new (model, 64, 1, kv, 0);
      const gint32 *ids = (const gint32 *) prompt->data;

      lb_engine_eval (e2, ids, n, batch, NULL, &error);
      g_assert_no_error (error);
      lb_engine_reset (e2);
      for (guint i = 0; i < n; i++)
        {
          lb_engine_eval (e2, ids + i, 1, single + (gsize) i * nv, NULL, &error);
          g_assert_no_error (error);
        }
      lb_engine_eval (e_split, ids, n, split, NULL, &error);
      g_assert_no_error (error);
      lb_engine_eval (e1, ids, n, one_thread, NULL, &error);
      g_assert_no_error (error);

      g_assert_cmpmem (batch, n * nv * sizeof (float), single, n * nv * sizeof (float));
      g_assert_cmpmem (batch, n * nv * sizeof (float), split, n * nv * sizeof (float));
      g_assert_cmpmem (batch, n * nv * sizeof (float), one_thread, n * nv * sizeof (float));
    }
  g_test_message ("%s: batch = single tokens = passes of 7 = 1 thread, bit for bit", name);
}

static void
test_batching (void)
{
  const char *files[] = { "mini-qwen2-f16.gguf", "mini-Q4_K_M-imatrix.gguf", "mini-Q4_0.gguf",
                          "mini-Q8_0.gguf" };

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autoptr (LbModel) model = load_mini (files[i]);
      if (model != NULL)
        check_batching (model, files[i]);
    }
  {
    g_autoptr (LbModel) stories = load_stories ();
    check_batching (stories, "stories260K");
  }
  /* sliding windows (16) shorter than the batch, post-norms, soft-caps */
  for (guint i = 2; i < G_N_ELEMENTS (tiny_archs); i++)
    {
      g_autofree char *gguf = g_strdup_printf ("%s-bf16.gguf", tiny_archs[i]);
      g_autofree char *path = lb_test_shared_path ("models", "tiny-archs", tiny_archs[i], gguf,
                                                   NULL);
      g_autoptr (LbModel) model = path ? load (path, NULL) : NULL;

      if (model != NULL)
        check_batching (model, gguf);
    }
}

/* ---- cache: reset and truncation ----------------------------------------------------- */

static void
test_cache (void)
{
  g_autoptr (LbModel) model = load_mini ("mini-Q4_K_M-imatrix.gguf");
  guint nv;
  g_autoptr (LbEngine) engine = NULL;
  g_autoptr (GArray) prompt = NULL;
  g_autofree float *a = NULL;
  g_autofree float *b = NULL;
  g_autofree float *c = NULL;
  const gint32 *ids;
  GError *error = NULL;

  if (model == NULL)
    return;
  nv = lb_model_get_hparams (model)->n_vocab;
  prompt = prompt_tokens (model, "wikitext2-test.txt");
  ids = (const gint32 *) prompt->data;
  a = g_new (float, 5 * nv);
  b = g_new (float, 5 * nv);
  c = g_new (float, 5 * nv);
  engine = engine_new (model, 64, 2, LB_TYPE_F16, 0);

  /* reset: the same input gives the same output */
  lb_engine_eval (engine, ids, 15, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (lb_engine_get_n_past (engine), ==, 15);
  lb_engine_reset (engine);
  g_assert_cmpuint (lb_engine_get_n_past (engine), ==, 0);
  lb_engine_eval (engine, ids, 10, NULL, NULL, &error);
  lb_engine_eval (engine, ids + 10, 5, a, NULL, &error);
  g_assert_no_error (error);

  /* truncate to 10 and continue with other tokens: as if fed fresh */
  lb_engine_eval (engine, ids + 20, 5, NULL, NULL, &error);   /* 20 filled */
  g_assert_true (lb_engine_set_n_past (engine, 10, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (lb_engine_get_n_past (engine), ==, 10);
  lb_engine_eval (engine, ids + 30, 5, b, NULL, &error);
  g_assert_no_error (error);
  {
    g_autoptr (LbEngine) fresh = engine_new (model, 64, 2, LB_TYPE_F16, 0);
    gint32 seq[15];

    memcpy (seq, ids, 10 * sizeof (gint32));
    memcpy (seq + 10, ids + 30, 5 * sizeof (gint32));
    lb_engine_eval (fresh, seq, 10, NULL, NULL, &error);
    lb_engine_eval (fresh, seq + 10, 5, c, NULL, &error);
    g_assert_no_error (error);
  }
  g_assert_cmpmem (b, 5 * nv * sizeof (float), c, 5 * nv * sizeof (float));
  /* and they differ from a: the truncation really changed the context */
  g_assert_true (memcmp (a, b, 5 * nv * sizeof (float)) != 0);

  /* moving forward is refused */
  g_assert_false (lb_engine_set_n_past (engine, 16, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_cmpuint (lb_engine_get_n_past (engine), ==, 15);
  g_assert_true (lb_engine_set_n_past (engine, 0, &error));
  g_assert_cmpuint (lb_engine_get_n_past (engine), ==, 0);
}

/* ---- errors ------------------------------------------------------------------------------ */

static void
test_errors (void)
{
  g_autoptr (LbModel) model = load_stories ();
  guint nv = lb_model_get_hparams (model)->n_vocab;
  g_autoptr (LbEngine) engine = engine_new (model, 16, 2, LB_TYPE_F16, 0);
  const gint32 ten[10] = { 1, 403, 407, 261, 99, 5, 6, 7, 8, 9 };
  const gint32 bad_low[3] = { 1, -1, 5 };
  gint32 bad_high[2] = { 1, 0 };
  g_autofree float *logits = g_new (float, nv);
  LbEngineParams params = LB_ENGINE_PARAMS_INIT;
  GError *error = NULL;

  bad_high[1] = (gint32) nv;
  g_assert_true (lb_engine_eval (engine, ten, 10, NULL, NULL, &error));
  g_assert_no_error (error);

  /* context full: 10 + 7 > 16, nothing fed */
  g_assert_false (lb_engine_eval (engine, ten, 7, NULL, logits, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "full"));
  g_clear_error (&error);
  g_assert_cmpuint (lb_engine_get_n_past (engine), ==, 10);

  /* bad ids, low and high, anywhere in the batch: nothing fed */
  g_assert_false (lb_engine_eval (engine, bad_low, 3, NULL, logits, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "-1"));
  g_clear_error (&error);
  g_assert_false (lb_engine_eval (engine, bad_high, 2, NULL, logits, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "512"));
  g_clear_error (&error);
  g_assert_cmpuint (lb_engine_get_n_past (engine), ==, 10);

  /* exactly full is fine; then one more is not */
  g_assert_true (lb_engine_eval (engine, ten, 6, NULL, logits, &error));
  g_assert_cmpuint (lb_engine_get_n_past (engine), ==, 16);
  g_assert_false (lb_engine_eval (engine, ten, 1, NULL, logits, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  /* nothing to do is not an error */
  g_assert_true (lb_engine_eval (engine, NULL, 0, NULL, NULL, &error));

  /* a Q8_0 cache needs heads of whole blocks: stories260K's are 8 wide */
  params.kv_type = LB_TYPE_Q8_0;
  g_assert_null (lb_engine_new (model, &params, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "Q8_0"));
  g_clear_error (&error);
  params.kv_type = LB_TYPE_Q4_0;
  g_assert_null (lb_engine_new (model, &params, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  params.kv_type = LB_TYPE_F16;
  params.n_ctx = 1u << 30;
  g_assert_null (lb_engine_new (model, &params, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  params.n_ctx = 0;
  params.n_threads = LB_THREAD_POOL_MAX + 1;
  g_assert_null (lb_engine_new (model, &params, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
}

/* ---- memory ---------------------------------------------------------------------------- */

static void
test_memory (void)
{
  g_autoptr (LbModel) model = load_mini ("mini-qwen2-f16.gguf");
  const LbHParams *hp;
  LbEngineMemory m16, m32, mq8, mlong;
  LbEngineParams got;

  if (model == NULL)
    return;
  hp = lb_model_get_hparams (model);
  {
    g_autoptr (LbEngine) e16 = engine_new (model, 512, 2, LB_TYPE_F16, 64);
    g_autoptr (LbEngine) e32 = engine_new (model, 512, 2, LB_TYPE_F32, 64);
    g_autoptr (LbEngine) eq8 = engine_new (model, 512, 2, LB_TYPE_Q8_0, 64);
    g_autoptr (LbEngine) elong = engine_new (model, 1024, 2, LB_TYPE_F16, 64);

    lb_engine_get_memory (e16, &m16);
    lb_engine_get_memory (e32, &m32);
    lb_engine_get_memory (eq8, &mq8);
    lb_engine_get_memory (elong, &mlong);
    g_assert_cmpuint (lb_engine_get_memory_bytes (e16), ==, m16.total);
    lb_engine_get_params (e16, &got);
    g_assert_cmpuint (got.n_ctx, ==, 512);
    g_assert_cmpuint (got.n_threads, ==, 2);
    g_assert_cmpuint (got.n_batch, ==, 64);
    g_assert_cmpint (got.kv_type, ==, LB_TYPE_F16);
  }
  /* keys and values: 2 × layers × positions × kv_dim elements */
  g_assert_cmpuint (m16.kv_cache, ==, 2ull * hp->n_layer * 512 * hp->n_head_kv * hp->head_dim * 2);
  g_assert_cmpuint (m32.kv_cache, ==, 2 * m16.kv_cache);
  g_assert_cmpuint (mq8.kv_cache, ==, m16.kv_cache / 2 * 34 / 32);
  g_assert_cmpuint (mlong.kv_cache, ==, 2 * m16.kv_cache);
  /* activations scale with the batch, not the context */
  g_assert_cmpuint (mlong.activations, ==, m16.activations);
  g_assert_cmpuint (m16.kv_cache + m16.activations + m16.scratch + m16.constants, <=, m16.total);
  g_assert_cmpuint (m16.total - (m16.kv_cache + m16.activations + m16.scratch + m16.constants),
                    <, 64 * 64);
  /* the residual stream alone is n_batch × n_embd floats */
  g_assert_cmpuint (m16.activations, >, 64ull * hp->n_embd * 4);
  g_test_message ("mini-qwen2, n_ctx 512, batch 64: pool %.2f MiB (KV %.2f, activations %.2f, "
                  "scratch %.2f, constants %.3f)", m16.total / 1048576.0,
                  m16.kv_cache / 1048576.0, m16.activations / 1048576.0,
                  m16.scratch / 1048576.0, m16.constants / 1048576.0);
}

/* ---- taps ----------------------------------------------------------------------------- */

typedef struct {
  guint n_calls;
  guint bad;
  guint n_embd;
} TapCount;

static void
tap_cb (guint layer, guint pos, const float *hidden, guint n_embd, gpointer user_data)
{
  TapCount *t = user_data;

  t->n_calls++;
  if (n_embd != t->n_embd || layer >= 5 || pos >= 8)
    t->bad++;
  for (guint i = 0; i < n_embd; i++)
    if (!isfinite (hidden[i]))
      t->bad++;
}

static void
test_tap (void)
{
  g_autoptr (LbModel) model = load_stories ();
  g_autoptr (LbEngine) engine = engine_new (model, 16, 2, LB_TYPE_F16, 0);
  TapCount t = { 0, 0, lb_model_get_hparams (model)->n_embd };
  const gint32 ids[] = { 1, 403, 407, 261, 99, 5, 6, 7 };
  GError *error = NULL;

  lb_engine_set_tap (engine, tap_cb, &t);
  lb_engine_eval (engine, ids, 8, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (t.n_calls, ==, 8 * 5);
  g_assert_cmpuint (t.bad, ==, 0);
  lb_engine_set_tap (engine, NULL, NULL);
  lb_engine_reset (engine);
  lb_engine_eval (engine, ids, 8, NULL, NULL, &error);
  g_assert_cmpuint (t.n_calls, ==, 8 * 5);
}

/* ---- sessions sharing a model ------------------------------------------------------------ */

typedef struct {
  LbModel      *model;
  const gint32 *ids;
  guint         n;
  float        *logits;
} Session;

static gpointer
session_main (gpointer data)
{
  Session *s = data;
  g_autoptr (LbEngine) engine = engine_new (s->model, 64, 2, LB_TYPE_F16, 16);
  GError *error = NULL;
  guint nv = lb_model_get_hparams (s->model)->n_vocab;

  /* prompt, then decode a few tokens */
  lb_engine_eval (engine, s->ids, s->n - 4, s->logits, NULL, &error);
  for (guint i = s->n - 4; i < s->n && error == NULL; i++)
    lb_engine_eval (engine, s->ids + i, 1, s->logits + (gsize) i * nv, NULL, &error);
  g_assert_no_error (error);
  return NULL;
}

static void
test_sessions (void)
{
  g_autoptr (LbModel) model = load_mini ("mini-Q4_0.gguf");
  g_autoptr (GArray) prompt = NULL;
  Session s[4];
  GThread *threads[4];
  g_autofree float *sequential = NULL;
  guint nv, n = 30;

  if (model == NULL)
    return;
  nv = lb_model_get_hparams (model)->n_vocab;
  prompt = prompt_tokens (model, "wikitext2-test.txt");
  sequential = g_new (float, n * nv);
  {
    Session seq = { model, (const gint32 *) prompt->data + 50, n, sequential };
    session_main (&seq);
  }
  for (guint i = 0; i < 4; i++)
    {
      /* two sessions on the same text, two on another */
      s[i].model = model;
      s[i].ids = (const gint32 *) prompt->data + (i % 2 ? 50 : 100);
      s[i].n = n;
      s[i].logits = g_new (float, n * nv);
      threads[i] = g_thread_new ("session", session_main, &s[i]);
    }
  for (guint i = 0; i < 4; i++)
    g_thread_join (threads[i]);
  g_assert_cmpmem (s[1].logits, n * nv * sizeof (float), sequential, n * nv * sizeof (float));
  g_assert_cmpmem (s[3].logits, n * nv * sizeof (float), sequential, n * nv * sizeof (float));
  g_assert_cmpmem (s[0].logits, n * nv * sizeof (float), s[2].logits, n * nv * sizeof (float));
  for (guint i = 0; i < 4; i++)
    g_free (s[i].logits);
}

/* ---- speed report (no asserts on time) ------------------------------------------------------ */

static void
report_speed (const char *file)
{
  g_autoptr (LbModel) model = load_mini (file);
  g_autoptr (GArray) prompt = NULL;
  guint nv;
  g_autofree float *last = NULL;
  GError *error = NULL;

  if (model == NULL)
    return;
  nv = lb_model_get_hparams (model)->n_vocab;
  last = g_new (float, nv);
  prompt = prompt_tokens (model, "wikitext2-test.txt");
  {
    /* 256 prompt tokens: the 200 of the prompt and 56 of them again */
    gint32 ids[256];
    for (guint i = 0; i < 256; i++)
      ids[i] = g_array_index (prompt, gint32, i % N_PROMPT);

    for (guint nt = 1; nt <= 2; nt++)
      {
        g_autoptr (LbEngine) engine = engine_new (model, 512, nt, LB_TYPE_F16, 256);
        gint64 t0, t1, t2;
        gint32 next;

        lb_engine_eval (engine, ids, 256, NULL, last, &error);   /* warm up */
        lb_engine_reset (engine);
        t0 = g_get_monotonic_time ();
        lb_engine_eval (engine, ids, 256, NULL, last, &error);
        t1 = g_get_monotonic_time ();
        next = lb_argmax (last, nv);
        for (guint i = 0; i < 64; i++)
          {
            lb_engine_eval (engine, &next, 1, NULL, last, &error);
            next = lb_argmax (last, nv);
          }
        t2 = g_get_monotonic_time ();
        g_assert_no_error (error);
        g_test_message ("%s, %u thread%s: prefill 256 tokens %.0f tok/s, decode %.0f tok/s",
                        file, nt, nt > 1 ? "s" : "", 256 / ((t1 - t0) / 1e6),
                        64 / ((t2 - t1) / 1e6));
      }
  }
}

static void
test_speed (void)
{
  report_speed ("mini-qwen2-f16.gguf");
  report_speed ("mini-Q4_0.gguf");
}

/* ---- cases --------------------------------------------------------------------------------- */

/* g_ptr_array_sort hands pointers to the elements */
static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static GPtrArray *
model_cases (void)
{
  GPtrArray *cases = g_ptr_array_new_with_free_func (model_case_free);
  g_autofree char *quants = NULL;
  g_autofree char *mini = NULL;
  g_autofree char *mini_tokens = NULL;
  const char *root = g_getenv ("LB_SHARED_DIR");
  GDir *dir;
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  ModelCase *c;

  /* the case list is built before any test runs, so no lb_test_shared_path
   * (which fails the current test) here; a missing folder fails in the cases */
  quants = g_build_filename (root ? root : "../shared", "models", "llamacpp-quants", NULL);
  mini = g_build_filename (root ? root : "../shared", "models", "mini-qwen2", NULL);
  mini_tokens = g_build_filename (mini, "ref-logits.json", NULL);
  dir = g_dir_open (quants, 0, NULL);
  if (dir != NULL)
    {
      const char *name;
      while ((name = g_dir_read_name (dir)) != NULL)
        if (g_str_has_suffix (name, ".gguf") && !g_str_has_prefix (name, "imatrix"))
          g_ptr_array_add (names, g_strdup (name));
      g_dir_close (dir);
    }
  g_ptr_array_sort (names, compare_names);
  for (guint i = 0; i < names->len; i++)
    {
      c = g_new0 (ModelCase, 1);
      c->path = g_build_filename (quants, names->pdata[i], NULL);
      c->name = g_strdup (names->pdata[i]);
      c->tokens = g_strdup (mini_tokens);
      g_ptr_array_add (cases, c);
    }
  g_ptr_array_unref (names);

  c = g_new0 (ModelCase, 1);
  c->path = g_build_filename (mini, "mini-qwen2-f16.gguf", NULL);
  c->name = g_strdup ("mini-qwen2-f16.gguf");
  c->tokens = g_strdup (mini_tokens);
  g_ptr_array_add (cases, c);
  c = g_new0 (ModelCase, 1);
  c->path = g_strdup (mini);
  c->name = g_strdup ("mini-qwen2-hf");
  c->tokens = g_strdup (mini_tokens);
  g_ptr_array_add (cases, c);

  /* every architecture: the random-weight tiny models, GGUF and HF folder,
   * fed their own ref-logits.json tokens */
  for (guint i = 0; i < G_N_ELEMENTS (tiny_archs); i++)
    {
      g_autofree char *tiny = g_build_filename (root ? root : "../shared", "models",
                                                "tiny-archs", tiny_archs[i], NULL);
      g_autofree char *gguf = g_strdup_printf ("%s-bf16.gguf", tiny_archs[i]);

      c = g_new0 (ModelCase, 1);
      c->path = g_build_filename (tiny, gguf, NULL);
      c->name = g_strdup (gguf);
      c->tokens = g_build_filename (tiny, "ref-logits.json", NULL);
      g_ptr_array_add (cases, c);
      c = g_new0 (ModelCase, 1);
      c->path = g_strdup (tiny);
      c->name = g_strdup_printf ("%s-hf", tiny_archs[i]);
      c->tokens = g_build_filename (tiny, "ref-logits.json", NULL);
      g_ptr_array_add (cases, c);
    }
  c = g_new0 (ModelCase, 1);
  c->path = lb_test_source_path ("data", "stories260K", "stories260K.bin", NULL);
  c->tokenizer = lb_test_source_path ("data", "stories260K", "tok512.bin", NULL);
  c->name = g_strdup ("stories260K");
  g_ptr_array_add (cases, c);
  return cases;
}

int
main (int argc, char **argv)
{
  g_autoptr (GPtrArray) cases = NULL;
  int ret;

  g_test_init (&argc, &argv, NULL);

  cases = model_cases ();
  for (guint i = 0; i < cases->len; i++)
    {
      ModelCase *c = cases->pdata[i];
      g_autofree char *p = g_strdup_printf ("/lowbit/engine/vs-reference/%s", c->name);
      g_test_add_data_func (p, c, test_vs_reference);
    }
  g_test_add_func ("/lowbit/engine/transformers-gguf", test_transformers_gguf);
  g_test_add_func ("/lowbit/engine/transformers-hf", test_transformers_hf);
  g_test_add_func ("/lowbit/engine/stories260K", test_stories);
  g_test_add_func ("/lowbit/engine/batching", test_batching);
  g_test_add_func ("/lowbit/engine/cache", test_cache);
  g_test_add_func ("/lowbit/engine/errors", test_errors);
  g_test_add_func ("/lowbit/engine/memory", test_memory);
  g_test_add_func ("/lowbit/engine/tap", test_tap);
  g_test_add_func ("/lowbit/engine/sessions", test_sessions);
  g_test_add_func ("/lowbit/engine/speed", test_speed);

  ret = g_test_run ();
  return ret;
}
