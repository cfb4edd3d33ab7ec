/* lb-matmul-private.h: the float vector kernels under lb-matmul.c and
 * lb-attention.c, in a scalar, an (x86-64) AVX2/FMA/F16C and an (AArch64)
 * NEON version, shared with the tests that check one against the other.
 *
 * Every dot product, whichever kernel computes it and however many rows or
 * tokens that kernel handles at once, is summed in one fixed order: eight
 * lanes, lane j accumulating the products i = j mod 8 of the first n & ~7
 * elements in increasing i; the lanes added as ((l0 + l4) + (l2 + l6)) +
 * ((l1 + l5) + (l3 + l7)); then the last n % 8 products one by one. So a
 * token's result does not depend on the batch it came in or on the thread
 * that computed it. (The AVX2 set fuses multiply and add, the scalar one
 * does not, so the two sets differ in rounding only.) */
#pragma once

#include <glib.h>

#include "lb-type.h"

G_BEGIN_DECLS

/* the float tile kernel handles up to this many weight rows × tokens */
#define LB_MM_TILE_ROWS 4
#define LB_MM_TILE_TOKENS 3
/* the one-token row kernels handle up to this many rows */
#define LB_MM_GEMV_ROWS 8

/* the quantized tile kernels handle up to this many weight rows × tokens */
#define LB_MM_QTILE_ROWS 4
#define LB_MM_QTILE_TOKENS 4

/* Activation rows as the tile kernels read them: the weight type's
 * vec_dot_type, and for Q8_0 a trailer after the row's nb blocks: the
 * blocks' scales as floats (nb × float), then the sums of their quants
 * (nb × gint32), both unaligned. Work done once per activation row instead
 * of once per weight row. */
gsize lb_matmul_act_row_bytes  (LbType type, gint64 n);
void  lb_matmul_act_from_float (LbType type, const float *src, guint8 *dst, gint64 n);

/* Block-format weights against activation rows in the weight type's
 * vec_dot_type (laid out by lb_matmul_act_from_float): out[t * ldo + r] = dot (weight row r, activation row t)
 * over n elements, for r < nr and t < nt, with (nr, nt) one of (1..4, 1)
 * or (1..2, 1..4). Rows are ldw / ldx bytes apart. The integer block sums
 * are exact; the float accumulation is the same for every output whatever
 * the tile shape, but differs from the type's vec_dot in order. */
typedef void (*LbQuantTileFunc) (gint64 n, const void *w, gsize ldw, guint nr,
                                 const void *x, gsize ldx, guint nt, float *out, gsize ldo);

typedef struct {
  /* out[t * ldo + r] = dot (w + r * ldw, x + t * ldx, n) for r < nr (<= 4), t < nt (<= 3) */
  void  (*f32_tile)    (gint64 n, const float *w, gsize ldw, guint nr,
                        const float *x, gsize ldx, guint nt, float *out, gsize ldo);
  /* out[r] = dot (row r of w, x, n) for r < nr (<= 8), rows of F32 / F16 / BF16
   * elements ldw apart (in elements) */
  void  (*f32_rows)    (gint64 n, const float *w, gsize ldw, guint nr, const float *x, float *out);
  void  (*f16_rows)    (gint64 n, const guint16 *w, gsize ldw, guint nr, const float *x, float *out);
  void  (*bf16_rows)   (gint64 n, const guint16 *w, gsize ldw, guint nr, const float *x, float *out);
  /* exact widening of n halves / bfloat16s (little-endian) */
  void  (*f16_to_f32)  (const guint16 *src, float *dst, gint64 n);
  void  (*bf16_to_f32) (const guint16 *src, float *dst, gint64 n);
  /* exact narrowing with round-to-nearest-even, as lb_fp32_to_fp16 */
  void  (*f32_to_f16)  (const float *src, guint16 *dst, gint64 n);
  /* out[i] = silu (g[i]) * u[i] = g[i] / (1 + exp (-g[i])) * u[i] (SwiGLU); out may be g */
  void  (*silu_mul)    (gint64 n, const float *g, const float *u, float *out);
  /* out[i] = gelu_tanh (g[i]) * u[i] (GeGLU), gelu_tanh (x) = 0.5 x (1 + tanh (sqrt (2/pi)
   * (x + 0.044715 x^3))); out may be g */
  void  (*gelu_mul)    (gint64 n, const float *g, const float *u, float *out);
  /* x[i] = exp (x[i] - max) for i < n, returning their sum (softmax) */
  float (*exp_sum)     (float *x, gint64 n, float max);
  /* out[i] = sum over p < n_rows of a[p] * v[p][i], i < hd, rows ldv
   * elements (or, for Q8_0, blocks) apart; each out[i] summed in p order */
  void  (*wsum_f32)    (guint n_rows, const float *a, const float *v, gsize ldv, gint64 hd,
                        float *out);
  void  (*wsum_f16)    (guint n_rows, const float *a, const guint16 *v, gsize ldv, gint64 hd,
                        float *out);
  void  (*wsum_q8_0)   (guint n_rows, const float *a, const void *v, gsize ldv, gint64 hd,
                        float *out);
  /* attention scores: scores[p] = scale * (q · key p) for p < n_kv, keys
   * (hd values each, F32 or F16) ldk elements apart; returns their maximum */
  float (*scores_f32)  (guint n_kv, gint64 hd, const float *keys, gsize ldk, const float *q,
                        float scale, float *scores);
  float (*scores_f16)  (guint n_kv, gint64 hd, const guint16 *keys, gsize ldk, const float *q,
                        float scale, float *scores);
  /* dot of Q8_0 blocks (n a multiple of 32) with f32 */
  float (*dot_q8_0)    (gint64 n, const void *k, const float *q);
  /* tile kernels per weight type; NULL: the type's vec_dot is used */
  LbQuantTileFunc quant_tile[LB_TYPE_COUNT];
  /* weight rows per tile call for one token and for a batch (of up to
   * LB_MM_QTILE_TOKENS tokens): what runs fastest on that instruction set
   * (measured; see lb-matmul.c) */
  guint           qtile_rows_one;
  guint           qtile_rows_batch;
} LbMatmulKernels;

