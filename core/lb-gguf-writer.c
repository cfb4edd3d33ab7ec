/* lb-gguf-writer.c: in progress */
#include "lowbit.h"
