#include "framework/search/truncated_normal.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

namespace runner::truncated_normal {

namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();
const double kLogSqrt2Pi = 0.5 * std::log(2 * std::numbers::pi);

double ndtr(double x) {
  return 0.5 * std::erfc(-x / std::numbers::sqrt2);
}

// log(1 - exp(x)) for x < 0, without cancellation.
double log1mexp(double x) {
  return x > -std::numbers::ln2 ? std::log(-std::expm1(x)) : std::log1p(-std::exp(x));
}
}  // namespace

double log_ndtr(double x) {
  if (x > 6) {
    return std::log1p(-ndtr(-x));
  }
  if (x > -20) {
    return std::log(ndtr(x));
  }
  // Asymptotic series: Phi(x) = phi(x)/(-x) * (1 - 1/x^2 + 3/x^4 - 15/x^6 ...).
  const double x2 = x * x;
  const double series = 1 - 1 / x2 + 3 / (x2 * x2) - 15 / (x2 * x2 * x2);
  return -0.5 * x2 - kLogSqrt2Pi - std::log(-x) + std::log(series);
}

double log_gauss_mass(double a, double b) {
  if (b <= 0) {  // both in the lower tail: log(Phi(b)) + log(1 - Phi(a)/Phi(b))
    const double lb = log_ndtr(b);
    return lb + log1mexp(log_ndtr(a) - lb);
  }
  if (a >= 0) {  // mirror into the lower tail
    return log_gauss_mass(-b, -a);
  }
  // Around the centre: 1 - Phi(a) - Phi(-b).
  return std::log1p(-ndtr(a) - ndtr(-b));
}

double ndtri(double p) {
  if (p <= 0) {
    return -kInf;
  }
  if (p >= 1) {
    return kInf;
  }
  // Acklam's rational approximation (relative error 1.15e-9), then one Halley step on erfc.
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                                 -2.759285104469687e+02, 1.383577518672690e+02,
                                 -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                                 -1.556989798598866e+02, 6.680131188771972e+01,
                                 -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                                 -2.400758277161838e+00, -2.549732539343734e+00,
                                 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                                 2.445134137142996e+00, 3.754408661907416e+00};
  constexpr double kLow = 0.02425;
  double x = 0;
  if (p < kLow) {
    const double q = std::sqrt(-2 * std::log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p <= 1 - kLow) {
    const double q = p - 0.5;
    const double r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    const double q = std::sqrt(-2 * std::log1p(-p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  const double e = ndtr(x) - p;
  const double u = e * std::sqrt(2 * std::numbers::pi) * std::exp(x * x / 2);
  return x - u / (1 + x * u / 2);
}

double ppf(double q, double a, double b) {
  if (a > 0) {  // sample the mirrored interval, where the mass is not rounded away
    return -ppf(1 - q, -b, -a);
  }
  const double pa = ndtr(a);
  const double pb = ndtr(b);
  double x = 0;
  if (pb - pa > 1e-300) {
    x = ndtri(pa + q * (pb - pa));
  } else {  // deep in the tail: the interval's lower end is as good as any point of it
    x = a;
  }
  return std::clamp(x, a, b);
}

double log_pdf(double x, double a, double b, double loc, double scale) {
  const double z = (x - loc) / scale;
  if (z < a || z > b) {
    return -kInf;
  }
  return -0.5 * z * z - kLogSqrt2Pi - std::log(scale) - log_gauss_mass(a, b);
}

}  // namespace runner::truncated_normal
