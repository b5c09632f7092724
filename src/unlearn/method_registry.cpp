#include "unlearn/method_registry.h"

#include <map>

#include "common/error.h"
#include "common/suggest.h"

namespace clear_sweep {
namespace {

std::map<std::string, MethodFactory>& factories() {
  static std::map<std::string, MethodFactory> registry;
  return registry;
}

}  // namespace

MethodRegistration::MethodRegistration(const std::string& name, MethodFactory factory) {
  CS_ASSERT(factories().emplace(name, std::move(factory)).second, "two unlearning methods named " + name);
}

std::unique_ptr<UnlearnMethod> make_method(const Job& job, const ModelConfig& config) {
  const auto it = factories().find(job.method);
  if (it == factories().end())
    throw Error(SourceLocation{}, "method", "no model implementation of '" + job.method + "'",
                "model methods: " + join(registered_methods()));
  return it->second(job, config);
}

std::vector<std::string> registered_methods() {
  std::vector<std::string> names;
  for (const auto& [name, factory] : factories()) names.push_back(name);
  return names;
}

}  // namespace clear_sweep
