"""clear-sweep's Idefics2 image processing against transformers' Idefics2ImageProcessorPil
(the PIL backend, the one clear-sweep follows) and Idefics2Processor: the crops (the four
quarters then the whole with do_image_splitting), their resized sizes, their full patches
and pixels, the <image> tokens, on scikit-image's photographs and gradients of odd sizes
(wide, tall, tiny ones scaled up, large ones over longest_edge), under idefics2-8b's
settings with and without splitting, smaller edges, a fixed size {height, width}, no
resize, and CLIP's statistics.

clear-sweep packs each crop as its full patch_size patches only (what the Idefics2 vision
encoder keeps), where transformers pads a batch's crops to the largest and masks the rest.
So, per image of a padded batch:
  - the real crops (those not all zero, as modeling_idefics2 finds them) number ours;
  - each crop's valid region (pixel_attention_mask) is the size ours has, and the
    patch_attention_mask the model computes from it (unfold, all of a patch's pixels
    valid) is the rectangle of our layout row (1, gh, gw);
  - the valid region's full patches, patchified (patch (r, c) at r * gw + c, each by
    (channel, py, px)), equal ours within one 8-bit step per channel (rescale_factor /
    std[c], 2/255 at std 0.5, plus 1e-6);
  - our 8-bit crops (before rescaling) equal Pillow's own Image.resize(BILINEAR) of the
    same quarter exactly: resize_bilinear_pil follows Pillow's fixed point pass by pass.
resize_bilinear_pil alone is also held to Pillow on a sweep of sizes (enlarging,
shrinking, one side only, the vertical pass first). Then the <image> tokens Idefics2Processor
expands an image to (crops * image_seq_len), the resized sizes and layout rows on a few
hundred sizes against get_resize_output_image_size and split_images, the layouts folders
store the settings in (read through load_image_processor), and settings or images it
cannot follow refused naming the key.

usage: test_idefics2_processor.py IMAGE_PREPROCESS_DUMP"""
import json
import os
import subprocess
import sys
import tempfile
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "model"))
from hf_reference import check, finish, require  # noqa: E402

require("numpy", "PIL", "skimage", "tokenizers", "torch", "transformers")
import numpy as np  # noqa: E402
import skimage.data  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402
from tokenizers import Tokenizer, models, pre_tokenizers  # noqa: E402
from transformers import (AutoImageProcessor, Idefics2ImageProcessorPil, Idefics2Processor,  # noqa: E402
                          PreTrainedTokenizerFast)
from transformers.image_utils import SizeDict  # noqa: E402
from transformers.models.idefics2.image_processing_pil_idefics2 import get_resize_output_image_size  # noqa: E402

DUMP = sys.argv[1]
warnings.filterwarnings("ignore")

CLIP_MEAN, CLIP_STD = [0.48145466, 0.4578275, 0.40821073], [0.26862954, 0.26130258, 0.27577711]


