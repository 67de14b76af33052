"""The docs checked against the code, as sqlite-utils' tests/test_docs.py does.

The real argparse parser (``cli/main.py``, every command module registered) is walked:
- every command and every argument has help text (``recepcja ... --help`` explains it);
- docs/CLI.md has a section per command whose argument list names exactly that command's
  options and positional arguments, and no section for a command that does not exist;
- the README names every top-level command;
- every ``recepcja ...`` command line in the README and docs/*.md names an existing command and
  only options that command accepts at that place (global options go before the command);
- every Markdown or text file the repository names exists in the repository.
Each failure message says what is missing and where to add it.
"""

from __future__ import annotations

import argparse
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from recepcja.cli.main import build_parser

ROOT = Path(__file__).resolve().parents[2]
CLI_DOC = ROOT / "docs" / "CLI.md"
README = ROOT / "README.md"
HELP_OPTIONS = {"-h", "--help"}


@dataclass
class Command:
    words: tuple[str, ...]  # ("queue", "export"); () for the top level
    parser: argparse.ArgumentParser
    help: str | None  # the line in the parent's command list
    options: dict[str, argparse.Action] = field(default_factory=dict)  # "--force" -> action
    positionals: dict[str, argparse.Action] = field(default_factory=dict)  # "FILE" -> action
    subcommands: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return " ".join(("recepcja", *self.words))


def _walk(parser: argparse.ArgumentParser, words: tuple[str, ...] = (),
          help_text: str | None = "") -> list[Command]:
    command = Command(words, parser, help_text)
    found = [command]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help for choice in action._choices_actions}
            for name, sub in action.choices.items():
                command.subcommands.append(name)
                found += _walk(sub, (*words, name), helps.get(name))
        elif action.option_strings:
            for option in action.option_strings:
                if option not in HELP_OPTIONS:
                    command.options[option] = action
        else:
            command.positionals[action.metavar or action.dest.upper()] = action
    return found


COMMANDS = {c.words: c for c in _walk(build_parser())}
GLOBAL_OPTIONS = set(COMMANDS[()].options)


def _leaf_names() -> list[str]:
    return [c.name for c in COMMANDS.values()]


# --- help texts --------------------------------------------------------------------------------

def test_every_command_and_argument_has_help_text():
    missing = []
    for command in COMMANDS.values():
        if command.words and not (command.help or "").strip():
            missing.append(f"{command.name}: the command has no help= in its add_parser call")
        for name, action in {**command.options, **command.positionals}.items():
            if action.help in (None, "", argparse.SUPPRESS):
                missing.append(f"{command.name}: argument {name} has no help=")
    assert not missing, "\n".join(missing)


# --- docs/CLI.md -------------------------------------------------------------------------------

HEADING = re.compile(r"^#{2,4} `recepcja((?: [a-z][a-z-]*)*)")
ARGUMENT_LINE = re.compile(r"^- `(--?[a-z][a-z-]*|[A-Z][A-Za-z0-9_.|]*)")


def _cli_sections() -> dict[tuple[str, ...], list[str]]:
    """Command words -> the argument names its section lists (``- `--force` ...`` lines)."""
    sections: dict[tuple[str, ...], list[str]] = {}
    current: tuple[str, ...] | None = None
    for line in CLI_DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            match = HEADING.match(line)
            current = tuple(match.group(1).split()) if match else None
            if current is not None:
                assert current not in sections, f"docs/CLI.md: two sections for {current}"
                sections[current] = []
        elif current is not None and (match := ARGUMENT_LINE.match(line)):
            sections[current].append(match.group(1))
    return sections


def test_cli_reference_documents_every_command_and_argument():
    sections = _cli_sections()
    problems = []
    for words, command in COMMANDS.items():
        if words not in sections:
            problems.append(f"docs/CLI.md has no section for `{command.name}`: add a heading "
                            f"'### `{command.name} ...`' with a list of its arguments")
            continue
        listed = set(sections[words])
        for name in sorted(set(command.options) | set(command.positionals)):
            if name not in listed and not _listed_as_short_form(name, command, listed):
                problems.append(f"docs/CLI.md, section `{command.name}`: argument {name} is "
                                f"not described (add a line '- `{name}` ...')")
        for name in sorted(listed - set(command.options) - set(command.positionals)):
            problems.append(f"docs/CLI.md, section `{command.name}`: describes {name}, which "
                            f"`{command.name}` does not accept")
    for words in sorted(set(sections) - set(COMMANDS)):
        problems.append(f"docs/CLI.md documents `recepcja {' '.join(words)}`, which does not "
                        f"exist (commands: {', '.join(_leaf_names())})")
    assert not problems, "\n".join(problems)


