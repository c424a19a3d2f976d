#include "framework/app/report/report.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "framework/app/compare.hpp"
#include "framework/app/report/sweep_analysis.hpp"
#include "framework/app/report/views.hpp"
#include "framework/core/errors.hpp"
#include "framework/core/file_util.hpp"
#include "framework/core/text.hpp"
#include "framework/core/text_table.hpp"
#include "framework/io/json.hpp"
#include "framework/io/run_store.hpp"
#include "framework/plot/parallel_coordinates.hpp"
#include "framework/plot/run_plots.hpp"

namespace runner::report {

namespace fs = std::filesystem;

namespace {
constexpr const char* kStyle = R"(
body { font: 15px/1.45 "DejaVu Sans", system-ui, sans-serif; color: #1a1a1a; margin: 0 auto;
       max-width: 1320px; padding: 0 24px 48px; }
h1 { font-size: 26px; margin: 28px 0 4px; } h2 { font-size: 21px; margin-top: 36px; }
h3 { font-size: 17px; margin: 24px 0 8px; }
.meta { color: #666; margin: 0 0 20px; }
table { border-collapse: collapse; margin: 8px 0 16px; }
th, td { border: 1px solid #d6d6d6; padding: 4px 10px; }
th { background: #eef3f8; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.best td { background: #fff6d6; font-weight: bold; }
.figures { display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-start; }
.figures img { max-width: calc(50% - 8px); }
img { max-width: 100%; border: 1px solid #e3e3e3; }
img.diagram { max-height: 900px; }
pre { background: #f6f8fa; padding: 12px; overflow-x: auto; font-size: 13px; }
details { margin: 8px 0; } summary { cursor: pointer; font-weight: bold; }
details.run { border-top: 1px solid #ddd; padding-top: 6px; }
.warn { background: #fde2e1; border: 1px solid #d33; padding: 8px 12px; }
a { color: #0b62a4; }
.wide { overflow-x: auto; } table.board { font-size: 13px; } table.board td { white-space: nowrap; }
table.board th { font-size: 12px; vertical-align: bottom; } table.board th, table.board td { padding: 3px 7px; }
table.board .more { display: none; } #all-columns:checked ~ .wide .more { display: table-cell; }
label.columns { font-size: 13px; color: #444; }
td .bar { display: inline-block; height: 12px; background: #1f77b4; margin-right: 8px; }
)";

// Counts the pictures once the page has loaded and says so on the page (and in the console)
// if any failed: a broken report should not look like a finished one.
constexpr const char* kImageCheck = R"(<script>
window.addEventListener("load", () => {
  const broken = [...document.images].filter(i => !i.complete || i.naturalWidth === 0);
  document.body.dataset.images = document.images.length;
  document.body.dataset.brokenImages = broken.length;
  if (broken.length > 0) {
    const names = broken.map(i => i.alt).join(", ");
    console.error(`report: ${broken.length} picture(s) did not load: ${names}`);
    const note = document.createElement("p");
    note.className = "warn";
    note.textContent = `${broken.length} picture(s) did not load: ${names}`;
    document.body.prepend(note);
  }
});
</script>
)";

std::string image(const std::string& mime, const std::string& bytes, const std::string& alt,
                  const std::string& css_class = "") {
  return fmt::format(R"(<img{} alt="{}" src="data:{};base64,{}">)",
                     css_class.empty() ? "" : fmt::format(R"( class="{}")", css_class),
                     xml_escape(alt), mime, base64(bytes));
}

std::string chart_image(const plot::LineChart& chart) {
  return image("image/png", plot::render_line_chart(chart, plot::ImageFormat::kPng), chart.title);
}

// A relative URL from the report's folder to `target`, percent-encoded.
std::string href(const fs::path& target, const fs::path& report_dir) {
  const fs::path rel = fs::weakly_canonical(target).lexically_relative(
      fs::weakly_canonical(report_dir.empty() ? fs::path(".") : report_dir));
  std::string out;
  for (unsigned char c : rel.generic_string()) {
    if (std::isalnum(c) ||
        std::string_view("-._~/").find(static_cast<char>(c)) != std::string_view::npos) {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out.empty() ? "." : out;
}

std::string file_size(std::uintmax_t bytes) {
  if (bytes >= 1024 * 1024) {
    return fmt::format("{:.1f} MB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  }
  if (bytes >= 1024) {
    return fmt::format("{:.1f} kB", static_cast<double>(bytes) / 1024.0);
  }
  return fmt::format("{} B", bytes);
}

bool numeric(const std::string& s) {
  return parse_number(s).has_value();
}

std::string key_value_table(const std::vector<std::pair<std::string, std::string>>& items) {
  std::string html = "<table>\n";
  for (const auto& [k, v] : items) {
    html += fmt::format("<tr><th>{}</th><td{}>{}</td></tr>\n", xml_escape(k),
                        numeric(v) ? R"( class="n")" : "", xml_escape(v));
  }
  return html + "</table>\n";
}

// summary.json's scalars, flattened ("evaluation.test.accuracy").
std::vector<std::pair<std::string, std::string>> summary_items(const fs::path& dir) {
  std::vector<std::pair<std::string, std::string>> items;
  const fs::path file = dir / "summary.json";
  if (!fs::exists(file)) {
    return items;
  }
  const YAML::Node summary = parse_json(read_text_file(file), file.string());
  std::function<void(const YAML::Node&, const std::string&)> walk = [&](const YAML::Node& node,
                                                                        const std::string& key) {
    if (node.IsScalar()) {
      // Measured values at 4 decimals, as Keras prints them; counts and names as they are.
      const std::string& v = node.Scalar();
      const bool fraction = numeric(v) && v.find_first_of(".eE") != std::string::npos;
      items.emplace_back(key, fraction ? fmt::format("{:.4f}", *parse_number(v)) : v);
    } else if (node.IsMap()) {
      for (const auto& kv : node) {
        walk(kv.second, key.empty() ? kv.first.Scalar() : key + "." + kv.first.Scalar());
      }
    }  // sequences (predictions) have their own section
  };
  walk(summary, "");
  return items;
}

// The run folder's PNGs whose names start with `prefix`, side by side under `title`.
std::string pictures_section(const fs::path& dir, const std::string& prefix,
                             const std::string& title) {
  std::vector<fs::path> found;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with(prefix) && name.ends_with(".png")) {
      found.push_back(entry.path());
    }
  }
  if (found.empty()) {
    return "";
  }
  std::sort(found.begin(), found.end());
  std::string html = "<h3>" + title + "</h3>\n<div class=\"figures\">\n";
  for (const auto& p : found) {
    html += image("image/png", read_text_file(p), p.stem().string()) + "\n";
  }
  return html + "</div>\n";
}

std::string run_section(const RunRow& run, const fs::path& report_dir, bool standalone) {
  std::string html;
  if (run.broken()) {
    return fmt::format("<p class=\"warn\">{}: failed: {}</p>\n", xml_escape(run.run),
                       xml_escape(run.problem));
  }
  auto items = summary_items(run.dir);
  if (items.empty()) {
    items = {{"status", run.status}, {"epochs", std::to_string(run.epochs)}};
  }
  html += "<h3>Summary</h3>\n" + key_value_table(items);

  if (fs::exists(run.dir / "history.csv")) {
    const History history = read_history_csv(run.dir / "history.csv");
    html += "<h3>Training curves</h3>\n<div class=\"figures\">\n";
    for (const auto& metric : plot::charted_metrics(history)) {
      html += chart_image(plot::history_chart(history, metric)) + "\n";
    }
    html += "</div>\n";
  } else {  // interrupted in its first epoch
    html += fmt::format(
        "<p>No epoch has finished yet; <code>runner resume {}</code> continues the run.</p>\n",
        xml_escape(run.dir.string()));
  }

  if (fs::exists(run.dir / "model.svg")) {
    html +=
        "<h3>Model</h3>\n" +
        image("image/svg+xml", read_text_file(run.dir / "model.svg"), "model diagram", "diagram") +
        "\n";
  }

  html += pictures_section(run.dir, "confusion-", "Confusion matrices");
  html += pictures_section(run.dir, "prediction-", "Predictions");

  if (fs::exists(run.dir / "config.yaml")) {
    html += fmt::format(
        "<details{}><summary>config.yaml (the resolved experiment)</summary>\n"
        "<pre>{}</pre></details>\n",
        standalone ? " open" : "", xml_escape(read_text_file(run.dir / "config.yaml")));
  }

  std::vector<fs::directory_entry> files;
  for (const auto& entry : fs::directory_iterator(run.dir)) {
    if (entry.is_regular_file()) {
      files.push_back(entry);
    }
  }
  std::sort(files.begin(), files.end());
  html += "<h3>Files</h3>\n<table>\n";
  for (const auto& f : files) {
    html += fmt::format("<tr><td><a href=\"{}\">{}</a></td><td class=\"n\">{}</td></tr>\n",
                        href(f.path(), report_dir), xml_escape(f.path().filename().string()),
                        file_size(f.file_size()));
  }
  return html + "</table>\n";
}

// A header that may break after '_', '.' and '/' (metric names are long single words).
std::string breakable(const std::string& text) {
  std::string html;
  for (const char c : text) {
    html += xml_escape(std::string(1, c));
    if (c == '_' || c == '.' || c == '/') {
      html += "<wbr>";
    }
  }
  return html;
}

// Which columns the page shows at first: those a narrow terminal would drop first (training
// metrics, epochs, params, s/epoch) never, then the least important others until the table's
// estimated width fits the page (1,320 pixels; ~7.5 per character of 13 px text plus padding).
std::vector<bool> shown_columns(const ComparisonTable& table,
                                const std::vector<std::string>& headers) {
  constexpr int kShownImportance = 50;
  constexpr double kPageWidth = 1280;
  std::vector<bool> shown(table.header.size());
  std::vector<double> widths(table.header.size());
  double total = 40;  // the rank column
  for (std::size_t c = 0; c < shown.size(); ++c) {
    std::size_t chars = 0;
    std::size_t part = 0;  // the longest piece of the header between break points
    for (const char ch : headers[c]) {
      part = ch == '_' || ch == '.' || ch == '/' ? 0 : part + 1;
      chars = std::max(chars, part + 1);
    }
    for (std::size_t r = 0; r < table.cells.size(); ++r) {
      chars = std::max(chars, c == 0 ? fs::path(table.cells[r][c]).filename().string().size()
                                     : table.shown(r, c).size());
    }
    widths[c] = 7.5 * static_cast<double>(chars) + 16;
    shown[c] = table.importance[c] >= kShownImportance;
    total += shown[c] ? widths[c] : 0;
  }
  while (total > kPageWidth) {
    std::size_t victim = shown.size();
    for (std::size_t c = 0; c < shown.size(); ++c) {
      if (shown[c] && table.importance[c] < 90 &&
          (victim == shown.size() || table.importance[c] <= table.importance[victim])) {
        victim = c;
      }
    }
    if (victim == shown.size()) {
      break;  // only the run, its status and its result are left: the box scrolls
    }
    shown[victim] = false;
    total -= widths[victim];
  }
  return shown;
}

// The comparison as a table that fits the page: settings by their last distinct parts, long
// headers broken, and what does not fit (see shown_columns) behind a "show every column" switch.
std::string leaderboard(const ComparisonTable& table) {
  const std::vector<std::string> short_names = short_key_names(table.varied);
  std::vector<std::string> headers;
  for (const auto& h : table.header) {
    const auto varied = std::find(table.varied.begin(), table.varied.end(), h);
    headers.push_back(varied == table.varied.end() ? h
                                                   : short_names[varied - table.varied.begin()]);
  }
  const std::vector<bool> shown = shown_columns(table, headers);
  const auto hidden = std::count(shown.begin(), shown.end(), false);
  auto cls = [&](std::size_t c, bool number) {
    const bool more = !shown[c];
    return more || number ? fmt::format(R"( class="{}{}{}")", number ? "n" : "",
                                        number && more ? " " : "", more ? "more" : "")
                          : std::string();
  };
  std::string html;
  if (hidden > 0) {
    std::vector<std::string> names;
    for (std::size_t c = 0; c < shown.size(); ++c) {
      if (!shown[c]) {
        names.push_back(headers[c]);
      }
    }
    html += fmt::format(
        "<input type=\"checkbox\" id=\"all-columns\"><label class=\"columns\" "
        "for=\"all-columns\"> show every column ({} more: {})</label>\n",
        hidden, xml_escape(fmt::format("{}", fmt::join(names, ", "))));
  }
  html += "<div class=\"wide\"><table class=\"board\">\n<tr><th>#</th>";
  for (std::size_t c = 0; c < table.header.size(); ++c) {
    html += fmt::format("<th{} title=\"{}\">{}</th>", cls(c, false), xml_escape(table.header[c]),
                        breakable(headers[c]));
  }
  html += "</tr>\n";
  for (std::size_t i = 0; i < table.cells.size(); ++i) {
    const bool best = i == 0 && !table.runs[i].broken();
    html += fmt::format("<tr{}><td class=\"n\">{}</td>", best ? R"( class="best")" : "", i + 1);
    for (std::size_t c = 0; c < table.cells[i].size(); ++c) {
      const std::string v = table.shown(i, c);
      if (c == 0) {
        html += fmt::format(R"(<td><a href="#run-{}" title="{}">{}</a></td>)", i, xml_escape(v),
                            xml_escape(fs::path(v).filename().string()));
      } else {
        html += fmt::format("<td{}>{}</td>", cls(c, numeric(v)), xml_escape(v));
      }
    }
    html += "</tr>\n";
  }
  return html + "</table></div>\n";
}

// A sweep's optimisation history, parallel coordinates and parameter importances (from its
// summary.csv), or nothing for a folder that is not a sweep.
std::string sweep_sections(const fs::path& dir) {
  const auto sweep = read_sweep_trials(dir);
  if (!sweep || sweep->trials.size() < 2) {
    return "";
  }
  std::string html = fmt::format(
      "<h2>Optimisation history</h2>\n<p>Each completed trial's best {} by trial number (the "
      "order the sweep proposed them), and the best so far.</p>\n",
      xml_escape(sweep->metric));
  html += chart_image(optimisation_history(*sweep)) + "\n";
  const plot::ParallelCoordinates lines = parallel_coordinates(*sweep);
  if (lines.lines.size() >= 2 && !sweep->parameters.empty()) {
    html +=
        "<h2>Parallel coordinates</h2>\n<p>One line per completed trial across its settings "
        "and its result; the best trials in yellow, on top.</p>\n";
    html += image("image/png", plot::render_parallel_coordinates(lines, plot::ImageFormat::kPng),
                  lines.title) +
            "\n";
  }
  const auto importance = importances(*sweep);
  if (lines.lines.size() >= 3 && !importance.empty()) {
    html +=
        "<h2>Parameter importance</h2>\n<p>The share of the spread of the completed trials' "
        "results each setting explains on its own (the correlation ratio &eta;&sup2;; "
        "numbers grouped in up to five bins of equal counts), scaled to sum to 1. It is the "
        "first-order part of fANOVA, without its random forest: effects of settings "
        "together are credited to neither.</p>\n<table>\n";
    for (const auto& [name, value] : importance) {
      html += fmt::format(
          "<tr><td>{}</td><td class=\"n\"><span class=\"bar\" style=\"width: {}px\"></span>"
          "{:.3f}</td></tr>\n",
          xml_escape(name), static_cast<int>(std::lround(value * 300)), value);
    }
    html += "</table>\n";
  }
  return html;
}

std::string comparison_sections(const ComparisonTable& table, const std::string& metric,
                                const std::vector<fs::path>& dirs, const fs::path& report_dir) {
  std::string html = fmt::format(
      "<h2>Leaderboard</h2>\n<p>Ranked by the best {} of each run "
      "(the epoch it was reached is its best epoch).</p>\n",
      xml_escape(metric));
  html += leaderboard(table);
  for (const auto& dir : dirs) {
    for (const char* name : {"summary.csv", "summary.h5"}) {
      if (fs::exists(dir / name)) {
        html += fmt::format("<p>Sweep file: <a href=\"{}\">{}</a></p>\n",
                            href(dir / name, report_dir), xml_escape(name));
      }
    }
  }
  for (const auto& dir : dirs) {
    html += sweep_sections(dir);
  }
  html += fmt::format("<h2>{} per epoch</h2>\n", xml_escape(metric));
  html += chart_image(overlay_chart(table.runs, table.varied, metric)) + "\n";
  const plot::HeatMap map = heat_map(table.runs, table.varied, metric);
  if (!map.rows.empty()) {
    html += fmt::format("<h2>Best {} by setting</h2>\n", xml_escape(metric));
    html +=
        image("image/png", plot::render_heat_map(map, plot::ImageFormat::kPng), map.title) + "\n";
  }
  return html;
}
}  // namespace

std::string build_report(const std::vector<fs::path>& dirs, const ReportOptions& options) {
  if (dirs.empty()) {
    throw ConfigError("runner report: no folder given");
  }
  std::vector<RunRow> rows = collect_runs(dirs, options.metric);
  if (rows.empty()) {
    throw ConfigError(
        fmt::format("runner report: no runs under {} (a run folder holds "
                    "config.yaml and history.csv)",
                    dirs.front().string()));
  }
  CompareOptions compare;
  compare.metric = options.metric;
  const ComparisonTable table = comparison_table(std::move(rows), compare);
  const fs::path report_dir = options.output.parent_path();

  std::string title = options.title;
  if (title.empty() && table.runs.size() == 1) {
    const RunRow& run = table.runs[0];
    const auto name = run.config.find("name");
    title = fmt::format("{} · {}", name == run.config.end() ? "run" : name->second,
                        fs::path(run.run).filename().string());
  } else if (title.empty()) {
    std::vector<std::string> names;
    for (const auto& d : dirs) {
      names.push_back(fs::weakly_canonical(d).filename().string());
    }
    title = fmt::format("{}", fmt::join(names, ", "));
  }
  std::string html = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<title>{}</title>\n<style>{}</style>\n</head>\n<body>\n",
      xml_escape(title), kStyle);
  const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  html += fmt::format(
      "<h1>{}</h1>\n<p class=\"meta\">{} run{} &middot; written by runner on "
      "{:%Y-%m-%d %H:%M}</p>\n",
      xml_escape(title), table.runs.size(), table.runs.size() == 1 ? "" : "s", fmt::localtime(now));
  if (table.runs.size() == 1) {
    html += fmt::format("<section id=\"run-0\">\n{}</section>\n",
                        run_section(table.runs[0], report_dir, true));
  } else {
    html += comparison_sections(table, options.metric, dirs, report_dir);
    html += "<h2>Runs</h2>\n";
    for (std::size_t i = 0; i < table.runs.size(); ++i) {
      const RunRow& run = table.runs[i];
      html += fmt::format(
          "<details class=\"run\" id=\"run-{}\"><summary>{}. {} &mdash; {}</summary>\n{}"
          "</details>\n",
          i, i + 1, xml_escape(run.run), xml_escape(run_label(run, table.varied)),
          run_section(run, report_dir, false));
    }
  }
  return html + kImageCheck + "</body>\n</html>\n";
}

}  // namespace runner::report
