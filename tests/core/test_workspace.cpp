#include <doctest/doctest.h>

#include <algorithm>

#include "framework/core/workspace.hpp"

namespace runner::test {

TEST_SUITE("workspace") {
  TEST_CASE("A workspace comes zeroed and a resize drops what was written") {
    Workspace w;
    CHECK(w.size() == 0);
    CHECK(w.data() == nullptr);
    w.resize(1 << 20);  // large enough for fresh pages from the kernel
    REQUIRE(w.size() == std::size_t{1} << 20);
    const auto zero = [](float v) { return v == 0.0F; };
    CHECK(std::all_of(w.span().begin(), w.span().end(), zero));
    std::fill(w.span().begin(), w.span().end(), 3.0F);
    w[7] = 1.0F;
    CHECK(w[7] == 1.0F);
    w.resize(1000);  // small: from the heap, where freed memory is reused
    CHECK(std::all_of(w.span().begin(), w.span().end(), zero));
    w.clear();
    CHECK(w.size() == 0);
  }
}

}  // namespace runner::test
