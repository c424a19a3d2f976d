// Keras' Precision: true positives / predicted positives (binary_outcomes.hpp).
#include "framework/nn/metrics/binary_outcomes.hpp"

namespace runner {

namespace {
using Precision = ThresholdRate<Rate::kPrecision>;
}  // namespace
RUNNER_REGISTER_METRIC(Precision);

}  // namespace runner
