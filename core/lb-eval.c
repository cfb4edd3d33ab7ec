/* lb-eval.c: candidate vs reference over a text, llama.cpp's protocol */
#include "config.h"

#include <math.h>
#include <string.h>
#include <json-glib/json-glib.h>

#include "lb-error.h"
#include "lb-eval.h"
#include "lb-engine.h"
#include "lb-eval-metrics.h"
#include "lb-logit-cache.h"
#include "lb-ref-engine.h"

#define DEFAULT_CTX      512
/* logits held per model per slice: 8 Mi floats (32 MiB) */
#define SLICE_FLOATS     (8u << 20)

const char *
lb_eval_engine_to_string (LbEvalEngine engine)
{
  switch (engine)
    {
    case LB_EVAL_ENGINE_DEFAULT: return "default";
    case LB_EVAL_ENGINE_REF: return "ref";
    case LB_EVAL_ENGINE_FAST: return "fast";
    }
  return "unknown";
}

gboolean
lb_eval_engine_from_string (const char *name, LbEvalEngine *out)
{
  for (LbEvalEngine e = LB_EVAL_ENGINE_DEFAULT; e <= LB_EVAL_ENGINE_FAST; e++)
    if (g_ascii_strcasecmp (name, lb_eval_engine_to_string (e)) == 0)
      {
        *out = e;
        return TRUE;
      }
  return FALSE;
}

/* ---- backends -------------------------------------------------------------- */

typedef struct {
  LbEvalBackend parent;
  LbRefEngine  *engine;
} RefBackend;

static gboolean
ref_reset (LbEvalBackend *self, GError **error)
{
  lb_ref_engine_reset (((RefBackend *) self)->engine);
  return TRUE;
}

static gboolean
ref_forward (LbEvalBackend *self, const gint32 *tokens, guint n, float *logits, GError **error)
{
  return lb_ref_engine_eval_batch (((RefBackend *) self)->engine, tokens, n, logits, NULL, error);
}

static void
ref_free (LbEvalBackend *self)
{
  lb_ref_engine_free (((RefBackend *) self)->engine);
  g_free (self);
}

static LbEvalBackend *
ref_backend_new (LbModel *model, guint n_ctx, GError **error)
{
  LbRefEngine *engine = lb_ref_engine_new (model, n_ctx, error);
  RefBackend *b;

  if (engine == NULL)
    return NULL;
  b = g_new0 (RefBackend, 1);
  b->engine = engine;
  b->parent.n_vocab = lb_model_get_hparams (model)->n_vocab;
  b->parent.engine_name = "ref";
  b->parent.reset = ref_reset;
  b->parent.forward = ref_forward;
  b->parent.free = ref_free;
  return &b->parent;
}

typedef struct {
  LbEvalBackend parent;
  LbEngine     *engine;
} FastBackend;

static gboolean
fast_reset (LbEvalBackend *self, GError **error)
{
  lb_engine_reset (((FastBackend *) self)->engine);
  return TRUE;
}

static gboolean
fast_forward (LbEvalBackend *self, const gint32 *tokens, guint n, float *logits, GError **error)
{
  return lb_engine_eval (((FastBackend *) self)->engine, tokens, n, logits, NULL, error);
}

static void
fast_free (LbEvalBackend *self)
{
  lb_engine_free (((FastBackend *) self)->engine);
  g_free (self);
}

/* KV cache f16, as llama.cpp's default */
static LbEvalBackend *
fast_backend_new (LbModel *model, guint n_ctx, guint n_threads, GError **error)
{
  LbEngineParams params;
  LbEngine *engine;
  FastBackend *b;

  lb_engine_params_init (&params);
  params.n_ctx = n_ctx;
  params.n_threads = n_threads;
  engine = lb_engine_new (model, &params, error);
  if (engine == NULL)
    return NULL;
  b = g_new0 (FastBackend, 1);
  b->engine = engine;
  b->parent.n_vocab = lb_model_get_hparams (model)->n_vocab;
  b->parent.engine_name = "fast";
  b->parent.reset = fast_reset;
  b->parent.forward = fast_forward;
  b->parent.free = fast_free;
  return &b->parent;
}

