#include "data/dataset_io.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "common/error.h"
#include "common/publish.h"

namespace clear_sweep {
namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

namespace {

constexpr const char* kFormatName = "clear-sweep-dataset";

// ---------------------------------------------------------------------------------------
// Writing

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  out.close();
  if (!out)
    throw Error(SourceLocation{path.string()}, "write", "cannot write the file", "check free space and permissions");
}

std::string jsonl(const std::vector<Json>& rows) {
  std::string out;
  for (const auto& row : rows) out += row.dump() + "\n";
  return out;
}

Json option_row(const OptionQA& item) {
  Json row;
  if (!item.image.empty()) row["image"] = item.image;
  row["question"] = item.question;
  row["answer"] = item.answer;
  row["options"] = item.options;
  return row;
}

Json mllmu_row(const MllmuItem& item) {
  Json row{{"person", item.person},
           {"task", mllmu_task_name(item.task)},
           {"type", item.with_image ? "Image_Textual" : "Pure_Text"},
           {"role", mllmu_role_name(item.role)},
           {"question", item.question},
           {"answer", item.answer}};
  if (!item.images.empty())
    row["images"] = item.images;  // the choice is made again on load, the same
  else if (!item.image.empty())
    row["image"] = item.image;
  if (item.task == MllmuTask::choice) row["options"] = item.options;
  return row;
}

Json manifest_json(const Dataset& ds, size_t qa_count, size_t image_count) {
  Json m;
  m["format"] = kFormatName;
  m["schema_version"] = kDatasetSchemaVersion;
  m["source"] = ds.source;
  if (ds.is_mllmu() || ds.is_tofu()) m["benchmark"] = ds.benchmark;
  Json provenance = Json::object();
  for (const auto& [key, value] : ds.provenance) provenance[key] = value;
  m["provenance"] = provenance;
  m["counts"] = {{"persons", ds.persons.size()},
                 {"text_qa", qa_count},
                 {"images", image_count},
                 {"real_faces", ds.real_faces.size()},
                 {"real_world", ds.real_world.size()}};
  if (ds.is_mllmu()) m["counts"]["mllmu"] = ds.mllmu.size();
  if (ds.is_tofu()) m["counts"]["real_authors"] = ds.real_authors.size();
  Json splits = Json::object();
  for (const auto& [name, ids] : ds.splits.named) splits[name] = ids;
  splits["holdout"] = ds.splits.holdout;
  if (!ds.splits.celebrity.empty()) splits["celebrity"] = ds.splits.celebrity;
  if (!ds.splits.retain_scored.empty()) splits["retain_scored"] = ds.splits.retain_scored;
  m["splits"] = splits;
  m["forget_order"] = ds.splits.forget_order;
  if (!ds.splits.nest) m["splits_nest"] = false;
  return m;
}

// ---------------------------------------------------------------------------------------
// Reading

/// A record being read, for errors that name file, line and field.
struct Where {
  std::string file;
  uint32_t line = 0;
  Error error(const std::string& key, const std::string& message, const std::string& hint = {}) const {
    return Error(SourceLocation{file, line}, key, message, hint);
  }
};

std::string type_name(const Json& v) { return v.type_name(); }

const Json& field(const Json& row, const char* key, const Where& at) {
  const auto it = row.find(key);
  if (it == row.end())
    throw at.error(key, std::string("missing field '") + key + "'", "every record of this file has it");
  return *it;
}

std::string string_field(const Json& row, const char* key, const Where& at) {
  const Json& v = field(row, key, at);
  if (!v.is_string()) throw at.error(key, "expected a string, got " + type_name(v));
  return v.get<std::string>();
}

std::vector<std::string> strings_field(const Json& row, const char* key, const Where& at) {
  const Json& v = field(row, key, at);
  if (!v.is_array()) throw at.error(key, "expected a list of strings, got " + type_name(v));
  std::vector<std::string> out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_string())
      throw at.error(std::string(key) + "[" + std::to_string(i) + "]", "expected a string, got " + type_name(v[i]));
    out.push_back(v[i].get<std::string>());
  }
  return out;
}

int64_t integer_field(const Json& row, const char* key, const Where& at) {
  const Json& v = field(row, key, at);
  if (!v.is_number_integer()) throw at.error(key, "expected an integer, got " + type_name(v));
  return v.get<int64_t>();
}