def gradient(h, w, seed):
    """A smooth colour gradient with noise: photograph-like statistics at any size."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    y, x = y / max(h - 1, 1), x / max(w - 1, 1)
    base = np.stack([200 * x + 30 * np.sin(7 * y), 180 * y + 40 * x * y, 120 + 90 * np.cos(5 * x + 3 * y)], -1)
    return np.clip(base + rng.normal(0, 12, (h, w, 3)), 0, 255).astype(np.uint8)


def images():
    """(name, RGB uint8 array): photographs, their crops and gradients."""
    astronaut, coffee, chelsea = skimage.data.astronaut(), skimage.data.coffee(), skimage.data.chelsea()
    shots = {
        "astronaut, square (512 x 512)": astronaut,
        "coffee (400 x 600)": coffee,
        "chelsea (300 x 451)": chelsea,
        "camera, grey as RGB (512 x 512)": np.stack([skimage.data.camera()] * 3, -1),
        "coffee, wide strip 150 x 600": coffee[120:270],
        "astronaut, tall strip 512 x 120": astronaut[:, 200:320],
        "coffee and its mirror, wide 300 x 1200 (over longest_edge)":
            np.concatenate([coffee[100:], coffee[100:, ::-1]], 1),
        # Shrinking the height by more than twice the width's pixels: Pillow's vertical pass first.
        "astronaut and its flip, tall 1024 x 300 (over longest_edge)":
            np.concatenate([astronaut[:, 100:400], astronaut[::-1, 100:400]], 0),
        "photographs tiled 1024 x 1051": np.concatenate(
            [np.concatenate([astronaut, astronaut[:, :539]], 1),
             np.concatenate([astronaut, astronaut[:, :539]], 1)[::-1]], 0),
        "rocket, crop 333 x 517": skimage.data.rocket()[:333, :517],
        "gradient 1100 x 1300": gradient(1100, 1300, 3),
        "gradient 2000 x 333 (tall, shrunk)": gradient(2000, 333, 6),
        "gradient 40 x 900": gradient(40, 900, 2),
        "gradient 3 x 1000": gradient(3, 1000, 7),
        "gradient 97 x 61 (scaled up)": gradient(97, 61, 4),
        "gradient 5 x 7 (tiny)": gradient(5, 7, 8),
        "gradient 1 x 1": gradient(1, 1, 5),
    }
    rng = np.random.default_rng(36)
    for i in range(4):
        source = (astronaut, coffee, chelsea)[i % 3]
        h, w = int(rng.integers(10, source.shape[0])), int(rng.integers(10, source.shape[1]))
        shots[f"random crop {h} x {w}"] = source[:h, :w]
    return shots


# name: (Idefics2ImageProcessorPil's settings, the encoder's patch)
SETTINGS = {
    "idefics2-8b (shortest 378, longest 980), no splitting": ({}, 14),
    "idefics2-8b, do_image_splitting": (dict(do_image_splitting=True), 14),
    "shortest 40, longest 100, splitting, patch 8":
        (dict(size={"shortest_edge": 40, "longest_edge": 100}, do_image_splitting=True), 8),
    "size {height 70, width 98}, splitting": (dict(size={"height": 70, "width": 98}, do_image_splitting=True), 14),
    "no resize, splitting": (dict(do_resize=False, do_image_splitting=True), 14),
    "shortest 60, longest 150, CLIP mean and std, patch 16, no pad":
        (dict(size={"shortest_edge": 60, "longest_edge": 150}, image_mean=CLIP_MEAN, image_std=CLIP_STD,
              do_pad=False), 16),
}


def run_dump(*args):
    return subprocess.run([DUMP, *map(str, args)], capture_output=True, text=True)


def regions(h, w, splitting):
    """split_images' crops of an h x w image, as (top, left, height, width)."""
    if not splitting:
        return [(0, 0, h, w)]
    mh, mw = h // 2, w // 2
    return [(0, 0, mh, mw), (0, mw, mh, w - mw), (mh, 0, h - mh, mw), (mh, mw, h - mh, w - mw), (0, 0, h, w)]


def resized(processor, h, w):
    """The size Idefics2ImageProcessorPil gives an h x w crop (transformers' own functions)."""
    if not processor.do_resize:
        return h, w
    size = processor.size
    if size.shortest_edge and size.longest_edge:
        return tuple(get_resize_output_image_size(np.broadcast_to(np.uint8(0), (3, h, w)), size))
    return size.height, size.width


def expected_refusal(processor, patch, h, w):
    """The key clear-sweep refuses an image with, or None: a side of 1 under splitting (its
    quarters are empty; transformers divides by zero), a crop without a full patch."""
    if processor.do_image_splitting and min(h, w) < 2:
        return "image size"
    crops = [resized(processor, ch, cw) for _, _, ch, cw in regions(h, w, processor.do_image_splitting)]
    return "patch_size" if any(min(size) < patch for size in crops) else None


def patchify(crop, gh, gw, p):
    """A crop's [3, H, W] valid pixels as [gh * gw, 3 * p * p]: patches row by row, each by (c, py, px)."""
    x = crop[:, :gh * p, :gw * p].reshape(3, gh, p, gw, p)
    return x.transpose(1, 3, 0, 2, 4).reshape(gh * gw, 3 * p * p)


def patch_attention_mask(mask, p):
    """modeling_idefics2.get_image_features' patch_attention_mask of [crops, H, W] masks."""
    subgrid = torch.from_numpy(np.asarray(mask)).unfold(dimension=1, size=p, step=p)
    subgrid = subgrid.unfold(dimension=2, size=p, step=p)
    return (subgrid.sum(dim=(-1, -2)) == p * p).numpy()


