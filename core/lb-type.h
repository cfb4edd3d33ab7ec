/* lb-type.h: tensor element types, numbered as GGUF/ggml numbers them */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  LB_TYPE_F32 = 0,
  LB_TYPE_F16 = 1,
  LB_TYPE_Q4_0 = 2,
  LB_TYPE_Q4_1 = 3,
  LB_TYPE_Q5_0 = 6,
  LB_TYPE_Q5_1 = 7,
  LB_TYPE_Q8_0 = 8,
  LB_TYPE_Q8_1 = 9,
  LB_TYPE_Q2_K = 10,
  LB_TYPE_Q3_K = 11,
  LB_TYPE_Q4_K = 12,
  LB_TYPE_Q5_K = 13,
  LB_TYPE_Q6_K = 14,
  LB_TYPE_Q8_K = 15,
  LB_TYPE_IQ2_XXS = 16,
  LB_TYPE_IQ2_XS = 17,
  LB_TYPE_IQ3_XXS = 18,
  LB_TYPE_IQ1_S = 19,
  LB_TYPE_IQ4_NL = 20,
  LB_TYPE_IQ3_S = 21,
  LB_TYPE_IQ2_S = 22,
  LB_TYPE_IQ4_XS = 23,
  LB_TYPE_I8 = 24,
  LB_TYPE_I16 = 25,
  LB_TYPE_I32 = 26,
  LB_TYPE_I64 = 27,
  LB_TYPE_F64 = 28,
  LB_TYPE_IQ1_M = 29,
  LB_TYPE_BF16 = 30,
  LB_TYPE_TQ1_0 = 34,
  LB_TYPE_TQ2_0 = 35,
  LB_TYPE_COUNT = 36,
} LbType;

/* Row kernels. n is always a multiple of the type's block size. */
typedef void (*LbToFloatFunc)   (const void *src, float *dst, gint64 n);
/* importance: NULL or n non-negative weights, one per column */
typedef void (*LbFromFloatFunc) (const float *src, void *dst, gint64 n, const float *importance);
/* *result = sum_i x[i] * y[i]; x has this type, y has the type's vec_dot_type */
typedef void (*LbVecDotFunc)    (gint64 n, float *result, const void *x, const void *y);

typedef struct {
  const char     *name;        /* "Q4_K", as llama.cpp spells it */
  guint           block_size;  /* elements per block */
  gsize           type_size;   /* bytes per block */
  gboolean        quantized;
  LbToFloatFunc   to_float;    /* NULL: Lowbit cannot compute with this type */
  LbFromFloatFunc from_float;  /* NULL: Lowbit cannot produce this type */
  LbType          vec_dot_type;
  LbVecDotFunc    vec_dot;
} LbTypeTraits;

/* NULL when t is not a type GGUF defines */
const LbTypeTraits *lb_type_get_traits (guint32 t);
const char         *lb_type_get_name   (LbType t);
/* parse a name case-insensitively ("q4_k", "F16"); FALSE when unknown */
gboolean            lb_type_from_name  (const char *name, LbType *out);
/* bytes of a row of n elements; 0 when n is not a multiple of the block size */
gsize               lb_type_row_size   (LbType t, gint64 n);

/* Implemented next to the block formats; called once by lb_type_get_traits. */
void lb_type_register_kernels (LbTypeTraits *table);

G_END_DECLS
