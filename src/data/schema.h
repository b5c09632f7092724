// The CLEAR schema (docs/dataset-format.md), shared by the synthetic world and real CLEAR.
// Field names follow CLEAR's and TOFU's parquet columns so an export keeps them.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace clear_sweep {

/// One of TOFU's question-answer pairs about a person.
struct TextQA {
  std::string question;
  std::string answer;
  std::string paraphrased_answer;
  std::vector<std::string> perturbed_answers;  ///< plausible but wrong
};

/// One of CLEAR's images of a person, with its caption and the wrong alternatives.
struct ImageItem {
  std::string image;  ///< path relative to the dataset folder
  std::string caption;
  std::string paraphrased_caption;
  std::vector<std::string> perturbed_captions;
  std::vector<std::string> perturbed_names;  ///< names of other persons, for face recognition
};

/// A fictitious person: the unit that splits are made of.
struct Person {
  int64_t id = 0;  ///< as written in the files; splits refer to it
  std::string name;
  std::vector<std::pair<std::string, std::string>> facts;  ///< ordered key/value biography
  std::vector<TextQA> qa;
  std::vector<ImageItem> images;
};

/// A multiple-choice item of real knowledge (CLEAR's real_faces and real_world): it is
/// about no fictitious person and must survive unlearning.
struct OptionQA {
  std::string image;  ///< empty: a text-only item
  std::string question;
  std::string answer;
  std::vector<std::string> options;  ///< wrong options (CLEAR's `options` minus the answer)
};

/// MLLMU-Bench's three tasks (arXiv 2410.22108): Classification_Task, Mask_Task (cloze)
/// and Generation_Task.
enum class MllmuTask { choice, cloze, generation };
const char* mllmu_task_name(MllmuTask task);

/// Where an MLLMU-Bench item comes from: `train` is ft_Data's question-answer pairs
/// (what finetuning and unlearning train on), `eval` the questions of the forget, retain
/// and celebrity splits, `test` the Test_Set's (a forget profile asked about with
/// another, transformed image of it; nothing trains on them).
enum class MllmuRole { train, eval, test };
const char* mllmu_role_name(MllmuRole role);

/// One MLLMU-Bench question about a profile. Its `Type` is Image_Textual (asked with the
/// image) or Pure_Text.
struct MllmuItem {
  int64_t person = 0;
  MllmuTask task = MllmuTask::generation;
  bool with_image = false;  ///< Type Image_Textual
  MllmuRole role = MllmuRole::eval;
  std::string image;  ///< the image it is asked with; empty for Pure_Text
  /// A Test_Set question: every image of its row (MLLMU-Bench's transformed images);
  /// `image` is the one mllmu_test_image chose. Empty for other roles.
  std::vector<std::string> images;
  std::string question;              ///< cloze questions hold "__" where the blank is
  std::vector<std::string> options;  ///< choice: the texts of options A, B, C, D in order
  std::string answer;                ///< choice: the letter; otherwise the ground truth
};

/// The image a Test_Set question is asked with: one of its row's images, drawn as
/// MLLMU-Bench's eval.py draws one at random (random.choice), but seeded by the profile,
/// so the draw is the same in every run and job and for every question of the profile.
const std::string& mllmu_test_image(int64_t person, const std::vector<std::string>& images);

/// Which file a record came from, for messages that name it.
struct RecordOrigin {
  std::string file;
  uint32_t line = 0;
};

}  // namespace clear_sweep
