#!/usr/bin/env python3
"""doc_examples.py SRC_DIR: the command examples of README.md and docs/*.md,
extracted mechanically for integ_doc_examples (test_doc_examples.sh).

Prints one record per line, fields separated by tabs:

  ID   DOC:LINE  KIND  VALUE   an id or category a documented fengqiao command
                               names (KIND: unit, worker, handler, category);
                               from every ```sh or plain ``` block (a "$ "
                               prompt dropped) and every inline `code`
                               span that starts with one of the programs
  RUN  DOC:LINE  COMMAND       a command of a block marked runnable: the line
                               `<!-- example: runnable -->` right before its
                               ```sh fence; continuation lines joined

Values that are placeholders (UNIT, <town>, $VAR, …) are left out: only what
reads as a real id is checked.
"""
import glob
import os
import re
import shlex
import sys

PROGRAMS = {"fengqiao-admin", "fq-report", "fq-terminal", "fq-console", "fengqiaod"}
# flag -> what its value names
ID_FLAGS = {
    "--place": "unit",
    "--jurisdiction": "unit",
    "--serves-worker": "worker",
    "--serves-unit": "handler",
    "--category": "category",
}
REAL_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
MARK = "<!-- example: runnable -->"


def commands(text):
    """Joins continuation lines; yields (offset in lines, command)."""
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        start = i
        cmd = lines[i].strip()
        while cmd.endswith("\\") and i + 1 < len(lines):
            i += 1
            cmd = cmd[:-1] + " " + lines[i].strip()
        i += 1
        if cmd.strip():
            yield start, cmd.strip()


def ids_of(cmd):
    if cmd.startswith("$ "):  # a shell prompt in a transcript
        cmd = cmd[2:]
    try:
        words = shlex.split(cmd, comments=True)
    except ValueError:
        return
    if not words or os.path.basename(words[0]) not in PROGRAMS:
        return
    program = os.path.basename(words[0])
    for k, word in enumerate(words[:-1]):
        value = words[k + 1]
        kind = ID_FLAGS.get(word)
        # fq-terminal return ID --to UNIT: the right place, an org unit
        if word == "--to" and program == "fq-terminal" and "return" in words:
            kind = "unit"
        if kind and REAL_ID.match(value):
            yield kind, value


def main():
    src = sys.argv[1]
    docs = [os.path.join(src, "README.md")] + sorted(glob.glob(os.path.join(src, "docs", "*.md")))
    for path in docs:
        name = os.path.relpath(path, src)
        with open(path, encoding="utf-8") as f:
            lines = f.read().split("\n")
        i = 0
        while i < len(lines):
            line = lines[i]
            fence = re.match(r"^\s*```(\S*)", line)  # in a list: indented
            if fence:
                lang = fence.group(1)
                runnable = i > 0 and lines[i - 1].strip() == MARK
                if runnable and lang != "sh":
                    sys.exit(f"{name}:{i + 1}: a runnable example must be a ```sh block")
                j = i + 1
                while j < len(lines) and not lines[j].lstrip().startswith("```"):
                    j += 1
                if lang in ("sh", ""):  # a plain block may hold commands too
                    for offset, cmd in commands("\n".join(lines[i + 1 : j])):
                        where = f"{name}:{i + 2 + offset}"
                        for kind, value in ids_of(cmd):
                            print(f"ID\t{where}\t{kind}\t{value}")
                        if runnable and not cmd.startswith("#"):
                            print(f"RUN\t{where}\t{cmd}")
                i = j + 1
                continue
            for span in re.findall(r"`([^`]+)`", line):
                for kind, value in ids_of(span):
                    print(f"ID\t{name}:{i + 1}\t{kind}\t{value}")
            i += 1


if __name__ == "__main__":
    main()
