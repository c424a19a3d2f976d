#!/usr/bin/python3
"""Coefficients of the rational tanh in layers/kernels/vector_tanh.cpp.

tanh(x) ~ x * P(x^2) / Q(x^2) with P and Q of degree 4 and P(0) = Q(0) = 1 (so a tiny x comes
back unchanged), fitted on |x| <= 9.02 (tanh rounds to 1 in float from 9.011). The kernel
clamps x to [-9, 9] and the result to [-1, 1]: the script checks that x = 9 evaluates to 1 or
more, so that every |x| >= 9 gives exactly 1. The near-minimax
relative error comes from Lawson's iteration on a linearized least-squares problem: each pass
solves x*P - t*Q = 0 weighted by 1/(t*Q_previous), then multiplies every point's weight by its
error, which drives the fit towards equal ripples. It prints the coefficients rounded to float
and the error of the float evaluation (the C++ code's operation order; each Horner step fused
into one multiply-add, as GCC compiles it for FMA hardware, or rounded twice, as without FMA) on
every 97th float in (0, 9.5].
Run: /usr/bin/python3 tests/reference/tanh_rational.py
"""
import numpy as np

DEGREE = 4
FIT_END = 9.02
SATURATION = 9.0
ITERATIONS = 100


def fit():
    x = np.concatenate([np.linspace(1e-4, FIT_END, 20000), np.geomspace(1e-4, 0.5, 2000)])
    t, s = np.tanh(x), x * x
    powers = np.stack([s**k for k in range(1, DEGREE + 1)], 1)
    design = np.concatenate([x[:, None] * powers, -t[:, None] * powers], 1)
    weight, q_previous = np.ones_like(x), np.ones_like(x)
    best = None
    for _ in range(ITERATIONS):
        scale = np.sqrt(weight) / (t * q_previous)
        c, *_ = np.linalg.lstsq(design * scale[:, None], (t - x) * scale, rcond=None)
        p = np.concatenate([[1.0], c[:DEGREE]])
        q = np.concatenate([[1.0], c[DEGREE:]])
        q_previous = np.polyval(q[::-1], s)
        error = np.abs((x * np.polyval(p[::-1], s) / q_previous - t) / t)
        if best is None or error.max() < best[0]:
            best = (error.max(), p, q)
        weight = weight * error
        weight /= weight.sum()
    return best[1].astype(np.float32), best[2].astype(np.float32)


def float_tanh(p, q, x, fused):
    def step(acc, s, c):
        if fused:  # a float product is exact in double: one rounding, as an FMA
            return (acc.astype(np.float64) * s + np.float64(c)).astype(np.float32)
        return acc * s + c

    x = np.minimum(x, np.float32(SATURATION))
    s = x * x
    num, den = np.full_like(s, p[-1]), np.full_like(s, q[-1])
    for a, b in zip(p[-2::-1], q[-2::-1]):
        num, den = step(num, s, a), step(den, s, b)
    return x * num / den


def main():
    p, q = fit()
    print("P:", ", ".join(f"{v:.9e}F" for v in p))
    print("Q:", ", ".join(f"{v:.9e}F" for v in q))
    bits = np.arange(1, np.float32(9.5).view(np.int32), 97, dtype=np.int32)
    x = bits.view(np.float32)
    exact = np.tanh(x.astype(np.float64))
    for fused in (True, False):
        at_saturation = float_tanh(p, q, np.array([SATURATION], np.float32), fused)[0]
        assert at_saturation >= 1, at_saturation
        ulps = np.abs(np.minimum(float_tanh(p, q, x, fused), 1) - exact) / np.spacing(exact.astype(np.float32))
        print(f"{'with' if fused else 'without'} FMA: max error {ulps.max():.2f} ulp at "
              f"x = {x[ulps.argmax()]:.6g}, mean {ulps.mean():.3f}")


if __name__ == "__main__":
    main()
