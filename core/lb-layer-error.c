/* lb-layer-error.c: hidden-state error after each block, candidate vs reference */
#include "config.h"

#include <math.h>
#include <string.h>

#include "lb-error.h"
#include "lb-layer-error.h"
#include "lb-ref-engine.h"
#include "lb-tensor-error.h"
#include "lb-variant.h"

/* reference hidden states are kept for the split runs up to this size;
 * beyond it the reference runs again beside each split run */
#define MAX_CACHE_BYTES ((gsize) 256 << 20)

void
lb_layer_error_report_free (LbLayerErrorReport *report)
{
  if (report == NULL)
    return;
  g_free (report->layers);
  g_free (report);
}

/* the hidden states of one token after every block */
typedef struct {
  float *h;
  guint  n_layer;
  guint  n_embd;
} TapBuf;

static void
tap_store (guint layer, guint pos, const float *hidden, guint n_embd, gpointer user_data)
{
  TapBuf *b = user_data;

  if (layer < b->n_layer && n_embd == b->n_embd)
    memcpy (b->h + (gsize) layer * n_embd, hidden, n_embd * sizeof (float));
}

typedef struct {
  double sum_x2, sum_d2, max_abs;
  double cos_sum, cos_min;
  gint64 n;
} LayerAcc;

static void
layer_acc_add (LayerAcc *a, const float *x, const float *y, guint n)
{
  double sx2 = 0, sy2 = 0, sxy = 0, sd2 = 0, cosv;

  for (guint i = 0; i < n; i++)
    {
      double d = (double) x[i] - y[i];
      sx2 += (double) x[i] * x[i];
      sy2 += (double) y[i] * y[i];
      sxy += (double) x[i] * y[i];
      sd2 += d * d;
      if (fabs (d) > a->max_abs)
        a->max_abs = fabs (d);
    }
  if (sx2 == 0.0 && sy2 == 0.0)
    cosv = 1.0;
  else if (sx2 == 0.0 || sy2 == 0.0)
    cosv = 0.0;
  else
    cosv = CLAMP (sxy / sqrt (sx2 * sy2), -1.0, 1.0);
  a->sum_x2 += sx2;
  a->sum_d2 += sd2;
  a->cos_sum += cosv;
  a->cos_min = a->n == 0 ? cosv : MIN (a->cos_min, cosv);
  a->n++;
}

static double
rel_mse (double sum_x2, double sum_d2)
{
  if (sum_d2 == 0.0)
    return 0.0;
  return sum_x2 > 0.0 ? sum_d2 / sum_x2 : INFINITY;
}

static gboolean
check_compatible (LbModel *a, LbModel *b, GError **error)
{
  const LbHParams *ha = lb_model_get_hparams (a), *hb = lb_model_get_hparams (b);

  if (ha->arch != hb->arch || ha->n_layer != hb->n_layer || ha->n_embd != hb->n_embd
      || ha->n_vocab != hb->n_vocab)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "%s (%s, %u blocks, width %u, %u tokens) and %s (%s, %u blocks, width %u, "
                   "%u tokens) are not the same model: their layers cannot be compared",
                   lb_model_get_name (a), lb_arch_to_string (ha->arch), ha->n_layer, ha->n_embd,
                   ha->n_vocab, lb_model_get_name (b), lb_arch_to_string (hb->arch),
                   hb->n_layer, hb->n_embd, hb->n_vocab);
      return FALSE;
    }
  return TRUE;
}

/* How the tokens are cut into chunks */
typedef struct {
  const gint32 *tokens;
  gsize         n_tokens;
  gint32        bos;       /* -1: none */
  guint         body;      /* tokens of the text per chunk */
  guint         n_chunks;
  guint         n_positions; /* in all chunks */
} Chunks;

static guint
chunk_fill (const Chunks *c, guint i, gint32 *out)
{
  gsize start = (gsize) i * c->body;
  guint n = 0;

  if (c->bos >= 0)
    out[n++] = c->bos;
  for (gsize k = start; k < MIN (start + c->body, c->n_tokens); k++)
    out[n++] = c->tokens[k];
  return n;
}

typedef struct {
  LbProgressFunc func;
  gpointer       data;
  guint64        done, total;
  const char    *stage;
} Progress;

