// Every way a sweep file can be wrong gets an Error naming the file, the line and
// column, and the key; and a message a user can act on.
#include <catch2/catch.hpp>

#include "sweep/sweep_spec.h"
#include "test_support.h"

using namespace clear_sweep;

namespace {

Error parse_error(const std::string& text) {
  return expect_error([&] { sweep_parse(text, "bad.toml"); });
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// A valid model sweep; cases below change one thing in it.
const std::string kHead = R"(name = "v"
[data]
persons = 40
[model]
preset = "tiny"
)";

}  // namespace

TEST_CASE("unknown keys name the key, its line and column, and suggest the right one") {
  SECTION("at the top level") {
    const Error e =
        parse_error("nmae = \"x\"\n[grid]\nmethod = [\"noop\"]\nmodality = [\"text\"]\nforget_fraction = [5]\n");
    CHECK(e.where().file == "bad.toml");
    CHECK(e.where().line == 1);
    CHECK(e.where().column == 1);
    CHECK(e.key() == "nmae");
    CHECK(e.message() == "unknown key");
    CHECK(contains(e.hint(), "did you mean 'name'?"));
    CHECK(std::string(e.what()).rfind("bad.toml:1:1: error: nmae: unknown key", 0) == 0);
  }
  SECTION("in [grid]") {
    const Error e = parse_error(kHead + "[grid]\nmetod = [\"ga\"]\n");
    CHECK(e.where().line == 7);
    CHECK(e.where().column == 1);
    CHECK(e.key() == "grid.metod");
    CHECK(contains(e.hint(), "did you mean 'method'?"));
    CHECK(contains(e.hint(), "method, modality, forget_fraction, seed, hparams"));
  }
  SECTION("in [data]") {
    const Error e = parse_error("name = \"v\"\n[data]\npersosn = 40\n");
    CHECK(e.where().line == 3);
    CHECK(e.key() == "data.persosn");
    CHECK(contains(e.hint(), "did you mean 'persons'?"));
  }
}

TEST_CASE("unknown method names list the valid ones") {
  const Error e =
      parse_error(kHead + "[grid]\nmethod = [\"ga\", \"scrubb\"]\nmodality = [\"text\"]\nforget_fraction = [5]\n");
  CHECK(e.where().line == 7);
  CHECK(e.where().column == 17);
  CHECK(e.key() == "grid.method[1]");
  CHECK(e.message() == "unknown method 'scrubb'");
  CHECK(contains(e.hint(), "did you mean 'scrub'?"));
  CHECK(contains(e.hint(),
                 "valid methods: retain_ft, ga, gd, kl, idk, dpo, npo, rmu, scrub, llmu, simnpo, undial, ceu, wga, "
                 "satimp, pdu, noop"));
}

TEST_CASE("hyperparameter axes are checked against the methods") {
  const std::string grid = "[grid]\nmethod = [\"ga\", \"npo\"]\nmodality = [\"text\"]\nforget_fraction = [5]\n";
  SECTION("a method section for an unknown method") {
    const Error e = parse_error(kHead + grid + "[grid.hparams.nop]\nbeta = [0.1]\n");
    CHECK(e.key() == "grid.hparams.nop");
    CHECK(contains(e.message(), "unknown method 'nop'"));
    CHECK(contains(e.hint(), "did you mean 'npo'?"));
  }
  SECTION("a method section for a method the grid does not list") {
    const Error e = parse_error(kHead + grid + "[grid.hparams.dpo]\nbeta = [0.1]\n");
    CHECK(e.key() == "grid.hparams.dpo");
    CHECK(contains(e.message(), "which grid.method does not list"));
  }
  SECTION("a hyperparameter the method does not have") {
    const Error e = parse_error(kHead + grid + "[grid.hparams.ga]\nbeta = [0.1]\n");
    CHECK(e.where().line == 11);
    CHECK(e.key() == "grid.hparams.ga.beta");
    CHECK(e.message() == "unknown key");
    CHECK(contains(e.hint(), "known keys in [grid.hparams.ga]: batch_size, epochs"));
  }
  SECTION("a shared axis no listed method declares") {
    const Error e = parse_error(kHead +
                                "[grid]\nmethod = [\"ga\"]\nmodality = [\"text\"]\nforget_fraction = [5]\n"
                                "[grid.hparams]\nbeta = [0.1]\n");
    CHECK(e.where().line == 11);
    CHECK(e.key() == "grid.hparams.beta");
    CHECK(contains(e.message(), "no method in grid.method has a hyperparameter 'beta'"));
    CHECK(contains(e.hint(), "'beta' belongs to dpo, npo"));
  }
  SECTION("a misspelt shared axis") {
    const Error e = parse_error(kHead + grid + "[grid.hparams]\nlearning_rat = [0.1]\n");
    CHECK(e.key() == "grid.hparams.learning_rat");
    CHECK(contains(e.hint(), "hyperparameters of the listed methods:"));
  }
}

