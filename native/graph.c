/*
 * The graph kernel's forward and backward (runtime/kernels/graph/graph.wat)
 * in C, for Node where the native part is built: the same memory layout and
 * arguments (byte offsets into TensorFlow.js's WASM heap, activations
 * neuron-major with rows of bp floats, bp a multiple of 16), so the kernel
 * swaps one for the other per call.
 *
 * The forward goes a block of samples at a time: a neuron's block of sums
 * stays in registers across all its connections, and each connection costs
 * one pass over the block of its source's values, as graph.wat does it. The
 * backward goes source by source over their outgoing connections (below),
 * where graph.wat goes neuron by neuron over incoming ones. The compiler vectorises the inner
 * loops for the best instruction set the CPU has (target_clones); sums over
 * samples keep one running sum per lane, so they vectorise without -ffast-math.
 */
#include <math.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "graph.h"
#include "pool.h"

/*
 * Samples per forward block: 64, as four registers of 16 (AVX-512), so a
 * neuron's sum over its connections is four independent chains of
 * multiply-adds rather than one, which waited on each multiply-add before
 * the next (a block of 16: WS 10,000's forward 1.3 ms on one thread, 0.45 at
 * 64; a pruned LeNet-300-100 kernel 0.27 ms, 0.135). Blocks of 16 take what
 * is left of a sample range. The backward's chunked gather goes as wide.
 */
#define FORWARD_BLOCK 64
#define CLONES __attribute__((target_clones("avx512f", "avx2", "default")))

/* 16 floats, loaded and stored unaligned (memcpy), never passed or returned by value (the clones' ABIs differ): the lanes the kernels work in. */
typedef float Lanes16 __attribute__((vector_size(64), aligned(4)));

/* Activation kinds as graph.wat numbers them: 0 linear, 1 relu, 2 tanh, 3 sigmoid, 4 elu. */
static float activate(float x, int kind) {
  switch (kind) {
    case 1: return x > 0.0f ? x : 0.0f;
    case 2: return tanhf(x);
    case 3: return 1.0f / (1.0f + expf(-x));
    case 4: return x > 0.0f ? x : expf(x) - 1.0f;
    default: return x;
  }
}

/* The activation's derivative from its output y. */
static float slope(float y, int kind) {
  switch (kind) {
    case 1: return y > 0.0f ? 1.0f : 0.0f;
    case 2: return 1.0f - y * y;
    case 3: return y * (1.0f - y);
    case 4: return y > 0.0f ? 1.0f : y + 1.0f;
    default: return 1.0f;
  }
}

/* The row of combined source index s: below r a row of the external inputs, else of the kernel's own neurons. */
static inline float *row_of(int32_t s, int32_t r, float *xt, float *h, size_t bp) {
  return s < r ? xt + (size_t)s * bp : h + (size_t)(s - r) * bp;
}

/* One neuron's block of `width` (a multiple of 16, at most FORWARD_BLOCK) samples from offset o: bias plus the weighted sources, activated, into dst. */
static inline __attribute__((always_inline)) void forward_block(const GraphArgs *a, const int32_t *source, const float *weff, int32_t first, int32_t last,
                                                               float b, int kind, size_t o, float *dst, const int width) {
  float start[16];
  for (int i = 0; i < 16; i++) start[i] = b;
  Lanes16 sums[FORWARD_BLOCK / 16];
  for (int c = 0; c < width / 16; c++) memcpy(&sums[c], start, sizeof sums[c]);
  for (int32_t q = first; q < last; q++) {
    const float *src = row_of(source[q], a->r, a->xt, a->h, a->bp) + o;
    const float w = weff[q];
    for (int c = 0; c < width / 16; c++) {
      Lanes16 x;
      memcpy(&x, src + 16 * c, sizeof x);
      sums[c] += w * x;
    }
  }
  float acc[FORWARD_BLOCK];
  memcpy(acc, sums, sizeof(float) * width);
  if (kind == 1)
    for (int i = 0; i < width; i++) dst[i] = acc[i] > 0.0f ? acc[i] : 0.0f;
  else if (kind != 0)
    for (int i = 0; i < width; i++) dst[i] = activate(acc[i], kind);
  else
    for (int i = 0; i < width; i++) dst[i] = acc[i];
}

/* The forward for neurons [lo, hi) over samples [o0, o1). */
CLONES static void forward_neurons(const GraphArgs *a, int32_t lo, int32_t hi) {
  const int32_t *start = a->start, *source = a->source;
  for (int32_t v = lo; v < hi; v++) {
    float *dst = a->h + (size_t)v * a->bp;
    const int kind = v < a->activated ? a->kind : 0;
    const float b = a->bias[v];
    size_t o = a->o0;
    for (; o + FORWARD_BLOCK <= a->o1; o += FORWARD_BLOCK) forward_block(a, source, a->weff, start[v], start[v + 1], b, kind, o, dst + o, FORWARD_BLOCK);
    for (; o < a->o1; o += 16) forward_block(a, source, a->weff, start[v], start[v + 1], b, kind, o, dst + o, 16);
  }
}