static void
progress_step (Progress *p)
{
  p->done++;
  if (p->func && (p->done % 16 == 0 || p->done == p->total))
    p->func (p->total ? (double) p->done / (double) p->total : 1.0, p->stage, p->data);
}

/* Runs the main pass: reference and candidate in lockstep. cache, when not
 * NULL, receives the reference's states (n_positions * n_layer * n_embd). */
static gboolean
main_pass (LbModel *reference, LbModel *candidate, const Chunks *chunks, guint n_ctx,
           LbLayerError *out, float *cache, Progress *prog, GCancellable *cancellable,
           GError **error)
{
  const LbHParams *hp = lb_model_get_hparams (reference);
  g_autoptr (LbRefEngine) re = NULL, ce = NULL;
  TapBuf rb = { NULL, hp->n_layer, hp->n_embd }, cb = rb;
  g_autofree float *rh = g_new0 (float, (gsize) hp->n_layer * hp->n_embd);
  g_autofree float *ch = g_new0 (float, (gsize) hp->n_layer * hp->n_embd);
  g_autofree gint32 *ids = g_new (gint32, n_ctx);
  g_autofree LayerAcc *acc = g_new0 (LayerAcc, hp->n_layer);
  gsize pos_index = 0;

  re = lb_ref_engine_new (reference, n_ctx, error);
  if (re == NULL)
    return FALSE;
  ce = lb_ref_engine_new (candidate, n_ctx, error);
  if (ce == NULL)
    return FALSE;
  rb.h = rh;
  cb.h = ch;
  lb_ref_engine_set_tap (re, tap_store, &rb);
  lb_ref_engine_set_tap (ce, tap_store, &cb);

  for (guint c = 0; c < chunks->n_chunks; c++)
    {
      guint n = chunk_fill (chunks, c, ids);

      lb_ref_engine_reset (re);
      lb_ref_engine_reset (ce);
      for (guint t = 0; t < n; t++)
        {
          if (g_cancellable_set_error_if_cancelled (cancellable, error)
              || !lb_ref_engine_eval (re, ids[t], NULL, error)
              || !lb_ref_engine_eval (ce, ids[t], NULL, error))
            return FALSE;
          for (guint l = 0; l < hp->n_layer; l++)
            layer_acc_add (&acc[l], rh + (gsize) l * hp->n_embd, ch + (gsize) l * hp->n_embd,
                           hp->n_embd);
          if (cache)
            memcpy (cache + pos_index * hp->n_layer * hp->n_embd, rh,
                    (gsize) hp->n_layer * hp->n_embd * sizeof (float));
          pos_index++;
          progress_step (prog);
        }
    }

  for (guint l = 0; l < hp->n_layer; l++)
    {
      LbLayerError *e = &out[l];
      e->layer = l;
      e->cosine = acc[l].n ? acc[l].cos_sum / (double) acc[l].n : 1.0;
      e->min_cosine = acc[l].n ? acc[l].cos_min : 1.0;
      e->rel_mse = rel_mse (acc[l].sum_x2, acc[l].sum_d2);
      e->snr_db = lb_snr_db (acc[l].sum_x2, acc[l].sum_d2);
      e->max_abs = acc[l].max_abs;
      e->attn_rel_mse = e->mlp_rel_mse = NAN;
      e->attn_final_rel_mse = e->mlp_final_rel_mse = NAN;
    }
  return TRUE;
}

/* the reference with block l's attention (part 0) or MLP (part 1) tensors
 * from the candidate */
static LbModel *
part_model (LbModel *reference, LbModel *candidate, guint l, int part, GError **error)
{
  const LbLayerWeights *w = lb_model_get_layer (reference, l);
  const LbTensor *attn[] = { w->attn_norm, w->wq, w->wk, w->wv, w->wo, w->bq, w->bk, w->bv,
                             w->attn_q_norm, w->attn_k_norm, w->attn_post_norm };
  const LbTensor *mlp[] = { w->ffn_norm, w->ffn_gate, w->ffn_up, w->ffn_down,
                            w->ffn_post_norm };
  const LbTensor **list = part == 0 ? attn : mlp;
  guint n = part == 0 ? G_N_ELEMENTS (attn) : G_N_ELEMENTS (mlp);
  g_autoptr (LbVariant) variant = lb_variant_new (reference);

  for (guint i = 0; i < n; i++)
    if (list[i] != NULL && !lb_variant_take_tensor (variant, list[i]->name, candidate, error))
      return NULL;
  return lb_variant_build_model (variant, error);
}

