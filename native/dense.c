/*
 * deepstruct's optional native part: single-precision matrix products on
 * OpenBLAS (cblas_sgemm), for the runtime's dense kernels in Node.
 *
 * JavaScript hands over Float32Array views, usually into TensorFlow.js's
 * WASM heap, so no data is copied: the product is written in place.
 * Every length is checked here, at the boundary, before BLAS reads a byte.
 */
#include <cblas.h>
#include <pthread.h>
#include <node_api.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "pool.h"

/* OpenBLAS's own entry points for its thread pool and build (not in cblas.h of every BLAS). */
extern void openblas_set_num_threads(int threads);
extern int openblas_get_num_threads(void);
extern char *openblas_get_config(void);
extern char *openblas_get_corename(void);

#define CHECK(env, call)                                               \
  do {                                                                 \
    if ((call) != napi_ok) {                                           \
      napi_throw_error((env), NULL, "deepstruct native: " #call " failed"); \
      return NULL;                                                     \
    }                                                                  \
  } while (0)

static napi_value fail(napi_env env, const char *message) {
  napi_throw_error(env, "ERR_DEEPSTRUCT_NATIVE", message);
  return NULL;
}

/* A Float32Array argument: its data and length in floats; false (with an exception pending) when it is not one. */
static bool floats(napi_env env, napi_value value, const char *name, float **data, size_t *length) {
  bool is_typed = false;
  napi_typedarray_type type;
  char message[128];
  if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed ||
      napi_get_typedarray_info(env, value, &type, length, (void **)data, NULL, NULL) != napi_ok || type != napi_float32_array) {
    snprintf(message, sizeof message, "deepstruct native: %s must be a Float32Array", name);
    napi_throw_type_error(env, "ERR_DEEPSTRUCT_NATIVE", message);
    return false;
  }
  return true;
}

static bool dimension(napi_env env, napi_value value, const char *name, int32_t *out) {
  char message[128];
  if (napi_get_value_int32(env, value, out) != napi_ok || *out < 0) {
    snprintf(message, sizeof message, "deepstruct native: %s must be a non-negative integer", name);
    napi_throw_range_error(env, "ERR_DEEPSTRUCT_NATIVE", message);
    return false;
  }
  return true;
}

/*
 * What a product does to each piece of C around its sgemm, on the piece's
 * thread and while the piece is in cache (rather than in a pass of its own
 * over all of C on the caller's thread, as the bias's copy and TensorFlow.js's
 * kernels after the product did): before, its rows start as the bias (the
 * sgemm then adds, beta 1); after, it is multiplied by a 0/1 mask laid out
 * like C (a pruned connection's weight gradient is exactly zero), then ReLU.
 * All elementwise, so the result does not depend on the pieces.
 */
typedef struct {
  const float *bias; /* NULL: none; else [ldc], on every row */
  const float *mask; /* NULL: none; else [m, ldc] */
  bool relu;
} Epilogue;

/* Rows [0, rows) of c, columns [first_col, first_col + cols), start as the bias's. */
static void start_with_bias(const Epilogue *around, float *c, int ldc, int rows, int cols, int first_col) {
  if (around->bias == NULL) return;
  for (int i = 0; i < rows; i++) memcpy(c + (size_t)i * ldc, around->bias + first_col, sizeof(float) * cols);
}

/* ReLU as TensorFlow.js's CPU backend has it (Math.max(0, v)): NaN stays NaN, −0 becomes 0. */
static inline float relu_of(float v) {
  const float positive = v > 0.0f ? v : 0.0f; /* two selects, no branch: the loops vectorize */
  return v == v ? positive : v;
}

static void apply_epilogue(const Epilogue *after, float *c, int ldc, int rows, int cols, size_t first_row, int first_col) {
  if (after->mask == NULL && !after->relu) return;
  for (int i = 0; i < rows; i++) {
    float *row = c + (size_t)i * ldc;
    const float *mask = after->mask == NULL ? NULL : after->mask + (first_row + (size_t)i) * ldc + first_col;
    if (mask != NULL)
      for (int j = 0; j < cols; j++) row[j] *= mask[j];
    if (after->relu)
      for (int j = 0; j < cols; j++) row[j] = relu_of(row[j]);
  }
}

