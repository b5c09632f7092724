// Splits by person (CLEAR: forget01/05/10 with retain99/95/90, plus holdout persons never
// trained on). A forget set for any fraction is a prefix of `forget_order`, so forget
// sets nest as TOFU's do; a named split in the manifest, where present, wins, and where
// the named splits do not nest (Splits::nest), only they are.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace clear_sweep {

struct Splits {
  /// Named person lists as CLEAR's configs name them: "forget10", "retain90", ...
  std::map<std::string, std::vector<int64_t>> named;
  /// Every trained (non-holdout) person, in the order they are forgotten.
  std::vector<int64_t> forget_order;
  /// Persons never trained on: membership inference and holdout accuracy.
  std::vector<int64_t> holdout;
  /// MLLMU-Bench's celebrity set (its `Retain_Set`): profiles the base model knows before
  /// any finetuning on fictitious ones. Trained on by every model, never forgotten.
  std::vector<int64_t> celebrity;
  /// The trained persons whose questions retention is scored on (TOFU's retain_perturbed:
  /// its first 20 authors); empty: every retained person's.
  std::vector<int64_t> retain_scored;
  /// False where the published forget splits are independent draws that do not nest
  /// (MLLMU-Bench's 5, 10 and 15 %): a fraction without a named split is then refused
  /// rather than taken as a prefix of forget_order, which would mix persons of
  /// different published splits.
  bool nest = true;
};

/// "forget10" for 10, "" where the fraction is not a whole percent.
std::string forget_split_name(double forget_fraction);
/// "retain90" for 10.
std::string retain_split_name(double forget_fraction);

/// How many of `trained` persons a fraction forgets: round half away from zero, as the
/// sweep planner counts (SweepSpec::forget_persons).
int64_t forget_count(int64_t trained, double forget_fraction);

/// The forget / retain persons of a fraction. Throws Error (key `forget_fraction`) when
/// it selects no one or everyone.
std::vector<int64_t> forget_persons(const Splits& splits, double forget_fraction, const std::string& manifest);
std::vector<int64_t> retain_persons(const Splits& splits, double forget_fraction, const std::string& manifest);

/// The standard named splits for `forget_order` (CLEAR's forget01/05/10 and
/// retain99/95/90, or MLLMU-Bench's 5/10/15, where the fraction selects at least one
/// person and not all).
std::map<std::string, std::vector<int64_t>> standard_named_splits(const std::vector<int64_t>& forget_order,
                                                                  const std::vector<double>& fractions = {1.0, 5.0,
                                                                                                          10.0});

/// Checks split membership against the persons that exist; throws Error naming the
/// manifest and the split: unknown or repeated ids, a person in two disjoint splits
/// (forgetXX and retainYY with XX + YY = 100, holdout and any trained split), a pair
/// that does not cover every trained person.
void validate_splits(const Splits& splits, const std::vector<int64_t>& person_ids, const std::string& manifest);

}  // namespace clear_sweep
