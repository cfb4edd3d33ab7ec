/* lowbit.h: liblowbit, the quantization and runtime core of Lowbit */
#pragma once

#include "lb-error.h"
#include "lb-type.h"
#include "lb-half.h"
#include "lb-meta.h"
#include "lb-tensor.h"
#include "lb-gguf.h"
#include "lb-tokenizer.h"
#include "lb-model.h"
#include "lb-ref-engine.h"
#include "lb-engine.h"
#include "lb-profile-switch.h"
#include "lb-sampler.h"
#include "lb-progress.h"
#include "lb-convert.h"
#include "lb-atomic-file.h"
