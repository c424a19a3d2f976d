#include "framework/train/progress.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cmath>

#include "framework/core/mpi_launcher.hpp"
#include "framework/core/text.hpp"
#include "framework/core/text_table.hpp"

namespace runner {

std::string format_metric(double value) {
  if (std::abs(value) > 1e-3 || value == 0.0 || !std::isfinite(value)) {
    return fixed(value, 4);  // NaN as "nan", as Keras prints it
  }
  return fmt::format("{:.4e}", value);
}

Progress::Progress(Verbosity verbosity, std::FILE* out)
    // Under mpirun the output is a pseudo-terminal even when mpirun's own output is a file:
    // print whole lines there.
    : verbosity_(verbosity), out_(out), tty_(isatty(fileno(out)) != 0 && !mpi::launched()) {}

void Progress::start_epoch(std::int64_t epoch, std::int64_t epochs, std::int64_t steps) {
  steps_ = steps;
  start_ = std::chrono::steady_clock::now();
  last_draw_ = {};  // the first step draws at once, as Keras' Progbar does
  if (verbosity_ != Verbosity::kQuiet) {
    fmt::print(out_, "Epoch {}/{}\n", epoch + 1, epochs);
    std::fflush(out_);
  }
}

std::string Progress::bar_line(std::int64_t current, std::int64_t target, double elapsed_s,
                               const Logs& logs, bool finished) {
  constexpr std::int64_t kWidth = 30;
  const int digits = static_cast<int>(std::floor(std::log10(static_cast<double>(target)))) + 1;
  std::string line = fmt::format("{:>{}}/{} [", current, digits, target);
  const std::int64_t filled = kWidth * current / target;
  if (filled > 0) {
    line += std::string(static_cast<std::size_t>(filled - 1), '=');
    line += current < target ? '>' : '=';
  }
  line += std::string(static_cast<std::size_t>(kWidth - filled), '.');
  line += "]";
  const double per_step = current > 0 ? elapsed_s / static_cast<double>(current) : 0.0;
  if (finished) {
    line += fmt::format(" - {:.0f}s", elapsed_s);
    if (per_step >= 1 || per_step == 0) {
      line += fmt::format(" {:.0f}s/step", per_step);
    } else if (per_step >= 1e-3) {
      line += fmt::format(" {:.0f}ms/step", per_step * 1e3);
    } else {
      line += fmt::format(" {:.0f}us/step", per_step * 1e6);
    }
  } else {
    const auto eta = static_cast<long>(per_step * static_cast<double>(target - current));
    if (eta > 3600) {
      line += fmt::format(" - ETA: {}:{:02}:{:02}", eta / 3600, (eta % 3600) / 60, eta % 60);
    } else if (eta > 60) {
      line += fmt::format(" - ETA: {}:{:02}", eta / 60, eta % 60);
    } else {
      line += fmt::format(" - ETA: {}s", eta);
    }
  }
  for (const auto& [name, value] : logs.items()) {
    line += fmt::format(" - {}: {}", name, format_metric(value));
  }
  return line;
}

void Progress::update(std::int64_t step, const Logs& running) {
  if (verbosity_ != Verbosity::kProgressBar || !tty_) {
    return;
  }
  const auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < std::chrono::milliseconds(50) && step + 1 < steps_) {
    return;  // Keras redraws at most every 0.05 s
  }
  last_draw_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  std::string line = bar_line(step + 1, steps_, elapsed, running, false);
  // A line wider than the terminal wraps, and "\r" then returns only to its last row: each
  // redraw would leave a row behind. Cut the in-place line to the width (the epoch's final line
  // is printed whole).
  if (const std::size_t width = output_width(out_); width > 1 && line.size() >= width) {
    line.resize(width - 1);
  }
  fmt::print(out_, "\r{}\x1b[K", line);
  std::fflush(out_);
  line_open_ = true;
}

void Progress::end_epoch(const Logs& logs) {
  if (verbosity_ == Verbosity::kQuiet) {
    return;
  }
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  if (line_open_) {
    fmt::print(out_, "\r");
  }
  fmt::print(out_, "{}{}\n", bar_line(steps_, steps_, elapsed, logs, true), tty_ ? "\x1b[K" : "");
  std::fflush(out_);
  line_open_ = false;
}

void Progress::message(const std::string& text) {
  if (verbosity_ == Verbosity::kQuiet) {
    return;
  }
  close_line();
  fmt::print(out_, "{}\n", text);
  std::fflush(out_);
}

void Progress::close_line() {
  if (line_open_) {
    fmt::print(out_, "\n");
    std::fflush(out_);
    line_open_ = false;
  }
}

}  // namespace runner
