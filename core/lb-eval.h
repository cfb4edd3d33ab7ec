/* lb-eval.h: evaluate a candidate model against a reference over a text.
 *
 * The protocol is llama.cpp's perplexity tool with --kl-divergence: the
 * text is tokenized once (BOS first when the tokenizer adds one) and cut
 * into floor (n_tokens / n_ctx) chunks; each chunk starts from an empty
 * cache with its first token replaced by BOS; the logits at positions
 * n_ctx/2 .. n_ctx-2 are scored, each against the token that follows. The
 * reference's distribution is stored clipped and 16-bit (lb-eval-metrics.h),
 * so perplexity of the reference ("ppl_base") is the clipped one.
 *
 * Candidate and reference run in lockstep, one chunk (or slice of one) at a
 * time; nothing holds more than one slice of logits. */
#pragma once

#include <gio/gio.h>

#include "lb-model.h"
#include "lb-progress.h"

G_BEGIN_DECLS

typedef enum {
  LB_EVAL_ENGINE_DEFAULT,  /* the fast engine */
  LB_EVAL_ENGINE_REF,      /* lb-ref-engine.h: fp32, one token at a time */
  LB_EVAL_ENGINE_FAST,     /* lb-engine.h: batched, multi-threaded */
} LbEvalEngine;

typedef struct {
  guint         n_ctx;            /* 0: 512 */
  guint         n_chunks;         /* 0: all the text gives */
  guint         n_threads;        /* 0: the engine's default */
  LbEvalEngine  engine;
  const char   *save_reference;   /* write a reference cache here (reference runs live) */
  const char   *reference_cache;  /* read the reference from this cache instead of running it */
  const char   *reference_name;   /* recorded in a saved cache (lb_eval_run: the model's path) */
} LbEvalParams;

/* "Run a model forward", whatever the engine. forward continues the current
 * sequence with n tokens; logits is NULL (no output wanted) or receives
 * n * n_vocab floats, row-major. reset starts a new sequence. */
typedef struct _LbEvalBackend LbEvalBackend;
struct _LbEvalBackend {
  guint        n_vocab;
  const char  *engine_name;   /* "ref", "fast", ... */
  gboolean   (*reset)   (LbEvalBackend *self, GError **error);
  gboolean   (*forward) (LbEvalBackend *self, const gint32 *tokens, guint n, float *logits,
                         GError **error);
  void       (*free)    (LbEvalBackend *self);
};

/* A backend for model on the chosen engine, with room for n_ctx positions. */
LbEvalBackend *lb_eval_backend_new  (LbModel *model, LbEvalEngine engine, guint n_ctx,
                                     guint n_threads, GError **error);
void           lb_eval_backend_free (LbEvalBackend *backend);

typedef struct {
  char    *candidate;        /* names as given */
  char    *reference;
  char    *reference_model;  /* the model a reference cache was made from */
  char    *engine;
  guint    n_ctx;
  guint    n_chunks;
  guint    n_vocab;
  guint64  n_text_tokens;    /* the whole text, BOS included; 0 when read from a cache */
  guint64  n_positions;      /* scored: n_chunks * (n_ctx - 1 - n_ctx/2) */
  guint64  n_nonfinite;      /* positions whose candidate logits had NaN/Inf */

  double   ppl, ppl_error;           /* candidate */
  double   ppl_base, ppl_base_error; /* reference, clipped as stored */
  double   mean_kld, mean_kld_error;
  double   max_kld, kld_99_9, kld_99, kld_90, kld_median;
  double   same_top1, same_top1_error;  /* fractions */
  double   top5_agreement;           /* mean |top-5 (cand) ∩ top-5 (ref)| / 5 */
  double   mean_dp, mean_dp_error;   /* p_cand - p_ref of the next token, fraction */
  double   rms_dp;

  gboolean has_logit_errors;         /* FALSE when the reference came from a cache */
  double   logits_mse;               /* over all scored positions and tokens */
  double   logits_cosine;            /* mean per position */
  double   logits_max_abs;

  double  *chunk_mean_kld;           /* n_chunks values */
  double  *chunk_same_top1;          /* n_chunks fractions */
  double   seconds;
} LbEvalResult;

/* Cuts tokens into chunks as the protocol says: returns n_chunks * n_ctx ids
 * with the first of each chunk set to bos (when bos >= 0); n_chunks is the
 * requested count (0: all) capped at what the tokens give. Fails when the
 * tokens do not fill one chunk. */
gint32       *lb_eval_make_chunks  (const gint32 *tokens, gsize n_tokens, guint n_ctx,
                                    guint n_chunks, gint32 bos, guint *n_chunks_out,
                                    GError **error);

/* The evaluation loop. chunks: n_chunks * n_ctx ids (lb_eval_make_chunks).
 * Exactly one of reference and params->reference_cache gives the reference
 * (the cache's own tokens must equal chunks). */
LbEvalResult *lb_eval_run_backends (LbEvalBackend *candidate, LbEvalBackend *reference,
                                    const gint32 *chunks, guint n_chunks,
                                    const LbEvalParams *params,
                                    LbProgressFunc progress, gpointer progress_data,
                                    GCancellable *cancellable, GError **error);

/* Tokenizes text (len bytes or -1; may be NULL when reading a reference
 * cache, whose tokens are then used), checks that both models share a
 * vocabulary, builds the backends and runs the loop. reference may be NULL
 * with params->reference_cache. */
LbEvalResult *lb_eval_run          (LbModel *candidate, LbModel *reference,
                                    const char *text, gssize len,
                                    const LbEvalParams *params,
                                    LbProgressFunc progress, gpointer progress_data,
                                    GCancellable *cancellable, GError **error);
/* The same on a worker thread; progress is called from that thread. The
 * strings of params and the text are copied. */
void          lb_eval_run_async    (LbModel *candidate, LbModel *reference,
                                    const char *text, gssize len,
                                    const LbEvalParams *params,
                                    LbProgressFunc progress, gpointer progress_data,
                                    GCancellable *cancellable,
                                    GAsyncReadyCallback callback, gpointer user_data);
LbEvalResult *lb_eval_run_finish   (GAsyncResult *result, GError **error);

void          lb_eval_result_free  (LbEvalResult *result);
/* Pretty-printed JSON; keys follow reference-kld.json where they overlap
 * (ppl, ppl_base_clipped, mean_kld, kld_99_9, same_top1_percent, ...).
 * NaN and infinities are written as null. */
char         *lb_eval_result_to_json (const LbEvalResult *result, gboolean per_chunk);

const char   *lb_eval_engine_to_string (LbEvalEngine engine);
gboolean      lb_eval_engine_from_string (const char *name, LbEvalEngine *out);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbEvalResult, lb_eval_result_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbEvalBackend, lb_eval_backend_free)

G_END_DECLS
