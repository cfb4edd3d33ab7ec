/* lb-tensor.h: a named n-dimensional view of tensor bytes */
#pragma once

#include <glib.h>

#include "lb-type.h"

G_BEGIN_DECLS

#define LB_MAX_DIMS 4

/* ne[0] is the contiguous row length (GGUF/ggml order): a PyTorch weight of
 * shape [out, in] has ne[0] = in, ne[1] = out. Unused dims are 1. */
typedef struct {
  char          *name;
  LbType         type;
  guint          n_dims;
  gint64         ne[LB_MAX_DIMS];
  const guint8  *data;     /* a view: into a mapped file or a buffer its owner keeps alive */
  gsize          n_bytes;
} LbTensor;

LbTensor *lb_tensor_new        (const char *name, LbType type, guint n_dims,
                                const gint64 *ne, const guint8 *data, gsize n_bytes);
void      lb_tensor_free       (LbTensor *tensor);
gint64    lb_tensor_n_elements (const LbTensor *tensor);
gint64    lb_tensor_n_rows     (const LbTensor *tensor);   /* product of ne[1..] */
gsize     lb_tensor_row_bytes  (const LbTensor *tensor);
/* "[256, 4096]" style, newly allocated */
char     *lb_tensor_shape_string (const LbTensor *tensor);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbTensor, lb_tensor_free)

G_END_DECLS
