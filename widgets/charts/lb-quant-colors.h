/* lb-quant-colors.h: one fixed colour per quantization type name, so that a
 * type looks the same in the precision grid, the size bar and every legend */
#pragma once

#include "lb-chart-common.h"

G_BEGIN_DECLS

/* Case-insensitive ("Q4_K", "q4_k"). Unknown names get a stable colour
 * derived from the name; NULL gives the no-data colour of the default style. */
void   lb_quant_type_color (const char *type_name, LbChartColor *out);
/* Bits per weight of the known types, NaN for unknown ones (legend order) */
double lb_quant_type_bits  (const char *type_name);
/* Orders names by falling bits per weight, then by name */
int    lb_quant_type_compare (const char *a, const char *b);

G_END_DECLS