/* One split run for block l and part: fills *local (block l) and *final
 * (last block) relative MSE. */
static gboolean
split_pass (LbModel *reference, LbModel *candidate, const Chunks *chunks, guint n_ctx, guint l,
            int part, const float *cache, double *local, double *final,
            Progress *prog, GCancellable *cancellable, GError **error)
{
  const LbHParams *hp = lb_model_get_hparams (reference);
  gsize state = (gsize) hp->n_layer * hp->n_embd;
  guint last = hp->n_layer - 1;
  g_autoptr (LbModel) model = NULL;
  g_autoptr (LbRefEngine) pe = NULL, re = NULL;
  g_autofree float *ph = g_new0 (float, state);
  g_autofree float *rh = cache ? NULL : g_new0 (float, state);
  g_autofree gint32 *ids = g_new (gint32, n_ctx);
  TapBuf pb = { ph, hp->n_layer, hp->n_embd }, rb = { rh, hp->n_layer, hp->n_embd };
  LayerAcc acc_l = { 0 }, acc_f = { 0 };
  gsize pos_index = 0;

  model = part_model (reference, candidate, l, part, error);
  if (model == NULL)
    return FALSE;
  pe = lb_ref_engine_new (model, n_ctx, error);
  if (pe == NULL)
    return FALSE;
  lb_ref_engine_set_tap (pe, tap_store, &pb);
  if (cache == NULL)
    {
      re = lb_ref_engine_new (reference, n_ctx, error);
      if (re == NULL)
        return FALSE;
      lb_ref_engine_set_tap (re, tap_store, &rb);
    }

  for (guint c = 0; c < chunks->n_chunks; c++)
    {
      guint n = chunk_fill (chunks, c, ids);

      lb_ref_engine_reset (pe);
      if (re)
        lb_ref_engine_reset (re);
      for (guint t = 0; t < n; t++)
        {
          const float *x;

          if (g_cancellable_set_error_if_cancelled (cancellable, error)
              || !lb_ref_engine_eval (pe, ids[t], NULL, error)
              || (re && !lb_ref_engine_eval (re, ids[t], NULL, error)))
            return FALSE;
          x = cache ? cache + pos_index * state : rh;
          layer_acc_add (&acc_l, x + (gsize) l * hp->n_embd, ph + (gsize) l * hp->n_embd,
                         hp->n_embd);
          layer_acc_add (&acc_f, x + (gsize) last * hp->n_embd, ph + (gsize) last * hp->n_embd,
                         hp->n_embd);
          pos_index++;
          progress_step (prog);
        }
    }
  *local = rel_mse (acc_l.sum_x2, acc_l.sum_d2);
  *final = rel_mse (acc_f.sum_x2, acc_f.sum_d2);
  return TRUE;
}