LbEvalBackend *
lb_eval_backend_new (LbModel *model, LbEvalEngine engine, guint n_ctx, guint n_threads,
                     GError **error)
{
  g_return_val_if_fail (LB_IS_MODEL (model), NULL);

  if (engine == LB_EVAL_ENGINE_REF)
    return ref_backend_new (model, n_ctx, error);
  return fast_backend_new (model, n_ctx, n_threads, error);
}

void
lb_eval_backend_free (LbEvalBackend *backend)
{
  if (backend)
    backend->free (backend);
}

/* ---- chunks ---------------------------------------------------------------- */

static guint
effective_ctx (const LbEvalParams *params)
{
  return params->n_ctx ? params->n_ctx : DEFAULT_CTX;
}

static gboolean
check_ctx (guint n_ctx, GError **error)
{
  if (n_ctx < 4 || n_ctx > (1u << 20))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "--ctx %u: the context must be between 4 and 1048576 tokens", n_ctx);
      return FALSE;
    }
  return TRUE;
}

gint32 *
lb_eval_make_chunks (const gint32 *tokens, gsize n_tokens, guint n_ctx, guint n_chunks,
                     gint32 bos, guint *n_chunks_out, GError **error)
{
  gsize avail;
  gint32 *chunks;

  if (!check_ctx (n_ctx, error))
    return NULL;
  avail = n_tokens / n_ctx;
  if (avail == 0)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "the text gives %" G_GSIZE_FORMAT " tokens, too few for one chunk of %u "
                   "(use a longer text or a smaller --ctx)", n_tokens, n_ctx);
      return NULL;
    }
  avail = MIN (avail, (gsize) G_MAXINT32 / n_ctx);
  if (n_chunks == 0 || n_chunks > avail)
    n_chunks = (guint) avail;
  chunks = g_new (gint32, (gsize) n_chunks * n_ctx);
  memcpy (chunks, tokens, (gsize) n_chunks * n_ctx * sizeof (gint32));
  if (bos >= 0)
    for (guint c = 0; c < n_chunks; c++)
      chunks[(gsize) c * n_ctx] = bos;
  *n_chunks_out = n_chunks;
  return chunks;
}

/* ---- the loop -------------------------------------------------------------- */

typedef struct {
  double   sum_nll, sum_nll2, sum_nll_base, sum_nll_base2;
  double   sum_kld, sum_kld2, sum_dp, sum_dp2, sum_dp4;
  guint64  count, n_same, top_overlap, n_nonfinite;
  double   sse, sum_cos;
  float    max_abs;
  float   *klds;
} Accum;

static void
accum_add (Accum *a, const LbEvalPosResult *r)
{
  double dp2 = (double) r->p_diff * r->p_diff;

  a->sum_nll += r->nll;
  a->sum_nll2 += (double) r->nll * r->nll;
  a->sum_nll_base += r->nll_base;
  a->sum_nll_base2 += (double) r->nll_base * r->nll_base;
  a->sum_kld += r->kld;
  a->sum_kld2 += r->kld * r->kld;
  a->sum_dp += r->p_diff;
  a->sum_dp2 += dp2;
  a->sum_dp4 += dp2 * dp2;
  a->n_same += r->same_top ? 1 : 0;
  a->top_overlap += r->top_overlap;
  a->klds[a->count++] = (float) r->kld;
}

typedef struct {
  LbEvalBackend      *cand, *ref;
  LbLogitCacheReader *cache;
  LbLogitCacheWriter *save;
  guint               n_vocab, n_ctx, first, n_scored, slice;
  float              *cand_logits, *ref_logits;
  guint16            *q;
  guint32            *kept_ids;
  guint16            *kept_q;
  Accum               acc;
} Loop;