/* 16 running sums added up from the first. */
static inline __attribute__((always_inline)) float sum_in_order(const float lanes[16]) {
  float sum = 0.0f;
  for (int j = 0; j < 16; j++) sum += lanes[j];
  return sum;
}

/*
 * Σ x · y over n (a multiple of 16) floats, in 16 running sums, one per lane:
 * C may not reorder a float sum, so a single sum would not vectorise.
 */
static inline __attribute__((always_inline)) float lane_dot(const float *x, const float *y, size_t n) {
  float lanes[16] = {0};
  for (size_t i = 0; i < n; i += 16)
    for (int j = 0; j < 16; j++) lanes[j] += x[i + j] * y[i + j];
  return sum_in_order(lanes);
}

/* The sum of a register's 16 lanes in order, as lane_dot and lane_sum end, so every path sums a row the same way. */
static inline __attribute__((always_inline)) float lanes_total(const Lanes16 *lanes) {
  float x[16];
  memcpy(x, lanes, sizeof x);
  return sum_in_order(x);
}

/*
 * Σ x over n (a multiple of 16) floats, in 16 running sums, one per lane:
 * C may not reorder a float sum, so a single sum would not vectorise.
 */
static inline __attribute__((always_inline)) float lane_sum(const float *x, size_t n) {
  float lanes[16] = {0};
  for (size_t i = 0; i < n; i += 16)
    for (int j = 0; j < 16; j++) lanes[j] += x[i + j];
  return sum_in_order(lanes);
}

/*
 * The backward gathers rather than scatters: a source's gradient row is the
 * sum of w · g over its outgoing connections, so it goes source by source
 * (neurons from the last, then the inputs), each connection reading one row,
 * its target's finished gradient, and adding into the source's own row, which
 * stays in L1 — where a scatter, neuron by neuron over incoming connections,
 * read the source's row and read and wrote its gradient row, two random rows
 * a connection (WS 10,000: 4.6 ms against the forward's 1.4 on one thread).
 * The connection's weight gradient Σ g_target · source comes from the same
 * pass. Outgoing connections come target by target from the last, in
 * increasing order within one, which is the order the scatter added them in.
 */
typedef struct {
  const int32_t *first; /* [r + n + 1]: a combined source's outgoing connections are edge[first[s] … first[s + 1]) */
  const int32_t *edge;  /* connection index q */
  const int32_t *target; /* its target neuron */
} Outgoing;

/*
 * Connections per batch of the chunked gather (below): each keeps its weight gradient's running sums in a register
 * across the row. Sources with fewer outgoing connections than CHUNKED_FROM go connection by connection, which is
 * cheaper for them (WS 10,000, ~2 a source: 3.9 against 4.2 ms chunked; a pruned LeNet-300-100 kernel, ~100 a source
 * in its last layers: 0.42 ms chunked against 0.55).
 */
#define GATHER_BATCH 8
#define CHUNKED_FROM 4

/*
 * Samples [o, o + lanes) (lanes 64 or 16) of the gather over outgoing connections [kb, kn): the chunk of the source's
 * gradient row gs (NULL: not wanted) in registers across them, gaining w · g_target each; each one's Σ g_target · y into
 * its dot, one running sum per lane, so a lane sums in the order a whole-row pass sums it.
 */
static inline __attribute__((always_inline)) void gather_chunk(const GraphArgs *a, const Outgoing *out, int32_t kb, int32_t kn, float *gs, const float *y, size_t o,
                                                              const int lanes, Lanes16 *dot) {
  Lanes16 gv[FORWARD_BLOCK / 16], yv[FORWARD_BLOCK / 16];
  memcpy(yv, y + o, sizeof(float) * lanes);
  if (gs != NULL) memcpy(gv, gs + o, sizeof(float) * lanes);
  for (int32_t k = kb; k < kn; k++) {
    const float *gt = a->g + (size_t)out->target[k] * a->bp + o;
    const float w = a->weff[out->edge[k]];
    for (int c = 0; c < lanes / 16; c++) {
      Lanes16 t;
      memcpy(&t, gt + 16 * c, sizeof t);
      if (gs != NULL) gv[c] += w * t;
      dot[k - kb] += t * yv[c];
    }
  }
  if (gs != NULL) memcpy(gs + o, gv, sizeof(float) * lanes);
}

/*
 * Over samples [o0, o1): one source's gradient row gs (NULL: not wanted) gains w · g_target per outgoing connection,
 * whose weight gradient gains Σ g_target · y. With many connections, in chunks of 64 samples, a batch of connections
 * at a time, so each target's row is read once (where a pass for the gradient and one for the dot product read it
 * twice, and the source's own row once a connection) and the sums are independent chains. Either way the same sums
 * in the same order, so the same bits.
 */