TEST_CASE("wrong types") {
  const std::string grid = "[grid]\nmethod = [\"ga\"]\nmodality = [\"text\"]\nforget_fraction = [5]\n[grid.hparams]\n";
  SECTION("a string in a number axis") {
    const Error e = parse_error(kHead + grid + "lr = [1e-4, \"fast\"]\n");
    CHECK(e.where().line == 11);
    CHECK(e.where().column == 13);
    CHECK(e.key() == "grid.hparams.lr[1]");
    CHECK(e.message() == "expected a number, got a string");
  }
  SECTION("a float for an integer hyperparameter") {
    const Error e = parse_error(kHead + grid + "epochs = [1.5]\n");
    CHECK(e.key() == "grid.hparams.epochs[0]");
    CHECK(e.message() == "expected an integer, got a float");
    CHECK(contains(e.hint(), "integer hyperparameter"));
  }
  SECTION("a string for an integer setting") {
    const Error e = parse_error("name = \"v\"\n[data]\npersons = \"forty\"\n");
    CHECK(e.where().line == 3);
    CHECK(e.where().column == 11);
    CHECK(e.key() == "data.persons");
    CHECK(e.message() == "expected an integer, got a string");
  }
  SECTION("a number where a method name belongs") {
    const Error e = parse_error(kHead + "[grid]\nmethod = [1]\nmodality = [\"text\"]\nforget_fraction = [5]\n");
    CHECK(e.key() == "grid.method[0]");
    CHECK(contains(e.message(), "got an integer"));
  }
  SECTION("a section that is not a table") {
    const Error e = parse_error("name = \"v\"\ngrid = 5\n");
    CHECK(e.key() == "grid");
    CHECK(e.message() == "expected a table, got an integer");
  }
  SECTION("a non-string name") {
    const Error e = parse_error("name = 5\n");
    CHECK(e.key() == "name");
    CHECK(e.where().line == 1);
  }
}

TEST_CASE("empty axes") {
  SECTION("method") {
    const Error e = parse_error(kHead + "[grid]\nmethod = []\nmodality = [\"text\"]\nforget_fraction = [5]\n");
    CHECK(e.where().line == 7);
    CHECK(e.key() == "grid.method");
    CHECK(e.message() == "empty axis");
  }
  SECTION("a hyperparameter") {
    const Error e = parse_error(kHead +
                                "[grid]\nmethod = [\"ga\"]\nmodality = [\"text\"]\nforget_fraction = [5]\n"
                                "[grid.hparams]\nlr = []\n");
    CHECK(e.key() == "grid.hparams.lr");
    CHECK(e.message() == "empty axis");
  }
}

TEST_CASE("forget fractions must lie in (0, 100) and select persons") {
  for (const char* bad : {"0", "100", "-1", "150", "nan"}) {
    CAPTURE(bad);
    const Error e =
        parse_error(kHead + "[grid]\nmethod = [\"ga\"]\nmodality = [\"text\"]\nforget_fraction = [5, " + bad + "]\n");
    CHECK(e.where().line == 9);
    CHECK(e.where().column == 23);
    CHECK(e.key() == "grid.forget_fraction[1]");
    CHECK(contains(e.message(), "is outside (0, 100)"));
  }
  SECTION("1 % of 40 persons rounds to nobody") {
    const Error e = parse_error(kHead + "[grid]\nmethod = [\"ga\"]\nmodality = [\"text\"]\nforget_fraction = [1]\n");
    CHECK(e.key() == "grid.forget_fraction[0]");
    CHECK(contains(e.message(), "1 % of 40 persons selects 0 persons to forget"));
    CHECK(contains(e.hint(), "raise data.persons to at least 50"));
  }
  SECTION("noop sweeps have no persons to check") {
    CHECK_NOTHROW(sweep_parse(
        "name = \"v\"\n[grid]\nmethod = [\"noop\"]\nmodality = [\"text\"]\nforget_fraction = [1]\n", "ok.toml"));
  }
}