/*
 * The products split over the pool (pool.h) in pieces of rows or of columns
 * of C, each one single-threaded sgemm: by columns where op(A) is the smaller
 * operand (each piece packs op(A) again and its own columns of op(B)), else by
 * rows. One piece per thread: a worker that has not started by the time the
 * caller has finished its own piece is revoked (pool.c) and the caller runs
 * that piece too. Two pieces per thread, meant to leave a late thread's second
 * to the others, cost more than they saved, the smaller pieces each packing
 * op(A) again: WS 10,000's products on two threads gained 1.50-1.59× with two
 * a thread and 1.75-1.77× with one, the sgemm 256 × 1024 × 1024 1.74-1.79× and
 * 1.88-1.90× (docs/benchmarks.md). Pieces of about PIECE_MIN rows or columns
 * or more, and none below SPLIT_WORK multiply-adds (~20 µs on one core), where the split costs more
 * than it saves. The pieces depend on the thread count only, so a product is
 * the same bits from run to run (across thread counts within float32
 * rounding: OpenBLAS blocks a smaller product differently).
 */
#define SPLIT_WORK (1u << 21)
#define PIECE_MIN 32

typedef struct {
  bool ta, tb, by_columns;
  int m, n, k, lda, ldb, ldc, pieces;
  const float *a, *b;
  float beta;
  float *c;
  Epilogue after;
} Product;

/*
 * Where piece i of `pieces` over `extent` rows or columns starts: its even share's start rounded down to a multiple of
 * 16, so the pieces differ by at most 16 (1,027 columns in four: 256, 256, 256, 259; they went 272, 272, 272, 211, and
 * a thread's two pieces 544 columns against the other's 483: 2.28–2.33 against 2.16–2.29 ms for WS 10,000's weight
 * gradient on two threads, in C).
 */
static int piece_start(size_t i, int pieces, int extent) { return (int)i == pieces ? extent : (int)((long long)i * extent / pieces) / 16 * 16; }

static void product_piece(void *context, size_t i) {
  const Product *p = context;
  const int extent = p->by_columns ? p->n : p->m, first = piece_start(i, p->pieces, extent), size = piece_start(i + 1, p->pieces, extent) - first;
  const CBLAS_TRANSPOSE ta = p->ta ? CblasTrans : CblasNoTrans, tb = p->tb ? CblasTrans : CblasNoTrans;
  if (p->by_columns) {
    const float *b = p->tb ? p->b + (size_t)first * p->ldb : p->b + first;
    start_with_bias(&p->after, p->c + first, p->ldc, p->m, size, first);
    cblas_sgemm(CblasRowMajor, ta, tb, p->m, size, p->k, 1.0f, p->a, p->lda, b, p->ldb, p->beta, p->c + first, p->ldc);
    apply_epilogue(&p->after, p->c + first, p->ldc, p->m, size, 0, first);
  } else {
    const float *a = p->ta ? p->a + first : p->a + (size_t)first * p->lda;
    start_with_bias(&p->after, p->c + (size_t)first * p->ldc, p->ldc, size, p->n, 0);
    cblas_sgemm(CblasRowMajor, ta, tb, size, p->n, p->k, 1.0f, a, p->lda, p->b, p->ldb, p->beta, p->c + (size_t)first * p->ldc, p->ldc);
    apply_epilogue(&p->after, p->c + (size_t)first * p->ldc, p->ldc, size, p->n, (size_t)first, 0);
  }
}

/* The pieces of an m × n × k product (1: not split), split by columns or by rows (piece_start). */
static int product_pieces(int m, int n, int k, bool by_columns) {
  const int extent = by_columns ? n : m, threads = pool_threads();
  int pieces = threads;
  if (pieces > extent / PIECE_MIN) pieces = extent / PIECE_MIN;
  return threads == 1 || pieces < 2 || (double)m * n * k < SPLIT_WORK ? 1 : pieces;
}