static inline __attribute__((always_inline)) void gather_source(const GraphArgs *a, const Outgoing *out, int32_t s, float *gs, const float *y) {
  if (out->first[s + 1] - out->first[s] < CHUNKED_FROM) {
    for (int32_t k = out->first[s]; k < out->first[s + 1]; k++) {
      const int32_t q = out->edge[k];
      const float *gt = a->g + (size_t)out->target[k] * a->bp;
      const float w = a->weff[q];
      if (gs != NULL)
        for (size_t i = a->o0; i < a->o1; i++) gs[i] += w * gt[i];
      a->dweff[q] += lane_dot(gt + a->o0, y + a->o0, a->o1 - a->o0);
    }
    return;
  }
  for (int32_t kb = out->first[s]; kb < out->first[s + 1]; kb += GATHER_BATCH) {
    const int32_t kn = kb + GATHER_BATCH < out->first[s + 1] ? kb + GATHER_BATCH : out->first[s + 1];
    Lanes16 dot[GATHER_BATCH];
    memset(dot, 0, sizeof dot);
    size_t o = a->o0;
    for (; o + FORWARD_BLOCK <= a->o1; o += FORWARD_BLOCK) gather_chunk(a, out, kb, kn, gs, y, o, FORWARD_BLOCK, dot);
    for (; o < a->o1; o += 16) gather_chunk(a, out, kb, kn, gs, y, o, 16, dot);
    for (int32_t k = kb; k < kn; k++) a->dweff[out->edge[k]] += lanes_total(&dot[k - kb]);
  }
}

/* Combined source s's value row, and its gradient row (NULL for an input when the input gradient is not wanted). */
static inline __attribute__((always_inline)) const float *value_row(const GraphArgs *a, int32_t s) { return row_of(s, a->r, a->xt, a->h, a->bp); }
static inline __attribute__((always_inline)) float *gradient_row(const GraphArgs *a, int32_t s) {
  return s >= a->r || a->need_input ? row_of(s, a->r, a->dxt, a->g, a->bp) : NULL;
}

/*
 * Asks for a row in L2 ahead of its use: rows are read in a random order, which the hardware cannot guess. Into L2, not
 * L1 (prefetcht1, not t0), and two sources ahead: t0 a source ahead stalled on the L1's fill buffers (WS 10,000's
 * backward, one thread, interleaved in one process: 2.0–2.2 ms with t0 one ahead, 1.52–1.58 now; two threads 1.21, 1.07).
 */
static inline __attribute__((always_inline)) void prefetch_row(const GraphArgs *a, const float *row) {
  for (size_t i = a->o0; i < a->o1; i += 16) __builtin_prefetch(row + i, 0, 2);
}

/* The rows source s reads and writes: its value and gradient rows and its targets' gradient rows. */
static inline __attribute__((always_inline)) void prefetch_source(const GraphArgs *a, const Outgoing *out, int32_t s) {
  prefetch_row(a, value_row(a, s));
  const float *gs = gradient_row(a, s);
  if (gs != NULL) prefetch_row(a, gs);
  for (int32_t k = out->first[s]; k < out->first[s + 1]; k++) prefetch_row(a, a->g + (size_t)out->target[k] * a->bp);
}

/*
 * Rows of values and gradients from this size outgrow the caches: a pass over them goes in waves rather than sample
 * halves (measured between WS 3,000's 3 MB and WS 10,000's 10 MB: below), and the backward asks for each source's rows
 * ahead of its use, which costs where they are in cache anyway (one thread, interleaved in one process: WS 10,000's
 * backward 2.94 ms with, 3.73 without; WS 3,000's 0.369 with, 0.337 without; the pruned LeNet kernel's 0.403, 0.322).
 */
#define WAVES_BYTES (8u << 20)

static bool rows_outgrow_caches(const GraphArgs *a) { return ((size_t)a->r + (size_t)a->n) * a->bp * sizeof(float) >= WAVES_BYTES; }

/* Whether combined source s's gradient row starts unset (zeroed here, in cache, just before it is added into). */
static inline __attribute__((always_inline)) bool unset_row(const GraphArgs *a, int32_t s) { return a->seeded != NULL && (s < a->r || !a->seeded[s - a->r]); }

/*
 * The backward for combined sources [lo, hi) over samples [o0, o1), its sums
 * added to dweff and db, from the last source: each needs its
 * targets' gradients finished, so every later neuron that reads it done. A
 * neuron's gradient then goes through its activation into its bias gradient.
 */
CLONES static void backward_sources(const GraphArgs *a, const Outgoing *out, int32_t lo, int32_t hi) {
  const bool ahead = rows_outgrow_caches(a);
  for (int32_t s = hi - 1; s >= lo; s--) {
    if (ahead && s > lo + 1) prefetch_source(a, out, s - 2);
    float *g = gradient_row(a, s);
    const float *y = value_row(a, s);
    if (g != NULL && unset_row(a, s)) memset(g + a->o0, 0, sizeof(float) * (a->o1 - a->o0));
    gather_source(a, out, s, g, y);
    if (s < a->r) continue;
    const int32_t v = s - a->r;
    const int kind = v < a->activated ? a->kind : 0;
    if (kind == 1)
      for (size_t i = a->o0; i < a->o1; i++) g[i] = y[i] > 0.0f ? g[i] : 0.0f;
    else if (kind != 0)
      for (size_t i = a->o0; i < a->o1; i++) g[i] *= slope(y[i], kind);
    a->db[v] += lane_sum(g + a->o0, a->o1 - a->o0);
  }
}