TEST_CASE("duplicate axis values, however they are spelt") {
  SECTION("method") {
    const Error e = parse_error(
        kHead + "[grid]\nmethod = [\"ga\", \"npo\", \"ga\"]\nmodality = [\"text\"]\nforget_fraction = [5]\n");
    CHECK(e.where().line == 7);
    CHECK(e.where().column == 24);
    CHECK(e.key() == "grid.method");
    CHECK(contains(e.message(), "duplicate value 'ga' (first at line 7, column 11)"));
  }
  SECTION("1e-4 and 0.0001 are one learning rate") {
    const Error e = parse_error(kHead +
                                "[grid]\nmethod = [\"ga\"]\nmodality = [\"text\"]\nforget_fraction = [5]\n"
                                "[grid.hparams]\nlr = [1e-4, 0.0001]\n");
    CHECK(e.key() == "grid.hparams.lr");
    CHECK(contains(e.message(), "duplicate value 0.0001"));
  }
  SECTION("5 and 5.0 are one forget fraction") {
    const Error e =
        parse_error(kHead + "[grid]\nmethod = [\"ga\"]\nmodality = [\"text\"]\nforget_fraction = [5, 5.0]\n");
    CHECK(e.key() == "grid.forget_fraction");
  }
  SECTION("seeds and modalities") {
    CHECK(parse_error(kHead +
                      "[grid]\nmethod = [\"ga\"]\nmodality = [\"text\"]\nforget_fraction = [5]\nseed = [0, 1, 0]\n")
              .key() == "grid.seed");
    CHECK(parse_error(kHead + "[grid]\nmethod = [\"ga\"]\nmodality = [\"text\", \"text\"]\nforget_fraction = [5]\n")
              .key() == "grid.modality");
  }
}

TEST_CASE("hyperparameter ranges") {
  const std::string grid = "[grid]\nmethod = [\"ga\", \"noop\"]\nmodality = [\"text\"]\nforget_fraction = [5]\n";
  SECTION("a zero learning rate") {
    const Error e = parse_error(kHead + grid + "[grid.hparams]\nlr = [0]\n");
    CHECK(e.key() == "grid.hparams.lr[0]");
    CHECK(contains(e.message(), "0 is outside the valid range (0, 1] of 'lr'"));
  }
  SECTION("a fail rate above 1") {
    const Error e = parse_error(kHead + grid + "[grid.hparams.noop]\nfail_rate = [2]\n");
    CHECK(e.key() == "grid.hparams.noop.fail_rate[0]");
    CHECK(contains(e.message(), "outside the valid range [0, 1]"));
  }
  SECTION("not a number at all") {
    const Error e = parse_error(kHead + grid + "[grid.hparams]\nl1_lambda = [nan]\n");
    CHECK(e.message() == "must be a finite number");
  }
  SECTION("a negative seed") { CHECK(parse_error(kHead + grid + "seed = [-1]\n").message() == "seeds must be >= 0"); }
}

TEST_CASE("sections a model sweep needs") {
  SECTION("no [data]") {
    const Error e = parse_error(
        "name = \"v\"\n[model]\npreset = \"tiny\"\n[grid]\nmethod = [\"npo\"]\nmodality = [\"text\"]\n"
        "forget_fraction = [5]\n");
    CHECK(e.key() == "data");
    CHECK(e.message() == "missing [data] section");
    CHECK(contains(e.hint(), "npo needs a model"));
  }
  SECTION("no [model]") {
    const Error e =
        parse_error("name = \"v\"\n[data]\n[grid]\nmethod = [\"npo\"]\nmodality = [\"text\"]\nforget_fraction = [5]\n");
    CHECK(e.key() == "model");
  }
  SECTION("no [grid]") { CHECK(parse_error("name = \"v\"\n").key() == "grid"); }
  SECTION("no grid.method") {
    const Error e = parse_error(kHead + "[grid]\nmodality = [\"text\"]\n");
    CHECK(e.key() == "grid.method");
    CHECK(e.message() == "missing required key");
    CHECK(e.where().line == 6);  // the [grid] header
  }
  SECTION("no name") { CHECK(parse_error("[grid]\n").key() == "name"); }
  SECTION("a name that cannot be a file name") {
    CHECK(contains(parse_error("name = \"a/b\"\n").message(), "has a character other than"));
  }
}

