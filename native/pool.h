/*
 * The addon's one thread pool (pool.c): every multi-threaded part (the dense
 * products of dense.c, the graph kernel of graph.c) runs its pieces here, and
 * OpenBLAS itself runs single-threaded inside them, so no two sets of threads
 * ever contend for the cores.
 */
#ifndef DEEPSTRUCT_POOL_H
#define DEEPSTRUCT_POOL_H
#include <stdbool.h>
#include <stddef.h>

/* One piece of a job: `index` in [0, count). */
typedef void (*PoolTask)(void *context, size_t index);

/* The threads a job may run on, the caller's among them (1 … POOL_MAX_THREADS). */
#define POOL_MAX_THREADS 8
void pool_set_threads(int threads);
int pool_threads(void);

/*
 * Runs task(context, i) for every i < count, on up to pool_threads() threads
 * (the caller's among them), each taking the next piece as it finishes one, and
 * returns when all are done. Which thread runs a piece varies; what a piece
 * computes must not depend on it. A job started while another runs (a Node
 * worker's) runs on the caller's thread alone.
 */
void pool_run(PoolTask task, void *context, size_t count);

/*
 * Seconds, over every job run on more than one thread so far: the caller's
 * CPU in them (its pieces and its spin while workers finish theirs), and the
 * sum of each job's time on free cores — its threads' CPU in it shared
 * evenly, or its busiest thread's (pool.c times a thread's stay in a job,
 * not each piece: the thread CPU clock costs a system call). The caller's CPU, less the
 * first, plus the second, is its critical path on free cores (but for the
 * workers' wake-ups), whatever others' load does to the wall clock and to
 * which thread got which piece (bench/threads.ts).
 */
void pool_times(double *caller, double *shared);

/*
 * C[m, n] = op(A) · op(B) + beta · C, row-major (cblas_sgemm's arguments
 * without the order and alpha, 1), split over the pool in pieces of rows or
 * columns where it is large enough (dense.c).
 */
void pool_sgemm(bool transpose_a, bool transpose_b, int m, int n, int k, const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc);
#endif
