/* lb-gauge.h: one value on an arc against a target, coloured pass/fail */
#pragma once

#include <gtk/gtk.h>

#include "lb-chart-widget.h"
#include "lb-gauge-render.h"

G_BEGIN_DECLS

#define LB_TYPE_GAUGE (lb_gauge_get_type ())
G_DECLARE_FINAL_TYPE (LbGauge, lb_gauge, LB, GAUGE, LbChartWidget)

GtkWidget      *lb_gauge_new                 (void);
/* NaN or ±Inf: no data */
double          lb_gauge_get_value           (LbGauge *self);
void            lb_gauge_set_value           (LbGauge *self, double value);
/* The scale; when maximum <= minimum it follows the value and target */
double          lb_gauge_get_minimum         (LbGauge *self);
void            lb_gauge_set_minimum         (LbGauge *self, double minimum);
double          lb_gauge_get_maximum         (LbGauge *self);
void            lb_gauge_set_maximum         (LbGauge *self, double maximum);
double          lb_gauge_get_target          (LbGauge *self);
void            lb_gauge_set_target          (LbGauge *self, double target);
gboolean        lb_gauge_get_has_target      (LbGauge *self);
void            lb_gauge_set_has_target      (LbGauge *self, gboolean has_target);
gboolean        lb_gauge_get_lower_is_better (LbGauge *self);
void            lb_gauge_set_lower_is_better (LbGauge *self, gboolean lower_is_better);
const char     *lb_gauge_get_title           (LbGauge *self);
void            lb_gauge_set_title           (LbGauge *self, const char *title);
const char     *lb_gauge_get_unit            (LbGauge *self);
void            lb_gauge_set_unit            (LbGauge *self, const char *unit);
int             lb_gauge_get_digits          (LbGauge *self);
void            lb_gauge_set_digits          (LbGauge *self, int digits);
LbChartFormat   lb_gauge_get_format          (LbGauge *self);
void            lb_gauge_set_format          (LbGauge *self, LbChartFormat format);
/* Pass/fail against the target (read-only property "verdict") */
LbGaugeVerdict  lb_gauge_get_verdict         (LbGauge *self);

G_END_DECLS
