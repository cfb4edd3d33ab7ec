/* lb-tokenizer-spm.c: in progress */
#include "lowbit.h"
