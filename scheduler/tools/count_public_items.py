#!/usr/bin/env python3
"""Counts the scheduler crate's public API from rustdoc's JSON output.

Usage (from the workspace root; needs the nightly toolchain, builds into its own target dir):

    CARGO_TARGET_DIR=target/api-json cargo +nightly rustdoc -p scheduler --lib \
        -- -Z unstable-options --output-format json
    python3 scheduler/tools/count_public_items.py target/api-json/doc/scheduler.json [--list]

"Items" are what a user can name by path from `scheduler::`: modules (not the crate root),
structs, enums, traits, free functions, type aliases, constants and statics, each counted once
however many paths re-export it (the way crossbeam-deque "shows four"). Members reachable
through them (inherent methods, public fields, enum variants, trait items) are counted
separately; trait impls (`Clone`, `Debug`, ...) are not counted at all.
"""
import json
import sys
from collections import Counter

NAMED = {"module", "struct", "enum", "trait", "function", "type_alias", "constant", "static", "macro"}


def kind(item):
    inner = item["inner"]
    return next(iter(inner)) if isinstance(inner, dict) else inner


def main():
    doc = json.load(open(sys.argv[1]))
    index = doc["index"]
    root = str(doc["root"])
    items = {}  # id -> path
    members = Counter()

    def visit(item_id, path):
        item = index.get(str(item_id))
        if item is None or item.get("crate_id", 0) != 0:
            return
        k = kind(item)
        if k == "use":
            target = item["inner"]["use"].get("id")
            if target is not None:
                name = item["inner"]["use"]["name"]
                if item["inner"]["use"].get("is_glob"):
                    visit_module_items(str(target), path)
                else:
                    visit(target, path + [name])
            return
        if k not in NAMED or str(item_id) in items:
            return
        items[str(item_id)] = "::".join(path)
        if k == "module":
            visit_module_items(str(item_id), path)
        elif k in ("struct", "enum", "trait"):
            count_members(item, k)

    def visit_module_items(module_id, path):
        module = index[module_id]
        for child in module["inner"]["module"]["items"]:
            child_item = index.get(str(child))
            if child_item is None:
                continue
            name = child_item.get("name")
            visit(child, path + ([name] if name else []))

    def count_members(item, k):
        inner = item["inner"][k]
        if k == "trait":
            members["trait items"] += len(inner["items"])
            return
        if k == "enum":
            members["variants"] += len(inner["variants"])
        if k == "struct":
            fields = inner["kind"].get("plain", {}).get("fields", []) if isinstance(inner["kind"], dict) else []
            if isinstance(inner["kind"], dict) and "tuple" in inner["kind"]:
                fields = [f for f in inner["kind"]["tuple"] if f is not None]
            members["public fields"] += len(fields)
        for impl_id in inner.get("impls", []):
            impl = index.get(str(impl_id))
            if impl is None or impl["inner"]["impl"].get("trait") is not None:
                continue
            for m in impl["inner"]["impl"]["items"]:
                if str(m) in index:
                    members["inherent methods/consts"] += 1

    for child in index[root]["inner"]["module"]["items"]:
        visit(child, ["scheduler", index[str(child)].get("name") or ""])

    by_kind = Counter(kind(index[i]) for i in items)
    print(f"public items: {len(items)}  ({', '.join(f'{k} {n}' for k, n in sorted(by_kind.items()))})")
    print(f"members: {sum(members.values())}  ({', '.join(f'{k} {n}' for k, n in sorted(members.items()))})")
    if "--list" in sys.argv:
        for i, p in sorted(items.items(), key=lambda x: x[1]):
            print(f"  {kind(index[i]):10} {p}")


if __name__ == "__main__":
    main()
