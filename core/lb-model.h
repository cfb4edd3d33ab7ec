/* lb-model.h: a loaded model: architecture, hyper-parameters, tokenizer,
 * GGUF-shaped metadata and a table of tensor views. Read-only once built. */
#pragma once

#include <gio/gio.h>

#include "lb-meta.h"
#include "lb-tensor.h"
#include "lb-tokenizer.h"

G_BEGIN_DECLS

typedef enum {
  LB_ARCH_LLAMA,
  LB_ARCH_QWEN2,
  LB_ARCH_QWEN3,
  LB_ARCH_GEMMA2,
  LB_ARCH_GEMMA3,
} LbArch;

/* The gate activation of the gated feed-forward: down (act (gate x) * up x) */
typedef enum {
  LB_FFN_SILU,       /* x * sigmoid (x): llama, qwen */
  LB_FFN_GELU_TANH,  /* 0.5 x (1 + tanh (sqrt (2/pi) (x + 0.044715 x^3))): gemma */
} LbFfnAct;

typedef enum {
  LB_ROPE_NORMAL,  /* rotate adjacent pairs (x[2i], x[2i+1]): llama.cpp "llama" */
  LB_ROPE_NEOX,    /* rotate halves (x[i], x[i + d/2]): HF rotate_half, qwen2 */
} LbRopeType;

typedef enum {
  LB_MODEL_FORMAT_GGUF,
  LB_MODEL_FORMAT_HF,
  LB_MODEL_FORMAT_LLAMA2C,
} LbModelFormat;

typedef struct {
  LbArch      arch;
  guint32     n_vocab;
  guint32     n_ctx_train;
  guint32     n_embd;
  guint32     n_layer;
  guint32     n_ff;
  guint32     n_head;
  guint32     n_head_kv;
  guint32     head_dim;      /* n_embd / n_head unless the metadata says otherwise */
  guint32     n_rot;         /* rope dimensions (rope.dimension_count, default head_dim) */
  float       rope_freq_base;
  float       norm_eps;
  LbRopeType  rope_type;
  gboolean    tied_output;   /* no output.weight: logits use token_embd.weight */

  /* Architecture-specific; the defaults (llama, qwen2) change nothing:
   * SILU, 1, 1/sqrt (head_dim), 0, 0, 0, 1, rope_freq_base, 1, FALSE. */
  LbFfnAct    ffn_act;
  float       embd_scale;          /* embedding rows are multiplied by this (gemma: sqrt (n_embd)) */
  float       attn_scale;          /* scores = (q . k) * attn_scale */
  float       attn_softcap;        /* > 0: scores = c tanh (scores / c), before the causal mask */
  float       final_softcap;       /* > 0: logits = c tanh (logits / c) */
  guint32     sliding_window;      /* > 0: a layer with LbLayerWeights.sliding sees positions
                                    * pos - sliding_window + 1 .. pos only */
  float       rope_freq_scale;     /* linear rope scaling: angle = pos * scale * freq (1 = none) */
  float       rope_freq_base_swa;  /* rope base and linear scale of the sliding layers */
  float       rope_freq_scale_swa;
  gboolean    has_rope_freqs;      /* rope_freqs.weight divides the frequencies (llama3 scaling) */
} LbHParams;

/* The tensors a transformer block uses, resolved once at load. */
typedef struct {
  const LbTensor *attn_norm;
  const LbTensor *wq, *wk, *wv, *wo;
  const LbTensor *bq, *bk, *bv;       /* NULL when absent */
  const LbTensor *ffn_norm;
  const LbTensor *ffn_gate, *ffn_up, *ffn_down;

  /* Architecture-specific tensors, NULL when the architecture has none */
  const LbTensor *attn_q_norm, *attn_k_norm; /* [head_dim]: RMSNorm of each q and k head,
                                               * after the bias, before rope (qwen3, gemma3) */
  const LbTensor *attn_post_norm;  /* [n_embd]: RMSNorm of the attention output (after Wo),
                                    * before the residual add (gemma2/3) */
  const LbTensor *ffn_post_norm;   /* [n_embd]: the same for the feed-forward output */
  const LbTensor *rope_freqs;      /* [n_rot / 2]: freq[i] is divided by rope_freqs[i] (llama3
                                    * rope scaling); one tensor shared by every layer */
  /* This layer's attention settings, resolved from the hyper-parameters */
  gboolean        sliding;         /* sliding-window layer (hp->sliding_window > 0) */
  float           rope_freq_base;  /* freq[i] = base^(-2i / n_rot) / rope_freqs[i] */
  float           rope_freq_scale; /* angle[i] = pos * rope_freq_scale * freq[i] */
} LbLayerWeights;

#define LB_TYPE_MODEL (lb_model_get_type ())
G_DECLARE_FINAL_TYPE (LbModel, lb_model, LB, MODEL, GObject)

/* path: a GGUF file, a Hugging Face folder, or a llama2.c checkpoint (then
 * tokenizer_path names its tokenizer.bin; NULL otherwise). */
LbModel        *lb_model_load          (const char *path, const char *tokenizer_path,
                                        GCancellable *cancellable, GError **error);
void            lb_model_load_async    (const char *path, const char *tokenizer_path,
                                        GCancellable *cancellable, GAsyncReadyCallback callback,
                                        gpointer user_data);
LbModel        *lb_model_load_finish   (GAsyncResult *result, GError **error);

const char     *lb_model_get_path          (LbModel *self);
LbModelFormat   lb_model_get_format        (LbModel *self);
const char     *lb_model_get_architecture  (LbModel *self);   /* "llama", "qwen2", "gemma2", ... */
const char     *lb_model_get_name          (LbModel *self);   /* general.name or the file name */
const LbHParams *lb_model_get_hparams      (LbModel *self);
LbMeta         *lb_model_get_meta          (LbModel *self);   /* owned by the model */
LbTokenizer    *lb_model_get_tokenizer     (LbModel *self);   /* owned by the model */
guint           lb_model_get_n_tensors     (LbModel *self);
const LbTensor *lb_model_get_tensor        (LbModel *self, guint i);
const LbTensor *lb_model_find_tensor       (LbModel *self, const char *name);
const LbTensor *lb_model_get_token_embd    (LbModel *self);
const LbTensor *lb_model_get_output_norm   (LbModel *self);
const LbTensor *lb_model_get_output        (LbModel *self);   /* token_embd when tied */
const LbLayerWeights *lb_model_get_layer   (LbModel *self, guint il);
guint64         lb_model_get_n_params      (LbModel *self);
guint64         lb_model_get_tensor_bytes  (LbModel *self);   /* sum of tensor data sizes */
guint64         lb_model_get_file_size     (LbModel *self);   /* bytes on disk (folder: all shards) */

const char     *lb_arch_to_string (LbArch arch);

G_END_DECLS
