#pragma once
// Forward fusion between two layers: training-mode BatchNormalization of images sums its
// statistics per sample (kernels::batch_norm_sample_sums). A convolution before it that writes
// its output a chunk of samples at a time (Winograd) sums each chunk while that is in cache: one
// pass over the activations less, bitwise the same statistics.

namespace runner {

// Where the layer before writes the per-sample sums, and for how many samples it wrote them
// in the current training pass (0: none; the layer then sums them itself).
struct SampleSums {
  double* sums = nullptr;
  long batch = 0;
};

// Implemented by a layer whose statistics the layer before may sum.
class SuppliedStatistics {
 public:
  // on: where the layer before writes the sums of its training outputs (it sets `batch` after
  // each forward), or null when this layer takes none (its samples are not images). off: null.
  virtual SampleSums* supply_statistics(bool on) = 0;
  // Whether the layer before sums them now.
  [[nodiscard]] virtual bool statistics_supplied() const = 0;

 protected:
  ~SuppliedStatistics() = default;
};

}  // namespace runner