/// Each non-blank line of a JSONL file as an object, with its line number.
template <class Fn>
size_t for_each_record(const fs::path& path, Fn&& fn) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw Error(SourceLocation{path.string()}, "file", "cannot open the file",
                "a dataset folder holds manifest.json and the five JSONL files (docs/dataset-format.md)");
  std::string text;
  size_t records = 0;
  for (uint32_t line_no = 1; std::getline(in, text); ++line_no) {
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    const Where at{path.string(), line_no};
    Json row;
    try {
      row = Json::parse(text);
    } catch (const Json::parse_error& e) {
      std::string why = e.what();
      const auto colon = why.find(": ", why.find("column"));
      if (colon != std::string::npos) why = why.substr(colon + 2);
      throw Error(SourceLocation{path.string(), line_no, uint32_t(e.byte)}, "json", "not JSON: " + why,
                  "each line of a .jsonl file is one JSON object");
    } catch (const Json::exception& e) {  // a number that overflows
      throw Error(SourceLocation{path.string(), line_no}, "json", std::string("not JSON: ") + e.what(),
                  "each line of a .jsonl file is one JSON object");
    }
    if (!row.is_object()) throw at.error("json", "expected a JSON object, got " + type_name(row));
    fn(row, at);
    ++records;
  }
  return records;
}

class ImageChecker {
 public:
  ImageChecker(const fs::path& root, const LoadOptions& options, ImageTable* table)
      : root_(root), canonical_root_(fs::weakly_canonical(root)), options_(options), table_(table) {}

  /// Validates the `image` field of a record: inside the folder, present, decodable
  /// (without `decode`, only present: a candidate that may never be used).
  std::string check(const std::string& rel, const Where& at, bool decode = true) {
    if (rel.empty()) throw at.error("image", "empty image path");
    const fs::path path(rel);
    const fs::path normal = path.lexically_normal();
    if (path.is_absolute() || normal.empty() || *normal.begin() == "..")
      throw at.error("image", "path '" + rel + "' leaves the dataset folder",
                     "image paths are relative to the folder that holds manifest.json");
    const fs::path full = root_ / normal;
    std::error_code ec;
    if (!fs::is_regular_file(full, ec))
      throw at.error("image", "image file '" + rel + "' does not exist", "expected at " + full.string());
    const fs::path real = fs::weakly_canonical(full, ec);
    const auto mismatch = std::mismatch(canonical_root_.begin(), canonical_root_.end(), real.begin(), real.end());
    if (ec || mismatch.first != canonical_root_.end())
      throw at.error("image", "path '" + rel + "' resolves outside the dataset folder (a symbolic link?)",
                     "keep the images inside the dataset folder");
    const std::string key = normal.generic_string();
    if (!decode) return key;
    if (!seen_.insert(key).second) return key;
    if (options_.verify_images || table_) {
      Image image;
      try {
        image = read_image(full.string());
      } catch (const Error& e) {
        throw at.error("image", "image '" + rel + "': " + e.message(), e.hint());
      }
      if (table_)
        (*table_)[key] =
            options_.image_size > 0 ? resize_image(image, options_.image_size, options_.image_size) : std::move(image);
    }
    return key;
  }

 private:
  fs::path root_, canonical_root_;
  const LoadOptions& options_;
  ImageTable* table_;
  std::set<std::string> seen_;
};

std::vector<int64_t> id_list(const Json& v, const std::string& key, const Where& at) {
  if (!v.is_array()) throw at.error(key, "expected a list of person ids, got " + type_name(v));
  std::vector<int64_t> ids;
  for (size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_number_integer())
      throw at.error(key + "[" + std::to_string(i) + "]", "expected a person id (integer), got " + type_name(v[i]));
    ids.push_back(v[i].get<int64_t>());
  }
  return ids;
}

}  // namespace

