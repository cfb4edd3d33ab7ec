/* lb-convert.c: in progress */
#include "lowbit.h"