/* The calling thread's buffer of `words` 4-byte words, grown as needed and kept (a fresh large one faults its pages in on every call); NULL when memory runs out. */
static void *kept(void **buffer, size_t *capacity, size_t words) {
  if (words > *capacity) {
    void *grown = realloc(*buffer, 4 * words);
    if (grown == NULL) return NULL;
    *buffer = grown, *capacity = words;
  }
  return *buffer;
}

/* The outgoing connections of every combined source, by a counting sort of the incoming ones (~30 µs at WS 10,000); false when memory runs out. */
static bool outgoing_of(const GraphArgs *a, Outgoing *out) {
  static _Thread_local void *buffer = NULL;
  static _Thread_local size_t capacity = 0;
  const size_t sources = (size_t)a->r + (size_t)a->n, edges = (size_t)a->start[a->n];
  int32_t *first = kept(&buffer, &capacity, 2 * sources + 1 + 2 * edges);
  if (first == NULL) return false;
  int32_t *edge = first + sources + 1, *target = edge + edges, *end = target + edges;
  memset(first, 0, 4 * (sources + 1));
  for (size_t q = 0; q < edges; q++) first[a->source[q] + 1]++;
  for (size_t s = 0; s < sources; s++) first[s + 1] += first[s];
  memcpy(end, first + 1, 4 * sources);
  /* Each source's run filled from its end, targets from the first and connections from the last: read forward, the last target comes first, its connections increasing. */
  for (int32_t v = 0; v < a->n; v++)
    for (int32_t q = a->start[v + 1] - 1; q >= a->start[v]; q--) {
      const int32_t k = --end[a->source[q]];
      edge[k] = q, target[k] = v;
    }
  out->first = first, out->edge = edge, out->target = target;
  return true;
}

/*
 * Large kernels split over the pool's threads (pool.c) one of two ways.
 *
 * In waves, over rows (neurons, and the backward's inputs too), whole rows
 * each: a wave is a run of consecutive neurons none of which reads another
 * (WS 10,000: ~150 of ~60), the forward's from the first, the backward's from
 * the last and then the inputs as one more. A wave needs only the waves
 * before it, so its pieces (PIECE_EDGES connections or PIECE_SOURCES rows)
 * run on whichever thread claims them, in order, the caller's among them,
 * each first waiting until every piece of the waves before has finished. A
 * posted worker that has not started by then is revoked, so a core busy with
 * others' work holds up no wave; a worker preempted in the middle of a piece
 * still holds up the next. Every row's sums are one thread's in one order, so
 * the outputs and gradients are the same bits on any number of threads. At
 * WS 10,000 (load 0.5) the backward's waves take 1.4–1.5× less wall on two
 * threads than on one; the forward's, ~8 µs of work each (two or three
 * pieces), gain none (1.27–1.64 against 1.25–1.82 ms), at twice the CPU.
 *
 * In sample halves, one contiguous piece of samples per thread: each thread
 * reads only its part of every row, so where the rows fit the cores' own
 * caches each keeps its half there, and none reads rows the other wrote
 * (below WAVES_BYTES). On the 95%-pruned LeNet kernel (1.1 MB of rows) two
 * threads in waves cost 2.3–3.5× one thread's CPU (298–370 against 865–1,045
 * µs forward, load 3: rows pulled from the other core's cache) where halves
 * cost 1.5×. Above it halves read a random half row per connection and cost
 * the backward 1.3–1.4× the CPU of whole rows (WS 10,000, 10 MB) and the
 * forward up to 2×. The backward's halves each sum their weight and bias
 * gradients into a buffer of their own (the first into the outputs), added
 * in piece order: the same bits from run to run on a given thread count.
 * Since the forward went 64 samples a block, halves also win at WS 3,000
 * (3 MB of rows; one thread, waves, halves interleaved in one process:
 * forward 0.106, 0.196, 0.095 ms, backward 0.365, 0.349, 0.295), and tie at
 * WS 10,000 (forward 0.55, 0.52, 0.53; backward 1.88, 1.15, 1.21).
 *
 * Either only from about a million multiply-adds (connections × samples).
 * Rows laid out in bands (below) split a band a piece instead, at any size.
 */
#define SPLIT_WORK (1u << 20)
#define PIECE_EDGES 48
#define PIECE_SOURCES 64


/* The threads a pass over `edges` connections and bp samples runs on. */
static size_t pieces_of(size_t edges, size_t bp) {
  const size_t threads = (size_t)pool_threads();
  if (edges * bp < SPLIT_WORK) return 1;
  return threads < bp / 16 ? threads : bp / 16;
}