static gboolean
cancelled (GCancellable *cancellable, GError **error)
{
  return g_cancellable_set_error_if_cancelled (cancellable, error);
}

/* positions [first + j0, first + j0 + n) of one chunk */
static gboolean
score_slice (Loop *l, const gint32 *chunk, guint j0, guint n, GCancellable *cancellable,
             GError **error)
{
  const gint32 *toks = chunk + l->first + j0;

  if (cancelled (cancellable, error)
      || !l->cand->forward (l->cand, toks, n, l->cand_logits, error))
    return FALSE;
  if (l->ref && (cancelled (cancellable, error)
                 || !l->ref->forward (l->ref, toks, n, l->ref_logits, error)))
    return FALSE;

  for (guint j = 0; j < n; j++)
    {
      float *cl = l->cand_logits + (gsize) j * l->n_vocab;
      gint32 target = chunk[l->first + j0 + j + 1];
      LbEvalBasePos base;
      LbEvalPosResult r;

      if (l->ref)
        {
          float *rl = l->ref_logits + (gsize) j * l->n_vocab;
          double sse, cosine;
          float max_abs;
          float scale, min_log_prob;

          /* on the raw logits, before any sanitizing */
          lb_eval_logit_errors (cl, rl, l->n_vocab, &sse, &cosine, &max_abs);
          l->acc.sse += sse;
          l->acc.sum_cos += cosine;
          l->acc.max_abs = MAX (l->acc.max_abs, max_abs);

          lb_eval_sanitize_logits (rl, l->n_vocab);
          lb_eval_base_quantize (rl, l->n_vocab, l->q, &scale, &min_log_prob);
          lb_eval_base_pos_from_q (&base, l->q, l->n_vocab, scale, min_log_prob, target,
                                   l->kept_ids, l->kept_q);
          if (l->save && !lb_logit_cache_writer_add (l->save, &base, error))
            return FALSE;
        }
      else if (!lb_logit_cache_reader_next (l->cache, &base, cancellable, error))
        return FALSE;

      if (lb_eval_sanitize_logits (cl, l->n_vocab))
        l->acc.n_nonfinite++;
      lb_eval_compare_position (cl, l->n_vocab, &base, target, &r);
      accum_add (&l->acc, &r);
    }
  return TRUE;
}

static gboolean
run_chunk (Loop *l, const gint32 *chunk, GCancellable *cancellable, GError **error)
{
  if (!l->cand->reset (l->cand, error)
      || !l->cand->forward (l->cand, chunk, l->first, NULL, error))
    return FALSE;
  if (l->ref && (cancelled (cancellable, error)
                 || !l->ref->reset (l->ref, error)
                 || !l->ref->forward (l->ref, chunk, l->first, NULL, error)))
    return FALSE;
  for (guint j = 0; j < l->n_scored; j += l->slice)
    if (!score_slice (l, chunk, j, MIN (l->slice, l->n_scored - j), cancellable, error))
      return FALSE;
  return TRUE;
}

