#!/usr/bin/env python3
"""Checks that Chirp's imports run one way (the rule in `src/lib.rs`'s crate doc).

Reads every `src/**/*.rs` as text, resolves each `crate::…`, `super::…` and `self::…` path
(in `use` trees and inline) to the file that defines the named item — following `pub use`
re-exports to where the item really lives — and checks two things:

1. Between the crate's top-level modules, every arrow goes down the declared order below:
   a module may import only modules of a lower rank (or its own).
2. Inside every folder, no import circle between files.

Prints one line per problem and `N passed, N failed` (two checks), exit 1 on a problem.
Run it as `python3 scripts/check-imports.py [SRC_DIR]`; `scripts/test` runs it.
"""

import re
import sys
from pathlib import Path

# Top-level modules by rank: each may import only modules of a lower rank. `realtime` sits
# beside `feed` (both listen to `changes`); the leaf helpers import no layer above `storage`.
# `admin` (the shell's tasks) sits above `app`, whose database-URL redaction it shares.
RANKS = {
    "domain": 0,
    "config": 0,
    "telemetry": 1,
    "auth": 1,
    "origin": 1,
    "caps": 1,
    "limit": 1,
    "storage": 2,
    "changes": 3,
    "feed": 4,
    "realtime": 4,
    "web": 4,
    "media": 3,
    "http": 5,
    "mastodon": 5,
    "app": 6,
    "admin": 7,
}

IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
DEFINES = re.compile(
    r"^\s*(?:pub(?:\([^)]*\))?\s+)?(?:async\s+)?(?:unsafe\s+)?"
    r"(?:fn|struct|enum|trait|const|static|type|mod|union)\s+(" + IDENT + r")",
    re.M,
)
MACRO_DEF = re.compile(r"macro_rules!\s*(" + IDENT + r")")


def strip(code: str) -> str:
    """Code without comments and string/char literals (so paths in docs don't count)."""
    out, i, n = [], 0, len(code)
    while i < n:
        c = code[i]
        if code.startswith("//", i):
            j = code.find("\n", i)
            i = n if j < 0 else j
        elif code.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if code.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif code.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    i += 1
        elif c == "r" and re.match(r'r#*"', code[i:]) and (i == 0 or not code[i - 1].isalnum()):
            m = re.match(r'r(#*)"', code[i:])
            end = code.find('"' + m.group(1), i + len(m.group(0)))
            i = n if end < 0 else end + 1 + len(m.group(1))
            out.append('""')
        elif c == '"':
            i += 1
            while i < n and code[i] != '"':
                i += 2 if code[i] == "\\" else 1
            i += 1
            out.append('""')
        elif c == "'" and re.match(r"'(\\.|[^\\'])'", code[i:]):
            i += len(re.match(r"'(\\.|[^\\']+)'", code[i:]).group(0))
        else:
            out.append(c)
            i += 1
    return "".join(out)


def drop_tests(code: str) -> str:
    """Code without `#[cfg(test)]` items: tests are not part of the structure."""
    while (start := code.find("#[cfg(test)]")) >= 0:
        brace, semi = code.find("{", start), code.find(";", start)
        if brace < 0 or (0 <= semi < brace):
            code = code[:start] + code[semi + 1 :]
            continue
        depth, i = 0, brace
        while i < len(code):
            depth += code[i] == "{"
            depth -= code[i] == "}"
            i += 1
            if depth == 0:
                break
        code = code[:start] + code[i:]
    return code


def module_of(path: Path, src: Path) -> tuple:
    parts = list(path.relative_to(src).with_suffix("").parts)
    if parts[-1] in ("mod", "lib", "main"):
        parts = parts[:-1]
    return tuple(parts)


def expand_use(tree: str) -> list:
    """`a::{b, c::{d, e as f}}` → ["a::b", "a::c::d", "a::c::e as f"]."""
    tree = re.sub(r"\s*(::|\{|\}|,)\s*", r"\1", " ".join(tree.split()))
    brace = tree.find("{")
    if brace < 0:
        return [tree]
    prefix, inner = tree[:brace], tree[brace + 1 : tree.rfind("}")]
    parts, depth, cur = [], 0, ""
    for ch in inner:
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
            continue
        depth += ch == "{"
        depth -= ch == "}"
        cur += ch
    parts.append(cur)
    out = []
    for p in filter(None, parts):
        out.extend(expand_use(prefix + p) if p != "self" else [prefix.rstrip(":")])
    return out


