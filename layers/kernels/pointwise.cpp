#include "layers/kernels/pointwise.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>

#include "framework/core/parallel.hpp"
#include "layers/kernels/vector_exp.hpp"
#include "layers/kernels/vector_tanh.hpp"

namespace runner::kernels {

namespace {
// Keras' SELU constants (keras/activations.py).
constexpr float kSeluAlpha = 1.67326324F;
constexpr float kSeluScale = 1.05070098F;
constexpr std::size_t kChunk = 4096;

struct Named {
  std::string_view name;
  Pointwise fn;
};
constexpr Named kNamed[] = {{"linear", Pointwise::kLinear},
                            {"relu", Pointwise::kRelu},
                            {"sigmoid", Pointwise::kSigmoid},
                            {"tanh", Pointwise::kTanh},
                            {"elu", Pointwise::kElu},
                            {"selu", Pointwise::kSelu},
                            {"gelu", Pointwise::kGelu},
                            {"swish", Pointwise::kSwish},
                            {"leaky_relu", Pointwise::kLeakyRelu}};

constexpr float kInvSqrt2 = static_cast<float>(std::numbers::sqrt2 / 2);
const float kInvSqrt2Pi = static_cast<float>(std::numbers::inv_sqrtpi / std::numbers::sqrt2);

// Calls fn(first, count) on blocks of kLanes (count < kLanes for the last) of [0, n) in fixed
// chunks.
template <typename Fn>
void for_blocks(std::size_t n, const Fn& fn) {
  parallel_for(0, n, kChunk, [&](std::size_t first, std::size_t last) {
    std::size_t i = first;
    for (; i + kLanes <= last; i += kLanes) {
      fn(i, kLanes);
    }
    if (i < last) {
      fn(i, static_cast<int>(last - i));
    }
  });
}

// The transcendental part of each activation: exp(-x) (sigmoid, swish), tanh, expm1 (elu,
// selu), erf(x / sqrt 2) (gelu); the rest is plain arithmetic, where comparisons keep IEEE
// rules for NaN.
template <Pointwise F>
Vec transcendental(Vec x) {
  if constexpr (F == Pointwise::kSigmoid || F == Pointwise::kSwish) {
    return exp_vec(-x);
  } else if constexpr (F == Pointwise::kTanh) {
    return tanh_vec(x);
  } else if constexpr (F == Pointwise::kElu || F == Pointwise::kSelu) {
    return expm1_vec(x);
  } else if constexpr (F == Pointwise::kGelu) {
    return erf_vec(x * kInvSqrt2);
  } else {
    return x;
  }
}

template <Pointwise F>
Vec forward_vec(PointwiseOp op, Vec x) {
  [[maybe_unused]] const Vec t = transcendental<F>(x);
  const Vec zero{};
  if constexpr (F == Pointwise::kRelu) {
    return x > 0.0F ? x : zero;
  } else if constexpr (F == Pointwise::kSigmoid) {
    return 1.0F / (1.0F + t);
  } else if constexpr (F == Pointwise::kTanh) {
    return t;
  } else if constexpr (F == Pointwise::kElu) {
    return x > 0.0F ? x : t;
  } else if constexpr (F == Pointwise::kSelu) {
    return kSeluScale * (x > 0.0F ? x : kSeluAlpha * t);
  } else if constexpr (F == Pointwise::kGelu) {  // exact (approximate=False): x * Phi(x)
    return 0.5F * x * (1.0F + t);
  } else if constexpr (F == Pointwise::kSwish) {
    return x / (1.0F + t);
  } else if constexpr (F == Pointwise::kLeakyRelu) {
    return x > 0.0F ? x : op.alpha * x;
  } else {
    return x;
  }
}

// f'(x) from x and y = f(x).
template <Pointwise F>
Vec derivative_vec(PointwiseOp op, Vec x, Vec y) {
  const Vec one = Vec{} + 1.0F;
  const Vec zero{};
  if constexpr (F == Pointwise::kRelu) {
    return x > 0.0F ? one : zero;
  } else if constexpr (F == Pointwise::kSigmoid) {
    return y * (1.0F - y);
  } else if constexpr (F == Pointwise::kTanh) {
    return 1.0F - y * y;
  } else if constexpr (F == Pointwise::kElu) {
    return x > 0.0F ? one : y + 1.0F;
  } else if constexpr (F == Pointwise::kSelu) {
    return x > 0.0F ? one * kSeluScale : y + kSeluScale * kSeluAlpha;
  } else if constexpr (F == Pointwise::kGelu) {
    Vec gaussian;  // exp(-x^2 / 2)
    const Vec erf = erf_vec(x * kInvSqrt2, &gaussian);
    return 0.5F * (1.0F + erf) + x * kInvSqrt2Pi * gaussian;
  } else if constexpr (F == Pointwise::kSwish) {
    const Vec s = 1.0F / (1.0F + transcendental<F>(x));
    return s + x * s * (1.0F - s);
  } else if constexpr (F == Pointwise::kLeakyRelu) {
    return x > 0.0F ? one : one * op.alpha;
  } else {
    return one;
  }
}

// Blocks of kLanes values; a partial last block is zero padded, so every value takes the same
// path whatever its place.
template <Pointwise F>
void forward_block(PointwiseOp op, const float* x, float* y, int count) {
  if (count == kLanes) {
    store_full(forward_vec<F>(op, load_full(x)), y);
  } else {
    store_lanes(forward_vec<F>(op, load_lanes(x, count)), count, y);
  }
}

template <Pointwise F>
void forward_impl(PointwiseOp op, const float* x, float* y, std::size_t n) {
  for_blocks(n, [&](std::size_t i, int count) { forward_block<F>(op, x + i, y + i, count); });
}

template <Pointwise F>
void forward_here_impl(PointwiseOp op, const float* x, float* y, std::size_t n) {
  std::size_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    forward_block<F>(op, x + i, y + i, kLanes);
  }
  if (i < n) {
    forward_block<F>(op, x + i, y + i, static_cast<int>(n - i));
  }
}

template <Pointwise F>
void backward_block(PointwiseOp op, const float* x, const float* y, const float* dy, float* dx,
                    int count) {
  const Vec d = derivative_vec<F>(op, load_lanes(x, count), load_lanes(y, count));
  store_lanes(load_lanes(dy, count) * d, count, dx);
}

template <Pointwise F>
void backward_impl(PointwiseOp op, const float* x, const float* y, const float* dy, float* dx,
                   std::size_t n) {
  for_blocks(n, [&](std::size_t i, int count) {
    backward_block<F>(op, x + i, y + i, dy + i, dx + i, count);
  });
}

template <Pointwise F>
void backward_here_impl(PointwiseOp op, const float* x, const float* y, const float* dy, float* dx,
                        std::size_t n) {
  for (std::size_t i = 0; i < n; i += kLanes) {
    const int count = static_cast<int>(std::min<std::size_t>(kLanes, n - i));
    backward_block<F>(op, x + i, y + i, dy + i, dx + i, count);
  }
}

template <Pointwise F>
void backward_from_output_here_impl(PointwiseOp op, const float* y, const float* dy, float* dx,
                                    std::size_t n) {
  if constexpr (F == Pointwise::kGelu || F == Pointwise::kSwish) {
    throw std::logic_error("gelu's and swish's derivatives need x, not only y");
  } else {
    // y stands for x: only its sign is read, and it is x's for these functions.
    std::size_t i = 0;
    for (; i + kLanes <= n; i += kLanes) {
      const Vec yv = load_full(y + i);
      store_full(load_full(dy + i) * derivative_vec<F>(op, yv, yv), dx + i);
    }
    if (i < n) {
      const int count = static_cast<int>(n - i);
      const Vec yv = load_lanes(y + i, count);
      store_lanes(load_lanes(dy + i, count) * derivative_vec<F>(op, yv, yv), count, dx + i);
    }
  }
}

// Calls body.template operator()<F>() for op's function F (one switch, outside every loop).
template <typename Body>
void dispatch(Pointwise fn, const Body& body) {
  switch (fn) {
    case Pointwise::kLinear:
      return body.template operator()<Pointwise::kLinear>();
    case Pointwise::kRelu:
      return body.template operator()<Pointwise::kRelu>();
    case Pointwise::kSigmoid:
      return body.template operator()<Pointwise::kSigmoid>();
    case Pointwise::kTanh:
      return body.template operator()<Pointwise::kTanh>();
    case Pointwise::kElu:
      return body.template operator()<Pointwise::kElu>();
    case Pointwise::kSelu:
      return body.template operator()<Pointwise::kSelu>();
    case Pointwise::kGelu:
      return body.template operator()<Pointwise::kGelu>();
    case Pointwise::kSwish:
      return body.template operator()<Pointwise::kSwish>();
    case Pointwise::kLeakyRelu:
      return body.template operator()<Pointwise::kLeakyRelu>();
  }
}
}  // namespace

