/* lb-hf-import.c: in progress */
#include "lowbit.h"