int graph_threads(size_t edges, size_t bp) { return (int)pieces_of(edges, bp); }

/* Rows [lo, hi) for one thread, once the first `ready` pieces are done. */
typedef struct {
  int32_t lo, hi, ready;
} Piece;

/*
 * Appends the pieces of wave [lo, hi) to pieces[count …), row s having
 * first[s + 1] − first[s] connections, from the last row when `descending`;
 * returns the new count.
 */
static size_t wave_pieces(const int32_t *first, int32_t lo, int32_t hi, bool descending, Piece *pieces, size_t count) {
  const int32_t ready = (int32_t)count;
  int32_t edges = 0, open = descending ? hi : lo;
  for (int32_t k = 0; k < hi - lo; k++) {
    const int32_t s = descending ? hi - 1 - k : lo + k;
    edges += first[s + 1] - first[s];
    if (edges >= PIECE_EDGES || k + 1 == hi - lo || (descending ? open - s : s + 1 - open) >= PIECE_SOURCES) {
      pieces[count++] = descending ? (Piece){s, open, ready} : (Piece){open, s + 1, ready};
      open = descending ? s : s + 1, edges = 0;
    }
  }
  return count;
}

/* Each wave's first neuron into starts[0 … waves); returns waves. */
static int32_t waves_of(const GraphArgs *a, int32_t *starts) {
  int32_t waves = 0;
  for (int32_t v = 0, wave = 0; v < a->n; v++) {
    bool reads_wave = v == 0;
    for (int32_t q = a->start[v]; q < a->start[v + 1] && !reads_wave; q++) reads_wave = a->source[q] - a->r >= wave;
    if (reads_wave) starts[waves++] = wave = v;
  }
  return waves;
}

/*
 * A pass's pieces in the order they run: the forward's neurons wave by wave
 * from the first (out NULL), or the backward's from the last and then the
 * inputs (combined indices); NULL when memory runs out.
 */
static Piece *pieces_in_waves(const GraphArgs *a, const Outgoing *out, size_t *count) {
  static _Thread_local void *buffer = NULL;
  static _Thread_local size_t capacity = 0;
  const size_t rows = (size_t)a->r + (size_t)a->n;
  Piece *pieces = kept(&buffer, &capacity, 3 * rows + (size_t)a->n);
  if (pieces == NULL) return NULL;
  int32_t *starts = (int32_t *)(pieces + rows);
  const int32_t waves = waves_of(a, starts);
  size_t n = 0;
  if (out == NULL) {
    for (int32_t w = 0; w < waves; w++) n = wave_pieces(a->start, starts[w], w + 1 < waves ? starts[w + 1] : a->n, false, pieces, n);
  } else {
    for (int32_t w = waves - 1; w >= 0; w--) n = wave_pieces(out->first, a->r + starts[w], a->r + (w + 1 < waves ? starts[w + 1] : a->n), true, pieces, n);
    n = wave_pieces(out->first, 0, a->r, true, pieces, n);
  }
  *count = n;
  return pieces;
}

typedef struct {
  const GraphArgs *a;
  const Outgoing *out; /* NULL for the forward */
  const Piece *pieces;
  atomic_size_t done;
} WaveJob;

static void wave_piece(void *context, size_t i) {
  WaveJob *job = context;
  const Piece piece = job->pieces[i];
  while (atomic_load_explicit(&job->done, memory_order_acquire) < (size_t)piece.ready) __builtin_ia32_pause();
  if (job->out == NULL)
    forward_neurons(job->a, piece.lo, piece.hi);
  else
    backward_sources(job->a, job->out, piece.lo, piece.hi);
  atomic_fetch_add_explicit(&job->done, 1, memory_order_release);
}

/* The pass in waves on the pool; false when memory runs out. */
static bool run_in_waves(const GraphArgs *a, const Outgoing *out) {
  size_t count = 0;
  const Piece *pieces = pieces_in_waves(a, out, &count);
  if (pieces == NULL) return false;
  WaveJob job = {.a = a, .out = out, .pieces = pieces};
  atomic_init(&job.done, 0);
  pool_run(wave_piece, &job, count);
  return true;
}

/*
 * Bands. Past WAVES_BYTES of rows a pass is bound by what the cores share, not by their own work: the WS 10,000 forward
 * (10 MB of rows) took 0.79-0.85 ms on one thread and 0.72-0.84 on two, in waves or in sample halves alike, and two
 * processes, one a core, each 0.83-0.92 ms on rows of its own. Laid out as two bands of 128 samples, each its own
 * block of rows (5 MB), a band's forward took 0.32-0.35 ms and its backward 0.82-0.90 ms with both cores each on one
 * at once, where the whole rows' took 0.83 and 1.84 ms on one thread (a scratch harness over the network's own
 * structure and values). So rows that outgrow the caches are laid out in bands of at most BAND_WIDTH samples (the graph
 * kernel's JavaScript asks graph_band_width; bands of one width, so a batch just past a multiple pads little), and a pass
 * runs band by band, a band a piece on the pool, each one thread's whole: the same sums in the same order per sample,
 * so the same outputs as one band; the weight and bias gradients are each band's added in band order, the same bits on
 * any number of threads. Narrower bands cost more than they save (64 samples: the backward 2.12 ms for 256 samples
 * against 1.65).
 */
