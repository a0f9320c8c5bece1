# -*- coding: utf-8 -*-
# Copyright: devkeys.aws contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure, stdlib-only reader and editor of ~/.aws/credentials and ~/.aws/config.

Parsing follows botocore exactly (``configparser.RawConfigParser`` in strict
mode, then ``botocore.configloader``): see the shared aws-files.md contract.
Nothing here touches the file system; callers pass text and get text back.

Public API
----------
``AwsFileError(path, line, cause, verb="parse")``
    The one error: ``str(err)`` is ``"Failed to <verb> <path> line <n>: <cause>"``.
``decode(data, path)`` -> str
    Bytes of a file to text (strict UTF-8; the error names the line).
``parse(text, path)`` -> Document
    Validates the whole file as botocore would and indexes its section headers.
``edit_file(text, file_kind, name, values, options=EditOptions(), path="")`` -> FileEdit
    THE single-edit function (use it for benchmarks): one edit of one section
    (``file_kind`` "credentials" or "config") of ``text``; ``options`` is
    ``EditOptions(kind="profile", state="present", exclusive=False)``; returns
    the new text (``is`` the same object when nothing changes), the changes
    ``[(path, section, key, action)]``, warnings and redacted before/after text
    of the touched section for diffs (a line that mentions a secret key name,
    comments included, shows a marker).  Example::

        edit_file(config_text, "config", "p5000", {"region": "eu-west-1"})

``plan_profile(request, credentials_text, config_text, paths=FilePaths("credentials", "config"))`` -> Plan
    Both files of one aws_profile call (checks inputs, the session token rule);
    ``request`` is a ProfileRequest(name, kind, state, exclusive, credentials,
    settings), built from the module's option names by ``profile_request``;
    ``uses_credentials(request)`` says whether the credentials file is edited.
