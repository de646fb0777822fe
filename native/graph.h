/* The graph kernel's arguments, resolved from byte offsets to pointers (see graph.c, and graph.wat for their meaning). */
#ifndef DEEPSTRUCT_GRAPH_H
#define DEEPSTRUCT_GRAPH_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
  float *xt;           /* external inputs [r, bp] */
  int32_t r;           /* external input rows */
  float *h;            /* neurons' activations [n, bp] */
  int32_t n;           /* neurons */
  size_t bp;           /* samples per row, a multiple of 16 */
  float *weff;         /* effective weight per incoming connection */
  const float *bias;   /* per neuron (forward) */
  const int32_t *start, *source;
  int32_t activated;   /* neurons below this are activated */
  int32_t kind;        /* activation */
  /* backward only */
  float *g;            /* in: gradient by h; out: by the pre-activations */
  float *dxt;          /* gradient of the external inputs [r, bp], zeroed, when need_input */
  float *dweff;        /* gradient per incoming connection */
  float *db;           /* gradient per bias */
  int32_t need_input;
  /*
   * The rows of g that hold the incoming gradient (seed_count neurons); every
   * other row of g, and every row of dxt, is unset and written here rather than
   * added into. NULL: every row of g holds it, and dxt comes zeroed.
   */
  const int32_t *seeds;
  int32_t seed_count;
  const uint8_t *seeded; /* per neuron, from seeds (graph_backward sets it) */
  /* the samples [o0, o1) this call works on (multiples of 16; graph_forward and graph_backward set them) */
  size_t o0, o1;
  /*
   * Bands of bp samples each (0 or 1: one): xt, h, g and dxt hold `bands` blocks one after another, each its rows of bp
   * samples, as `bands` calls' arrays would ([bands, r, bp] and [bands, n, bp]); see graph_band_width.
   */
  size_t bands;
} GraphArgs;

/* Over all samples, split across the pool's threads (pool.h) where the work is large enough: by rows in waves from 8 MiB of rows, by samples below (graph.c). */
void graph_forward(const GraphArgs *a);
/* The backward returns false, having done nothing, when its working memory cannot be had. */
bool graph_backward(const GraphArgs *a);
/* The band width (samples) a kernel over `rows` rows (inputs and neurons) of bp samples is laid out in: bp itself, or less where its rows outgrow a core's caches. */
size_t graph_band_width(size_t rows, size_t bp);
/* The threads a pass (either direction) over `edges` connections and bp samples runs on. */
int graph_threads(size_t edges, size_t bp);
void graph_transpose_in(const float *x, size_t batch, size_t cols, float *xt, size_t bp);
void graph_pick_rows(float *h, size_t bp, const int32_t *rows, size_t count, float *out, size_t batch, int add);
#endif
