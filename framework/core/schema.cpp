#include "framework/core/schema.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "framework/core/text.hpp"

namespace runner {

namespace {

[[noreturn]] void programmer_error(const std::string& what) {
  std::fprintf(stderr, "runner: schema: %s\n", what.c_str());
  std::abort();
}

std::string number_text(double v) {
  return fmt::format("{}", v);
}

bool integral_kind(ParamKind kind) {
  return kind == ParamKind::kInt || kind == ParamKind::kPair || kind == ParamKind::kInts ||
         kind == ParamKind::kPadding || kind == ParamKind::kSeed;
}

bool in_range(const ParamRange& r, double v) {
  if (r.lo && (r.lo_open ? v <= *r.lo : v < *r.lo)) {
    return false;
  }
  return !(r.hi && (r.hi_open ? v >= *r.hi : v > *r.hi));
}

// "> 0", ">= 1", "[0, 1)", "<= 10", or "" when unbounded.
std::string range_text(const ParamRange& r) {
  if (r.lo && r.hi) {
    return fmt::format("{}{}, {}{}", r.lo_open ? "(" : "[", number_text(*r.lo), number_text(*r.hi),
                       r.hi_open ? ")" : "]");
  }
  if (r.lo) {
    return fmt::format("{} {}", r.lo_open ? ">" : ">=", number_text(*r.lo));
  }
  if (r.hi) {
    return fmt::format("{} {}", r.hi_open ? "<" : "<=", number_text(*r.hi));
  }
  return "";
}

// The message for a scalar out of range, worded as yaml_reader's checks word theirs.
std::string range_problem(const ParamDecl& d, double v) {
  const ParamRange& r = d.range;
  if (integral_kind(d.kind)) {
    if (r.lo && !r.hi && *r.lo == 1 && !r.lo_open) {
      return fmt::format("expected a positive integer, got {}", number_text(v));
    }
    if (r.lo && r.hi) {
      return fmt::format("expected an integer in {}, got {}", range_text(r), number_text(v));
    }
    return fmt::format("expected an integer {}, got {}", range_text(r), number_text(v));
  }
  if (r.lo && r.hi) {
    return fmt::format("expected a number in {}, got {}", range_text(r), number_text(v));
  }
  return fmt::format("expected a number {}, got {}", range_text(r), number_text(v));
}

YAML::Node flow_list(const std::vector<std::int64_t>& values) {
  YAML::Node node(YAML::NodeType::Sequence);
  for (auto v : values) {
    node.push_back(v);
  }
  node.SetStyle(YAML::EmitterStyle::Flow);
  return node;
}

YAML::Node flow_reals(const std::vector<double>& values) {
  YAML::Node node(YAML::NodeType::Sequence);
  for (auto v : values) {
    node.push_back(yaml_number(v));
  }
  node.SetStyle(YAML::EmitterStyle::Flow);
  return node;
}

// Value of a map without inserting (yaml-cpp's non-const operator[] would).
YAML::Node lookup(const YAML::Node& map, const std::string& key) {
  if (!map.IsDefined() || !map.IsMap()) {
    return YAML::Node(YAML::NodeType::Undefined);
  }
  for (const auto& entry : map) {
    if (entry.first.Scalar() == key) {
      return entry.second;
    }
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

class Reader {
 public:
  Reader(const ParamDecl& d, const YAML::Node& node, MapReader& params)
      : d_(d), node_(node), params_(params) {}

  // The resolved value, or an undefined node after recording a problem.
  YAML::Node read() {
    switch (d_.kind) {
      case ParamKind::kInt:
      case ParamKind::kSeed:
        return read_integer();
      case ParamKind::kReal:
        return read_real();
      case ParamKind::kBool: {
        bool v = false;
        return parse(v) ? YAML::Node(v) : fail();
      }
      case ParamKind::kText: {
        std::string v;
        return parse(v) ? YAML::Node(v) : fail();
      }
      case ParamKind::kChoice:
        return read_choice();
      case ParamKind::kPair:
        return read_pair();
      case ParamKind::kInts:
        return read_integers();
      case ParamKind::kReals:
        return read_reals();
      case ParamKind::kPadding:
        return read_padding();
      case ParamKind::kAny:
        return YAML::Clone(node_);
      case ParamKind::kRealOrMap:
        return node_.IsMap() ? YAML::Clone(node_) : read_real();
      case ParamKind::kBounds:
        return read_bounds();
      case ParamKind::kPenalty:
        return read_penalty();
    }
    return fail();
  }

 private:
  template <typename T>
  bool parse(T& out) {
    std::string expected;
    if (parse_value(node_, out, expected)) {
      return true;
    }
    problem("expected " + expected + ", got " + describe(node_));
    return false;
  }

  void problem(const std::string& message) {
    params_.diagnostics().error(node_, params_.path_of(d_.name), message);
  }
  static YAML::Node fail() { return YAML::Node(YAML::NodeType::Undefined); }

  bool check(double v) {
    if (in_range(d_.range, v)) {
      return true;
    }
    problem(range_problem(d_, v));
    return false;
  }

  YAML::Node read_integer() {
    std::int64_t v = 0;
    if (!parse(v) || !check(static_cast<double>(v))) {
      return fail();
    }
    return YAML::Node(v);
  }

  YAML::Node read_real() {
    double v = 0;
    if (!parse(v) || !check(v)) {
      return fail();
    }
    return yaml_number(v);
  }

  YAML::Node read_choice() {
    std::string v;
    if (!parse(v)) {
      return fail();
    }
    if (std::find(d_.choices.begin(), d_.choices.end(), v) == d_.choices.end()) {
      problem(fmt::format("expected one of {}, got '{}'{}", fmt::join(d_.choices, ", "), v,
                          did_you_mean(v, d_.choices)));
      return fail();
    }
    return YAML::Node(v);
  }

  // Pairs and paddings: every size within the range; the message names the whole value.
  bool check_sizes(const std::vector<std::int64_t>& sizes) {
    for (auto s : sizes) {
      if (!in_range(d_.range, static_cast<double>(s))) {
        const bool positive = d_.range.lo && *d_.range.lo == 1;
        problem(fmt::format("expected {} sizes up to {}, got [{}]",
                            positive ? "positive" : "non-negative", number_text(*d_.range.hi),
                            fmt::join(sizes, ", ")));
        return false;
      }
    }
    return true;
  }

  YAML::Node read_pair() {
    std::string expected;
    std::int64_t single = 0;
    std::vector<std::int64_t> pair;
    if (parse_value(node_, single, expected)) {
      pair = {single, single};
    } else if (!parse_value(node_, pair, expected) || pair.size() != 2) {
      problem("expected a positive integer or a list of two, got " + describe(node_));
      return fail();
    }
    return check_sizes(pair) ? flow_list(pair) : fail();
  }

  YAML::Node read_padding() {
    std::string expected;
    std::int64_t single = 0;
    std::vector<std::int64_t> pair;
    std::vector<std::int64_t> sides;
    if (parse_value(node_, single, expected)) {
      sides = {single, single, single, single};
    } else if (parse_value(node_, pair, expected) && pair.size() == 2) {
      sides = {pair[0], pair[0], pair[1], pair[1]};
    } else if (node_.IsSequence() && node_.size() == 2) {
      for (const auto& axis : node_) {
        std::vector<std::int64_t> two;
        if (!parse_value(axis, two, expected) || two.size() != 2) {
          break;
        }
        sides.insert(sides.end(), two.begin(), two.end());
      }
    }
    if (sides.size() != 4) {
      problem("expected an integer, [rows, columns] or [[top, bottom], [left, right]], got " +
              describe(node_));
      return fail();
    }
    if (!check_sizes(sides)) {
      return fail();
    }
    YAML::Node out(YAML::NodeType::Sequence);
    out.push_back(flow_list({sides[0], sides[1]}));
    out.push_back(flow_list({sides[2], sides[3]}));
    out.SetStyle(YAML::EmitterStyle::Flow);
    return out;
  }

  bool check_length(std::size_t n) {
    if (d_.length && n != *d_.length) {
      problem(fmt::format("expected a list of {}, got {} values", *d_.length, n));
      return false;
    }
    if (n == 0) {
      problem("expected a non-empty list, got an empty one");
      return false;
    }
    return true;
  }

  YAML::Node read_integers() {
    std::vector<std::int64_t> v;
    if (!parse(v) || !check_length(v.size())) {
      return fail();
    }
    for (auto x : v) {
      if (!check(static_cast<double>(x))) {
        return fail();
      }
    }
    return flow_list(v);
  }

  YAML::Node read_reals() {
    if (!node_.IsSequence()) {
      problem("expected a list of numbers, got " + describe(node_));
      return fail();
    }
    std::vector<double> v;
    for (const auto& item : node_) {
      double x = 0;
      std::string expected;
      if (!parse_value(item, x, expected)) {
        problem("expected a list of numbers, got " + describe(item) + " in it");
        return fail();
      }
      if (!check(x)) {
        return fail();
      }
      v.push_back(x);
    }
    return check_length(v.size()) ? flow_reals(v) : fail();
  }

  // Keras' factors: `f` stands for [-f, f]; the value is kept in the form written.
  YAML::Node read_bounds() {
    std::string expected;
    double single = 0;
    std::vector<double> two;
    if (parse_value(node_, single, expected)) {
      if (single < 0) {
        problem(fmt::format("expected a number >= 0 (for [-f, f]) or [lower, upper], got {}",
                            number_text(single)));
        return fail();
      }
      return check(single) && check(-single) ? yaml_number(single) : fail();
    }
    if (node_.IsSequence() && node_.size() == 2) {
      for (const auto& item : node_) {
        if (parse_value(item, single, expected)) {
          two.push_back(single);
        }
      }
    }
    if (two.size() != 2) {
      problem("expected a number or [lower, upper], got " + describe(node_));
      return fail();
    }
    if (!check(two[0]) || !check(two[1])) {
      return fail();
    }
    if (two[0] > two[1]) {
      problem(fmt::format("expected lower <= upper, got [{}, {}]", number_text(two[0]),
                          number_text(two[1])));
      return fail();
    }
    return flow_reals(two);
  }

  // A regularizer as {l1: a, l2: b} (the keys that are set), or Null for none. Takes Keras'
  // names ("l2" is L2(0.01)), runner's mapping, and Keras' own {class_name, config} form.
  YAML::Node read_penalty() {
    constexpr double kKerasDefault = 0.01;
    constexpr const char* kExpected =
        "expected none, l1, l2, l1_l2 or a mapping with l1 and/or l2 (numbers >= 0)";
    if (node_.IsNull()) {
      return YAML::Node(YAML::NodeType::Null);
    }
    YAML::Node out(YAML::NodeType::Map);
    out.SetStyle(YAML::EmitterStyle::Flow);
    if (node_.IsScalar()) {
      const std::string name = node_.Scalar();
      if (name == "none") {
        return YAML::Node(YAML::NodeType::Null);
      }
      if (name == "l1" || name == "l1_l2") {
        out["l1"] = yaml_number(kKerasDefault);
      }
      if (name == "l2" || name == "l1_l2") {
        out["l2"] = yaml_number(kKerasDefault);
      }
      if (out.size() == 0) {
        problem(fmt::format("{}, got '{}'{}", kExpected, name,
                            did_you_mean(name, {"none", "l1", "l2", "l1_l2"})));
        return fail();
      }
      return out;
    }
    YAML::Node terms = node_;
    if (node_.IsMap() && lookup(node_, "class_name").IsDefined()) {  // Keras' serialized form
      terms = lookup(node_, "config");
    }
    if (!terms.IsMap() || terms.size() == 0) {
      problem(std::string(kExpected) + ", got " + describe(node_));
      return fail();
    }
    for (const auto& term : terms) {
      const std::string key = term.first.Scalar();
      double v = 0;
      std::string expected;
      if (key != "l1" && key != "l2") {
        params_.diagnostics().error(term.first, params_.path_of(d_.name) + "." + key,
                                    "unknown key; expected l1 or l2");
        return fail();
      }
      const bool number = parse_value(term.second, v, expected);
      if (!number || v < 0) {
        params_.diagnostics().error(
            term.second, params_.path_of(d_.name) + "." + key,
            "expected a number >= 0, got " + (number ? number_text(v) : describe(term.second)));
        return fail();
      }
      out[key] = yaml_number(v);
    }
    return out;
  }

  const ParamDecl& d_;
  YAML::Node node_;
  MapReader& params_;
};

}  // namespace

// ---- Params ----

namespace {
const ParamDecl& declared(const Schema* schema, const std::string& name) {
  const ParamDecl* d = schema != nullptr ? schema->find(name) : nullptr;
  if (d == nullptr) {
    programmer_error(fmt::format("'{}' is not a declared parameter", name));
  }
  return *d;
}
}  // namespace

YAML::Node Params::node(const std::string& name) const {
  (void)declared(schema_, name);
  return lookup(values_, name);
}

std::int64_t Params::integer(const std::string& name) const {
  return node(name).as<std::int64_t>();
}

Penalty Params::penalty(const std::string& name) const {
  const YAML::Node v = node(name);
  Penalty p;
  if (v.IsMap()) {
    const YAML::Node l1 = lookup(v, "l1");
    const YAML::Node l2 = lookup(v, "l2");
    p.l1 = l1.IsDefined() ? l1.as<double>() : 0.0;
    p.l2 = l2.IsDefined() ? l2.as<double>() : 0.0;
  }
  return p;
}

std::array<double, 2> Params::bounds(const std::string& name) const {
  const YAML::Node v = node(name);
  if (v.IsSequence()) {
    return {v[0].as<double>(), v[1].as<double>()};
  }
  const double f = v.as<double>();
  return {-f, f};
}

double Params::real(const std::string& name) const {
  return node(name).as<double>();
}

std::optional<double> Params::maybe_real(const std::string& name) const {
  const YAML::Node v = node(name);
  if (!v.IsDefined() || v.IsNull()) {
    return std::nullopt;
  }
  return v.as<double>();
}

bool Params::flag(const std::string& name) const {
  return node(name).as<bool>();
}

std::string Params::text(const std::string& name) const {
  const YAML::Node v = node(name);
  return v.IsDefined() && v.IsScalar() ? v.Scalar() : std::string();
}

std::array<long, 2> Params::pair(const std::string& name) const {
  const YAML::Node v = node(name);
  return {v[0].as<long>(), v[1].as<long>()};
}

std::vector<std::int64_t> Params::integers(const std::string& name) const {
  const YAML::Node v = node(name);
  return v.IsSequence() ? v.as<std::vector<std::int64_t>>() : std::vector<std::int64_t>{};
}

std::vector<double> Params::reals(const std::string& name) const {
  const YAML::Node v = node(name);
  return v.IsSequence() ? v.as<std::vector<double>>() : std::vector<double>{};
}

std::array<long, 4> Params::padding(const std::string& name) const {
  const YAML::Node v = node(name);
  return {v[0][0].as<long>(), v[0][1].as<long>(), v[1][0].as<long>(), v[1][1].as<long>()};
}

bool Params::given(const std::string& name) const {
  return given_.count(name) > 0;
}

YAML::Node Params::resolved() const {
  YAML::Node out;
  out["type"] = schema_->type();
  for (const auto& d : schema_->params()) {
    out[d.name] = YAML::Clone(lookup(values_, d.name));
  }
  return out;
}

Spec Params::spec_of(const std::string& name) const {
  return spec_of(name, *diag_);
}

Spec Params::spec_of(const std::string& name, Diagnostics& diag) const {
  const auto it = given_.find(name);
  const YAML::Node value = it != given_.end() ? it->second : node(name);
  return {value, key_path_.empty() ? name : key_path_ + "." + name, diag, 0, 0};
}

void Params::error(const std::string& name, const std::string& message) const {
  const auto it = given_.find(name);
  const std::string path = key_path_.empty() ? name : key_path_ + "." + name;
  if (it != given_.end()) {
    diag_->error(it->second, path, message);
  } else {
    diag_->error(entry_, key_path_, message);
  }
}

// ---- Schema ----

namespace {
ParamDecl declaration(std::string name, ParamKind kind, std::string help, YAML::Node fallback) {
  ParamDecl d;
  d.name = std::move(name);
  d.kind = kind;
  d.help = std::move(help);
  d.fallback = std::move(fallback);
  return d;
}
}  // namespace

Schema::Schema(std::string type, std::string summary)
    : type_(std::move(type)), summary_(std::move(summary)) {}

Schema& Schema::add(ParamDecl decl) {
  if (find(decl.name) != nullptr) {
    programmer_error(fmt::format("{}: '{}' declared twice", type_, decl.name));
  }
  decl.keras_name = decl.name;
  params_.push_back(std::move(decl));
  return *this;
}

ParamDecl& Schema::last() {
  if (params_.empty()) {
    programmer_error(type_ + ": a modifier before any parameter");
  }
  return params_.back();
}

Schema& Schema::integer(std::string name, std::string help, std::optional<std::int64_t> fallback) {
  ParamDecl d = declaration(std::move(name), ParamKind::kInt, std::move(help),
                            fallback ? YAML::Node(*fallback) : YAML::Node(YAML::NodeType::Null));
  return add(std::move(d));
}

Schema& Schema::real(std::string name, std::string help, std::optional<double> fallback) {
  ParamDecl d = declaration(std::move(name), ParamKind::kReal, std::move(help),
                            fallback ? yaml_number(*fallback) : YAML::Node(YAML::NodeType::Null));
  return add(std::move(d));
}

Schema& Schema::flag(std::string name, std::string help, bool fallback) {
  ParamDecl d =
      declaration(std::move(name), ParamKind::kBool, std::move(help), YAML::Node(fallback));
  return add(std::move(d));
}

Schema& Schema::text(std::string name, std::string help, std::optional<std::string> fallback) {
  ParamDecl d = declaration(std::move(name), ParamKind::kText, std::move(help),
                            fallback ? YAML::Node(*fallback) : YAML::Node(YAML::NodeType::Null));
  return add(std::move(d));
}

Schema& Schema::choice(std::string name, std::string help, std::vector<std::string> choices,
                       std::string fallback) {
  ParamDecl d = declaration(std::move(name), ParamKind::kChoice, std::move(help),
                            YAML::Node(std::move(fallback)));
  d.choices = std::move(choices);
  return add(std::move(d));
}

Schema& Schema::pair(std::string name, std::string help,
                     std::optional<std::array<long, 2>> fallback) {
  ParamDecl d = declaration(
      std::move(name), ParamKind::kPair, std::move(help),
      fallback ? flow_list({(*fallback)[0], (*fallback)[1]}) : YAML::Node(YAML::NodeType::Null));
  d.range.lo = 1;
  d.range.hi = 65536;
  return add(std::move(d));
}

Schema& Schema::integers(std::string name, std::string help) {
  ParamDecl d = declaration(std::move(name), ParamKind::kInts, std::move(help),
                            YAML::Node(YAML::NodeType::Null));
  return add(std::move(d));
}

Schema& Schema::reals(std::string name, std::string help) {
  ParamDecl d = declaration(std::move(name), ParamKind::kReals, std::move(help),
                            YAML::Node(YAML::NodeType::Null));
  return add(std::move(d));
}

Schema& Schema::padding(std::string name, std::string help, long fallback) {
  YAML::Node sides(YAML::NodeType::Sequence);
  sides.push_back(flow_list({fallback, fallback}));
  sides.push_back(flow_list({fallback, fallback}));
  sides.SetStyle(YAML::EmitterStyle::Flow);
  ParamDecl d = declaration(std::move(name), ParamKind::kPadding, std::move(help), sides);
  d.range.lo = 0;
  d.range.hi = 65536;
  return add(std::move(d));
}

Schema& Schema::seed(std::string name, std::string help) {
  ParamDecl d = declaration(std::move(name), ParamKind::kSeed, std::move(help),
                            YAML::Node(YAML::NodeType::Null));
  d.range.lo = 0;
  return add(std::move(d));
}

Schema& Schema::any(std::string name, std::string help, YAML::Node fallback) {
  ParamDecl d = declaration(std::move(name), ParamKind::kAny, std::move(help), std::move(fallback));
  return add(std::move(d));
}

Schema& Schema::real_or_mapping(std::string name, std::string help, double fallback) {
  ParamDecl d =
      declaration(std::move(name), ParamKind::kRealOrMap, std::move(help), yaml_number(fallback));
  return add(std::move(d));
}

Schema& Schema::penalty(std::string name, std::string help) {
  return add(declaration(std::move(name), ParamKind::kPenalty, std::move(help),
                         YAML::Node(YAML::NodeType::Null)));
}

Schema& Schema::bounds(std::string name, std::string help, std::optional<double> fallback) {
  ParamDecl d = declaration(std::move(name), ParamKind::kBounds, std::move(help),
                            fallback ? yaml_number(*fallback) : YAML::Node(YAML::NodeType::Null));
  return add(std::move(d));
}

Schema& Schema::required() {
  last().required = true;
  return *this;
}

Schema& Schema::at_least(double lo) {
  last().range.lo = lo;
  last().range.lo_open = false;
  return *this;
}

Schema& Schema::above(double lo) {
  last().range.lo = lo;
  last().range.lo_open = true;
  return *this;
}

Schema& Schema::at_most(double hi) {
  last().range.hi = hi;
  last().range.hi_open = false;
  return *this;
}

Schema& Schema::below(double hi) {
  last().range.hi = hi;
  last().range.hi_open = true;
  return *this;
}

Schema& Schema::length(std::size_t n) {
  last().length = n;
  return *this;
}

Schema& Schema::keras(std::string keras_name) {
  last().keras_name = std::move(keras_name);
  return *this;
}

const ParamDecl* Schema::find(const std::string& name) const {
  for (const auto& d : params_) {
    if (d.name == name) {
      return &d;
    }
  }
  return nullptr;
}

Params Schema::read(const Spec& spec) const {
  Params out;
  out.schema_ = this;
  out.values_ = YAML::Node(YAML::NodeType::Map);
  out.key_path_ = spec.key_path();
  out.diag_ = &spec.diagnostics();
  MapReader reader = spec.params();
  out.entry_ = reader.node();
  for (const auto& d : params_) {
    YAML::Node value = reader.child(d.name);
    if (!value.IsDefined() || value.IsNull()) {
      if (d.required) {
        spec.diagnostics().error(reader.node(), spec.key_path(),
                                 "missing required key '" + d.name + "'");
      }
      out.values_[d.name] = d.kind == ParamKind::kSeed
                                ? YAML::Node(static_cast<std::int64_t>(spec.default_seed() >> 1U))
                                : YAML::Clone(d.fallback);
      continue;
    }
    out.given_[d.name] = value;
    const YAML::Node resolved = Reader(d, value, reader).read();
    out.values_[d.name] = resolved.IsDefined() ? resolved : YAML::Clone(d.fallback);
  }
  reader.reject_unknown();
  return out;
}

YAML::Node Schema::to_keras(const YAML::Node& resolved) const {
  YAML::Node out(YAML::NodeType::Map);
  for (const auto& d : params_) {
    if (d.keras_name.empty()) {
      continue;
    }
    const YAML::Node value = lookup(resolved, d.name);
    if (d.kind == ParamKind::kPenalty && value.IsMap()) {
      // Keras' serialized regularizer: L1, L2 or L1L2 with its factors.
      const bool l1 = lookup(value, "l1").IsDefined();
      const bool l2 = lookup(value, "l2").IsDefined();
      YAML::Node keras(YAML::NodeType::Map);
      keras["class_name"] = l1 && l2 ? "L1L2" : (l1 ? "L1" : "L2");
      keras["config"] = YAML::Clone(value);
      out[d.keras_name] = keras;
    } else {
      out[d.keras_name] = YAML::Clone(value);
    }
  }
  return out;
}

YAML::Node Schema::from_keras(const YAML::Node& keras_config) const {
  YAML::Node out;
  out["type"] = type_;
  for (const auto& d : params_) {
    if (d.keras_name.empty()) {
      continue;
    }
    const YAML::Node value = lookup(keras_config, d.keras_name);
    if (value.IsDefined() && !value.IsNull()) {  // Keras writes null for "default"
      out[d.name] = YAML::Clone(value);
    }
  }
  return out;
}

// ---- listings ----

std::string kind_name(const ParamDecl& d) {
  switch (d.kind) {
    case ParamKind::kInt:
      return "int";
    case ParamKind::kReal:
      return "number";
    case ParamKind::kBool:
      return "bool";
    case ParamKind::kText:
      return "text";
    case ParamKind::kChoice:
      return "choice";
    case ParamKind::kPair:
      return "int or [h, w]";
    case ParamKind::kInts:
      return d.length ? fmt::format("{} ints", *d.length) : "list of ints";
    case ParamKind::kReals:
      return "list of numbers";
    case ParamKind::kPadding:
      return "int, [h, w] or [[t, b], [l, r]]";
    case ParamKind::kSeed:
      return "seed";
    case ParamKind::kAny:
      return "any";
    case ParamKind::kRealOrMap:
      return "number or mapping";
    case ParamKind::kBounds:
      return "f or [lo, hi]";
    case ParamKind::kPenalty:
      return "regularizer";
  }
  return "?";
}

std::string default_text(const ParamDecl& d) {
  if (d.required) {
    return "required";
  }
  if (d.kind == ParamKind::kSeed) {
    return "derived";
  }
  if (!d.fallback.IsDefined() || d.fallback.IsNull()) {
    return "none";
  }
  YAML::Emitter emitter;
  emitter << YAML::Flow << d.fallback;
  return emitter.c_str();
}

std::string allowed_text(const ParamDecl& d) {
  if (d.kind == ParamKind::kChoice) {
    return fmt::format("{}", fmt::join(d.choices, " | "));
  }
  if (d.kind == ParamKind::kPair || d.kind == ParamKind::kPadding) {
    return fmt::format("each {}", range_text(d.range));
  }
  return range_text(d.range);
}

std::string describe_text(const std::vector<const Schema*>& schemas) {
  std::string out;
  for (const Schema* s : schemas) {
    out += fmt::format("{}: {}\n", s->type(), s->summary());
    std::size_t name_w = 4;
    std::size_t kind_w = 4;
    std::size_t def_w = 7;
    std::size_t allowed_w = 7;
    for (const auto& d : s->params()) {
      name_w = std::max(name_w, d.name.size());
      kind_w = std::max(kind_w, kind_name(d).size());
      def_w = std::max(def_w, default_text(d).size());
      allowed_w = std::max(allowed_w, allowed_text(d).size());
    }
    for (const auto& d : s->params()) {
      std::string help = d.help;
      if (d.keras_name.empty()) {
        help += " (runner only)";
      } else if (d.keras_name != d.name) {
        help += fmt::format(" (Keras: {})", d.keras_name);
      }
      out += fmt::format("  {:<{}}  {:<{}}  {:<{}}  {:<{}}  {}\n", d.name, name_w, kind_name(d),
                         kind_w, default_text(d), def_w, allowed_text(d), allowed_w, help);
    }
    if (s->params().empty()) {
      out += "  (no parameters)\n";
    }
    out += "\n";
  }
  return out;
}

namespace {
std::string cell(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '|') {
      out += "\\|";
    } else {
      out += c;
    }
  }
  return out;
}
}  // namespace

std::string describe_markdown(const std::string& title, const std::string& intro,
                              const std::vector<const Schema*>& schemas, bool keras_names) {
  std::string out = fmt::format("# {}\n\n{}\n", title, intro);
  for (const Schema* s : schemas) {
    out += fmt::format("\n## {}\n\n{}\n\n", s->type(), s->summary());
    if (s->params().empty()) {
      out += "No parameters.\n";
      continue;
    }
    out += keras_names
               ? "| parameter | type | default | allowed | Keras name | meaning |\n"
                 "|---|---|---|---|---|---|\n"
               : "| parameter | type | default | allowed | meaning |\n|---|---|---|---|---|\n";
    for (const auto& d : s->params()) {
      const std::string keras = d.keras_name.empty() ? "(runner only)" : "`" + d.keras_name + "`";
      const std::string allowed = allowed_text(d);
      out += fmt::format("| `{}` | {} | `{}` | {} | {}{} |\n", d.name, cell(kind_name(d)),
                         cell(default_text(d)), allowed.empty() ? "" : cell(allowed),
                         keras_names ? keras + " | " : "", cell(d.help));
    }
  }
  return out;
}

}  // namespace runner
