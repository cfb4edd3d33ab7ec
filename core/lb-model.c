/* lb-model.c: in progress */
#include "lowbit.h"
