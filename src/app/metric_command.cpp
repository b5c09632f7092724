#include "app/metric_command.h"

#include <cstdio>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/exit_codes.h"
#include "eval/bleu.h"
#include "eval/ks_test.h"
#include "eval/rouge.h"

namespace clear_sweep {
namespace {

/// Calls `score` on each non-blank line's JSON object; errors name file:line and field.
int for_each_line(const std::string& path, std::ostream& out,
                  const std::function<double(const nlohmann::json&, const SourceLocation&)>& score) {
  std::ifstream in(path);
  if (!in) throw Error(SourceLocation{path}, "file", "cannot open the file");
  std::string text, results;
  for (uint32_t line = 1; std::getline(in, text); ++line) {
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    const SourceLocation where{path, line};
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {  // parse_error, or a number that overflows
      throw Error(where, "json", "not JSON", "each line is one JSON object");
    }
    if (!j.is_object()) throw Error(where, "json", "expected a JSON object");
    char number[40];
    std::snprintf(number, sizeof number, "%.17g\n", score(j, where));
    results += number;
  }
  out << results;  // all or nothing: a bad line prints no partial column
  return kExitOk;
}

const nlohmann::json& field(const nlohmann::json& j, const char* key, const SourceLocation& where) {
  if (!j.contains(key)) throw Error(where, key, std::string("missing field '") + key + "'");
  return j[key];
}

std::pair<std::string, std::string> reference_and_prediction(const nlohmann::json& j, const SourceLocation& where) {
  const auto& ref = field(j, "reference", where);
  const auto& pred = field(j, "prediction", where);
  if (!ref.is_string()) throw Error(where, "reference", "expected a string");
  if (!pred.is_string()) throw Error(where, "prediction", "expected a string");
  return {ref.get<std::string>(), pred.get<std::string>()};
}

}  // namespace

int metric_rouge_command(const std::string& path, const std::string& type, const std::string& measure,
                         std::ostream& out) {
  return for_each_line(path, out, [&](const nlohmann::json& j, const SourceLocation& where) {
    const auto [ref, pred] = reference_and_prediction(j, where);
    const RougeScore s = type == "rougeL" ? rouge_l(ref, pred) : rouge_n(ref, pred, type == "rouge1" ? 1 : 2);
    return measure == "recall" ? s.recall : measure == "precision" ? s.precision : s.fmeasure;
  });
}

int metric_bleu_command(const std::string& path, std::ostream& out) {
  return for_each_line(path, out, [](const nlohmann::json& j, const SourceLocation& where) {
    const auto [ref, pred] = reference_and_prediction(j, where);
    return sentence_bleu(ref, pred);
  });
}

int metric_ks_command(const std::string& path, std::ostream& out) {
  return for_each_line(path, out, [](const nlohmann::json& j, const SourceLocation& where) {
    std::vector<double> samples[2];
    const char* keys[2] = {"a", "b"};
    for (int s = 0; s < 2; ++s) {
      const auto& v = field(j, keys[s], where);
      if (!v.is_array() || v.empty()) throw Error(where, keys[s], "expected a non-empty list of numbers");
      for (const auto& x : v) {
        if (!x.is_number()) throw Error(where, keys[s], "expected numbers, got " + x.dump());
        samples[s].push_back(x.get<double>());
      }
    }
    return ks_2samp(samples[0], samples[1]).pvalue;
  });
}

}  // namespace clear_sweep
