"""Write a deterministic, realistic ~40 KB JavaScript module (the static-file benchmark's asset).

usage: python3 gen_bench_js.py OUT.js [TARGET_BYTES]

The text looks like hand-written front-end code (JSDoc, classes, async functions,
template strings, object literals) so it compresses like real code (~4:1), not
like a repeated string.
"""

import random
import sys

NOUNS = ["message", "chunk", "stream", "session", "backend", "token", "reply", "draft", "view",
         "scroller", "composer", "button", "event", "buffer", "history", "model", "status",
         "overlay", "sheet", "query", "result", "element", "handler", "request", "response",
         "timer", "frame", "cursor", "entry", "record", "store", "range", "layout", "theme"]
VERBS = ["render", "update", "append", "parse", "flush", "schedule", "restore", "persist",
         "measure", "resolve", "attach", "detach", "normalize", "format", "collect", "emit",
         "cancel", "retry", "select", "toggle", "compute", "encode", "decode", "merge"]
ADJ = ["pending", "active", "last", "next", "visible", "stale", "raw", "safe", "current",
       "initial", "partial", "final", "local", "remote", "cached", "dirty"]
WORDS = ("the a to of and when while before after each every only never this that it is "
         "returns keeps updates the value from current state so callers can rely on order "
         "without waiting for another frame while streaming replies arrive token by token").split()


def camel(*parts):
    return parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:])


class Gen:
    def __init__(self, seed=20240611):
        self.r = random.Random(seed)
        self.out = []
        self.names = []

    def ident(self):
        r = self.r
        shape = r.randrange(3)
        if shape == 0:
            return camel(r.choice(ADJ), r.choice(NOUNS))
        if shape == 1:
            return camel(r.choice(NOUNS), r.choice(NOUNS).capitalize())
        return r.choice(NOUNS)

    def fn_name(self):
        return camel(self.r.choice(VERBS), self.r.choice(NOUNS).capitalize())

    def sentence(self, lo=6, hi=16):
        words = [self.r.choice(WORDS) for _ in range(self.r.randint(lo, hi))]
        return " ".join(words).capitalize() + "."

    def expr(self, depth=0):
        r = self.r
        k = r.randrange(9 if depth < 2 else 5)
        if k == 0:
            return str(r.choice([0, 1, 2, 16, 60, 100, 250, 1000, 1024]))
        if k == 1:
            return f"'{r.choice(NOUNS)}-{r.choice(ADJ)}'"
        if k == 2:
            return f"{self.ident()}.{self.ident()}"
        if k == 3:
            return f"this.{self.ident()}"
        if k == 4:
            return r.choice(["null", "true", "false", "undefined", "[]", "{}"])
        if k == 5:
            return f"{self.fn_name()}({self.expr(depth + 1)}, {self.expr(depth + 1)})"
        if k == 6:
            return f"{self.expr(depth + 1)} {r.choice(['+', '-', '*', '??', '||', '&&'])} {self.expr(depth + 1)}"
        if k == 7:
            return f"`${{{self.ident()}}} {r.choice(NOUNS)}s (${{{self.ident()}.length}})`"
        return f"{{ {self.ident()}: {self.expr(depth + 1)}, {self.ident()}: {self.expr(depth + 1)} }}"

    def stmt(self, indent):
        r = self.r
        pad = "  " * indent
        k = r.randrange(8)
        if k == 0:
            return [f"{pad}const {self.ident()} = {self.expr()};"]
        if k == 1:
            return [f"{pad}let {self.ident()} = {self.expr()};"]
        if k == 2:
            return [f"{pad}{self.ident()}.{r.choice(['push', 'set', 'add', 'delete'])}({self.expr()});"]
        if k == 3 and indent < 4:
            body = [line for _ in range(r.randint(1, 3)) for line in self.stmt(indent + 1)]
            return [f"{pad}if ({self.ident()} {r.choice(['===', '!==', '>', '<'])} {self.expr(1)}) {{", *body, f"{pad}}}"]
        if k == 4 and indent < 4:
            body = [line for _ in range(r.randint(1, 3)) for line in self.stmt(indent + 1)]
            return [f"{pad}for (const {self.ident()} of {self.ident()}) {{", *body, f"{pad}}}"]
        if k == 5:
            return [f"{pad}// {self.sentence(4, 10)}"]
        if k == 6:
            return [f"{pad}await {self.fn_name()}({self.expr()});"]
        return [f"{pad}return {self.expr()};"]

    def function(self):
        r = self.r
        name = self.fn_name()
        params = ", ".join(self.ident() for _ in range(r.randint(0, 3)))
        lines = ["/**", f" * {self.sentence()}", f" * {self.sentence()}"]
        lines += [f" * @param {{{r.choice(['string', 'number', 'object', 'Array<string>'])}}} {p.strip()}" for p in params.split(",") if p.strip()]
        lines += [" */", f"export {'async ' if r.random() < 0.4 else ''}function {name}({params}) {{"]
        for _ in range(r.randint(3, 9)):
            lines += self.stmt(1)
        lines.append("}")
        return lines

    def klass(self):
        r = self.r
        name = r.choice(NOUNS).capitalize() + r.choice(["View", "Store", "Controller", "Queue", "Parser"])
        lines = [f"/** {self.sentence()} */", f"export class {name} {{", f"  #{self.ident()} = {self.expr(1)};", "",
                 f"  constructor({self.ident()}, options = {{}}) {{"]
        for _ in range(r.randint(2, 5)):
            lines.append(f"    this.{self.ident()} = options.{self.ident()} ?? {self.expr(1)};")
        lines.append("  }")
        for _ in range(r.randint(2, 5)):
            lines += ["", f"  {'async ' if r.random() < 0.3 else ''}{self.fn_name()}({self.ident()}) {{"]
            for _ in range(r.randint(2, 6)):
                lines += self.stmt(2)
            lines.append("  }")
        lines.append("}")
        return lines

    def table(self):
        r = self.r
        lines = [f"export const {self.ident().upper()}_{r.choice(NOUNS).upper()} = Object.freeze({{"]
        for _ in range(r.randint(4, 10)):
            lines.append(f"  {self.ident()}: {self.expr(1)},")
        lines.append("});")
        return lines

    def module(self, target):
        lines = ["// bench.js: generated by Benchmarks/gen_bench_js.py (deterministic).", "'use strict';", ""]
        size = 0
        while size < target:
            k = self.r.random()
            block = self.function() if k < 0.55 else self.klass() if k < 0.85 else self.table()
            block.append("")
            lines += block
            size += sum(len(line) + 1 for line in block)
        text = "\n".join(lines) + "\n"
        return text


def main():
    out = sys.argv[1]
    target = int(sys.argv[2]) if len(sys.argv) > 2 else 40_000
    text = Gen().module(target - 120)
    with open(out, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
