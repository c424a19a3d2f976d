// Keras' Recall: true positives / actual positives (binary_outcomes.hpp).
#include "framework/nn/metrics/binary_outcomes.hpp"

namespace runner {

namespace {
using Recall = ThresholdRate<Rate::kRecall>;
}  // namespace
RUNNER_REGISTER_METRIC(Recall);

}  // namespace runner