TEST_CASE("data and model settings") {
  SECTION("real CLEAR needs a path") {
    const Error e = parse_error("name = \"v\"\n[data]\nsource = \"clear\"\n");
    CHECK(e.key() == "data.path");
  }
  SECTION("real CLEAR has a fixed size") {
    const Error e = parse_error("name = \"v\"\n[data]\nsource = \"clear\"\npath = \"/d\"\npersons = 10\n");
    CHECK(e.key() == "data.persons");
    CHECK(e.where().line == 5);
    CHECK(e.message() == "only for source = \"synthetic\"");
  }
  SECTION("an unknown source") {
    const Error e = parse_error("name = \"v\"\n[data]\nsource = \"synthetc\"\n");
    CHECK(e.key() == "data.source");
    CHECK(contains(e.hint(), "did you mean 'synthetic'?"));
  }
  SECTION("an unknown model preset") {
    const Error e = parse_error("name = \"v\"\n[model]\npreset = \"tiyn\"\n");
    CHECK(e.key() == "model.preset");
    CHECK(contains(e.hint(), "did you mean 'tiny'?"));
    CHECK(contains(e.hint(), "tiny, small, llava-1.5-7b"));
  }
  SECTION("both a preset and a path") {
    const Error e = parse_error("name = \"v\"\n[model]\npreset = \"tiny\"\npath = \"/m\"\n");
    CHECK(e.key() == "model");
    CHECK(e.message() == "give exactly one of 'preset' and 'path'");
  }
  SECTION("an unknown device") {
    CHECK(parse_error("name = \"v\"\n[resources]\ndevice = \"tpu\"\n").key() == "resources.device");
  }
  SECTION("activation checkpointing that is not a boolean") {
    const Error e = parse_error("name = \"v\"\n[resources]\nactivation_checkpointing = \"yes\"\n");
    CHECK(e.key() == "resources.activation_checkpointing");
    CHECK(e.where().line == 3);
    CHECK(contains(e.message(), "expected true or false"));
  }
}

TEST_CASE("TOML syntax errors carry TOML++'s line and column") {
  const Error e = parse_error("name = \"v\"\n[grid]\nmethod = [\"ga\",\n");
  CHECK(e.where().file == "bad.toml");
  CHECK(e.where().line >= 3);
  CHECK(e.where().column >= 1);
  CHECK(contains(e.message(), "TOML syntax"));
}

TEST_CASE("a missing file is an error naming it") {
  const Error e = expect_error([] { sweep_load("/nonexistent/sweep.toml"); });
  CHECK(e.where().file == "/nonexistent/sweep.toml");
  CHECK(contains(e.message(), "cannot open sweep file"));
  CHECK(contains(e.message(), "No such file or directory"));
}

TEST_CASE("a grid too large to be meant is refused before it is expanded") {
  std::string seeds, seconds;
  for (int i = 0; i < 1001; ++i) {
    seeds += (i ? ", " : "") + std::to_string(i);
    seconds += (i ? ", " : "") + std::to_string(i) + ".5";
  }
  const Error e = parse_error(
      "name = \"v\"\n[grid]\nmethod = [\"noop\"]\nmodality = [\"text\"]\nforget_fraction = [5]\n"
      "seed = [" +
      seeds + "]\n[grid.hparams]\nseconds = [" + seconds + "]\n");
  CHECK(e.key() == "grid");
  CHECK(contains(e.message(), "1002001 jobs"));
}

