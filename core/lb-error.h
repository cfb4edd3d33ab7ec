/* lb-error.h: the LB_ERROR domain shared by all of liblowbit */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define LB_ERROR (lb_error_quark ())

typedef enum {
  LB_ERROR_FAILED,          /* anything not covered below */
  LB_ERROR_INVALID_FILE,    /* a file is malformed, truncated or hostile */
  LB_ERROR_UNSUPPORTED,     /* valid input that Lowbit does not handle (yet) */
  LB_ERROR_INVALID_ARGUMENT,/* an option or parameter a user gave is impossible */
  LB_ERROR_IO,              /* reading or writing failed (disk full, permissions) */
  LB_ERROR_NUMERIC,         /* NaN/Inf or out-of-range values in data */
} LbError;

GQuark lb_error_quark (void);

G_END_DECLS