#define BAND_WIDTH 128

/* The fewest bands of at most BAND_WIDTH samples, all as wide, a multiple of 16 (a batch of 144: two of 80, not 128 and 16). */
size_t graph_band_width(size_t rows, size_t bp) {
  if (rows * bp * sizeof(float) < WAVES_BYTES || bp <= BAND_WIDTH) return bp;
  const size_t bands = (bp + BAND_WIDTH - 1) / BAND_WIDTH;
  return ((bp + bands - 1) / bands + 15) / 16 * 16;
}

static size_t bands_of(const GraphArgs *a) { return a->bands > 1 ? a->bands : 1; }

/* Band k of a banded pass, as a pass over one band. */
static GraphArgs band_of(const GraphArgs *a, size_t k) {
  GraphArgs band = *a;
  band.bands = 1;
  band.xt = a->xt + k * (size_t)a->r * a->bp;
  band.h = a->h + k * (size_t)a->n * a->bp;
  if (a->g != NULL) band.g = a->g + k * (size_t)a->n * a->bp;
  if (a->dxt != NULL) band.dxt = a->dxt + k * (size_t)a->r * a->bp;
  band.o0 = 0, band.o1 = a->bp;
  return band;
}

/* The samples of piece i of `pieces`: a band of a banded pass, else a part of every row's. */
static GraphArgs half_of(const GraphArgs *a, size_t i, size_t pieces) {
  if (bands_of(a) > 1) return band_of(a, i);
  const size_t width = (a->bp / 16 + pieces - 1) / pieces * 16;
  GraphArgs piece = *a;
  piece.o0 = i * width < a->bp ? i * width : a->bp;
  piece.o1 = piece.o0 + width < a->bp ? piece.o0 + width : a->bp;
  return piece;
}

typedef struct {
  const GraphArgs *a;
  const Outgoing *out; /* NULL for the forward */
  size_t pieces;
  float *partials; /* the backward's: pieces − 1 buffers of edges + n floats */
} HalvesJob;

static void half_piece(void *context, size_t i) {
  const HalvesJob *job = context;
  GraphArgs piece = half_of(job->a, i, job->pieces);
  if (job->out == NULL) return forward_neurons(&piece, 0, piece.n);
  if (i > 0) piece.dweff = job->partials + (i - 1) * ((size_t)piece.start[piece.n] + (size_t)piece.n), piece.db = piece.dweff + piece.start[piece.n];
  memset(piece.dweff, 0, sizeof(float) * (size_t)piece.start[piece.n]);
  memset(piece.db, 0, sizeof(float) * (size_t)piece.n);
  backward_sources(&piece, job->out, 0, piece.r + piece.n);
}

/* The backward in sample halves, their partial gradients added in piece order; false when memory runs out. */
static bool backward_in_halves(const GraphArgs *a, const Outgoing *out, size_t pieces) {
  static _Thread_local void *buffer = NULL;
  static _Thread_local size_t capacity = 0;
  const size_t edges = (size_t)a->start[a->n], stride = edges + (size_t)a->n;
  HalvesJob job = {a, out, pieces, kept(&buffer, &capacity, (pieces - 1) * stride)};
  if (job.partials == NULL) return false;
  pool_run(half_piece, &job, pieces);
  for (size_t p = 0; p + 1 < pieces; p++) {
    const float *dweff = job.partials + p * stride, *db = dweff + edges;
    for (size_t q = 0; q < edges; q++) a->dweff[q] += dweff[q];
    for (int32_t v = 0; v < a->n; v++) a->db[v] += db[v];
  }
  return true;
}

void graph_forward(const GraphArgs *a) {
  GraphArgs all = *a;
  all.o0 = 0, all.o1 = a->bp;
  const size_t bands = bands_of(a), pieces = bands > 1 ? bands : pieces_of((size_t)a->start[a->n], a->bp);
  if (bands > 1 || (pieces > 1 && !rows_outgrow_caches(&all))) {
    HalvesJob job = {&all, NULL, pieces, NULL};
    return pool_run(half_piece, &job, pieces);
  }
  // Without memory for the waves' pieces, one thread does it all.
  if (pieces == 1 || !run_in_waves(&all, NULL)) forward_neurons(&all, 0, a->n);
}

