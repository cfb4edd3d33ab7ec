/* lb-ref-engine.c: in progress */
#include "lowbit.h"