def compare_images(tmp):
    shots = images()
    paths = []
    for i, array in enumerate(shots.values()):
        paths.append(os.path.join(tmp, f"image{i}.png"))
        Image.fromarray(array).save(paths[-1])
    worst = {"pixel_values (steps)": 0.0, "8-bit crops vs Pillow": 0}
    counts = {"crops": 0, "patches": 0, "refused": 0}
    for setting, (kwargs, patch) in SETTINGS.items():
        processor = Idefics2ImageProcessorPil(**kwargs)
        folder = os.path.join(tmp, "processor")
        processor.save_pretrained(folder)
        config = os.path.join(folder, "preprocessor_config.json")
        steps = processor.rescale_factor / np.asarray(processor.image_std, dtype=np.float64)
        names = list(shots)
        refusals = {name: expected_refusal(processor, patch, *shots[name].shape[:2]) for name in names}
        kept = [name for name in names if refusals[name] is None]
        # Batches of three images, each its own sample: a crop's padding follows the batch.
        for first in range(0, len(kept), 3):
            chunk = kept[first:first + 3]
            pictures = [[Image.open(paths[names.index(name)]).convert("RGB")] for name in chunk]
            batch = processor(pictures, return_tensors="np" if processor.do_pad else None)
            for b, name in enumerate(chunk):
                label = f"{setting}, {name}"
                array = shots[name]
                out = os.path.join(tmp, "out")
                run = run_dump(config, "--patch-size", patch, "--image-seq-len", 11, paths[names.index(name)], out)
                if run.returncode != 0:
                    check(False, f"{label}: processed ({run.stderr.strip()})")
                    continue
                ours = json.loads(run.stdout)
                rows = ours["layout_rows"]
                if processor.do_pad:
                    values = np.asarray(batch["pixel_values"][b], dtype=np.float32)
                    real = [k for k in range(len(values)) if np.any(values[k] != 0)]
                    masks = np.asarray(batch["pixel_attention_mask"][b])
                    sizes = [[int(masks[k][:, 0].sum()), int(masks[k][0].sum())] for k in real]
                    rectangles = all(masks[k].sum() == h * w for k, (h, w) in zip(real, sizes))
                    valid = [values[k][:, :h, :w] for k, (h, w) in zip(real, sizes)]
                    theirs_pam = list(patch_attention_mask(masks[real], patch))
                else:  # a list of each crop at its own size; the model's mask is then all ones
                    valid = [np.asarray(v, dtype=np.float32) for v in batch["pixel_values"][b]]
                    sizes = [list(v.shape[1:]) for v in valid]
                    rectangles = True
                    theirs_pam = [patch_attention_mask(np.ones((1, h, w), np.int64), patch)[0] for h, w in sizes]
                crops = len(valid)
                counts["crops"] += crops
                check(crops == len(rows) == len(ours["crops"]) and sizes == ours["crops"] and rectangles
                      and ours["tokens"] == 11 * crops,
                      f"{label}: {len(rows)} crops of {ours['crops']}, {ours['tokens']} tokens; transformers "
                      f"{crops} of {sizes}")
                if crops != len(rows) or sizes != ours["crops"]:
                    continue
                # The model's patch_attention_mask: the rectangle of our (gh, gw), per crop.
                grids = [(r[1], r[2]) for r in rows]
                check(all(r[0] == 1 and r[1] == h // patch and r[2] == w // patch for r, (h, w) in zip(rows, sizes)),
                      f"{label}: layout rows {rows} are each crop's full patches")
                same = True
                for pam, (gh, gw) in zip(theirs_pam, grids):
                    rectangle = np.zeros_like(pam)
                    rectangle[:gh, :gw] = True
                    same = same and np.array_equal(pam, rectangle)
                check(same, f"{label}: the model's patch_attention_mask is our (gh, gw) rectangle in each crop")
                # Pixels: our patches against the valid region patchified.
                patches = sum(gh * gw for gh, gw in grids)
                counts["patches"] += patches
                dim = 3 * patch * patch
                ours_input = np.fromfile(out + ".f32", dtype=np.float32)
                if not check_shape(label, ours, ours_input, [patches, dim]):
                    continue
                expected = np.concatenate([patchify(v, gh, gw, patch) for v, (gh, gw) in zip(valid, grids)])
                diff = np.abs(ours_input.reshape(patches, dim) - expected).reshape(patches, 3, -1)
                per_channel = diff.max(axis=(0, 2))
                worst["pixel_values (steps)"] = max(worst["pixel_values (steps)"], (per_channel / steps).max())
                check(np.all(per_channel <= steps + 1e-6),
                      f"{label}: {patches} patches within one 8-bit step per channel (max "
                      f"{(per_channel / steps).max():.3f} steps, {per_channel.max():.2e})")
                # 8-bit crops: Pillow's own resize of the same quarter, exactly.
                u8 = np.fromfile(out + ".u8", dtype=np.uint8)
                at, differ = 0, 0
                for (top, left, h, w), (rh, rw) in zip(regions(*array.shape[:2], processor.do_image_splitting), sizes):
                    mine = u8[at:at + rh * rw * 3].reshape(rh, rw, 3)
                    at += rh * rw * 3
                    quarter = Image.fromarray(np.ascontiguousarray(array[top:top + h, left:left + w]))
                    pil = np.asarray(quarter.resize((rw, rh), Image.BILINEAR) if (rh, rw) != (h, w) else quarter)
                    differ += int(np.count_nonzero(mine != pil))
                worst["8-bit crops vs Pillow"] = max(worst["8-bit crops vs Pillow"], differ)
                check(differ == 0 and at == u8.size,
                      f"{label}: 8-bit crops equal Pillow's BILINEAR resize ({differ} values differ)")
        for name in names:
            if refusals[name] is None:
                continue
            counts["refused"] += 1
            run = run_dump(config, "--patch-size", patch, paths[names.index(name)], os.path.join(tmp, "out"))
            h, w = shots[name].shape[:2]
            check(run.returncode != 0 and refusals[name] in run.stderr and f"{h} x {w}" in run.stderr,
                  f"{setting}, {name}: refused naming '{refusals[name]}' and the size "
                  f"({run.stderr.strip()[-150:]})")
    print(f"images: {len(shots)} under {len(SETTINGS)} settings, {counts['crops']} crops, {counts['patches']} "
          f"patches compared, {counts['refused']} refused as expected")
    print("largest differences: " + ", ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}"
                                              for k, v in worst.items()))


