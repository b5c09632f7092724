// Items, sequences and batches: label masks, padding sides, image slots, modality
// filters, forget/retain pairing.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include "data/batch.h"
#include "data/bpe_tokenizer.h"
#include "data/image.h"
#include "data_fixtures.h"

using namespace clear_sweep;
using namespace clear_sweep::testing;

namespace {

struct Fixture {
  SynthWorld world = synth_world(small_world_options());
  BpeTokenizer tokenizer = BpeTokenizer::train(dataset_corpus(world.dataset), 800);
  const Dataset& ds() const { return world.dataset; }
};

}  // namespace

TEST_CASE("labels cover exactly the answer tokens and EOS", "[data][batch]") {
  Fixture f;
  const auto& person = f.ds().persons[0];
  std::vector<Sequence> seqs;
  for (const auto& item : person_items(f.ds(), {person.id}, Modality::both))
    seqs.push_back(item_sequence(f.tokenizer, item_text(f.ds(), item), 4));
  const TokenBatch b = collate(seqs, f.tokenizer.special().pad, PadSide::right);
  REQUIRE(b.rows == int64_t(seqs.size()));
  for (int64_t r = 0; r < b.rows; ++r) {
    const Sequence& s = seqs[size_t(r)];
    std::vector<int32_t> labelled;
    for (int64_t t = 0; t < b.length; ++t) {
      const size_t at = size_t(r * b.length + t);
      const bool answer = t >= int64_t(s.prompt.size()) && t < int64_t(s.prompt.size() + s.answer.size());
      CHECK((b.labels[at] != kIgnoreLabel) == answer);
      CHECK(b.attention_mask[at] == (t < int64_t(s.prompt.size() + s.answer.size())));
      if (answer) labelled.push_back(b.labels[at]);
    }
    CHECK(labelled == s.answer);
    CHECK(labelled.back() == f.tokenizer.special().eos);
  }
  // The answer decodes back to the reference (after its leading space).
  const ItemText t = item_text(f.ds(), {ItemKind::text_qa, person.id, 0});
  const Sequence s = item_sequence(f.tokenizer, t, 4);
  CHECK(f.tokenizer.decode(s.answer) == " " + t.answer);
  CHECK(f.tokenizer.decode(s.prompt) == t.prompt);
}

TEST_CASE("image items carry the image and its placeholder run, text items neither", "[data][batch]") {
  Fixture f;
  const int64_t id = f.ds().persons[1].id;
  const Sequence text = item_sequence(f.tokenizer, item_text(f.ds(), {ItemKind::text_qa, id, 0}), 9);
  const Sequence image = item_sequence(f.tokenizer, item_text(f.ds(), {ItemKind::image_caption, id, 0}), 9);
  const Sequence face = item_sequence(f.tokenizer, item_text(f.ds(), {ItemKind::face_name, id, 0}), 9);
  const int32_t placeholder = f.tokenizer.special().image;
  CHECK(std::count(text.prompt.begin(), text.prompt.end(), placeholder) == 0);
  CHECK(text.image.empty());
  CHECK(std::count(image.prompt.begin(), image.prompt.end(), placeholder) == 9);
  CHECK(image.prompt[0] == f.tokenizer.special().bos);
  CHECK(image.prompt[1] == placeholder);
  CHECK(image.image == f.ds().persons[1].images[0].image);
  CHECK(f.tokenizer.decode(face.answer) == " " + f.ds().persons[1].name);
  CHECK(f.tokenizer.decode(face.prompt) == kFaceNamePrompt);
}