def _listed_as_short_form(name: str, command: Command, listed: set[str]) -> bool:
    """``-v`` is described on the line of ``--verbose`` (same action)."""
    action = command.options.get(name)
    return action is not None and any(o in listed for o in action.option_strings)


# --- README ------------------------------------------------------------------------------------

def test_readme_names_every_top_level_command():
    text = README.read_text(encoding="utf-8")
    missing = [c.name for words, c in COMMANDS.items() if len(words) == 1
               and not re.search(rf"recepcja {re.escape(words[0])}\b", text)]
    assert not missing, f"README.md does not name: {', '.join(missing)} (add them to " \
                        f"'Command line'; docs/CLI.md has the details)"


# --- every command line in the docs ------------------------------------------------------------

CODE = re.compile(r"```[^\n]*\n(.*?)```|`([^`\n]+)`", re.DOTALL)
INVOCATION = re.compile(r"(?:^|(?<=[\s(]))(?:[\w.~-]*/)*recepcja(?=[ \t])((?:[ \t]+[^\s|#;&)]+)*)")
NOT_A_COMMAND_LINE = re.compile(r"(?:keyring (?:set|get|del)|service|generic:\S*) +$")


def _doc_files() -> list[Path]:
    return [README, *sorted((ROOT / "docs").glob("*.md"))]


def _command_lines(text: str) -> list[str]:
    lines = []
    for match in CODE.finditer(text):
        block = match.group(1) if match.group(1) is not None else match.group(2)
        for line in block.splitlines():
            for alternative in re.split(r"\s\|\s", line):
                for found in INVOCATION.finditer(alternative):
                    if not NOT_A_COMMAND_LINE.search(alternative[:found.start()]):
                        lines.append(found.group(1).split())
    return lines


def _check_line(tokens: list[str]) -> str | None:
    words: tuple[str, ...] = ()
    position = 0
    while position < len(tokens) and tokens[position] in GLOBAL_OPTIONS:
        position += 1
    for token in tokens[position:]:
        command = COMMANDS[words]
        if not command.subcommands:
            break
        choices = token.split("|")  # "queue list|export|import"
        if all(choice in command.subcommands for choice in choices):
            words = (*words, choices[0])
            position += 1
            continue
        if token.startswith("-") or not re.fullmatch(r"[a-z][a-z-]*", token):
            break
        return f"`recepcja {' '.join((*words, token))}`: no such command"
    command = COMMANDS[words]
    for token in tokens[position:]:
        option = re.match(r"--?[a-z][a-z-]*", token.lstrip("[("))
        if option is None or not token.lstrip("[(").startswith("-"):
            continue
        name = option.group(0)
        if name in HELP_OPTIONS or name in command.options:
            continue
        where = " (global options go before the command)" if name in GLOBAL_OPTIONS else ""
        return f"`{command.name}` has no option {name}{where}"
    return None


@pytest.mark.parametrize("doc", _doc_files(), ids=lambda p: p.name)
def test_every_command_line_in_the_docs_exists(doc: Path):
    problems = []
    for tokens in _command_lines(doc.read_text(encoding="utf-8")):
        problem = _check_line(tokens)
        if problem:
            problems.append(f"{doc.relative_to(ROOT)}: 'recepcja {' '.join(tokens)}': {problem}")
    assert not problems, "\n".join(problems)


# --- files the repository names ----------------------------------------------------------------

NAMED_DOC = re.compile(r"(?<![\w./-])((?:[\w.-]+/)*[\w-]+(?:\.pl)?\.md)\b")
NAMED_SOURCE = re.compile(r"(?<![\w./-])((?:[\w.-]+/)*[\w-]+(?:\.pl)?\.txt)\b")


def _tracked_text_files() -> list[Path]:
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout.split()
    return [ROOT / p for p in out if Path(p).suffix in {".md", ".py", ".sh", ".toml", ".spec",
                                                          ".iss", ".csv", ".desktop", ""}
            and (ROOT / p).is_file()]


def test_every_document_the_repository_names_is_in_it():
    """Markdown files named anywhere (code comments included), and text files a document cites,
    are in the repository: a maintainer can open every source the code and docs rely on."""
    problems = []
    for path in _tracked_text_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        names = set(NAMED_DOC.findall(text))
        if path.suffix == ".md":
            names |= set(NAMED_SOURCE.findall(text))
        for name in names:
            if any((base / name).exists() for base in (ROOT, ROOT / "docs", path.parent)):
                continue
            problems.append(f"{path.relative_to(ROOT)} names {name}, which is not in the "
                            f"repository (bring it into docs/ or cite the source by title)")
    assert not problems, "\n".join(sorted(problems))