``compare_profile(request, credentials_text, config_text, profiles, paths)`` -> dict
    Whether aws_profile would change nothing (aws_profile_info's ``compare``).
``read_profiles(credentials_text, config_text, credentials_path, config_path)`` -> dict
    What botocore reads (profiles, sso_sessions, services), secrets replaced by
    ``has_secret`` / ``has_session_token`` booleans, and each key's source file.
``read_sections(text, path)`` -> dict
    One file as ``botocore.configloader.raw_config_parse`` returns it.
``normalize_values(values, path)``, ``check_credentials(credentials)``
    The input validation edit_file / plan_profile apply (names, keys, values;
    every pattern used with fullmatch).
``config_target(raw)`` -> (kind, name) | None
    What botocore makes of a config section name (``profile x`` -> profile x).

Speed: a plain ASCII file is validated by one regex split at the section
shapes it repeats, a line scan of what else is left and a few C-speed string
passes (linear; docs/benchmarks.md compares one edit with awscli's
ConfigFileWriter.update_config, which validates nothing); anything unusual
falls back to a line walk that mirrors configparser and names the offending
line.

Values in ``values`` / ``settings``: a str (int/bool are converted), a dict for
a nested block (``s3: {addressing_style: path}``), or None to remove the key.
"""

import re
import shlex
from collections import namedtuple

SECRET_KEYS = frozenset(("aws_secret_access_key", "aws_session_token", "aws_security_token"))
SECRET_MARKER = "<secret changed>"
SECRET_UNCHANGED_MARKER = "<secret unchanged>"

# Validation patterns are used with fullmatch: "$" would also match before a final "\n".
NAME_RE = re.compile(r"[A-Za-z0-9_\-/.%@]+")
_KEY_RE = re.compile(r"[a-z0-9_]+")
_BAD_VALUE_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff]|(?:^|\s)[#;]")
_ACCESS_KEY_RE = re.compile(r"[A-Za-z0-9_]{16,128}")
_SECRET_BAD_RE = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff]")
# Characters str.splitlines() splits on but universal-newline reading does not.
_ODD_BREAKS_RE = re.compile("[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_LINE_RE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
_SIMPLE_HEADER_RE = re.compile(r"[A-Za-z0-9_\-/.%@]+ [A-Za-z0-9_\-/.%@]+")
_SECRET_MENTION_RE = re.compile("|".join(sorted(SECRET_KEYS)), re.IGNORECASE)
_CONFIG_KINDS = ("profile", "sso-session", "services")

FileEdit = namedtuple("FileEdit", "text changes warnings before after")
Plan = namedtuple("Plan", "credentials_text config_text changes warnings diffs")


class AwsFileError(Exception):
    """A file botocore would not read, or an edit we refuse; names file and line."""

    def __init__(self, path, line, cause, verb="parse"):
        self.path = path
        self.line = line
        self.cause = cause
        self.verb = verb
        self.details = (path, line, cause, verb)  # what rebuilds it (an error sent back by _file_io.run_as)
        where = "%s line %d" % (path, line) if line else str(path)
        super(AwsFileError, self).__init__("Failed to %s %s: %s" % (verb, where, cause))


class Document(object):
    """A file's text and its section headers.

    ``names`` lists section names in file order (``[DEFAULT]`` included);
    ``offset(position)`` is where that header line starts and a section spans
    to the next header.  ``defaults`` holds the offsets of ``[DEFAULT]`` headers.
    """

    __slots__ = ("path", "text", "newline", "names", "defaults", "_offsets", "_found")

    def __init__(self, path, text, names, offsets, defaults):
        self.path = path
        self.text = text
        self.newline = _newline_of(text)
        self.names = names
        self.defaults = defaults
        self._offsets = offsets
        self._found = {}  # position -> offset, of a fast-scanned file

    def all_offsets(self):
        """Offsets of every header line, computed once (for reading the whole file)."""
        if self._offsets is None:
            # fast-scanned file: every line starting with '[' is a header
            text = self.text
            self._offsets = ([0] if text.startswith("[") else []) + [
                match.start() + 1 for match in _HEADER_START_RE.finditer(text)]
        return self._offsets

    def offset(self, position):
        """Offset of the header line of section ``position``."""
        if self._offsets is not None:
            return self._offsets[position]
        # fast-scanned file: every line starting with '[' is a header, names are unique
        at = self._found.get(position)
        if at is not None:
            return at
        text = self.text
        if position == len(self.names) - 1:
            at = text.rfind("\n[") + 1  # the last header: found from the end
        else:
            name = self.names[position]
            needle = "[%s]" % name
            at = 0 if text.startswith(needle) else text.find("\n" + needle) + 1
            while _HEADER_RE.match(text, at).group(1) != name:
                at = text.find("\n" + needle, at) + 1
        self._found[position] = at
        return at

    def section_end(self, position):
        """Offset after the section at ``position``."""
        if position + 1 >= len(self.names):
            return len(self.text)
        if self._offsets is not None:
            return self._offsets[position + 1]
        return self.text.find("\n[", self.offset(position)) + 1

    def line_number(self, offset):
        """1-based number of the line holding ``offset``."""
        return line_number(self.text, offset)


def line_number(text, offset):
    """1-based line number of ``offset`` (CRLF, CR and LF each end a line)."""
    crlf = text.count("\r\n", 0, offset)
    return text.count("\n", 0, offset) + text.count("\r", 0, offset) - crlf + 1


def decode(data, path):
    """Strict UTF-8 text of ``data``; invalid bytes are an error naming the line."""
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + before.count(b"\r") - before.count(b"\r\n") + 1
        raise AwsFileError(path, line, "invalid UTF-8 (byte %d)" % exc.start)


def split_lines(text):
    """Lines with their endings, split where Python's universal newlines split."""
    if _ODD_BREAKS_RE.search(text) is None:
        return text.splitlines(True)
    return _LINE_RE.findall(text)


def _newline_of(text):
    index = text.find("\n")
    cr = text.find("\r")
    if cr >= 0 and (index < 0 or cr < index):
        return "\r\n" if text[cr + 1: cr + 2] == "\n" else "\r"
    return "\n"


def _separator(stripped):
    """Index of the first '=' or ':' (configparser's delimiters), or -1."""
    eq = stripped.find("=")
    colon = stripped.find(":")
    if colon >= 0 and (eq < 0 or colon < eq):
        return colon
    return eq


def _check_nested(path, number, value):
    for piece in value.splitlines():
        if piece.strip() and "=" not in piece:
            raise AwsFileError(path, number, "a line of a nested block has no '='")


# The fast scan of plain files: a few regex passes and C-speed string searches.
# Anything it does not decide goes to the slow line walk, which gives the exact
# verdict and line number.
_INDENTED_RE = re.compile(
    # an indented line with no '=' (continuation text or a bad nested line),
    # or an indented key right after a header (a header-indented section)
    r"\n(?:[ \t]+[^\s#;=][^=\n]*\n"
    r"|\[[^\n]*\n(?:[ \t\r]*(?:[#;][^\n]*)?\n)*[ \t]+[^\s#;])"
)
_LEADING_RE = re.compile(r"(?:[ \t\r]*(?:[#;][^\n]*)?\n)*(?:\[|[ \t\r]*\Z)")
_HEADER_RE = re.compile(r"\[([^\n]+)\]")
# One item per line (after a "\n") but comments and blank lines: "[name]" for a
# header alone on its line, "key =" (up to the separator) for a key line, and ""
# for anything else (an indented line, a line starting with '=' or ':', with no
# separator or a "[" that is no header), which the slower checks below decide.
_LINE_ITEM = r"(\[[^\n]+\](?=\r?\n|\Z)|[^\n#;=:\r \t\[][^\n=:\r]*[=:]|(?=[^#;\r\n]))"
_LINE_ITEMS_RE = re.compile(r"\n" + _LINE_ITEM)
_FIRST_LINE_ITEM_RE = re.compile(_LINE_ITEM)
# a column-0 line with no separator, or a "[" line that is not a header alone on its line
_UNPARSED_LINE_RE = re.compile(r"\n(?:[^\s#;=:\[][^\n=:]*\n|\[(?![^\n]+\]\r?\n))")
# a header among the joined line items
_ITEM_HEADER_RE = re.compile(r"\n\[([^\n]+)\](?=\n)")
# the key (without the blanks before its separator) of a column-0 key line
_COLUMN0_KEY_RE = re.compile(r"\n([^\s#;=:\[][^\n=:]*?)[ \t]*[=:]")
_ODD_WHITESPACE = "\x0b\x0c\x1c\x1d\x1e\x1f"
_HEADER_START_RE = re.compile(r"\n\[")
# In a header name, what makes shlex.split differ from str.split(" ")
_SHLEX_SPECIAL = ('"', "'", "\\", "\t", "\r", "  ", " \n")


SHAPED_SCAN_MIN_BYTES = 1 << 16
"""Below this size the line scan alone is faster than sampling shapes and compiling their pattern."""


def _fast_scan(text, shaped_min_bytes=SHAPED_SCAN_MIN_BYTES):
    """Section names of a plain ASCII file, or None when the line walk must decide.

    Big files are mostly written by tools and repeat a few section shapes, so
    the text is cut at every section body of a common shape (its keys are
    distinct by construction): what is left between two cuts is the next
    header's name, or other sections for the line scan.
    """
    if not text.isascii() or "\r" in text and text.count("\r") != text.count("\r\n"):
        return None
    # str.strip() strips odd whitespace (configparser strips keys and values): "a" and "a\x0b" are one key
    for char in _ODD_WHITESPACE:
        if char in text:
            return None
    shapes = _common_shapes(text) if len(text) >= shaped_min_bytes else None
    if shapes is None or text.endswith("["):  # a cut would take the "[" of that last line
        return _scan_lines(text)
    # a cut runs from the "]" ending a header line to the "[" starting the next
    # line (or the end): gaps are ["...[name", "name", ..., "name", "name]..." or ""]
    # (there is a cut: the sampled sections match their shapes)
    names = _names_between_cuts(text, shapes.split(text))
    if names is None:
        return None
    unique = set(names)
    if len(unique) != len(names) or "DEFAULT" in unique or "" in unique:
        return None
    return names


def _names_between_cuts(text, gaps):
    """Section names of ``text`` cut into ``gaps`` (see _fast_scan), or None.

    A gap with no line break in it, between two cuts, is a name.  The first
    gap, the last and any other one with a line break are made files of their
    own ("[" + gap + "]\n": their first header, whole sections, their last
    header) and scanned at once.
    """
    last = len(gaps) - 1
    spans = [0]
    if "\n" in "".join(gaps[1:last]):
        spans += [index for index in range(1, last) if "\n" in gaps[index]]
    files = []
    for index in spans:
        gap = gaps[index]
        if not gap.startswith("[", gap.rfind("\n") + 1):
            return _scan_lines(text)  # a cut starts after something else than a header
        files.append(("[" if index else "") + gap + "]\n")
    if gaps[last]:
        spans.append(last)
        files.append("[" + gaps[last])
    scanned = _scan_lines("".join(files))
    if scanned is None:
        return None
    names = []
    taken = 0
    after = 1  # the first gap not yet in names
    for index, file_text in zip(spans, files):
        names.extend(gaps[after:index])
        count = ("\n" + file_text).count("\n[")  # a fine file has a header on every "[" line
        names.extend(scanned[taken:taken + count])
        taken += count
        after = index + 1
    names.extend(gaps[after:last])
    return names


def _common_shapes(text):
    """A pattern of the section bodies of the shapes most sampled across ``text``, or None.

    It matches from the "]" ending a header line: a body (see _body_shape),
    then the "[" of the next line (or the end).  A shape seen only once is
    left out: a file with no repeated shape is left to the line scan whole.
    """
    counts = {}  # how many samples have each shape: the most common is tried first
    sampled = set()
    for quarter in (1, 2, 3):
        # runs of neighbours: a shape that comes back every few sections is sampled
        start = text.find("\n[", len(text) * quarter // 4)
        for _neighbour in range(8):
            if start < 0 or start in sampled:
                break
            sampled.add(start)
            end = text.find("\n[", start + 1)
            shape = _body_shape(text, start, end if end >= 0 else len(text))
            if shape is not None:
                counts[shape] = counts.get(shape, 0) + 1
            start = end
    common = [shape for shape in sorted(counts, key=counts.get, reverse=True) if counts[shape] > 1]
    if not common:
        return None
    return re.compile(r"\]\r?\n(?:%s)(?:\[|\Z)" % "|".join(common[:4]))


def _body_shape(text, start, end):
    """The pattern of the body of the section ``text[start + 1:end]`` if it matches it, or None.

    The section's keys in the same order (exact text, one line each, blank lines
    between), then blank and comment lines.  Only 1 to 32 keys: with none, a
    pattern could match from every "]" ending a comment line; with many, it
    costs more to compile than it saves.
    """
    keys = _COLUMN0_KEY_RE.findall(text, start, end)
    if not 0 < len(keys) <= 32 or len(set(key.lower() for key in keys)) != len(keys):
        return None
    blank_lines = r"[\r\n]*"
    shape = (blank_lines + blank_lines.join(re.escape(key) + r"[ \t]*[=:][^\n]*\n" for key in keys)
             + r"[\r\n]*(?:[#;][^\n]*\n[\r\n]*)*")
    header_end = text.rfind("]", start, text.find("\n", start + 1))
    if header_end < 0 or not re.compile(r"\]\r?\n%s(?:\[|\Z)" % shape).match(text, header_end):
        return None
    return shape


def _scan_lines(text):
    """Section names of plain ``text`` (no odd whitespace) by one pass over its lines, or None."""
    if not _LEADING_RE.match(text):
        return None
    items = _LINE_ITEMS_RE.findall(text)
    first = _FIRST_LINE_ITEM_RE.match(text)
    if first:
        items.insert(0, first.group())
    if "" in items:
        # indented lines (nested blocks) or a line botocore fails on: the rare slower checks
        wrapped = "\n" + text + "\n"
        if ("\n=" in wrapped or "\n:" in wrapped or _INDENTED_RE.search(wrapped)
                or _UNPARSED_LINE_RE.search(wrapped)):
            return None
    joined = "\n%s\n" % "\n".join(items)
    del items  # free the line items before the split below (peak memory)
    # [items before the first header, name, its items, name, its items, ...]
    parts = _ITEM_HEADER_RE.split(joined)
    names = parts[1::2]
    if len(set(names)) != len(names) or "DEFAULT" in names:
        return None
    # most sections share a few key lists, so check each distinct list once
    for section in set(parts[::2]):
        section_keys = [item[:-1].rstrip().lower() for item in section.split("\n") if item]
        if len(set(section_keys)) != len(section_keys):
            return None
    return names


def parse(text, path):
    """Check ``text`` as botocore would read it; index its section headers.

    Raises AwsFileError for every file botocore fails on: a BOM or key before
    the first header, a line with no separator, a duplicate section or key,
    a nested line without '='.  Plain files are checked by a few regular
    expressions; anything else by a line walk that mirrors configparser.
    """
    names = _fast_scan(text)
    if names is not None:
        return Document(path, text, names, None, [])
    return _slow_parse(text, path)


def _slow_parse(text, path):
    """The line walk that mirrors configparser (the files _fast_scan leaves): names the offending line."""
    walk = _LineWalk(path)
    offset = 0
    for number, line in enumerate(split_lines(text), 1):
        walk.line(number, line, offset)
        offset += len(line)
    return Document(path, text, walk.sections, walk.offsets, walk.defaults)


class _LineWalk(object):
    """configparser's view of a file, one line at a time: sections, their offsets and keys."""

    __slots__ = ("path", "sections", "offsets", "defaults", "names", "keys", "default_keys", "optname", "nested",
                 "indent_level")

    def __init__(self, path):
        self.path = path
        self.sections = []
        self.offsets = []
        self.defaults = []
        self.names = set()
        self.keys = None  # keys of the current section; None before the first header
        self.default_keys = set()
        self.optname = None
        self.nested = False
        self.indent_level = 0

    def line(self, number, line, offset):
        stripped = line.strip()
        if not stripped or stripped[0] in "#;":
            return
        indent = len(line) - len(line.lstrip())
        if self.optname is not None and indent > self.indent_level:
            if self.nested:
                _check_nested(self.path, number, stripped)
            return
        self.indent_level = indent
        if stripped[0] == "[" and self._header(number, stripped, offset):
            return
        self._key(number, stripped)

    def _header(self, number, stripped, offset):
        """Enter the section of a header line; False when the line is no header."""
        end = stripped.rfind("]")
        if end <= 1:
            return False
        name = stripped[1:end]
        if name == "DEFAULT":
            self.defaults.append(offset)
            self.keys = self.default_keys
        else:
            if name in self.names:
                raise AwsFileError(self.path, number, "section [%s] appears twice" % name)
            self.names.add(name)
            self.keys = set()
        self.sections.append(name)
        self.offsets.append(offset)
        self.optname = None
        return True

    def _key(self, number, stripped):
        if self.keys is None:
            if number == 1 and stripped[0] == "\ufeff":
                raise AwsFileError(self.path, number, "the file starts with a UTF-8 byte order mark")
            raise AwsFileError(self.path, number, "a setting appears before the first [section] header")
        sep = _separator(stripped)
        if sep < 0:
            raise AwsFileError(self.path, number, "the line has no '=' or ':' separator")
        key = stripped[:sep].rstrip().lower()
        if not key:
            raise AwsFileError(self.path, number, "the line has no key before its separator")
        if key in self.keys:
            raise AwsFileError(self.path, number, "key %s appears twice in its section" % key)
        self.keys.add(key)
        self.optname = key
        self.nested = not stripped[sep + 1:].strip()


def config_target(raw):
    """``(kind, name)`` botocore gives config section ``raw``, or None (ignored)."""
    if raw.startswith("profile"):
        kind = "profile"
    elif raw.startswith("sso-session"):
        kind = "sso-session"
    elif raw.startswith("services"):
        kind = "services"
    elif raw == "default":
        return ("profile", "default")
    else:
        return None
    if _SIMPLE_HEADER_RE.fullmatch(raw):
        parts = raw.split(" ")
    else:
        try:
            parts = shlex.split(raw)
        except ValueError:
            return None
    if len(parts) == 2:
        return (kind, parts[1])
    return None


# ---------------------------------------------------------------- one section


class _Entry(object):
    """One top-level key of a section as botocore reads it."""

    __slots__ = ("key", "key_text", "indent", "start", "end", "value", "nested", "continued")

    def __init__(self, key, key_text, indent, start, value):
        self.key = key
        self.key_text = key_text
        self.indent = indent
        self.start = start
        self.end = start + 1
        self.value = value
        self.nested = [] if value == "" else None
        self.continued = None


def _section_entries(lines, header, end):
    """Top-level keys of the (already validated) section ``lines[header:end]``."""
    entries = []
    header_line = lines[header]
    indent_level = len(header_line) - len(header_line.lstrip())
    entry = None
    for index in range(header + 1, end):
        line = lines[index]
        stripped = line.strip()
        if not stripped or stripped[0] in "#;":
            continue
        indent = len(line) - len(line.lstrip())
        if entry is not None and indent > indent_level:
            if entry.nested is not None:
                sub, value = stripped.split("=", 1)
                entry.nested.append((sub.strip(), index, value.strip(), line[:indent]))
            elif entry.continued is None:
                entry.continued = index
            entry.end = index + 1
            continue
        indent_level = indent
        sep = _separator(stripped)
        key_text = stripped[:sep].rstrip()
        entry = _Entry(key_text.lower(), key_text, line[:indent], index, stripped[sep + 1:].strip())
        entries.append(entry)
    return entries


def _ending(line):
    if line.endswith("\r\n"):
        return "\r\n"
    if line.endswith("\n") or line.endswith("\r"):
        return line[-1]
    return ""


def _as_value(path, where, value):
    if isinstance(value, bool):
        value = "true" if value else "false"
    elif isinstance(value, (int, float)):
        value = str(value)
    if not isinstance(value, str):
        raise AwsFileError(path, 0, "%s must be a string, number, boolean, mapping or null" % where, "validate")
    if not value:
        raise AwsFileError(path, 0, "%s is empty (use null to remove a key)" % where, "validate")
    if value != value.strip():
        raise AwsFileError(path, 0, "%s has leading or trailing whitespace" % where, "validate")
    if _BAD_VALUE_RE.search(value):
        raise AwsFileError(
            path, 0, "%s holds a control character, line break or a '#'/';' comment marker" % where, "validate")
    return value


def _check_key(path, key, where):
    if not isinstance(key, str) or not _KEY_RE.fullmatch(key):
        raise AwsFileError(path, 0, "%s %r is not a valid key (use lower-case letters, digits and _)"
                           % (where, key), "validate")


def normalize_values(values, path=""):
    """Check keys/values; return ``{key: str | {sub: str | None} | None}``."""
    result = {}
    for key, value in (values or {}).items():
        _check_key(path, key, "key")
        if isinstance(value, dict):
            if not value:
                raise AwsFileError(path, 0, "nested block %s has no keys" % key, "validate")
            block = {}
            for sub, sub_value in value.items():
                _check_key(path, sub, "key of %s" % key)
                block[sub] = None if sub_value is None else _as_value(path, "%s.%s" % (key, sub), sub_value)
            result[key] = block
        elif value is None:
            result[key] = None
        else:
            secret = key in SECRET_KEYS
            result[key] = _as_value(path, "the value of %s" % key if not secret else "a secret value", value)
    return result


def _section_header(file_kind, kind, name):
    if file_kind == "credentials":
        return name
    if kind == "profile":
        return "default" if name == "default" else "profile %s" % name
    return "%s %s" % (kind, name)


def _find_targets(doc, file_kind, kind, name):
    """Positions in ``doc.names`` that botocore reads as the wanted section.

    When no header holds a character shlex treats specially, only headers
    ending with " NAME" (or "default") can match: found by string search.
    """
    names = doc.names
    if file_kind == "credentials":
        # section names are unique in a parsed file (name is never DEFAULT)
        return [names.index(name)] if name in names else []
    joined = "\n" + "\n".join(names) + "\n"
    if any(special in joined for special in _SHLEX_SPECIAL):
        candidates = range(len(names))
    else:
        candidates = []
        for needle in (" %s\n" % name, "\ndefault\n"):
            at = joined.find(needle)
            while at >= 0:
                candidates.append(joined.count("\n", 0, at + 1) - 1)
                at = joined.find(needle, at + 1)
        candidates.sort()
    wanted = (kind, name)
    return [position for position in candidates
            if names[position] != "DEFAULT" and config_target(names[position]) == wanted]


def _trap_warnings(doc, file_kind):
    warnings = []
    for offset in doc.defaults:
        warnings.append(
            "%s line %d: a [DEFAULT] section's keys are read into every profile by botocore"
            % (doc.path, doc.line_number(offset)))
    # the names joined: one C-speed search instead of a Python loop over every section
    joined = "\n".join(doc.names) if file_kind == "credentials" else ""
    if joined.startswith("profile ") or "\nprofile " in joined:
        for position, raw in enumerate(doc.names):
            if raw.startswith("profile "):
                warnings.append(
                    "%s line %d: [%s] in the credentials file is a profile literally named '%s', not '%s'"
                    % (doc.path, doc.line_number(doc.offset(position)), raw, raw, raw[8:].strip()))
    return warnings


def _render_section(lines, changed_secrets):
    """Text of ``lines`` without trailing blank lines, for a diff, with no secret in it.

    Every line but a header that mentions a secret key name (a key line, a comment, a line of a nested
    block; any case) shows that key and a marker instead of its text, and the lines that continue a secret
    key's value (indented deeper) show only the marker.
    """
    end = len(lines)
    while end > 1 and not lines[end - 1].strip():
        end -= 1
    out = []
    secret_indent = None  # indentation of the secret key line whose continuation lines follow
    for line in lines[:end]:
        stripped = line.strip()
        indent = line[: len(line) - len(line.lstrip())]
        if secret_indent is not None and (not stripped or len(indent) > secret_indent):
            out.append(indent + SECRET_UNCHANGED_MARKER + "\n" if stripped else "\n")
            continue
        secret_indent = None
        mention = _SECRET_MENTION_RE.search(stripped) if stripped and stripped[0] != "[" else None
        if mention is None:
            out.append(line.rstrip("\r\n") + "\n")
            continue
        sep = -1 if stripped[0] in "#;" else _separator(stripped)
        if sep > 0:
            key_text = stripped[:sep].rstrip()
            secret = key_text.lower() in SECRET_KEYS
            secret_indent = len(indent) if secret else None
            marker = SECRET_MARKER if secret and key_text.lower() in changed_secrets else SECRET_UNCHANGED_MARKER
            out.append("%s%s = %s\n" % (indent, key_text, marker))
        else:  # a comment (or text) mentioning a secret key
            prefix = stripped[0] + " " if stripped[0] in "#;" else ""
            out.append("%s%s%s = %s\n" % (indent, prefix, mention.group().lower(), SECRET_UNCHANGED_MARKER))
    return "".join(out)


def _last_content(entries):
    """Local index of the last line that belongs to a key of the section (0 = header)."""
    return entries[-1].end - 1 if entries else 0


EditOptions = namedtuple("EditOptions", "kind state exclusive")
"""How edit_file edits: ``kind`` of section (profile, sso-session, services), ``state`` (present, absent),
``exclusive`` (also remove the keys not given)."""
EditOptions.__new__.__defaults__ = ("profile", "present", False)
EDIT_DEFAULTS = EditOptions()


def edit_file(text, file_kind, name, values, options=EDIT_DEFAULTS, path=""):
    """One edit of one section of one file; see the module docstring.

    ``file_kind`` is "credentials" or "config"; ``values`` maps keys to a
    string, a dict (nested block) or None (remove); ``options`` an EditOptions.
    Raises AwsFileError, never writes anything.
    """
    _check_name(name, options.kind)
    doc = parse(text, path)
    values = normalize_values(values, path)
    warnings = _trap_warnings(doc, file_kind)
    targets = _find_targets(doc, file_kind, options.kind, name)
    if options.state == "absent":
        return _remove_sections(doc, targets, warnings)
    header_text = _section_header(file_kind, options.kind, name)
    if not targets:
        return _append_section(doc, header_text, values, warnings)
    _check_target(doc, targets, name, header_text, file_kind == "config" and name == "default"
                  and options.kind == "profile")
    return _edit_section(doc, targets[0], values, options.exclusive, warnings)


def _check_target(doc, targets, name, header_text, profile_default_ok):
    """Refuse a section botocore and the Java SDK would not both read as the one wanted."""
    path = doc.path
    if len(targets) > 1:
        raws = ", ".join("[%s] (line %d)" % (doc.names[p], doc.line_number(doc.offset(p))) for p in targets)
        raise AwsFileError(
            path, doc.line_number(doc.offset(targets[-1])),
            "%s all name %s; botocore reads the last one, the Java SDK another: merge them first" % (raws, name),
            "edit")
    raw = doc.names[targets[0]]
    if raw != header_text and not (profile_default_ok and raw == "profile default"):
        raise AwsFileError(
            path, doc.line_number(doc.offset(targets[0])),
            "section [%s] is read as %s by botocore but not by the Java SDK: rename it [%s]"
            % (raw, name, header_text), "edit")


def _edit_section(doc, position, values, exclusive, warnings):
    """The edit of the existing section at ``position``: each key set, changed or removed in place."""
    edit = _SectionEdit(doc, position)
    for key, value in values.items():
        edit.set(key, value, exclusive)
    if exclusive:
        for entry in edit.entries:
            if entry.key not in values:
                edit.remove(entry)
    if not edit.changes:
        return FileEdit(doc.text, [], warnings, None, None)
    new_section = edit.new_lines()
    secret_changes = set(key for _p, _s, key, _a in edit.changes if key in SECRET_KEYS)
    return FileEdit(
        "".join((doc.text[:edit.start], "".join(new_section), doc.text[edit.end:])),
        edit.changes,
        warnings,
        _render_section(edit.lines, secret_changes),
        _render_section(new_section, secret_changes),
    )


class _SectionEdit(object):
    """The pending edit of one section: replacements, deletions and insertions by local line index."""

    def __init__(self, doc, position):
        self.doc = doc
        self.raw = doc.names[position]
        self.start = doc.offset(position)
        self.end = doc.section_end(position)
        self.lines = split_lines(doc.text[self.start:self.end])
        self.entries = _section_entries(self.lines, 0, len(self.lines))
        self.by_key = self._index_entries()
        self.nl = doc.newline
        self.changes = []
        self.replace = {}   # local line index -> replacement lines
        self.delete = set()
        self.append_after = {}  # local line index -> lines inserted after it
        self.nested_after = {}  # same, for lines inside a nested block (they go first)
        self.last_content = _last_content(self.entries)
        self.new_indent = _new_key_indent(doc, self.lines, self.entries, self.end)

    def _index_entries(self):
        by_key = {}
        for entry in self.entries:
            by_key[entry.key] = entry
            if entry.continued is not None:
                base = self.doc.line_number(self.start)
                raise AwsFileError(
                    self.doc.path, base + entry.continued,
                    "an indented line continues the value of %s (line %d) in [%s]: indent it as a nested block "
                    "or move it to column 0" % (entry.key, base + entry.start, self.raw), "edit")
        return by_key

    def _changed(self, key, action):
        self.changes.append((self.doc.path, self.raw, key, action))

    def remove(self, entry):
        self.delete.update(range(entry.start, entry.end))
        self._changed(entry.key, "removed")

    def set(self, key, value, exclusive):
        """Set (or with None remove) one top-level key; a dict edits a nested block."""
        entry = self.by_key.get(key)
        if value is None:
            if entry is not None:
                self.remove(entry)
        elif isinstance(value, dict) and all(sub is None for sub in value.values()):
            # only removals inside a block: nothing to do unless the block exists
            if entry is not None and entry.nested is not None:
                self.set_block(entry, key, value, exclusive)
        elif entry is None:
            self._add(key, value)
        elif isinstance(value, dict):
            self.set_block(entry, key, value, exclusive)
        elif entry.nested is not None or entry.value != value:
            ending = _ending(self.lines[entry.end - 1])
            self.replace[entry.start] = ["%s%s = %s%s" % (entry.indent, entry.key_text, value, ending)]
            self.delete.update(range(entry.start + 1, entry.end))
            self._changed(key, "changed")

    def _add(self, key, value):
        if self.new_indent is None:
            raise AwsFileError(
                self.doc.path, self.doc.line_number(self.end),
                "the indented header on this line would read a new key of [%s] as its value: "
                "unindent the header first" % self.raw, "edit")
        self.append_after.setdefault(self.last_content, []).extend(_key_lines(key, value, self.new_indent, self.nl))
        self._changed(key, "added")

    def set_block(self, entry, key, value, exclusive):
        """Edit a nested block in place (or turn a scalar into a block)."""
        if entry.nested is None:
            ending = _ending(self.lines[entry.end - 1]) or self.nl
            self.replace[entry.start] = _key_lines(entry.key_text, value, entry.indent, ending)
            self.delete.update(range(entry.start + 1, entry.end))
            self._changed(key, "changed")
            return
        subs = self._nested_keys(entry, key)
        indent = entry.nested[0][3] if entry.nested else entry.indent + "  "
        last = entry.end - 1
        for sub, sub_value in value.items():
            found = subs.get(sub)
            name = "%s.%s" % (key, sub)
            if sub_value is None:
                if found is not None:
                    self.delete.add(found[0])
                    self._changed(name, "removed")
            elif found is None:
                self.nested_after.setdefault(last, []).append("%s%s = %s%s" % (indent, sub, sub_value, self.nl))
                self._changed(name, "added")
            elif found[1] != sub_value:
                self.replace[found[0]] = ["%s%s = %s%s" % (found[2], sub, sub_value, _ending(self.lines[found[0]]))]
                self._changed(name, "changed")
        if exclusive:
            for sub, (index, _value, _indent) in subs.items():
                if sub not in value:
                    self.delete.add(index)
                    self._changed("%s.%s" % (key, sub), "removed")
        kept = [sub for sub, (index, _v, _i) in subs.items() if index not in self.delete]
        if not kept and not self.nested_after.get(last):
            # an empty block would read as key = "": remove the key itself
            self.delete.update(range(entry.start, entry.end))

    def _nested_keys(self, entry, key):
        """{sub: (local line index, value, indent)} of a nested block; a key twice is an error."""
        subs = {}
        for sub, index, sub_value, sub_indent in entry.nested:
            if sub in subs:
                raise AwsFileError(self.doc.path, self.doc.line_number(self.start) + index,
                                   "nested key %s.%s appears twice" % (key, sub), "edit")
            subs[sub] = (index, sub_value, sub_indent)
        return subs

    def new_lines(self):
        """The section's lines after the edit."""
        new_section = []
        for index, line in enumerate(self.lines):
            if index in self.replace:
                new_section.extend(self.replace[index])
            elif index not in self.delete:
                new_section.append(line)
            for inserts in (self.nested_after, self.append_after):
                if index in inserts:
                    if new_section and _ending(new_section[-1]) == "":
                        new_section[-1] += self.nl
                    new_section.extend(inserts[index])
        return new_section


def _indent_of(line):
    return line[: len(line) - len(line.lstrip())]


def _new_key_indent(doc, lines, entries, end):
    """Indentation for a new top-level key, or None when none is safe.

    configparser reads an indented line after a key as that key's value, so a
    new key may not be indented deeper than the key before it, and the next
    (indented) header may not be indented deeper than the new key.
    """
    indent = entries[-1].indent if entries else _indent_of(lines[0])
    if end < len(doc.text):
        next_indent = _indent_of(split_lines(doc.text[end:end + 4096])[0])
        if len(next_indent) > len(indent):
            if entries:
                return None
            indent = next_indent
    return indent


def _remove_sections(doc, targets, warnings):
    """state=absent: drop each target section (up to its last key) and the blank lines after it."""
    text = doc.text
    changes = []
    before = []
    cuts = []
    for position in targets:
        raw, start = doc.names[position], doc.offset(position)
        end = doc.section_end(position)
        lines = split_lines(text[start:end])
        entries = _section_entries(lines, 0, len(lines))
        last = _last_content(entries) + 1
        while last < len(lines) and not lines[last].strip():
            last += 1
        before.append(_render_section(lines[:last], ()))
        cuts.append((start, start + sum(len(line) for line in lines[:last])))
        changes.extend((doc.path, raw, entry.key, "removed") for entry in entries)
        if not entries:
            changes.append((doc.path, raw, None, "removed"))
    if not cuts:
        return FileEdit(text, [], warnings, None, None)
    pieces = []
    previous = 0
    for start, stop in cuts:
        pieces.append(text[previous:start])
        previous = stop
    pieces.append(text[previous:])
    return FileEdit("".join(pieces), changes, warnings, "".join(before), "")


def _append_section(doc, header_text, values, warnings):
    """A new section at the end of the file, keys in the order given."""
    wanted = [(key, value) for key, value in values.items()
              if value is not None and not (isinstance(value, dict) and all(v is None for v in value.values()))]
    if not wanted:
        return FileEdit(doc.text, [], warnings, None, None)
    text = doc.text
    nl = doc.newline
    prefix = ""
    if text:
        tail_start = doc.offset(len(doc.names) - 1) if doc.names else 0
        tail = split_lines(text[tail_start:])
        if _ending(tail[-1]) == "":
            prefix += nl
        if tail[-1].strip():
            prefix += nl
    section = ["[%s]%s" % (header_text, nl)]
    changes = []
    for key, value in wanted:
        section.extend(_key_lines(key, value, "", nl))
        changes.append((doc.path, header_text, key, "added"))
    secret_changes = set(key for key, _value in wanted if key in SECRET_KEYS)
    return FileEdit("".join((text, prefix, "".join(section))), changes, warnings, "",
                    _render_section(section, secret_changes))


def _key_lines(key, value, indent, nl, sub_indent="  "):
    if isinstance(value, dict):
        out = ["%s%s =%s" % (indent, key, nl)]
        for sub, sub_value in value.items():
            if sub_value is not None:
                out.append("%s%s%s = %s%s" % (indent, sub_indent, sub, sub_value, nl))
        return out
    return ["%s%s = %s%s" % (indent, key, value, nl)]


# ---------------------------------------------------------------- both files


def _check_name(name, kind):
    if not isinstance(name, str) or not NAME_RE.fullmatch(name) or name == "DEFAULT":
        raise AwsFileError(
            "name", 0, "%s name %r may only hold letters, digits and _-/.%%@" % (kind, name), "validate")


def check_credentials(credentials):
    """Validate the credential options (values never appear in messages)."""
    key_id = credentials.get("aws_access_key_id")
    if key_id is not None and not _ACCESS_KEY_RE.fullmatch(str(key_id)):
        raise AwsFileError("aws_access_key_id", 0, "an access key ID is 16 to 128 letters, digits or _", "validate")
    for option in ("aws_secret_access_key", "aws_session_token"):
        value = credentials.get(option)
        if value is not None and (not value or _SECRET_BAD_RE.search(value)):
            raise AwsFileError(option, 0, "the value is empty or holds whitespace or control characters", "validate")
    if key_id is not None and key_id.startswith("ASIA") and not credentials.get("aws_session_token"):
        raise AwsFileError(
            "aws_session_token", 0, "a temporary (ASIA...) access key needs aws_session_token", "validate")


CREDENTIAL_OPTIONS = ("aws_access_key_id", "aws_secret_access_key", "aws_session_token")
PROFILE_OPTIONS = dict(
    name=dict(type="str", required=True),
    kind=dict(type="str", default="profile", choices=["profile", "sso-session", "services"]),
    state=dict(type="str", default="present", choices=["present", "absent"]),
    aws_access_key_id=dict(type="str", no_log=False),
    aws_secret_access_key=dict(type="str", no_log=True),
    aws_session_token=dict(type="str", no_log=True),
    region=dict(type="str"),
    output=dict(type="str"),
    settings=dict(type="dict", default={}),
    exclusive=dict(type="bool", default=False),
)
"""The argument spec of the options profile_request reads (aws_profile's; aws_profile_info's compare items)."""
FilePaths = namedtuple("FilePaths", "credentials config")
DEFAULT_PATHS = FilePaths("credentials", "config")


class ProfileRequest(namedtuple("ProfileRequest", "name kind state exclusive credentials settings")):
    """One aws_profile call: the section, what to do and the values (``credentials``: the credential options,
    ``settings``: every config key). Built from the module's option names by ``profile_request``."""

    __slots__ = ()

    @property
    def options(self):
        return EditOptions(self.kind, self.state, self.exclusive)


ProfileRequest.__new__.__defaults__ = ("profile", "present", False, None, None)


def profile_request(options):
    """A ProfileRequest from a dict of aws_profile's option names (name, kind, state, exclusive,
    aws_access_key_id, aws_secret_access_key, aws_session_token, region, output, settings)."""
    credentials = dict((key, options[key]) for key in CREDENTIAL_OPTIONS if options.get(key) is not None)
    settings = dict((key, options[key]) for key in ("region", "output") if options.get(key) is not None)
    for key, value in (options.get("settings") or {}).items():
        settings.setdefault(key, value)
    return ProfileRequest(options["name"], options.get("kind") or "profile", options.get("state") or "present",
                          bool(options.get("exclusive")), credentials, settings)


def uses_credentials(request):
    """Whether the call reads and edits the credentials file (else it only keeps that file private)."""
    credentials = [value for value in (request.credentials or {}).values() if value is not None]
    return request.kind == "profile" and bool(credentials or request.exclusive or request.state == "absent")


def _check_request(request, config_path):
    _check_name(request.name, request.kind)
    if request.kind != "profile" and request.credentials:
        raise AwsFileError("name", 0, "credentials can only be set on kind=profile, not %s" % request.kind,
                           "validate")
    for key in request.settings:
        if key in SECRET_KEYS or key == "aws_access_key_id":
            raise AwsFileError(config_path, 0, "set %s with its own option, not in settings" % key, "validate")
    check_credentials(request.credentials)


def plan_profile(request, credentials_text, config_text, paths=DEFAULT_PATHS):
    """Plan one aws_profile call (a ProfileRequest) over both files.

    Returns Plan(credentials_text, config_text, changes, warnings, diffs);
    a text is None when that file is not to be touched (not read/locked):
    the credentials file is only touched when ``uses_credentials(request)``.
    ``diffs`` is a list of ansible diff dicts, secrets redacted.
    """
    request = request._replace(
        credentials=dict((k, v) for k, v in (request.credentials or {}).items() if v is not None),
        settings=dict(request.settings or {}))
    _check_request(request, paths.config)
    plan = Plan(None, None, [], [], [])
    if credentials_text is not None and uses_credentials(request):
        edit = edit_file(credentials_text, "credentials", request.name, _credential_values(request.credentials),
                         request.options, paths.credentials)
        plan = _planned(plan._replace(credentials_text=edit.text), paths.credentials, edit)
    if config_text is not None:
        edit = edit_file(config_text, "config", request.name, request.settings, request.options, paths.config)
        plan = _planned(plan._replace(config_text=edit.text), paths.config, edit)
    return plan


def _credential_values(credentials):
    """The credentials file's values of a call: a long-term key over a temporary one drops the old token."""
    wanted = dict(credentials)
    key_id = credentials.get("aws_access_key_id")
    if key_id and not key_id.startswith("ASIA") and "aws_session_token" not in credentials:
        wanted["aws_session_token"] = None
        wanted["aws_security_token"] = None
    return wanted


def _planned(plan, path, edit):
    plan.changes.extend(edit.changes)
    plan.warnings.extend(edit.warnings)
    if edit.changes:
        plan.diffs.append(_diff(path, edit))
    return plan


def changed_keys(changes):
    """The key names of ``changes`` [(path, section, key, action)], each once, in order."""
    keys = []
    for _path, _section, key, _action in changes:
        if key is not None and key not in keys:
            keys.append(key)
    return keys


def compare_profile(request, credentials_text, config_text, profiles, paths=DEFAULT_PATHS):
    """Whether aws_profile with ``request`` would change nothing: {name, kind, current, changed_keys, error}.

    Planned by plan_profile, as aws_profile plans; ``profiles`` is read_profiles()'s: an access key ID is
    current only with a non-empty secret in that profile. ``error``: why aws_profile would refuse the call.
    """
    compared = {"name": request.name, "kind": request.kind, "current": False, "changed_keys": [], "error": None}
    try:
        plan = plan_profile(request, credentials_text if uses_credentials(request) else None, config_text, paths)
    except AwsFileError as exc:
        compared["error"] = str(exc)
        return compared
    keys = changed_keys(plan.changes)
    if ((request.credentials or {}).get("aws_access_key_id") and request.state == "present"
            and not profiles.get(request.name, {}).get("has_secret") and "aws_secret_access_key" not in keys):
        keys.append("aws_secret_access_key")
    compared.update(current=not keys, changed_keys=keys)
    return compared


def _diff(path, edit):
    return {
        "before_header": str(path),
        "after_header": str(path),
        "before": edit.before or "",
        "after": edit.after or "",
    }


# ---------------------------------------------------------------- reading


def read_sections(text, path):
    """``{section: {key: value | {sub: value}}}`` exactly as botocore's raw_config_parse."""
    return _document_sections(parse(text, path))


def _document_sections(doc):
    text = doc.text
    result = {}
    defaults = {}
    offsets = doc.all_offsets() + [len(text)]
    for position, raw in enumerate(doc.names):
        lines = split_lines(text[offsets[position]:offsets[position + 1]])
        target = defaults if raw == "DEFAULT" else result.setdefault(raw, {})
        target.update(_raw_values(lines))
    if defaults:
        for raw in result:
            merged = dict(defaults)
            merged.update(result[raw])
            result[raw] = merged
    return result


def _raw_values(lines):
    """configparser's values of one section (header first), then botocore's nested parsing."""
    values = {}
    header_line = lines[0]
    indent_level = len(header_line) - len(header_line.lstrip())
    current = None
    for line in lines[1:]:
        stripped = line.strip()
        if not stripped:
            if current is not None:
                current.append("")
            continue
        if stripped[0] in "#;":
            continue
        indent = len(line) - len(line.lstrip())
        if current is not None and indent > indent_level:
            current.append(stripped)
            continue
        indent_level = indent
        sep = _separator(stripped)
        current = [stripped[sep + 1:].strip()]
        values[stripped[:sep].rstrip().lower()] = current
    result = {}
    for key, parts in values.items():
        value = "\n".join(parts).rstrip()
        if value.startswith("\n"):
            nested = {}
            for piece in value.splitlines():
                piece = piece.strip()
                if piece:
                    sub, sub_value = piece.split("=", 1)
                    nested[sub.strip()] = sub_value.strip()
            value = nested
        result[key] = value
    return result


def _public(settings, sources):
    """A profile's settings without secrets, plus has_secret / has_session_token."""
    out = {}
    for key, value in settings.items():
        if key not in SECRET_KEYS:
            out[key] = value
    out["has_secret"] = bool(settings.get("aws_secret_access_key"))
    out["has_session_token"] = bool(settings.get("aws_session_token") or settings.get("aws_security_token"))
    out["source"] = dict((k, v) for k, v in sources.items())
    return out


def read_profiles(credentials_text, config_text, credentials_path="credentials", config_path="config"):
    """What botocore's Session.full_config reads, secrets replaced by booleans.

    Returns ``{"profiles": {...}, "sso_sessions": {...}, "services": {...},
    "warnings": [...]}``; each profile maps its settings (nested blocks as
    dicts), ``has_secret``, ``has_session_token`` and ``source``: for each
    key the file it came from, ``config`` or ``credentials``.
    """
    config_doc = parse(config_text or "", config_path)
    credentials_doc = parse(credentials_text or "", credentials_path)
    config = _document_sections(config_doc)
    credentials = _document_sections(credentials_doc)
    warnings = _trap_warnings(config_doc, "config") + _trap_warnings(credentials_doc, "credentials")
    profiles = {}
    sources = {}
    groups = {"profile": profiles, "sso-session": {}, "services": {}}
    for raw, values in config.items():
        target = config_target(raw)
        if target is None:
            continue
        kind, name = target
        groups[kind][name] = dict(values)  # later sections win, as in botocore
        if kind == "profile":
            sources[name] = dict((key, "config") for key in values)
    for name, values in credentials.items():
        profiles.setdefault(name, {}).update(values)
        sources.setdefault(name, {}).update((key, "credentials") for key in values)
    return {
        "profiles": dict((name, _public(values, sources.get(name, {}))) for name, values in profiles.items()),
        "sso_sessions": groups["sso-session"],
        "services": groups["services"],
        "warnings": warnings,
    }