TEST_CASE("[data] benchmark: MLLMU-Bench's keys and their misuse") {
  const std::string grid =
      "[model]\npreset = \"tiny\"\n[grid]\nmethod = [\"ga\"]\nmodality = [\"both\"]\n"
      "forget_fraction = [10]\n";
  const SweepSpec ok = sweep_parse("name = \"m\"\n[data]\nbenchmark = \"mllmu\"\ncelebrities = 5\n" + grid, "m.toml");
  CHECK(ok.data->is_mllmu());
  CHECK(ok.data->celebrities == 5);
  // Its stages are other artifacts than the CLEAR world's of the same size.
  const SweepSpec clear = sweep_parse("name = \"m\"\n[data]\n" + grid, "m.toml");
  CHECK(ok.training_context() != clear.training_context());
  CHECK(contains(ok.training_context(), "benchmark=mllmu"));
  CHECK_FALSE(contains(clear.training_context(), "benchmark"));

  CHECK(parse_error("name = \"m\"\n[data]\nbenchmark = \"muse\"\n" + grid).key() == "data.benchmark");
  const Error celebrities = parse_error("name = \"m\"\n[data]\ncelebrities = 5\n" + grid);
  CHECK(celebrities.key() == "data.celebrities");
  CHECK(celebrities.where().line == 3);
  CHECK(parse_error("name = \"m\"\n[data]\nbenchmark = \"mllmu\"\nimages_per_person = 3\n" + grid).key() ==
        "data.images_per_person");
  const SweepSpec folder =
      sweep_parse("name = \"m\"\n[data]\nsource = \"clear\"\nbenchmark = \"mllmu\"\npath = \"/x\"\n" + grid, "m.toml");
  CHECK(folder.persons() == kMllmuProfiles);
}

TEST_CASE("[data] benchmark tofu and text-only presets: the text modality only, and their keys") {
  const std::string text_grid = "[grid]\nmethod = [\"ga\"]\nmodality = [\"text\"]\nforget_fraction = [10]\n";
  const std::string tiny_text = "[model]\npreset = \"tiny-text\"\n";
  const SweepSpec ok =
      sweep_parse("name = \"t\"\n[data]\nbenchmark = \"tofu\"\ncelebrities = 5\n" + tiny_text + text_grid, "t.toml");
  CHECK(ok.data->is_tofu());
  CHECK(ok.images_per_person() == 0);
  CHECK(contains(ok.training_context(), "benchmark=tofu,celebrities=5"));
  CHECK(text_only_preset("tiny-text"));
  CHECK_FALSE(text_only_preset("tiny"));
  // TOFU with a VLM is fine on text; any image modality is refused, naming the element.
  CHECK(sweep_parse("name = \"t\"\n[data]\nbenchmark = \"tofu\"\n[model]\npreset = \"tiny\"\n" + text_grid, "t.toml")
            .data->is_tofu());
  const std::string both_grid = "[grid]\nmethod = [\"ga\"]\nmodality = [\"text\", \"both\"]\nforget_fraction = [10]\n";
  const Error tofu_both =
      parse_error("name = \"t\"\n[data]\nbenchmark = \"tofu\"\n[model]\npreset = \"tiny\"\n" + both_grid);
  CHECK(tofu_both.key() == "grid.modality[1]");
  CHECK(contains(tofu_both.message(), "benchmark \"tofu\""));
  // A text-only preset on CLEAR: text only; MLLMU-Bench not at all.
  CHECK(sweep_parse("name = \"t\"\n[data]\n" + tiny_text + text_grid, "t.toml").model->preset == "tiny-text");
  const Error text_both = parse_error("name = \"t\"\n[data]\n" + tiny_text + both_grid);
  CHECK(text_both.key() == "grid.modality[1]");
  CHECK(contains(text_both.message(), "text-only preset \"tiny-text\""));
  CHECK(parse_error("name = \"t\"\n[data]\nbenchmark = \"mllmu\"\n" + tiny_text + text_grid).key() == "data.benchmark");
  CHECK(parse_error("name = \"t\"\n[data]\nbenchmark = \"tofu\"\nimages_per_person = 2\n" + tiny_text + text_grid)
            .key() == "data.images_per_person");
  // A published shape with random weights on real data warns, as llava-1.5-7b does.
  const SweepSpec random = sweep_parse(
      "name = \"t\"\n[data]\nsource = \"clear\"\nbenchmark = \"tofu\"\npath = \"/d\"\n"
      "[model]\npreset = \"llama-3.2-1b\"\n" +
          text_grid,
      "t.toml");
  REQUIRE(random.warnings.size() == 1);
  CHECK(contains(random.warnings[0], "random weights"));
  CHECK(random.persons() == 200);
}

