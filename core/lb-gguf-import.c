/* lb-gguf-import.c: in progress */
#include "lowbit.h"