/* pool_sgemm with an epilogue on each piece. */
static void pool_sgemm_then(bool transpose_a, bool transpose_b, int m, int n, int k, const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc,
                            Epilogue after) {
  Product p = {transpose_a, transpose_b, m <= n, m, n, k, lda, ldb, ldc, 1, a, b, beta, c, after};
  const int pieces = p.pieces = product_pieces(m, n, k, p.by_columns);
  if (pieces == 1) {
    start_with_bias(&after, c, ldc, m, n, 0);
    cblas_sgemm(CblasRowMajor, transpose_a ? CblasTrans : CblasNoTrans, transpose_b ? CblasTrans : CblasNoTrans, m, n, k, 1.0f, a, lda, b, ldb, beta, c, ldc);
    apply_epilogue(&after, c, ldc, m, n, 0, 0);
  } else
    pool_run(product_piece, &p, (size_t)pieces);
}

void pool_sgemm(bool transpose_a, bool transpose_b, int m, int n, int k, const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc) {
  const Epilogue none = {NULL, NULL, false};
  pool_sgemm_then(transpose_a, transpose_b, m, n, k, a, lda, b, ldb, beta, c, ldc, none);
}

/* gemmPieces(m, n, k): the pieces the pool splits that product into on the current thread count (1: not split). */
static napi_value gemm_pieces(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], result;
  int32_t m, n, k;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 3) return fail(env, "deepstruct native: gemmPieces takes 3 arguments (m, n, k)");
  if (!dimension(env, argv[0], "m", &m) || !dimension(env, argv[1], "n", &n) || !dimension(env, argv[2], "k", &k)) return NULL;
  CHECK(env, napi_create_int32(env, product_pieces(m, n, k, m <= n), &result));
  return result;
}

/* An optional Float32Array argument: NULL (no exception) for null or undefined; false with an exception pending when it is something else. */
static bool optional_floats(napi_env env, napi_value value, const char *name, float **data, size_t *length) {
  napi_valuetype type;
  *data = NULL, *length = 0;
  if (napi_typeof(env, value, &type) != napi_ok) return false;
  return type == napi_null || type == napi_undefined || floats(env, value, name, data, length);
}

/* The gemm's optional epilogue arguments, relu (a boolean) and mask (a Float32Array of at least m × n floats or null), into `after`. */
static bool epilogue_arguments(napi_env env, size_t argc, napi_value *argv, size_t cells, Epilogue *after) {
  size_t length = 0;
  float *mask = NULL;
  after->bias = NULL, after->relu = false, after->mask = NULL;
  if (argc > 9 && napi_get_value_bool(env, argv[9], &after->relu) != napi_ok) {
    napi_throw_type_error(env, "ERR_DEEPSTRUCT_NATIVE", "deepstruct native: gemm's relu must be a boolean");
    return false;
  }
  if (argc > 10 && !optional_floats(env, argv[10], "mask", &mask, &length)) return false;
  if (mask != NULL && length < cells) {
    char message[128];
    snprintf(message, sizeof message, "deepstruct native: gemm's mask needs >= %zu floats (c's), got %zu", cells, length);
    napi_throw_range_error(env, "ERR_DEEPSTRUCT_NATIVE", message);
    return false;
  }
  after->mask = mask;
  return true;
}

/*
 * gemm(transposeA, transposeB, m, n, k, a, b, c, bias | null [, relu [, mask | null]]):
 * c[m, n] = op(a) · op(b) (+ bias on every row), row-major, where op(a) is
 * [m, k] (a stored [k, m] when transposed) and op(b) is [k, n]; then, piece
 * by piece inside the product (the Epilogue above), c ⊙= mask ([m, n]) and
 * c = max(0, c) where relu.
 */
