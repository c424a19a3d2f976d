#pragma once
// One declaration per component parameter (Caffe's proto habit): name, kind, default, range,
// Keras name and a doc line. From it come the YAML reading and its errors (Schema::read), the
// resolved config (Params::resolved), the Keras config both ways (to_keras/from_keras) and the
// `runner layers|optimizers|callbacks` listings (describe_*). A component declares it once:
//
//   static const Schema& schema() {
//     static const Schema s = Schema("Dropout", "randomly zeroes inputs in training")
//         .real("rate", "fraction of the units to drop").required().range_closed_open(0, 1)
//         .seed("seed", "mask seed (default: derived from the experiment seed)");
//     return s;
//   }
#include <yaml-cpp/yaml.h>

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "framework/core/spec.hpp"
#include "framework/core/yaml_reader.hpp"

namespace runner {

enum class ParamKind {
  kInt,
  kReal,
  kBool,
  kText,       // any string
  kChoice,     // one string of a fixed list
  kPair,       // `3` or `[3, 2]`: (height, width)
  kInts,       // a list of integers
  kReals,      // a list of numbers
  kPadding,    // `1`, `[1, 2]` or `[[top, bottom], [left, right]]` (Keras' ZeroPadding2D)
  kSeed,       // an integer >= 0; absent: derived from the experiment seed and the entry's place
  kAny,        // anything; the component checks it
  kRealOrMap,  // a number (checked against the range) or a mapping the component checks
  kBounds,     // `f` (the interval [-f, f], f >= 0) or `[lower, upper]` (Keras' factor arguments)
  kPenalty,    // a weight regularizer: none, l1, l2, l1_l2 or {l1: a, l2: b} (Keras' regularizers)
};

// Keras' L1/L2/L1L2 weight regularizers: l1 * sum |w| + l2 * sum w^2 added to the loss.
struct Penalty {
  double l1 = 0, l2 = 0;
  [[nodiscard]] bool active() const { return l1 != 0 || l2 != 0; }
};

// Bounds of a numeric parameter (for kPair and kInts: of each element).
struct ParamRange {
  std::optional<double> lo, hi;
  bool lo_open = false, hi_open = false;
};

struct ParamDecl {
  std::string name;
  ParamKind kind = ParamKind::kInt;
  std::string help;
  bool required = false;
  YAML::Node fallback;  // the default (Null: no value unless given)
  ParamRange range;
  std::vector<std::string> choices;   // kChoice
  std::string keras_name;             // the key in Keras' layer config; empty: runner's own
  std::optional<std::size_t> length;  // kInts/kReals: exact length when set
};

// The values of one component's parameters after Schema::read, in declaration order.
// Getters require a declared name of the matching kind (a programmer error otherwise).
// Components keep a copy for config(); error() and spec_of() report into the Diagnostics the
// values were read with, so they are for factories only (while that reading is under way).
class Params {
 public:
  [[nodiscard]] std::int64_t integer(const std::string& name) const;
  [[nodiscard]] double real(const std::string& name) const;
  [[nodiscard]] std::optional<double> maybe_real(const std::string& name) const;
  [[nodiscard]] bool flag(const std::string& name) const;
  [[nodiscard]] std::string text(const std::string& name) const;
  [[nodiscard]] std::array<long, 2> pair(const std::string& name) const;
  [[nodiscard]] std::vector<std::int64_t> integers(const std::string& name) const;
  [[nodiscard]] std::vector<double> reals(const std::string& name) const;
  // kPadding as {top, bottom, left, right}.
  [[nodiscard]] std::array<long, 4> padding(const std::string& name) const;
  // kPenalty (zero when none).
  [[nodiscard]] Penalty penalty(const std::string& name) const;
  // kBounds as {lower, upper}.
  [[nodiscard]] std::array<double, 2> bounds(const std::string& name) const;
  [[nodiscard]] bool given(const std::string& name) const;  // written by the user
  [[nodiscard]] YAML::Node node(const std::string& name) const;

