/* lb-spm-proto.c: in progress */
#include "lowbit.h"
