#pragma once
// Buffers handed out and taken back in an order known in advance, planned once: each request
// gets the free buffer of exactly its size returned last, or a new one. The one returned last
// is the likeliest still in cache; an exact size is never resized up, which would zero-fill.
#include <cstddef>
#include <vector>

namespace runner {

class BufferPlanner {
 public:
  // A buffer of `elements` floats nobody holds; its index.
  std::size_t take(std::size_t elements) {
    for (std::size_t k = free_.size(); k-- > 0;) {
      const std::size_t buffer = free_[k];
      if (sizes_[buffer] == elements) {
        free_.erase(free_.begin() + static_cast<std::ptrdiff_t>(k));
        return buffer;
      }
    }
    sizes_.push_back(elements);
    return sizes_.size() - 1;
  }
  void give_back(std::size_t buffer) { free_.push_back(buffer); }
  // Floats per buffer, by index.
  [[nodiscard]] const std::vector<std::size_t>& sizes() const { return sizes_; }

 private:
  std::vector<std::size_t> sizes_;
  std::vector<std::size_t> free_;  // returned last at the back
};

}  // namespace runner
