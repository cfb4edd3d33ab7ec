/* lowbit.h: liblowbit, the quantization and runtime core of Lowbit.
 * The public API; the kernels, memory pool, thread pool and file-format
 * internals (lb-matmul.h, lb-mempool.h, lb-threadpool.h, lb-quant-blocks.h,
 * lb-delta-format.h, ...) are included by the units that need them. */
#pragma once

/* files, metadata, models */
#include "lb-error.h"
#include "lb-type.h"
#include "lb-half.h"
#include "lb-meta.h"
#include "lb-tensor.h"
#include "lb-gguf.h"
#include "lb-tokenizer.h"
#include "lb-model.h"
#include "lb-progress.h"
#include "lb-atomic-file.h"
#include "lb-convert.h"
#include "lb-synth.h"

/* engines */
#include "lb-ref-engine.h"
#include "lb-engine.h"
#include "lb-sampler.h"
#include "lb-profile-switch.h"

/* quantization */
#include "lb-recipe.h"
#include "lb-imatrix.h"
#include "lb-quantize.h"
#include "lb-variant.h"
#include "lb-prune.h"

/* analysis */
#include "lb-eval-metrics.h"
#include "lb-logit-cache.h"
#include "lb-eval.h"
#include "lb-tensor-error.h"
#include "lb-layer-error.h"
#include "lb-sensitivity.h"
#include "lb-planner.h"
#include "lb-validate.h"

/* measurement */
#include "lb-memstat.h"
#include "lb-bandwidth.h"
#include "lb-bench.h"

/* signed updates */
#include "lb-sha256.h"
#include "lb-sign.h"
#include "lb-delta.h"
