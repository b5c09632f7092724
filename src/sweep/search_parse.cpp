#include "sweep/search_parse.h"

#include <cmath>

#include "common/number_format.h"
#include "common/suggest.h"
#include "store/metric_columns.h"
#include "sweep/method_catalog.h"

namespace clear_sweep {
namespace {

constexpr const char* kKinds = "uniform, log_uniform, integer or choice";

/// A table under [search.space] is a distribution when its one key names a kind;
/// otherwise it is a method's own space.
bool find_distribution_kind(const toml::table& table) {
  if (table.size() != 1) return false;
  const std::string key(table.begin()->first.str());
  return key == "uniform" || key == "log_uniform" || key == "integer" || key == "choice";
}

std::vector<std::string> column_names() {
  std::vector<std::string> names;
  for (const auto& c : metric_columns()) names.push_back(c.name);
  return names;
}

std::string read_metric(const TomlTable& t, const std::string& key) {
  const auto name = t.string(key);
  if (!name) t.fail(t.where(), t.key_path(key), "missing required key", "a metric column, e.g. log_forget_quality");
  if (metric_column_index(*name) < 0) {
    const std::string guess = suggest_name(*name, column_names());
    t.fail(t.locate(*t.find(key)), t.key_path(key), "unknown metric '" + *name + "'",
           (guess.empty() ? std::string() : "did you mean '" + guess + "'? ") + "metrics: " + join(column_names()));
  }
  return *name;
}

/// One value of a choice, typed and range-checked as the declaration says.
HParamValue read_value(const TomlTable& t, const toml::node& node, const std::string& element, const HParamDecl& decl,
                       const std::string& owner) {
  HParamValue value;
  if (decl.type == HParamType::integer) {
    const auto* v = node.as_integer();
    if (!v) t.fail(t.locate(node), element, "expected an integer, got " + toml_type_name(node));
    value = v->get();
  } else {
    const auto v = toml_number(node);
    if (!v || !std::isfinite(*v))
      t.fail(t.locate(node), element, "expected a finite number, got " + toml_type_name(node));
    value = *v;
  }
  if (!decl.range.contains(hparam_as_double(value)))
    t.fail(t.locate(node), element,
           hparam_text(value) + " is outside the valid range " + decl.range.text() + " of '" + decl.name + "' (" +
               owner + ")",
           decl.doc);
  return value;
}

/// `name = { log_uniform = [1e-5, 1e-2] }`: exactly one kind, its bounds or choices.
Distribution read_distribution(const TomlTable& t, const std::string& key, const HParamDecl& decl,
                               const std::string& owner) {
  const toml::node& node = *t.find(key);
  const std::string path = t.key_path(key);
  const auto* table = node.as_table();
  if (!table || table->size() != 1)
    t.fail(t.locate(node), path, "expected a table with one key: " + std::string(kKinds),
           "e.g. " + key + " = { log_uniform = [1e-5, 1e-2] } or " + key + " = { choice = [1, 2, 4] }");
  const auto entry = table->begin();
  const toml::key& kind_key = entry->first;
  const toml::node& body = entry->second;
  const std::string kind(kind_key.str());
  const std::string kind_path = path + "." + kind;
  const SourceLocation where{t.file(), kind_key.source().begin.line, kind_key.source().begin.column};
  Distribution d;
  d.type = decl.type;
  d.where = where;
  const auto* array = body.as_array();
  if (!array || array->empty()) t.fail(where, kind_path, "expected a non-empty array, got " + toml_type_name(body));

  if (kind == "choice") {
    d.kind = DistributionKind::choice;
    for (size_t i = 0; i < array->size(); ++i) {
      const HParamValue v = read_value(t, *array->get(i), kind_path + "[" + std::to_string(i) + "]", decl, owner);
      for (const auto& seen : d.choices)
        if (seen == v) t.fail(t.locate(*array->get(i)), kind_path, "duplicate value " + hparam_text(v));
      d.choices.push_back(v);
    }
    return d;
  }
  if (kind == "uniform") {
    d.kind = DistributionKind::uniform;
  } else if (kind == "log_uniform") {
    d.kind = DistributionKind::log_uniform;
  } else if (kind == "integer") {
    d.kind = DistributionKind::integer;
  } else {
    const std::string guess = suggest_name(kind, {"uniform", "log_uniform", "integer", "choice"});
    t.fail(where, kind_path, "unknown distribution '" + kind + "'",
           (guess.empty() ? std::string() : "did you mean '" + guess + "'? ") + "one of " + kKinds);
  }
  if (decl.type == HParamType::integer && d.kind != DistributionKind::integer)
    t.fail(where, kind_path, "'" + decl.name + "' of " + owner + " is an integer hyperparameter",
           "use integer = [low, high] or choice = [...]");
  if (decl.type == HParamType::real && d.kind == DistributionKind::integer)
    t.fail(where, kind_path, "'" + decl.name + "' of " + owner + " is a real number",
           "use uniform or log_uniform = [low, high], or choice = [...]");
  if (array->size() != 2)
    t.fail(where, kind_path, "expected [low, high], got " + std::to_string(array->size()) + " values");
  d.low = hparam_as_double(read_value(t, *array->get(0), kind_path + "[0]", decl, owner));
  d.high = hparam_as_double(read_value(t, *array->get(1), kind_path + "[1]", decl, owner));
  if (!(d.low < d.high))
    t.fail(where, kind_path, "low " + format_number(d.low) + " is not below high " + format_number(d.high),
           "a single value belongs in the grid, not the search");
  if (d.kind == DistributionKind::log_uniform && d.low <= 0)
    t.fail(where, kind_path, "log_uniform needs low > 0, got " + format_number(d.low));
  return d;
}

/// A hyperparameter may come from the grid or the search, not both: the grid makes
/// cells, the search samples within each.
void check_not_a_grid_axis(const TomlTable& t, const std::string& key, const GridSpec& grid,
                           const std::vector<std::string>& methods) {
  for (const auto& method : methods) {
    const auto own = grid.method_axes.find(method);
    const bool axis = grid.shared_axes.count(key) || (own != grid.method_axes.end() && own->second.count(key));
    if (axis)
      t.fail(t.locate_key(key), t.key_path(key), "'" + key + "' of " + method + " is also a grid axis",
             "give it in [grid.hparams] (every value crossed) or in [search.space] (sampled), not both");
  }
}

void read_space(const TomlTable& t, const GridSpec& grid, SearchSpec& search) {
  for (auto&& [k, node] : t.raw()) {
    const std::string key(k.str());
    const SourceLocation key_where{t.file(), k.source().begin.line, k.source().begin.column};
    // A table is a method's space when it names a method, or has several keys (a
    // misspelt method); one key is a distribution, whose kind may be misspelt.
    if (node.is_table() && !find_distribution_kind(*node.as_table()) &&
        (method_find(key) || node.as_table()->size() != 1)) {
      const MethodInfo* method = method_find(key);
      bool listed = false;
      for (const auto& m : grid.methods) listed = listed || m == key;
      if (!method || !listed)
        t.fail(key_where, t.key_path(key),
               method ? "a space for method '" + key + "', which grid.method does not list"
                      : "'" + key + "' is neither a method of grid.method nor a distribution",
               "methods: " + join(grid.methods) + "; a distribution is { " + std::string(kKinds) + " = [...] }");
      const TomlTable section = *t.table(key);
      for (auto&& [hk, hv] : section.raw()) {
        const std::string hname(hk.str());
        const HParamDecl* decl = method_hparam(*method, hname);
        if (!decl) {
          std::vector<std::string> known;
          for (const auto& d : method_hparams(*method)) known.push_back(d.name);
          const std::string guess = suggest_name(hname, known);
          section.fail(section.locate_key(hname), section.key_path(hname),
                       "method '" + key + "' has no hyperparameter '" + hname + "'",
                       (guess.empty() ? std::string() : "did you mean '" + guess + "'? ") +
                           "its hyperparameters: " + join(known));
        }
        check_not_a_grid_axis(section, hname, grid, {key});
        search.method_space[key][hname] = read_distribution(section, hname, *decl, key);
      }
      continue;
    }
    std::vector<std::string> owners;
    for (const auto& name : grid.methods)
      if (method_hparam(*method_find(name), key)) owners.push_back(name);
    if (owners.empty())
      t.fail(key_where, t.key_path(key), "no method in grid.method has a hyperparameter '" + key + "'",
             "methods: " + join(grid.methods) + " (`clear-sweep methods` lists their hyperparameters)");
    const HParamDecl& decl = shared_hparam_decl(t, key_where, key, owners, "search.space");
    check_not_a_grid_axis(t, key, grid, owners);
    search.shared_space[key] = read_distribution(t, key, decl, "shared by " + join(owners));
  }
}

AshaSpec read_asha(const TomlTable& t) {
  t.expect_keys({"min_epochs", "max_epochs", "eta", "brackets"});
  AshaSpec a;
  a.min_epochs = t.integer("min_epochs", {1, 10000}).value_or(a.min_epochs);
  a.max_epochs = t.integer("max_epochs", {1, 10000}).value_or(a.max_epochs);
  a.eta = t.integer("eta", {2, 100}).value_or(a.eta);
  if (a.max_epochs <= a.min_epochs)
    t.fail(t.locate_key("max_epochs"), t.key_path("max_epochs"),
           std::to_string(a.max_epochs) + " is not above min_epochs " + std::to_string(a.min_epochs),
           "successive halving needs at least two rungs");
  const int64_t rungs = int64_t(a.rungs(0).size());
  a.brackets = t.integer("brackets", {1, double(rungs)}).value_or(a.brackets);
  return a;
}

}  // namespace

SearchSpec read_search(const TomlTable& t, const GridSpec& grid) {
  t.expect_keys(
      {"sampler", "seed", "trials", "objective", "direction", "constraint", "rung_max_items", "asha", "space"});
  SearchSpec search;
  search.sampler =
      t.choice("sampler", {"random", "sobol"}).value_or("random") == "sobol" ? SamplerKind::sobol : SamplerKind::random;
  search.seed = t.integer("seed", {0, 9.2e18}).value_or(search.seed);
  search.trials = t.integer("trials", {1, 100000}).value_or(search.trials);
  search.rung_max_items = t.integer("rung_max_items", {1, 1e9}).value_or(search.rung_max_items);
  search.objective.metric = read_metric(t, "objective");
  search.objective.maximize = t.choice("direction", {"maximize", "minimize"}).value_or("maximize") == "maximize";
  if (const auto c = t.table("constraint")) {
    c->expect_keys({"metric", "min", "max", "relative_to"});
    SearchConstraint constraint;
    constraint.metric = read_metric(*c, "metric");
    constraint.min = c->number("min", {-1e308, 1e308});
    constraint.max = c->number("max", {-1e308, 1e308});
    if (!constraint.min && !constraint.max)
      c->fail(c->where(), c->path(), "a constraint needs min or max",
              "e.g. constraint = { metric = \"model_utility\", min = 0.95, relative_to = \"original\" }");
    constraint.relative_to = c->choice("relative_to", {"original", "gold"}).value_or("");
    search.objective.constraint = constraint;
  }
  if (const auto a = t.table("asha")) {
    search.asha = read_asha(*a);
    for (const auto& name : grid.methods)
      if (!method_hparam(*method_find(name), "epochs"))
        a->fail(a->where(), a->path(), "method '" + name + "' has no epochs to halve over",
                "successive halving uses unlearning epochs as its resource");
    if (grid.shared_axes.count("epochs"))
      a->fail(grid.shared_axes.at("epochs").where, "grid.hparams.epochs", "epochs is the resource [search.asha] sets",
              "remove the axis; the rungs run min_epochs to max_epochs");
    for (const auto& [method, axes] : grid.method_axes)
      if (axes.count("epochs"))
        a->fail(axes.at("epochs").where, "grid.hparams." + method + ".epochs",
                "epochs is the resource [search.asha] sets", "remove the axis; the rungs run min_epochs to max_epochs");
  }
  const auto space = t.table("space");
  if (!space)
    t.fail(t.where(), t.key_path("space"), "missing [search.space]",
           "e.g. [search.space] lr = { log_uniform = [1e-5, 1e-2] }");
  read_space(*space, grid, search);
  if (search.asha) {
    auto reject_epochs = [&](const std::map<std::string, Distribution>& s, const std::string& where) {
      if (s.count("epochs"))
        t.fail(s.at("epochs").where, where + ".epochs", "epochs is the resource [search.asha] sets",
               "sample it only without [search.asha]");
    };
    reject_epochs(search.shared_space, "search.space");
    for (const auto& [method, s] : search.method_space) reject_epochs(s, "search.space." + method);
  }
  for (const auto& method : grid.methods) {
    const auto dims = search.space_of(method);
    if (dims.empty())
      t.fail(space->where(), "search.space", "nothing to sample for method '" + method + "'",
             "give it a distribution, shared or under [search.space." + method + "]");
    double points = 1;
    for (const auto& [name, d] : dims) points *= d.cardinality() > 0 ? d.cardinality() : INFINITY;
    if (points < double(search.trials))
      t.fail(t.locate_key("trials"), t.key_path("trials"),
             std::to_string(search.trials) + " trials, but the space of '" + method + "' has only " +
                 format_number(points) + " distinct points",
             "lower trials, or widen the space; trials never repeat a setting");
  }
  return search;
}

}  // namespace clear_sweep