static napi_value gemm(napi_env env, napi_callback_info info) {
  size_t argc = 11;
  napi_value argv[11];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 9 || argc > 11) return fail(env, "deepstruct native: gemm takes 9 to 11 arguments (transposeA, transposeB, m, n, k, a, b, c, bias[, relu[, mask]])");
  bool ta = false, tb = false;
  CHECK(env, napi_get_value_bool(env, argv[0], &ta));
  CHECK(env, napi_get_value_bool(env, argv[1], &tb));
  int32_t m, n, k;
  if (!dimension(env, argv[2], "m", &m) || !dimension(env, argv[3], "n", &n) || !dimension(env, argv[4], "k", &k)) return NULL;
  float *a, *b, *c, *bias = NULL;
  size_t la, lb, lc, lbias = 0;
  if (!floats(env, argv[5], "a", &a, &la) || !floats(env, argv[6], "b", &b, &lb) || !floats(env, argv[7], "c", &c, &lc)) return NULL;
  if (!optional_floats(env, argv[8], "bias", &bias, &lbias)) return NULL;
  Epilogue after;
  if (!epilogue_arguments(env, argc, argv, (size_t)m * n, &after)) return NULL;
  char message[192];
  if (la < (size_t)m * k || lb < (size_t)k * n || lc < (size_t)m * n || (bias != NULL && lbias < (size_t)n)) {
    snprintf(message, sizeof message, "deepstruct native: gemm %d x %d x %d needs a >= %zu, b >= %zu, c >= %zu floats, got %zu, %zu, %zu", m, n, k,
             (size_t)m * k, (size_t)k * n, (size_t)m * n, la, lb, lc);
    napi_throw_range_error(env, "ERR_DEEPSTRUCT_NATIVE", message);
    return NULL;
  }
  after.bias = bias;
  if (k == 0) {
    if (bias == NULL) memset(c, 0, sizeof(float) * (size_t)m * n);
    start_with_bias(&after, c, n, m, n, 0);
    apply_epilogue(&after, c, n, m, n, 0, 0);
    return NULL;
  }
  if (m > 0 && n > 0) pool_sgemm_then(ta, tb, m, n, k, a, ta ? m : k, b, tb ? k : n, bias != NULL ? 1.0f : 0.0f, c, n, after);
  return NULL;
}

/*
 * The dense layer's elementwise passes (runtime/kernels/native/dense-layer.ts),
 * split over the pool in pieces of ELEMENTWISE_PIECE floats where there are
 * at least two of them: `out = a ⊙ mask` (the forward's effective weight), and
 * ReLU's gradient `g = dy ⊙ step(y)` in one pass (TensorFlow.js ran a Step and
 * a Multiply, each a pass and a tensor). Elementwise, so the same bits on any
 * thread count.
 */
#define ELEMENTWISE_PIECE (1u << 15)

typedef struct {
  const float *a, *b;
  float *out;
  size_t count;
  bool relu_gradient; /* false: out = a ⊙ b; true: out = a ⊙ step(b), a = dy, b = y */
} Elementwise;

/* step(y) as TensorFlow.js's Step with alpha 0: 1 where y > 0, NaN where y is, else 0; so dy · step(y) is what its Multiply made. */
static inline float step_of(float y) {
  const float step = y > 0.0f ? 1.0f : 0.0f;
  return y == y ? step : y;
}

static void elementwise_piece(void *context, size_t piece) {
  const Elementwise *e = context;
  const size_t first = piece * ELEMENTWISE_PIECE, end = e->count - first < ELEMENTWISE_PIECE ? e->count : first + ELEMENTWISE_PIECE;
  if (e->relu_gradient)
    for (size_t i = first; i < end; i++) e->out[i] = e->a[i] * step_of(e->b[i]);
  else
    for (size_t i = first; i < end; i++) e->out[i] = e->a[i] * e->b[i];
}