static void
finish_result (LbEvalResult *res, Accum *a, guint64 n_logit_rows)
{
  double e;
  gsize n = a->count;

  res->n_positions = a->count;
  res->n_nonfinite = a->n_nonfinite;
  lb_eval_mean_and_error (a->sum_nll, a->sum_nll2, a->count, &res->ppl, &e);
  res->ppl = exp (res->ppl);
  res->ppl_error = res->ppl * e;
  lb_eval_mean_and_error (a->sum_nll_base, a->sum_nll_base2, a->count, &res->ppl_base, &e);
  res->ppl_base = exp (res->ppl_base);
  res->ppl_base_error = res->ppl_base * e;
  lb_eval_mean_and_error (a->sum_kld, a->sum_kld2, a->count, &res->mean_kld, &res->mean_kld_error);
  lb_eval_mean_and_error (a->sum_dp, a->sum_dp2, a->count, &res->mean_dp, &res->mean_dp_error);
  res->rms_dp = n ? sqrt (a->sum_dp2 / (double) n) : NAN;
  res->same_top1 = n ? (double) a->n_same / (double) n : NAN;
  res->same_top1_error = n > 1 ? sqrt (res->same_top1 * (1 - res->same_top1) / (double) (n - 1)) : 0;
  res->top5_agreement = n ? (double) a->top_overlap / ((double) n * MIN (LB_EVAL_TOP_K, res->n_vocab)) : NAN;

  lb_eval_sort_floats (a->klds, n);
  res->max_kld = n ? a->klds[n - 1] : NAN;
  res->kld_99_9 = lb_eval_percentile (a->klds, n, 0.999f);
  res->kld_99 = lb_eval_percentile (a->klds, n, 0.99f);
  res->kld_90 = lb_eval_percentile (a->klds, n, 0.90f);
  res->kld_median = lb_eval_median (a->klds, n);

  if (res->has_logit_errors && n_logit_rows > 0)
    {
      res->logits_mse = a->sse / ((double) n_logit_rows * res->n_vocab);
      res->logits_cosine = a->sum_cos / (double) n_logit_rows;
      res->logits_max_abs = a->max_abs;
    }
  else
    res->logits_mse = res->logits_cosine = res->logits_max_abs = NAN;
}

