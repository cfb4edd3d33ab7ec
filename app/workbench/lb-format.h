/* lb-format.h: numbers as the workbench shows them */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* 7085312 -> "7,085,312" */
char *lb_format_count       (guint64 n);
/* 7085312 -> "7.1 M", 260032 -> "260 K", 1543714304 -> "1.54 B" */
char *lb_format_count_short (guint64 n);

G_END_DECLS
