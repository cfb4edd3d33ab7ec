/* lb-synth.h: synthetic models: random weights in a real model's shapes
 * (layers, widths, heads, vocabulary size, tied output, biases, rope), a
 * synthetic "llama" vocabulary of the right size, written as GGUF one
 * tensor at a time. For speed, memory and scale work without downloading
 * the real weights; the file says it is synthetic (general.name
 * "synthetic <shape>", lowbit.synthetic = true). */
#pragma once

#include <gio/gio.h>

#include "lb-model.h"
#include "lb-progress.h"
#include "lb-type.h"

G_BEGIN_DECLS

typedef struct {
  char     name[64];        /* "qwen2.5-1.5b", or "custom" */
  LbArch   arch;
  guint32  n_layer;
  guint32  n_embd;
  guint32  n_ff;
  guint32  n_head;
  guint32  n_head_kv;
  guint32  head_dim;        /* 0: n_embd / n_head */
  guint32  n_vocab;         /* at least LB_SYNTH_MIN_VOCAB */
  guint32  n_ctx;           /* training context written to the metadata */
  float    rope_freq_base;
  float    norm_eps;
  gboolean tied;            /* no output.weight */
  gboolean qkv_bias;        /* blk.N.attn_{q,k,v}.bias (qwen2) */
  gboolean llama3_rope;     /* rope_freqs.weight with llama3's scaling (factor 32,
                             * low 1, high 4, original context 8192) */
} LbSynthShape;

/* <unk>, <s>, </s> and the 256 byte tokens */
#define LB_SYNTH_MIN_VOCAB 259

/* The named shapes ("qwen2.5-1.5b", ...), NULL-terminated, static. */
const char * const *lb_synth_shape_names (void);

/* A named shape, or "custom:arch=A,layers=N,embd=N,ff=N,heads=N,kv=N,vocab=N,ctx=N"
 * with optional head_dim=N, rope_base=F, eps=F, tied=0|1, llama3_rope=0|1
 * (unset keys come from a tiny qwen2-like default). The architecture sets
 * the tensors: qwen2 has q/k/v biases, gemma2 post-norms. Errors
 * (LB_ERROR_INVALID_ARGUMENT) name the key or shape at fault. */
gboolean lb_synth_shape_parse      (const char *spec, LbSynthShape *shape, GError **error);
/* Learnable parameters (rope_freqs is not one), as the model card counts them */
guint64  lb_synth_shape_get_n_params (const LbSynthShape *shape);

typedef struct {
  LbType   type;       /* of the weight matrices; norms and biases stay F32 */
  guint64  seed;
  float    weight_std; /* 0: 0.02 */
  guint    n_threads;  /* 0: one per processor (the bytes do not depend on it) */
} LbSynthParams;

#define LB_SYNTH_PARAMS_INIT { LB_TYPE_F16, 42, 0.02f, 0 }

/* What was written. fallback_type/n_fallback: matrices whose rows are not a
 * whole number of blocks of the requested type take Q8_0 (rows a multiple
 * of 32) or F16 instead, and are counted. */
typedef struct {
  guint64  file_size;
  guint64  n_params;
  guint    n_tensors;
  guint    n_fallback;
} LbSynthResult;

/* Writes the model to path (temporary file, fsync, rename: nothing is left
 * at path on error or cancellation). Weights are N(0, weight_std) from a
 * generator seeded per row by (seed, tensor, row): the same seed gives the
 * same bytes whatever the thread count. Norm weights are 1, llama3 rope
 * factors are the real ones. Memory stays a few MiB per thread beyond the
 * vocabulary, whatever the model's size. result may be NULL. */
gboolean lb_synth_write            (const LbSynthShape *shape, const LbSynthParams *params,
                                    const char *path, LbSynthResult *result,
                                    LbProgressFunc progress, gpointer progress_data,
                                    GCancellable *cancellable, GError **error);

G_END_DECLS