def check_shape(label, ours, values, shape):
    ok = ours["shape"] == shape and values.size == shape[0] * shape[1]
    check(ok, f"{label}: output_shape {ours['shape']} and {values.size} values, expected {shape}")
    return ok


def compare_bilinear(tmp):
    """resize_bilinear_pil against Pillow's Image.resize(BILINEAR) on a sweep of sizes."""
    source = skimage.data.astronaut()[:301, :457]
    path = os.path.join(tmp, "bilinear.png")
    Image.fromarray(source).save(path)
    rng = np.random.default_rng(5)
    sizes = [(457, 301), (4, 1), (1, 4), (1000, 700), (30, 900), (900, 40), (457, 10), (11, 301), (400, 50),
             (456, 302), (228, 150), (914, 602), (200, 300), (2, 2)]  # (width, height)
    sizes += [tuple(int(v) for v in rng.integers(1, 1200, 2)) for _ in range(80)]
    run = run_dump("--resize-bilinear", path, os.path.join(tmp, "rb"), *[v for s in sizes for v in s])
    differ, vertical_first = [], 0
    for i, (w, h) in enumerate(sizes):
        ours = np.fromfile(os.path.join(tmp, f"rb.{i}.u8"), np.uint8) if run.returncode == 0 else np.zeros(0)
        theirs = np.asarray(Image.fromarray(source).resize((w, h), Image.BILINEAR))
        vertical_first += (301 - h) > 0 and (301 - h) > 2 * (457 - w)
        if ours.size != theirs.size or np.any(ours.reshape(theirs.shape) != theirs):
            differ.append(f"{w} x {h}")
    check(run.returncode == 0 and not differ,
          f"resize_bilinear_pil equals Pillow's BILINEAR on {len(sizes)} sizes of a 457 x 301 photograph "
          f"({vertical_first} with the vertical pass first){': differ at ' + ', '.join(differ[:5]) if differ else ''}"
          f" {run.stderr.strip()[:100]}")


