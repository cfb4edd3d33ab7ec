/* lb-llama2c-import.c: in progress */
#include "lowbit.h"