std::optional<Pointwise> parse_pointwise(std::string_view name) {
  for (const auto& n : kNamed) {
    if (n.name == name) {
      return n.fn;
    }
  }
  return std::nullopt;
}

const std::vector<std::string>& pointwise_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& n : kNamed) {
      out.emplace_back(n.name);
    }
    return out;
  }();
  return names;
}

void pointwise_forward(PointwiseOp op, const float* x, float* y, std::size_t n) {
  dispatch(op.fn, [&]<Pointwise F>() { forward_impl<F>(op, x, y, n); });
}

void pointwise_forward_here(PointwiseOp op, const float* x, float* y, std::size_t n) {
  dispatch(op.fn, [&]<Pointwise F>() { forward_here_impl<F>(op, x, y, n); });
}

void pointwise_backward(PointwiseOp op, const float* x, const float* y, const float* dy, float* dx,
                        std::size_t n) {
  dispatch(op.fn, [&]<Pointwise F>() { backward_impl<F>(op, x, y, dy, dx, n); });
}

void pointwise_backward_here(PointwiseOp op, const float* x, const float* y, const float* dy,
                             float* dx, std::size_t n) {
  dispatch(op.fn, [&]<Pointwise F>() { backward_here_impl<F>(op, x, y, dy, dx, n); });
}

void pointwise_backward_from_output_here(PointwiseOp op, const float* y, const float* dy, float* dx,
                                         std::size_t n) {
  dispatch(op.fn, [&]<Pointwise F>() { backward_from_output_here_impl<F>(op, y, dy, dx, n); });
}

}  // namespace runner::kernels