def word_tokenizer():
    """A word-level tokenizer; Idefics2Processor adds <fake_token_around_image>, <image> and
    <end_of_utterance> as special tokens, one id each."""
    vocab = {"<unk>": 0, "<pad>": 1, "describe": 2}
    backend = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    return PreTrainedTokenizerFast(tokenizer_object=backend, unk_token="<unk>", pad_token="<pad>")


def compare_tokens(tmp):
    """The <image> tokens Idefics2Processor expands one image to, against image_tokens."""
    sizes = [(5, 7), (300, 451), (2000, 333), (40, 900), (1024, 1051)]
    for splitting in (False, True):
        image_processor = Idefics2ImageProcessorPil(do_image_splitting=splitting)
        folder = os.path.join(tmp, "tokens")
        image_processor.save_pretrained(folder)
        for seq_len in (64, 7):
            processor = Idefics2Processor(image_processor=image_processor, tokenizer=word_tokenizer(),
                                          image_seq_len=seq_len)
            ids = processor(text=["<image> describe"])["input_ids"][0]
            theirs = ids.count(processor.image_token_id)
            run = run_dump(os.path.join(folder, "preprocessor_config.json"), "--image-seq-len", seq_len, "--sizes",
                           *[v for s in sizes for v in s])
            ours = [json.loads(line).get("tokens") for line in run.stdout.splitlines()]
            check(run.returncode == 0 and ours == [theirs] * len(sizes),
                  f"splitting {splitting}, image_seq_len {seq_len}: <image> tokens equal Idefics2Processor's "
                  f"expansion ({theirs}; ours {sorted(set(map(str, ours)))}) {run.stderr.strip()[:100]}")


