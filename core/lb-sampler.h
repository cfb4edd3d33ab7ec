/* lb-sampler.h: next-token choice from logits: greedy, temperature, top-k, top-p, seed */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  float   temperature;  /* 0: greedy (argmax, lowest id wins ties) */
  guint   top_k;        /* 0: off */
  float   top_p;        /* 1.0: off */
  guint64 seed;
} LbSamplerParams;

#define LB_SAMPLER_PARAMS_INIT { 0.0f, 0, 1.0f, 0 }

typedef struct _LbSampler LbSampler;

LbSampler *lb_sampler_new    (const LbSamplerParams *params);
void       lb_sampler_free   (LbSampler *sampler);
/* logits are not modified; n_vocab > 0 */
gint32     lb_sampler_sample (LbSampler *sampler, const float *logits, guint n_vocab);
/* argmax with lowest index winning ties; NaN never wins */
gint32     lb_argmax         (const float *x, guint n);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbSampler, lb_sampler_free)

G_END_DECLS
