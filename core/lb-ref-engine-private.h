/* lb-ref-engine-private.h: the math of the reference forward pass, exposed
 * so tests can check each piece against hand-computed values. */
#pragma once

#include "lb-model.h"
#include "lb-ref-engine.h"

G_BEGIN_DECLS

/* sum a[i] * b[i], accumulated in double */
float    lb_ref_dot           (const float *a, const float *b, guint n);
/* out = x / sqrt (mean (x^2) + eps) * w; out may alias x */
void     lb_ref_rmsnorm       (float *out, const float *x, const float *w, guint n, float eps);
/* in place, max-subtracted; n > 0. All -Inf gives a uniform distribution. */
void     lb_ref_softmax       (float *x, guint n);
float    lb_ref_silu          (float x);
/* GELU, tanh approximation (PyTorch's gelu (approximate = "tanh")) */
float    lb_ref_gelu_tanh     (float x);
/* cap * tanh (x / cap); x itself when cap is 0 */
float    lb_ref_softcap       (float x, float cap);

/* inv_freq[i] = base^(-2i / n_rot) for i < n_rot / 2 */
void     lb_ref_rope_inv_freq (double *inv_freq, guint n_rot, double base);
/* cos_t[i], sin_t[i] of pos * inv_freq[i] for i < half */
void     lb_ref_rope_angles   (float *cos_t, float *sin_t, const double *inv_freq, guint half,
                               guint pos);
/* Rotates the first n_rot values of one head: NORMAL pairs (2i, 2i+1),
 * NEOX pairs (i, i + n_rot/2), pair i by the angle of cos_t[i], sin_t[i]. */
void     lb_ref_rope_rotate   (float *head, guint n_rot, const float *cos_t, const float *sin_t,
                               LbRopeType type);

/* Rounds every rope frequency to bfloat16, as transformers computes when a
 * model is loaded in bfloat16 and then run in float32: its inv_freq buffer
 * is cast along with the weights, so its logits drift from the exact ones
 * with the position (by some 1e-2 after 40 tokens of a random-weight
 * model). Only to compare with such reference logits; set before the
 * first eval. */
void     lb_ref_engine_set_bf16_rope_freqs (LbRefEngine *engine, gboolean bf16);

/* y = W x for a 2-D tensor W (ne[0] = n_in, ne[1] = n_out) of any type with
 * a to_float kernel, converted one row at a time into row (n_in floats).
 * The caller has validated the shape, type and byte size. */
void     lb_ref_matvec        (const LbTensor *w, const float *x, float *y, float *row);

G_END_DECLS
