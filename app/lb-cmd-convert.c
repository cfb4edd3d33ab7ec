#include "lowbit.h"