/* Which neurons' gradient rows hold the incoming gradient, from the seed list (NULL: all of them); false when memory runs out. */
static bool seeded_of(GraphArgs *a) {
  static _Thread_local void *buffer = NULL;
  static _Thread_local size_t capacity = 0;
  if (a->seeds == NULL) return true;
  uint8_t *seeded = kept(&buffer, &capacity, ((size_t)a->n + 3) / 4);
  if (seeded == NULL) return false;
  memset(seeded, 0, (size_t)a->n);
  for (int32_t j = 0; j < a->seed_count; j++) seeded[a->seeds[j]] = 1;
  a->seeded = seeded;
  return true;
}

bool graph_backward(const GraphArgs *a) {
  GraphArgs all = *a;
  all.o0 = 0, all.o1 = a->bp;
  Outgoing out;
  if (!outgoing_of(a, &out) || !seeded_of(&all)) return false;
  if (bands_of(a) > 1) return backward_in_halves(&all, &out, bands_of(a));
  const size_t pieces = pieces_of((size_t)a->start[a->n], a->bp);
  if (pieces > 1 && !rows_outgrow_caches(&all)) return backward_in_halves(&all, &out, pieces);
  memset(a->dweff, 0, sizeof(float) * (size_t)a->start[a->n]);
  memset(a->db, 0, sizeof(float) * (size_t)a->n);
  if (pieces > 1) return run_in_waves(&all, &out);
  backward_sources(&all, &out, 0, a->r + a->n);
  return true;
}

/*
 * 16 × 16 tiles transposed in registers: 16 rows of 16 floats loaded,
 * off-diagonal blocks of 8, 4, 2 and 1 swapped (two-input shuffles), 16 rows
 * stored, where element by element the strided side took a load or store per
 * float (a 256 × 1027 transpose: ~0.1 ms in cache, 0.27 from memory).
 */
/* Block swaps of 8, 4, 2 and 1: the shuffle indices of row i's new value (LOW) and row i + s's (HIGH), 16 + j naming row i + s's element j. */
#define LOW8 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23
#define HIGH8 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31
#define LOW4 0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, 11, 24, 25, 26, 27
#define HIGH4 4, 5, 6, 7, 20, 21, 22, 23, 12, 13, 14, 15, 28, 29, 30, 31
#define LOW2 0, 1, 16, 17, 4, 5, 20, 21, 8, 9, 24, 25, 12, 13, 28, 29
#define HIGH2 2, 3, 18, 19, 6, 7, 22, 23, 10, 11, 26, 27, 14, 15, 30, 31
#define LOW1 0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30
#define HIGH1 1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31
#define SWAP_BLOCKS(s, low, high)                                                                \
  for (int i = 0; i < 16; i++)                                                                   \
    if ((i & s) == 0) {                                                                          \
      const Lanes16 a = t[i], b = t[i + s];                                                      \
      t[i] = __builtin_shufflevector(a, b, low), t[i + s] = __builtin_shufflevector(a, b, high); \
    }

/* Rows and columns of t exchanged (by pointer: a vector argument's ABI differs between the clones' instruction sets). */
static inline __attribute__((always_inline)) void transpose16(Lanes16 *t) {
  SWAP_BLOCKS(8, LOW8, HIGH8)
  SWAP_BLOCKS(4, LOW4, HIGH4)
  SWAP_BLOCKS(2, LOW2, HIGH2)
  SWAP_BLOCKS(1, LOW1, HIGH1)
}

/* xt[i][b] = x[b][i] for columns first ≤ i < last (first a multiple of 16), zero-padded from batch to bp, in 16 × 16 tiles. */
CLONES static void transpose_columns(const float *x, size_t batch, size_t cols, float *xt, size_t bp, size_t first, size_t last) {
  for (size_t i0 = first; i0 < last; i0 += 16) {
    const size_t i1 = i0 + 16 < last ? i0 + 16 : last;
    size_t b0 = 0;
    for (; i1 - i0 == 16 && b0 + 16 <= batch; b0 += 16) {
      Lanes16 t[16];
      for (int b = 0; b < 16; b++) memcpy(&t[b], x + (b0 + b) * cols + i0, sizeof t[b]);
      transpose16(t);
      for (int i = 0; i < 16; i++) memcpy(xt + (i0 + i) * bp + b0, &t[i], sizeof t[i]);
    }
    for (; b0 < batch; b0 += 16) {
      const size_t b1 = b0 + 16 < batch ? b0 + 16 : batch;
      for (size_t i = i0; i < i1; i++)
        for (size_t b = b0; b < b1; b++) xt[i * bp + b] = x[b * cols + i];
    }
    for (size_t i = i0; i < i1; i++)
      for (size_t b = batch; b < bp; b++) xt[i * bp + b] = 0.0f;
  }
}

