#include "data/splits.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "common/error.h"
#include "common/number_format.h"

namespace clear_sweep {
namespace {

bool whole_percent(double fraction) { return fraction >= 1 && fraction <= 99 && fraction == std::floor(fraction); }

std::string percent_name(const char* prefix, double percent) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s%02d", prefix, int(percent));
  return buf;
}

Error split_error(const std::string& manifest, const std::string& split, const std::string& message,
                  const std::string& hint = {}) {
  return Error(SourceLocation{manifest}, "splits." + split, message, hint);
}

}  // namespace

std::string forget_split_name(double f) { return whole_percent(f) ? percent_name("forget", f) : std::string(); }
std::string retain_split_name(double f) { return whole_percent(f) ? percent_name("retain", 100 - f) : std::string(); }

int64_t forget_count(int64_t trained, double forget_fraction) {
  return std::llround(double(trained) * forget_fraction / 100.0);
}

std::vector<int64_t> forget_persons(const Splits& splits, double fraction, const std::string& manifest) {
  const auto named = splits.named.find(forget_split_name(fraction));
  if (named != splits.named.end()) return named->second;
  if (!splits.nest) {
    std::string published;
    for (const auto& [name, ids] : splits.named)
      if (name.rfind("forget", 0) == 0)
        published += (published.empty() ? "" : ", ") + std::to_string(std::atoi(name.c_str() + 6)) + " %";
    throw Error(SourceLocation{manifest}, "forget_fraction",
                "the dataset publishes no forget split for " + format_number(fraction) +
                    " %, and its splits do not nest (independent draws), so no other fraction can be made of them",
                "use a published fraction: " + (published.empty() ? std::string("none") : published));
  }
  const int64_t trained = int64_t(splits.forget_order.size());
  const int64_t count = forget_count(trained, fraction);
  if (count < 1 || count >= trained)
    throw Error(SourceLocation{manifest}, "forget_fraction",
                format_number(fraction) + " % of " + std::to_string(trained) + " trained persons selects " +
                    std::to_string(count) + " to forget",
                "a forget split needs at least one person and must leave some to retain");
  return {splits.forget_order.begin(), splits.forget_order.begin() + count};
}

std::vector<int64_t> retain_persons(const Splits& splits, double fraction, const std::string& manifest) {
  const auto named = splits.named.find(retain_split_name(fraction));
  if (named != splits.named.end()) return named->second;
  const auto forget = forget_persons(splits, fraction, manifest);
  const std::set<int64_t> forgotten(forget.begin(), forget.end());
  std::vector<int64_t> retain;
  for (int64_t id : splits.forget_order)
    if (!forgotten.count(id)) retain.push_back(id);
  return retain;
}

std::map<std::string, std::vector<int64_t>> standard_named_splits(const std::vector<int64_t>& forget_order,
                                                                  const std::vector<double>& fractions) {
  std::map<std::string, std::vector<int64_t>> named;
  const int64_t trained = int64_t(forget_order.size());
  for (double fraction : fractions) {
    const int64_t count = forget_count(trained, fraction);
    if (count < 1 || count >= trained) continue;
    named[forget_split_name(fraction)] = {forget_order.begin(), forget_order.begin() + count};
    named[retain_split_name(fraction)] = {forget_order.begin() + count, forget_order.end()};
  }
  return named;
}

void validate_splits(const Splits& splits, const std::vector<int64_t>& person_ids, const std::string& manifest) {
  const std::set<int64_t> exists(person_ids.begin(), person_ids.end());
  auto check_members = [&](const std::string& name, const std::vector<int64_t>& ids) {
    std::set<int64_t> seen;
    for (int64_t id : ids) {
      if (!exists.count(id))
        throw split_error(manifest, name, "person " + std::to_string(id) + " is not in the persons file",
                          "split lists hold the `person` ids of persons.jsonl");
      if (!seen.insert(id).second)
        throw split_error(manifest, name, "person " + std::to_string(id) + " is listed twice");
    }
    return seen;
  };

  const auto holdout = check_members("holdout", splits.holdout);
  const auto trained = check_members("forget_order", splits.forget_order);
  const auto celebrity = check_members("celebrity", splits.celebrity);
  for (int64_t id : celebrity)
    if (trained.count(id) || holdout.count(id))
      throw split_error(
          manifest, "celebrity",
          "person " + std::to_string(id) + " is a celebrity and in " + (trained.count(id) ? "forget_order" : "holdout"),
          "celebrities are never forgotten nor held out; a person belongs to one of the three");
  for (int64_t id : holdout)
    if (trained.count(id))
      throw split_error(manifest, "holdout",
                        "person " + std::to_string(id) + " is in holdout and in forget_order (the trained persons)",
                        "holdout persons are never trained on; a person belongs to one of them");
  for (int64_t id : person_ids)
    if (!holdout.count(id) && !trained.count(id) && !celebrity.count(id))
      throw split_error(manifest, "forget_order",
                        "person " + std::to_string(id) + " is in none of forget_order, holdout and celebrity",
                        "list every trained person in forget_order");

  for (int64_t id : check_members("retain_scored", splits.retain_scored))
    if (!trained.count(id))
      throw split_error(manifest, "retain_scored", "person " + std::to_string(id) + " is not in forget_order",
                        "retention is scored on trained persons (TOFU's retain_perturbed authors)");
  for (const auto& [name, ids] : splits.named) {
    const auto members = check_members(name, ids);
    const bool is_forget = name.rfind("forget", 0) == 0, is_retain = name.rfind("retain", 0) == 0;
    if (!is_forget && !is_retain)
      throw split_error(manifest, name, "unknown split name",
                        "named splits are forgetNN and retainNN, e.g. forget10, retain90");
    for (int64_t id : members)
      if (holdout.count(id) || celebrity.count(id))
        throw split_error(manifest, name,
                          "person " + std::to_string(id) + " is in " + name + " and in " +
                              (holdout.count(id) ? "holdout" : "celebrity"),
                          "holdout persons are never trained on; a person belongs to one of them");
    if (!is_forget) continue;
    const std::string partner = percent_name("retain", 100 - std::atoi(name.c_str() + 6));
    const auto other = splits.named.find(partner);
    if (other == splits.named.end())
      throw split_error(manifest, name, "has no retain partner '" + partner + "'",
                        "CLEAR's splits come in pairs: forget10 with retain90");
    for (int64_t id : other->second)
      if (members.count(id))
        throw split_error(manifest, name, "person " + std::to_string(id) + " is in " + name + " and in " + other->first,
                          "a forget split and its retain split are disjoint");
    if (members.size() + other->second.size() != trained.size())
      throw split_error(manifest, name,
                        name + " and " + other->first + " hold " +
                            std::to_string(members.size() + other->second.size()) + " persons, but " +
                            std::to_string(trained.size()) + " are trained",
                        "together they must cover every person of forget_order");
  }
}

}  // namespace clear_sweep