LbEvalResult *
lb_eval_run_backends (LbEvalBackend *candidate, LbEvalBackend *reference,
                      const gint32 *chunks, guint n_chunks, const LbEvalParams *params,
                      LbProgressFunc progress, gpointer progress_data,
                      GCancellable *cancellable, GError **error)
{
  g_autoptr (LbLogitCacheReader) cache = NULL;
  g_autoptr (LbLogitCacheWriter) save = NULL;
  g_autoptr (LbEvalResult) res = NULL;
  g_autofree float *cand_logits = NULL, *ref_logits = NULL;
  g_autofree guint16 *q = NULL, *kept_q = NULL;
  g_autofree guint32 *kept_ids = NULL;
  g_autofree float *klds = NULL;
  guint n_ctx = effective_ctx (params);
  gint64 t0 = g_get_monotonic_time ();
  Loop l = { 0 };

  g_return_val_if_fail (candidate != NULL && chunks != NULL && params != NULL, NULL);

  if (!check_ctx (n_ctx, error))
    return NULL;
  if ((reference == NULL) == (params->reference_cache == NULL))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "give the reference either as a model or as a cache (--reference-cache), not %s",
                   reference ? "both" : "neither");
      return NULL;
    }
  if (params->save_reference && reference == NULL)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "--save-reference needs the reference model to run (not --reference-cache)");
      return NULL;
    }
  if (n_chunks == 0)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT, "nothing to evaluate: no chunks");
      return NULL;
    }
  l.n_vocab = candidate->n_vocab;
  l.n_ctx = n_ctx;
  l.first = n_ctx / 2;
  l.n_scored = n_ctx - 1 - l.first;
  for (guint64 i = 0; i < (guint64) n_chunks * n_ctx; i++)
    if (chunks[i] < 0 || (guint) chunks[i] >= l.n_vocab)
      {
        g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                     "token %" G_GUINT64_FORMAT " is %d, outside the candidate's vocabulary of %u",
                     i, chunks[i], l.n_vocab);
        return NULL;
      }

  if (reference && reference->n_vocab != l.n_vocab)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "vocabulary mismatch: the candidate has %u tokens, the reference %u",
                   l.n_vocab, reference->n_vocab);
      return NULL;
    }
  if (params->reference_cache)
    {
      const LbLogitCacheInfo *info;

      cache = lb_logit_cache_reader_open (params->reference_cache, cancellable, error);
      if (cache == NULL)
        return NULL;
      info = lb_logit_cache_reader_get_info (cache);
      if (info->n_vocab != l.n_vocab)
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                       "vocabulary mismatch: the candidate has %u tokens, the reference cache %s %u",
                       l.n_vocab, params->reference_cache, info->n_vocab);
          return NULL;
        }
      if (info->n_ctx != n_ctx || info->n_chunks < n_chunks)
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                       "the reference cache %s holds %u chunks of %u tokens; this run wants %u of %u",
                       params->reference_cache, info->n_chunks, info->n_ctx, n_chunks, n_ctx);
          return NULL;
        }
      if (memcmp (lb_logit_cache_reader_get_tokens (cache), chunks,
                  (gsize) n_chunks * n_ctx * sizeof (gint32)) != 0)
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                       "the reference cache %s was made from a different text",
                       params->reference_cache);
          return NULL;
        }
    }

  res = g_new0 (LbEvalResult, 1);
  res->n_ctx = n_ctx;
  res->n_chunks = n_chunks;
  res->n_vocab = l.n_vocab;
  res->engine = g_strdup (candidate->engine_name);
  res->has_logit_errors = reference != NULL;
  if (cache)
    res->reference_model = g_strdup (lb_logit_cache_reader_get_reference_name (cache));
  res->chunk_mean_kld = g_new0 (double, n_chunks);
  res->chunk_same_top1 = g_new0 (double, n_chunks);

  if (params->save_reference)
    {
      LbLogitCacheInfo info = { l.n_vocab, n_ctx, n_chunks, l.first, l.n_scored };

      save = lb_logit_cache_writer_new (params->save_reference, &info, params->reference_name,
                                        chunks, error);
      if (save == NULL)
        return NULL;
    }

  l.cand = candidate;
  l.ref = reference;
  l.cache = cache;
  l.save = save;
  l.slice = CLAMP (SLICE_FLOATS / l.n_vocab, 1u, l.n_scored);
  l.cand_logits = cand_logits = g_new (float, (gsize) l.slice * l.n_vocab);
  if (reference)
    {
      l.ref_logits = ref_logits = g_new (float, (gsize) l.slice * l.n_vocab);
      l.q = q = g_new (guint16, l.n_vocab);
      l.kept_ids = kept_ids = g_new (guint32, l.n_vocab);
      l.kept_q = kept_q = g_new (guint16, l.n_vocab);
    }
  l.acc.klds = klds = g_new (float, (gsize) n_chunks * l.n_scored);

  for (guint c = 0; c < n_chunks; c++)
    {
      double kld_before = l.acc.sum_kld;
      guint64 same_before = l.acc.n_same;

      if (cancelled (cancellable, error)
          || !run_chunk (&l, chunks + (gsize) c * n_ctx, cancellable, error))
        return NULL;
      res->chunk_mean_kld[c] = (l.acc.sum_kld - kld_before) / l.n_scored;
      res->chunk_same_top1[c] = (double) (l.acc.n_same - same_before) / l.n_scored;
      if (progress)
        {
          g_autofree char *stage = g_strdup_printf ("chunk %u/%u, mean KLD %.6f", c + 1, n_chunks,
                                                    l.acc.sum_kld / (double) l.acc.count);
          progress ((double) (c + 1) / n_chunks, stage, progress_data);
        }
    }
  if (save && !lb_logit_cache_writer_commit (save, error))
    return NULL;

  finish_result (res, &l.acc, reference ? l.acc.count : 0);
  res->seconds = (g_get_monotonic_time () - t0) / 1e6;
  return g_steal_pointer (&res);
}

/* ---- from models and text ------------------------------------------------- */