/* pickRows for samples first ≤ b < last (first a multiple of 16), in 16 × 16 tiles; an added row named twice gains both, in order. */
CLONES static void pick_samples(float *h, size_t bp, const int32_t *rows, size_t count, float *out, int add, size_t first, size_t last) {
  for (size_t j0 = 0; j0 < count; j0 += 16) {
    const size_t j1 = j0 + 16 < count ? j0 + 16 : count;
    size_t b0 = first;
    for (; j1 - j0 == 16 && b0 + 16 <= last; b0 += 16) {
      Lanes16 t[16];
      if (add) {
        for (int b = 0; b < 16; b++) memcpy(&t[b], out + (b0 + b) * count + j0, sizeof t[b]);
        transpose16(t);
        for (int j = 0; j < 16; j++) {
          float *row = h + (size_t)rows[j0 + j] * bp + b0;
          Lanes16 sum;
          memcpy(&sum, row, sizeof sum);
          sum += t[j];
          memcpy(row, &sum, sizeof sum);
        }
      } else {
        for (int j = 0; j < 16; j++) memcpy(&t[j], h + (size_t)rows[j0 + j] * bp + b0, sizeof t[j]);
        transpose16(t);
        for (int b = 0; b < 16; b++) memcpy(out + (b0 + b) * count + j0, &t[b], sizeof t[b]);
      }
    }
    for (; b0 < last; b0 += 16) {
      const size_t b1 = b0 + 16 < last ? b0 + 16 : last;
      for (size_t j = j0; j < j1; j++) {
        float *row = h + (size_t)rows[j] * bp;
        if (add)
          for (size_t b = b0; b < b1; b++) row[b] += out[b * count + j];
        else
          for (size_t b = b0; b < b1; b++) out[b * count + j] = row[b];
      }
    }
  }
}

/*
 * The layout changes split too, from LAYOUT_SPLIT floats (a 256 × 784 input's
 * transpose took ~0.4 ms of a 9 ms forward on one thread): the transpose over
 * columns, pickRows over samples (so an added row named twice is only ever
 * one thread's).
 */
#define LAYOUT_SPLIT (1u << 16)

typedef struct {
  const float *x;
  float *h, *out;
  const int32_t *rows;
  size_t batch, cols, bp, count, width;
  int add;
  bool zero; /* pickRows's `add` 2: each piece first zeroes its samples of every named row */
} Layout;

static void transpose_piece(void *context, size_t i) {
  const Layout *l = context;
  const size_t first = i * l->width;
  if (first < l->cols) transpose_columns(l->x, l->batch, l->cols, l->h, l->bp, first, first + l->width < l->cols ? first + l->width : l->cols);
}

/* Samples [first, last) of every named row zeroed, and the padding from batch to bp with the last samples. */
static void zero_samples(const Layout *l, size_t first, size_t last) {
  const size_t end = last == l->batch ? l->bp : last;
  for (size_t j = 0; j < l->count; j++) memset(l->h + (size_t)l->rows[j] * l->bp + first, 0, sizeof(float) * (end - first));
}

static void pick_piece(void *context, size_t i) {
  const Layout *l = context;
  const size_t first = i * l->width;
  if (first >= l->batch) return;
  const size_t last = first + l->width < l->batch ? first + l->width : l->batch;
  if (l->zero) zero_samples(l, first, last);
  pick_samples(l->h, l->bp, l->rows, l->count, l->out, l->add, first, last);
}

/* Pieces of `extent` for `floats` moved: one per thread, each a multiple of 16 wide (`width`), or 1. */
static size_t layout_pieces(size_t extent, size_t floats, size_t *width) {
  const size_t threads = (size_t)pool_threads(), pieces = floats < LAYOUT_SPLIT ? 1 : threads < (extent + 15) / 16 ? threads : (extent + 15) / 16;
  *width = ((extent + 15) / 16 + pieces - 1) / pieces * 16;
  return pieces;
}

/* xt[i][b] = x[b][i] for b < batch, 0 for batch ≤ b < bp: graph.wat's transposeIn. */
void graph_transpose_in(const float *x, size_t batch, size_t cols, float *xt, size_t bp) {
  Layout l = {.x = x, .h = xt, .batch = batch, .cols = cols, .bp = bp};
  const size_t pieces = layout_pieces(cols, batch * cols, &l.width);
  if (pieces == 1) return transpose_columns(x, batch, cols, xt, bp, 0, cols);
  pool_run(transpose_piece, &l, pieces);
}

/*
 * out[b][j] = h[rows[j]][b] for b < batch, or with `add` 1 h[rows[j]][b] += out[b][j]: graph.wat's pickRows; `add` 2
 * first zeroes every named row whole (its padding from batch to bp too), then adds (a backward's incoming gradient
 * into rows that hold anything).
 */
void graph_pick_rows(float *h, size_t bp, const int32_t *rows, size_t count, float *out, size_t batch, int add) {
  Layout l = {.h = h, .out = out, .rows = rows, .batch = batch, .bp = bp, .count = count, .add = add != 0, .zero = add == 2};
  const size_t pieces = layout_pieces(batch, batch * count, &l.width);
  // Each piece zeroes (`add` 2) and adds into its own samples of the rows: WS 10,000's 675 exports, zeroed whole first and on one thread, took 0.19-0.22 ms.
  if (pieces > 1) return pool_run(pick_piece, &l, pieces);
  l.width = batch;
  pick_piece(&l, 0);
}
