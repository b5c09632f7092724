// What the model trains and is scored on: every record becomes an item with a prompt,
// a reference answer and the wrong alternatives. Text QA is TOFU's; an image becomes
// CLEAR's caption QA ("describe the image" -> caption) and its face recognition
// ("The name of the person on the image is" -> name); real sets are option QA.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "sweep/modality.h"

namespace clear_sweep {

enum class ItemKind { text_qa, image_caption, face_name, real_face, real_world, mllmu, real_author };

/// A reference to one item of a dataset (cheap to copy and shuffle).
struct ItemRef {
  ItemKind kind = ItemKind::text_qa;
  int64_t person = -1;  ///< text_qa, image_caption, face_name
  int32_t index = 0;    ///< QA index, image index, or row of real_faces / real_world / mllmu / real_authors
};

/// The texts of an item. `answer` is the reference; `paraphrased_answer` may be empty
/// (face names and option QA have none); `perturbed_answers` are the wrong alternatives
/// (perturbed answers, perturbed captions, other persons' names, wrong options).
struct ItemText {
  std::string image;     ///< empty: text only
  std::string prompt;    ///< the plain template's prompt ("Question: ...\nAnswer:" for questions)
  std::string question;  ///< the bare question (or face prompt) a chat template wraps
  std::string answer;
  std::string paraphrased_answer;
  std::vector<std::string> perturbed_answers;
};

ItemText item_text(const Dataset& dataset, const ItemRef& item);

/// The prompts that ask for a caption; an image uses one of them, fixed per image.
const std::vector<std::string>& caption_prompts();
/// CLEAR's caption questions (its code's IMAGE_CAPTION_QUESTIONS): what a chat template
/// asks of an image item. CLEAR draws one at random per sample; an image here keeps one,
/// fixed by its position, so an item always reads the same.
const std::vector<std::string>& clear_caption_questions();
/// CLEAR's face question, trailing space included, as its code asks it.
inline constexpr const char* kClearFaceQuestion = "The name of the person on the image is ";
/// The question-answer template: "Question: ...\nAnswer:".
std::string qa_prompt(const std::string& question);
/// CLEAR's face-recognition prompt.
inline constexpr const char* kFaceNamePrompt = "The name of the person on the image is";

/// MLLMU-Bench's prompts, as its eval.py asks them of a chat model: the question with
/// options "A: ..." one per line, then the instruction to answer with one letter; the
/// cloze question with "__" as "[Blank]", then the instruction to fill only the blank;
/// the generation question, then the one-sentence instruction (which differs by Type).
/// A `train` item (ft_Data's pair) is asked as its question alone.
std::string mllmu_chat_question(const MllmuItem& item);
/// The question with its options or blank, without instructions: the plain template's.
std::string mllmu_plain_question(const MllmuItem& item);
/// The same for the plain template of models trained from scratch: "Question: ...\n
/// Answer:", options included, instructions left out (they would only cost tokens).
std::string mllmu_plain_prompt(const MllmuItem& item);

/// Items about `persons` that a modality trains on, in a fixed order: text QA (text),
/// caption QA (visual), both. With `face_names`, visual items also include each image's
/// face recognition item (the finetuning set does; CLEAR's unlearning sets do not).
/// An MLLMU-Bench dataset's are its `train` items (ft_Data's pairs): Pure_Text ones for
/// text, Image_Textual ones for visual.
std::vector<ItemRef> person_items(const Dataset& dataset, const std::vector<int64_t>& persons, Modality modality,
                                  bool face_names = false);

/// One item per image of `persons`: face recognition (forget / retain / holdout accuracy).
std::vector<ItemRef> face_items(const Dataset& dataset, const std::vector<int64_t>& persons);
/// Every MLLMU-Bench item of `role` about `persons`, both Types.
std::vector<ItemRef> mllmu_items(const Dataset& dataset, const std::vector<int64_t>& persons, MllmuRole role);

/// The real-knowledge sets.
std::vector<ItemRef> real_face_items(const Dataset& dataset);
std::vector<ItemRef> real_world_items(const Dataset& dataset);
/// TOFU's real_authors (empty for other benchmarks).
std::vector<ItemRef> real_author_items(const Dataset& dataset);

/// The items asked without an image: what a text-only language model can be trained and
/// scored on (text QA, and real-knowledge questions that have no image).
std::vector<ItemRef> text_only_items(const Dataset& dataset, const std::vector<ItemRef>& items);

/// Every text of the dataset (prompts included), e.g. to train a tokenizer.
std::vector<std::string> dataset_corpus(const Dataset& dataset);

}  // namespace clear_sweep