static gboolean
check_same_vocab (LbModel *cand, LbModel *ref, GError **error)
{
  LbTokenizer *tc = lb_model_get_tokenizer (cand), *tr = lb_model_get_tokenizer (ref);
  guint nc = lb_model_get_hparams (cand)->n_vocab, nr = lb_model_get_hparams (ref)->n_vocab;

  if (nc != nr || lb_tokenizer_get_n_vocab (tc) != lb_tokenizer_get_n_vocab (tr))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "vocabulary mismatch: the candidate %s has %u tokens, the reference %s %u",
                   lb_model_get_path (cand), nc, lb_model_get_path (ref), nr);
      return FALSE;
    }
  for (guint i = 0; i < lb_tokenizer_get_n_vocab (tc); i++)
    if (g_strcmp0 (lb_tokenizer_get_token_text (tc, (gint32) i),
                   lb_tokenizer_get_token_text (tr, (gint32) i)) != 0)
      {
        g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                     "vocabulary mismatch: token %u is '%s' in the candidate but '%s' in the reference",
                     i, lb_tokenizer_get_token_text (tc, (gint32) i),
                     lb_tokenizer_get_token_text (tr, (gint32) i));
        return FALSE;
      }
  if (lb_tokenizer_get_bos (tc) != lb_tokenizer_get_bos (tr)
      || lb_tokenizer_get_add_bos (tc) != lb_tokenizer_get_add_bos (tr))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "the candidate and the reference disagree on the BOS token (%d vs %d)",
                   lb_tokenizer_get_bos (tc), lb_tokenizer_get_bos (tr));
      return FALSE;
    }
  return TRUE;
}

LbEvalResult *
lb_eval_run (LbModel *candidate, LbModel *reference, const char *text, gssize len,
             const LbEvalParams *params, LbProgressFunc progress, gpointer progress_data,
             GCancellable *cancellable, GError **error)
{
  g_autoptr (LbLogitCacheReader) cache = NULL;
  g_autoptr (LbEvalBackend) cand_b = NULL, ref_b = NULL;
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_autofree gint32 *chunks = NULL;
  LbEvalParams p = *params;
  LbTokenizer *tok;
  LbEvalResult *res;
  guint n_chunks = 0;
  gint32 bos;

  g_return_val_if_fail (LB_IS_MODEL (candidate), NULL);
  g_return_val_if_fail (reference == NULL || LB_IS_MODEL (reference), NULL);
  if (reference && p.reference_name == NULL)
    p.reference_name = lb_model_get_path (reference);

  if ((reference == NULL) == (params->reference_cache == NULL))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "give the reference either as a model (--reference) or as a cache "
                   "(--reference-cache), not %s", reference ? "both" : "neither");
      return NULL;
    }
  if (reference && !check_same_vocab (candidate, reference, error))
    return NULL;

  tok = lb_model_get_tokenizer (reference ? reference : candidate);
  bos = lb_tokenizer_get_add_bos (tok) ? lb_tokenizer_get_bos (tok) : -1;

  if (params->reference_cache)
    {
      const LbLogitCacheInfo *info;

      /* its header decides the context; its tokens stand in for the text */
      cache = lb_logit_cache_reader_open (params->reference_cache, cancellable, error);
      if (cache == NULL)
        return NULL;
      info = lb_logit_cache_reader_get_info (cache);
      if (p.n_ctx == 0)
        p.n_ctx = info->n_ctx;
      if (text == NULL)
        {
          n_chunks = p.n_chunks ? MIN (p.n_chunks, info->n_chunks) : info->n_chunks;
          if (info->n_ctx != p.n_ctx)
            {
              g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                           "--ctx %u: the reference cache %s was made with %u",
                           p.n_ctx, params->reference_cache, info->n_ctx);
              return NULL;
            }
          chunks = g_memdup2 (lb_logit_cache_reader_get_tokens (cache),
                              (gsize) n_chunks * info->n_ctx * sizeof (gint32));
        }
    }
  else if (text == NULL)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "a text is needed (--text) unless the reference comes from a cache");
      return NULL;
    }

  if (text)
    {
      if (!lb_tokenizer_encode (tok, text, len, TRUE, ids, error))
        return NULL;
      chunks = lb_eval_make_chunks ((const gint32 *) ids->data, ids->len, effective_ctx (&p),
                                    p.n_chunks, bos, &n_chunks, error);
      if (chunks == NULL)
        return NULL;
      if (cache && p.n_chunks == 0
          && lb_logit_cache_reader_get_info (cache)->n_chunks != n_chunks)
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                       "the reference cache %s holds %u chunks but the text gives %u; "
                       "pass --chunks to evaluate fewer", params->reference_cache,
                       lb_logit_cache_reader_get_info (cache)->n_chunks, n_chunks);
          return NULL;
        }
    }
  g_clear_pointer (&cache, lb_logit_cache_reader_free);

  cand_b = lb_eval_backend_new (candidate, p.engine, effective_ctx (&p), p.n_threads, error);
  if (cand_b == NULL)
    return NULL;
  if (reference)
    {
      ref_b = lb_eval_backend_new (reference, p.engine, effective_ctx (&p), p.n_threads, error);
      if (ref_b == NULL)
        return NULL;
    }

  res = lb_eval_run_backends (cand_b, ref_b, chunks, n_chunks, &p, progress, progress_data,
                              cancellable, error);
  if (res)
    {
      res->candidate = g_strdup (lb_model_get_path (candidate));
      res->reference = g_strdup (reference ? lb_model_get_path (reference) : params->reference_cache);
      res->n_text_tokens = text ? ids->len : 0;
    }
  return res;
}

