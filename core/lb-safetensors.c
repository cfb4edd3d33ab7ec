/* lb-safetensors.c: in progress */
#include "lowbit.h"