LbLayerErrorReport *
lb_layer_error_compute (LbModel *reference, LbModel *candidate, const gint32 *tokens,
                        gsize n_tokens, const LbLayerErrorParams *params,
                        LbProgressFunc progress, gpointer progress_data,
                        GCancellable *cancellable, GError **error)
{
  static const LbLayerErrorParams defaults = LB_LAYER_ERROR_PARAMS_INIT;
  g_autoptr (LbLayerErrorReport) report = NULL;
  LbTokenizer *tok;
  const LbHParams *hp;
  g_autofree float *cache = NULL;
  Chunks chunks = { 0 };
  Progress prog = { progress, progress_data, 0, 0, "layer error" };
  guint n_ctx, max_chunks;

  g_return_val_if_fail (LB_IS_MODEL (reference) && LB_IS_MODEL (candidate), NULL);
  g_return_val_if_fail (tokens != NULL || n_tokens == 0, NULL);

  if (params == NULL)
    params = &defaults;
  if (!check_compatible (reference, candidate, error))
    return NULL;
  hp = lb_model_get_hparams (reference);
  tok = lb_model_get_tokenizer (reference);
  n_ctx = params->n_ctx ? params->n_ctx : 128;

  chunks.tokens = tokens;
  chunks.n_tokens = n_tokens;
  chunks.bos = lb_tokenizer_get_add_bos (tok) ? lb_tokenizer_get_bos (tok) : -1;
  if (n_ctx < (chunks.bos >= 0 ? 2u : 1u))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "a context of %u tokens is too short to compare layers", n_ctx);
      return NULL;
    }
  chunks.body = n_ctx - (chunks.bos >= 0 ? 1 : 0);
  max_chunks = (guint) MIN ((n_tokens + chunks.body - 1) / chunks.body, (gsize) G_MAXUINT);
  chunks.n_chunks = params->n_chunks ? MIN (params->n_chunks, max_chunks) : max_chunks;
  if (chunks.n_chunks == 0)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "no tokens to compare the layers on: the text is empty");
      return NULL;
    }
  for (guint c = 0; c < chunks.n_chunks; c++)
    {
      gsize start = (gsize) c * chunks.body;
      chunks.n_positions += (guint) (MIN (start + chunks.body, n_tokens) - start)
                            + (chunks.bos >= 0 ? 1 : 0);
    }
  for (gsize i = 0; i < MIN (n_tokens, (gsize) chunks.n_chunks * chunks.body); i++)
    if (tokens[i] < 0 || (guint32) tokens[i] >= hp->n_vocab)
      {
        g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                     "token %" G_GSIZE_FORMAT " is %d, outside the vocabulary of %u", i,
                     tokens[i], hp->n_vocab);
        return NULL;
      }

  prog.total = (guint64) chunks.n_positions * (params->split ? 1 + 2 * hp->n_layer : 1);
  report = g_new0 (LbLayerErrorReport, 1);
  report->n_layers = hp->n_layer;
  report->layers = g_new0 (LbLayerError, hp->n_layer);
  report->n_tokens = chunks.n_positions;
  report->n_chunks = chunks.n_chunks;

  if (params->split
      && (gsize) chunks.n_positions * hp->n_layer * hp->n_embd * sizeof (float) <= MAX_CACHE_BYTES)
    cache = g_try_new (float, (gsize) chunks.n_positions * hp->n_layer * hp->n_embd);

  if (!main_pass (reference, candidate, &chunks, n_ctx, report->layers, cache, &prog,
                  cancellable, error))
    return NULL;

  if (params->split)
    for (guint l = 0; l < hp->n_layer; l++)
      {
        LbLayerError *e = &report->layers[l];
        if (!split_pass (reference, candidate, &chunks, n_ctx, l, 0, cache, &e->attn_rel_mse,
                         &e->attn_final_rel_mse, &prog, cancellable, error)
            || !split_pass (reference, candidate, &chunks, n_ctx, l, 1, cache, &e->mlp_rel_mse,
                            &e->mlp_final_rel_mse, &prog, cancellable, error))
          return NULL;
      }
  return g_steal_pointer (&report);
}

LbLayerErrorReport *
lb_layer_error_compute_text (LbModel *reference, LbModel *candidate, const char *text,
                             gssize len, const LbLayerErrorParams *params,
                             LbProgressFunc progress, gpointer progress_data,
                             GCancellable *cancellable, GError **error)
{
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  LbTokenizer *tok;
  gsize size;

  g_return_val_if_fail (LB_IS_MODEL (reference) && text != NULL, NULL);

  tok = lb_model_get_tokenizer (reference);
  size = len < 0 ? strlen (text) : (gsize) len;
  /* a few chunks of a long text: tokenize a generous prefix ending at a
   * space, so that the tokens used do not depend on the cut */
  if (params && params->n_chunks > 0)
    {
      gsize need = (gsize) params->n_chunks * (params->n_ctx ? params->n_ctx : 128);
      gsize cut = MIN (size, need * 32);

      while (cut > 0 && cut < size && text[cut] != ' ' && text[cut] != '\n')
        cut--;
      if (cut > 0 && cut < size)
        {
          if (!lb_tokenizer_encode (tok, text, (gssize) cut, FALSE, ids, error))
            return NULL;
          if (ids->len <= need + 16)
            g_array_set_size (ids, 0);
        }
    }
  if (ids->len == 0 && !lb_tokenizer_encode (tok, text, (gssize) size, FALSE, ids, error))
    return NULL;
  return lb_layer_error_compute (reference, candidate, (const gint32 *) ids->data, ids->len,
                                 params, progress, progress_data, cancellable, error);
}