TEST_CASE("[model] prompt: a folder's chat template, its system prompt and date") {
  const std::string head = "name = \"p\"\n[data]\nsource = \"clear\"\nbenchmark = \"tofu\"\npath = \"/d\"\n";
  const std::string grid = "[grid]\nmethod = [\"ga\"]\nmodality = [\"text\"]\nforget_fraction = [10]\n";
  const SweepSpec plain = sweep_parse(head + "[model]\npath = \"/m\"\n" + grid, "p.toml");
  CHECK(plain.model->prompt.empty());
  CHECK_FALSE(contains(plain.training_context(), "prompt"));  // earlier sweeps keep their ids
  const SweepSpec chat = sweep_parse(head +
                                         "[model]\npath = \"/m\"\nprompt = \"chat\"\nsystem_prompt = \"Be brief.\"\n"
                                         "date_string = \"10 Apr 2025\"\n" +
                                         grid,
                                     "p.toml");
  CHECK(chat.model->prompt == "chat");
  CHECK(chat.model->system_prompt == "Be brief.");
  CHECK(chat.model->date_string == "10 Apr 2025");
  CHECK(contains(chat.training_context(), ",prompt=chat,system_prompt=\"Be brief.\",date_string=\"10 Apr 2025\""));
  // "plain" said out loud is the default, ids included.
  CHECK(sweep_parse(head + "[model]\npath = \"/m\"\nprompt = \"plain\"\n" + grid, "p.toml").training_context() ==
        plain.training_context());
  CHECK(parse_error(head + "[model]\npreset = \"tiny-text\"\nprompt = \"chat\"\n" + grid).key() == "model.prompt");
  CHECK(parse_error(head + "[model]\npath = \"/m\"\nprompt = \"chatml\"\n" + grid).key() == "model.prompt");
  // LLaVA-1.5's template for a folder (an Idefics2 one, as MLLMU-Bench evaluates it).
  const SweepSpec llava = sweep_parse(head + "[model]\npath = \"/m\"\nprompt = \"llava-1.5\"\n" + grid, "l.toml");
  CHECK(llava.model->prompt == "llava-1.5");
  CHECK(llava.training_context() != plain.training_context());
  CHECK(parse_error(head + "[model]\npreset = \"tiny\"\nprompt = \"llava-1.5\"\n" + grid).key() == "model.prompt");
  const Error system = parse_error(head + "[model]\npath = \"/m\"\nsystem_prompt = \"x\"\n" + grid);
  CHECK(system.key() == "model.system_prompt");
  CHECK(contains(system.message(), "only with prompt = \"chat\""));
}

