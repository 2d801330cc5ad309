"""Read a declarative Jenkinsfile: its parameters and every `sh` command, stage by stage.

Enough Groovy for what a declarative pipeline holds: strings (single, double, triple quoted),
comments, blocks and calls. Double-quoted strings are interpolated with the parameters'
default values, as Jenkins would on a build that keeps the defaults.
"""

from __future__ import annotations

import contextlib
import io
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from glue.cli import build_parser

TOKEN = re.compile(
    r"""
    (?P<comment>//[^\n]*|/\*.*?\*/)
  | (?P<string>\"\"\"(?:\\.|[^\\])*?\"\"\"|'''(?:\\.|[^\\])*?'''
               |"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*')
  | (?P<name>[A-Za-z_][\w.]*)
  | (?P<punct>[{}()\[\],:])
  | (?P<space>\s+)
  | (?P<other>.)
    """,
    re.S | re.X,
)
PARAMETER = re.compile(r"string\(\s*name:\s*'(\w+)',\s*defaultValue:\s*'([^']*)'")
INTERPOLATION = re.compile(r"\$\{([^}]*)\}")
MLOPS = ".venv/bin/mlops"


@dataclass(frozen=True)
class Token:
    kind: str
    text: str


@dataclass(frozen=True)
class ShellStep:
    stage: str  # the stage's name, or "post" for the pipeline's post conditions
    when: str  # "always", "branch main", "pull request"
    command: str


def _tokens(text: str) -> list[Token]:
    tokens = []
    for match in TOKEN.finditer(text):
        kind = match.lastgroup or "other"
        if kind not in ("comment", "space"):
            tokens.append(Token(kind, match.group()))
    return tokens


def _literal(token: Token, parameters: dict[str, str]) -> str:
    text = token.text
    quote = text[:3] if text[:3] in ('"""', "'''") else text[0]
    body = text[len(quote) : -len(quote)]
    if quote.startswith("'"):
        return body
    return INTERPOLATION.sub(lambda m: _parameter(m.group(1), parameters), body)


def _parameter(expression: str, parameters: dict[str, str]) -> str:
    name = expression.removeprefix("params.")
    if expression == name or name not in parameters:
        raise ValueError(f"cannot interpolate ${{{expression}}}: not a declared parameter")
    return parameters[name]


def parameters(text: str) -> dict[str, str]:
    return dict(PARAMETER.findall(text))


def shell_steps(text: str) -> list[ShellStep]:
    """Every `sh` step, in file order, with the stage it belongs to and when it runs."""
    values = parameters(text)
    tokens = _tokens(text)
    frames: list[tuple[str, str]] = []  # (block kind, stage name)
    when: dict[str, str] = {}
    steps: list[ShellStep] = []
    pending = ("block", "")
    index = 0
    while index < len(tokens):
        token = tokens[index]
        following = tokens[index + 1 : index + 4]
        if token.text == "{":
            frames.append(pending)
            pending = ("block", "")
        elif token.text == "}":
            frames.pop()
        elif token.text == "stage" and [t.kind for t in following] == ["punct", "string", "punct"]:
            pending = ("stage", _literal(following[1], values))
            index += 3
        elif token.kind == "name" and following and following[0].text == "{":
            pending = (token.text, "")
        elif any(kind == "when" for kind, _ in frames) and token.kind == "name":
            stage = next(name for kind, name in reversed(frames) if kind == "stage")
            if token.text == "branch" and following and following[0].kind == "string":
                when[stage] = f"branch {_literal(following[0], values)}"
            elif token.text == "changeRequest":
                when[stage] = "pull request"
        elif token.text == "sh":
            script, index = _sh_script(tokens, index, values)
            stages = [name for kind, name in frames if kind == "stage"]
            stage = stages[-1] if stages else "post"
            steps.append(ShellStep(stage, "", script))
        index += 1
    return [ShellStep(s.stage, when.get(s.stage, "always"), s.command) for s in steps]


def _sh_script(tokens: list[Token], index: int, values: dict[str, str]) -> tuple[str, int]:
    """`sh 'cmd'`, `sh "cmd"` or `sh(script: 'cmd', ...)`: the command and where it ends."""
    following = tokens[index + 1]
    if following.kind == "string":
        return _literal(following, values), index + 1
    if following.text != "(":
        raise ValueError("an `sh` step without a command")
    depth, position, script = 0, index + 1, None
    while True:
        token = tokens[position]
        depth += {"(": 1, ")": -1}.get(token.text, 0)
        if token.text == "script" and tokens[position + 1].text == ":":
            script = _literal(tokens[position + 2], values)
        if depth == 0:
            break
        position += 1
    if script is None:
        raise ValueError("an `sh(...)` step without `script:`")
    return script, position


def undocumented(command: str, makefile: str, readme: str) -> str | None:
    """Why a step's command is not one documented command of the project, else None."""
    argv = shlex.split(command)
    if argv[:1] == ["make"]:
        targets = [a for a in argv[1:] if "=" not in a and not a.startswith("-")]
        for target in targets or ["(none)"]:
            if not re.search(rf"^## {re.escape(target)}:", makefile, re.M):
                return f"`make {target}`: no documented target `{target}` in the Makefile"
            if f"make {target}" not in readme:
                return f"`make {target}` is not in README.md"
        return None
    if argv[:1] == [MLOPS]:
        stderr = io.StringIO()
        try:
            with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
                build_parser().parse_args(argv[1:])
        except SystemExit:
            return f"`{command}`: mlops rejects it: {stderr.getvalue().strip()}"
        words = [w for w in argv[1:3] if not w.startswith("-")]
        documented = any(f"mlops {' '.join(words[:n])}" in readme for n in range(len(words), 0, -1))
        return None if documented else f"`mlops {' '.join(words)}` is not in README.md"
    return f"`{command}`: not `make <target>` or `{MLOPS} <command>`, the documented commands"


def read(path: Path) -> list[ShellStep]:
    return shell_steps(path.read_text())
