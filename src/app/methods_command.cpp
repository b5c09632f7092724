#include "app/methods_command.h"

#include <nlohmann/json.hpp>

#include <iomanip>

#include "sweep/method_catalog.h"

namespace clear_sweep {
namespace {

std::string value_text(const HParamValue& v) { return hparam_text(v); }

std::vector<std::string> needs_list(const MethodNeeds& n) {
  std::vector<std::string> out;
  if (n.model) out.push_back("model");
  if (n.retain) out.push_back("retain");
  if (n.teacher) out.push_back("teacher");
  if (n.refusals) out.push_back("refusals");
  if (n.hidden_states) out.push_back("hidden_states");
  return out;
}

void print_decls(std::ostream& out, const std::vector<HParamDecl>& decls) {
  for (const auto& d : decls)
    out << "    " << std::left << std::setw(16) << d.name << std::setw(9) << hparam_type_name(d.type) << std::setw(10)
        << value_text(d.default_value) << std::setw(16) << d.range.text() << d.doc << "\n";
}

}  // namespace

int methods_command(OutputFormat format, std::ostream& out) {
  if (format == OutputFormat::json) {
    using Json = nlohmann::ordered_json;
    const auto decl_json = [](const HParamDecl& d) {
      Json j;
      j["name"] = d.name;
      j["type"] = hparam_type_name(d.type);
      if (const auto* i = std::get_if<int64_t>(&d.default_value))
        j["default"] = *i;
      else
        j["default"] = std::get<double>(d.default_value);
      j["range"] = d.range.text();
      j["doc"] = d.doc;
      return j;
    };
    Json j;
    j["training_hparams"] = Json::array();
    for (const auto& d : training_hparams()) j["training_hparams"].push_back(decl_json(d));
    j["methods"] = Json::array();
    for (const auto& m : method_catalog()) {
      Json jm;
      jm["name"] = m.name;
      jm["loss"] = m.summary;
      jm["needs"] = needs_list(m.needs);
      jm["trains"] = m.trains;
      jm["model"] = m.needs.model ? model_kind_name(m.kind) : "none";
      jm["hparams"] = Json::array();
      for (const auto& d : m.own_hparams) jm["hparams"].push_back(decl_json(d));
      j["methods"].push_back(jm);
    }
    out << j.dump(2) << "\n";
    return 0;
  }
  out << "Hyperparameters shared by every training method (set under [grid.hparams]):\n";
  out << "    " << std::left << std::setw(16) << "name" << std::setw(9) << "type" << std::setw(10) << "default"
      << std::setw(16) << "range"
      << "meaning\n";
  print_decls(out, training_hparams());
  out << "\nMethods (their own hyperparameters go under [grid.hparams.METHOD]):\n";
  for (const auto& m : method_catalog()) {
    std::string needs;
    for (const auto& n : needs_list(m.needs)) needs += (needs.empty() ? "" : ", ") + n;
    out << "\n  " << m.name << ": " << m.summary << "\n";
    out << "    needs: " << (needs.empty() ? "nothing" : needs)
        << (m.trains ? "" : "; no shared training hyperparameters") << "\n";
    if (m.needs.model) out << "    unlearns: " << model_kind_name(m.kind) << "\n";
    print_decls(out, m.own_hparams);
  }
  return 0;
}

}  // namespace clear_sweep
