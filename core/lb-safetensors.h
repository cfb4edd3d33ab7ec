/* lb-safetensors.h: reading .safetensors files (memory-mapped, validated) */
#pragma once

#include <glib.h>

#include "lb-type.h"

G_BEGIN_DECLS

/* Up to this many dims are parsed; more is an error. */
#define LB_SAFETENSORS_MAX_DIMS 8

/* Every dtype the format defines. Only F32, F16 and BF16 map to a type
 * Lowbit computes with; the rest parse and are refused where used. */
typedef enum {
  LB_SAFETENSORS_DTYPE_F32,
  LB_SAFETENSORS_DTYPE_F16,
  LB_SAFETENSORS_DTYPE_BF16,
  LB_SAFETENSORS_DTYPE_F64,
  LB_SAFETENSORS_DTYPE_I64,
  LB_SAFETENSORS_DTYPE_I32,
  LB_SAFETENSORS_DTYPE_I16,
  LB_SAFETENSORS_DTYPE_I8,
  LB_SAFETENSORS_DTYPE_U64,
  LB_SAFETENSORS_DTYPE_U32,
  LB_SAFETENSORS_DTYPE_U16,
  LB_SAFETENSORS_DTYPE_U8,
  LB_SAFETENSORS_DTYPE_BOOL,
  LB_SAFETENSORS_DTYPE_F8_E4M3,
  LB_SAFETENSORS_DTYPE_F8_E5M2,
  LB_SAFETENSORS_DTYPE_F8_E8M0,
  LB_SAFETENSORS_DTYPE_F6_E2M3,
  LB_SAFETENSORS_DTYPE_F6_E3M2,
  LB_SAFETENSORS_DTYPE_F4,
  LB_SAFETENSORS_DTYPE_N,
} LbSafetensorsDtype;

typedef struct {
  const char         *name;
  LbSafetensorsDtype  dtype;
  guint               n_dims;                          /* 0 for a scalar */
  gint64              shape[LB_SAFETENSORS_MAX_DIMS];  /* PyTorch order: shape[n_dims-1] is contiguous */
  gint64              n_elements;
  gsize               offset;                          /* absolute byte offset of the data in the file */
  const guint8       *data;                            /* view into the mapping */
  gsize               n_bytes;
} LbSafetensorsTensor;

typedef struct _LbSafetensors LbSafetensors;

/* Maps the file and validates the header: its length, the JSON, every
 * dtype, shape and data_offsets (inside the data section, sized as the
 * shape says, not overlapping). Errors are LB_ERROR_INVALID_FILE and name
 * the file, the tensor and the byte offset. */
LbSafetensors             *lb_safetensors_open          (const char *path, GError **error);
/* Same over bytes in memory (fuzzing, tests); bytes are kept alive. */
LbSafetensors             *lb_safetensors_open_bytes    (GBytes *bytes, GError **error);
void                       lb_safetensors_free          (LbSafetensors *st);

/* the path given to open, or "<memory>" */
const char                *lb_safetensors_get_path      (LbSafetensors *st);
gsize                      lb_safetensors_get_file_size (LbSafetensors *st);
/* Tensors in the order of their data offsets. */
guint                      lb_safetensors_get_n_tensors (LbSafetensors *st);
const LbSafetensorsTensor *lb_safetensors_get_tensor    (LbSafetensors *st, guint i);
const LbSafetensorsTensor *lb_safetensors_find_tensor   (LbSafetensors *st, const char *name);
/* A "__metadata__" string entry, or NULL. */
const char                *lb_safetensors_get_metadata  (LbSafetensors *st, const char *key);
/* The mapping, to keep tensor views alive after st is freed. */
GBytes                    *lb_safetensors_ref_bytes     (LbSafetensors *st);

/* "BF16" as the format spells it */
const char                *lb_safetensors_dtype_name    (LbSafetensorsDtype dtype);
/* bits per element (F4 and F6 pack below a byte) */
guint                      lb_safetensors_dtype_bits    (LbSafetensorsDtype dtype);
/* FALSE when the dtype is not one Lowbit computes with (F32, F16, BF16). */
gboolean                   lb_safetensors_dtype_to_type (LbSafetensorsDtype dtype, LbType *out);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbSafetensors, lb_safetensors_free)

G_END_DECLS