class Crate:
    def __init__(self, src: Path):
        self.src = src
        self.files = {}  # module path -> file
        self.code = {}  # file -> stripped code
        for f in sorted(src.rglob("*.rs")):
            if f.name == "main.rs" and f.parent == src:
                continue
            self.files[module_of(f, src)] = f
            self.code[f] = drop_tests(strip(f.read_text()))
        self.defs = {f: set(DEFINES.findall(c)) | set(MACRO_DEF.findall(c)) for f, c in self.code.items()}
        self.reexports = {f: self._reexports(f) for f in self.code}

    def _reexports(self, f: Path) -> dict:
        out = {}
        for m in re.finditer(r"pub(?:\([^)]*\))?\s+use\s+([^;]+);", self.code[f]):
            for path in expand_use(m.group(1)):
                path, _, alias = path.partition(" as ")
                out[alias or path.split("::")[-1]] = path
        return out

    def resolve(self, module: tuple, path: str, seen=0):
        """(the file that defines what `path`, seen from `module`, names; whether the path
        names a whole module rather than an item in it), or None when it is not the crate's."""
        if seen > 8:
            return None
        parts = [p for p in path.split("::") if p]
        if not parts or parts[-1] == "*":
            return None
        head, cur = parts[0], list(module)
        if head in ("crate", "$crate"):
            cur, parts = [], parts[1:]
        elif head == "super":
            while parts and parts[0] == "super":
                cur, parts = cur[:-1], parts[1:]
        elif head == "self":
            parts = parts[1:]
        elif tuple(cur + [head]) not in self.files:
            return None  # an outside crate, or a name local to the file
        for part in parts:
            if tuple(cur + [part]) in self.files:
                cur = cur + [part]
                continue
            here = self.files.get(tuple(cur))
            if here is None:
                return None
            if part in self.reexports[here] and part not in self.defs[here]:
                return self.resolve(tuple(cur), self.reexports[here][part], seen + 1) or (here, False)
            return here, False
        return (self.files[tuple(cur)], True) if tuple(cur) in self.files else None

    def edges(self):
        """(importing file, imported file, whether the imported file is only named as a
        module, whether the import is a `pub use` re-export)."""
        for module, f in self.files.items():
            code = self.code[f]
            paths = []
            for m in re.finditer(r"\b(pub(?:\([^)]*\))?\s+)?use\s+([^;]+);", code):
                paths.extend((p, bool(m.group(1))) for p in expand_use(m.group(2)))
            code = re.sub(r"\buse\s+[^;]+;", "", code)
            inline = r"(?<![A-Za-z0-9_:])((?:\$?crate|super|self)(?:::" + IDENT + r")+)"
            paths.extend((p, False) for p in re.findall(inline, code))
            # A child module named by its bare name (`writer::Writer::start(…)`).
            children = [m[-1] for m in self.files if m[:-1] == module and m != module]
            if children:
                bare = r"(?<![A-Za-z0-9_:$])((?:" + "|".join(children) + r")(?:::" + IDENT + r")+)"
                paths.extend((p, False) for p in re.findall(bare, code))
            for path, reexport in paths:
                found = self.resolve(module, path.split(" as ")[0])
                if found is not None and found[0] != f:
                    yield f, found[0], found[1], reexport


def cycles(nodes, graph):
    """Strongly connected components with more than one node (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in nodes:
        if v not in index:
            visit(v)
    return out


def main():
    src = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "src")
    crate = Crate(src)
    edges = set(crate.edges())
    # Between top-level modules every arrow counts; inside a folder, naming a whole module
    # (`use crate::x;`) and re-exporting (`pub use`) are not imports of a file's items.
    layer_edges = {(a, b) for a, b, _, _ in edges}
    file_edges = {(a, b) for a, b, whole, reexport in edges if not whole and not reexport}
    problems_layers, problems_circles = [], []

    def top(f):
        parts = f.relative_to(src).with_suffix("").parts
        return parts[0] if len(parts) > 1 or parts[0] not in ("lib",) else None

    for a, b in sorted(layer_edges):
        ta, tb = top(a), top(b)
        if ta is None or tb is None or ta == tb:
            continue
        ra, rb = RANKS.get(ta), RANKS.get(tb)
        if ra is None or rb is None:
            problems_layers.append(f"{ta} or {tb} has no rank in scripts/check-imports.py: give it one")
        elif rb >= ra:
            problems_layers.append(f"{a.relative_to(src.parent)} imports {b.relative_to(src.parent)}: {ta} may not import {tb}")

    graph = {}
    for a, b in file_edges:
        if a.parent == b.parent:
            graph.setdefault(a, set()).add(b)
    for comp in cycles(list(crate.code), graph):
        names = ", ".join(str(f.relative_to(src.parent)) for f in comp)
        problems_circles.append(f"import circle between files of {comp[0].parent.relative_to(src.parent)}: {names}")

    for line in sorted(set(problems_layers)) + problems_circles:
        print(line)
    failed = (1 if problems_layers else 0) + (1 if problems_circles else 0)
    print(f"imports: {len(file_edges)} arrows between {len(crate.code)} files")
    print(f"{2 - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
