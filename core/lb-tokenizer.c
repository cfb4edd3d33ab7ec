/* lb-tokenizer.c: in progress */
#include "lowbit.h"