/* (count, a, b, out): every array at least `count` floats. */
static napi_value elementwise(napi_env env, napi_callback_info info, const char *name, bool relu_gradient) {
  size_t argc = 4, la, lb, lout;
  napi_value argv[4];
  int32_t count;
  float *a, *b, *out;
  char message[192];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 4) {
    snprintf(message, sizeof message, "deepstruct native: %s takes 4 arguments (count, %s)", name, relu_gradient ? "dy, y, g" : "a, mask, out");
    return fail(env, message);
  }
  if (!dimension(env, argv[0], "count", &count) || !floats(env, argv[1], "a", &a, &la) || !floats(env, argv[2], "b", &b, &lb) ||
      !floats(env, argv[3], "out", &out, &lout))
    return NULL;
  if (la < (size_t)count || lb < (size_t)count || lout < (size_t)count) {
    snprintf(message, sizeof message, "deepstruct native: %s of %d floats got arrays of %zu, %zu and %zu", name, count, la, lb, lout);
    napi_throw_range_error(env, "ERR_DEEPSTRUCT_NATIVE", message);
    return NULL;
  }
  Elementwise e = {a, b, out, (size_t)count, relu_gradient};
  pool_run(elementwise_piece, &e, ((size_t)count + ELEMENTWISE_PIECE - 1) / ELEMENTWISE_PIECE);
  return NULL;
}

/* maskMultiply(count, a, mask, out): out = a ⊙ mask (out may be a). */
static napi_value mask_multiply(napi_env env, napi_callback_info info) { return elementwise(env, info, "maskMultiply", false); }

/* reluGradient(count, dy, y, g): g = dy ⊙ step(y) (g may be dy). */
static napi_value relu_gradient(napi_env env, napi_callback_info info) { return elementwise(env, info, "reluGradient", true); }

/* setThreads(n): the pool's thread count (1 … the machine's cores; at most POOL_MAX_THREADS), for the products and the graph kernel alike. */
static napi_value set_threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t threads = 0;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 1 || napi_get_value_int32(env, argv[0], &threads) != napi_ok || threads < 1)
    return fail(env, "deepstruct native: setThreads needs a positive integer");
  pool_set_threads(threads);
  return NULL;
}

static napi_value get_threads(napi_env env, napi_callback_info info) {
  napi_value result;
  (void)info;
  CHECK(env, napi_create_int32(env, pool_threads(), &result));
  return result;
}

/*
 * criticalSeconds(): the calling thread's CPU seconds so far, with each pool
 * job's share of it (its pieces and its spin for the workers') replaced by the
 * job's time on free cores (pool_times): for benchmarks, the critical path on
 * free cores, which others' load on a shared machine hides from the wall
 * clock. On one thread, the thread's CPU time.
 */
static napi_value critical_seconds(napi_env env, napi_callback_info info) {
  struct timespec t;
  double caller, shared;
  napi_value result;
  (void)info;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  pool_times(&caller, &shared);
  CHECK(env, napi_create_double(env, (double)t.tv_sec + 1e-9 * (double)t.tv_nsec - caller + shared, &result));
  return result;
}

/* describe(): the BLAS's build and the kernel it chose for this CPU, e.g. "OpenBLAS 0.3.21 … (SkylakeX)". */
static napi_value describe(napi_env env, napi_callback_info info) {
  char text[512];
  napi_value result;
  (void)info;
  snprintf(text, sizeof text, "%s (%s)", openblas_get_config(), openblas_get_corename());
  CHECK(env, napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &result));
  return result;
}