TEST_CASE("a chat template asks as CLEAR's code does, the plain one keeps the presets' prompts", "[data][batch]") {
  Fixture f;
  const PromptFormat chat("llava-1.5", 4, f.tokenizer.special().image), plain(4);
  const int64_t id = f.ds().persons[0].id;
  for (int32_t i = 0; i < int32_t(f.ds().persons[0].images.size()); ++i) {
    const ItemText caption = item_text(f.ds(), {ItemKind::image_caption, id, i});
    const auto& clear = clear_caption_questions();
    CHECK(std::find(clear.begin(), clear.end(), template_prompt(caption, chat)) != clear.end());
    CHECK(template_prompt(caption, plain).rfind("Question: ", 0) == 0);
    CHECK(item_text(f.ds(), {ItemKind::image_caption, id, i}).question == caption.question);  // fixed per image
  }
  const ItemText face = item_text(f.ds(), {ItemKind::face_name, id, 0});
  CHECK(template_prompt(face, chat) == "The name of the person on the image is ");
  CHECK(template_text(chat, template_prompt(face, chat), true) ==
        "USER: <image>\nThe name of the person on the image is  ASSISTANT:");
  const ItemText qa = item_text(f.ds(), {ItemKind::text_qa, id, 0});
  CHECK(template_text(chat, template_prompt(qa, chat), false) == "USER: " + qa.question + " ASSISTANT:");
  CHECK(template_prompt(qa, plain) == qa_prompt(qa.question));
}

TEST_CASE("Idefics2's prompt: each image marker becomes its crops' runs between boundaries, as its processor writes",
          "[data][batch]") {
  PromptFormat f("chat", 6, 5);
  f.image_marker = "<image>";
  f.image_boundary = "<fake>";
  f.image_text = "<fake><image><image><fake>";
  // A word after the closing boundary gets a space; a space, a newline or a tag do not.
  CHECK(expand_image_markers("User:<image>Who?", f) == "User:<fake><image><image><fake> Who?");
  CHECK(expand_image_markers("User:<image>\nWho?", f) == "User:<fake><image><image><fake>\nWho?");
  CHECK(expand_image_markers("<image><end>", f) == "<fake><image><image><fake><end>");
  // Two images in a row share the boundary between them; so do crops (splitting).
  CHECK(expand_image_markers("<image><image>x", f) == "<fake><image><image><fake><image><image><fake> x");
  f.image_text = "<fake><image><fake><fake><image><fake>";
  CHECK(expand_image_markers("<image>", f) == "<fake><image><fake><image><fake>");
  CHECK(expand_image_markers("no image", f) == "no image");
}

TEST_CASE("left padding for generation ends every row at its last prompt token", "[data][batch]") {
  Fixture f;
  std::vector<Sequence> seqs;
  for (int i = 0; i < 3; ++i)
    seqs.push_back(item_sequence(f.tokenizer, item_text(f.ds(), {ItemKind::text_qa, 0, int32_t(i * 7)}), 0));
  seqs.push_back(item_sequence(f.tokenizer, item_text(f.ds(), {ItemKind::image_caption, 0, 0}), 6));
  const TokenBatch b = collate(seqs, f.tokenizer.special().pad, PadSide::left, true);
  for (int64_t r = 0; r < b.rows; ++r) {
    const auto& prompt = seqs[size_t(r)].prompt;
    const int64_t pad = b.length - int64_t(prompt.size());
    for (int64_t t = 0; t < b.length; ++t) {
      const size_t at = size_t(r * b.length + t);
      CHECK(b.attention_mask[at] == (t >= pad));
      CHECK(b.labels[at] == kIgnoreLabel);
      if (t >= pad) {
        CHECK(b.input_ids[at] == prompt[size_t(t - pad)]);
        CHECK(b.position_ids[at] == t - pad);
      } else {
        CHECK(b.input_ids[at] == f.tokenizer.special().pad);
      }
    }
  }
  CHECK(b.images[3] == f.ds().persons[0].images[0].image);
  CHECK(b.images[0].empty());
}

TEST_CASE("modality filters pick text QA, caption QA or both", "[data][batch]") {
  Fixture f;
  const auto forget = forget_persons(f.ds().splits, 10, "m");
  const auto text = person_items(f.ds(), forget, Modality::text);
  const auto visual = person_items(f.ds(), forget, Modality::visual);
  const auto both = person_items(f.ds(), forget, Modality::both);
  const auto with_faces = person_items(f.ds(), forget, Modality::visual, true);
  CHECK(text.size() == forget.size() * 20);
  CHECK(visual.size() == forget.size() * 3);
  CHECK(both.size() == text.size() + visual.size());
  CHECK(with_faces.size() == 2 * visual.size());
  for (const auto& i : text) CHECK(i.kind == ItemKind::text_qa);
  for (const auto& i : visual) CHECK(i.kind == ItemKind::image_caption);
  const std::set<int64_t> allowed(forget.begin(), forget.end());
  for (const auto& i : both) CHECK(allowed.count(i.person) == 1);
  CHECK(real_face_items(f.ds()).size() == f.ds().real_faces.size());
  CHECK(real_world_items(f.ds()).size() == f.ds().real_world.size());
  const ItemText rw = item_text(f.ds(), real_world_items(f.ds())[0]);
  CHECK(rw.perturbed_answers.size() == 3);
  CHECK(!rw.image.empty());
}

