/* lb-colormap.c: piecewise-linear colour scales from a few sRGB stops */
#include "config.h"

#include "lb-colormap.h"

#include <math.h>

typedef struct {
  guint8 r, g, b;
} Stop;

/* viridis at t = 0, 0.1, ..., 1 (the published matplotlib values) */
static const Stop viridis[] = {
  { 0x44, 0x01, 0x54 }, { 0x48, 0x24, 0x75 }, { 0x41, 0x44, 0x87 }, { 0x35, 0x5f, 0x8d },
  { 0x2a, 0x78, 0x8e }, { 0x21, 0x91, 0x8c }, { 0x22, 0xa8, 0x84 }, { 0x44, 0xbf, 0x70 },
  { 0x7a, 0xd1, 0x51 }, { 0xbd, 0xdf, 0x26 }, { 0xfd, 0xe7, 0x25 },
};

/* Moreland's cool-warm: blue to grey to red */
static const Stop cool_warm[] = {
  { 0x3b, 0x4c, 0xc0 }, { 0x7b, 0x9f, 0xf9 }, { 0xdd, 0xdd, 0xdd },
  { 0xf4, 0x9a, 0x7b }, { 0xb4, 0x04, 0x26 },
};

static const Stop traffic[] = {
  { 0x1a, 0x96, 0x41 }, { 0xa6, 0xd9, 0x6a }, { 0xff, 0xe0, 0x8a },
  { 0xfd, 0xae, 0x61 }, { 0xd7, 0x19, 0x1c },
};

void
lb_colormap_eval (LbColormap    map,
                  double        t,
                  LbChartColor *out)
{
  const Stop *stops;
  guint n;
  double pos, f;
  guint i;

  switch (map)
    {
    case LB_COLORMAP_COOL_WARM:
      stops = cool_warm;
      n = G_N_ELEMENTS (cool_warm);
      break;
    case LB_COLORMAP_TRAFFIC:
      stops = traffic;
      n = G_N_ELEMENTS (traffic);
      break;
    case LB_COLORMAP_VIRIDIS:
    default:
      stops = viridis;
      n = G_N_ELEMENTS (viridis);
      break;
    }

  if (isnan (t))
    t = 0.5;
  t = CLAMP (t, 0.0, 1.0);
  pos = t * (n - 1);
  i = MIN ((guint) floor (pos), n - 2);
  f = pos - i;

  out->red = (stops[i].r + (stops[i + 1].r - stops[i].r) * f) / 255.0;
  out->green = (stops[i].g + (stops[i + 1].g - stops[i].g) * f) / 255.0;
  out->blue = (stops[i].b + (stops[i + 1].b - stops[i].b) * f) / 255.0;
  out->alpha = 1.0;
}