  // `type` plus every parameter, defaults filled in: the resolved config.yaml entry.
  [[nodiscard]] YAML::Node resolved() const;
  // The parameter's value as a component entry of its own (a schedule inside an optimizer),
  // reporting into `diag` (by default the diagnostics the parameters were read with).
  [[nodiscard]] Spec spec_of(const std::string& name) const;
  [[nodiscard]] Spec spec_of(const std::string& name, Diagnostics& diag) const;
  // Records a problem found across parameters at `name`'s place (or the entry's when absent).
  void error(const std::string& name, const std::string& message) const;

 private:
  friend class Schema;
  const class Schema* schema_ = nullptr;
  YAML::Node values_;                        // name -> resolved value
  std::map<std::string, YAML::Node> given_;  // name -> the user's node (for positions)
  YAML::Node entry_;                         // the whole entry (position of missing keys)
  std::string key_path_;
  Diagnostics* diag_ = nullptr;
};

class Schema {
 public:
  Schema(std::string type, std::string summary);

  // Declarations; each returns *this so they chain, and the modifiers below apply to the
  // parameter declared last.
  Schema& integer(std::string name, std::string help, std::optional<std::int64_t> fallback = {});
  Schema& real(std::string name, std::string help, std::optional<double> fallback = {});
  Schema& flag(std::string name, std::string help, bool fallback);
  Schema& text(std::string name, std::string help, std::optional<std::string> fallback = {});
  Schema& choice(std::string name, std::string help, std::vector<std::string> choices,
                 std::string fallback);
  Schema& pair(std::string name, std::string help, std::optional<std::array<long, 2>> fallback);
  Schema& integers(std::string name, std::string help);
  Schema& reals(std::string name, std::string help);
  Schema& padding(std::string name, std::string help, long fallback);
  Schema& seed(std::string name, std::string help);
  Schema& any(std::string name, std::string help, YAML::Node fallback);
  Schema& real_or_mapping(std::string name, std::string help, double fallback);
  // A weight regularizer, none by default.
  Schema& penalty(std::string name, std::string help);
  // Null fallback: no value unless given (Params::given tells).
  Schema& bounds(std::string name, std::string help, std::optional<double> fallback = {});

  Schema& required();
  Schema& at_least(double lo);
  Schema& above(double lo);  // open bound
  Schema& at_most(double hi);
  Schema& below(double hi);  // open bound
  Schema& length(std::size_t n);
  // Keras calls it differently (or "" for a runner-only parameter, left out of Keras files).
  Schema& keras(std::string keras_name);
  // The component's class name in Keras files when it differs from `type` ("adam" -> "Adam").
  Schema& keras_class(std::string name) {
    keras_class_ = std::move(name);
    return *this;
  }
  [[nodiscard]] const std::string& keras_class() const {
    return keras_class_.empty() ? type_ : keras_class_;
  }

  [[nodiscard]] const std::string& type() const { return type_; }
  [[nodiscard]] const std::string& summary() const { return summary_; }
  [[nodiscard]] const std::vector<ParamDecl>& params() const { return params_; }
  [[nodiscard]] const ParamDecl* find(const std::string& name) const;

  // Reads the entry's parameters: every problem (type, range, unknown key with a
  // did-you-mean, missing required key) goes to spec.diagnostics().
  [[nodiscard]] Params read(const Spec& spec) const;
  // Keras' layer config (its class's keys) from resolved parameters; runner-only ones left out.
  [[nodiscard]] YAML::Node to_keras(const YAML::Node& resolved) const;
  // runner's entry from a Keras layer config: keys this schema knows, under runner's names.
  [[nodiscard]] YAML::Node from_keras(const YAML::Node& keras_config) const;

 private:
  ParamDecl& last();
  Schema& add(ParamDecl decl);

  std::string type_;
  std::string summary_;
  std::string keras_class_;
  std::vector<ParamDecl> params_;
};

// For listings and docs: "int", "number", "[h, w]", ...; the default as text ("required",
// "-" for none); the range or choices ("> 0", "[0, 1)", "valid | same").
std::string kind_name(const ParamDecl& decl);
std::string default_text(const ParamDecl& decl);
std::string allowed_text(const ParamDecl& decl);

// Every component of one kind as a terminal listing or as a Markdown page section.
std::string describe_text(const std::vector<const Schema*>& schemas);
std::string describe_markdown(const std::string& title, const std::string& intro,
                              const std::vector<const Schema*>& schemas, bool keras_names = true);

}  // namespace runner
