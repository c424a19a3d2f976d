#pragma once
// Scratch floats a layer sizes in prepare() for its largest batch. Zeroed like a vector's, but
// by calloc, which takes fresh pages from the kernel instead of writing zeros: only the pages a
// pass writes become resident, so buffers sized for inference at batch 256 cost training at
// batch 32 an eighth of them (std::vector::resize writes every zero and keeps them all).
#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>
#include <span>

namespace runner {

class Workspace {
 public:
  // Zeroed floats; the old contents are dropped even when the size is unchanged.
  void resize(std::size_t n) {
    float* fresh = n == 0 ? nullptr : static_cast<float*>(std::calloc(n, sizeof(float)));
    if (n != 0 && fresh == nullptr) {
      throw std::bad_alloc();
    }
    data_.reset(fresh);
    size_ = n;
  }
  void clear() { resize(0); }

  [[nodiscard]] float* data() { return data_.get(); }
  [[nodiscard]] const float* data() const { return data_.get(); }
  [[nodiscard]] std::size_t size() const { return size_; }
  [[nodiscard]] std::span<float> span() { return {data_.get(), size_}; }
  [[nodiscard]] float& operator[](std::size_t i) { return data_.get()[i]; }
  [[nodiscard]] float operator[](std::size_t i) const { return data_.get()[i]; }

 private:
  struct Free {
    void operator()(float* p) const { std::free(p); }
  };
  std::unique_ptr<float, Free> data_;
  std::size_t size_ = 0;
};

}  // namespace runner
