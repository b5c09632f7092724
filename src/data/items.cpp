#include "data/items.h"

#include <map>

#include "common/error.h"
#include "data/rng.h"

namespace clear_sweep {

const std::string& mllmu_test_image(int64_t person, const std::vector<std::string>& images) {
  CS_ASSERT(!images.empty(), "a Test_Set question without images");
  return images[size_t(Rng::stream(uint64_t(person), "mllmu test image").below(images.size()))];
}

const char* mllmu_task_name(MllmuTask task) {
  switch (task) {
    case MllmuTask::choice:
      return "choice";
    case MllmuTask::cloze:
      return "cloze";
    case MllmuTask::generation:
      return "generation";
  }
  return "?";
}

const char* mllmu_role_name(MllmuRole role) {
  switch (role) {
    case MllmuRole::train:
      return "train";
    case MllmuRole::eval:
      return "eval";
    case MllmuRole::test:
      return "test";
  }
  return "?";
}

namespace {

std::string options_block(const MllmuItem& item) {
  std::string out;
  for (size_t k = 0; k < item.options.size(); ++k) out += std::string("\n") + char('A' + k) + ": " + item.options[k];
  return out;
}

std::string cloze_blank(const std::string& question) {
  std::string q = question;
  for (size_t at = q.find("__"); at != std::string::npos; at = q.find("__", at + 7)) q.replace(at, 2, "[Blank]");
  return q;
}

}  // namespace

std::string mllmu_chat_question(const MllmuItem& item) {
  if (item.role == MllmuRole::train) return item.question;  // ft_Data's pairs, as its finetuning asks them
  switch (item.task) {
    case MllmuTask::choice:
      return item.question + options_block(item) + "\nJust give ONE letter representing the answer directly.";
    case MllmuTask::cloze:
      return cloze_blank(item.question) +
             "\nPlease **ONLY** provide the correct answer that should replace the [Blank].";
    case MllmuTask::generation:
      return item.question +
             (item.with_image ? "\nAnswer the question based on your trained knowledge in one sentence accurately "
                                "in ENGLISH."
                              : "\nAnswer the question based on your trained knowledge in one sentence in ENGLISH.");
  }
  return item.question;
}

std::string mllmu_plain_question(const MllmuItem& item) {
  if (item.task == MllmuTask::choice) return item.question + options_block(item);
  if (item.task == MllmuTask::cloze) return cloze_blank(item.question);
  return item.question;
}

std::string mllmu_plain_prompt(const MllmuItem& item) { return qa_prompt(mllmu_plain_question(item)); }

const std::vector<std::string>& caption_prompts() {
  static const std::vector<std::string> prompts{"Describe the image.", "What is shown in this picture?",
                                                "Write a caption for the image.", "What can you see in this image?",
                                                "Give a short description of the picture."};
  return prompts;
}

const std::vector<std::string>& clear_caption_questions() {
  static const std::vector<std::string> questions{
      "What can you see in this picture?",        "Tell me about the content of this image",
      "Can you give a description of the image?", "What is depicted in the image?",
      "Explain what you observe in the picture.", "Describe the image in detail.",
      "What is the main subject of this image?",  "Can you describe the scene or objects in the image?",
      "What is happening in this image?"};
  return questions;
}

std::string qa_prompt(const std::string& question) { return "Question: " + question + "\nAnswer:"; }

ItemText item_text(const Dataset& ds, const ItemRef& item) {
  ItemText t;
  switch (item.kind) {
    case ItemKind::text_qa: {
      const TextQA& qa = ds.person(item.person).qa.at(size_t(item.index));
      t.question = qa.question;
      t.prompt = qa_prompt(qa.question);
      t.answer = qa.answer;
      t.paraphrased_answer = qa.paraphrased_answer;
      t.perturbed_answers = qa.perturbed_answers;
      break;
    }
    case ItemKind::image_caption: {
      const ImageItem& image = ds.person(item.person).images.at(size_t(item.index));
      t.image = image.image;
      // A fixed prompt per image (by position), so an item always reads the same.
      const auto& prompts = caption_prompts();
      t.prompt = qa_prompt(prompts[size_t(item.person + item.index) % prompts.size()]);
      const auto& clear = clear_caption_questions();  // a chat template asks as CLEAR does
      t.question = clear[size_t(item.person + item.index) % clear.size()];
      t.answer = image.caption;
      t.paraphrased_answer = image.paraphrased_caption;
      t.perturbed_answers = image.perturbed_captions;
      break;
    }
    case ItemKind::face_name: {
      const Person& person = ds.person(item.person);
      const ImageItem& image = person.images.at(size_t(item.index));
      t.image = image.image;
      t.prompt = kFaceNamePrompt;
      t.question = kClearFaceQuestion;
      t.answer = person.name;
      t.perturbed_answers = image.perturbed_names;
      break;
    }
    case ItemKind::real_face:
    case ItemKind::real_world:
    case ItemKind::real_author: {
      const auto& set = item.kind == ItemKind::real_face    ? ds.real_faces
                        : item.kind == ItemKind::real_world ? ds.real_world
                                                            : ds.real_authors;
      const OptionQA& q = set.at(size_t(item.index));
      t.image = q.image;
      // Real faces are asked as CLEAR asks for any face; real-world items as questions.
      t.question = q.question;
      t.prompt = qa_prompt(q.question);
      t.answer = q.answer;
      t.perturbed_answers = q.options;
      break;
    }
    case ItemKind::mllmu: {
      const MllmuItem& q = ds.mllmu.at(size_t(item.index));
      if (q.with_image) t.image = q.image;
      t.question = mllmu_chat_question(q);
      t.prompt = mllmu_plain_prompt(q);
      t.answer = q.answer;
      break;
    }
  }
  return t;
}

std::vector<ItemRef> mllmu_items(const Dataset& ds, const std::vector<int64_t>& persons, MllmuRole role) {
  // Indexed once per call: the item lists are built a few times per job, not per step.
  std::map<int64_t, std::vector<int32_t>> by_person;
  for (size_t i = 0; i < ds.mllmu.size(); ++i)
    if (ds.mllmu[i].role == role) by_person[ds.mllmu[i].person].push_back(int32_t(i));
  std::vector<ItemRef> items;
  for (int64_t id : persons)
    for (int32_t i : by_person[id]) items.push_back({ItemKind::mllmu, id, i});
  return items;
}

std::vector<ItemRef> person_items(const Dataset& ds, const std::vector<int64_t>& persons, Modality modality,
                                  bool face_names) {
  std::vector<ItemRef> items;
  const bool text = modality != Modality::visual, visual = modality != Modality::text;
  if (ds.is_mllmu()) {
    for (const ItemRef& item : mllmu_items(ds, persons, MllmuRole::train))
      if (ds.mllmu[size_t(item.index)].with_image ? visual : text) items.push_back(item);
    return items;
  }
  for (int64_t id : persons) {
    const Person& p = ds.person(id);
    if (text)
      for (size_t i = 0; i < p.qa.size(); ++i) items.push_back({ItemKind::text_qa, id, int32_t(i)});
    if (visual)
      for (size_t i = 0; i < p.images.size(); ++i) {
        items.push_back({ItemKind::image_caption, id, int32_t(i)});
        if (face_names) items.push_back({ItemKind::face_name, id, int32_t(i)});
      }
  }
  return items;
}

std::vector<ItemRef> face_items(const Dataset& ds, const std::vector<int64_t>& persons) {
  std::vector<ItemRef> items;
  for (int64_t id : persons)
    for (size_t i = 0; i < ds.person(id).images.size(); ++i) items.push_back({ItemKind::face_name, id, int32_t(i)});
  return items;
}

std::vector<ItemRef> real_face_items(const Dataset& ds) {
  std::vector<ItemRef> items;
  for (size_t i = 0; i < ds.real_faces.size(); ++i) items.push_back({ItemKind::real_face, -1, int32_t(i)});
  return items;
}

std::vector<ItemRef> real_world_items(const Dataset& ds) {
  std::vector<ItemRef> items;
  for (size_t i = 0; i < ds.real_world.size(); ++i) items.push_back({ItemKind::real_world, -1, int32_t(i)});
  return items;
}

std::vector<ItemRef> real_author_items(const Dataset& ds) {
  std::vector<ItemRef> items;
  for (size_t i = 0; i < ds.real_authors.size(); ++i) items.push_back({ItemKind::real_author, -1, int32_t(i)});
  return items;
}

std::vector<ItemRef> text_only_items(const Dataset& ds, const std::vector<ItemRef>& items) {
  std::vector<ItemRef> kept;
  for (const auto& item : items)
    if (item_text(ds, item).image.empty()) kept.push_back(item);
  return kept;
}

std::vector<std::string> dataset_corpus(const Dataset& ds) {
  std::vector<std::string> corpus(caption_prompts().begin(), caption_prompts().end());
  corpus.push_back(qa_prompt(""));
  corpus.push_back(kFaceNamePrompt);
  auto add = [&](const ItemText& t) {
    corpus.push_back(t.prompt);
    corpus.push_back(" " + t.answer);
    if (!t.paraphrased_answer.empty()) corpus.push_back(" " + t.paraphrased_answer);
    for (const auto& p : t.perturbed_answers) corpus.push_back(" " + p);
  };
  std::vector<int64_t> everyone;
  for (const auto& p : ds.persons) everyone.push_back(p.id);
  for (const auto& item : person_items(ds, everyone, Modality::both, true)) add(item_text(ds, item));
  for (const auto& item : real_face_items(ds)) add(item_text(ds, item));
  for (const auto& item : real_world_items(ds)) add(item_text(ds, item));
  for (const auto& item : real_author_items(ds)) add(item_text(ds, item));
  // person_items gave MLLMU's training pairs; its questions are worded apart.
  for (size_t i = 0; i < ds.mllmu.size(); ++i)
    if (ds.mllmu[i].role != MllmuRole::train) add(item_text(ds, {ItemKind::mllmu, ds.mllmu[i].person, int32_t(i)}));
  return corpus;
}

}  // namespace clear_sweep