void write_dataset(const Dataset& ds, const std::vector<std::pair<std::string, Image>>& images, const std::string& dir,
                   const std::function<void(int64_t done, int64_t total)>& on_image) {
  const fs::path target(dir);
  std::error_code ec;
  if (fs::exists(target, ec) && !(fs::is_directory(target, ec) && fs::is_empty(target, ec)))
    throw Error(SourceLocation{dir}, "--out", "already exists and is not empty",
                "a dataset is never overwritten: choose a new folder or remove this one");

  // Written beside, renamed into place: a folder with a manifest is a whole dataset.
  publish_dir(
      target, "cannot write the dataset",
      [&](const fs::path& partial) {
        std::vector<Json> persons, qa_rows, image_rows, faces, world_rows;
        for (const auto& p : ds.persons) {
          Json facts = Json::object();
          for (const auto& [k, v] : p.facts) facts[k] = v;
          persons.push_back({{"person", p.id}, {"name", p.name}, {"facts", facts}});
          for (const auto& qa : p.qa)
            qa_rows.push_back({{"person", p.id},
                               {"question", qa.question},
                               {"answer", qa.answer},
                               {"paraphrased_answer", qa.paraphrased_answer},
                               {"perturbed_answers", qa.perturbed_answers}});
          for (const auto& item : p.images)
            image_rows.push_back({{"person", p.id},
                                  {"name", p.name},
                                  {"image", item.image},
                                  {"caption", item.caption},
                                  {"paraphrased_caption", item.paraphrased_caption},
                                  {"perturbed_captions", item.perturbed_captions},
                                  {"perturbed_names", item.perturbed_names}});
        }
        for (const auto& item : ds.real_faces) faces.push_back(option_row(item));
        for (const auto& item : ds.real_world) world_rows.push_back(option_row(item));

        write_text(partial / dataset_files::persons, jsonl(persons));
        write_text(partial / dataset_files::text_qa, jsonl(qa_rows));
        write_text(partial / dataset_files::images, jsonl(image_rows));
        write_text(partial / dataset_files::real_faces, jsonl(faces));
        write_text(partial / dataset_files::real_world, jsonl(world_rows));
        if (ds.is_tofu()) {
          std::vector<Json> rows;
          for (const auto& item : ds.real_authors) rows.push_back(option_row(item));
          write_text(partial / dataset_files::real_authors, jsonl(rows));
        }
        if (ds.is_mllmu()) {
          std::vector<Json> rows;
          for (const auto& item : ds.mllmu) rows.push_back(mllmu_row(item));
          write_text(partial / dataset_files::mllmu, jsonl(rows));
        }
        int64_t written = 0;
        for (const auto& [rel, image] : images) {
          const fs::path path = partial / rel;
          fs::create_directories(path.parent_path());
          write_text(path, encode_png(image));
          if (on_image) on_image(++written, int64_t(images.size()));
        }
        // The manifest last: a folder with a manifest is a whole dataset.
        write_text(partial / dataset_files::manifest,
                   manifest_json(ds, qa_rows.size(), image_rows.size()).dump(2) + "\n");
      },
      /*replace=*/false);
}