TEST_CASE("[eval] attacks: names, their settings, and where they cannot run") {
  const std::string head = "name = \"a\"\n[data]\npersons = 10\n[model]\npreset = \"tiny\"\n";
  const std::string grid = "[grid]\nmethod = [\"ga\"]\nmodality = [\"both\"]\nforget_fraction = [10]\n";
  const SweepSpec plain = sweep_parse(head + grid, "a.toml");
  CHECK(plain.eval.attacks.names.empty());
  CHECK_FALSE(contains(plain.job_context(), "attacks"));  // earlier sweeps keep their ids

  const SweepSpec ok = sweep_parse(
      head + "[eval]\nattacks = [\"quant4\", \"relearn\"]\nrelearn_steps = 7\nquant4_group_size = 64\n" + grid,
      "a.toml");
  CHECK(ok.eval.attacks.names == std::vector<std::string>{"quant4", "relearn"});
  CHECK(ok.eval.attacks.relearn_steps == 7);
  CHECK(ok.eval.attacks.quant4_group_size == 64);
  CHECK(ok.eval.attacks.has("relearn"));
  CHECK_FALSE(ok.eval.attacks.has("quant8"));
  // An attack adds columns to a job's row: another context, other job ids.
  CHECK(contains(ok.job_context(), "attacks=quant4+relearn"));
  CHECK(contains(ok.job_context(), "relearn_steps=7"));
  CHECK(ok.context_hash() != plain.context_hash());
  CHECK(ok.training_context() == plain.training_context());  // the stages are shared

  const Error unknown = parse_error(head + "[eval]\nattacks = [\"relearn\", \"quant3\"]\n" + grid);
  CHECK(unknown.key() == "eval.attacks[1]");
  CHECK(contains(unknown.message(), "unknown attack 'quant3'"));
  CHECK(contains(unknown.hint(), "quant4"));
  CHECK(unknown.where().line == 7);
  CHECK(parse_error(head + "[eval]\nattacks = [\"quant8\", \"quant8\"]\n" + grid).key() == "eval.attacks");
  CHECK(parse_error(head + "[eval]\nattacks = [3]\n" + grid).key() == "eval.attacks[0]");
  // A setting of an attack that does not run.
  const Error orphan = parse_error(head + "[eval]\nattacks = [\"quant8\"]\nrelearn_lr = 1e-3\n" + grid);
  CHECK(orphan.key() == "eval.relearn_lr");
  CHECK(contains(orphan.message(), "\"relearn\""));
  CHECK(parse_error(head + "[eval]\nquant4_group_size = 32\n" + grid).key() == "eval.quant4_group_size");
  CHECK(parse_error(head + "[eval]\nattacks = [\"relearn\"]\nrelearn_on = \"both\"\n" + grid).key() ==
        "eval.relearn_on");
  CHECK(parse_error(head + "[eval]\nattacks = [\"relearn\"]\nrelearn_on = \"paraphrases\"\nrelearn_fraction = 0.5\n" +
                    grid)
            .key() == "eval.relearn_fraction");
  const SweepSpec on_paraphrases =
      sweep_parse(head + "[eval]\nattacks = [\"relearn\"]\nrelearn_on = \"paraphrases\"\n" + grid, "a.toml");
  CHECK(on_paraphrases.eval.attacks.relearn_on == "paraphrases");
  CHECK(contains(on_paraphrases.job_context(), "relearn_on=paraphrases"));
  // Out of range.
  CHECK(parse_error(head + "[eval]\nattacks = [\"relearn\"]\nrelearn_fraction = 1.0\n" + grid).key() ==
        "eval.relearn_fraction");
  CHECK(parse_error(head + "[eval]\nattacks = [\"relearn\"]\nrelearn_steps = 0\n" + grid).key() ==
        "eval.relearn_steps");
  // Where nothing they score exists.
  const Error mllmu = parse_error(
      "name = \"a\"\n[data]\nbenchmark = \"mllmu\"\n[model]\npreset = \"tiny\"\n"
      "[eval]\nattacks = [\"quant8\"]\n" +
      grid);
  CHECK(mllmu.key() == "eval.attacks");
  CHECK(contains(mllmu.message(), "mllmu"));
  const Error noop = parse_error(
      "name = \"a\"\n[eval]\nattacks = [\"quant8\"]\n[grid]\nmethod = [\"noop\"]\nmodality = [\"text\"]\n"
      "forget_fraction = [5]\n");
  CHECK(noop.key() == "eval.attacks");
}

TEST_CASE("a method of the other model kind is a plan-time error naming both") {
  SECTION("a face method in a VLM sweep") {
    const Error e = parse_error(kHead +
                                "[grid]\nmethod = [\"ga\", \"scrub_bio\"]\nmodality = [\"text\"]\n"
                                "forget_fraction = [5]\n");
    CHECK(e.key() == "grid.method[1]");
    CHECK(e.where().line == 7);
    CHECK(e.message() == "'scrub_bio' unlearns resnet18-faces, and [model] is preset \"tiny\" (the VLM)");
    CHECK(contains(e.hint(), "methods for the VLM: retain_ft, ga, gd"));
  }
  SECTION("a VLM method in a face sweep") {
    const Error e = parse_error(
        "name = \"v\"\n[data]\npersons = 40\n[model]\npreset = \"resnet18-faces\"\n[grid]\n"
        "method = [\"scrub_bio\", \"npo\"]\nmodality = [\"visual\"]\nforget_fraction = [5]\n");
    CHECK(e.key() == "grid.method[1]");
    CHECK(e.message() == "'npo' unlearns the VLM, and [model] is preset \"resnet18-faces\" (resnet18-faces)");
    CHECK(contains(e.hint(),
                   "methods for resnet18-faces: finetune, retrain, neggrad, scrub_bio, twins, sparsity, "
                   "face_dpo, face_llmu, face_rmu"));
  }
}

