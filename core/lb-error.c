#include "lb-error.h"

G_DEFINE_QUARK (lb-error-quark, lb_error)