/* ---- async ----------------------------------------------------------------- */

typedef struct {
  LbModel       *candidate, *reference;
  char          *text;
  gssize         len;
  LbEvalParams   params;
  char          *save_reference, *reference_cache, *reference_name;
  LbProgressFunc progress;
  gpointer       progress_data;
} AsyncData;

static void
async_data_free (AsyncData *d)
{
  g_clear_object (&d->candidate);
  g_clear_object (&d->reference);
  g_free (d->text);
  g_free (d->save_reference);
  g_free (d->reference_cache);
  g_free (d->reference_name);
  g_free (d);
}

static void
eval_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  AsyncData *d = task_data;
  GError *error = NULL;
  LbEvalResult *res = lb_eval_run (d->candidate, d->reference, d->text, d->len, &d->params,
                                   d->progress, d->progress_data, cancellable, &error);

  if (res)
    g_task_return_pointer (task, res, (GDestroyNotify) lb_eval_result_free);
  else
    g_task_return_error (task, error);
}

void
lb_eval_run_async (LbModel *candidate, LbModel *reference, const char *text, gssize len,
                   const LbEvalParams *params, LbProgressFunc progress, gpointer progress_data,
                   GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  AsyncData *d = g_new0 (AsyncData, 1);

  g_task_set_source_tag (task, lb_eval_run_async);
  d->candidate = g_object_ref (candidate);
  d->reference = reference ? g_object_ref (reference) : NULL;
  if (text)
    {
      d->len = len < 0 ? (gssize) strlen (text) : len;
      d->text = g_malloc (d->len + 1);
      memcpy (d->text, text, d->len);
      d->text[d->len] = '\0';
    }
  d->params = *params;
  d->params.save_reference = d->save_reference = g_strdup (params->save_reference);
  d->params.reference_cache = d->reference_cache = g_strdup (params->reference_cache);
  d->params.reference_name = d->reference_name = g_strdup (params->reference_name);
  d->progress = progress;
  d->progress_data = progress_data;
  g_task_set_task_data (task, d, (GDestroyNotify) async_data_free);
  g_task_run_in_thread (task, eval_thread);
}

LbEvalResult *
lb_eval_run_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == lb_eval_run_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- result ---------------------------------------------------------------- */

