/* lb-engine.h: the fast forward pass. Batched prefill (a prompt is one
 * matrix-matrix product per weight), single-token decode, block-format
 * weights used in place from the mapped file with activations quantized on
 * the fly, a persistent thread pool, and a KV cache, activations and scratch
 * laid out in one memory pool sized up front.
 *
 * An engine holds one sequence. It reads its model and never writes it, so
 * several engines may run at the same time on one LbModel, each from its own
 * thread; one engine is used by one thread at a time. Logits agree with
 * LbRefEngine within the rounding of the activation quantization and of the
 * KV cache type (see tests/test-engine.c for the tolerances). */
#pragma once

#include "lb-model.h"
#include "lb-ref-engine.h"   /* LbLayerTapFunc */

G_BEGIN_DECLS

typedef struct _LbEngine LbEngine;

typedef struct {
  guint   n_ctx;      /* KV cache positions; 0: the training context, at most 4096 */
  guint   n_threads;  /* 0: one per processor */
  LbType  kv_type;    /* LB_TYPE_F16 (default), LB_TYPE_F32 or LB_TYPE_Q8_0 */
  guint   n_batch;    /* most tokens per forward pass, longer inputs are split;
                       * 0: 256 (capped at n_ctx) */
} LbEngineParams;

#define LB_ENGINE_PARAMS_INIT { 0, 0, LB_TYPE_F16, 0 }

/* The memory pool, by use (bytes). total is what the engine allocates
 * besides its own small bookkeeping and the threads' stacks; weights stay
 * in the mapped model file and are not counted. */
typedef struct {
  guint64 kv_cache;
  guint64 activations;   /* n_batch rows of every intermediate, with their quantized copies */
  guint64 scratch;       /* per-thread attention scores and weight tiles */
  guint64 constants;     /* norm weights, biases and rope frequencies as f32 */
  guint64 total;
} LbEngineMemory;

void      lb_engine_params_init (LbEngineParams *params);

/* params NULL: the defaults. Fails with an error naming the tensor, type or
 * option when the model or the parameters cannot be run. */
LbEngine *lb_engine_new         (LbModel *model, const LbEngineParams *params, GError **error);
void      lb_engine_free        (LbEngine *engine);

LbModel  *lb_engine_get_model     (LbEngine *engine);
/* Runs the engine on another model from the next eval on, keeping the KV
 * cache and n_past: model must have the same architecture, hyper-parameters,
 * tensor shapes and rope frequencies (another precision of the same weights,
 * such as a profile of lb-profile-switch.h); tensor types and bytes may
 * differ. The engine takes a ref on model and drops its ref on the previous
 * one, which an engine elsewhere still running it keeps alive. Like every
 * call on an engine, never at the same time as an eval on it. Everything
 * stays in place; only when the new weights read the activations in a
 * format the engine never needed before (Q8_0 weights after F16 ones, say)
 * is a buffer of n_batch rows in that format added, and kept for later
 * switches (counted in the memory figures). Fails, leaving the engine as it
 * was, with an error naming what differs. */
gboolean  lb_engine_set_model     (LbEngine *engine, LbModel *model, GError **error);
/* the resolved parameters (zeros replaced by what was chosen) */
void      lb_engine_get_params    (LbEngine *engine, LbEngineParams *params);
guint     lb_engine_get_n_ctx     (LbEngine *engine);
guint     lb_engine_get_n_past    (LbEngine *engine);
/* Keeps the first n_past positions of the cache and forgets the rest (for
 * evaluating chunks, or going back). n_past may not exceed the current one. */
gboolean  lb_engine_set_n_past    (LbEngine *engine, guint n_past, GError **error);
/* forget the cache: the next token is at position 0 */
void      lb_engine_reset         (LbEngine *engine);

/* bytes of the memory pool, and its split */
gsize     lb_engine_get_memory_bytes (LbEngine *engine);
void      lb_engine_get_memory       (LbEngine *engine, LbEngineMemory *memory);

/* Called after each block, for each token of the batch, with its hidden
 * state (n_embd floats); NULL to stop. */
void      lb_engine_set_tap       (LbEngine *engine, LbLayerTapFunc tap, gpointer user_data);

/* Feeds n tokens at positions n_past .. n_past + n - 1 as one batch (split
 * in passes of at most n_batch). logits (n × n_vocab floats, row-major) and
 * last_logits (n_vocab floats, the last position's) may each be NULL; with
 * both NULL no output projection is computed. All or nothing: fails without
 * touching the cache when an id is out of range or the cache lacks room. */
gboolean  lb_engine_eval          (LbEngine *engine, const gint32 *tokens, guint n,
                                   float *logits, float *last_logits, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbEngine, lb_engine_free)

G_END_DECLS