def compare_sizes(tmp):
    """The resized sizes and layout rows on a sweep of sizes, against transformers' own
    get_resize_output_image_size and split_images (no images needed). Patch 1 makes each
    layout row the crop's resized size itself."""
    rng = np.random.default_rng(7)
    sizes = [(1, 1), (1, 5000), (5000, 1), (2, 3), (378, 378), (980, 980), (981, 981), (979, 981), (1000, 500),
             (500, 1999), (3, 2000), (2000, 3), (1100, 1300), (27, 30), (28, 28), (14, 14), (13, 200)]
    sizes += [tuple(int(v) for v in rng.integers(1, 4000, 2)) for _ in range(200)]
    sizes += [tuple(int(v) for v in rng.integers(1, 200, 2)) for _ in range(100)]
    sizes += [(int(h), int(h * r)) for h, r in zip(rng.integers(1, 2000, 40), rng.uniform(0.05, 20, 40)) if h * r >= 1]
    cases = {
        "idefics2-8b": (dict(), (1, 14)),
        "idefics2-8b, splitting": (dict(do_image_splitting=True), (1, 14)),
        "shortest 40, longest 100, splitting": (dict(size={"shortest_edge": 40, "longest_edge": 100},
                                                     do_image_splitting=True), (1, 8)),
        "shortest 500, longest 400 (raised past the cap)": (dict(size={"shortest_edge": 500, "longest_edge": 400}),
                                                            (1, 14)),
        "shortest 10, longest 20 (crops under the patch)": (dict(size={"shortest_edge": 10, "longest_edge": 20},
                                                                 do_image_splitting=True), (1, 14)),
        "size {height 70, width 98}, splitting": (dict(size={"height": 70, "width": 98}, do_image_splitting=True),
                                                  (1, 14)),
        "no resize": (dict(do_resize=False), (1, 14)),
    }
    for name, (kwargs, patches) in cases.items():
        processor = Idefics2ImageProcessorPil(**kwargs)
        folder = os.path.join(tmp, "sizes")
        processor.save_pretrained(folder)
        for patch in patches:
            run = run_dump(os.path.join(folder, "preprocessor_config.json"), "--patch-size", patch, "--sizes",
                           *[v for s in sizes for v in s])
            lines = [json.loads(line) for line in run.stdout.splitlines()]
            wrong, refused = [], 0
            for (h, w), ours in zip(sizes, lines):
                key = expected_refusal(processor, patch, h, w)
                if key is not None:
                    refused += 1
                    if ours.get("error") != key:
                        wrong.append(f"{h} x {w}: expected refused naming {key}; ours {ours}")
                    continue
                crops = [resized(processor, ch, cw) for _, _, ch, cw in regions(h, w, processor.do_image_splitting)]
                rows = [[1, ch // patch, cw // patch] for ch, cw in crops]
                if ours.get("resized") != list(crops[-1]) or ours.get("layout_rows") != rows or \
                        ours.get("tokens") != 64 * len(crops):
                    wrong.append(f"{h} x {w}: transformers {crops}, rows {rows}; ours {ours}")
            check(run.returncode == 0 and len(lines) == len(sizes) and not wrong,
                  f"{name}, patch {patch}: resized sizes, layout rows and tokens equal transformers' on "
                  f"{len(sizes)} sizes ({refused} refused){': ' + '; '.join(wrong[:3]) if wrong else ''} "
                  f"{run.stderr.strip()[:100]}")


def parse_layouts(tmp):
    """The layouts folders hold the settings in, read through load_image_processor (the
    dump given the folder), against the processor transformers reads from the same folder."""
    probe = gradient(300, 451, 9)
    probe_path = os.path.join(tmp, "probe.png")
    Image.fromarray(probe).save(probe_path)
    hub = {"do_convert_rgb": True, "do_image_splitting": False, "do_normalize": True, "do_pad": True,
           "do_rescale": True, "do_resize": True, "image_mean": [0.5, 0.5, 0.5],
           "image_processor_type": "Idefics2ImageProcessor", "image_std": [0.5, 0.5, 0.5],
           "processor_class": "Idefics2Processor", "resample": 2, "rescale_factor": 0.00392156862745098,
           "size": {"longest_edge": 980, "shortest_edge": 378}}  # HuggingFaceM4/idefics2-8b's
    layouts = {}
    saved = os.path.join(tmp, "saved")
    Idefics2ImageProcessorPil(do_image_splitting=True, size={"shortest_edge": 60, "longest_edge": 200}) \
        .save_pretrained(saved)
    layouts["transformers 5's preprocessor_config.json (Idefics2ImageProcessorPil.save_pretrained)"] = saved
    nested = os.path.join(tmp, "nested")
    Idefics2Processor(image_processor=Idefics2ImageProcessorPil(size={"height": 70, "width": 98}),
                      tokenizer=word_tokenizer(), image_seq_len=32).save_pretrained(nested)
    with open(os.path.join(nested, "processor_config.json")) as f:
        nested_config = json.load(f)
    check("image_processor" in nested_config and not os.path.exists(os.path.join(nested, "preprocessor_config.json")),
          "transformers 5's Idefics2Processor saves its image processor in processor_config.json "
          f"(keys {sorted(nested_config)})")
    layouts["transformers 5's processor_config.json (Idefics2Processor.save_pretrained)"] = nested
    written = {"hub's idefics2-8b preprocessor_config.json": hub,
               "hub's, with do_image_splitting": dict(hub, do_image_splitting=True),
               "size {height, width}, CLIP mean and std": dict(hub, size={"height": 200, "width": 150},
                                                               image_mean=CLIP_MEAN, image_std=CLIP_STD),
               "no resize": dict(hub, do_resize=False, do_image_splitting=True)}
    for type_name in ("Idefics2ImageProcessorFast", "Idefics2ImageProcessorPil"):
        written[f"type {type_name}"] = dict(hub, image_processor_type=type_name, do_image_splitting=True)
    for i, (name, config) in enumerate(written.items()):
        folder = os.path.join(tmp, f"layout{i}")
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "preprocessor_config.json"), "w") as f:
            json.dump(config, f)
        layouts[name] = folder
    for name, folder in layouts.items():
        theirs = AutoImageProcessor.from_pretrained(folder, backend="pil")
        batch = theirs([[Image.open(probe_path)]], return_tensors="np")
        masks = batch["pixel_attention_mask"][0]
        sizes = [[int(m[:, 0].sum()), int(m[0].sum())] for m in masks]
        run = run_dump(folder, probe_path, os.path.join(tmp, "probe"))
        ours = json.loads(run.stdout) if run.returncode == 0 else {}
        close = False
        if ours.get("crops") == sizes:
            values = np.fromfile(os.path.join(tmp, "probe.f32"), np.float32)
            expected = np.concatenate([patchify(v[:, :h, :w], h // 14, w // 14, 14)
                                       for v, (h, w) in zip(batch["pixel_values"][0], sizes)])
            steps = theirs.rescale_factor / np.asarray(theirs.image_std)
            close = values.size == expected.size and np.all(
                np.abs(values.reshape(expected.shape) - expected).reshape(len(expected), 3, -1).max(axis=(0, 2))
                <= steps + 1e-6)
        check(ours.get("kind") == "idefics2" and ours.get("crops") == sizes and close,
              f"{name}: read as transformers reads {type(theirs).__name__} (splitting "
              f"{theirs.do_image_splitting}, crops {sizes}; ours {ours.get('crops')}, pixel_values within a step "
              f"{close}) {run.stderr.strip()[:100]}")


def refusals(tmp):
    """Settings clear-sweep cannot follow, refused naming the file and the key; and images
    it cannot process, refused naming the key and their size."""
    base = Idefics2ImageProcessorPil().to_dict()
    cases = [("resample", 3), ("resample", 0), ("size", {"shortest_edge": 378}), ("size", {"longest_edge": 980}),
             ("size", 378), ("size", {"height": 70}), ("size", {"height": 0, "width": 70}), ("size", "378"),
             ("size", {"shortest_edge": 378, "longest_edge": 980, "height": 70}), ("do_image_splitting", "yes"),
             ("do_convert_rgb", False), ("image_mean", [0.5, 0.5]), ("image_std", "oops"),
             ("image_processor_type", "Idefics2ImageProcessorSlow")]
    path = os.path.join(tmp, "bad.json")
    for key, value in cases:
        config = dict(base, **{key: value})
        with open(path, "w") as f:
            json.dump(config, f)
        run = run_dump(path, "--sizes", 300, 400)
        check(run.returncode != 0 and key in run.stderr and "bad.json" in run.stderr,
              f"{key} = {json.dumps(value)}: refused naming the file and the key ({run.stderr.strip()[-110:]})")
    # transformers itself fails on the sizes it cannot follow, when called.
    for size in ({"shortest_edge": 378}, {"longest_edge": 980}):
        try:
            Idefics2ImageProcessorPil(size=size)(Image.new("RGB", (40, 30)), return_tensors="np")
            failed = False
        except ValueError:
            failed = True
        check(failed, f"transformers fails on size {size} too")
    # A crop without a full patch (no resize, a small image): refused naming patch_size and the size.
    with open(path, "w") as f:
        json.dump(dict(base, do_resize=False), f)
    small = os.path.join(tmp, "small.png")
    Image.fromarray(gradient(10, 30, 1)).save(small)
    run = run_dump(path, small, os.path.join(tmp, "small"))
    check(run.returncode != 0 and "patch_size" in run.stderr and "10 x 30" in run.stderr,
          f"a 10 x 30 image without the resize: refused naming patch_size and its size ({run.stderr.strip()[-150:]})")
    # Splitting an image of one row: transformers divides by zero; we refuse naming the size.
    with open(path, "w") as f:
        json.dump(dict(base, do_image_splitting=True), f)
    run = run_dump(path, "--sizes", 1, 50)
    line = json.loads(run.stdout) if run.returncode == 0 else {}
    try:
        Idefics2ImageProcessorPil(do_image_splitting=True)(Image.new("RGB", (50, 1)), return_tensors="np")
        theirs = "processed"
    except ZeroDivisionError:
        theirs = "ZeroDivisionError"
    check(line.get("error") == "image size" and "1 x 50" in line.get("message", "") and theirs != "processed",
          f"a 1 x 50 image with splitting is refused naming its size ({line.get('message', '')[:80]}); "
          f"transformers: {theirs}")


with tempfile.TemporaryDirectory() as tmp:
    compare_images(tmp)
    compare_bilinear(tmp)
    compare_tokens(tmp)
    compare_sizes(tmp)
    parse_layouts(tmp)
    refusals(tmp)

finish()
