#pragma once
// Subcommands of the runner executable.
#include <string>
#include <vector>

namespace runner::cli {

// Runs the command line (without argv[0]); returns the exit code. Throws runner::Error.
int dispatch(const std::vector<std::string>& args);

int run_command(const std::vector<std::string>& args);
int summary_command(const std::vector<std::string>& args);
int evaluate_command(const std::vector<std::string>& args);
int predict_command(const std::vector<std::string>& args);
int compare_command(const std::vector<std::string>& args);
int resume_command(const std::vector<std::string>& args);
int plot_model_command(const std::vector<std::string>& args);
int report_command(const std::vector<std::string>& args);
int layers_command(const std::vector<std::string>& args);
int optimizers_command(const std::vector<std::string>& args);
int callbacks_command(const std::vector<std::string>& args);
int samplers_command(const std::vector<std::string>& args);
int pruners_command(const std::vector<std::string>& args);
int losses_command(const std::vector<std::string>& args);
int metrics_command(const std::vector<std::string>& args);
int sources_command(const std::vector<std::string>& args);
int schedules_command(const std::vector<std::string>& args);

// The top-level help text.
std::string usage();

}  // namespace runner::cli