TEST_CASE("the face kind takes images only, its own settings, and none of the VLM's") {
  const std::string faces = "name = \"v\"\n[data]\npersons = 40\n[model]\npreset = \"resnet18-faces\"\n";
  const std::string grid = "[grid]\nmethod = [\"scrub_bio\"]\nmodality = [\"visual\"]\nforget_fraction = [5]\n";
  CHECK(sweep_parse(faces + grid, "ok.toml").model_kind() == ModelKind::faces);
  CHECK(sweep_parse(kHead + "[grid]\nmethod = [\"ga\"]\nmodality = [\"text\"]\nforget_fraction = [5]\n", "ok.toml")
            .model_kind() == ModelKind::vlm);

  Error e = parse_error(faces +
                        "[grid]\nmethod = [\"scrub_bio\"]\nmodality = [\"visual\", \"text\"]\n"
                        "forget_fraction = [5]\n");
  CHECK(e.key() == "grid.modality[1]");
  CHECK(contains(e.hint(), "modality = [\"visual\"]"));

  e = parse_error(kHead + "width = 32\n[grid]\nmethod = [\"ga\"]\nmodality = [\"text\"]\nforget_fraction = [5]\n");
  CHECK(e.key() == "model.width");
  CHECK(e.message() == "only for preset = \"resnet18-faces\"");

  e = parse_error(faces + "image_size = 16\n" + grid);
  CHECK(e.key() == "model.image_size");  // below 32 the ResNet's strides leave nothing

  e = parse_error("name = \"v\"\n[data]\npersons = 40\nbenchmark = \"mllmu\"\n[model]\npreset = \"resnet18-faces\"\n" +
                  grid);
  CHECK(e.key() == "data.benchmark");

  e = parse_error(faces + "[finetune]\nlora_rank = 8\n" + grid);
  CHECK(e.key() == "finetune.lora_rank");

  e = parse_error(faces + "[eval]\nattacks = [\"relearn\"]\n" + grid);
  CHECK(e.key() == "eval.attacks");
  CHECK(contains(e.hint(), "shadow_models"));

  e = parse_error(faces + grid + "[grid.hparams.scrub_bio]\nlora_rank = [4]\n");
  CHECK(e.key() == "grid.hparams.scrub_bio.lora_rank");  // the ResNet's methods take no LoRA setting
  CHECK(contains(e.hint(), "shadow_models"));

  // The face stages' stopping rule: theirs alone, and part of what a stage is.
  for (const char* key : {"target_loss = 0.5", "patience = 3"}) {
    e = parse_error(kHead + "[finetune]\n" + key + "\n[grid]\nmethod = [\"ga\"]\nmodality = [\"text\"]\n" +
                    "forget_fraction = [5]\n");
    CHECK(e.key() == "finetune." + std::string(key).substr(0, std::string(key).find(' ')));
    CHECK(e.message() == "only for preset = \"resnet18-faces\"");
  }
  const SweepSpec plain = sweep_parse(faces + grid, "ok.toml");
  CHECK(plain.finetune.target_loss == std::nullopt);
  const SweepSpec tighter = sweep_parse(faces + "[finetune]\ntarget_loss = 0.1\npatience = 3\n" + grid, "ok.toml");
  CHECK(*tighter.finetune.target_loss == 0.1);
  CHECK(*tighter.finetune.patience == 3);
  CHECK(contains(plain.training_context(), ",faces_training=v2,target_loss="));
  CHECK(tighter.training_context() != plain.training_context());  // other stages, not the cached ones
  e = parse_error(faces + "[finetune]\ntarget_loss = -1\n" + grid);
  CHECK(e.key() == "finetune.target_loss");
}