/* The graph kernel's entry points (graph-napi.c). */
napi_value deepstruct_graph_forward(napi_env env, napi_callback_info info);
napi_value deepstruct_graph_backward(napi_env env, napi_callback_info info);
napi_value deepstruct_graph_backward_seeded(napi_env env, napi_callback_info info);
napi_value deepstruct_graph_threads(napi_env env, napi_callback_info info);
napi_value deepstruct_graph_band_width(napi_env env, napi_callback_info info);
napi_value deepstruct_graph_transpose_in(napi_env env, napi_callback_info info);
napi_value deepstruct_graph_pick_rows(napi_env env, napi_callback_info info);
/* Adam over many tensors at once (adam.c). */
napi_value deepstruct_adam_step(napi_env env, napi_callback_info info);
/* The input check's scan (finite.c). */
napi_value deepstruct_first_non_finite(napi_env env, napi_callback_info info);
/* The convolution's products as im2col × weight (conv.c). */
napi_value deepstruct_conv_forward(napi_env env, napi_callback_info info);
napi_value deepstruct_conv_filter_gradient(napi_env env, napi_callback_info info);
napi_value deepstruct_conv_input_gradient(napi_env env, napi_callback_info info);
/* Magnitude pruning's radix selection passes (select.c). */
napi_value deepstruct_select_histogram_high(napi_env env, napi_callback_info info);
napi_value deepstruct_select_histogram_low(napi_env env, napi_callback_info info);
napi_value deepstruct_select_switch_off(napi_env env, napi_callback_info info);

/*
 * The pool starts with OpenBLAS's thread count (all cores, or OPENBLAS_NUM_THREADS),
 * and OpenBLAS runs single-threaded from here on, inside the pool's pieces.
 */
static void threads_once(void) {
  pool_set_threads(openblas_get_num_threads());
  openblas_set_num_threads(1);
}

static napi_value init(napi_env env, napi_value exports) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, threads_once);
  napi_property_descriptor properties[] = {
      {"gemm", NULL, gemm, NULL, NULL, NULL, napi_default, NULL},
      {"maskMultiply", NULL, mask_multiply, NULL, NULL, NULL, napi_default, NULL},
      {"reluGradient", NULL, relu_gradient, NULL, NULL, NULL, napi_default, NULL},
      {"gemmPieces", NULL, gemm_pieces, NULL, NULL, NULL, napi_default, NULL},
      {"setThreads", NULL, set_threads, NULL, NULL, NULL, napi_default, NULL},
      {"threads", NULL, get_threads, NULL, NULL, NULL, napi_default, NULL},
      {"criticalSeconds", NULL, critical_seconds, NULL, NULL, NULL, napi_default, NULL},
      {"describe", NULL, describe, NULL, NULL, NULL, napi_default, NULL},
      {"graphForward", NULL, deepstruct_graph_forward, NULL, NULL, NULL, napi_default, NULL},
      {"graphBackward", NULL, deepstruct_graph_backward, NULL, NULL, NULL, napi_default, NULL},
      {"graphBackwardSeeded", NULL, deepstruct_graph_backward_seeded, NULL, NULL, NULL, napi_default, NULL},
      {"graphThreads", NULL, deepstruct_graph_threads, NULL, NULL, NULL, napi_default, NULL},
      {"graphBandWidth", NULL, deepstruct_graph_band_width, NULL, NULL, NULL, napi_default, NULL},
      {"graphTransposeIn", NULL, deepstruct_graph_transpose_in, NULL, NULL, NULL, napi_default, NULL},
      {"graphPickRows", NULL, deepstruct_graph_pick_rows, NULL, NULL, NULL, napi_default, NULL},
      {"adamUpdate", NULL, deepstruct_adam_step, NULL, NULL, NULL, napi_default, NULL},
      {"firstNonFinite", NULL, deepstruct_first_non_finite, NULL, NULL, NULL, napi_default, NULL},
      {"convForward", NULL, deepstruct_conv_forward, NULL, NULL, NULL, napi_default, NULL},
      {"convFilterGradient", NULL, deepstruct_conv_filter_gradient, NULL, NULL, NULL, napi_default, NULL},
      {"convInputGradient", NULL, deepstruct_conv_input_gradient, NULL, NULL, NULL, napi_default, NULL},
      {"selectHistogramHigh", NULL, deepstruct_select_histogram_high, NULL, NULL, NULL, napi_default, NULL},
      {"selectHistogramLow", NULL, deepstruct_select_histogram_low, NULL, NULL, NULL, napi_default, NULL},
      {"selectSwitchOff", NULL, deepstruct_select_switch_off, NULL, NULL, NULL, napi_default, NULL},
  };
  CHECK(env, napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
