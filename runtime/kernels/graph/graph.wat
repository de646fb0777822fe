;; The graph kernel: a whole run of sparse depths evaluated neuron by neuron in
;; one call, forward and backward. Built into graph-wasm.ts by
;; `npm run build:wasm` (scripts/build-wasm.ts); a test checks the two agree.
;;
;; Memory is imported, so on TensorFlow.js's WebAssembly backend the kernel
;; reads and writes tensors where they already live. The build also emits a
;; second binary whose import below reads `(memory 0 65536 shared)`, for the
;; threaded WASM build's shared memory (a memory links only to an import of
;; the same shared state); the code itself runs on one thread and needs no
;; atomics, so nothing else differs.
;;
;; All pointers are byte offsets. Activations are stored neuron-major: a row
;; of `bp` floats per neuron, one per sample, `bp` a multiple of 16, so every
;; loop over a row is 128-bit SIMD with no tail.
;;
;; Neurons are numbered in topological order. An incoming connection's
;; source is a combined index: below `r`, row `s` of the external inputs `xt`;
;; from `r` on, row `s - r` of the kernel's own activations `h`.
;;
;; Activation kinds: 0 linear, 1 relu, 2 tanh, 3 sigmoid, 4 elu. Neurons from
;; `activated` on (an output layer) are linear.
(module
  (import "env" "memory" (memory 0))

  ;; ---- rows of n floats (n a multiple of 4) ----

  ;; Σ x · y
  (func $dot (param $x i32) (param $y i32) (param $n i32) (result f32)
    (local $end i32) (local $acc v128)
    (local.set $acc (f32x4.splat (f32.const 0)))
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
        (local.set $acc (f32x4.add (local.get $acc)
          (f32x4.mul (v128.load (local.get $x)) (v128.load (local.get $y)))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
        (br $next)))
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
      (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc)))))

  ;; e^x, four at a time: Cephes' expf (range reduction by ln 2 in two parts,
  ;; a degree-6 polynomial, 2^n built in the exponent bits); about 1 ulp.
  (func $exp (param $x v128) (result v128)
    (local $n v128) (local $r v128) (local $p v128)
    (local.set $x (f32x4.min (f32x4.max (local.get $x) (f32x4.splat (f32.const -87.3))) (f32x4.splat (f32.const 88.3))))
    (local.set $n (f32x4.nearest (f32x4.mul (local.get $x) (f32x4.splat (f32.const 1.44269504088896341)))))
    (local.set $r (f32x4.sub (f32x4.sub (local.get $x)
      (f32x4.mul (local.get $n) (f32x4.splat (f32.const 0.693359375))))
      (f32x4.mul (local.get $n) (f32x4.splat (f32.const -2.12194440e-4)))))
    (local.set $p (f32x4.splat (f32.const 1.9875691500e-4)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 1.3981999507e-3))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 8.3334519073e-3))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 4.1665795894e-2))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 1.6666665459e-1))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 5.0000001201e-1))))
    (local.set $p (f32x4.add
      (f32x4.add (f32x4.mul (local.get $p) (f32x4.mul (local.get $r) (local.get $r))) (local.get $r))
      (f32x4.splat (f32.const 1))))
    (f32x4.mul (local.get $p)
      (i32x4.shl (i32x4.add (i32x4.trunc_sat_f32x4_s (local.get $n)) (i32x4.splat (i32.const 127))) (i32.const 23))))

  (func $activate4 (param $x v128) (param $kind i32) (result v128)
    (local $t v128)
    (block $tanh (block $sigmoid (block $elu (block $relu (block $linear
      (br_table $linear $relu $tanh $sigmoid $elu $linear (local.get $kind)))
      (return (local.get $x)))
      (return (f32x4.max (local.get $x) (f32x4.splat (f32.const 0)))))
      ;; elu: x for x > 0, e^x − 1 below
      (return (v128.bitselect (local.get $x)
        (f32x4.sub (call $exp (local.get $x)) (f32x4.splat (f32.const 1)))
        (f32x4.gt (local.get $x) (f32x4.splat (f32.const 0))))))
      ;; sigmoid: 1 / (1 + e^−x)
      (return (f32x4.div (f32x4.splat (f32.const 1))
        (f32x4.add (f32x4.splat (f32.const 1)) (call $exp (f32x4.neg (local.get $x)))))))
    ;; tanh: sign(x) · (1 − t) / (1 + t), t = e^(−2|x|), which never overflows
    (local.set $t (call $exp (f32x4.mul (f32x4.abs (local.get $x)) (f32x4.splat (f32.const -2)))))
    (v128.or
      (v128.and (local.get $x) (v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000))
      (f32x4.div (f32x4.sub (f32x4.splat (f32.const 1)) (local.get $t))
                 (f32x4.add (f32x4.splat (f32.const 1)) (local.get $t)))))

  ;; The activation's derivative, from its output y.
  (func $slope4 (param $y v128) (param $kind i32) (result v128)
    (block $tanh (block $sigmoid (block $elu (block $relu (block $linear
      (br_table $linear $relu $tanh $sigmoid $elu $linear (local.get $kind)))
      (return (f32x4.splat (f32.const 1))))
      (return (v128.and (f32x4.gt (local.get $y) (f32x4.splat (f32.const 0))) (f32x4.splat (f32.const 1)))))
      ;; elu: 1 for y > 0, y + 1 = e^x below
      (return (v128.bitselect (f32x4.splat (f32.const 1))
        (f32x4.add (local.get $y) (f32x4.splat (f32.const 1)))
        (f32x4.gt (local.get $y) (f32x4.splat (f32.const 0))))))
      (return (f32x4.mul (local.get $y) (f32x4.sub (f32x4.splat (f32.const 1)) (local.get $y)))))
    (f32x4.sub (f32x4.splat (f32.const 1)) (f32x4.mul (local.get $y) (local.get $y))))

  ;; g *= f'(x), given y = f(x); returns Σ g afterwards (the bias gradient).
  (func $slope (param $g i32) (param $y i32) (param $n i32) (param $kind i32) (result f32)
    (local $end i32) (local $v v128) (local $acc v128)
    (local.set $acc (f32x4.splat (f32.const 0)))
    (local.set $end (i32.add (local.get $g) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $g) (local.get $end)))
        (local.set $v (v128.load (local.get $g)))
        (if (i32.eq (local.get $kind) (i32.const 1))
          (then
            ;; relu inline (see forward)
            (local.set $v (v128.and (local.get $v) (f32x4.gt (v128.load (local.get $y)) (f32x4.splat (f32.const 0)))))
            (v128.store (local.get $g) (local.get $v)))
          (else (if (local.get $kind) (then
            (local.set $v (f32x4.mul (local.get $v) (call $slope4 (v128.load (local.get $y)) (local.get $kind))))
            (v128.store (local.get $g) (local.get $v))))))
        (local.set $acc (f32x4.add (local.get $acc) (local.get $v)))
        (local.set $g (i32.add (local.get $g) (i32.const 16)))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
        (br $next)))
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
      (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc)))))

  ;; Address of the row of combined source index s.
  (func $row (param $s i32) (param $r i32) (param $xt i32) (param $h i32) (param $rowBytes i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $s) (local.get $r))
      (then (i32.add (local.get $xt) (i32.mul (local.get $s) (local.get $rowBytes))))
      (else (i32.add (local.get $h) (i32.mul (i32.sub (local.get $s) (local.get $r)) (local.get $rowBytes))))))

