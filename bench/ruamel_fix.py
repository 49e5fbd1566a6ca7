#!/usr/bin/env python3
"""The peer: what users write today to apply `$imagepolicy` markers without a cluster.

Walk the tree, load every manifest that holds a marker with ruamel.yaml's round-trip loader, set
each marked value, and dump the file back. The values come from a JSON map of policy -> resolved
image (`NS:NAME` -> {name, tag, digest, reflect_digest}), here written by the corpus generator;
in real life it is a script's hard-coded table or the output of `flux get image policy`.

The loader is configured as a careful user would: quotes preserved, no line wrapping, the
indentation of indented block sequences kept. It still re-serialises whole files.

usage: ruamel_fix.py ROOT TARGETS_JSON
"""

import json
import os
import re
import sys
from io import StringIO

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

MARKER = re.compile(r'#+\s*(\{.*"\$imagepolicy".*\})\s*$')


def new_value(setter, targets):
    parts = setter.split(":")
    policy = ":".join(parts[:2])
    suffix = parts[2] if len(parts) > 2 else ""
    target = targets.get(policy)
    if target is None:
        return None
    if suffix == "tag":
        return target["tag"]
    if suffix == "name":
        return target["name"]
    if suffix == "digest":
        return target["digest"]
    full = f'{target["name"]}:{target["tag"]}'
    if target["reflect_digest"]:
        full += "@" + target["digest"]
    return full


def marked_lines(text, targets):
    """0-based line -> new value, for each line whose scalar a marker sets."""
    out = {}
    for number, line in enumerate(text.splitlines()):
        m = MARKER.search(line)
        if not m:
            continue
        try:
            setter = json.loads(m.group(1))["$imagepolicy"]
        except (ValueError, KeyError, TypeError):
            continue
        value = new_value(setter, targets)
        if value is None:
            continue
        head = line.lstrip().startswith("#")  # a head comment marks the item below it
        out[number + 1 if head else number] = value
    return out


def set_value(container, key, value):
    old = container[key]
    if isinstance(old, str) and type(old) is not str:
        value = type(old)(value)  # keep the quoting style preserve_quotes recorded
    container[key] = value


def apply(node, lines):
    """Set the scalars sitting on marked lines; return how many were set."""
    if isinstance(node, CommentedMap):
        slots = ((key, node.lc.value) for key in list(node.keys()))
    elif isinstance(node, CommentedSeq):
        slots = ((index, node.lc.item) for index in range(len(node)))
    else:
        return 0
    count = 0
    for slot, position in slots:
        child = node[slot]
        if isinstance(child, (CommentedMap, CommentedSeq)):
            count += apply(child, lines)
            continue
        line = position(slot)[0]
        if line in lines:
            set_value(node, slot, lines[line])
            count += 1
    return count


def main():
    root, targets_path = sys.argv[1], sys.argv[2]
    with open(targets_path, encoding="utf-8") as f:
        targets = json.load(f)
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    files = written = values = 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d != ".git")
        for name in sorted(filenames):
            if not (name.endswith((".yaml", ".yml")) or name == "Kustomization"):
                continue
            path = os.path.join(dirpath, name)
            with open(path, encoding="utf-8") as f:
                text = f.read()
            if "$imagepolicy" not in text:
                continue
            files += 1
            lines = marked_lines(text, targets)
            docs = list(yaml.load_all(text))
            values += sum(apply(doc, lines) for doc in docs)
            out = StringIO()
            yaml.dump_all(docs, out)
            new_text = out.getvalue()
            if new_text != text:
                with open(path, "w", encoding="utf-8") as f:
                    f.write(new_text)
                written += 1
    print(f"ruamel_fix: {files} files with markers, {values} values set, {written} files written")


if __name__ == "__main__":
    main()
