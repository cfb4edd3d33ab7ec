/* lb-gguf-reader.c: in progress */
#include "lowbit.h"
