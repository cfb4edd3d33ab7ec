/* lb-sampler.c: in progress */
#include "lowbit.h"