void
lb_eval_result_free (LbEvalResult *res)
{
  if (res == NULL)
    return;
  g_free (res->candidate);
  g_free (res->reference);
  g_free (res->reference_model);
  g_free (res->engine);
  g_free (res->chunk_mean_kld);
  g_free (res->chunk_same_top1);
  g_free (res);
}

static void
add_number (JsonBuilder *b, const char *key, double v)
{
  json_builder_set_member_name (b, key);
  if (isfinite (v))
    json_builder_add_double_value (b, v);
  else
    json_builder_add_null_value (b);
}

static void
add_int (JsonBuilder *b, const char *key, gint64 v)
{
  json_builder_set_member_name (b, key);
  json_builder_add_int_value (b, v);
}

static void
add_string (JsonBuilder *b, const char *key, const char *v)
{
  json_builder_set_member_name (b, key);
  if (v)
    json_builder_add_string_value (b, v);
  else
    json_builder_add_null_value (b);
}

char *
lb_eval_result_to_json (const LbEvalResult *r, gboolean per_chunk)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  gboolean le = r->has_logit_errors;

  json_builder_begin_object (b);
  add_string (b, "candidate", r->candidate);
  add_string (b, "reference", r->reference);
  add_string (b, "reference_model", r->reference_model ? r->reference_model : r->reference);
  add_string (b, "engine", r->engine);
  add_int (b, "n_ctx", r->n_ctx);
  add_int (b, "chunks", r->n_chunks);
  add_int (b, "n_vocab", r->n_vocab);
  add_int (b, "text_tokens", (gint64) r->n_text_tokens);
  add_int (b, "positions", (gint64) r->n_positions);
  add_int (b, "nonfinite_positions", (gint64) r->n_nonfinite);
  add_number (b, "ppl", r->ppl);
  add_number (b, "ppl_error", r->ppl_error);
  add_number (b, "ppl_base_clipped", r->ppl_base);
  add_number (b, "ppl_base_error", r->ppl_base_error);
  add_number (b, "mean_kld", r->mean_kld);
  add_number (b, "mean_kld_error", r->mean_kld_error);
  add_number (b, "max_kld", r->max_kld);
  add_number (b, "kld_99_9", r->kld_99_9);
  add_number (b, "kld_99", r->kld_99);
  add_number (b, "kld_90", r->kld_90);
  add_number (b, "kld_median", r->kld_median);
  add_number (b, "same_top1_percent", 100.0 * r->same_top1);
  add_number (b, "same_top1_error_percent", 100.0 * r->same_top1_error);
  add_number (b, "top5_agreement_percent", 100.0 * r->top5_agreement);
  add_number (b, "mean_dp_percent", 100.0 * r->mean_dp);
  add_number (b, "mean_dp_error_percent", 100.0 * r->mean_dp_error);
  add_number (b, "rms_dp_percent", 100.0 * r->rms_dp);
  add_number (b, "logits_mse", le ? r->logits_mse : NAN);
  add_number (b, "logits_cosine", le ? r->logits_cosine : NAN);
  add_number (b, "logits_max_abs", le ? r->logits_max_abs : NAN);
  add_number (b, "seconds", r->seconds);
  if (per_chunk)
    {
      json_builder_set_member_name (b, "chunk_mean_kld");
      json_builder_begin_array (b);
      for (guint c = 0; c < r->n_chunks; c++)
        if (isfinite (r->chunk_mean_kld[c]))
          json_builder_add_double_value (b, r->chunk_mean_kld[c]);
        else
          json_builder_add_null_value (b);
      json_builder_end_array (b);
      json_builder_set_member_name (b, "chunk_same_top1_percent");
      json_builder_begin_array (b);
      for (guint c = 0; c < r->n_chunks; c++)
        json_builder_add_double_value (b, 100.0 * r->chunk_same_top1[c]);
      json_builder_end_array (b);
    }
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  return json_generator_to_data (gen, NULL);
}