;; ---- layout changes at the kernel's boundary ----
  ;;
  ;; Both directions go sixteen rows of the neuron-major side at a time, all
  ;; samples, so the sample-major side's cache lines are filled or used up
  ;; while they are still cached. Stepping
  ;; through one column of all samples instead hits the same cache set again
  ;; and again whenever a row is a power of two bytes long (1,024 floats), and
  ;; ran five times slower.

  ;; xt[i][b] = x[b][i] for b < batch, 0 for batch ≤ b < bp: x is [batch, cols], xt is [cols, bp].
  (func (export "transposeIn") (param $x i32) (param $batch i32) (param $cols i32) (param $xt i32) (param $bp i32)
    (local $i0 i32) (local $width i32) (local $b i32) (local $k i32) (local $src i32) (local $dst i32) (local $xtRow i32)
    (local.set $xtRow (i32.shl (local.get $bp) (i32.const 2)))
    ;; zeros for the padding samples
    (memory.fill (local.get $xt) (i32.const 0) (i32.mul (local.get $cols) (local.get $xtRow)))
    (block $blocksDone
      (loop $blocks
        (br_if $blocksDone (i32.ge_u (local.get $i0) (local.get $cols)))
        (local.set $width (select (i32.const 16) (i32.sub (local.get $cols) (local.get $i0))
          (i32.le_u (i32.add (local.get $i0) (i32.const 16)) (local.get $cols))))
        (local.set $b (i32.const 0))
        (block $samplesDone
          (loop $samples
            (br_if $samplesDone (i32.ge_u (local.get $b) (local.get $batch)))
            (local.set $src (i32.add (local.get $x) (i32.shl (i32.add (i32.mul (local.get $b) (local.get $cols)) (local.get $i0)) (i32.const 2))))
            (local.set $dst (i32.add (local.get $xt) (i32.shl (i32.add (i32.mul (local.get $i0) (local.get $bp)) (local.get $b)) (i32.const 2))))
            (local.set $k (i32.const 0))
            (block $done
              (loop $next
                (br_if $done (i32.ge_u (local.get $k) (local.get $width)))
                (f32.store (local.get $dst) (f32.load (local.get $src)))
                (local.set $src (i32.add (local.get $src) (i32.const 4)))
                (local.set $dst (i32.add (local.get $dst) (local.get $xtRow)))
                (local.set $k (i32.add (local.get $k) (i32.const 1)))
                (br $next)))
            (local.set $b (i32.add (local.get $b) (i32.const 1)))
            (br $samples)))
        (local.set $i0 (i32.add (local.get $i0) (i32.const 16)))
        (br $blocks))))

  ;; out[b][j] = h[rows[j]][b] for b < batch: picks neuron rows of h [·, bp] into out [batch, count].
  ;; With `add`, out[b][j] is added to h[rows[j]][b] instead (the gradient of the pick).
  (func (export "pickRows") (param $h i32) (param $bp i32) (param $rows i32) (param $count i32) (param $out i32) (param $batch i32) (param $add i32)
    (local $j0 i32) (local $j i32) (local $end i32) (local $b i32) (local $at i32) (local $row i32) (local $rowBytes i32) (local $stride i32)
    (local.set $rowBytes (i32.shl (local.get $bp) (i32.const 2)))
    (local.set $stride (i32.shl (local.get $count) (i32.const 2)))
    (block $blocksDone
      (loop $blocks
        (br_if $blocksDone (i32.ge_u (local.get $j0) (local.get $count)))
        (local.set $end (select (i32.add (local.get $j0) (i32.const 16)) (local.get $count)
          (i32.le_u (i32.add (local.get $j0) (i32.const 16)) (local.get $count))))
        (local.set $j (local.get $j0))
        (block $rowsDone
          (loop $rowsOfBlock
            (br_if $rowsDone (i32.ge_u (local.get $j) (local.get $end)))
            (local.set $row (i32.add (local.get $h)
              (i32.mul (i32.load (i32.add (local.get $rows) (i32.shl (local.get $j) (i32.const 2)))) (local.get $rowBytes))))
            (local.set $at (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2))))
            (local.set $b (i32.const 0))
            (block $done
              (loop $next
                (br_if $done (i32.ge_u (local.get $b) (local.get $batch)))
                (if (local.get $add)
                  (then (f32.store (local.get $row) (f32.add (f32.load (local.get $row)) (f32.load (local.get $at)))))
                  (else (f32.store (local.get $at) (f32.load (local.get $row)))))
                (local.set $row (i32.add (local.get $row) (i32.const 4)))
                (local.set $at (i32.add (local.get $at) (local.get $stride)))
                (local.set $b (i32.add (local.get $b) (i32.const 1)))
                (br $next)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $rowsOfBlock)))
        (local.set $j0 (i32.add (local.get $j0) (i32.const 16)))
        (br $blocks))))

  ;; out[b][j] = x[b][idx[j]]: columns of x [batch, cols] picked into out [batch, count].
  (func (export "gatherColumns") (param $x i32) (param $batch i32) (param $cols i32) (param $idx i32) (param $count i32) (param $out i32)
    (local $b i32) (local $j i32) (local $row i32)
    (block $samplesDone
      (loop $samples
        (br_if $samplesDone (i32.ge_u (local.get $b) (local.get $batch)))
        (local.set $row (i32.add (local.get $x) (i32.shl (i32.mul (local.get $b) (local.get $cols)) (i32.const 2))))
        (local.set $j (i32.const 0))
        (block $done
          (loop $next
            (br_if $done (i32.ge_u (local.get $j) (local.get $count)))
            (f32.store (local.get $out)
              (f32.load (i32.add (local.get $row) (i32.shl (i32.load (i32.add (local.get $idx) (i32.shl (local.get $j) (i32.const 2)))) (i32.const 2)))))
            (local.set $out (i32.add (local.get $out) (i32.const 4)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $next)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $samples))))

  ;; The gradient of gatherColumns: dx = 0, then dx[b][idx[j]] += dy[b][j].
  (func (export "scatterColumns") (param $dy i32) (param $batch i32) (param $count i32) (param $idx i32) (param $dx i32) (param $cols i32)
    (local $b i32) (local $j i32) (local $row i32) (local $at i32)
    (memory.fill (local.get $dx) (i32.const 0) (i32.shl (i32.mul (local.get $batch) (local.get $cols)) (i32.const 2)))
    (block $samplesDone
      (loop $samples
        (br_if $samplesDone (i32.ge_u (local.get $b) (local.get $batch)))
        (local.set $row (i32.add (local.get $dx) (i32.shl (i32.mul (local.get $b) (local.get $cols)) (i32.const 2))))
        (local.set $j (i32.const 0))
        (block $done
          (loop $next
            (br_if $done (i32.ge_u (local.get $j) (local.get $count)))
            (local.set $at (i32.add (local.get $row) (i32.shl (i32.load (i32.add (local.get $idx) (i32.shl (local.get $j) (i32.const 2)))) (i32.const 2))))
            (f32.store (local.get $at) (f32.add (f32.load (local.get $at)) (f32.load (local.get $dy))))
            (local.set $dy (i32.add (local.get $dy) (i32.const 4)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $next)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $samples))))

  ;; to[idx[j]] = from[j] for j < count: a pick's entries put back where they came from.
  (func (export "scatterEntries") (param $from i32) (param $idx i32) (param $count i32) (param $to i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $idx) (i32.shl (local.get $count) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $idx) (local.get $end)))
        (f32.store (i32.add (local.get $to) (i32.shl (i32.load (local.get $idx)) (i32.const 2))) (f32.load (local.get $from)))
        (local.set $idx (i32.add (local.get $idx) (i32.const 4)))
        (local.set $from (i32.add (local.get $from) (i32.const 4)))
        (br $next))))

  ;; ---- the kernel ----

  ;; The member kernels' parameters, described by a table of 8 i32 per member:
  ;; weight, mask, slots, connections, bias, neurons, weight gradient, bias gradient.

  ;; weff[slots[e]] = w[e] · mask[e] for every member's connections, and the
  ;; members' biases one after another into `bias`.
  (func (export "placeParameters") (param $table i32) (param $members i32) (param $weff i32) (param $bias i32)
    (local $end i32) (local $e i32) (local $count i32) (local $w i32) (local $m i32) (local $s i32) (local $bytes i32)
    (local.set $end (i32.add (local.get $table) (i32.shl (local.get $members) (i32.const 5))))
    (block $membersDone
      (loop $members
        (br_if $membersDone (i32.ge_u (local.get $table) (local.get $end)))
        (local.set $w (i32.load (local.get $table)))
        (local.set $m (i32.load offset=4 (local.get $table)))
        (local.set $s (i32.load offset=8 (local.get $table)))
        (local.set $count (i32.load offset=12 (local.get $table)))
        (local.set $e (i32.const 0))
        (block $done
          (loop $next
            (br_if $done (i32.ge_u (local.get $e) (local.get $count)))
            (f32.store (i32.add (local.get $weff) (i32.shl (i32.load (local.get $s)) (i32.const 2)))
              (f32.mul (f32.load (local.get $w)) (f32.load (local.get $m))))
            (local.set $w (i32.add (local.get $w) (i32.const 4)))
            (local.set $m (i32.add (local.get $m) (i32.const 4)))
            (local.set $s (i32.add (local.get $s) (i32.const 4)))
            (local.set $e (i32.add (local.get $e) (i32.const 1)))
            (br $next)))
        (local.set $bytes (i32.shl (i32.load offset=20 (local.get $table)) (i32.const 2)))
        (memory.copy (local.get $bias) (i32.load offset=16 (local.get $table)) (local.get $bytes))
        (local.set $bias (i32.add (local.get $bias) (local.get $bytes)))
        (local.set $table (i32.add (local.get $table) (i32.const 32)))
        (br $members))))

  ;; Each member's weight gradient dw[e] = dweff[slots[e]] (· mask[e] when
  ;; `masked`) and its slice of the bias gradient db.
  (func (export "takeGradients") (param $table i32) (param $members i32) (param $dweff i32) (param $db i32) (param $masked i32)
    (local $end i32) (local $e i32) (local $count i32) (local $dw i32) (local $m i32) (local $s i32) (local $v f32) (local $bytes i32)
    (local.set $end (i32.add (local.get $table) (i32.shl (local.get $members) (i32.const 5))))
    (block $membersDone
      (loop $members
        (br_if $membersDone (i32.ge_u (local.get $table) (local.get $end)))
        (local.set $m (i32.load offset=4 (local.get $table)))
        (local.set $s (i32.load offset=8 (local.get $table)))
        (local.set $count (i32.load offset=12 (local.get $table)))
        (local.set $dw (i32.load offset=24 (local.get $table)))
        (local.set $e (i32.const 0))
        (block $done
          (loop $next
            (br_if $done (i32.ge_u (local.get $e) (local.get $count)))
            (local.set $v (f32.load (i32.add (local.get $dweff) (i32.shl (i32.load (local.get $s)) (i32.const 2)))))
            (if (local.get $masked) (then (local.set $v (f32.mul (local.get $v) (f32.load (local.get $m))))))
            (f32.store (local.get $dw) (local.get $v))
            (local.set $dw (i32.add (local.get $dw) (i32.const 4)))
            (local.set $m (i32.add (local.get $m) (i32.const 4)))
            (local.set $s (i32.add (local.get $s) (i32.const 4)))
            (local.set $e (i32.add (local.get $e) (i32.const 1)))
            (br $next)))
        (local.set $bytes (i32.shl (i32.load offset=20 (local.get $table)) (i32.const 2)))
        (memory.copy (i32.load offset=28 (local.get $table)) (local.get $db) (local.get $bytes))
        (local.set $db (i32.add (local.get $db) (local.get $bytes)))
        (local.set $table (i32.add (local.get $table) (i32.const 32)))
        (br $members))))

  ;; Address of the source row of every incoming connection: addr[q] = row(source[q]).
  (func $addresses (param $count i32) (param $source i32) (param $r i32) (param $xt i32) (param $h i32) (param $rowBytes i32) (param $addr i32)
    (local $q i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $q) (local.get $count)))
        (i32.store (i32.add (local.get $addr) (i32.shl (local.get $q) (i32.const 2)))
          (call $row (i32.load (i32.add (local.get $source) (i32.shl (local.get $q) (i32.const 2))))
            (local.get $r) (local.get $xt) (local.get $h) (local.get $rowBytes)))
        (local.set $q (i32.add (local.get $q) (i32.const 1)))
        (br $next))))

  ;; h[v] = f(bias[v] + Σ weff[q] · row(source[q])) for q in [start[v], start[v+1]), v = 0 … n−1.
  ;; Sixteen samples at a time stay in four registers across a neuron's
  ;; connections, so each connection costs one read of its source's values;
  ;; bp is a multiple of 16 here. `addr` is scratch for one address per connection.
  (func (export "forward")
    (param $xt i32) (param $r i32) (param $h i32) (param $n i32) (param $bp i32)
    (param $weff i32) (param $bias i32) (param $start i32) (param $source i32)
    (param $activated i32) (param $kind i32) (param $addr i32)
    (local $v i32) (local $q i32) (local $first i32) (local $last i32) (local $dst i32) (local $rowBytes i32)
    (local $o i32) (local $p i32) (local $k i32)
    (local $zero v128) (local $b v128) (local $w v128) (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local.set $rowBytes (i32.shl (local.get $bp) (i32.const 2)))
    (call $addresses (i32.load (i32.add (local.get $start) (i32.shl (local.get $n) (i32.const 2))))
      (local.get $source) (local.get $r) (local.get $xt) (local.get $h) (local.get $rowBytes) (local.get $addr))
    (block $done
      (loop $neurons
        (br_if $done (i32.ge_u (local.get $v) (local.get $n)))
        (local.set $dst (i32.add (local.get $h) (i32.mul (local.get $v) (local.get $rowBytes))))
        (local.set $b (f32x4.splat (f32.load (i32.add (local.get $bias) (i32.shl (local.get $v) (i32.const 2))))))
        (local.set $first (i32.load (i32.add (local.get $start) (i32.shl (local.get $v) (i32.const 2)))))
        (local.set $last (i32.load (i32.add (local.get $start) (i32.shl (i32.add (local.get $v) (i32.const 1)) (i32.const 2)))))
        (local.set $k (select (local.get $kind) (i32.const 0) (i32.lt_u (local.get $v) (local.get $activated))))
        (local.set $o (i32.const 0))
        (block $chunksDone
          (loop $chunks
            (br_if $chunksDone (i32.ge_u (local.get $o) (local.get $rowBytes)))
            (local.set $a0 (local.get $b))
            (local.set $a1 (local.get $b))
            (local.set $a2 (local.get $b))
            (local.set $a3 (local.get $b))
            (local.set $q (local.get $first))
            (block $edgesDone
              (loop $edges
                (br_if $edgesDone (i32.ge_u (local.get $q) (local.get $last)))
                (local.set $p (i32.add (i32.load (i32.add (local.get $addr) (i32.shl (local.get $q) (i32.const 2)))) (local.get $o)))
                (local.set $w (f32x4.splat (f32.load (i32.add (local.get $weff) (i32.shl (local.get $q) (i32.const 2))))))
                (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $w) (v128.load (local.get $p)))))
                (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $w) (v128.load offset=16 (local.get $p)))))
                (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $w) (v128.load offset=32 (local.get $p)))))
                (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $w) (v128.load offset=48 (local.get $p)))))
                (local.set $q (i32.add (local.get $q) (i32.const 1)))
                (br $edges)))
            ;; relu inline: it is the common case, and a call per register costs more than the max
            (if (i32.eq (local.get $k) (i32.const 1))
              (then
                (local.set $a0 (f32x4.max (local.get $a0) (local.get $zero)))
                (local.set $a1 (f32x4.max (local.get $a1) (local.get $zero)))
                (local.set $a2 (f32x4.max (local.get $a2) (local.get $zero)))
                (local.set $a3 (f32x4.max (local.get $a3) (local.get $zero))))
              (else (if (local.get $k)
                (then
                  (local.set $a0 (call $activate4 (local.get $a0) (local.get $k)))
                  (local.set $a1 (call $activate4 (local.get $a1) (local.get $k)))
                  (local.set $a2 (call $activate4 (local.get $a2) (local.get $k)))
                  (local.set $a3 (call $activate4 (local.get $a3) (local.get $k)))))))
            (local.set $p (i32.add (local.get $dst) (local.get $o)))
            (v128.store (local.get $p) (local.get $a0))
            (v128.store offset=16 (local.get $p) (local.get $a1))
            (v128.store offset=32 (local.get $p) (local.get $a2))
            (v128.store offset=48 (local.get $p) (local.get $a3))
            (local.set $o (i32.add (local.get $o) (i32.const 64)))
            (br $chunks)))
        (local.set $v (i32.add (local.get $v) (i32.const 1)))
        (br $neurons))))

  ;; Σ g · src, and dst += a · g in the same pass over g.
  (func $dotAxpy (param $g i32) (param $src i32) (param $dst i32) (param $a f32) (param $n i32) (result f32)
    (local $end i32) (local $acc v128) (local $va v128) (local $gv v128)
    (local.set $acc (f32x4.splat (f32.const 0)))
    (local.set $va (f32x4.splat (local.get $a)))
    (local.set $end (i32.add (local.get $g) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $g) (local.get $end)))
        (local.set $gv (v128.load (local.get $g)))
        (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $gv) (v128.load (local.get $src)))))
        (v128.store (local.get $dst) (f32x4.add (v128.load (local.get $dst)) (f32x4.mul (local.get $va) (local.get $gv))))
        (local.set $g (i32.add (local.get $g) (i32.const 16)))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (br $next)))
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
      (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc)))))

  ;; Backward, neurons in reverse order. On entry g holds the gradient of the
  ;; loss by h; on exit by the pre-activations. dxt (zeroed by the caller)
  ;; receives the gradient of the external inputs when `needInput`; dweff by
  ;; effective weight and db by bias are written.
  (func (export "backward")
    (param $g i32) (param $h i32) (param $xt i32) (param $r i32) (param $n i32) (param $bp i32)
    (param $weff i32) (param $start i32) (param $source i32) (param $activated i32) (param $kind i32)
    (param $dxt i32) (param $dweff i32) (param $db i32) (param $needInput i32)
    (local $v i32) (local $q i32) (local $first i32) (local $gv i32) (local $s i32) (local $rowBytes i32)
    (local.set $rowBytes (i32.shl (local.get $bp) (i32.const 2)))
    (local.set $v (local.get $n))
    (block $done
      (loop $neurons
        (br_if $done (i32.eqz (local.get $v)))
        (local.set $v (i32.sub (local.get $v) (i32.const 1)))
        (local.set $gv (i32.add (local.get $g) (i32.mul (local.get $v) (local.get $rowBytes))))
        (f32.store (i32.add (local.get $db) (i32.shl (local.get $v) (i32.const 2)))
          (call $slope (local.get $gv) (i32.add (local.get $h) (i32.mul (local.get $v) (local.get $rowBytes))) (local.get $bp)
            (select (local.get $kind) (i32.const 0) (i32.lt_u (local.get $v) (local.get $activated)))))
        (local.set $first (i32.load (i32.add (local.get $start) (i32.shl (local.get $v) (i32.const 2)))))
        (local.set $q (i32.load (i32.add (local.get $start) (i32.shl (i32.add (local.get $v) (i32.const 1)) (i32.const 2)))))
        (block $edgesDone
          (loop $edges
            (br_if $edgesDone (i32.le_u (local.get $q) (local.get $first)))
            (local.set $q (i32.sub (local.get $q) (i32.const 1)))
            (local.set $s (i32.load (i32.add (local.get $source) (i32.shl (local.get $q) (i32.const 2)))))
            (f32.store (i32.add (local.get $dweff) (i32.shl (local.get $q) (i32.const 2)))
              (if (result f32) (i32.or (local.get $needInput) (i32.ge_u (local.get $s) (local.get $r)))
                (then
                  (call $dotAxpy (local.get $gv)
                    (call $row (local.get $s) (local.get $r) (local.get $xt) (local.get $h) (local.get $rowBytes))
                    (call $row (local.get $s) (local.get $r) (local.get $dxt) (local.get $g) (local.get $rowBytes))
                    (f32.load (i32.add (local.get $weff) (i32.shl (local.get $q) (i32.const 2))))
                    (local.get $bp)))
                (else
                  (call $dot (local.get $gv) (call $row (local.get $s) (local.get $r) (local.get $xt) (local.get $h) (local.get $rowBytes)) (local.get $bp)))))
            (br $edges)))
        (br $neurons))))
)
