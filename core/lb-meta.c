/* lb-meta.c: in progress */
#include "lowbit.h"
