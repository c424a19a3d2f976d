#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "framework/core/text_table.hpp"

namespace runner::test {

namespace {
TextTable runs() {
  TextTable t;
  t.columns = {{"run", true, 100},           {"status", true, 90},
               {"best_val_loss", false, 90}, {"root_mean_squared_error", false, 30},
               {"val_accuracy", false, 60},  {"s/epoch", false, 20}};
  t.rows = {{"trial-a", "complete", "0.3364", "12.5000", "0.8812", "3.10"},
            {"trial-b", "failed", "-", "-", "-", "-"}};
  return t;
}

std::size_t widest_line(const std::string& text) {
  std::istringstream in(text);
  std::size_t widest = 0;
  for (std::string line; std::getline(in, line);) {
    widest = std::max(widest, line.size());
  }
  return widest;
}
}  // namespace

TEST_SUITE("core") {
  TEST_CASE("A table that fits is printed whole with text left and numbers right") {
    CHECK(render_text_table(runs(), 0, "") ==
          "run      status    best_val_loss  root_mean_squared_error  val_accuracy  s/epoch\n"
          "trial-a  complete         0.3364                  12.5000        0.8812     3.10\n"
          "trial-b  failed                -                        -             -        -\n");
    CHECK(render_text_table(runs(), 200, "") == render_text_table(runs(), 0, ""));
  }

  TEST_CASE("A narrow table breaks long headers before it leaves columns out") {
    // 79 characters with one-line headers, 58 with headers longer than their column broken.
    const std::string broken = render_text_table(runs(), 60, "csv has all");
    CHECK(broken ==
          "                      best_     root_mean_      val_     s/\n"
          "run      status    val_loss  squared_error  accuracy  epoch\n"
          "trial-a  complete    0.3364        12.5000    0.8812   3.10\n"
          "trial-b  failed           -              -         -      -\n");
    CHECK(widest_line(broken) <= 60);
  }

  TEST_CASE("Columns are left out least important first and the note names them") {
    // At 52 leaving out s/epoch (the least important) is enough.
    const std::string out = render_text_table(runs(), 52, "csv");
    CHECK(out.ends_with("(1 column left out to fit 52 characters: s/epoch;\ncsv)\n"));
    CHECK(widest_line(out) <= 52);
    // At 45 root_mean_squared_error must go too; then s/epoch fits again and comes back.
    const std::string back = render_text_table(runs(), 45, "--format csv shows every column");
    CHECK(back ==
          "                      best_      val_     s/\n"
          "run      status    val_loss  accuracy  epoch\n"
          "trial-a  complete    0.3364    0.8812   3.10\n"
          "trial-b  failed           -         -      -\n"
          "(1 column left out to fit 45 characters:\n"
          "root_mean_squared_error; --format csv shows\n"
          "every column)\n");
    CHECK(widest_line(back) <= 45);
    // Too narrow for anything but the most important column.
    CHECK(render_text_table(runs(), 5, "csv").starts_with("run\ntrial-a\ntrial-b\n(5\ncolumns"));
  }

  TEST_CASE("Key paths keep their last two parts and more where two would be the same") {
    CHECK(
        short_key_names({"model.layers.conv2d.filters", "model.layers.conv2d_1.filters",
                         "model.layers.dropout.rate", "compile.optimizer.learning_rate", "seed"}) ==
        std::vector<std::string>{"conv2d.filters", "conv2d_1.filters", "dropout.rate",
                                 "optimizer.learning_rate", "seed"});
    CHECK(short_key_names({"a.x.rate", "b.x.rate", "c.y.rate"}) ==
          std::vector<std::string>{"a.x.rate", "b.x.rate", "y.rate"});
    CHECK(short_key_names({"x.rate", "x.rate"}) == std::vector<std::string>{"x.rate", "x.rate"});
  }

  TEST_CASE("Words wrap at spaces within the width") {
    CHECK(wrap_words("one two three four", 9) == "one two\nthree\nfour\n");
    CHECK(wrap_words("a_very_long_word b", 5) == "a_very_long_word\nb\n");
    CHECK(wrap_words("one two", 0) == "one two\n");
  }

  TEST_CASE("Output width: a pipe or file has none unless COLUMNS says so") {
    std::FILE* file = std::tmpfile();
    REQUIRE(file != nullptr);
    ::unsetenv("COLUMNS");
    CHECK(output_width(file) == 0);
    ::setenv("COLUMNS", "72", 1);
    CHECK(output_width(file) == 72);
    ::setenv("COLUMNS", "wide", 1);
    CHECK(output_width(file) == 0);
    ::unsetenv("COLUMNS");
    std::fclose(file);
  }
}

}  // namespace runner::test
