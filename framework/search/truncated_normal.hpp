#pragma once
// The standard normal truncated to [a, b], in log space where the tails need it (the Parzen
// estimators of TPE evaluate kernels far from their centres).
namespace runner::truncated_normal {

// log(Phi(x)), accurate far into the lower tail.
double log_ndtr(double x);
// log(Phi(b) - Phi(a)) for a <= b.
double log_gauss_mass(double a, double b);
// Phi^-1(p) for p in (0, 1).
double ndtri(double p);
// The quantile q in [0, 1] of the standard normal truncated to [a, b].
double ppf(double q, double a, double b);
// log density at x of N(loc, scale) truncated to [loc + a*scale, loc + b*scale].
double log_pdf(double x, double a, double b, double loc, double scale);

}  // namespace runner::truncated_normal
