#!/usr/bin/env python3
"""The layering of src/ (docs/architecture.md), checked on the sources themselves.

1. Each folder includes only from the folders below it (ALLOWED); the folder graph has
   no cycle.
2. The torch-free folders never reach libtorch: no file there includes <torch/...> or
   <ATen/...>, directly or through any chain of our headers.
Usage: check_layers.py SRC_DIR. Prints what breaks a rule and exits 1; 0 when none does.
"""
import os
import re
import sys

# Folder -> the folders it may include from (besides itself).
ALLOWED = {
    "common": set(),
    "store": {"common"},
    "sweep": {"common", "store"},
    "search": {"common", "store", "sweep"},
    "data": {"common", "sweep"},
    "model": {"common", "data", "sweep"},
    "eval": {"common", "data", "model", "store", "sweep"},
    "unlearn": {"common", "data", "eval", "model", "store", "sweep"},
    "faces": {"common", "data", "eval", "model", "sweep"},
    "cluster": {"common", "search", "store", "sweep"},
    "report": {"common", "search", "store", "sweep"},
    "pipeline": {"cluster", "common", "data", "eval", "faces", "model", "store", "sweep", "unlearn", "search"},
    "app": {"cluster", "common", "data", "eval", "report", "search", "store", "sweep"},
}
TORCH_FREE = {"common", "store", "sweep", "search", "data", "cluster", "report", "app"}
# eval/ is torch-free but for the evaluation runner over a model (target cs_eval_model).
TORCH_FREE_EXCEPT = {"eval/model_eval.h", "eval/model_eval.cpp"}
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)


def main(src):
    files = {}
    for root, _, names in os.walk(src):
        for name in names:
            if name.endswith((".h", ".cpp")):
                path = os.path.join(root, name)
                files[os.path.relpath(path, src)] = INCLUDE.findall(open(path, encoding="utf-8").read())
    problems = []
    graph = {}
    for rel, includes in sorted(files.items()):
        folder = rel.split("/")[0]
        if folder not in ALLOWED:
            problems.append(f"{rel}: folder {folder}/ is not in the layering (tests/layering/check_layers.py)")
            continue
        for kind, target in includes:
            if kind != '"' or "/" not in target:
                continue
            other = target.split("/")[0]
            if other == folder or other not in ALLOWED:
                continue
            graph.setdefault(folder, set()).add(other)
            if other not in ALLOWED[folder]:
                problems.append(f"{rel}: includes {target}, but {folder}/ may not include from {other}/")

    # No cycle among folders (the allowed map could be edited into one).
    state = {}

    def visit(node, stack):
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                problems.append("a cycle of folders: " + " -> ".join(stack + [node, nxt]))
            elif nxt not in state:
                visit(nxt, stack + [node])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [])

    # Which of our files reach torch, through any chain of our includes.
    reaches = {}

    def torch_chain(rel, seen):
        if rel in reaches:
            return reaches[rel]
        if rel in seen:
            return None
        seen.add(rel)
        chain = None
        for kind, target in files.get(rel, []):
            if kind == "<" and (target.startswith("torch/") or target.startswith("ATen/") or target.startswith("c10/")):
                chain = [rel, "<" + target + ">"]
                break
            if kind == '"' and target in files:
                sub = torch_chain(target, seen)
                if sub:
                    chain = [rel] + sub
                    break
        reaches[rel] = chain
        return chain

    for rel in sorted(files):
        if rel.split("/")[0] in TORCH_FREE or (rel.startswith("eval/") and rel not in TORCH_FREE_EXCEPT):
            chain = torch_chain(rel, set())
            if chain:
                problems.append(f"{rel} reaches libtorch: " + " -> ".join(chain))
    for p in problems:
        print(p)
    print(f"{len(files)} files checked, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
