/*
 * The addon's thread pool (pool.h). Its workers start once, at the first job
 * that wants them, and stay: a thread's start costs ~20–50 µs, more than a
 * small kernel's share. Between jobs a worker spins for SPIN_NS (a network's
 * kernels follow each other a few hundred µs apart, and waking a sleeping
 * thread on a virtual machine's idle core costs tens of µs), then sleeps on a
 * condition variable, so an idle pool takes no core from anyone. OpenBLAS's
 * own pool spins ~0.1 s after each product (its THREAD_TIMEOUT, fixed at its
 * build) and took the core our graph kernel's threads needed; it now runs
 * single-threaded inside ours (dense.c).
 *
 * Each worker has a slot: the caller posts the job to a slot (IDLE → POSTED),
 * the worker takes it (POSTED → RUNNING), runs pieces until none is left and
 * frees it (→ IDLE). When the caller has claimed the last piece it revokes
 * slots not yet taken (POSTED → IDLE), so a worker whose core is busy with
 * someone else's work never holds the job up, and waits only for workers in
 * the middle of a piece. The job lives in static storage and is rewritten only
 * while every slot is IDLE.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "pool.h"

#define SPIN_NS 200000
enum { IDLE, POSTED, RUNNING };

typedef struct {
  PoolTask task;
  void *context;
  size_t count;
  atomic_size_t next, done;
  _Atomic long long piece_sum_ns, piece_max_ns; /* the threads' CPU in the job: all of them, and the busiest's */
} Job;

typedef struct {
  atomic_int state;
  bool sleeping; /* under `lock` */
  pthread_cond_t wake;
} Slot;

static Job job;
static Slot slots[POOL_MAX_THREADS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
/* One job at a time: a second caller (another Node thread) runs its job alone. */
static pthread_mutex_t owner = PTHREAD_MUTEX_INITIALIZER;
static atomic_int wanted = 1;
static int started = 0; /* workers started, under `owner` */
/* Over every job run on more than one thread: the caller's CPU in them, and each one's time on free cores (pool_times). */
static _Atomic long long caller_ns = 0, shared_ns = 0;

static inline void relax(void) { __builtin_ia32_pause(); }

/* The caller's wait for a worker in the middle of a piece: a spin (a piece takes µs to ms; a sleep and wake-up would cost tens of µs). */
static void wait_for(atomic_size_t *value, size_t target) {
  while (atomic_load(value) < target) relax();
}

static long long clock_ns(clockid_t clock) {
  struct timespec t;
  clock_gettime(clock, &t);
  return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static long long now_ns(void) { return clock_ns(CLOCK_MONOTONIC); }
static long long cpu_ns(void) { return clock_ns(CLOCK_THREAD_CPUTIME_ID); }

/*
 * Runs the job's pieces until none is left to claim, timing this thread's
 * stay in the job (its CPU in it) rather than each piece: the thread CPU
 * clock is a system call here (~0.66 µs), and the graph kernel's ~400 pieces
 * a pass paid two each, ~0.5 ms of a 1.3 ms pass.
 */
static void work(void) {
  const long long start = cpu_ns();
  for (;;) {
    const size_t i = atomic_fetch_add(&job.next, 1);
    if (i >= job.count) break;
    job.task(job.context, i);
    atomic_fetch_add(&job.done, 1);
  }
  const long long used = cpu_ns() - start;
  atomic_fetch_add(&job.piece_sum_ns, used);
  long long longest = atomic_load(&job.piece_max_ns);
  while (used > longest && !atomic_compare_exchange_weak(&job.piece_max_ns, &longest, used)) {
  }
}

/* Spins for SPIN_NS, then sleeps, until the slot is posted; true once this worker has taken it. */
static bool take(Slot *slot) {
  const long long until = now_ns() + SPIN_NS;
  for (int spins = 0; atomic_load(&slot->state) != POSTED; spins++) {
    relax();
    if ((spins & 63) == 0 && now_ns() > until) {
      pthread_mutex_lock(&lock);
      slot->sleeping = true;
      while (atomic_load(&slot->state) != POSTED) pthread_cond_wait(&slot->wake, &lock);
      slot->sleeping = false;
      pthread_mutex_unlock(&lock);
    }
  }
  int expected = POSTED;
  return atomic_compare_exchange_strong(&slot->state, &expected, RUNNING);
}

static void *worker(void *p) {
  Slot *slot = p;
  for (;;) {
    if (!take(slot)) continue; /* revoked before this worker got to it */
    work();
    atomic_store(&slot->state, IDLE);
  }
  return NULL;
}

void pool_times(double *caller, double *shared) {
  *caller = 1e-9 * (double)caller_ns;
  *shared = 1e-9 * (double)shared_ns;
}

void pool_set_threads(int threads) {
  atomic_store(&wanted, threads < 1 ? 1 : threads > POOL_MAX_THREADS ? POOL_MAX_THREADS : threads);
}

int pool_threads(void) { return atomic_load(&wanted); }

/* Starts workers up to `helpers` (under `owner`); fewer where the system refuses a thread. */
static int start_workers(int helpers) {
  while (started < helpers) {
    Slot *slot = &slots[started + 1];
    pthread_t id;
    atomic_init(&slot->state, IDLE);
    pthread_cond_init(&slot->wake, NULL);
    if (pthread_create(&id, NULL, worker, slot) != 0) break;
    pthread_detach(id);
    started++;
  }
  return helpers < started ? helpers : started;
}

static void post(Slot *slot) {
  atomic_store(&slot->state, POSTED);
  pthread_mutex_lock(&lock);
  if (slot->sleeping) pthread_cond_signal(&slot->wake);
  pthread_mutex_unlock(&lock);
}

void pool_run(PoolTask task, void *context, size_t count) {
  const int threads = pool_threads();
  if (threads == 1 || count < 2 || pthread_mutex_trylock(&owner) != 0) {
    for (size_t i = 0; i < count; i++) task(context, i);
    return;
  }
  const int helpers = start_workers((size_t)threads - 1 < count - 1 ? threads - 1 : (int)count - 1);
  job.task = task, job.context = context, job.count = count;
  atomic_store(&job.next, 0);
  atomic_store(&job.done, 0);
  atomic_store(&job.piece_sum_ns, 0);
  atomic_store(&job.piece_max_ns, 0);
  for (int t = 1; t <= helpers; t++) post(&slots[t]);
  const long long start = cpu_ns();
  work();
  for (int t = 1; t <= helpers; t++) {
    int expected = POSTED;
    atomic_compare_exchange_strong(&slots[t].state, &expected, IDLE);
  }
  /* Every piece is claimed; wait for those still running, then for the workers to leave the job. */
  wait_for(&job.done, count);
  for (int t = 1; t <= helpers; t++)
    while (atomic_load(&slots[t].state) != IDLE) relax();
  /* On free cores: the threads' CPU shared evenly, or the busiest thread's (which is never less). */
  const long long even = atomic_load(&job.piece_sum_ns) / (helpers + 1), longest = atomic_load(&job.piece_max_ns);
  caller_ns += cpu_ns() - start;
  shared_ns += even > longest ? even : longest;
  pthread_mutex_unlock(&owner);
}