TEST_CASE("forget items pair with random retain items, the same under a seed", "[data][batch]") {
  Rng a(11), b(11), c(12);
  const auto pa = pair_with_retain(500, 37, a);
  CHECK(pa == pair_with_retain(500, 37, b));
  CHECK(pa != pair_with_retain(500, 37, c));
  std::set<size_t> used(pa.begin(), pa.end());
  CHECK(*used.rbegin() < 37);
  CHECK(used.size() > 30);  // random, not the first few
  const auto order = epoch_order(50, 3, 0);
  CHECK(order == epoch_order(50, 3, 0));
  CHECK(order != epoch_order(50, 3, 1));
  std::set<size_t> all(order.begin(), order.end());
  CHECK(all.size() == 50);
}

TEST_CASE("images decode, resize and normalise into CHW floats", "[data][image]") {
  Image image(4, 2);
  for (size_t i = 0; i < image.rgb.size(); ++i) image.rgb[i] = uint8_t(i * 9);
  const Image back = decode_image(encode_png(image), "mem.png");
  CHECK(back.width == 4);
  CHECK(back.height == 2);
  CHECK(back.rgb == image.rgb);
  CHECK(encode_png(image) == encode_png(back));
  const Image big = resize_image(image, 8, 6);
  CHECK(big.width == 8);
  CHECK(big.rgb.size() == 8 * 6 * 3);

  Image flat(3, 3);
  std::fill(flat.rgb.begin(), flat.rgb.end(), uint8_t(255));
  const auto input = image_to_input(flat, 3);
  REQUIRE(input.size() == 27);
  for (int c = 0; c < 3; ++c)
    CHECK(input[size_t(c * 9 + 4)] == Approx((1.0f - kClipPixelNorm.mean[size_t(c)]) / kClipPixelNorm.std[size_t(c)]));
  CHECK(expect_error([] { decode_image("GIF89a", "x.gif"); }).where().file == "x.gif");
}

TEST_CASE("crafted images are refused before stb decodes them: oversized Huffman tables, huge sizes", "[data][image]") {
  // The JPEGs fuzz/fuzz_image found overflowing Debian's stb_image 2.27 (a DHT segment of
  // more than 256 codes): each is now an Error naming the table.
  size_t jpegs = 0;
  for (const auto& entry : std::filesystem::directory_iterator(source_path("fuzz/corpus/image"))) {
    if (entry.path().filename().string().rfind("regression-", 0) != 0) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    INFO(entry.path());
    const Error e = expect_error([&] { decode_image(bytes, "crafted.jpg"); });
    jpegs += e.message().find("Huffman table of") != std::string::npos;
  }
  CHECK(jpegs >= 4);
  // A valid JPEG still decodes; a PNG header claiming 10000 x 10000 pixels (300 MB, under
  // stb's own 1 GiB limit) is refused by its size, before any pixel is allocated.
  std::ifstream in(source_path("fuzz/corpus/image/seed-face.jpg"), std::ios::binary);
  const std::string jpeg((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(decode_image(jpeg, "face.jpg").width == 16);
  std::string png = encode_png(Image(2, 2));
  for (size_t at : {16, 20}) {  // IHDR's width and height, big-endian
    png[at] = 0;
    png[at + 1] = 0;
    png[at + 2] = char(0x27);
    png[at + 3] = char(0x10);
  }
  const Error big = expect_error([&] { decode_image(png, "big.png"); });
  INFO(big.message());
  CHECK(big.message().find("10000 x 10000 pixels") == 0);
}
