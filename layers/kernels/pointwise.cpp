#include "layers/kernels/pointwise.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "framework/core/parallel.hpp"

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

float sigmoid(float x) {
  return 1.0F / (1.0F + std::exp(-x));
}

float forward_one(PointwiseOp op, float x) {
  switch (op.fn) {
    case Pointwise::kLinear:
      return x;
    case Pointwise::kRelu:
      return std::max(x, 0.0F);
    case Pointwise::kSigmoid:
      return sigmoid(x);
    case Pointwise::kTanh:
      return std::tanh(x);
    case Pointwise::kElu:
      return x > 0.0F ? x : std::expm1(x);
    case Pointwise::kSelu:
      return kSeluScale * (x > 0.0F ? x : kSeluAlpha * std::expm1(x));
    case Pointwise::kGelu:  // exact (Keras' approximate=False): x * Phi(x)
      return 0.5F * x * (1.0F + std::erf(x * static_cast<float>(std::numbers::sqrt2 / 2)));
    case Pointwise::kSwish:
      return x * sigmoid(x);
    case Pointwise::kLeakyRelu:
      return x > 0.0F ? x : op.alpha * x;
  }
  return x;
}

float derivative(PointwiseOp op, float x, float y) {
  switch (op.fn) {
    case Pointwise::kLinear:
      return 1.0F;
    case Pointwise::kRelu:
      return x > 0.0F ? 1.0F : 0.0F;
    case Pointwise::kSigmoid:
      return y * (1.0F - y);
    case Pointwise::kTanh:
      return 1.0F - y * y;
    case Pointwise::kElu:
      return x > 0.0F ? 1.0F : y + 1.0F;
    case Pointwise::kSelu:
      return x > 0.0F ? kSeluScale : y + kSeluScale * kSeluAlpha;
    case Pointwise::kGelu: {
      const auto inv_sqrt_2pi = static_cast<float>(std::numbers::inv_sqrtpi / std::numbers::sqrt2);
      const float cdf = 0.5F * (1.0F + std::erf(x * static_cast<float>(std::numbers::sqrt2 / 2)));
      return cdf + x * inv_sqrt_2pi * std::exp(-0.5F * x * x);
    }
    case Pointwise::kSwish: {
      const float s = sigmoid(x);
      return s + x * s * (1.0F - s);
    }
    case Pointwise::kLeakyRelu:
      return x > 0.0F ? 1.0F : op.alpha;
  }
  return 1.0F;
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
  parallel_for(0, n, kChunk, [=](std::size_t first, std::size_t last) {
    for (std::size_t i = first; i < last; ++i) {
      y[i] = forward_one(op, x[i]);
    }
  });
}

void pointwise_backward(PointwiseOp op, const float* x, const float* y, const float* dy, float* dx,
                        std::size_t n) {
  parallel_for(0, n, kChunk, [=](std::size_t first, std::size_t last) {
    for (std::size_t i = first; i < last; ++i) {
      dx[i] = dy[i] * derivative(op, x[i], y[i]);
    }
  });
}

}  // namespace runner::kernels