/* The scalar set (always there) and the AVX2 set (NULL when the build or
 * the CPU lacks it). */
const LbMatmulKernels *lb_matmul_kernels_scalar (void);
const LbMatmulKernels *lb_matmul_kernels_avx2   (void);
/* The AArch64 NEON sets: plain ARMv8-A (NULL elsewhere) and with the
 * dot-product extension's tile kernels (NULL unless the CPU has it). */
const LbMatmulKernels *lb_matmul_kernels_neon         (void);
const LbMatmulKernels *lb_matmul_kernels_neon_dotprod (void);
/* The set the engine uses: AVX2, or NEON (with dot products unless
 * LB_NO_DOTPROD=1), when available, unless LB_NO_SIMD=1. */
const LbMatmulKernels *lb_matmul_kernels        (void);

#if defined(__x86_64__) && defined(__GNUC__)
#define LB_MATMUL_HAVE_AVX2_BUILD 1
/* defined in lb-matmul-avx2.c */
extern const LbMatmulKernels lb_matmul_avx2_kernels;
/* lb-matmul-quant-avx2.c */
void lb_mm_q8_0_tile_avx2 (gint64 n, const void *w, gsize ldw, guint nr,
                           const void *x, gsize ldx, guint nt, float *out, gsize ldo);
void lb_mm_q4_0_tile_avx2 (gint64 n, const void *w, gsize ldw, guint nr,
                           const void *x, gsize ldx, guint nt, float *out, gsize ldo);
void lb_mm_q4_k_tile_avx2 (gint64 n, const void *w, gsize ldw, guint nr,
                           const void *x, gsize ldx, guint nt, float *out, gsize ldo);
void lb_mm_q6_k_tile_avx2 (gint64 n, const void *w, gsize ldw, guint nr,
                           const void *x, gsize ldx, guint nt, float *out, gsize ldo);
void lb_mm_iq4_nl_tile_avx2 (gint64 n, const void *w, gsize ldw, guint nr,
                             const void *x, gsize ldx, guint nt, float *out, gsize ldo);
void lb_mm_q5_0_tile_avx2 (gint64 n, const void *w, gsize ldw, guint nr,
                           const void *x, gsize ldx, guint nt, float *out, gsize ldo);
#endif

#if defined(__aarch64__) && defined(__GNUC__)
#define LB_MATMUL_HAVE_NEON_BUILD 1
/* defined in lb-matmul-neon.c */
extern const LbMatmulKernels lb_matmul_neon_kernels;
extern const LbMatmulKernels lb_matmul_neon_dp_kernels;
/* lb-matmul-quant-neon.c, built plain (_neon) and with dotprod (_neon_dp) */
#define LB_MM_DECLARE_TILE_NEON(t) \
  void lb_mm_##t##_tile_neon (gint64 n, const void *w, gsize ldw, guint nr, \
                              const void *x, gsize ldx, guint nt, float *out, gsize ldo); \
  void lb_mm_##t##_tile_neon_dp (gint64 n, const void *w, gsize ldw, guint nr, \
                                 const void *x, gsize ldx, guint nt, float *out, gsize ldo)
LB_MM_DECLARE_TILE_NEON (q8_0);
LB_MM_DECLARE_TILE_NEON (q4_0);
LB_MM_DECLARE_TILE_NEON (q4_k);
LB_MM_DECLARE_TILE_NEON (q6_k);
#endif

G_END_DECLS
