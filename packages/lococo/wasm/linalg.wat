;; SIMD kernels of @globalmcp/lococo's dense loops. src/linalg.ts calls them (and holds the plain
;; JavaScript versions they must agree with); `npm run wasm -w @globalmcp/lococo` assembles this file
;; into src/linalgWasm.ts, and a test checks that the two agree. The tiles are unrolled by hand.
;;
;; V8 does not vectorise JavaScript: f64x2 halves the instructions per multiply-add, and wasm memory
;; accesses carry no per-element bounds checks. Pointers are byte offsets, strides count f64 elements.
;; The memory is shared so that growing it does not detach the views JavaScript holds on it.
(module
  (memory (export "memory") 1 16384 shared)

  (func $hsum (param $v v128) (result f64)
    (f64.add (f64x2.extract_lane 0 (local.get $v)) (f64x2.extract_lane 1 (local.get $v))))

  ;; sum_{c < depth} a[c] * b[c]
  (func $dot (param $a i32) (param $b i32) (param $depth i32) (result f64)
    (local $acc v128) (local $off i32) (local $pairs i32) (local $s f64)
    (local.set $pairs (i32.shl (i32.shr_u (local.get $depth) (i32.const 1)) (i32.const 4)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $off) (local.get $pairs)))
        (local.set $acc
          (f64x2.add (local.get $acc)
            (f64x2.mul (v128.load (i32.add (local.get $a) (local.get $off))) (v128.load (i32.add (local.get $b) (local.get $off))))))
        (local.set $off (i32.add (local.get $off) (i32.const 16)))
        (br $next)))
    (local.set $s (call $hsum (local.get $acc)))
    (if (i32.and (local.get $depth) (i32.const 1))
      (then
        (local.set $s (f64.add (local.get $s)
          (f64.mul (f64.load (i32.add (local.get $a) (local.get $pairs))) (f64.load (i32.add (local.get $b) (local.get $pairs))))))))
    (local.get $s))

  ;; out[i * bRows + j] = sum_{c < depth} a[i * aStride + c] * b[j * bStride + c]. Tiles of 4 rows of a
  ;; by 2 rows of b: b is read once, in order. Even and odd c are summed apart (the two lanes).
  (func (export "rowDots")
    (param $a i32) (param $aStride i32) (param $aRows i32)
    (param $b i32) (param $bStride i32) (param $bRows i32)
    (param $depth i32) (param $out i32)
    (local $aRow i32) (local $bRow i32) (local $outRow i32) (local $fullA i32) (local $pairs i32) (local $odd i32)
    (local $i i32) (local $j i32) (local $off i32) (local $po i32)
    (local $pb0 i32) (local $pb1 i32) (local $pa0 i32) (local $pa1 i32) (local $pa2 i32) (local $pa3 i32)
    (local $x0 v128) (local $x1 v128) (local $v v128) (local $t0 f64) (local $t1 f64)
    (local $s00 v128) (local $s01 v128) (local $s10 v128) (local $s11 v128) (local $s20 v128) (local $s21 v128) (local $s30 v128) (local $s31 v128)
    (local.set $aRow (i32.shl (local.get $aStride) (i32.const 3)))
    (local.set $bRow (i32.shl (local.get $bStride) (i32.const 3)))
    (local.set $outRow (i32.shl (local.get $bRows) (i32.const 3)))
    (local.set $fullA (i32.and (local.get $aRows) (i32.const -4)))
    (local.set $pairs (i32.shl (i32.shr_u (local.get $depth) (i32.const 1)) (i32.const 4)))
    (local.set $odd (i32.and (local.get $depth) (i32.const 1)))
    (block $pairsDone
      (loop $pairsNext
        (br_if $pairsDone (i32.gt_u (i32.add (local.get $j) (i32.const 2)) (local.get $bRows)))
        (local.set $pb0 (i32.add (local.get $b) (i32.mul (local.get $j) (local.get $bRow))))
        (local.set $pb1 (i32.add (local.get $pb0) (local.get $bRow)))
        (local.set $i (i32.const 0))
        (block $tilesDone
          (loop $tiles
            (br_if $tilesDone (i32.ge_u (local.get $i) (local.get $fullA)))
            (local.set $pa0 (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $aRow))))
            (local.set $pa1 (i32.add (local.get $pa0) (local.get $aRow)))
            (local.set $pa2 (i32.add (local.get $pa1) (local.get $aRow)))
            (local.set $pa3 (i32.add (local.get $pa2) (local.get $aRow)))
            (local.set $s00 (v128.const i64x2 0 0))
            (local.set $s01 (v128.const i64x2 0 0))
            (local.set $s10 (v128.const i64x2 0 0))
            (local.set $s11 (v128.const i64x2 0 0))
            (local.set $s20 (v128.const i64x2 0 0))
            (local.set $s21 (v128.const i64x2 0 0))
            (local.set $s30 (v128.const i64x2 0 0))
            (local.set $s31 (v128.const i64x2 0 0))
            (local.set $off (i32.const 0))
            (block $depthDone
              (loop $depthNext
                (br_if $depthDone (i32.ge_u (local.get $off) (local.get $pairs)))
                (local.set $x0 (v128.load (i32.add (local.get $pb0) (local.get $off))))
                (local.set $x1 (v128.load (i32.add (local.get $pb1) (local.get $off))))
                (local.set $v (v128.load (i32.add (local.get $pa0) (local.get $off))))
                (local.set $s00 (f64x2.add (local.get $s00) (f64x2.mul (local.get $v) (local.get $x0))))
                (local.set $s01 (f64x2.add (local.get $s01) (f64x2.mul (local.get $v) (local.get $x1))))
                (local.set $v (v128.load (i32.add (local.get $pa1) (local.get $off))))
                (local.set $s10 (f64x2.add (local.get $s10) (f64x2.mul (local.get $v) (local.get $x0))))
                (local.set $s11 (f64x2.add (local.get $s11) (f64x2.mul (local.get $v) (local.get $x1))))
                (local.set $v (v128.load (i32.add (local.get $pa2) (local.get $off))))
                (local.set $s20 (f64x2.add (local.get $s20) (f64x2.mul (local.get $v) (local.get $x0))))
                (local.set $s21 (f64x2.add (local.get $s21) (f64x2.mul (local.get $v) (local.get $x1))))
                (local.set $v (v128.load (i32.add (local.get $pa3) (local.get $off))))
                (local.set $s30 (f64x2.add (local.get $s30) (f64x2.mul (local.get $v) (local.get $x0))))
                (local.set $s31 (f64x2.add (local.get $s31) (f64x2.mul (local.get $v) (local.get $x1))))
                (local.set $off (i32.add (local.get $off) (i32.const 16)))
                (br $depthNext)))
            ;; an odd depth's last term goes into lane 0
            (if (local.get $odd)
              (then
                (local.set $t0 (f64.load (i32.add (local.get $pb0) (local.get $pairs))))
                (local.set $t1 (f64.load (i32.add (local.get $pb1) (local.get $pairs))))
                (local.set $v (f64x2.splat (f64.load (i32.add (local.get $pa0) (local.get $pairs)))))
                (local.set $s00 (f64x2.add (local.get $s00) (f64x2.mul (local.get $v) (f64x2.replace_lane 1 (f64x2.splat (local.get $t0)) (f64.const 0)))))
                (local.set $s01 (f64x2.add (local.get $s01) (f64x2.mul (local.get $v) (f64x2.replace_lane 1 (f64x2.splat (local.get $t1)) (f64.const 0)))))
                (local.set $v (f64x2.splat (f64.load (i32.add (local.get $pa1) (local.get $pairs)))))
                (local.set $s10 (f64x2.add (local.get $s10) (f64x2.mul (local.get $v) (f64x2.replace_lane 1 (f64x2.splat (local.get $t0)) (f64.const 0)))))
                (local.set $s11 (f64x2.add (local.get $s11) (f64x2.mul (local.get $v) (f64x2.replace_lane 1 (f64x2.splat (local.get $t1)) (f64.const 0)))))
                (local.set $v (f64x2.splat (f64.load (i32.add (local.get $pa2) (local.get $pairs)))))
                (local.set $s20 (f64x2.add (local.get $s20) (f64x2.mul (local.get $v) (f64x2.replace_lane 1 (f64x2.splat (local.get $t0)) (f64.const 0)))))
                (local.set $s21 (f64x2.add (local.get $s21) (f64x2.mul (local.get $v) (f64x2.replace_lane 1 (f64x2.splat (local.get $t1)) (f64.const 0)))))
                (local.set $v (f64x2.splat (f64.load (i32.add (local.get $pa3) (local.get $pairs)))))
                (local.set $s30 (f64x2.add (local.get $s30) (f64x2.mul (local.get $v) (f64x2.replace_lane 1 (f64x2.splat (local.get $t0)) (f64.const 0)))))
                (local.set $s31 (f64x2.add (local.get $s31) (f64x2.mul (local.get $v) (f64x2.replace_lane 1 (f64x2.splat (local.get $t1)) (f64.const 0)))))
              ))
            (local.set $po (i32.add (i32.add (local.get $out) (i32.mul (local.get $i) (local.get $outRow))) (i32.shl (local.get $j) (i32.const 3))))
            (f64.store (local.get $po) (call $hsum (local.get $s00)))
            (f64.store offset=8 (local.get $po) (call $hsum (local.get $s01)))
            (local.set $po (i32.add (local.get $po) (local.get $outRow)))
            (f64.store (local.get $po) (call $hsum (local.get $s10)))
            (f64.store offset=8 (local.get $po) (call $hsum (local.get $s11)))
            (local.set $po (i32.add (local.get $po) (local.get $outRow)))
            (f64.store (local.get $po) (call $hsum (local.get $s20)))
            (f64.store offset=8 (local.get $po) (call $hsum (local.get $s21)))
            (local.set $po (i32.add (local.get $po) (local.get $outRow)))
            (f64.store (local.get $po) (call $hsum (local.get $s30)))
            (f64.store offset=8 (local.get $po) (call $hsum (local.get $s31)))
            (local.set $i (i32.add (local.get $i) (i32.const 4)))
            (br $tiles)))
        ;; the last aRows % 4 rows of a against this pair
        (block $restDone
          (loop $rest
            (br_if $restDone (i32.ge_u (local.get $i) (local.get $aRows)))
            (local.set $pa0 (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $aRow))))
            (local.set $po (i32.add (i32.add (local.get $out) (i32.mul (local.get $i) (local.get $outRow))) (i32.shl (local.get $j) (i32.const 3))))
            (f64.store (local.get $po) (call $dot (local.get $pa0) (local.get $pb0) (local.get $depth)))
            (f64.store offset=8 (local.get $po) (call $dot (local.get $pa0) (local.get $pb1) (local.get $depth)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $rest)))
        (local.set $j (i32.add (local.get $j) (i32.const 2)))
        (br $pairsNext)))
    ;; an odd last row of b against every row of a
    (if (i32.lt_u (local.get $j) (local.get $bRows))
      (then
        (local.set $pb0 (i32.add (local.get $b) (i32.mul (local.get $j) (local.get $bRow))))
        (local.set $i (i32.const 0))
        (block $lastDone
          (loop $last
            (br_if $lastDone (i32.ge_u (local.get $i) (local.get $aRows)))
            (f64.store
              (i32.add (i32.add (local.get $out) (i32.mul (local.get $i) (local.get $outRow))) (i32.shl (local.get $j) (i32.const 3)))
              (call $dot (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $aRow))) (local.get $pb0) (local.get $depth)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $last))))))

  ;; y[o * width + c] = sum_{i in [lo[o], hi[o])} w[o * n + i] * x[rows[i] * stride + c] for o < outputs,
  ;; c < width; lo, hi and rows are i32 arrays. Blocks of 16 columns (8 accumulators), then of 2, then 1.
  (func (export "weightedRowSums")
    (param $w i32) (param $n i32) (param $lo i32) (param $hi i32) (param $outputs i32)
    (param $x i32) (param $rows i32) (param $stride i32) (param $width i32) (param $y i32)
    (local $o i32) (local $c i32) (local $i i32) (local $to i32) (local $wRow i32) (local $yRow i32)
    (local $xRow i32) (local $pc i32) (local $v v128) (local $s f64)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $a4 v128) (local $a5 v128) (local $a6 v128) (local $a7 v128)
    (local.set $xRow (i32.shl (local.get $stride) (i32.const 3)))
    (block $outputsDone
      (loop $outputsNext
        (br_if $outputsDone (i32.ge_u (local.get $o) (local.get $outputs)))
        (local.set $wRow (i32.add (local.get $w) (i32.shl (i32.mul (local.get $o) (local.get $n)) (i32.const 3))))
        (local.set $yRow (i32.add (local.get $y) (i32.shl (i32.mul (local.get $o) (local.get $width)) (i32.const 3))))
        (local.set $to (i32.load (i32.add (local.get $hi) (i32.shl (local.get $o) (i32.const 2)))))
        (local.set $c (i32.const 0))
        (block $wideDone
          (loop $wide
            (br_if $wideDone (i32.gt_u (i32.add (local.get $c) (i32.const 16)) (local.get $width)))
            (local.set $a0 (v128.const i64x2 0 0))
            (local.set $a1 (v128.const i64x2 0 0))
            (local.set $a2 (v128.const i64x2 0 0))
            (local.set $a3 (v128.const i64x2 0 0))
            (local.set $a4 (v128.const i64x2 0 0))
            (local.set $a5 (v128.const i64x2 0 0))
            (local.set $a6 (v128.const i64x2 0 0))
            (local.set $a7 (v128.const i64x2 0 0))
            (local.set $i (i32.load (i32.add (local.get $lo) (i32.shl (local.get $o) (i32.const 2)))))
            (block $termsDone
              (loop $terms
                (br_if $termsDone (i32.ge_u (local.get $i) (local.get $to)))
                (local.set $v (v128.load64_splat (i32.add (local.get $wRow) (i32.shl (local.get $i) (i32.const 3)))))
                (local.set $pc (i32.add (i32.add (local.get $x) (i32.mul (i32.load (i32.add (local.get $rows) (i32.shl (local.get $i) (i32.const 2)))) (local.get $xRow)))
                  (i32.shl (local.get $c) (i32.const 3))))
                (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (local.get $v) (v128.load (local.get $pc)))))
                (local.set $a1 (f64x2.add (local.get $a1) (f64x2.mul (local.get $v) (v128.load offset=16 (local.get $pc)))))
                (local.set $a2 (f64x2.add (local.get $a2) (f64x2.mul (local.get $v) (v128.load offset=32 (local.get $pc)))))
                (local.set $a3 (f64x2.add (local.get $a3) (f64x2.mul (local.get $v) (v128.load offset=48 (local.get $pc)))))
                (local.set $a4 (f64x2.add (local.get $a4) (f64x2.mul (local.get $v) (v128.load offset=64 (local.get $pc)))))
                (local.set $a5 (f64x2.add (local.get $a5) (f64x2.mul (local.get $v) (v128.load offset=80 (local.get $pc)))))
                (local.set $a6 (f64x2.add (local.get $a6) (f64x2.mul (local.get $v) (v128.load offset=96 (local.get $pc)))))
                (local.set $a7 (f64x2.add (local.get $a7) (f64x2.mul (local.get $v) (v128.load offset=112 (local.get $pc)))))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br $terms)))
            (local.set $pc (i32.add (local.get $yRow) (i32.shl (local.get $c) (i32.const 3))))
            (v128.store (local.get $pc) (local.get $a0))
            (v128.store offset=16 (local.get $pc) (local.get $a1))
            (v128.store offset=32 (local.get $pc) (local.get $a2))
            (v128.store offset=48 (local.get $pc) (local.get $a3))
            (v128.store offset=64 (local.get $pc) (local.get $a4))
            (v128.store offset=80 (local.get $pc) (local.get $a5))
            (v128.store offset=96 (local.get $pc) (local.get $a6))
            (v128.store offset=112 (local.get $pc) (local.get $a7))
            (local.set $c (i32.add (local.get $c) (i32.const 16)))
            (br $wide)))
        (block $pairsDone
          (loop $pairsNext
            (br_if $pairsDone (i32.gt_u (i32.add (local.get $c) (i32.const 2)) (local.get $width)))
            (local.set $a0 (v128.const i64x2 0 0))
            (local.set $i (i32.load (i32.add (local.get $lo) (i32.shl (local.get $o) (i32.const 2)))))
            (block $termsDone
              (loop $terms
                (br_if $termsDone (i32.ge_u (local.get $i) (local.get $to)))
                (local.set $pc (i32.add (i32.add (local.get $x) (i32.mul (i32.load (i32.add (local.get $rows) (i32.shl (local.get $i) (i32.const 2)))) (local.get $xRow)))
                  (i32.shl (local.get $c) (i32.const 3))))
                (local.set $a0 (f64x2.add (local.get $a0)
                  (f64x2.mul (v128.load64_splat (i32.add (local.get $wRow) (i32.shl (local.get $i) (i32.const 3)))) (v128.load (local.get $pc)))))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br $terms)))
            (v128.store (i32.add (local.get $yRow) (i32.shl (local.get $c) (i32.const 3))) (local.get $a0))
            (local.set $c (i32.add (local.get $c) (i32.const 2)))
            (br $pairsNext)))
        (if (i32.lt_u (local.get $c) (local.get $width))
          (then
            (local.set $s (f64.const 0))
            (local.set $i (i32.load (i32.add (local.get $lo) (i32.shl (local.get $o) (i32.const 2)))))
            (block $termsDone
              (loop $terms
                (br_if $termsDone (i32.ge_u (local.get $i) (local.get $to)))
                (local.set $s (f64.add (local.get $s)
                  (f64.mul (f64.load (i32.add (local.get $wRow) (i32.shl (local.get $i) (i32.const 3))))
                    (f64.load (i32.add (i32.add (local.get $x) (i32.mul (i32.load (i32.add (local.get $rows) (i32.shl (local.get $i) (i32.const 2)))) (local.get $xRow)))
                      (i32.shl (local.get $c) (i32.const 3)))))))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br $terms)))
            (f64.store (i32.add (local.get $yRow) (i32.shl (local.get $c) (i32.const 3))) (local.get $s))))
        (local.set $o (i32.add (local.get $o) (i32.const 1)))
        (br $outputsNext)))
  )
  ;; exp of both lanes, each <= 0, to about an ulp: e^x = 2^k e^r with k = round(x / ln 2), |r| <= ln(2) / 2,
  ;; e^r by its Taylor series to r^13 (the next term is below 1e-17). Lanes below -708 are taken at -708 (e^-708
  ;; is 3e-308: next to the softmax's largest term, 1, they are nothing either way).
  (func $expNonPositive (param $x v128) (result v128)
    (local $k v128) (local $r v128) (local $p v128)
    (local.set $x (f64x2.max (local.get $x) (f64x2.splat (f64.const -708))))
    (local.set $k (f64x2.nearest (f64x2.mul (local.get $x) (f64x2.splat (f64.const 1.4426950408889634)))))
    (local.set $r (f64x2.sub (f64x2.sub (local.get $x) (f64x2.mul (local.get $k) (f64x2.splat (f64.const 0.6931471803691238))))
      (f64x2.mul (local.get $k) (f64x2.splat (f64.const 1.9082149292705877e-10)))))
    (local.set $p (f64x2.splat (f64.const 1.6059043836821613e-10)))
    (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $r)) (f64x2.splat (f64.const 2.08767569878681e-09))))
    (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $r)) (f64x2.splat (f64.const 2.505210838544172e-08))))
    (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $r)) (f64x2.splat (f64.const 2.755731922398589e-07))))
    (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $r)) (f64x2.splat (f64.const 2.7557319223985893e-06))))
    (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $r)) (f64x2.splat (f64.const 2.48015873015873e-05))))
    (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $r)) (f64x2.splat (f64.const 0.0001984126984126984))))
    (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $r)) (f64x2.splat (f64.const 0.001388888888888889))))
    (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $r)) (f64x2.splat (f64.const 0.008333333333333333))))
    (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $r)) (f64x2.splat (f64.const 0.041666666666666664))))
    (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $r)) (f64x2.splat (f64.const 0.16666666666666666))))
    (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $r)) (f64x2.splat (f64.const 0.5))))
    (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $r)) (f64x2.splat (f64.const 1.0))))
    (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $r)) (f64x2.splat (f64.const 1.0))))
    ;; times 2^k, built from its exponent bits (k >= -1022: a normal number)
    (f64x2.mul (local.get $p)
      (i64x2.shl (i64x2.add (i64x2.extend_low_i32x4_s (i32x4.trunc_sat_f64x2_s_zero (local.get $k))) (i64x2.splat (i64.const 1023))) (i32.const 52))))

  ;; For each of `rows` rows of `tokens` logits l (row-major at `logits`, overwritten): s = l * scale + bias
  ;; (bias: `tokens` f64), then scores[t] += e^(s_t - max s) / sum_t e^(s_t - max s), the softmax of the row.
  (func (export "softmaxColumnSums") (param $logits i32) (param $rows i32) (param $tokens i32) (param $scale f64) (param $bias i32) (param $scores i32)
    (local $row i32) (local $q i32) (local $off i32) (local $pairs i32) (local $tail i32)
    (local $m v128) (local $s v128) (local $acc v128) (local $scaleV v128) (local $max f64) (local $t f64) (local $total f64)
    (local.set $scaleV (f64x2.splat (local.get $scale)))
    (local.set $pairs (i32.shl (i32.shr_u (local.get $tokens) (i32.const 1)) (i32.const 4)))
    (local.set $tail (i32.and (local.get $tokens) (i32.const 1)))
    (block $rowsDone
      (loop $rowsNext
        (br_if $rowsDone (i32.ge_u (local.get $q) (local.get $rows)))
        (local.set $row (i32.add (local.get $logits) (i32.shl (i32.mul (local.get $q) (local.get $tokens)) (i32.const 3))))
        ;; s and its maximum
        (local.set $m (f64x2.splat (f64.const -inf)))
        (local.set $off (i32.const 0))
        (block $done
          (loop $next
            (br_if $done (i32.ge_u (local.get $off) (local.get $pairs)))
            (local.set $s (f64x2.add (f64x2.mul (v128.load (i32.add (local.get $row) (local.get $off))) (local.get $scaleV))
              (v128.load (i32.add (local.get $bias) (local.get $off)))))
            (v128.store (i32.add (local.get $row) (local.get $off)) (local.get $s))
            (local.set $m (f64x2.max (local.get $m) (local.get $s)))
            (local.set $off (i32.add (local.get $off) (i32.const 16)))
            (br $next)))
        (local.set $max (f64.max (f64x2.extract_lane 0 (local.get $m)) (f64x2.extract_lane 1 (local.get $m))))
        (if (local.get $tail)
          (then
            (local.set $t (f64.add (f64.mul (f64.load (i32.add (local.get $row) (local.get $pairs))) (local.get $scale))
              (f64.load (i32.add (local.get $bias) (local.get $pairs)))))
            (f64.store (i32.add (local.get $row) (local.get $pairs)) (local.get $t))
            (local.set $max (f64.max (local.get $max) (local.get $t)))))
        ;; e = exp(s - max) and its sum
        (local.set $m (f64x2.splat (local.get $max)))
        (local.set $acc (v128.const i64x2 0 0))
        (local.set $off (i32.const 0))
        (block $done
          (loop $next
            (br_if $done (i32.ge_u (local.get $off) (local.get $pairs)))
            (local.set $s (call $expNonPositive (f64x2.sub (v128.load (i32.add (local.get $row) (local.get $off))) (local.get $m))))
            (v128.store (i32.add (local.get $row) (local.get $off)) (local.get $s))
            (local.set $acc (f64x2.add (local.get $acc) (local.get $s)))
            (local.set $off (i32.add (local.get $off) (i32.const 16)))
            (br $next)))
        (local.set $total (call $hsum (local.get $acc)))
        (if (local.get $tail)
          (then
            (local.set $t (f64x2.extract_lane 0
              (call $expNonPositive (f64x2.splat (f64.sub (f64.load (i32.add (local.get $row) (local.get $pairs))) (local.get $max))))))
            (f64.store (i32.add (local.get $row) (local.get $pairs)) (local.get $t))
            (local.set $total (f64.add (local.get $total) (local.get $t)))))
        ;; scores += e / total
        (local.set $m (f64x2.splat (local.get $total)))
        (local.set $off (i32.const 0))
        (block $done
          (loop $next
            (br_if $done (i32.ge_u (local.get $off) (local.get $pairs)))
            (v128.store (i32.add (local.get $scores) (local.get $off))
              (f64x2.add (v128.load (i32.add (local.get $scores) (local.get $off)))
                (f64x2.div (v128.load (i32.add (local.get $row) (local.get $off))) (local.get $m))))
            (local.set $off (i32.add (local.get $off) (i32.const 16)))
            (br $next)))
        (if (local.get $tail)
          (then
            (f64.store (i32.add (local.get $scores) (local.get $pairs))
              (f64.add (f64.load (i32.add (local.get $scores) (local.get $pairs)))
                (f64.div (f64.load (i32.add (local.get $row) (local.get $pairs))) (local.get $total))))))
        (local.set $q (i32.add (local.get $q) (i32.const 1)))
        (br $rowsNext)))
  )
)
