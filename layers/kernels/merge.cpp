#include "layers/kernels/merge.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include "framework/core/parallel.hpp"

namespace runner::kernels {

namespace {
constexpr std::size_t kElementsPerTask = 16384;
constexpr std::size_t kElementsPerBlock = 2048;
constexpr std::size_t kMaxRank = 8;

// Each input's step per output dimension: 0 where it is repeated.
struct Strides {
  std::size_t rank = 0;
  std::int64_t out_dims[kMaxRank] = {};
  std::int64_t out_strides[kMaxRank] = {};
  std::vector<std::array<std::int64_t, kMaxRank>> in;
  bool all_full = true;  // no input is repeated anywhere: flat loops
};

Strides strides_of(const ElementwiseMergeArgs& a) {
  Strides s;
  s.rank = a.output_dims.size();
  std::int64_t step = 1;
  for (std::size_t d = s.rank; d-- > 0;) {
    s.out_dims[d] = a.output_dims[d];
    s.out_strides[d] = step;
    step *= a.output_dims[d];
  }
  for (const MergeInput& input : a.inputs) {
    std::array<std::int64_t, kMaxRank> in{};
    std::int64_t in_step = 1;
    for (std::size_t d = s.rank; d-- > 0;) {
      const std::int64_t dim = input.dims[d];
      in[d] = dim == a.output_dims[d] ? in_step : 0;
      s.all_full = s.all_full && dim == a.output_dims[d];
      in_step *= dim;
    }
    s.in.push_back(in);
  }
  return s;
}

std::int64_t element_count(const std::vector<std::int64_t>& dims) {
  std::int64_t n = 1;
  for (const auto d : dims) {
    n *= d;
  }
  return n;
}

// Offset in input k of output element `o`.
std::int64_t offset_in(const Strides& s, std::size_t k, std::int64_t o) {
  std::int64_t offset = 0;
  for (std::size_t d = 0; d < s.rank; ++d) {
    const std::int64_t coordinate = (o / s.out_strides[d]) % s.out_dims[d];
    offset += coordinate * s.in[k][d];
  }
  return offset;
}

// Calls fn with the binary operation of `op` as a function object (acc, x) -> acc op x.
template <typename Fn>
void with_operation(ElementwiseMerge op, const Fn& fn) {
  switch (op) {
    case ElementwiseMerge::kAdd:
    case ElementwiseMerge::kAverage:
      return fn([](float acc, float x) { return acc + x; });
    case ElementwiseMerge::kSubtract:
      return fn([](float acc, float x) { return acc - x; });
    case ElementwiseMerge::kMultiply:
      return fn([](float acc, float x) { return acc * x; });
    case ElementwiseMerge::kMaximum:
      return fn([](float acc, float x) { return acc >= x ? acc : x; });
    case ElementwiseMerge::kMinimum:
      return fn([](float acc, float x) { return acc <= x ? acc : x; });
  }
}

float combine(ElementwiseMerge op, float acc, float x) {
  float out = acc;
  with_operation(op, [&](auto f) { out = f(acc, x); });
  return out;
}

// The values of every input at output element o.
std::span<const float> values_at(const ElementwiseMergeArgs& a, const Strides& s, std::int64_t o,
                                 std::array<float, kMaxMergeInputs>& values) {
  for (std::size_t k = 0; k < a.inputs.size(); ++k) {
    values[k] = a.inputs[k].data[s.all_full ? o : offset_in(s, k, o)];
  }
  return std::span<const float>(values.data(), a.inputs.size());
}

// d(out)/d(input k) at output element o times g.
float local_gradient(ElementwiseMerge op, std::span<const float> values, std::size_t k, float g) {
  switch (op) {
    case ElementwiseMerge::kAdd:
      return g;
    case ElementwiseMerge::kSubtract:
      return k == 0 ? g : -g;
    case ElementwiseMerge::kAverage:
      return g / static_cast<float>(values.size());
    case ElementwiseMerge::kMultiply: {
      float product = g;
      for (std::size_t j = 0; j < values.size(); ++j) {
        product = j == k ? product : product * values[j];
      }
      return product;
    }
    case ElementwiseMerge::kMaximum:
    case ElementwiseMerge::kMinimum: {
      std::size_t winner = 0;
      for (std::size_t j = 1; j < values.size(); ++j) {
        const bool better = op == ElementwiseMerge::kMaximum ? values[j] > values[winner]
                                                             : values[j] < values[winner];
        winner = better ? j : winner;
      }
      return winner == k ? g : 0.0F;
    }
  }
  return 0.0F;
}

// ReLU's value and derivative, as its kernel computes them (layers/kernels/pointwise.cpp).
float relu(float x) {
  return x > 0.0F ? x : 0.0F;
}
float relu_gradient(float y, float g) {
  return g * (y > 0.0F ? 1.0F : 0.0F);
}

// The merged value's gradient at output element o: through the fused ReLU when there is one.
float gradient_at(const ElementwiseMergeArgs& a, const float* out, const float* grad_out,
                  std::size_t o) {
  return a.relu ? relu_gradient(out[o], grad_out[o]) : grad_out[o];
}

// out[begin, end) = x0 op x1 op ... for inputs of the output's shape: the first two inputs in
// one pass (no copy of the first), then one pass per further input. One loop per operation,
// so each vectorizes.
void full_inputs_block(const ElementwiseMergeArgs& a, std::size_t begin, std::size_t end,
                       float* __restrict out) {
  const float* __restrict x0 = a.inputs[0].data;
  if (a.inputs.size() == 1) {
    std::copy(x0 + begin, x0 + end, out + begin);
    return;
  }
  with_operation(a.op, [&](auto op) {
    const float* __restrict x1 = a.inputs[1].data;
    for (std::size_t o = begin; o < end; ++o) {
      out[o] = op(x0[o], x1[o]);
    }
    for (std::size_t k = 2; k < a.inputs.size(); ++k) {
      const float* __restrict x = a.inputs[k].data;
      for (std::size_t o = begin; o < end; ++o) {
        out[o] = op(out[o], x[o]);
      }
    }
  });
}
}  // namespace

void merge_forward(const ElementwiseMergeArgs& a, float* out) {
  const Strides s = strides_of(a);
  const auto n = static_cast<std::size_t>(element_count(a.output_dims));
  const float count = static_cast<float>(a.inputs.size());
  parallel_for(0, n, kElementsPerTask, [&](std::size_t first, std::size_t last) {
    // Blocks that stay in L1 between the passes over them (one per further input, the
    // average's division, the ReLU).
    for (std::size_t begin = first; begin < last; begin += kElementsPerBlock) {
      const std::size_t end = std::min(last, begin + kElementsPerBlock);
      if (s.all_full) {
        full_inputs_block(a, begin, end, out);
      } else {
        for (std::size_t o = begin; o < end; ++o) {
          float acc = a.inputs[0].data[offset_in(s, 0, static_cast<std::int64_t>(o))];
          for (std::size_t k = 1; k < a.inputs.size(); ++k) {
            acc =
                combine(a.op, acc, a.inputs[k].data[offset_in(s, k, static_cast<std::int64_t>(o))]);
          }
          out[o] = acc;
        }
      }
      if (a.op == ElementwiseMerge::kAverage) {
        for (std::size_t o = begin; o < end; ++o) {
          out[o] /= count;
        }
      }
      if (a.relu) {
        for (std::size_t o = begin; o < end; ++o) {
          out[o] = relu(out[o]);
        }
      }
    }
  });
}

bool passes_gradient_through(const ElementwiseMergeArgs& a, std::size_t k) {
  return (a.op == ElementwiseMerge::kAdd || (a.op == ElementwiseMerge::kSubtract && k == 0)) &&
         element_count(a.inputs[k].dims) == element_count(a.output_dims);
}

void merge_backward_shared(const ElementwiseMergeArgs& a, const float* out, const float* grad_out,
                           std::span<float* const> grad_ins) {
  const auto n = static_cast<std::size_t>(element_count(a.output_dims));
  parallel_for(0, n, kElementsPerTask, [&](std::size_t first, std::size_t last) {
    // Blocks of the values in cache, then copied to each input's gradient.
    for (std::size_t b = first; b < last; b += kElementsPerBlock) {
      const std::size_t end = std::min(last, b + kElementsPerBlock);
      float* head = grad_ins[0];
      if (a.relu) {
        for (std::size_t o = b; o < end; ++o) {
          head[o] = relu_gradient(out[o], grad_out[o]);
        }
      } else {
        std::copy(grad_out + b, grad_out + end, head + b);
      }
      for (std::size_t i = 1; i < grad_ins.size(); ++i) {
        std::copy(head + b, head + end, grad_ins[i] + b);
      }
    }
  });
}

void merge_backward(const ElementwiseMergeArgs& a, const float* out, const float* grad_out,
                    std::size_t k, float* grad_in) {
  if (passes_gradient_through(a, k)) {
    merge_backward_shared(a, out, grad_out, {&grad_in, 1});
    return;
  }
  const Strides s = strides_of(a);
  const auto n_in = static_cast<std::size_t>(element_count(a.inputs[k].dims));
  if (element_count(a.inputs[k].dims) == element_count(a.output_dims)) {
    // One output element per input element.
    parallel_for(0, n_in, kElementsPerTask, [&](std::size_t first, std::size_t last) {
      std::array<float, kMaxMergeInputs> values{};
      for (std::size_t o = first; o < last; ++o) {
        const auto at = static_cast<std::int64_t>(o);
        grad_in[o] =
            local_gradient(a.op, values_at(a, s, at, values), k, gradient_at(a, out, grad_out, o));
      }
    });
    return;
  }
  // A repeated input: each of its elements sums, in output order, the output elements it went
  // to (the dimensions it repeats along, walked like an odometer). Chunks own input elements.
  const std::array<std::int64_t, kMaxRank>& in = s.in[k];
  parallel_for(0, n_in, 256, [&](std::size_t first, std::size_t last) {
    std::array<float, kMaxMergeInputs> values{};
    for (std::size_t e = first; e < last; ++e) {
      // The first output element e went to: its coordinates where it is not repeated.
      std::int64_t base = 0;
      std::int64_t rest = static_cast<std::int64_t>(e);
      for (std::size_t d = s.rank; d-- > 0;) {
        if (in[d] != 0) {
          const std::int64_t dim = a.inputs[k].dims[d];
          base += (rest % dim) * s.out_strides[d];
          rest /= dim;
        }
      }
      std::int64_t counter[kMaxRank] = {};
      float sum = 0.0F;
      while (true) {
        std::int64_t o = base;
        for (std::size_t d = 0; d < s.rank; ++d) {
          o += counter[d] * s.out_strides[d];
        }
        sum += local_gradient(a.op, values_at(a, s, o, values), k,
                              gradient_at(a, out, grad_out, static_cast<std::size_t>(o)));
        std::size_t d = s.rank;
        while (d-- > 0) {
          if (in[d] != 0) {
            continue;  // not a repeated dimension
          }
          if (++counter[d] < s.out_dims[d]) {
            break;
          }
          counter[d] = 0;
        }
        if (d == static_cast<std::size_t>(-1)) {
          break;
        }
      }
      grad_in[e] = sum;
    }
  });
}

void concat_forward(const ConcatArgs& a, std::span<const float* const> inputs, float* out) {
  std::int64_t total = 0;
  for (const auto w : a.widths) {
    total += w;
  }
  parallel_for(0, static_cast<std::size_t>(a.outer), 64, [&](std::size_t first, std::size_t last) {
    for (std::size_t row = first; row < last; ++row) {
      float* dst = out + static_cast<std::int64_t>(row) * total;
      for (std::size_t k = 0; k < inputs.size(); ++k) {
        const std::int64_t w = a.widths[k];
        std::memcpy(dst, inputs[k] + static_cast<std::int64_t>(row) * w,
                    static_cast<std::size_t>(w) * sizeof(float));
        dst += w;
      }
    }
  });
}

void concat_backward(const ConcatArgs& a, const float* grad_out,
                     std::span<float* const> grad_inputs) {
  std::int64_t total = 0;
  for (const auto w : a.widths) {
    total += w;
  }
  parallel_for(0, static_cast<std::size_t>(a.outer), 64, [&](std::size_t first, std::size_t last) {
    for (std::size_t row = first; row < last; ++row) {
      const float* src = grad_out + static_cast<std::int64_t>(row) * total;
      for (std::size_t k = 0; k < grad_inputs.size(); ++k) {
        const std::int64_t w = a.widths[k];
        if (grad_inputs[k] != nullptr) {
          std::memcpy(grad_inputs[k] + static_cast<std::int64_t>(row) * w, src,
                      static_cast<std::size_t>(w) * sizeof(float));
        }
        src += w;
      }
    }
  });
}

}  // namespace runner::kernels