Dataset load_dataset(const std::string& dir, const LoadOptions& options, ImageTable* images) {
  const fs::path root(dir);
  std::error_code ec;
  if (!fs::is_directory(root, ec))
    throw Error(SourceLocation{dir}, "dataset", "not a folder",
                "give a dataset folder, e.g. one written by `clear-sweep data synth --out DIR`");
  Dataset ds;
  ds.root = dir;

  // The manifest: format, version, counts, splits.
  const fs::path manifest_path = root / dataset_files::manifest;
  const Where m_at{manifest_path.string(), 0};
  Json manifest;
  {
    std::ifstream in(manifest_path, std::ios::binary);
    if (!in)
      throw m_at.error("manifest", "missing manifest.json",
                       "a dataset folder holds manifest.json; write one with `clear-sweep data synth` or "
                       "scripts/export_clear.py");
    try {
      manifest = Json::parse(in);
    } catch (const Json::exception& e) {  // parse_error, or a number that overflows
      throw Error(SourceLocation{manifest_path.string()}, "json", std::string("not JSON: ") + e.what());
    }
  }
  if (!manifest.is_object()) throw m_at.error("manifest", "expected a JSON object");
  if (string_field(manifest, "format", m_at) != kFormatName)
    throw m_at.error("format", "expected \"" + std::string(kFormatName) + "\"");
  const int64_t version = integer_field(manifest, "schema_version", m_at);
  if (version != kDatasetSchemaVersion)
    throw m_at.error("schema_version",
                     "schema version " + std::to_string(version) + "; this clear-sweep reads version " +
                         std::to_string(kDatasetSchemaVersion),
                     "regenerate or re-export the dataset with this clear-sweep");
  ds.source = string_field(manifest, "source", m_at);
  if (manifest.contains("benchmark")) {
    ds.benchmark = string_field(manifest, "benchmark", m_at);
    if (ds.benchmark != "clear" && ds.benchmark != "mllmu" && ds.benchmark != "tofu")
      throw m_at.error("benchmark", "unknown benchmark '" + ds.benchmark + "'", "clear, mllmu or tofu");
  }
  if (manifest.contains("provenance")) {
    const Json& p = manifest["provenance"];
    if (!p.is_object()) throw m_at.error("provenance", "expected an object of strings");
    for (const auto& [k, v] : p.items()) ds.provenance.emplace_back(k, v.is_string() ? v.get<std::string>() : v.dump());
  }

  ImageChecker checker(root, options, images);

  // persons.jsonl
  std::map<int64_t, size_t> index;
  std::set<std::string> names;
  auto count_persons = for_each_record(root / dataset_files::persons, [&](const Json& row, const Where& at) {
    Person p;
    p.id = integer_field(row, "person", at);
    p.name = string_field(row, "name", at);
    if (p.name.empty()) throw at.error("name", "empty name");
    if (!index.emplace(p.id, ds.persons.size()).second)
      throw at.error("person", "person id " + std::to_string(p.id) + " appears twice");
    if (!names.insert(p.name).second)
      throw at.error("name", "name '" + p.name + "' is used by two persons", "a person is recognised by name");
    if (row.contains("facts")) {
      if (!row["facts"].is_object()) throw at.error("facts", "expected an object of strings");
      for (const auto& [k, v] : row["facts"].items())
        p.facts.emplace_back(k, v.is_string() ? v.get<std::string>() : v.dump());
    }
    ds.persons.push_back(std::move(p));
  });

  auto owner = [&](const Json& row, const Where& at) -> Person& {
    const int64_t id = integer_field(row, "person", at);
    const auto it = index.find(id);
    if (it == index.end())
      throw at.error("person", "person " + std::to_string(id) + " is not in " + dataset_files::persons);
    return ds.persons[it->second];
  };

  auto count_qa = for_each_record(root / dataset_files::text_qa, [&](const Json& row, const Where& at) {
    Person& p = owner(row, at);
    TextQA qa;
    qa.question = string_field(row, "question", at);
    qa.answer = string_field(row, "answer", at);
    qa.paraphrased_answer = string_field(row, "paraphrased_answer", at);
    // TOFU's column is `perturbed_answer` (a list); ours is `perturbed_answers`.
    qa.perturbed_answers =
        strings_field(row, row.contains("perturbed_answer") ? "perturbed_answer" : "perturbed_answers", at);
    p.qa.push_back(std::move(qa));
  });

  auto count_images = for_each_record(root / dataset_files::images, [&](const Json& row, const Where& at) {
    Person& p = owner(row, at);
    if (row.contains("name") && string_field(row, "name", at) != p.name)
      throw at.error("name", "name '" + row["name"].get<std::string>() + "' differs from person " +
                                 std::to_string(p.id) + "'s name '" + p.name + "'");
    ImageItem item;
    item.image = checker.check(string_field(row, "image", at), at);
    item.caption = string_field(row, "caption", at);
    item.paraphrased_caption = string_field(row, "paraphrased_caption", at);
    item.perturbed_captions = strings_field(row, "perturbed_captions", at);
    item.perturbed_names = strings_field(row, "perturbed_names", at);
    p.images.push_back(std::move(item));
  });

  auto read_options = [&](const char* file, std::vector<OptionQA>& out) {
    return for_each_record(root / file, [&](const Json& row, const Where& at) {
      OptionQA item;
      if (row.contains("image") && !row["image"].is_null())
        item.image = checker.check(string_field(row, "image", at), at);
      item.question = string_field(row, "question", at);
      item.answer = string_field(row, "answer", at);
      item.options = strings_field(row, "options", at);
      // CLEAR's options may include the answer itself; ours hold only the wrong ones.
      item.options.erase(std::remove(item.options.begin(), item.options.end(), item.answer), item.options.end());
      if (item.options.empty()) throw at.error("options", "no wrong option besides the answer");
      out.push_back(std::move(item));
    });
  };
  auto count_faces = read_options(dataset_files::real_faces, ds.real_faces);
  auto count_world = read_options(dataset_files::real_world, ds.real_world);
  const size_t count_authors = ds.is_tofu() ? read_options(dataset_files::real_authors, ds.real_authors) : 0;
  size_t count_mllmu = 0;
  if (ds.is_mllmu())
    count_mllmu = for_each_record(root / dataset_files::mllmu, [&](const Json& row, const Where& at) {
      MllmuItem item;
      item.person = owner(row, at).id;
      const std::string task = string_field(row, "task", at);
      if (task == "choice")
        item.task = MllmuTask::choice;
      else if (task == "cloze")
        item.task = MllmuTask::cloze;
      else if (task == "generation")
        item.task = MllmuTask::generation;
      else
        throw at.error("task", "unknown task '" + task + "'", "choice, cloze or generation");
      const std::string type = string_field(row, "type", at);
      if (type != "Image_Textual" && type != "Pure_Text")
        throw at.error("type", "unknown type '" + type + "'", "Image_Textual or Pure_Text, as MLLMU-Bench's Type");
      item.with_image = type == "Image_Textual";
      const std::string role = string_field(row, "role", at);
      if (role == "train")
        item.role = MllmuRole::train;
      else if (role == "eval")
        item.role = MllmuRole::eval;
      else if (role == "test")
        item.role = MllmuRole::test;
      else
        throw at.error("role", "unknown role '" + role + "'",
                       "train (ft_Data), eval (the split questions) or test (the Test_Set)");
      if (item.role == MllmuRole::train && item.task != MllmuTask::generation)
        throw at.error("task", "a train item is a question-answer pair", "task \"generation\" for ft_Data's pairs");
      if (row.contains("images") && !row["images"].is_null()) {
        if (item.role != MllmuRole::test || row.contains("image"))
          throw at.error("images", "only a Test_Set question (role test) lists its row's images, and then no image",
                         "other questions name their one image in `image`");
        item.images = strings_field(row, "images", at);
        if (item.images.empty()) throw at.error("images", "an empty list");
        for (const auto& rel : item.images) checker.check(rel, at, /*decode=*/false);
        item.image = checker.check(mllmu_test_image(item.person, item.images), at);
      } else if (row.contains("image") && !row["image"].is_null()) {
        item.image = checker.check(string_field(row, "image", at), at);
      }
      if (item.with_image && item.image.empty()) throw at.error("image", "an Image_Textual question without an image");
      item.question = string_field(row, "question", at);
      item.answer = string_field(row, "answer", at);
      if (item.answer.empty()) throw at.error("answer", "empty answer");
      if (item.task == MllmuTask::choice) {
        item.options = strings_field(row, "options", at);
        if (item.options.size() < 2 || item.options.size() > 26)
          throw at.error("options", std::to_string(item.options.size()) + " options", "options A, B, C, D in order");
        if (item.answer.size() != 1 || item.answer[0] < 'A' || item.answer[0] >= char('A' + item.options.size()))
          throw at.error("answer", "'" + item.answer + "' is not the letter of an option",
                         "a choice answer is MLLMU-Bench's Correct_Answer, e.g. \"B\"");
      }
      ds.mllmu.push_back(std::move(item));
    });

  // Counts in the manifest catch a JSONL file cut short.
  const Json& counts = field(manifest, "counts", m_at);
  auto check_count = [&](const char* key, const char* file, size_t actual) {
    const int64_t expected = integer_field(counts, key, Where{m_at.file, 0});
    if (expected != int64_t(actual))
      throw m_at.error(
          std::string("counts.") + key,
          "manifest says " + std::to_string(expected) + " records, " + file + " has " + std::to_string(actual),
          "the file may be truncated; regenerate or re-export the dataset");
  };
  check_count("persons", dataset_files::persons, count_persons);
  check_count("text_qa", dataset_files::text_qa, count_qa);
  check_count("images", dataset_files::images, count_images);
  check_count("real_faces", dataset_files::real_faces, count_faces);
  check_count("real_world", dataset_files::real_world, count_world);
  if (ds.is_mllmu()) check_count("mllmu", dataset_files::mllmu, count_mllmu);
  if (ds.is_tofu()) check_count("real_authors", dataset_files::real_authors, count_authors);

  const Json& splits = field(manifest, "splits", m_at);
  if (!splits.is_object()) throw m_at.error("splits", "expected an object of person-id lists");
  for (const auto& [name, ids] : splits.items()) {
    if (name == "holdout")
      ds.splits.holdout = id_list(ids, "splits.holdout", m_at);
    else if (name == "celebrity")
      ds.splits.celebrity = id_list(ids, "splits.celebrity", m_at);
    else if (name == "retain_scored")
      ds.splits.retain_scored = id_list(ids, "splits.retain_scored", m_at);
    else
      ds.splits.named[name] = id_list(ids, "splits." + name, m_at);
  }
  ds.splits.forget_order = id_list(field(manifest, "forget_order", m_at), "forget_order", m_at);
  if (manifest.contains("splits_nest")) {
    if (!manifest["splits_nest"].is_boolean()) throw m_at.error("splits_nest", "expected true or false");
    ds.splits.nest = manifest["splits_nest"].get<bool>();
  }
  std::vector<int64_t> ids;
  for (const auto& p : ds.persons) ids.push_back(p.id);
  validate_splits(ds.splits, ids, manifest_path.string());

  ds.index_persons();
  return ds;
}

}  // namespace clear_sweep
